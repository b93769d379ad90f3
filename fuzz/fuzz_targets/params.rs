//! Query and form parameter parsing, paging tokens, path normalisation and fault globs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use marketo_bulk_mock::faults::glob_matches;
use marketo_bulk_mock::http::extract::Params;
use marketo_bulk_mock::http::normalize::remove_dot_segments;
use marketo_bulk_mock::http::paging::Page;

fuzz_target!(|data: &[u8]| {
    let params = Params::parse(data);
    if let Ok(page) = Page::from_params(&params) {
        let items: Vec<u32> = (0..50).collect();
        let (slice, _) = page.take(&items);
        assert!(slice.len() <= page.size);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let path = format!("/{text}");
        let normalized = remove_dot_segments(&path);
        assert!(normalized.starts_with('/'));
        assert!(!normalized.split('/').any(|segment| segment == ".."));
        let middle = text.char_indices().nth(text.chars().count() / 2).map_or(text.len(), |(at, _)| at);
        let (pattern, subject) = text.split_at(middle);
        let _ = glob_matches(pattern, subject);
    }
});
