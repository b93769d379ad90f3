//! The mock's clock and job timing.

use std::time::Duration;

use axum::body::Bytes;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ControlError, bad_request, parse_body};
use crate::clock::ClockMode;
use crate::jobs::Timing;
use crate::state::AppState;

/// The clock's mode and its time.
#[derive(Serialize, ToSchema)]
pub(super) struct ClockView {
    mode: ClockMode,
    /// RFC 3339.
    now: String,
}

fn clock_view(state: &AppState) -> axum::Json<ClockView> {
    axum::Json(ClockView {
        mode: state.clock.mode(),
        now: state.clock.now().to_rfc3339(),
    })
}

pub(super) async fn clock(state: AppState) -> axum::Json<ClockView> {
    clock_view(&state)
}

#[derive(Deserialize, ToSchema)]
pub(super) struct ClockChange {
    mode: ClockMode,
}

pub(super) async fn set_clock(
    state: AppState,
    body: Bytes,
) -> Result<axum::Json<ClockView>, ControlError> {
    let change: ClockChange = parse_body(&body)?;
    state.clock.set_mode(change.mode);
    Ok(clock_view(&state))
}

/// Exactly one of the two.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Advance {
    seconds: Option<u64>,
    milliseconds: Option<u64>,
}

pub(super) async fn advance_clock(
    state: AppState,
    body: Bytes,
) -> Result<axum::Json<ClockView>, ControlError> {
    let advance: Advance = parse_body(&body)?;
    let millis = match (advance.seconds, advance.milliseconds) {
        (Some(seconds), None) => seconds.saturating_mul(1000),
        (None, Some(millis)) => millis,
        _ => {
            return Err(bad_request(
                "give exactly one of \"seconds\" or \"milliseconds\"",
            ));
        }
    };
    state.clock.advance(Duration::from_millis(millis));
    Ok(clock_view(&state))
}

pub(super) async fn timing(state: AppState) -> axum::Json<Timing> {
    axum::Json(state.engine.timing())
}

/// `{"queueDelayMs": N, "rowsPerSecond": N}`, or `{"preset": "marketo"}` (or `"instant"`).
#[derive(Deserialize, ToSchema)]
#[serde(untagged, deny_unknown_fields)]
pub(super) enum TimingChange {
    Preset { preset: String },
    Values(Timing),
}

pub(super) async fn set_timing(
    state: AppState,
    body: Bytes,
) -> Result<axum::Json<Timing>, ControlError> {
    let timing = match parse_body(&body)? {
        TimingChange::Values(timing) => timing,
        TimingChange::Preset { preset } => Timing::preset(&preset).ok_or_else(|| {
            bad_request(format!(
                "unknown preset '{preset}': use \"instant\" or \"marketo\""
            ))
        })?,
    };
    state.set_timing(timing);
    Ok(axum::Json(timing))
}
