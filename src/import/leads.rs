//! A lead import: checked against the lead schema when the job is created, then run row by
//! row against the lead database.

use std::sync::{Arc, RwLock};

use bytes::Bytes;

use super::render::{FAILURE_COLUMN, ResultFile, WARNING_COLUMN};
use super::rows::{Header, RowReader};
use super::validate::check_row;
use super::{Format, rows::HeaderError};
use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::jobs::{Counters, ImportWork, ResultFiles, Step};
use crate::schema::{DataType, FieldDef, FieldId, Value};
use crate::store::leads::{LeadDb, virtual_fields};

/// Fields Marketo names as lookup fields besides custom string, email and integer fields.
const STANDARD_LOOKUP_FIELDS: &[&str] = &[
    "id",
    "cookies",
    "email",
    "twitterId",
    "facebookId",
    "linkedInId",
    "sfdcAccountId",
    "sfdcContactId",
    "sfdcLeadId",
    "sfdcLeadOwnerId",
    "sfdcOpptyId",
];

/// Whether a field may be used to find leads: by `lookupField` on import or `filterType` on
/// read-back.
pub fn is_lookup_field(field: &FieldDef) -> bool {
    STANDARD_LOOKUP_FIELDS
        .iter()
        .any(|name| name.eq_ignore_ascii_case(&field.name))
        || (!field.read_only
            && matches!(
                field.data_type,
                DataType::String | DataType::Email | DataType::Integer
            ))
}

/// The creation parameters of a lead import, as read from the query or form.
#[derive(Debug, Clone, Default)]
pub struct LeadParams {
    pub format: Format,
    pub lookup_field: Option<String>,
    pub list_id: Option<String>,
    pub partition_name: Option<String>,
}

/// Everything decided before the job exists: a bad request never becomes a job.
#[derive(Debug, Clone)]
pub struct LeadPlan {
    pub format: Format,
    pub lookup: FieldId,
    pub lookup_name: String,
    pub list: Option<u32>,
    pub partition: u16,
    columns: Vec<FieldId>,
    /// Where the lookup column stands in the file, if it is there at all.
    lookup_column: Option<usize>,
}

/// Resolves the parameters and the header against the lead schema.
pub fn plan(db: &LeadDb, header: &Header, params: &LeadParams) -> Result<LeadPlan, ApiError> {
    let schema = db.schema();
    let lookup_name = params
        .lookup_field
        .clone()
        .unwrap_or_else(|| "email".to_owned());
    let lookup = schema
        .find(&lookup_name)
        .filter(|id| is_lookup_field(schema.field(*id)))
        .ok_or_else(|| ApiError::LookupFieldNotFound(lookup_name.clone()))?;
    let list = match &params.list_id {
        None => None,
        Some(text) => {
            let id: u32 = text.trim().parse().map_err(|_| ApiError::InvalidValue {
                value: text.clone(),
                expected: "integer",
            })?;
            db.list(id)
                .ok_or(ApiError::ObjectNotFound("Static list not found"))?;
            Some(id)
        }
    };
    let partition = match &params.partition_name {
        None => db.default_partition(),
        Some(name) => db
            .partition_named(name)
            .ok_or_else(|| ApiError::InvalidData(format!("Partition '{name}' not found")))?,
    };
    let id_field = schema.find(virtual_fields::ID);
    let mut columns = Vec::with_capacity(header.names.len());
    for name in &header.names {
        let field = schema
            .find(name)
            .ok_or_else(|| ApiError::FieldNotFound(name.clone()))?;
        let writable =
            schema.field(field).writable() || (Some(field) == id_field && field == lookup);
        if !writable {
            return Err(ApiError::FieldNotSupported(name.clone()));
        }
        if columns.contains(&field) {
            return Err(ApiError::InvalidData(format!(
                "Duplicate field '{name}' in header"
            )));
        }
        columns.push(field);
    }
    let lookup_column = columns.iter().position(|id| *id == lookup);
    let lookup_name = schema.field(lookup).name.clone();
    Ok(LeadPlan {
        format: params.format,
        lookup,
        lookup_name,
        list,
        partition,
        columns,
        lookup_column,
    })
}

