//! Bulk custom object import: `POST /bulk/v1/customobjects/{apiName}/import.json` and the
//! batch's status, failures and warnings under the same object name.

use axum::extract::Request;
use axum::response::Response;
use serde::Serialize;

use super::batch::{ObjectStatus, RESULT_FILE, ResultKind, batch_id, find, result_file, submit};
use super::envelope::{RequestId, marketo, success};
use super::extract::{Authorized, Segment};
use super::guard::with_batch;
use super::registry::{Answer, Api, BodyKind, Tag};
use super::upload::Upload;
use crate::error::ApiError;
use crate::import::{ImportRequest, ObjectParams};
use crate::jobs::{ImportKind, Job, JobParams, JobStatus};
use crate::state::AppState;

pub fn routes() -> Api {
    Api::new(Tag::BulkCustomObjects)
        .post(
            "/bulk/v1/customobjects/{apiName}/import.json",
            "Import custom objects",
            BodyKind::Upload,
            create,
        )
        .params::<ObjectParams>()
        .request::<Upload>()
        .answers(marketo::<Created>())
        .get(
            "/bulk/v1/customobjects/{apiName}/import/{batchId}/status.json",
            "Get import custom object status",
            status,
        )
        .answers(marketo::<ObjectStatus>())
        .get(
            "/bulk/v1/customobjects/{apiName}/import/{batchId}/failures.json",
            "Get import custom object failures",
            |_: Authorized,
             state: AppState,
             Segment((api, batch)): Segment<(String, String)>| async move {
                result_file(&*object_batch(&state, &api, &batch)?, ResultKind::Failures)
            },
        )
        .answers(Answer::Text(RESULT_FILE))
        .get(
            "/bulk/v1/customobjects/{apiName}/import/{batchId}/warnings.json",
            "Get import custom object warnings",
            |_: Authorized,
             state: AppState,
             Segment((api, batch)): Segment<(String, String)>| async move {
                result_file(&*object_batch(&state, &api, &batch)?, ResultKind::Warnings)
            },
        )
        .answers(Answer::Text(RESULT_FILE))
}

/// The create answer, as Marketo's example shows it (no `operation` yet).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ObjectCreated)]
struct Created {
    batch_id: u32,
    status: JobStatus,
    object_api_name: String,
}

async fn create(
    state: AppState,
    request_id: RequestId,
    Segment(api_name): Segment,
    request: Request,
) -> Result<Response, ApiError> {
    let upload = Upload::read(&state, request).await?;
    let params = ObjectParams {
        format: upload.params.get("format").map(str::to_owned),
    };
    let request = ImportRequest::CustomObjects {
        api_name: api_name.clone(),
        params,
    };
    let job = submit(&state, request, upload.file)?;
    let created = Created {
        batch_id: job.id,
        status: job.snapshot().status,
        object_api_name: api_name,
    };
    Ok(with_batch(success(&request_id, &[created]), job.id))
}

/// A batch of this object type; a batch of another type is not found.
fn object_batch(
    state: &AppState,
    api_name: &str,
    batch: &str,
) -> Result<std::sync::Arc<Job>, ApiError> {
    let job = find(state, batch_id(batch)?, ImportKind::CustomObjects)?;
    match &job.params {
        JobParams::CustomObjects(params) if params.object_api_name == api_name => Ok(job),
        _ => Err(ApiError::ObjectNotFound),
    }
}

async fn status(
    _: Authorized,
    state: AppState,
    request_id: RequestId,
    Segment((api_name, batch)): Segment<(String, String)>,
) -> Result<Response, ApiError> {
    let job = object_batch(&state, &api_name, &batch)?;
    let status = ObjectStatus::of(&job, &api_name, &state.clock);
    Ok(with_batch(success(&request_id, &[status]), job.id))
}
