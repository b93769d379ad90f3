//! Field definitions of the importable objects, loaded from the fixtures, and the typed values
//! stored for them.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Marketo's field data types, as `describe` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// A writable field whose display name is its name, for tests.
    #[cfg(test)]
    pub fn named(name: &str, data_type: DataType) -> FieldDef {
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
        self.borrowed().key_text()
    }

    /// The value borrowed, as a record holds it.
    pub fn borrowed(&self) -> ValueRef<'_> {
        match self {
            Value::Text(text) => ValueRef::Text(text),
            Value::Date(text) => ValueRef::Date(text),
            Value::Integer(n) => ValueRef::Integer(*n),
            Value::Float(n) => ValueRef::Float(*n),
            Value::Boolean(flag) => ValueRef::Boolean(*flag),
            Value::Datetime(millis) => ValueRef::Datetime(*millis),
        }
    }
}

/// A value as stored, borrowed from its record: what an export writes without copying.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    Text(&'a str),
    Date(&'a str),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    Datetime(i64),
}

impl ValueRef<'_> {
    /// The value as text, as lookups compare it.
    pub fn key_text(self) -> String {
        match self {
            ValueRef::Text(text) | ValueRef::Date(text) => text.to_owned(),
            ValueRef::Integer(number) => number.to_string(),
            ValueRef::Float(number) => number.to_string(),
            ValueRef::Boolean(flag) => flag.to_string(),
            ValueRef::Datetime(millis) => crate::clock::Timestamp(millis).to_marketo(),
        }
    }

    pub fn to_value(self) -> Value {
        match self {
            ValueRef::Text(text) => Value::Text(text.into()),
            ValueRef::Date(text) => Value::Date(text.into()),
            ValueRef::Integer(n) => Value::Integer(n),
            ValueRef::Float(n) => Value::Float(n),
            ValueRef::Boolean(flag) => Value::Boolean(flag),
            ValueRef::Datetime(millis) => Value::Datetime(millis),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, data_type: DataType) -> FieldDef {
        FieldDef::named(name, data_type)
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
    fn data_types_read_as_describe_names_them() {
        let parsed: DataType = serde_json::from_str("\"datetime\"").unwrap();
        assert_eq!(parsed, DataType::Datetime);
    }
}
