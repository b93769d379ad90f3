//! Fault rules, Marketo's call limits, and expiring tokens on demand.

use axum::body::Bytes;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{ControlError, bad_request, not_found, parse_body};
use crate::faults::FaultRule;
use crate::http::extract::Segment;
use crate::limits::CallLimits;
use crate::state::AppState;

pub(super) async fn list(state: AppState) -> axum::Json<Value> {
    axum::Json(json!({ "faults": state.faults.list() }))
}

/// Adds a rule; answers 201 with the rule and its `id`.
pub(super) async fn add(
    state: AppState,
    body: Bytes,
) -> Result<(StatusCode, axum::Json<Value>), ControlError> {
    let spec: FaultRule = parse_body(&body)?;
    let rule = state
        .faults
        .add(spec)
        .map_err(|error| bad_request(error.to_string()))?;
    Ok((StatusCode::CREATED, axum::Json(json!(rule))))
}

pub(super) async fn remove(
    state: AppState,
    Segment(id): Segment,
) -> Result<StatusCode, ControlError> {
    let id: u64 = id
        .parse()
        .map_err(|_| bad_request(format!("'{id}' is not a fault id")))?;
    if state.faults.remove(id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(format!("no fault {id}")))
    }
}

pub(super) async fn clear(state: AppState) -> StatusCode {
    state.faults.clear();
    StatusCode::NO_CONTENT
}

/// The settings, and what is in use now.
pub(super) async fn limits(state: AppState) -> axum::Json<Value> {
    let mut view = json!(state.limits.settings());
    view["usage"] = json!(state.limits.usage(state.clock.now()));
    axum::Json(view)
}

/// `{"rateLimit": 100, "rateWindowSecs": 20, "concurrencyLimit": 10, "dailyQuota": 50000}`;
/// a limit left out or `null` is off.
pub(super) async fn set_limits(
    state: AppState,
    body: Bytes,
) -> Result<axum::Json<CallLimits>, ControlError> {
    let settings: CallLimits = parse_body(&body)?;
    if settings.rate_window_secs == 0 {
        return Err(bad_request("rateWindowSecs must be at least 1"));
    }
    state.limits.set(settings);
    Ok(axum::Json(settings))
}

pub(super) async fn expire_tokens(state: AppState) -> StatusCode {
    state.tokens.expire_all();
    StatusCode::NO_CONTENT
}
