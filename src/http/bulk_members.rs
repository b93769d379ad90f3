//! Bulk program member import: `POST /bulk/v1/program/{programId}/members/import.json` and
//! `GET /bulk/v1/program/members/import/{batchId}/...` (no program id, `program` singular).

use axum::extract::Request;
use axum::response::Response;

use super::batch::{
    Created, LeadStatus, RESULT_FILE, ResultKind, batch_file, batch_id, lead_style_status, submit,
};
use super::envelope::{RequestId, marketo, success};
use super::extract::{Authorized, Segment};
use super::guard::with_batch;
use super::registry::{Answer, Api, BodyKind, Tag};
use super::upload::Upload;
use crate::error::ApiError;
use crate::import::{ImportRequest, MemberParams};
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
    let params = MemberParams {
        format: upload.params.get("format").map(str::to_owned),
        program_member_status: upload.params.get("programMemberStatus").map(str::to_owned),
    };
    let request = ImportRequest::ProgramMembers {
        program_id: program,
        params,
    };
    let job = submit(&state, request, upload.file)?;
    Ok(with_batch(
        success(&request_id, &[Created::of(&job)]),
        job.id,
    ))
}
