//! The state itself: the request journal, reset, seeding and export.

use axum::body::Bytes;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::{ControlError, parse_body};
use crate::http::extract::{Params, Server};
use crate::instances::{InstanceError, Instances};
use crate::journal::Entry;
use crate::seed::{Records, SeedReport, export as export_state, seed as seed_state};
use crate::state::AppState;

/// The journal of emulated calls, oldest first.
#[derive(Serialize, ToSchema)]
pub(super) struct Requests {
    requests: Vec<Entry>,
}

pub(super) async fn requests(state: AppState) -> axum::Json<Requests> {
    axum::Json(Requests {
        requests: state.journal.entries(),
    })
}

/// What a reset forgets.
#[derive(IntoParams)]
pub(super) struct ResetScope {
    /// `true` resets every instance, not only the one addressed.
    #[param(value_type = Option<bool>)]
    all: bool,
}

impl ResetScope {
    fn read(params: &Params) -> ResetScope {
        ResetScope {
            all: params
                .get("all")
                .is_some_and(|all| all.eq_ignore_ascii_case("true")),
        }
    }
}

pub(super) async fn clear_requests(state: AppState) -> StatusCode {
    state.journal.clear();
    StatusCode::NO_CONTENT
}

/// Forgets everything of an instance and reloads its fixtures, without a restart: the
/// default instance, the one of the `/_mock/instances/{clientId}` prefix, or with `?all=true`
/// every instance.
pub(super) async fn reset(
    state: AppState,
    Server(instances): Server,
    request: axum::extract::Request,
) -> Result<StatusCode, ControlError> {
    let params = Params::from_query_str(request.uri().query().unwrap_or_default());
    let all = ResetScope::read(&params).all;
    reset_instances(&instances, (!all).then(|| state.client_id()))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Resets one instance, or every one when `client_id` is `None`; the reset route and the Rust
/// API both reset here.
pub(crate) fn reset_instances(
    instances: &Instances,
    client_id: Option<&str>,
) -> Result<(), ControlError> {
    let outcome = match client_id {
        Some(client_id) => instances.reset(client_id).map(drop),
        None => instances.reset_all(),
    };
    outcome.map_err(|error: InstanceError| {
        ControlError(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
    })
}

/// Upserts records as an import would; reports each one.
pub(super) async fn seed(
    state: AppState,
    body: Bytes,
) -> Result<axum::Json<SeedReport>, ControlError> {
    let request: Records = parse_body(&body)?;
    Ok(axum::Json(seed_off_thread(state, request).await?))
}

/// Seeds on a blocking thread, since a large seed is real work; the seed route and the Rust
/// API both seed here.
pub(crate) async fn seed_off_thread(
    state: AppState,
    request: Records,
) -> Result<SeedReport, ControlError> {
    tokio::task::spawn_blocking(move || seed_state(&state, request))
        .await
        .map_err(|_| ControlError(StatusCode::INTERNAL_SERVER_ERROR, "seeding failed".into()))
}

pub(super) async fn export(state: AppState) -> axum::Json<Value> {
    axum::Json(export_state(&state.read_db()))
}
