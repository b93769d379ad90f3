//! A lead import: checked against the lead schema when the job is created, then run row by
//! row against the lead database.

use std::borrow::Cow;

use super::Format;
use super::driver::{
    ImportContext, RowImport, RowTarget, WriteNotes, import_source, resolve_header,
};
use super::rows::{Header, RowReader};
use super::validate::{CellRef, Checked};
use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::schema::{
    DataType, FieldDef, FieldId, Value, Values, encode, encode_text, text_size, value_size,
};
use crate::store::Db;
use crate::store::activities::Source;
use crate::store::leads::{LeadDb, LookupKey, key_hash, virtual_fields};

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
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
#[into_params(rename_all = "camelCase")]
pub struct LeadParams {
    /// CSV when absent.
    #[param(inline, value_type = Option<Format>)]
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
    /// The static list the leads go to, by id and name.
    pub list: Option<(u32, String)>,
    pub partition: u16,
    columns: Vec<FieldId>,
    defs: Vec<FieldDef>,
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
    let defs = columns.iter().map(|id| schema.field(*id).clone()).collect();
    Ok(LeadPlan {
        format: params.format,
        lookup,
        lookup_name,
        list,
        partition,
        columns,
        lookup_column,
        defs,
    })
}

/// The lead side of an import: finds each row's lead and writes its values.
pub struct LeadTarget {
    plan: LeadPlan,
    /// The writable columns, in ascending field order: a record is encoded straight from the
    /// row's cells in that order, with no sorting or copying per cell.
    encode_order: Vec<usize>,
    /// Whether the lookup is by `id`, which names a lead rather than being written.
    by_id: bool,
    /// What the activities it writes name as their source.
    source: Source,
}

impl LeadTarget {
    /// The import job for a plan: the shared row loop over this target.
    pub fn import(
        plan: LeadPlan,
        header: &Header,
        rows: RowReader,
        context: ImportContext,
    ) -> RowImport<LeadTarget> {
        let columns = plan.defs.clone();
        let mut encode_order: Vec<usize> = (0..columns.len())
            .filter(|at| columns[*at].writable())
            .collect();
        encode_order.sort_by_key(|at| plan.columns[*at]);
        let by_id = !plan.lookup_column.is_some_and(|at| columns[at].writable());
        let format = plan.format;
        // A list import's activities name the list, as Marketo's do.
        let mut source = import_source(context.kind);
        if let Some((_, name)) = &plan.list {
            source.name.clone_from(name);
        }
        RowImport::new(
            LeadTarget {
                plan,
                encode_order,
                by_id,
                source,
            },
            columns,
            format,
            header,
            rows,
            context,
        )
    }
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
    type Row = LeadRow;

    fn prepare(&self, cells: &mut [Option<Checked>], text: &str) -> Result<LeadRow, String> {
        let Some(key) = self.plan.lookup_column.and_then(|at| cells[at].as_ref()) else {
            return Err(format!(
                "Value for lookup field '{}' not found",
                self.plan.lookup_name
            ));
        };
        let key = if self.by_id {
            RowKey::Id(key.clone().into_value(text))
        } else {
            let key = match key.get(text) {
                CellRef::Text(text) => Cow::Borrowed(text),
                CellRef::Parsed(value) => Cow::Owned(value.key_text()),
            };
            RowKey::Hashed(key_hash(self.plan.partition, &key))
        };
        // Sized exactly, so the record is one allocation that is never moved; sizes come
        // from the cells' lengths without reading their text.
        let size = self
            .encode_order
            .iter()
            .map(|at| match &cells[*at] {
                None => 0,
                Some(Checked::Text(range)) => text_size(range.len()),
                Some(Checked::Replaced(replaced)) => text_size(replaced.len()),
                Some(Checked::Parsed(value)) => value_size(value),
            })
            .sum();
        let mut bytes = Vec::with_capacity(size);
        for at in &self.encode_order {
            let field = self.plan.columns[*at];
            match &cells[*at] {
                None => {}
                Some(Checked::Text(range)) => encode_text(&mut bytes, field, &text[range.clone()]),
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
        for (at, row) in rows.into_iter().enumerate() {
            let key = match &row.key {
                RowKey::Id(id) => LookupKey::Value(id),
                RowKey::Hashed(hash) => LookupKey::Hashed(*hash),
            };
            let partition = self.plan.partition;
            match db
                .leads
                .upsert_record(partition, self.plan.lookup, key, row.record, now)
            {
                Ok(upserted) => {
                    if self.plan.list.is_some() {
                        imported.push(upserted.id);
                    }
                    db.activities.lead_upserted(&schema, upserted, now, source);
                }
                Err(error) => notes.push((at, Err(error.to_string()))),
            }
        }
        if let Some((list, _)) = &self.plan.list {
            for lead in db.leads.add_to_list(*list, imported) {
                db.activities.added_to_list(lead, now, source, *list);
            }
        }
        notes
    }

    fn reserve(&self, db: &mut Db, rows: usize) {
        db.leads.reserve(self.plan.lookup, rows);
        db.activities.reserve(rows);
    }
}
