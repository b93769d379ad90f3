//! Fault rules, Marketo's call limits, and expiring tokens on demand.

use axum::body::Bytes;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ControlError, bad_request, not_found, parse_body};
use crate::faults::{FaultRule, Rule};
use crate::http::extract::Segment;
use crate::limits::{CallLimits, Usage};
use crate::state::AppState;

/// The active fault rules, oldest first.
#[derive(Serialize, ToSchema)]
pub(super) struct FaultList {
    faults: Vec<Rule>,
}

pub(super) async fn list(state: AppState) -> axum::Json<FaultList> {
    axum::Json(FaultList {
        faults: state.faults.list(),
    })
}

/// Adds a rule; answers 201 with the rule and its `id`.
pub(super) async fn add(
    state: AppState,
    body: Bytes,
) -> Result<(StatusCode, axum::Json<Rule>), ControlError> {
    let spec: FaultRule = parse_body(&body)?;
    let rule = state
        .faults
        .add(spec)
        .map_err(|error| bad_request(error.to_string()))?;
    Ok((StatusCode::CREATED, axum::Json(rule)))
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
#[derive(Serialize, ToSchema)]
pub(super) struct LimitsView {
    #[serde(flatten)]
    settings: CallLimits,
    usage: Usage,
}

pub(super) async fn limits(state: AppState) -> axum::Json<LimitsView> {
    axum::Json(LimitsView {
        settings: state.limits.settings(),
        usage: state.limits.usage(state.clock.now()),
    })
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
