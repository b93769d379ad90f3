//! A lead import: checked against the lead schema when the job is created, then run row by
//! row against the lead database.

use std::borrow::Cow;

use bytes::Bytes;

use super::driver::{
    ImportContext, RowImport, RowTarget, WriteNotes, format_param, import_source, open_upload,
    resolve_header,
};
use super::params::LeadParams;
use super::validate::{CellRef, Checked};
use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::jobs::params::LeadJobParams;
use crate::jobs::{ImportKind, JobParams};
use crate::record::{Values, encode, encode_ref, encode_text, text_size, value_size};
use crate::schema::{DataType, FieldDef, FieldId, Value, ValueRef};
use crate::store::Db;
use crate::store::activities::Source;
use crate::store::leads::{LookupKey, key_hash, virtual_fields};

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

/// The lead side of an import: finds each row's lead and writes its values.
pub struct LeadTarget {
    lookup: FieldId,
    lookup_name: String,
    /// The static list the leads go to.
    list: Option<u32>,
    partition: u16,
    columns: Vec<FieldId>,
    /// Where the lookup column stands in the file, if it is there at all.
    lookup_column: Option<usize>,
    /// The writable columns, in ascending field order: a record is encoded straight from the
    /// row's cells in that order, with no sorting or copying per cell.
    encode_order: Vec<usize>,
    /// Whether the lookup is by `id`, which names a lead rather than being written.
    by_id: bool,
    /// What the activities it writes name as their source.
    source: Source,
}

/// Resolves the parameters and the header against the lead schema, and builds the import job.
pub(super) fn plan(
    db: &Db,
    params: LeadParams,
    file: Option<Bytes>,
    context: ImportContext,
) -> Result<(JobParams, RowImport<LeadTarget>), ApiError> {
    let format = format_param(params.format.as_deref())?;
    let (header, rows) = open_upload(file, format)?;
    let db = &db.leads;
    let schema = db.schema();
    let lookup_name = params.lookup_field.unwrap_or_else(|| "email".to_owned());
    let lookup = schema
        .find(&lookup_name)
        .filter(|id| is_lookup_field(schema.field(*id)))
        .ok_or(ApiError::LookupFieldNotFound(lookup_name))?;
    let list = match &params.list_id {
        None => None,
        Some(text) => {
            let id: u32 = text.trim().parse().map_err(|_| ApiError::InvalidValue {
                value: text.clone(),
                expected: "integer",
            })?;
            let (list, _) = db.list(id).ok_or(ApiError::StaticListNotFound)?;
            Some((id, list.name.clone()))
        }
    };
    let partition = match &params.partition_name {
        None => db.default_partition(),
        Some(name) => db
            .partition_named(name)
            .ok_or_else(|| ApiError::InvalidData(format!("Partition '{name}' not found")))?,
    };
    let id_field = schema.find(virtual_fields::ID);
    let columns = resolve_header(&header.names, |name| {
        let field = schema.find(name)?;
        Some((
            field,
            schema.field(field).writable() || (Some(field) == id_field && field == lookup),
        ))
    })?;
    let lookup_column = columns.iter().position(|id| *id == lookup);
    let lookup_name = schema.field(lookup).name.clone();
    let defs: Vec<FieldDef> = columns.iter().map(|id| schema.field(*id).clone()).collect();
    let mut encode_order: Vec<usize> = (0..defs.len()).filter(|at| defs[*at].writable()).collect();
    encode_order.sort_by_key(|at| columns[*at]);
    let by_id = !lookup_column.is_some_and(|at| defs[at].writable());
    // A list import's activities name the list, as Marketo's do.
    let mut source = import_source(LeadTarget::KIND);
    if let Some((_, name)) = &list {
        source.name.clone_from(name);
    }
    let shown = JobParams::Leads(LeadJobParams {
        format,
        lookup_field: lookup_name.clone(),
        list_id: list.as_ref().map(|(id, _)| *id),
        partition_name: params.partition_name,
    });
    let target = LeadTarget {
        lookup,
        lookup_name,
        list: list.map(|(id, _)| id),
        partition,
        columns,
        lookup_column,
        encode_order,
        by_id,
        source,
    };
    let work = RowImport::new(target, defs, format, &header, rows, context);
    Ok((shown, work))
}

