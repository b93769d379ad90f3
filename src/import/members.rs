//! A program member import: each row upserts a lead by email, then makes it a member of the
//! program with the given status. Rows may mix lead fields and program member custom fields.

use bytes::Bytes;

use super::driver::{
    ImportContext, RowImport, RowTarget, WriteNotes, format_param, import_source, notes,
    open_upload, resolve_header,
};
use super::params::MemberParams;
use super::validate::Checked;
use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::jobs::params::MemberJobParams;
use crate::jobs::{ImportKind, JobParams};
use crate::schema::{FieldDef, FieldId, Value};
use crate::store::Db;
use crate::store::activities::{Source, StatusChange};
use crate::store::leads::Outcome;
use crate::store::programs::ProgressionStatus;

/// Where a column's value goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Lead(FieldId),
    Member(FieldId),
}

/// The program member side of an import.
pub struct MemberTarget {
    program: u32,
    status: ProgressionStatus,
    columns: Vec<Column>,
    email: Option<(usize, FieldId)>,
    /// What the activities it writes name as their source.
    source: Source,
}

/// Resolves the program, its status and the header, in Marketo's order, and builds the
/// import job.
pub(super) fn plan(
    db: &Db,
    program_id: &str,
    params: MemberParams,
    file: Option<Bytes>,
    context: ImportContext,
) -> Result<(JobParams, RowImport<MemberTarget>), ApiError> {
    let format = format_param(params.format.as_deref())?;
    let program = program_id
        .parse::<u32>()
        .ok()
        .filter(|id| db.programs.program(*id).is_some())
        .ok_or(ApiError::ProgramNotFound)?;
    let (header, rows) = open_upload(file, format)?;
    let status_name = params
        .program_member_status
        .filter(|s| !s.is_empty())
        .ok_or(ApiError::MissingParameter("programMemberStatus"))?;
    let status = db
        .programs
        .status(program, &status_name)
        .ok_or(ApiError::ProgramStatusNotFound)?
        .clone();
    let (leads, members) = (db.leads.schema(), db.programs.member_schema());
    let columns = resolve_header(&header.names, |name| match leads.find(name) {
        Some(field) => Some((Column::Lead(field), leads.field(field).writable())),
        None => members
            .find(name)
            .map(|field| (Column::Member(field), members.field(field).writable())),
    })?;
    let defs: Vec<FieldDef> = columns
        .iter()
        .map(|column| match column {
            Column::Lead(field) => leads.field(*field).clone(),
            Column::Member(field) => members.field(*field).clone(),
        })
        .collect();
    let email = leads.find("email").and_then(|field| {
        columns
            .iter()
            .position(|column| *column == Column::Lead(field))
            .map(|at| (at, field))
    });
    let shown = JobParams::ProgramMembers(MemberJobParams {
        format,
        program_id: program,
        program_member_status: status_name,
    });
    let target = MemberTarget {
        program,
        status,
        columns,
        email,
        source: import_source(MemberTarget::KIND),
    };
    let work = RowImport::new(target, defs, format, &header, rows, context);
    Ok((shown, work))
}

/// A row ready for the store.
pub struct MemberRow {
    email: Value,
    lead_values: Vec<(FieldId, Value)>,
    member_values: Vec<(FieldId, Value)>,
}

impl RowTarget for MemberTarget {
    const KIND: ImportKind = ImportKind::ProgramMembers;
    type Row = MemberRow;

    fn prepare(&self, cells: &mut [Option<Checked>], text: &str) -> Result<MemberRow, String> {
        let values: Vec<Option<Value>> = cells
            .iter_mut()
            .map(|cell| cell.take().map(|cell| cell.into_value(text)))
            .collect();
        let email = self
            .email
            .and_then(|(at, _)| values[at].clone())
            .ok_or_else(|| "Value for lookup field 'email' not found".to_owned())?;
        let (mut lead_values, mut member_values) = (Vec::new(), Vec::new());
        for (column, value) in self.columns.iter().zip(values) {
            match (column, value) {
                (Column::Lead(field), Some(value)) => lead_values.push((*field, value)),
                (Column::Member(field), Some(value)) => member_values.push((*field, value)),
                (_, None) => {}
            }
        }
        Ok(MemberRow {
            email,
            lead_values,
            member_values,
        })
    }

    fn write(&self, db: &mut Db, rows: Vec<MemberRow>, now: Timestamp) -> WriteNotes {
        let Some((_, email_field)) = self.email else {
            return notes(
                rows.iter()
                    .map(|_| Err("Value for lookup field 'email' not found".to_owned())),
            );
        };
        let partition = db.leads.default_partition();
        let schema = db.leads.schema().clone();
        let source = db.activities.source(self.source.clone());
        notes(rows.into_iter().map(|row| {
            let upserted = db
                .leads
                .upsert(partition, email_field, &row.email, row.lead_values, now)
                .map_err(|error| error.to_string())?;
            let (lead, created) = (upserted.id, upserted.outcome == Outcome::Created);
            db.activities.lead_upserted(&schema, upserted, now, source);
            match db.programs.set_status(
                self.program,
                lead,
                &self.status,
                row.member_values,
                created,
                now,
            ) {
                Ok(Some(old)) => {
                    let change = StatusChange {
                        old,
                        new: self.status.name.clone(),
                        success: self.status.success,
                        acquired: created,
                    };
                    db.activities
                        .status_changed(lead, now, source, self.program, change);
                    Ok(Vec::new())
                }
                Ok(None) => Ok(Vec::new()),
                Err(skipped) => Ok(vec![skipped.to_string()]),
            }
        }))
    }
}
