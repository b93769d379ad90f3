//! Dot segments in the path are resolved before routing, because some clients send
//! `/rest/../bulk/v1/...` literally and Marketo serves it.

use axum::extract::Request;
use axum::http::Uri;
use axum::http::uri::PathAndQuery;

/// RFC 3986 `remove_dot_segments`, on an absolute path.
pub fn remove_dot_segments(path: &str) -> String {
    let mut output: Vec<&str> = Vec::new();
    let ends_with_dir = path.ends_with("/.") || path.ends_with("/..");
    for segment in path.split('/').skip(1) {
        match segment {
            "." => {}
            ".." => {
                output.pop();
            }
            other => output.push(other),
        }
    }
    let mut result = String::with_capacity(path.len());
    for segment in &output {
        result.push('/');
        result.push_str(segment);
    }
    if ends_with_dir || result.is_empty() {
        result.push('/');
    }
    result
}

/// Rewrites the request's URI when its path has dot segments.
pub fn normalize_request(mut request: Request) -> Request {
    let path = request.uri().path();
    // A dot segment starts with "/.", which nearly no path has: only those are split.
    let has_dots = path.contains("/.")
        && path
            .split('/')
            .any(|segment| segment == "." || segment == "..");
    if !has_dots {
        return request;
    }
    let mut rewritten = remove_dot_segments(path);
    if let Some(query) = request.uri().query() {
        rewritten.push('?');
        rewritten.push_str(query);
    }
    let mut parts = request.uri().clone().into_parts();
    if let Ok(path_and_query) = PathAndQuery::try_from(rewritten) {
        parts.path_and_query = Some(path_and_query);
        if let Ok(uri) = Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_resolve_as_rfc_3986_says() {
        assert_eq!(
            remove_dot_segments("/rest/../bulk/v1/leads.json"),
            "/bulk/v1/leads.json"
        );
        assert_eq!(
            remove_dot_segments("/bulk/./v1/leads.json"),
            "/bulk/v1/leads.json"
        );
        assert_eq!(remove_dot_segments("/../../bulk/v1"), "/bulk/v1");
        assert_eq!(remove_dot_segments("/a/b/.."), "/a/");
        assert_eq!(remove_dot_segments("/"), "/");
    }

    #[test]
    fn the_query_survives_normalisation() {
        let request = Request::builder()
            .uri("/rest/../bulk/v1/leads.json?format=csv")
            .body(axum::body::Body::empty());
        let normalized = normalize_request(request.unwrap());
        assert_eq!(normalized.uri().path(), "/bulk/v1/leads.json");
        assert_eq!(normalized.uri().query(), Some("format=csv"));
    }
}