/// A lead row ready for the store: its encoded values, and what it finds its lead by.
pub struct LeadRow {
    key: RowKey,
    record: Values,
}

/// The `id` a row names when the lookup is by id; otherwise the hash of its lookup value
/// (which is inside the record), computed while the row is checked rather than under the
/// database lock.
enum RowKey {
    Id(Value),
    Hashed(u64),
}

impl RowTarget for LeadTarget {
    const KIND: ImportKind = ImportKind::Leads;
    type Row = LeadRow;

    fn prepare(&self, cells: &mut [Option<Checked>], text: &str) -> Result<LeadRow, String> {
        let Some(key) = self.lookup_column.and_then(|at| cells[at].as_ref()) else {
            return Err(format!(
                "Value for lookup field '{}' not found",
                self.lookup_name
            ));
        };
        let key = if self.by_id {
            RowKey::Id(key.clone().into_value(text))
        } else {
            let key = match key.get(text) {
                CellRef::Text(text) => Cow::Borrowed(text),
                CellRef::Parsed(value) => Cow::Owned(value.key_text()),
            };
            RowKey::Hashed(key_hash(self.partition, &key))
        };
        // Sized exactly, so the record is one allocation that is never moved; sizes come
        // from the cells' lengths without reading their text.
        let size = self
            .encode_order
            .iter()
            .map(|at| match &cells[*at] {
                None => 0,
                Some(Checked::Text(range) | Checked::Date(range)) => text_size(range.len()),
                Some(Checked::Replaced(replaced)) => text_size(replaced.len()),
                Some(Checked::Parsed(value)) => value_size(value),
            })
            .sum();
        let mut bytes = Vec::with_capacity(size);
        for at in &self.encode_order {
            let field = self.columns[*at];
            match &cells[*at] {
                None => {}
                Some(Checked::Text(range)) => encode_text(&mut bytes, field, &text[range.clone()]),
                Some(Checked::Date(range)) => {
                    encode_ref(&mut bytes, field, ValueRef::Date(&text[range.clone()]));
                }
                Some(Checked::Replaced(replaced)) => encode_text(&mut bytes, field, replaced),
                Some(Checked::Parsed(value)) => encode(&mut bytes, field, value),
            }
        }
        Ok(LeadRow {
            key,
            record: Values::from_encoded(bytes),
        })
    }

    fn write(&self, db: &mut Db, rows: Vec<LeadRow>, now: Timestamp) -> WriteNotes {
        let mut notes = Vec::new();
        let mut imported = Vec::new();
        let schema = db.leads.schema().clone();
        let source = db.activities.source(self.source.clone());
        db.leads.warm(
            self.lookup,
            rows.iter().filter_map(|row| match row.key {
                RowKey::Hashed(hash) => Some(hash),
                RowKey::Id(_) => None,
            }),
        );
        for (at, row) in rows.into_iter().enumerate() {
            let key = match &row.key {
                RowKey::Id(id) => LookupKey::Value(id),
                RowKey::Hashed(hash) => LookupKey::Hashed(*hash),
            };
            let partition = self.partition;
            match db
                .leads
                .upsert_record(partition, self.lookup, key, row.record, now)
            {
                Ok(upserted) => {
                    if self.list.is_some() {
                        imported.push(upserted.id);
                    }
                    db.activities.lead_upserted(&schema, upserted, now, source);
                }
                Err(error) => notes.push((at, Err(error.to_string()))),
            }
        }
        if let Some(list) = self.list {
            for lead in db.leads.add_to_list(list, imported) {
                db.activities.added_to_list(lead, now, source, list);
            }
        }
        notes
    }

    fn reserve(&self, db: &mut Db, rows: usize) {
        db.leads.reserve(self.lookup, rows);
        db.activities.reserve(rows);
    }
}
