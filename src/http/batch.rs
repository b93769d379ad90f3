//! What the three import types share over HTTP: finding a batch, queue admission and serving
//! its failures and warnings files.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;

use crate::error::ApiError;
use crate::jobs::engine::QueueFull;
use crate::jobs::{BatchId, ImportKind, Job, ResultFiles};
use crate::state::AppState;

/// A retained batch of the given kind; any other id is Marketo's 1013.
pub fn find(state: &AppState, id: BatchId, kind: ImportKind) -> Result<Arc<Job>, ApiError> {
    state
        .engine
        .job(id)
        .filter(|job| job.kind == kind)
        .ok_or(ApiError::ObjectNotFound("Object not found"))
}

impl From<QueueFull> for ApiError {
    fn from(full: QueueFull) -> ApiError {
        ApiError::TooManyImports(full.limit)
    }
}

/// Which result file a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultKind {
    Failures,
    Warnings,
}

/// Serves a result file as Marketo does: CSV-typed text, or HTTP 404 when the batch has none.
pub fn result_file(job: &Job, which: ResultKind) -> Result<Response, ApiError> {
    let pick = |files: &ResultFiles| match which {
        ResultKind::Failures => files.failures.clone(),
        ResultKind::Warnings => files.warnings.clone(),
    };
    let name = match which {
        ResultKind::Failures => "failures",
        ResultKind::Warnings => "warnings",
    };
    let bytes: Bytes = job
        .files()
        .and_then(pick)
        .ok_or(ApiError::NoSuchFile(name))?;
    let mut response = Response::new(Body::from(bytes));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv;charset=UTF-8"),
    );
    Ok(response)
}
