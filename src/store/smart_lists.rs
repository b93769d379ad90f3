//! Smart lists: named rules over lead fields, defined in a fixture and evaluated when an
//! export starts processing, as Marketo evaluates a smart list when it is used.

use serde::{Deserialize, Serialize};

use super::leads::{Lead, LeadColumn};
use crate::schema::{Schema, ValueRef};

/// How a rule compares a lead's value with the rule's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Operator {
    #[serde(rename = "is")]
    Is,
    #[serde(rename = "is not")]
    IsNot,
    #[serde(rename = "contains")]
    Contains,
    #[serde(rename = "starts with")]
    StartsWith,
    #[serde(rename = "is empty")]
    IsEmpty,
    #[serde(rename = "is not empty")]
    IsNotEmpty,
    #[serde(rename = "greater than")]
    GreaterThan,
    #[serde(rename = "less than")]
    LessThan,
}

/// A rule value: text, or a number or flag written as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RuleValue {
    Text(String),
    Number(f64),
    Flag(bool),
}

impl RuleValue {
    fn text(&self) -> String {
        match self {
            RuleValue::Text(text) => text.clone(),
            RuleValue::Number(number) => number.to_string(),
            RuleValue::Flag(flag) => flag.to_string(),
        }
    }
}

/// One condition on a lead field (a REST name, matched without case).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub field: String,
    pub operator: Operator,
    /// The values compared with; `is` and `contains` match any of them, `is not` none.
    #[serde(default, alias = "value", deserialize_with = "one_or_many")]
    pub values: Vec<RuleValue>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<RuleValue>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<RuleValue>),
        One(RuleValue),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::Many(values) => values,
        OneOrMany::One(value) => vec![value],
    })
}

/// A smart list of `smart_lists.json`: its leads are those that meet every rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SmartListDef {
    pub id: u32,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// One rule, or several that must all hold.
    #[serde(alias = "rule", deserialize_with = "rule_or_rules")]
    pub rules: Vec<Rule>,
}

fn rule_or_rules<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<Rule>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum RuleOrRules {
        Many(Vec<Rule>),
        One(Rule),
    }
    Ok(match RuleOrRules::deserialize(deserializer)? {
        RuleOrRules::Many(rules) => rules,
        RuleOrRules::One(rule) => vec![rule],
    })
}

/// A smart list with its rules resolved against the lead schema.
#[derive(Debug, Clone)]
pub struct SmartList {
    pub def: SmartListDef,
    rules: Vec<(LeadColumn, Operator, Vec<String>)>,
}

impl SmartList {
    /// Resolves the rules' fields; names the first field the schema lacks.
    pub fn new(def: SmartListDef, schema: &Schema) -> Result<SmartList, String> {
        let rules = def
            .rules
            .iter()
            .map(|rule| {
                let field = schema.find(&rule.field).ok_or_else(|| {
                    format!(
                        "smart list {} names the lead field '{}', which the lead schema lacks",
                        def.id, rule.field
                    )
                })?;
                let values = rule.values.iter().map(RuleValue::text).collect();
                Ok((LeadColumn::of(schema, field), rule.operator, values))
            })
            .collect::<Result<_, String>>()?;
        Ok(SmartList { def, rules })
    }

    /// Whether a lead meets every rule.
    pub fn contains(&self, lead: &Lead) -> bool {
        self.rules
            .iter()
            .all(|(column, operator, values)| holds(lead.value(*column), *operator, values))
    }
}

fn text_of(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Text(text) | ValueRef::Date(text) => text.to_owned(),
        other => other.to_value().key_text(),
    }
}

fn number_of(value: ValueRef<'_>) -> Option<f64> {
    match value {
        ValueRef::Integer(n) => Some(n as f64),
        ValueRef::Float(n) => Some(n),
        ValueRef::Datetime(millis) => Some(millis as f64),
        ValueRef::Text(text) | ValueRef::Date(text) => text.trim().parse().ok(),
        ValueRef::Boolean(_) => None,
    }
}

/// Compares for `greater than` and `less than`: as numbers where both sides are numbers, as
/// times where the lead's value is a time, else as text (ISO dates order as text).
fn compare(value: ValueRef<'_>, against: &str) -> Option<std::cmp::Ordering> {
    let against_number = match value {
        ValueRef::Datetime(_) => crate::iso8601::parse_time(against).map(|t| t.millis() as f64),
        _ => against.trim().parse::<f64>().ok(),
    };
    match (number_of(value), against_number) {
        (Some(mine), Some(theirs)) => mine.partial_cmp(&theirs),
        _ => Some(text_of(value).as_str().cmp(against)),
    }
}

