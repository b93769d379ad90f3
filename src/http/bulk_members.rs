//! Bulk program member import: `POST /bulk/v1/program/{programId}/members/import.json` and
//! `GET /bulk/v1/program/members/import/{batchId}/...` (no program id, `program` singular).

use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::json;

use super::batch::{Created, LeadStatus, ResultKind, find, format_param, result_file};
use super::envelope::{RequestId, success};
use super::extract::{Authorized, Segment, number_segment};
use super::guard::with_batch;
use super::registry::{Api, BodyKind, Tag};
use super::upload::Upload;
use crate::error::ApiError;
use crate::import::driver::open_upload;
use crate::import::members::plan;
use crate::jobs::ImportKind;
use crate::state::AppState;

pub fn routes() -> Api {
    Api::new(Tag::BulkProgramMembers)
        .post(
            "/bulk/v1/program/{programId}/members/import.json",
            "Import program members",
            BodyKind::Upload,
            create,
        )
        .get(
            "/bulk/v1/program/members/import/{batchId}/status.json",
            "Get import program member status",
            status,
        )
        .get(
            "/bulk/v1/program/members/import/{batchId}/failures.json",
            "Get import program member failures",
            failures,
        )
        .get(
            "/bulk/v1/program/members/import/{batchId}/warnings.json",
            "Get import program member warnings",
            warnings,
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

async fn status(
    _: Authorized,
    State(state): State<AppState>,
    request_id: RequestId,
    Segment(batch): Segment,
) -> Result<Response, ApiError> {
    let job = find(&state, number_segment(&batch)?, ImportKind::ProgramMembers)?;
    Ok(with_batch(
        success(&request_id, &[LeadStatus::of(&job)]),
        job.id,
    ))
}

async fn failures(
    _: Authorized,
    State(state): State<AppState>,
    Segment(batch): Segment,
) -> Result<Response, ApiError> {
    result_file(
        &*find(&state, number_segment(&batch)?, ImportKind::ProgramMembers)?,
        ResultKind::Failures,
    )
}

async fn warnings(
    _: Authorized,
    State(state): State<AppState>,
    Segment(batch): Segment,
) -> Result<Response, ApiError> {
    result_file(
        &*find(&state, number_segment(&batch)?, ImportKind::ProgramMembers)?,
        ResultKind::Warnings,
    )
}
