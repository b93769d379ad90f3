//! The mock's own control plane under `/_mock/`.

use axum::Json;
use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/_mock/health", get(health))
}

/// Liveness: answers as soon as the server accepts requests.
async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}
