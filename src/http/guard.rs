//! What stands in front of the emulated API (never the `/_mock/` control plane): the request
//! journal, injected faults and Marketo's opt-in call limits.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::envelope::{MarketoCode, render_errors};
use crate::error::{ApiError, known_code};
use crate::faults::RequestEffect;
use crate::journal::Entry;
use crate::state::AppState;

/// Marketo's limit on a request URI; past it the proxy answers 414.
const MAX_URI_BYTES: usize = 8 * 1024;

/// Put on a response that concerns a batch, so the journal can name it.
#[derive(Debug, Clone, Copy)]
pub struct BatchRef(pub u32);

/// Adds the batch to a response for the journal.
pub fn with_batch(mut response: Response, batch: u32) -> Response {
    response.extensions_mut().insert(BatchRef(batch));
    response
}

/// The control plane, and `/` which only redirects to its dashboard: never journaled, never
/// faulted or limited.
fn is_control(path: &str) -> bool {
    path == "/" || path == "/_mock" || path.starts_with("/_mock/")
}

/// Control routes served without the admin token: health (for `HEALTHCHECK`) and the
/// dashboard's page and files (the page itself sends the token on its calls).
fn is_open_control(path: &str) -> bool {
    path == "/" || path == "/_mock/health" || path == "/_mock/ui" || path.starts_with("/_mock/ui/")
}

/// The outermost guard: renders every error as Marketo's envelope; control-plane calls go
/// through [`control_plane`]; every emulated call is recorded in the journal, after its
/// envelope is rendered so its code is known.
pub async fn front(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if is_control(request.uri().path()) {
        return render_errors(&state, control_plane(&state, request, next).await);
    }
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let query = request.uri().query().map(str::to_owned);
    let response = render_errors(&state, next.run(request).await);
    state.journal.record(Entry {
        method,
        path,
        query,
        http_status: response.status().as_u16(),
        code: response
            .extensions()
            .get::<MarketoCode>()
            .map(|code| code.0.to_owned()),
        batch_id: response.extensions().get::<BatchRef>().map(|batch| batch.0),
        time: state.clock.now(),
    });
    response
}

/// Admits the call under Marketo's limits (identity calls do not count, as in Marketo), then
/// applies injected request faults while holding its place, then serves.
pub async fn faults_and_limits(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if is_control(path) {
        return next.run(request).await;
    }
    if request
        .uri()
        .path_and_query()
        .map_or(0, |pq| pq.as_str().len())
        > MAX_URI_BYTES
    {
        return proxy_error(414);
    }
    let _permit = if path.starts_with("/identity/") {
        None
    } else {
        match state.limits.admit(state.clock.now()) {
            Ok(permit) => Some(permit),
            Err(error) => return error.into_response(),
        }
    };
    match state.faults.for_request(request.method().as_str(), path) {
        Some(RequestEffect::Code(code)) => {
            let (code, message) = known_code(&code).unwrap_or(("611", "System error"));
            ApiError::Coded {
                code,
                message: message.to_owned(),
            }
            .into_response()
        }
        Some(RequestEffect::HttpStatus(status)) => proxy_error(status),
        Some(RequestEffect::Panic(_)) => panic!("injected panic in a request"),
        Some(RequestEffect::LatencyMs(ms)) => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            next.run(request).await
        }
        None => next.run(request).await,
    }
}

/// Guards the control plane: off entirely (but for health) with `--no-control-plane`, or
/// behind `--admin-token`, given as `Authorization: Bearer <token>` or `X-Admin-Token`.
async fn control_plane(state: &AppState, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let config = &state.settings.config;
    if path == "/_mock/health" {
        return next.run(request).await;
    }
    if config.no_control_plane {
        return control_error(StatusCode::NOT_FOUND, "the control plane is turned off");
    }
    if let Some(expected) = config
        .admin_token
        .as_ref()
        .filter(|_| !is_open_control(path))
    {
        let headers = request.headers();
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let named = headers.get("x-admin-token").and_then(|v| v.to_str().ok());
        if bearer.or(named) != Some(expected.as_str()) {
            return control_error(StatusCode::UNAUTHORIZED, "this route needs the admin token");
        }
    }
    next.run(request).await
}

fn control_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

/// An error page as the proxy in front of Marketo serves it: HTML, no envelope.
fn proxy_error(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}
