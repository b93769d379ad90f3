//! What stands in front of the emulated API (never the `/_mock/` control plane): the request
//! journal, injected faults and Marketo's opt-in call limits.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use tower::ServiceExt;
use tower_http::timeout::TimeoutBody;

use super::envelope::{MarketoCode, render_errors};
use super::extract::{Params, Server, token_from_parts};
use crate::config::Config;
use crate::error::ApiError;
use crate::faults::RequestEffect;
use crate::instances::Instances;
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

/// Put on a response that concerns an export job, so the journal can name it.
#[derive(Debug, Clone, Copy)]
pub struct ExportRef(pub uuid::Uuid);

/// Adds the export job to a response for the journal.
pub fn with_export(mut response: Response, export: uuid::Uuid) -> Response {
    response.extensions_mut().insert(ExportRef(export));
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

/// What every request goes through, once, before the router: a body deadline, the control
/// plane's guard or Marketo's call limits and injected faults, a catch for panics, error
/// envelopes, and the journal. One plain function rather than a stack of layers, because a
/// layer on the router wraps every route and costs a boxed service per request.
#[derive(Clone)]
pub struct Front {
    router: Router,
    instances: Arc<Instances>,
    body_timeout: Duration,
}

/// The control plane's prefix for one instance: `/_mock/instances/{clientId}/...` serves the
/// route `/_mock/...` of that instance.
const INSTANCE_PREFIX: &str = "/_mock/instances/";

impl Front {
    pub fn new(router: Router, instances: Arc<Instances>) -> Front {
        let body_timeout = Duration::from_secs(instances.config().body_timeout_secs);
        Front {
            router,
            instances,
            body_timeout,
        }
    }

    /// The world a request is for. An emulated call's token names its instance; a call
    /// without a known token goes to the default instance (whose own checks then refuse a
    /// stranger's token). A control call under an instance's prefix is that instance's, with
    /// the prefix taken off; any other control call is the default instance's.
    fn world_for(&self, request: &mut Request) -> Result<AppState, (StatusCode, String)> {
        let path = request.uri().path();
        if let Some(rest) = path.strip_prefix(INSTANCE_PREFIX)
            && let Some((client_id, route)) = rest.split_once('/')
            && !route.is_empty()
        {
            let client_id = percent_decode(client_id);
            let Some(world) = self.instances.get(&client_id) else {
                return Err((StatusCode::NOT_FOUND, format!("no instance '{client_id}'")));
            };
            let query = request
                .uri()
                .query()
                .map(|q| format!("?{q}"))
                .unwrap_or_default();
            let uri = format!("/_mock/{route}{query}");
            *request.uri_mut() = uri.parse().map_err(|_| {
                (
                    StatusCode::BAD_REQUEST,
                    "the path does not parse".to_owned(),
                )
            })?;
            return Ok(world);
        }
        if is_control(path) {
            return Ok(self.instances.default_world());
        }
        let query = Params::from_query_str(request.uri().query().unwrap_or_default());
        Ok(token_from_parts(request.headers(), &query)
            .and_then(|token| self.instances.for_token(&token))
            .unwrap_or_else(|| self.instances.default_world()))
    }

    /// Answers one request. Errors are rendered as Marketo's envelope; control-plane calls go
    /// through [`control_plane`]; every emulated call is recorded in its instance's journal,
    /// after its envelope is rendered so its code is known.
    pub async fn handle(self, mut request: Request) -> Response {
        // A body that stalls between chunks ends the call (604) instead of holding it open.
        if !request.body().is_end_stream() {
            let timeout = self.body_timeout;
            request = request.map(|body| Body::new(TimeoutBody::new(timeout, body)));
        }
        let state = match self.world_for(&mut request) {
            Ok(world) => world,
            Err((status, message)) => return control_error(status, &message),
        };
        request.extensions_mut().insert(state.clone());
        request
            .extensions_mut()
            .insert(Server(self.instances.clone()));
        if is_control(request.uri().path()) {
            let config = self.instances.config();
            let response = control_plane(config, request, &self.router).await;
            return render_errors(&state, response);
        }
        let path = request.uri().path().to_owned();
        let method = request.method().clone();
        let query = request.uri().query().map(str::to_owned);
        let response = render_errors(&state, self.limited(&state, request).await);
        // An identity call carries no token; its handler names the instance it answered for.
        let state = response
            .extensions()
            .get::<AppState>()
            .cloned()
            .unwrap_or(state);
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
            export_id: response
                .extensions()
                .get::<ExportRef>()
                .map(|export| export.0.to_string()),
            time: state.clock.now(),
        });
        response
    }

    /// Admits the call under Marketo's limits (identity calls do not count, as in Marketo),
    /// then applies injected request faults while holding its place, then serves.
    async fn limited(&self, state: &AppState, request: Request) -> Response {
        let path = request.uri().path();
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
            let now = state.clock.now();
            state.calls.count(now);
            match state.limits.admit(now) {
                Ok(permit) => Some(permit),
                Err(error) => return error.into_response(),
            }
        };
        match state.faults.for_request(request.method().as_str(), path) {
            Some(RequestEffect::Code(code)) => {
                // Rules are checked when added, so the fallback is only a guard.
                let mut response = ApiError::for_code(&code)
                    .unwrap_or(ApiError::System)
                    .into_response();
                // An injected code is a response-level error, which Marketo sends with HTTP 200:
                // even 610, which the router answers with 404 for a path it does not know.
                *response.status_mut() = StatusCode::OK;
                response
            }
            Some(RequestEffect::HttpStatus(status)) => proxy_error(status),
            Some(RequestEffect::Panic(_)) => {
                caught(async { panic!("injected panic in a request") }).await
            }
            Some(RequestEffect::LatencyMs(ms)) => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                route(&self.router, request).await
            }
            None => route(&self.router, request).await,
        }
    }
}

/// Serves a request with the router; a handler that panics answers 611 and the server goes on.
async fn route(router: &Router, request: Request) -> Response {
    caught(router.clone().oneshot(request)).await
}

async fn caught(
    serving: impl Future<Output = Result<Response, std::convert::Infallible>>,
) -> Response {
    match AssertUnwindSafe(serving).catch_unwind().await {
        Ok(Ok(response)) => response,
        Ok(Err(never)) => match never {},
        Err(_) => {
            tracing::error!("a request handler panicked");
            ApiError::System.into_response()
        }
    }
}

/// Guards the control plane: off entirely (but for health) with `--no-control-plane`, or
/// behind `--admin-token`, given as `Authorization: Bearer <token>` or `X-Admin-Token`.
async fn control_plane(config: &Config, request: Request, router: &Router) -> Response {
    let path = request.uri().path();
    if path == "/_mock/health" {
        return route(router, request).await;
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
    route(router, request).await
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

/// A path segment with its percent escapes decoded (client ids may hold `@` or spaces).
fn percent_decode(segment: &str) -> String {
    form_urlencoded::parse(format!("x={segment}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| segment.to_owned())
}
