//! The HTTP surface: one router per endpoint group, merged here, wrapped in the layers that
//! make every answer Marketo-shaped.

pub mod batch;
pub mod bulk_leads;
pub mod bulk_members;
pub mod bulk_objects;
pub mod control;
pub mod envelope;
pub mod extract;
pub mod fallback;
pub mod guard;
pub mod identity;
pub mod normalize;
pub mod openapi;
pub mod paging;
pub mod registry;
pub mod rest_leads;
pub mod rest_objects;
pub mod rest_programs;
pub mod ui;
pub mod upload;

use axum::Router;
use axum::middleware::from_fn_with_state;
use std::time::Duration;

use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::error::ApiError;
use crate::state::AppState;
use registry::Api;

/// Every route the mock serves, with its documentation.
pub fn api() -> Api {
    identity::routes()
        .merge(bulk_leads::routes())
        .merge(bulk_objects::routes())
        .merge(bulk_members::routes())
        .merge(rest_leads::routes())
        .merge(rest_objects::routes())
        .merge(rest_programs::routes())
        .merge(control::routes())
        .merge(ui::routes())
}

/// The router: every route, its fallbacks, and the layers that make answers Marketo-shaped.
pub fn router(state: AppState) -> Router {
    api()
        .into_router()
        .fallback(fallback::not_found)
        .method_not_allowed_fallback(fallback::method_not_allowed)
        // Outermost last: faults and limits answer inside the panic catcher (an injected panic
        // is caught too); the front guard renders every error envelope and journals the call.
        .layer(from_fn_with_state(state.clone(), guard::faults_and_limits))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a request handler panicked");
            axum::response::IntoResponse::into_response(ApiError::System)
        }))
        .layer(from_fn_with_state(state.clone(), guard::front))
        // A body that stalls between chunks ends the call (604) instead of holding it open.
        .layer(RequestBodyTimeoutLayer::new(Duration::from_secs(
            state.settings.config.body_timeout_secs,
        )))
        .with_state(state)
}
