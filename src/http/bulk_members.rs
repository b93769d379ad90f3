//! Bulk program member import: `POST /bulk/v1/program/{programId}/members/import.json` and
//! `GET /bulk/v1/program/members/import/{batchId}/...` (no program id, `program` singular).

use axum::extract::Request;
use axum::response::Response;
use serde_json::json;

use super::batch::{Created, ResultKind, batch_file, batch_id, format_param, lead_style_status};
use super::envelope::{RequestId, success};
use super::extract::{Authorized, Segment};
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
            |_: Authorized,
             state: AppState,
             request_id: RequestId,
             Segment(batch): Segment| async move {
                lead_style_status(
                    &state,
                    &request_id,
                    batch_id(&batch)?,
                    ImportKind::ProgramMembers,
                )
            },
        )
        .get(
            "/bulk/v1/program/members/import/{batchId}/failures.json",
            "Get import program member failures",
            |_: Authorized, state: AppState, Segment(batch): Segment| async move {
                batch_file(
                    &state,
                    &batch,
                    ImportKind::ProgramMembers,
                    ResultKind::Failures,
                )
            },
        )
        .get(
            "/bulk/v1/program/members/import/{batchId}/warnings.json",
            "Get import program member warnings",
            |_: Authorized, state: AppState, Segment(batch): Segment| async move {
                batch_file(
                    &state,
                    &batch,
                    ImportKind::ProgramMembers,
                    ResultKind::Warnings,
                )
            },
        )
}

async fn create(
    state: AppState,
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
