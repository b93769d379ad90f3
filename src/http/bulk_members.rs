//! Bulk program member import: `POST /bulk/v1/program/{programId}/members/import.json` and
//! `GET /bulk/v1/program/members/import/{batchId}/...` (no program id, `program` singular).

use axum::extract::Request;
use axum::response::Response;
use serde_json::json;

use super::batch::{
    Created, LeadStatus, MemberParams, RESULT_FILE, ResultKind, batch_file, batch_id,
    lead_style_status,
};
use super::envelope::{RequestId, marketo, success};
use super::extract::{Authorized, Segment};
use super::guard::with_batch;
use super::registry::{Answer, Api, BodyKind, Tag};
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
        .params::<MemberParams>()
        .request::<Upload>()
        .answers(marketo::<Created>())
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
        .answers(marketo::<LeadStatus>())
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
        .answers(Answer::Text(RESULT_FILE))
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
        .answers(Answer::Text(RESULT_FILE))
}

async fn create(
    state: AppState,
    request_id: RequestId,
    Segment(program): Segment,
    request: Request,
) -> Result<Response, ApiError> {
    let upload = Upload::read(&state, request).await?;
    let MemberParams {
        format,
        program_member_status: status,
    } = MemberParams::read(&upload.params)?;
    let program_known = program
        .parse()
        .ok()
        .is_some_and(|id| state.read_db().programs.program(id).is_some());
    if !program_known {
        return Err(ApiError::ProgramNotFound);
    }
    let file = upload.file.ok_or(ApiError::MissingParameter("file"))?;
    let (header, rows) = open_upload(file, format)?;
    let work = plan(
        &state.read_db(),
        &program,
        status.as_deref(),
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
