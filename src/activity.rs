//! An activity as Marketo's answers show it: its primary attribute named, and its attributes
//! in order with their JSON types. The REST reads and the bulk activity export both render
//! activities from here, so the two always agree.

use std::borrow::Cow;

use crate::clock::Timestamp;
use crate::schema::{FieldId, Value, ValueRef};
use crate::store::Db;
use crate::store::activities::{Activity, Payload, kinds};
use crate::store::leads::Lead;

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
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Boolean(true) => "True".to_owned(),
        Value::Boolean(false) => "False".to_owned(),
        Value::Datetime(millis) => Timestamp(*millis).to_marketo()[..19].replacen('T', " ", 1),
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

/// A lead's full name, as New Lead's primary attribute value shows it.
fn full_name(db: &Db, lead: &Lead) -> Option<String> {
    let schema = db.leads.schema();
    let part = |name: &str| {
        schema.find(name).and_then(|field| {
            match lead.value(crate::store::leads::LeadColumn::Stored(field)) {
                Some(ValueRef::Text(text)) => Some(text),
                _ => None,
            }
        })
    };
    let name = [part("firstName"), part("lastName")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    (!name.is_empty()).then_some(name)
}

/// An activity's primary attribute: its id and its name. New Lead has none in its type, yet
/// Marketo fills both with the lead's id and full name.
pub fn primary(db: &Db, activity: &Activity) -> (Option<i64>, Option<String>) {
    match activity.kind {
        kinds::NEW_LEAD => (
            Some(i64::from(activity.lead)),
            db.leads
                .lead(activity.lead)
                .and_then(|lead| full_name(db, lead)),
        ),
        kinds::CHANGE_DATA_VALUE | kinds::CHANGE_SCORE => {
            match field(db, activity.primary as FieldId) {
                Some(names) => (
                    Some(i64::from(names.id)),
                    Some(names.display_name.to_owned()),
                ),
                None => (None, None),
            }
        }
        kinds::ADD_TO_LIST | kinds::REMOVE_FROM_LIST => (
            Some(i64::from(activity.primary)),
            db.leads
                .list(activity.primary)
                .map(|(list, _)| list.name.clone()),
        ),
        kinds::CHANGE_STATUS_IN_PROGRESSION => (
            Some(i64::from(activity.primary)),
            db.programs
                .program(activity.primary)
                .map(|program| program.name.clone()),
        ),
        _ => (None, None),
    }
}

/// A score change as Change Score writes it: `+10`, `-5`.
fn score_change(old: Option<&Value>, new: Option<&Value>) -> AttributeValue<'static> {
    let number = |value: Option<&Value>| match value {
        Some(Value::Integer(n)) => *n,
        _ => 0,
    };
    let change = number(new) - number(old);
    AttributeValue::Text(Cow::Owned(format!("{change:+}")))
}

fn number_or_null(value: Option<&Value>) -> AttributeValue<'static> {
    match value {
        Some(Value::Integer(n)) => AttributeValue::Integer(*n),
        Some(other) => AttributeValue::Text(Cow::Owned(other.key_text())),
        None => AttributeValue::Null,
    }
}

/// Calls `each` with every attribute of an activity, in the order its type lists them.
pub fn attributes<'a>(
    db: &'a Db,
    activity: &Activity<'a>,
    mut each: impl FnMut(&'static str, AttributeValue<'a>),
) {
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
            let as_text = |value: &Option<Value>| {
                value.as_ref().map_or(AttributeValue::Null, |value| {
                    AttributeValue::Text(Cow::Owned(value_text(value)))
                })
            };
            each("New Value", as_text(new));
            each("Old Value", as_text(old));
            each("Reason", text(&source.name));
            each("Source", text(source.kind));
        }
        (kinds::CHANGE_SCORE, Some(Payload::Change { old, new })) => {
            each("Change Value", score_change(old.as_ref(), new.as_ref()));
            each("New Value", number_or_null(new.as_ref()));
            each("Old Value", number_or_null(old.as_ref()));
            each("Reason", text(&source.name));
        }
        (kinds::ADD_TO_LIST | kinds::REMOVE_FROM_LIST, _) => each("Source", text(source.kind)),
        (
            kinds::CHANGE_STATUS_IN_PROGRESSION,
            Some(Payload::Status {
                old,
                new,
                success,
                acquired,
            }),
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
            each(
                "Old Status",
                AttributeValue::Text(Cow::Owned(old.to_owned())),
            );
            each("Old Status ID", status_id(old));
            each("Program Member ID", member);
            each("Reason", text(&source.name));
            each("Success", AttributeValue::Boolean(*success));
        }
        _ => {}
    }
}

/// The attributes as REST answers list them: `[{"name": ..., "value": ...}]`.
pub fn attribute_list(db: &Db, activity: &Activity) -> serde_json::Value {
    let mut list = Vec::new();
    attributes(db, activity, |name, value| {
        list.push(serde_json::json!({ "name": name, "value": value.to_json() }));
    });
    serde_json::Value::Array(list)
}

/// The attributes as the bulk activity export writes its cell: one JSON object, `{}` when the
/// activity has none. Written into `out`, which is cleared first.
pub fn write_attribute_object(db: &Db, activity: &Activity, out: &mut String) {
    out.clear();
    out.push('{');
    attributes(db, activity, |name, value| {
        if out.len() > 1 {
            out.push(',');
        }
        push_json_string(out, name);
        out.push(':');
        match value {
            AttributeValue::Text(text) => push_json_string(out, &text),
            AttributeValue::Integer(n) => out.push_str(&n.to_string()),
            AttributeValue::Boolean(flag) => out.push_str(if flag { "true" } else { "false" }),
            AttributeValue::Date(time) => push_json_string(out, &day(time)),
            AttributeValue::Null => out.push_str("null"),
        }
    });
    out.push('}');
}

fn push_json_string(out: &mut String, text: &str) {
    // Serialising a string into memory cannot fail.
    out.push_str(&serde_json::to_string(text).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_values_are_written_as_text_as_marketo_writes_them() {
        assert_eq!(value_text(&Value::Boolean(true)), "True");
        assert_eq!(value_text(&Value::Integer(10)), "10");
        assert_eq!(
            value_text(&Value::Datetime(1_674_758_760_000)),
            "2023-01-26 18:46:00"
        );
        assert_eq!(value_text(&Value::Text("Ann".into())), "Ann");
    }

    #[test]
    fn score_changes_carry_their_sign() {
        let (old, new) = (Value::Integer(10), Value::Integer(25));
        assert_eq!(
            score_change(Some(&old), Some(&new)),
            AttributeValue::Text("+15".into())
        );
        assert_eq!(
            score_change(Some(&new), Some(&old)),
            AttributeValue::Text("-15".into())
        );
        assert_eq!(
            score_change(None, Some(&old)),
            AttributeValue::Text("+10".into())
        );
    }
}
