//! A job's creation parameters, typed: what a create request asked for once it was checked,
//! as the control plane and the dashboard show it.

use serde::{Serialize, Serializer};
use utoipa::ToSchema;

use super::ImportKind;
use crate::format::Format;

/// A job's creation parameters as checked, which the control plane and dashboard show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum JobParams {
    Leads(LeadJobParams),
    CustomObjects(ObjectJobParams),
    ProgramMembers(MemberJobParams),
}

/// A lead import's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeadJobParams {
    pub format: Format,
    /// The lookup field, spelt as the schema spells it.
    pub lookup_field: String,
    /// The static list the leads join.
    pub list_id: Option<u32>,
    /// The partition as the request named it; the default one when absent.
    pub partition_name: Option<String>,
}

/// A custom object import's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectJobParams {
    pub format: Format,
    pub object_api_name: String,
}

/// A program member import's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberJobParams {
    pub format: Format,
    /// A string, as the path has it.
    #[serde(serialize_with = "as_string")]
    #[schema(value_type = String)]
    pub program_id: u32,
    /// The status as the request named it.
    pub program_member_status: String,
}

impl JobParams {
    pub fn kind(&self) -> ImportKind {
        match self {
            JobParams::Leads(_) => ImportKind::Leads,
            JobParams::CustomObjects(_) => ImportKind::CustomObjects,
            JobParams::ProgramMembers(_) => ImportKind::ProgramMembers,
        }
    }
}

/// Writes a number as a string, as Marketo writes some ids.
pub(crate) fn as_string<S: Serializer>(id: &u32, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(id)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn job_params_serialize_with_the_keys_the_dashboard_reads() {
        let leads = JobParams::Leads(LeadJobParams {
            format: Format::Tsv,
            lookup_field: "email".to_owned(),
            list_id: Some(2001),
            partition_name: None,
        });
        let objects = JobParams::CustomObjects(ObjectJobParams {
            format: Format::Csv,
            object_api_name: "car_c".to_owned(),
        });
        let members = JobParams::ProgramMembers(MemberJobParams {
            format: Format::Ssv,
            program_id: 1001,
            program_member_status: "Registered".to_owned(),
        });
        assert_eq!(
            serde_json::to_value(leads).unwrap(),
            json!({"format": "tsv", "lookupField": "email", "listId": 2001, "partitionName": null})
        );
        assert_eq!(
            serde_json::to_value(objects).unwrap(),
            json!({"format": "csv", "objectApiName": "car_c"})
        );
        assert_eq!(
            serde_json::to_value(members).unwrap(),
            json!({"format": "ssv", "programId": "1001", "programMemberStatus": "Registered"})
        );
    }
}
