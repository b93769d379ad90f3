//! Custom object types from the fixtures and their records, deduplicated on each type's
//! `dedupeFields`.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::LeadId;
use crate::clock::Timestamp;
use crate::record::Values;
use crate::schema::{FieldDef, FieldId, Schema, Value, ValueRef};

/// A custom object type, as its describe shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomObjectDef {
    pub name: String,
    pub display_name: String,
    #[serde(default)]
    pub plural_name: String,
    #[serde(default)]
    pub description: String,
    pub created_at: String,
    pub updated_at: String,
    pub id_field: String,
    pub dedupe_fields: Vec<String>,
    pub searchable_fields: Vec<Vec<String>>,
    #[serde(default)]
    pub relationships: Vec<Relationship>,
    pub fields: Vec<FieldDef>,
}

/// A link from a custom object field to a lead field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Relationship {
    pub field: String,
    pub related_to: RelatedTo,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelatedTo {
    pub name: String,
    pub field: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectRecord {
    pub guid: Box<str>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The lead the link field resolved to, if it has one.
    pub lead: Option<LeadId>,
    pub values: Values,
}

/// A column of a custom object record, as read-back and exports name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectColumn {
    /// The type's id field, `marketoGUID`.
    Guid,
    CreatedAt,
    UpdatedAt,
    /// The lead the record is linked to, for a type with no field of that name.
    LeadId,
    Field(FieldId),
}

impl ObjectColumn {
    /// The column a name denotes, without case; `None` for a name that is no field.
    pub fn resolve(object: &ObjectType, name: &str) -> Option<ObjectColumn> {
        if name.eq_ignore_ascii_case(&object.def.id_field) {
            return Some(ObjectColumn::Guid);
        }
        if name.eq_ignore_ascii_case("createdAt") {
            return Some(ObjectColumn::CreatedAt);
        }
        if name.eq_ignore_ascii_case("updatedAt") {
            return Some(ObjectColumn::UpdatedAt);
        }
        match object.schema.find(name) {
            Some(field) => Some(ObjectColumn::Field(field)),
            None => name
                .eq_ignore_ascii_case("leadId")
                .then_some(ObjectColumn::LeadId),
        }
    }
}

impl ObjectRecord {
    /// A column's value, borrowed where it is stored as text.
    pub fn value(&self, column: ObjectColumn) -> Option<ValueRef<'_>> {
        match column {
            ObjectColumn::Guid => Some(ValueRef::Text(&self.guid)),
            ObjectColumn::CreatedAt => Some(ValueRef::Datetime(self.created_at.millis())),
            ObjectColumn::UpdatedAt => Some(ValueRef::Datetime(self.updated_at.millis())),
            ObjectColumn::LeadId => self.lead.map(|lead| ValueRef::Integer(i64::from(lead))),
            ObjectColumn::Field(field) => self.values.get_ref(field),
        }
    }
}

/// Dedupe values compare without case, like lead lookups.
pub fn dedupe_key(values: &[&Value]) -> Vec<Box<str>> {
    values
        .iter()
        .map(|value| value.key_text().to_lowercase().into_boxed_str())
        .collect()
}

/// One custom object type and its records.
#[derive(Debug, Clone)]
pub struct ObjectType {
    pub def: Arc<CustomObjectDef>,
    pub schema: Arc<Schema>,
    /// The dedupe fields, in the order `dedupeFields` names them.
    pub dedupe: Vec<FieldId>,
    records: Vec<ObjectRecord>,
    by_key: HashMap<Vec<Box<str>>, usize>,
}

impl ObjectType {
    fn new(def: CustomObjectDef) -> ObjectType {
        let schema = Arc::new(Schema::new(def.fields.clone()));
        let dedupe = def
            .dedupe_fields
            .iter()
            .filter_map(|name| schema.find(name))
            .collect();
        ObjectType {
            def: Arc::new(def),
            schema,
            dedupe,
            records: Vec::new(),
            by_key: HashMap::new(),
        }
    }

    pub fn records(&self) -> &[ObjectRecord] {
        &self.records
    }

