//! Field definitions of the importable objects, loaded from the fixtures, and the typed values
//! stored for them.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Marketo's field data types, as `describe` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataType {
    String,
    Email,
    Phone,
    Url,
    Text,
    Reference,
    Integer,
    Score,
    Float,
    Currency,
    Percent,
    Boolean,
    Date,
    Datetime,
}

impl DataType {
    /// Types whose values are kept as text and whose length is checked.
    pub fn is_textual(self) -> bool {
        matches!(
            self,
            DataType::String
                | DataType::Email
                | DataType::Phone
                | DataType::Url
                | DataType::Text
                | DataType::Reference
        )
    }
}

/// One field of an object, by its REST API name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldDef {
    #[serde(default)]
    pub id: u32,
    pub name: String,
    pub display_name: String,
    pub data_type: DataType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soap_name: Option<String>,
    #[serde(default)]
    pub read_only: bool,
    /// Custom-object and program-member describes say `updateable` instead of `readOnly`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updateable: Option<bool>,
}

impl FieldDef {
    pub fn writable(&self) -> bool {
        !self.read_only && self.updateable.unwrap_or(true)
    }
}

/// Index of a field within its [`Schema`]; stored records key their values by it.
pub type FieldId = u16;

/// The fields of one object type, findable by name regardless of case.
#[derive(Debug, Clone)]
pub struct Schema {
    fields: Vec<FieldDef>,
    by_name: HashMap<String, FieldId>,
}

impl Schema {
    pub fn new(fields: Vec<FieldDef>) -> Schema {
        let by_name = fields
            .iter()
            .enumerate()
            .map(|(index, field)| (field.name.to_ascii_lowercase(), index as FieldId))
            .collect();
        Schema { fields, by_name }
    }

    /// Header names and `fields` parameters match REST API names case-insensitively.
    pub fn find(&self, name: &str) -> Option<FieldId> {
        self.by_name.get(&name.to_ascii_lowercase()).copied()
    }

    pub fn field(&self, id: FieldId) -> &FieldDef {
        &self.fields[usize::from(id)]
    }

    pub fn fields(&self) -> &[FieldDef] {
        &self.fields
    }

    pub fn ids(&self) -> impl Iterator<Item = FieldId> + '_ {
        (0..self.fields.len()).map(|index| index as FieldId)
    }
}

/// A validated value, kept in its type so read-back renders numbers as numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(Box<str>),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    /// `YYYY-MM-DD`, already normalised.
    Date(Box<str>),
    /// Milliseconds since the epoch, rendered as Marketo's UTC timestamp.
    Datetime(i64),
}

impl Value {
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Text(text) | Value::Date(text) => serde_json::Value::from(&**text),
            Value::Integer(number) => serde_json::Value::from(*number),
            Value::Float(number) => serde_json::Value::from(*number),
            Value::Boolean(flag) => serde_json::Value::from(*flag),
            Value::Datetime(millis) => {
                serde_json::Value::from(crate::clock::Timestamp(*millis).to_marketo())
            }
        }
    }

    /// The value as text, for lookups and filters that compare strings.
    pub fn key_text(&self) -> String {
        match self {
            Value::Text(text) | Value::Date(text) => text.to_string(),
            Value::Integer(number) => number.to_string(),
            Value::Float(number) => number.to_string(),
            Value::Boolean(flag) => flag.to_string(),
            Value::Datetime(millis) => crate::clock::Timestamp(*millis).to_marketo(),
        }
    }
}

/// A record's values, sorted by field id so one is found by binary search; compact because
/// a field absent from the record takes no space.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Values(Vec<(FieldId, Value)>);

impl Values {
    /// Values from a list in any order; of a field given twice, the last wins.
    pub fn from_vec(mut values: Vec<(FieldId, Value)>) -> Values {
        // A stable sort keeps a repeated field's values in order, so the last one is kept.
        values.sort_by_key(|(field, _)| *field);
        values.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                std::mem::swap(later, earlier);
            }
            same
        });
        values.shrink_to_fit();
        Values(values)
    }

    pub fn get(&self, field: FieldId) -> Option<&Value> {
        self.0
            .binary_search_by_key(&field, |(id, _)| *id)
            .ok()
            .map(|at| &self.0[at].1)
    }

    /// Sets a value, returning the one it replaced.
    pub fn set(&mut self, field: FieldId, value: Value) -> Option<Value> {
        match self.0.binary_search_by_key(&field, |(id, _)| *id) {
            Ok(at) => Some(std::mem::replace(&mut self.0[at].1, value)),
            Err(at) => {
                self.0.insert(at, (field, value));
                None
            }
        }
    }

    pub fn shrink(&mut self) {
        self.0.shrink_to_fit();
    }

    pub fn iter(&self) -> impl Iterator<Item = &(FieldId, Value)> {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, data_type: DataType) -> FieldDef {
        FieldDef {
            id: 0,
            name: name.into(),
            display_name: name.into(),
            data_type,
            length: None,
            soap_name: None,
            read_only: false,
            updateable: None,
        }
    }

    #[test]
    fn fields_are_found_by_name_whatever_the_case() {
        let schema = Schema::new(vec![
            field("email", DataType::Email),
            field("firstName", DataType::String),
        ]);
        assert_eq!(schema.find("FIRSTNAME"), Some(1));
        assert_eq!(schema.find("firstname"), Some(1));
        assert_eq!(schema.find("lastName"), None);
    }

    #[test]
    fn values_are_kept_sorted_and_replaced_in_place() {
        let mut values = Values::default();
        assert_eq!(values.set(5, Value::Integer(1)), None);
        assert_eq!(values.set(2, Value::Boolean(true)), None);
        assert_eq!(values.set(5, Value::Integer(2)), Some(Value::Integer(1)));
        assert_eq!(values.get(5), Some(&Value::Integer(2)));
        assert_eq!(values.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [2, 5]);
        assert_eq!(values.get(3), None);
    }

    #[test]
    fn values_from_a_list_are_sorted_and_the_last_of_a_repeated_field_wins() {
        let values = Values::from_vec(vec![
            (4, Value::Integer(1)),
            (1, Value::Integer(2)),
            (4, Value::Integer(3)),
        ]);
        assert_eq!(
            values.iter().cloned().collect::<Vec<_>>(),
            [(1, Value::Integer(2)), (4, Value::Integer(3))]
        );
    }

    #[test]
    fn data_types_read_as_describe_names_them() {
        let parsed: DataType = serde_json::from_str("\"datetime\"").unwrap();
        assert_eq!(parsed, DataType::Datetime);
    }
}
