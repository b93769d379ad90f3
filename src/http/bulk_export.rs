//! Bulk extract: create, enqueue, status, file, cancel and list of export jobs, at
//! `/bulk/v1/leads/export/...`, `/bulk/v1/activities/export/...`,
//! `/bulk/v1/program/members/export/...` and `/bulk/v1/customobjects/{apiName}/export/...`. One handler per operation serves every type;
//! the path says which.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Path, Request};
use axum::http::{HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::envelope::{RequestId, listing, marketo, success};
use super::extract::{Authorized, Params};
use super::paging::Page;
use super::range::{RangeHeader, Served, serve};
use super::registry::{Answer, Api, BodyKind, Tag};
use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::export::plan::plan;
use crate::export::{ExportJob, ExportKind, ExportStatus};
use crate::format::Format;
use crate::state::AppState;

/// The content type of a CSV or SSV export file.
const CSV_FILE: &str = "text/csv; charset=UTF-8";

/// Largest create body read; a real one is a few hundred bytes.
const MAX_BODY_BYTES: usize = 1024 * 1024;

pub fn routes() -> Api {
    Api::new(Tag::BulkExtract)
        .merge(type_routes([
            (
                "/bulk/v1/leads/export/create.json",
                "Create Export Lead Job",
            ),
            (
                "/bulk/v1/leads/export/{exportId}/enqueue.json",
                "Enqueue Export Lead Job",
            ),
            (
                "/bulk/v1/leads/export/{exportId}/status.json",
                "Get Export Lead Job Status",
            ),
            (
                "/bulk/v1/leads/export/{exportId}/file.json",
                "Get Export Lead File",
            ),
            (
                "/bulk/v1/leads/export/{exportId}/cancel.json",
                "Cancel Export Lead Job",
            ),
            ("/bulk/v1/leads/export.json", "Get Export Lead Jobs"),
        ]))
        .merge(type_routes([
            (
                "/bulk/v1/program/members/export/create.json",
                "Create Export Program Member Job",
            ),
            (
                "/bulk/v1/program/members/export/{exportId}/enqueue.json",
                "Enqueue Export Program Member Job",
            ),
            (
                "/bulk/v1/program/members/export/{exportId}/status.json",
                "Get Export Program Member Job Status",
            ),
            (
                "/bulk/v1/program/members/export/{exportId}/file.json",
                "Get Export Program Member File",
            ),
            (
                "/bulk/v1/program/members/export/{exportId}/cancel.json",
                "Cancel Export Program Member Job",
            ),
            (
                "/bulk/v1/program/members/export.json",
                "Get Export Program Member Jobs",
            ),
        ]))
        .merge(type_routes([
            (
                "/bulk/v1/activities/export/create.json",
                "Create Export Activity Job",
            ),
            (
                "/bulk/v1/activities/export/{exportId}/enqueue.json",
                "Enqueue Export Activity Job",
            ),
            (
                "/bulk/v1/activities/export/{exportId}/status.json",
                "Get Export Activity Job Status",
            ),
            (
                "/bulk/v1/activities/export/{exportId}/file.json",
                "Get Export Activity File",
            ),
            (
                "/bulk/v1/activities/export/{exportId}/cancel.json",
                "Cancel Export Activity Job",
            ),
            (
                "/bulk/v1/activities/export.json",
                "Get Export Activity Jobs",
            ),
        ]))
        .merge(type_routes([
            (
                "/bulk/v1/customobjects/{apiName}/export/create.json",
                "Create Export Custom Object Job",
            ),
            (
                "/bulk/v1/customobjects/{apiName}/export/{exportId}/enqueue.json",
                "Enqueue Export Custom Object Job",
            ),
            (
                "/bulk/v1/customobjects/{apiName}/export/{exportId}/status.json",
                "Get Export Custom Object Job Status",
            ),
            (
                "/bulk/v1/customobjects/{apiName}/export/{exportId}/file.json",
                "Get Export Custom Object File",
            ),
            (
                "/bulk/v1/customobjects/{apiName}/export/{exportId}/cancel.json",
                "Cancel Export Custom Object Job",
            ),
            (
                "/bulk/v1/customobjects/{apiName}/export.json",
                "Get Export Custom Object Jobs",
            ),
        ]))
}

type Route = (&'static str, &'static str);

/// The six operations of one export type: create, enqueue, status, file, cancel and list,
/// each a path and Marketo's summary.
fn type_routes(
    [
        create_op,
        enqueue_op,
        status_op,
        file_op,
        cancel_op,
        list_op,
    ]: [Route; 6],
) -> Api {
    Api::new(Tag::BulkExtract)
        .post(create_op.0, create_op.1, BodyKind::Json, create)
        .answers(marketo::<ExportView>())
        .post(enqueue_op.0, enqueue_op.1, BodyKind::None, enqueue)
        .answers(marketo::<ExportView>())
        .get(status_op.0, status_op.1, status)
        .answers(marketo::<ExportView>())
        .get(file_op.0, file_op.1, file)
        .params::<RangeHeader>()
        .answers(Answer::Text(CSV_FILE))
        .post(cancel_op.0, cancel_op.1, BodyKind::None, cancel)
        .answers(marketo::<ExportView>())
        .get(list_op.0, list_op.1, list)
        .params::<StatusFilter>()
        .params::<Page>()
        .answers(marketo::<ExportView>())
}

/// The export type a path names, and the `exportId` in it, if any.
pub struct ExportPath {
    kind: ExportKind,
    export_id: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for ExportPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<ExportPath, ApiError> {
        // Routes without a capture have no parameters, which axum reports as an error.
        let params = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Path(params)| params)
            .unwrap_or_default();
        let path = parts.uri.path();
        let kind = if path.starts_with("/bulk/v1/leads/") {
            ExportKind::Leads
        } else if path.starts_with("/bulk/v1/activities/") {
            ExportKind::Activities
        } else if path.starts_with("/bulk/v1/program/") {
            ExportKind::ProgramMembers
        } else {
            let api_name = params.get("apiName").ok_or(ApiError::ResourceNotFound)?;
            ExportKind::CustomObjects(api_name.clone())
        };
        Ok(ExportPath {
            kind,
            export_id: params.get("exportId").cloned(),
        })
    }
}

