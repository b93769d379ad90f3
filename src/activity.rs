//! An activity as Marketo's answers show it: its primary attribute named, and its attributes
//! in order with their JSON types. The REST reads and the bulk activity export both render
//! activities from here, so the two always agree.

use std::borrow::Cow;

use crate::clock::Timestamp;
use crate::schema::{FieldId, ValueRef};
use crate::store::Db;
use crate::store::activities::{Activity, Payload, StatusChange, kinds};
use crate::store::leads::{Lead, LeadColumn};

/// An attribute's value, borrowed from the store where it can be.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue<'a> {
    Text(Cow<'a, str>),
    Integer(i64),
    Boolean(bool),
    /// A day, written `YYYY-MM-DD`.
    Date(Timestamp),
    Null,
}

impl AttributeValue<'_> {
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            AttributeValue::Text(text) => serde_json::Value::from(text.as_ref()),
            AttributeValue::Integer(n) => serde_json::Value::from(*n),
            AttributeValue::Boolean(flag) => serde_json::Value::from(*flag),
            AttributeValue::Date(time) => serde_json::Value::from(day(*time)),
            AttributeValue::Null => serde_json::Value::Null,
        }
    }
}

/// `YYYY-MM-DD` of a time, in UTC.
pub fn day(time: Timestamp) -> String {
    let mut text = time.to_marketo();
    text.truncate(10);
    text
}

/// A field's value as Change Data Value writes it: always text (`True`/`False` for flags,
/// `YYYY-MM-DD HH:MM:SS` for times).
pub fn value_text(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Boolean(true) => "True".to_owned(),
        ValueRef::Boolean(false) => "False".to_owned(),
        ValueRef::Datetime(millis) => Timestamp(millis).to_marketo()[..19].replacen('T', " ", 1),
        other => other.key_text(),
    }
}

/// The field a change activity names: its Marketo field id, REST name and display name.
pub struct FieldNames<'a> {
    pub id: u32,
    pub name: &'a str,
    pub display_name: &'a str,
}

pub fn field(db: &Db, field: FieldId) -> Option<FieldNames<'_>> {
    let schema = db.leads.schema();
    (usize::from(field) < schema.fields().len()).then(|| {
        let def = schema.field(field);
        FieldNames {
            id: def.id,
            name: &def.name,
            display_name: &def.display_name,
        }
    })
}

/// What rendering activities needs from the store, looked up once rather than for every
/// activity: a file of 120,000 activities renders each one's names.
pub struct Activities<'a> {
    db: &'a Db,
    first_name: Option<FieldId>,
    last_name: Option<FieldId>,
}

impl<'a> Activities<'a> {
    pub fn new(db: &'a Db) -> Activities<'a> {
        let schema = db.leads.schema();
        Activities {
            db,
            first_name: schema.find("firstName"),
            last_name: schema.find("lastName"),
        }
    }

    /// A lead's full name, as New Lead's primary attribute value shows it.
    fn full_name(&self, lead: &Lead) -> Option<String> {
        let part = |field: Option<FieldId>| match lead.value(LeadColumn::Stored(field?)) {
            Some(ValueRef::Text(text)) if !text.is_empty() => Some(text),
            _ => None,
        };
        match (part(self.first_name), part(self.last_name)) {
            (Some(first), Some(last)) => Some(format!("{first} {last}")),
            (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
            (None, None) => None,
        }
    }

    /// An activity's primary attribute: its id and its name. New Lead has none in its type,
    /// yet Marketo fills both with the lead's id and full name.
    pub fn primary(&self, activity: &Activity) -> (Option<i64>, Option<Cow<'a, str>>) {
        let db = self.db;
        match activity.kind {
            kinds::NEW_LEAD => (
                Some(i64::from(activity.lead)),
                db.leads
                    .lead(activity.lead)
                    .and_then(|lead| self.full_name(lead))
                    .map(Cow::Owned),
            ),
            kinds::CHANGE_DATA_VALUE | kinds::CHANGE_SCORE => {
                match field(db, activity.primary as FieldId) {
                    Some(names) => (
                        Some(i64::from(names.id)),
                        Some(Cow::Borrowed(names.display_name)),
                    ),
                    None => (None, None),
                }
            }
            kinds::ADD_TO_LIST | kinds::REMOVE_FROM_LIST => (
                Some(i64::from(activity.primary)),
                db.leads
                    .list(activity.primary)
                    .map(|(list, _)| Cow::Borrowed(list.name.as_str())),
            ),
            kinds::CHANGE_STATUS_IN_PROGRESSION => (
                Some(i64::from(activity.primary)),
                db.programs
                    .program(activity.primary)
                    .map(|program| Cow::Borrowed(program.name.as_str())),
            ),
            _ => (None, None),
        }
    }

    /// Calls `each` with every attribute of an activity, in the order its type lists them.
    pub fn attributes(
        &self,
        activity: &Activity<'a>,
        mut each: impl FnMut(&'static str, AttributeValue<'a>),
    ) {
        let db = self.db;
        let source = activity.source;
        let text = |text: &'a str| AttributeValue::Text(Cow::Borrowed(text));
        match (activity.kind, activity.payload) {
            (kinds::NEW_LEAD, _) => {
                let created = db
                    .leads
                    .lead(activity.lead)
                    .map_or(activity.date, |lead| lead.created_at);
                each("Created Date", AttributeValue::Date(created));
                each("List Name", text(&source.name));
                each("Source Type", text(source.kind));
            }
            (kinds::CHANGE_DATA_VALUE, Some(Payload::Change { old, new })) => {
                let as_text = |value: Option<ValueRef<'_>>| {
                    value.map_or(AttributeValue::Null, |value| {
                        AttributeValue::Text(Cow::Owned(value_text(value)))
                    })
                };
                each("New Value", as_text(new));
                each("Old Value", as_text(old));
                each("Reason", text(&source.name));
                each("Source", text(source.kind));
            }
            (kinds::CHANGE_SCORE, Some(Payload::Change { old, new })) => {
                each("Change Value", score_change(old, new));
                each("New Value", number_or_null(new));
                each("Old Value", number_or_null(old));
                each("Reason", text(&source.name));
            }
            (kinds::ADD_TO_LIST | kinds::REMOVE_FROM_LIST, _) => {
                each("Source", text(source.kind));
            }
            (
                kinds::CHANGE_STATUS_IN_PROGRESSION,
                Some(Payload::Status(StatusChange {
                    old,
                    new,
                    success,
                    acquired,
                })),
            ) => {
                let program = activity.primary;
                let old = old.as_deref().unwrap_or("Not in Program");
                let status_id = |name: &str| {
                    db.programs
                        .status_id(program, name)
                        .map_or(AttributeValue::Null, |id| {
                            AttributeValue::Integer(i64::from(id))
                        })
                };
                let member = db
                    .programs
                    .membership(program, activity.lead)
                    .map_or(AttributeValue::Null, |member| {
                        AttributeValue::Integer(member.id as i64)
                    });
                each("Acquired By", AttributeValue::Boolean(*acquired));
                each("New Status", text(new));
                each("New Status ID", status_id(new));
                each("Old Status", text(old));
                each("Old Status ID", status_id(old));
                each("Program Member ID", member);
                each("Reason", text(&source.name));
                each("Success", AttributeValue::Boolean(*success));
            }
            _ => {}
        }
    }

    /// The attributes as REST answers list them: `[{"name": ..., "value": ...}]`.
    pub fn attribute_list(&self, activity: &Activity<'a>) -> serde_json::Value {
        let mut list = Vec::new();
        self.attributes(activity, |name, value| {
            list.push(serde_json::json!({ "name": name, "value": value.to_json() }));
        });
        serde_json::Value::Array(list)
    }
}

/// A score change as Change Score writes it: `+10`, `-5`.
fn score_change(old: Option<ValueRef<'_>>, new: Option<ValueRef<'_>>) -> AttributeValue<'static> {
    let number = |value: Option<ValueRef<'_>>| match value {
        Some(ValueRef::Integer(n)) => n,
        _ => 0,
    };
    let change = number(new) - number(old);
    AttributeValue::Text(Cow::Owned(format!("{change:+}")))
}

