//! The one way in to an import: a request of any of the three kinds, as the caller read it, is
//! checked against the store by [`prepare`] and comes out as a job's typed parameters and its
//! work, or as the Marketo error that refuses it.

use std::sync::{Arc, PoisonError};

use bytes::Bytes;

pub use super::driver::RowWork;
use super::driver::{ImportContext, RowImport, RowTarget};
use super::params::{LeadParams, MemberParams, ObjectParams};
use super::{leads, members, objects};
use crate::error::ApiError;
use crate::jobs::JobParams;

/// An import of any kind, with its parameters as the request gave them: [`prepare`] checks
/// them, so every caller refuses a bad one with the same error.
#[derive(Debug, Clone)]
pub enum ImportRequest {
    Leads(LeadParams),
    /// `api_name` is the path's object name.
    CustomObjects {
        api_name: String,
        params: ObjectParams,
    },
    /// `program_id` is the path's program id.
    ProgramMembers {
        program_id: String,
        params: MemberParams,
    },
}

/// An import that passed every check made before a job exists.
pub struct PreparedImport {
    pub params: JobParams,
    pub work: Box<dyn RowWork>,
}

impl PreparedImport {
    fn of<T: RowTarget>((params, work): (JobParams, RowImport<T>)) -> PreparedImport {
        PreparedImport {
            params,
            work: Box::new(work),
        }
    }
}

/// Checks a request and its file against the store, in Marketo's order, and makes its work.
/// The file is optional because a missing one is refused only after the checks that come
/// before it (an unknown object or program is reported first).
pub fn prepare(
    request: ImportRequest,
    file: Option<Bytes>,
    context: ImportContext,
) -> Result<PreparedImport, ApiError> {
    // One read lock for every check, so the store cannot change between them.
    let db = Arc::clone(&context.db);
    let db = db.read().unwrap_or_else(PoisonError::into_inner);
    match request {
        ImportRequest::Leads(params) => {
            leads::plan(&db, params, file, context).map(PreparedImport::of)
        }
        ImportRequest::CustomObjects { api_name, params } => {
            objects::plan(&db, api_name, params, file, context).map(PreparedImport::of)
        }
        ImportRequest::ProgramMembers { program_id, params } => {
            members::plan(&db, &program_id, params, file, context).map(PreparedImport::of)
        }
    }
}