impl ExportPath {
    /// The job the path names; an id that is no job of this type is Marketo's 1013.
    fn job(&self, state: &AppState) -> Result<Arc<ExportJob>, ApiError> {
        self.export_id
            .as_deref()
            .and_then(|id| Uuid::parse_str(id).ok())
            .and_then(|id| state.exports.job(id, &self.kind))
            .ok_or(ApiError::ExportNotFound)
    }
}

/// A job as Marketo's answers show it: members in Marketo's order, those without a value
/// left out.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportView {
    export_id: String,
    format: &'static str,
    status: &'static str,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    queued_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    started_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    finished_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    number_of_records: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_checksum: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_msg: Option<String>,
}

/// `CSV`, `TSV` or `SSV`, as answers write the format.
pub fn format_name(format: Format) -> &'static str {
    match format {
        Format::Csv => "CSV",
        Format::Tsv => "TSV",
        Format::Ssv => "SSV",
    }
}

impl ExportView {
    pub fn of(job: &ExportJob) -> ExportView {
        let snapshot = job.snapshot();
        let time = |t: Option<Timestamp>| t.map(Timestamp::to_marketo);
        let file = snapshot.file.as_deref();
        ExportView {
            export_id: job.id.to_string(),
            format: format_name(job.plan.format),
            status: snapshot.status.name(),
            created_at: job.created_at.to_marketo(),
            queued_at: time(snapshot.queued_at),
            started_at: time(snapshot.started_at),
            // A cancelled job keeps the times it reached; only an end has a finish time.
            finished_at: time(snapshot.finished_at),
            number_of_records: file.map(|file| file.records),
            file_size: file.map(|file| file.size()),
            file_checksum: file.map(|file| file.checksum.clone()),
            error_msg: snapshot.error_msg,
        }
    }
}

/// Names the export in the response, for the request journal.
fn answer(job: &ExportJob, request_id: &RequestId) -> Response {
    super::guard::with_export(success(request_id, &[ExportView::of(job)]), job.id)
}