    /// Inserts a record or updates the one with the same dedupe values; only the given
    /// values change. Returns whether it was created.
    pub fn upsert(
        &mut self,
        key: Vec<Box<str>>,
        values: Vec<(FieldId, Value)>,
        lead: Option<LeadId>,
        now: Timestamp,
    ) -> bool {
        let (at, created) = match self.by_key.get(&key) {
            Some(at) => (*at, false),
            None => {
                self.records.push(ObjectRecord {
                    guid: uuid::Uuid::new_v4().to_string().into_boxed_str(),
                    created_at: now,
                    updated_at: now,
                    lead: None,
                    values: Values::default(),
                });
                self.by_key.insert(key, self.records.len() - 1);
                (self.records.len() - 1, true)
            }
        };
        let record = &mut self.records[at];
        record.updated_at = now;
        if lead.is_some() {
            record.lead = lead;
        }
        record.values.merge(values);
        created
    }

    /// Records whose `field` equals `value`, without case; `marketoGUID` by the record's id.
    pub fn find(&self, field: &str, value: &str) -> Vec<usize> {
        let wanted = value.to_lowercase();
        let matches = |record: &ObjectRecord| {
            if field.eq_ignore_ascii_case(&self.def.id_field) {
                return record.guid.eq_ignore_ascii_case(value);
            }
            self.schema
                .find(field)
                .and_then(|id| record.values.get(id))
                .is_some_and(|v| v.key_text().to_lowercase() == wanted)
        };
        (0..self.records.len())
            .filter(|at| matches(&self.records[*at]))
            .collect()
    }

    /// The record with these dedupe values, if any.
    pub fn find_by_key(&self, key: &[Box<str>]) -> Option<usize> {
        self.by_key.get(key).copied()
    }
}

/// Every custom object type.
#[derive(Debug, Clone)]
pub struct ObjectDb {
    types: Vec<ObjectType>,
}

impl ObjectDb {
    pub fn new(defs: Vec<CustomObjectDef>) -> ObjectDb {
        ObjectDb {
            types: defs.into_iter().map(ObjectType::new).collect(),
        }
    }

    /// A type by its API name, exactly as describe writes it.
    pub fn get(&self, api_name: &str) -> Option<&ObjectType> {
        self.types.iter().find(|t| t.def.name == api_name)
    }

    pub fn get_mut(&mut self, api_name: &str) -> Option<&mut ObjectType> {
        self.types.iter_mut().find(|t| t.def.name == api_name)
    }

    pub fn types(&self) -> &[ObjectType] {
        &self.types
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::DataType;

    fn car() -> ObjectType {
        let field = |name: &str, data_type| FieldDef {
            updateable: Some(true),
            ..FieldDef::named(name, data_type)
        };
        ObjectType::new(CustomObjectDef {
            name: "car_c".into(),
            display_name: "Car".into(),
            plural_name: "Cars".into(),
            description: String::new(),
            created_at: String::new(),
            updated_at: String::new(),
            id_field: "marketoGUID".into(),
            dedupe_fields: vec!["vin".into()],
            searchable_fields: vec![vec!["vin".into()]],
            relationships: Vec::new(),
            fields: vec![
                field("vin", DataType::String),
                field("color", DataType::String),
            ],
        })
    }

    #[test]
    fn the_same_dedupe_values_update_one_record() {
        let mut cars = car();
        let vin = Value::Text("WBA1".into());
        assert!(cars.upsert(
            dedupe_key(&[&vin]),
            vec![(0, vin.clone()), (1, Value::Text("red".into()))],
            None,
            Timestamp(1)
        ));
        let upper = Value::Text("wba1".into());
        assert!(!cars.upsert(
            dedupe_key(&[&upper]),
            vec![(1, Value::Text("blue".into()))],
            Some(7),
            Timestamp(2)
        ));
        assert_eq!(cars.records().len(), 1);
        let record = &cars.records()[0];
        assert_eq!(record.values.get(1), Some(Value::Text("blue".into())));
        assert_eq!(record.values.get(0), Some(vin));
        assert_eq!(
            (record.created_at, record.updated_at, record.lead),
            (Timestamp(1), Timestamp(2), Some(7))
        );
    }

    #[test]
    fn records_are_found_by_field_or_by_guid() {
        let mut cars = car();
        let vin = Value::Text("WBA1".into());
        cars.upsert(dedupe_key(&[&vin]), vec![(0, vin)], None, Timestamp(1));
        assert_eq!(cars.find("vin", "wba1"), [0]);
        let guid = cars.records()[0].guid.to_string();
        assert_eq!(cars.find("marketoGUID", &guid), [0]);
        assert!(cars.find("color", "red").is_empty());
    }
}