fn holds(value: Option<ValueRef<'_>>, operator: Operator, values: &[String]) -> bool {
    let text = value.map(text_of).filter(|text| !text.is_empty());
    let lower = text.as_deref().map(str::to_lowercase);
    let any = |test: &dyn Fn(&str, &str) -> bool| {
        lower
            .as_deref()
            .is_some_and(|mine| values.iter().any(|v| test(mine, &v.to_lowercase())))
    };
    match operator {
        Operator::IsEmpty => text.is_none(),
        Operator::IsNotEmpty => text.is_some(),
        Operator::Is => any(&|mine, wanted| mine == wanted),
        Operator::IsNot => !any(&|mine, wanted| mine == wanted),
        Operator::Contains => any(&|mine, wanted| mine.contains(wanted)),
        Operator::StartsWith => any(&|mine, wanted| mine.starts_with(wanted)),
        Operator::GreaterThan | Operator::LessThan => {
            let wanted = if operator == Operator::GreaterThan {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Less
            };
            let (Some(value), Some(against)) = (value, values.first()) else {
                return false;
            };
            text.is_some() && compare(value, against) == Some(wanted)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;
    use crate::record::Values;
    use crate::schema::{DataType, FieldDef, Value};

    fn schema() -> Schema {
        Schema::new(vec![
            FieldDef::named("id", DataType::Integer),
            FieldDef::named("email", DataType::Email),
            FieldDef::named("leadScore", DataType::Integer),
            FieldDef::named("company", DataType::String),
            FieldDef::named("createdAt", DataType::Datetime),
        ])
    }

    fn lead(email: &str, score: Option<i64>, company: Option<&str>) -> Lead {
        let mut values = vec![(1, Value::Text(email.into()))];
        if let Some(score) = score {
            values.push((2, Value::Integer(score)));
        }
        if let Some(company) = company {
            values.push((3, Value::Text(company.into())));
        }
        Lead {
            id: 7,
            partition: 1,
            created_at: Timestamp(1_700_000_000_000),
            updated_at: Timestamp(1_700_000_000_000),
            values: Values::from_vec(values),
        }
    }

    fn list(rules: serde_json::Value) -> SmartList {
        let def: SmartListDef =
            serde_json::from_value(serde_json::json!({"id": 1, "name": "L", "rules": rules}))
                .unwrap();
        SmartList::new(def, &schema()).unwrap()
    }

    #[test]
    fn text_operators_compare_without_case() {
        let ann = lead("Ann@Example.com", Some(60), Some("Acme"));
        let is = list(
            serde_json::json!([{"field": "company", "operator": "is", "values": ["ACME", "Initech"]}]),
        );
        assert!(is.contains(&ann));
        let is_not = list(
            serde_json::json!([{"field": "company", "operator": "is not", "values": ["acme"]}]),
        );
        assert!(!is_not.contains(&ann));
        let contains = list(
            serde_json::json!([{"field": "email", "operator": "contains", "value": "@example.com"}]),
        );
        assert!(contains.contains(&ann));
        let starts = list(
            serde_json::json!([{"field": "EMAIL", "operator": "starts with", "values": ["ann@"]}]),
        );
        assert!(starts.contains(&ann));
    }

    #[test]
    fn numbers_compare_as_numbers_and_empty_values_meet_only_the_emptiness_rules() {
        let high = list(
            serde_json::json!([{"field": "leadScore", "operator": "greater than", "values": [50]}]),
        );
        assert!(high.contains(&lead("a@x.com", Some(60), None)));
        assert!(!high.contains(&lead("a@x.com", Some(9), None)));
        assert!(!high.contains(&lead("a@x.com", None, None)));
        let empty = list(serde_json::json!([{"field": "company", "operator": "is empty"}]));
        assert!(empty.contains(&lead("a@x.com", None, None)));
        assert!(empty.contains(&lead("a@x.com", None, Some(""))));
        assert!(!empty.contains(&lead("a@x.com", None, Some("Acme"))));
        let not_empty = list(serde_json::json!([{"field": "company", "operator": "is not empty"}]));
        assert!(not_empty.contains(&lead("a@x.com", None, Some("Acme"))));
    }

    #[test]
    fn times_compare_with_iso_dates_and_every_rule_must_hold() {
        let rules = list(serde_json::json!([
            {"field": "createdAt", "operator": "greater than", "values": ["2023-01-01"]},
            {"field": "createdAt", "operator": "less than", "values": ["2024-01-01T00:00:00Z"]},
            {"field": "leadScore", "operator": "less than", "values": ["100"]}
        ]));
        assert!(rules.contains(&lead("a@x.com", Some(1), None)));
        assert!(!rules.contains(&lead("a@x.com", Some(100), None)));
    }

    #[test]
    fn a_single_rule_may_stand_alone_and_an_unknown_field_is_named() {
        let def: SmartListDef = serde_json::from_value(serde_json::json!({
            "id": 9, "name": "One", "rule": {"field": "nickname", "operator": "is empty"}
        }))
        .unwrap();
        assert_eq!(def.rules.len(), 1);
        let error = SmartList::new(def, &schema()).unwrap_err();
        assert!(error.contains("'nickname'"), "{error}");
    }
}