async fn create(
    _: Authorized,
    state: AppState,
    request_id: RequestId,
    path: ExportPath,
    request: Request,
) -> Result<Response, ApiError> {
    let body = to_bytes(request.into_body(), MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            ApiError::InvalidData(format!(
                "The request body is larger than {MAX_BODY_BYTES} bytes"
            ))
        })?;
    let body: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| ApiError::InvalidJson)?;
    let plan = plan(&path.kind, &body, &state.read_db())?;
    let job = state.exports.create(path.kind, plan)?;
    Ok(answer(&job, &request_id))
}

async fn enqueue(
    _: Authorized,
    state: AppState,
    request_id: RequestId,
    path: ExportPath,
) -> Result<Response, ApiError> {
    let job = path.job(&state)?;
    state.exports.enqueue(&job)?;
    Ok(answer(&job, &request_id))
}

async fn status(
    _: Authorized,
    state: AppState,
    request_id: RequestId,
    path: ExportPath,
) -> Result<Response, ApiError> {
    Ok(answer(&*path.job(&state)?, &request_id))
}

async fn cancel(
    _: Authorized,
    state: AppState,
    request_id: RequestId,
    path: ExportPath,
) -> Result<Response, ApiError> {
    let job = path.job(&state)?;
    state.exports.cancel(&job)?;
    Ok(answer(&job, &request_id))
}

/// The file of a completed job, whole or the one range asked; anything else is a plain-text
/// 404, as Marketo answers before a file exists.
async fn file(_: Authorized, state: AppState, path: ExportPath, request: Request) -> Response {
    let Some((job, file)) = path
        .job(&state)
        .ok()
        .and_then(|job| Some((job.clone(), state.exports.file(&job)?)))
    else {
        let mut response = (StatusCode::NOT_FOUND, "File not found").into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=UTF-8"),
        );
        return response;
    };
    let RangeHeader { range } = RangeHeader::read(request.headers());
    let size = file.size();
    let content_type = match job.plan.format {
        Format::Tsv => "text/tab-separated-values; charset=UTF-8",
        Format::Csv | Format::Ssv => CSV_FILE,
    };
    // The file's bytes are shared, never copied: a slice of them is the body.
    let (status, body, content_range) = match serve(range.as_deref(), size) {
        Served::Whole => (StatusCode::OK, file.bytes.clone(), None),
        Served::Part { start, end } => (
            StatusCode::PARTIAL_CONTENT,
            file.bytes.slice(start as usize..=end as usize),
            Some(format!("bytes {start}-{end}/{size}")),
        ),
        Served::Unsatisfiable => (
            StatusCode::RANGE_NOT_SATISFIABLE,
            bytes::Bytes::new(),
            Some(format!("bytes */{size}")),
        ),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(value) = content_range.and_then(|text| HeaderValue::from_str(&text).ok()) {
        headers.insert(header::CONTENT_RANGE, value);
    }
    super::guard::with_export(response, job.id)
}

/// The `status` filter of a job listing.
#[derive(IntoParams)]
pub struct StatusFilter {
    /// Statuses to keep, a comma list or the parameter repeated, in any case; every job when
    /// absent.
    #[param(value_type = Option<Vec<String>>, style = Form, explode)]
    pub status: Vec<ExportStatus>,
}

impl StatusFilter {
    fn read(query: &Params) -> Result<StatusFilter, ApiError> {
        let status = match query.get_list("status") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(|name| {
                    ExportStatus::parse(name).ok_or_else(|| ApiError::InvalidValue {
                        value: name.to_owned(),
                        expected: "Created, Queued, Processing, Completed, Failed, Cancelled",
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(StatusFilter { status })
    }
}

/// Jobs of this type created in the last seven days, oldest first, of the statuses asked.
async fn list(
    auth: Authorized,
    state: AppState,
    request_id: RequestId,
    path: ExportPath,
) -> Result<Response, ApiError> {
    let wanted = StatusFilter::read(&auth.query)?.status;
    let jobs: Vec<Arc<ExportJob>> = state
        .exports
        .list(&path.kind)
        .into_iter()
        .filter(|job| wanted.is_empty() || wanted.contains(&job.status()))
        .collect();
    let (page, next) = Page::from_params(&auth.query)?.take(&jobs);
    let views: Vec<ExportView> = page.iter().map(|job| ExportView::of(job)).collect();
    // `nextPageToken` only while more jobs remain, and never `moreResult`.
    Ok(listing(&request_id, Some(&views), next.as_deref(), None))
}
