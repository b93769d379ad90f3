//! The state itself: the request journal, reset, seeding and export.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{ControlError, parse_body};
use crate::seed::{SeedRequest, export as export_state, seed as seed_state};
use crate::state::AppState;

pub(super) async fn requests(State(state): State<AppState>) -> axum::Json<Value> {
    axum::Json(json!({ "requests": state.journal.entries() }))
}

pub(super) async fn clear_requests(State(state): State<AppState>) -> StatusCode {
    state.journal.clear();
    StatusCode::NO_CONTENT
}

/// Forgets everything and reloads the fixtures, without a restart.
pub(super) async fn reset(State(state): State<AppState>) -> Result<StatusCode, ControlError> {
    state
        .reset()
        .map_err(|error| ControlError(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Upserts records as an import would; reports each one. Runs on a blocking thread since
/// a large seed is real work.
pub(super) async fn seed(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<axum::Json<Value>, ControlError> {
    let request: SeedRequest = parse_body(&body)?;
    let report = tokio::task::spawn_blocking(move || seed_state(&state, request))
        .await
        .map_err(|_| ControlError(StatusCode::INTERNAL_SERVER_ERROR, "seeding failed".into()))?;
    Ok(axum::Json(report))
}

pub(super) async fn export(State(state): State<AppState>) -> axum::Json<Value> {
    axum::Json(export_state(&state.read_db()))
}
