//! A custom object import: deduplicated on the type's `dedupeFields`, with link fields
//! resolved to leads.

use bytes::Bytes;

use super::driver::{
    ImportContext, RowImport, RowTarget, WriteNotes, format_param, notes, open_upload,
    resolve_header,
};
use super::params::ObjectParams;
use super::validate::Checked;
use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::jobs::params::ObjectJobParams;
use crate::jobs::{ImportKind, JobParams};
use crate::schema::{FieldDef, FieldId, Value};
use crate::store::Db;
use crate::store::objects::dedupe_key;

/// Marketo's reason for a row without its dedupe values.
pub const MISSING_DEDUPE: &str = "missing.dedupe.fields";

/// A link column: where it stands and the lead field it names.
#[derive(Debug, Clone)]
struct Link {
    column: usize,
    field: String,
    lead_field: String,
}

/// The custom object side of an import.
pub struct ObjectTarget {
    api_name: String,
    columns: Vec<FieldId>,
    /// Where each dedupe field stands in the file; `None` when the header lacks one.
    dedupe_columns: Option<Vec<usize>>,
    links: Vec<Link>,
}

/// Checks the type, the format and the header, and builds the import job. A header without
/// every dedupe field still makes a job, whose rows all fail with `missing.dedupe.fields`.
pub(super) fn plan(
    db: &Db,
    api_name: String,
    params: ObjectParams,
    file: Option<Bytes>,
    context: ImportContext,
) -> Result<(JobParams, RowImport<ObjectTarget>), ApiError> {
    let object = db.objects.get(&api_name).ok_or(ApiError::ObjectNotFound)?;
    let format = format_param(params.format.as_deref())?;
    let (header, rows) = open_upload(file, format)?;
    let shown = JobParams::CustomObjects(ObjectJobParams {
        format,
        object_api_name: api_name.clone(),
    });
    let schema = &object.schema;
    let present = |field: FieldId| {
        header
            .names
            .iter()
            .position(|name| schema.find(name) == Some(field))
    };
    let dedupe_columns: Option<Vec<usize>> =
        object.dedupe.iter().map(|field| present(*field)).collect();
    if dedupe_columns.is_none() || object.dedupe.len() != object.def.dedupe_fields.len() {
        let target = ObjectTarget {
            api_name,
            columns: Vec::new(),
            dedupe_columns: None,
            links: Vec::new(),
        };
        let work = RowImport::new(target, Vec::new(), format, &header, rows, context);
        return Ok((shown, work));
    }
    let columns = resolve_header(&header.names, |name| {
        let field = schema.find(name)?;
        Some((field, schema.field(field).writable()))
    })?;
    let links = object
        .def
        .relationships
        .iter()
        .filter(|relation| relation.related_to.name.eq_ignore_ascii_case("Lead"))
        .filter_map(|relation| {
            let column = present(schema.find(&relation.field)?)?;
            Some(Link {
                column,
                field: relation.field.clone(),
                lead_field: relation.related_to.field.clone(),
            })
        })
        .collect();
    let defs: Vec<FieldDef> = columns.iter().map(|id| schema.field(*id).clone()).collect();
    let target = ObjectTarget {
        api_name,
        columns,
        dedupe_columns,
        links,
    };
    let work = RowImport::new(target, defs, format, &header, rows, context);
    Ok((shown, work))
}

/// A record ready for the store.
pub struct ObjectRow {
    key: Vec<Box<str>>,
    values: Vec<(FieldId, Value)>,
    links: Vec<(usize, Value)>,
}

impl RowTarget for ObjectTarget {
    const KIND: ImportKind = ImportKind::CustomObjects;
    type Row = ObjectRow;

    fn reject_all(&self) -> Option<&str> {
        self.dedupe_columns.is_none().then_some(MISSING_DEDUPE)
    }

    fn prepare(&self, cells: &mut [Option<Checked>], text: &str) -> Result<ObjectRow, String> {
        let values: Vec<Option<Value>> = cells
            .iter_mut()
            .map(|cell| cell.take().map(|cell| cell.into_value(text)))
            .collect();
        let dedupe_columns = self.dedupe_columns.as_deref().unwrap_or_default();
        let key_values: Option<Vec<&Value>> = dedupe_columns
            .iter()
            .map(|at| values[*at].as_ref())
            .collect();
        let key = dedupe_key(&key_values.ok_or(MISSING_DEDUPE)?);
        let links = self
            .links
            .iter()
            .enumerate()
            .filter_map(|(link, l)| Some((link, values[l.column].clone()?)))
            .collect();
        let values = self
            .columns
            .iter()
            .zip(values)
            .filter_map(|(field, value)| Some((*field, value?)))
            .collect();
        Ok(ObjectRow { key, values, links })
    }

    fn write(&self, db: &mut Db, rows: Vec<ObjectRow>, now: Timestamp) -> WriteNotes {
        let Db { leads, objects, .. } = db;
        let Some(object) = objects.get_mut(&self.api_name) else {
            return notes(rows.iter().map(|_| Err("Object not found".to_owned())));
        };
        notes(rows.into_iter().map(|row| {
            let mut warnings = Vec::new();
            let mut lead = None;
            for (link, value) in &row.links {
                let link = &self.links[*link];
                let found = leads.resolve(&link.lead_field, value);
                match found {
                    Some(id) => lead = Some(id),
                    None => warnings.push(format!("No lead found for link field {}", link.field)),
                }
            }
            object.upsert(row.key, row.values, lead, now);
            Ok(warnings)
        }))
    }
}
