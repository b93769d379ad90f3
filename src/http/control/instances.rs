//! The instances one server holds: list them with their counts, add one at run time, read or
//! drop one. Every other control route is also served for one instance under
//! `/_mock/instances/{clientId}/...` (the front guard routes those).

use axum::body::Bytes;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ControlError, bad_request, not_found, parse_body};
use crate::config::InstanceSpec;
use crate::http::extract::{Segment, Server};
use crate::instances::{InstanceError, InstanceSummary};

/// Every instance, and how the server admits new ones.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct InstanceList {
    default_client_id: String,
    /// Whether an unknown client id gets an instance of its own.
    open_instances: bool,
    instances: Vec<InstanceSummary>,
}

pub(super) async fn list(Server(instances): Server) -> axum::Json<InstanceList> {
    axum::Json(InstanceList {
        default_client_id: instances.default_id().to_owned(),
        open_instances: instances.config().open_instances,
        instances: instances.summaries(),
    })
}

/// `{"clientId", "clientSecret", "munchkinId"?, "fixtures"?, "seed"?}`; 201 with the instance,
/// 409 when the client id is taken.
pub(super) async fn create(
    Server(instances): Server,
    body: Bytes,
) -> Result<(StatusCode, axum::Json<InstanceSummary>), ControlError> {
    let spec: InstanceSpec = parse_body(&body)?;
    let client_id = spec.client_id.clone();
    let made = tokio::task::spawn_blocking({
        let instances = instances.clone();
        move || instances.create(spec)
    })
    .await
    .map_err(|_| ControlError(StatusCode::INTERNAL_SERVER_ERROR, "creating failed".into()))?;
    match made {
        Ok(()) => Ok((
            StatusCode::CREATED,
            axum::Json(summary(&instances, &client_id)?),
        )),
        Err(error @ InstanceError::Exists(_)) => {
            Err(ControlError(StatusCode::CONFLICT, error.to_string()))
        }
        Err(error) => Err(bad_request(error.to_string())),
    }
}

fn summary(
    instances: &crate::instances::Instances,
    client_id: &str,
) -> Result<InstanceSummary, ControlError> {
    instances
        .summary(client_id)
        .ok_or_else(|| not_found(format!("no instance '{client_id}'")))
}

pub(super) async fn one(
    Server(instances): Server,
    Segment(client_id): Segment,
) -> Result<axum::Json<InstanceSummary>, ControlError> {
    Ok(axum::Json(summary(&instances, &client_id)?))
}

/// Drops an instance; its tokens answer 601 from then on. The default one stays.
pub(super) async fn remove(
    Server(instances): Server,
    Segment(client_id): Segment,
) -> Result<StatusCode, ControlError> {
    if client_id == instances.default_id() {
        return Err(bad_request("the default instance cannot be dropped"));
    }
    if instances.remove(&client_id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(format!("no instance '{client_id}'")))
    }
}
