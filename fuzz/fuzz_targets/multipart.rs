//! Multipart upload extraction: any body is read into a file and parameters or refused with a
//! Marketo error, never a panic, and the file never exceeds the limit.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use libfuzzer_sys::fuzz_target;
use marketo_bulk_mock::http::upload::read_form;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Builder::new_current_thread().build().expect("a runtime"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&limit, body)) = data.split_first() else { return };
    let limit = usize::from(limit) * 16;
    let result = runtime().block_on(read_form(Body::from(body.to_vec()), "fuzzboundary".into(), limit, Some(body.len())));
    if let Ok((Some(file), _)) = result {
        assert!(file.len() <= limit);
    }
});