/// Opens an upload for planning, mapping an empty file to Marketo's 1003.
pub fn open(data: Bytes, format: Format) -> Result<(Header, RowReader), ApiError> {
    RowReader::open(data, format).map_err(|error| match error {
        HeaderError::Empty => ApiError::EmptyFile,
        HeaderError::NotUtf8 => ApiError::InvalidData(error.to_string()),
    })
}

/// The running import.
pub struct LeadImport {
    plan: LeadPlan,
    db: Arc<RwLock<LeadDb>>,
    defs: Vec<FieldDef>,
    rows: RowReader,
    failures: ResultFile,
    warnings: ResultFile,
}

impl LeadImport {
    pub fn new(
        plan: LeadPlan,
        header: &Header,
        rows: RowReader,
        db: Arc<RwLock<LeadDb>>,
    ) -> LeadImport {
        let defs = {
            let db = db.read().unwrap_or_else(|p| p.into_inner());
            plan.columns
                .iter()
                .map(|id| db.schema().field(*id).clone())
                .collect()
        };
        LeadImport {
            failures: ResultFile::new(plan.format, &header.raw, FAILURE_COLUMN),
            warnings: ResultFile::new(plan.format, &header.raw, WARNING_COLUMN),
            plan,
            db,
            defs,
            rows,
        }
    }
}

/// A row that passed its checks and waits for the store.
struct Pending {
    raw: Bytes,
    key: Value,
    values: Vec<(FieldId, Value)>,
    warnings: Vec<String>,
}

impl ImportWork for LeadImport {
    fn step(&mut self, max_rows: usize, now: Timestamp) -> Step {
        let mut counters = Counters::default();
        let mut pending = Vec::with_capacity(max_rows.min(4096));
        let mut done = false;
        let defs: Vec<&FieldDef> = self.defs.iter().collect();
        for _ in 0..max_rows {
            let Some(row) = self.rows.next_row() else {
                done = true;
                break;
            };
            let raw = self.rows.raw(&row.span);
            let checked = check_row(&defs, &row.cells).and_then(|checked| {
                let key = self
                    .plan
                    .lookup_column
                    .and_then(|at| checked.values[at].clone())
                    .ok_or_else(|| {
                        format!(
                            "Value for lookup field '{}' not found",
                            self.plan.lookup_name
                        )
                    })?;
                Ok((key, checked))
            });
            match checked {
                Err(reason) => {
                    self.failures.push(&raw, &reason);
                    counters.failed += 1;
                }
                Ok((key, checked)) => {
                    // The lookup by `id` names the lead; read-only fields are never written.
                    let values = self
                        .plan
                        .columns
                        .iter()
                        .zip(&self.defs)
                        .zip(checked.values)
                        .filter(|((_, def), _)| def.writable())
                        .filter_map(|((field, _), value)| Some((*field, value?)))
                        .collect();
                    pending.push(Pending {
                        raw,
                        key,
                        values,
                        warnings: checked.warnings,
                    });
                }
            }
        }
        let done = done || !self.rows.has_more();
        let mut imported = Vec::with_capacity(pending.len());
        {
            let mut db = self.db.write().unwrap_or_else(|p| p.into_inner());
            for row in pending {
                match db.upsert(
                    self.plan.partition,
                    self.plan.lookup,
                    &row.key,
                    row.values,
                    now,
                ) {
                    Ok(id) => {
                        imported.push(id);
                        counters.processed += 1;
                        if !row.warnings.is_empty() {
                            self.warnings.push(&row.raw, &row.warnings.join("; "));
                            counters.warned += 1;
                        }
                    }
                    Err(error) => {
                        self.failures.push(&row.raw, &error.to_string());
                        counters.failed += 1;
                    }
                }
            }
            if let Some(list) = self.plan.list {
                db.add_to_list(list, imported);
            }
        }
        Step { counters, done }
    }

    fn finish(self: Box<Self>) -> ResultFiles {
        ResultFiles {
            failures: self.failures.finish(),
            warnings: self.warnings.finish(),
        }
    }
}