fn number_or_null(value: Option<ValueRef<'_>>) -> AttributeValue<'static> {
    match value {
        Some(ValueRef::Integer(n)) => AttributeValue::Integer(n),
        Some(other) => AttributeValue::Text(Cow::Owned(other.key_text())),
        None => AttributeValue::Null,
    }
}

/// Writes the attributes as the bulk activity export's cell: one JSON object, `{}` when the
/// activity has none. Keeps its buffer and the last day it wrote between activities.
#[derive(Default)]
pub struct AttributeObject {
    out: String,
    day: (i64, String),
}

impl AttributeObject {
    pub fn write<'a>(&mut self, names: &Activities<'a>, activity: &Activity<'a>) -> &str {
        let AttributeObject { out, day: cached } = self;
        out.clear();
        out.push('{');
        names.attributes(activity, |name, value| {
            if out.len() > 1 {
                out.push(',');
            }
            push_json_string(out, name);
            out.push(':');
            match value {
                AttributeValue::Text(text) => push_json_string(out, &text),
                AttributeValue::Integer(n) => {
                    use std::fmt::Write;
                    let _ = write!(out, "{n}");
                }
                AttributeValue::Boolean(flag) => out.push_str(if flag { "true" } else { "false" }),
                AttributeValue::Date(time) => {
                    let day_number = time.millis().div_euclid(86_400_000);
                    if cached.0 != day_number {
                        *cached = (day_number, day(time));
                    }
                    push_json_string(out, &cached.1);
                }
                AttributeValue::Null => out.push_str("null"),
            }
        });
        out.push('}');
        out
    }
}

/// A JSON string: text that needs no escaping (the common case) is copied as it is.
fn push_json_string(out: &mut String, text: &str) {
    if text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        // Serialising a string into memory cannot fail.
        out.push_str(&serde_json::to_string(text).unwrap_or_default());
    } else {
        out.push('"');
        out.push_str(text);
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_values_are_written_as_text_as_marketo_writes_them() {
        assert_eq!(value_text(ValueRef::Boolean(true)), "True");
        assert_eq!(value_text(ValueRef::Integer(10)), "10");
        assert_eq!(
            value_text(ValueRef::Datetime(1_674_758_760_000)),
            "2023-01-26 18:46:00"
        );
        assert_eq!(value_text(ValueRef::Text("Ann")), "Ann");
    }

    #[test]
    fn json_strings_are_escaped_only_where_they_must_be() {
        for text in [
            "plain",
            "say \"hi\"",
            "back\\slash",
            "line\nbreak",
            "tab\t",
            "ü",
        ] {
            let mut out = String::new();
            push_json_string(&mut out, text);
            assert_eq!(out, serde_json::to_string(text).unwrap(), "{text:?}");
        }
    }

    #[test]
    fn score_changes_carry_their_sign() {
        let (old, new) = (ValueRef::Integer(10), ValueRef::Integer(25));
        assert_eq!(
            score_change(Some(old), Some(new)),
            AttributeValue::Text("+15".into())
        );
        assert_eq!(
            score_change(Some(new), Some(old)),
            AttributeValue::Text("-15".into())
        );
        assert_eq!(
            score_change(None, Some(old)),
            AttributeValue::Text("+10".into())
        );
    }
}
