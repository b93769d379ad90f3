//! The dashboard: one page of plain HTML, CSS and JavaScript, compiled into the binary, that
//! watches jobs and drives the control plane from a browser. It only calls routes that are
//! served anyway, so it needs nothing from the server but its three files.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::registry::{Answer, Api, Tag};

pub const PAGE_PATH: &str = "/_mock/ui";

const HTML: &str = "text/html; charset=utf-8";
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

const INDEX_HTML: &str = include_str!("../../assets/ui/index.html");
const APP_JS: &str = include_str!("../../assets/ui/app.js");
const STYLE_CSS: &str = include_str!("../../assets/ui/style.css");

/// Everything the page loads comes from this server; nothing from any other origin.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'; form-action 'self'";

pub fn routes() -> Api {
    Api::new(Tag::Control)
        .get("/", "Redirect to the dashboard", root)
        .answers(Answer::Redirect)
        .get(PAGE_PATH, "The dashboard page", index)
        .answers(Answer::Text(HTML))
        .get("/_mock/ui/app.js", "The dashboard's script", script)
        .answers(Answer::Text(JAVASCRIPT))
        .get("/_mock/ui/style.css", "The dashboard's style sheet", style)
        .answers(Answer::Text(CSS))
}

/// One embedded file with its content type; revalidated on every load, so a new binary's page
/// is never mixed with an old script.
fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

async fn root() -> Redirect {
    Redirect::temporary(PAGE_PATH)
}

async fn index() -> Response {
    let mut response = asset(HTML, INDEX_HTML);
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}

async fn script() -> Response {
    asset(JAVASCRIPT, APP_JS)
}

async fn style() -> Response {
    asset(CSS, STYLE_CSS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_its_script_and_style_from_this_server_only() {
        assert!(INDEX_HTML.contains(r#"src="/_mock/ui/app.js""#));
        assert!(INDEX_HTML.contains(r#"href="/_mock/ui/style.css""#));
        assert!(!INDEX_HTML.contains("http://") && !INDEX_HTML.contains("https://"));
        assert!(!APP_JS.contains("https://") && !STYLE_CSS.contains("https://"));
    }
}
