//! Bulk program member import: `POST /bulk/v1/program/{programId}/members/import.json` and
//! `GET /bulk/v1/program/members/import/{batchId}/...` (no program id, `program` singular).

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use super::batch::{Created, LeadStatus, ResultKind, find, format_param, result_file};
use super::envelope::{RequestId, success};
use super::extract::{Authorized, Segment, number_segment};
use super::guard::with_batch;
use super::upload::Upload;
use crate::error::ApiError;
use crate::import::driver::open_upload;
use crate::import::members::plan;
use crate::jobs::ImportKind;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/bulk/v1/program/{program}/members/import.json",
            post(create),
        )
        .route(
            "/bulk/v1/program/members/import/{batch}/{file}",
            get(batch_file),
        )
}

async fn create(
    State(state): State<AppState>,
    request_id: RequestId,
    Segment(program): Segment,
    request: Request,
) -> Result<Response, ApiError> {
    let upload = Upload::read(&state, request).await?;
    let status = upload.params.get("programMemberStatus");
    let program_known = program
        .parse()
        .ok()
        .is_some_and(|id| state.read_db().programs.program(id).is_some());
    if !program_known {
        return Err(ApiError::ObjectNotFound("Program not found"));
    }
    let format = format_param(upload.params.get("format"))?;
    let file = upload.file.ok_or(ApiError::MissingParameter("file"))?;
    let (header, rows) = open_upload(file, format)?;
    let work = plan(
        &state.read_db(),
        &program,
        status,
        format,
        &header,
        rows,
        state.import_context(ImportKind::ProgramMembers),
    )?;
    let shown = json!({ "format": format, "programId": program, "programMemberStatus": status });
    let job = state
        .engine
        .submit(ImportKind::ProgramMembers, shown, Box::new(work))?;
    Ok(with_batch(
        success(&request_id, &[Created::of(&job)]),
        job.id,
    ))
}

/// `status.json`, `failures.json` or `warnings.json`.
async fn batch_file(
    _: Authorized,
    State(state): State<AppState>,
    request_id: RequestId,
    Segment((batch, file)): Segment<(String, String)>,
) -> Result<Response, ApiError> {
    let job = find(&state, number_segment(&batch)?, ImportKind::ProgramMembers)?;
    if file == "status.json" {
        return Ok(with_batch(
            success(&request_id, &[LeadStatus::of(&job)]),
            job.id,
        ));
    }
    result_file(
        &job,
        ResultKind::from_segment(&file).ok_or(ApiError::ResourceNotFound)?,
    )
}
