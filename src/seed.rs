//! Seeding records as an import would (same checks, same upserts) and exporting the whole
//! state in the same shape, for `POST /_mock/seed` and `GET /_mock/export`.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};

use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::import::{ImportRequest, LeadParams, MemberParams, ObjectParams, RowOutcome, prepare};
use crate::state::AppState;
use crate::store::Db;

type Record = Map<String, Json>;

/// Records to seed, or an instance's whole state: the body of `POST /_mock/seed` and of
/// `GET /_mock/export`.
///
/// Each record is a JSON object keyed by field API names, as an import's header names them.
/// An export also writes the system fields (`id`, `createdAt`, ...), which a seed skips, so an
/// export seeds back as it is.
///
/// ```
/// use marketo_bulk_mock::Records;
/// use serde_json::json;
///
/// let records = Records::new()
///     .lead(json!({"email": "ada@example.com", "firstName": "Ada"}))
///     .program_member("1001", json!({"email": "ada@example.com", "status": "Registered"}));
/// assert_eq!(records.leads.len(), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Records {
    /// Leads, upserted by email as a lead import with no lookup field would.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub leads: Vec<Record>,
    /// Custom object records by the object's API name (`car_c`), upserted by its dedupe fields.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, Vec<Object>>)]
    pub custom_objects: BTreeMap<String, Vec<Record>>,
    /// Program members by program id; each record names its lead by `email` and may give its
    /// `status`.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, Vec<Object>>)]
    pub program_members: BTreeMap<String, Vec<Record>>,
}

impl Records {
    /// No records.
    pub fn new() -> Records {
        Records::default()
    }

    /// Adds a lead.
    ///
    /// # Panics
    ///
    /// When `record` is not a JSON object.
    pub fn lead(mut self, record: Json) -> Records {
        self.leads.push(object(record));
        self
    }

    /// Adds a record of the custom object `api_name`.
    ///
    /// # Panics
    ///
    /// When `record` is not a JSON object.
    pub fn custom_object(mut self, api_name: &str, record: Json) -> Records {
        let records = self.custom_objects.entry(api_name.to_owned()).or_default();
        records.push(object(record));
        self
    }

    /// Adds a member of the program `program_id`.
    ///
    /// # Panics
    ///
    /// When `record` is not a JSON object.
    pub fn program_member(mut self, program_id: &str, record: Json) -> Records {
        let records = self
            .program_members
            .entry(program_id.to_owned())
            .or_default();
        records.push(object(record));
        self
    }
}

fn object(record: Json) -> Record {
    match record {
        Json::Object(record) => record,
        other => panic!("a record is a JSON object, not {other}"),
    }
}

/// What a seed did with each record, in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeedReport {
    /// One report per lead.
    pub leads: Vec<RecordReport>,
    /// One report per record, by custom object API name.
    pub custom_objects: BTreeMap<String, Vec<RecordReport>>,
    /// One report per member, by program id.
    pub program_members: BTreeMap<String, Vec<RecordReport>>,
}

/// What became of one seeded record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecordReport {
    /// Its place in its list, from 0.
    pub index: usize,
    /// Whether it was imported.
    pub status: RecordStatus,
    /// Why it failed, as an import's failures file would say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What an import's warnings file would say of it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Whether a seeded record was imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum RecordStatus {
    /// Upserted, perhaps with warnings.
    Imported,
    /// Refused, for its `reason`.
    Failed,
}

/// System fields an export writes and a seed skips, so an export seeds back.
const LEAD_SYSTEM: &[&str] = &["id", "createdAt", "updatedAt", "leadPartitionId"];
const OBJECT_SYSTEM: &[&str] = &["marketoGUID", "createdAt", "updatedAt"];
const MEMBER_SYSTEM: &[&str] = &[
    "leadId",
    "status",
    "membershipDate",
    "reachedSuccess",
    "acquiredBy",
];

/// A record as a one-row CSV upload, without the keys in `skip`.
fn one_row_file(record: &Record, skip: &[&str]) -> Result<Bytes, ApiError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let kept: Vec<(&String, &Json)> = record
        .iter()
        .filter(|(key, _)| !skip.contains(&key.as_str()))
        .collect();
    let cells = kept
        .iter()
        .map(|(key, value)| match value {
            Json::Null => Ok(String::new()),
            Json::String(text) => Ok(text.clone()),
            Json::Number(_) | Json::Bool(_) => Ok(value.to_string()),
            _ => Err(ApiError::InvalidValue {
                value: key.to_string(),
                expected: "string, number, boolean or null",
            }),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let write = |writer: &mut csv::Writer<Vec<u8>>| -> csv::Result<()> {
        writer.write_record(kept.iter().map(|(key, _)| key.as_str()))?;
        writer.write_record(&cells)
    };
    write(&mut writer).map_err(|_| ApiError::System)?;
    writer
        .into_inner()
        .map(Bytes::from)
        .map_err(|_| ApiError::System)
}

fn report(index: usize, outcome: Result<Vec<RowOutcome>, ApiError>) -> RecordReport {
    let failed = RecordStatus::Failed;
    let (status, reason, warnings) = match outcome.map(|mut rows| rows.pop()) {
        Ok(Some(Ok(warnings))) => (RecordStatus::Imported, None, warnings),
        Ok(Some(Err(reason))) => (failed, Some(reason), Vec::new()),
        Ok(None) => (failed, Some("Empty record".to_owned()), Vec::new()),
        Err(error) => (failed, Some(error.to_string()), Vec::new()),
    };
    RecordReport {
        index,
        status,
        reason,
        warnings,
    }
}

/// Seeding at one moment: every record an import of its own, run to the end.
struct Seeding<'a> {
    state: &'a AppState,
    now: Timestamp,
}

impl Seeding<'_> {
    /// Imports each record of a group as a one-row upload of the import `request` makes for
    /// it, and reports on each.
    fn each(
        &self,
        records: &[Record],
        skip: &[&str],
        request: impl Fn(&Record) -> ImportRequest,
    ) -> Vec<RecordReport> {
        records
            .iter()
            .enumerate()
            .map(|(index, record)| {
                let outcome = one_row_file(record, skip).and_then(|file| {
                    let context = self.state.import_context();
                    let prepared = prepare(request(record), Some(file), context)?;
                    Ok(prepared.work.import_all(self.now))
                });
                report(index, outcome)
            })
            .collect()
    }

    /// [`Seeding::each`] for every named group of records (a custom object's, a program's),
    /// the group's name handed to `request`.
    fn groups(
        &self,
        groups: &BTreeMap<String, Vec<Record>>,
        skip: &[&str],
        request: impl Fn(&str, &Record) -> ImportRequest,
    ) -> BTreeMap<String, Vec<RecordReport>> {
        groups
            .iter()
            .map(|(name, records)| {
                let reports = self.each(records, skip, |record| request(name, record));
                (name.clone(), reports)
            })
            .collect()
    }
}

/// Upserts every record the way an import would; reports each one.
pub fn seed(state: &AppState, request: Records) -> SeedReport {
    let seeding = Seeding {
        state,
        now: state.clock.now(),
    };
    let leads = seeding.each(&request.leads, LEAD_SYSTEM, |record| {
        // A lead goes to the partition its record names by id; an import names it by name.
        let partition = record.get("leadPartitionId").and_then(Json::as_u64);
        let partition_name = partition.and_then(|id| {
            let db = state.read_db();
            let partitions = db.leads.partitions();
            let named = partitions.iter().find(|p| u64::from(p.id) == id)?;
            Some(named.name.clone())
        });
        ImportRequest::Leads(LeadParams {
            partition_name,
            ..LeadParams::default()
        })
    });
    let objects = seeding.groups(&request.custom_objects, OBJECT_SYSTEM, |api_name, _| {
        ImportRequest::CustomObjects {
            api_name: api_name.to_owned(),
            params: ObjectParams::default(),
        }
    });
    let members = seeding.groups(
        &request.program_members,
        MEMBER_SYSTEM,
        |program, record| ImportRequest::ProgramMembers {
            program_id: program.to_owned(),
            params: MemberParams {
                program_member_status: record
                    .get("status")
                    .and_then(Json::as_str)
                    .map(str::to_owned),
                ..MemberParams::default()
            },
        },
    );
    SeedReport {
        leads,
        custom_objects: objects,
        program_members: members,
    }
}

impl SeedReport {
    /// The first record not imported, named by its list and index, with its reason:
    /// `leads[0]: Invalid data type in field Lead Score`.
    pub fn first_refusal(&self) -> Option<String> {
        let refused = |reports: &[RecordReport]| {
            let report = reports
                .iter()
                .find(|report| report.status == RecordStatus::Failed)?;
            let reason = report.reason.as_deref().unwrap_or("refused");
            Some(format!("[{}]: {reason}", report.index))
        };
        if let Some(refusal) = refused(&self.leads) {
            return Some(format!("leads{refusal}"));
        }
        for (group, lists) in [
            ("customObjects", &self.custom_objects),
            ("programMembers", &self.program_members),
        ] {
            for (name, reports) in lists {
                if let Some(refusal) = refused(reports) {
                    return Some(format!("{group}.{name}{refusal}"));
                }
            }
        }
        None
    }
}

/// The whole state, in the shape `seed` takes (plus the system fields it skips).
pub fn export(db: &Db) -> Json {
    let lead_schema = db.leads.schema();
    let leads: Vec<Json> = db
        .leads
        .leads()
        .map(|lead| {
            let mut record = Map::new();
            record.insert("id".into(), json!(lead.id));
            record.insert("leadPartitionId".into(), json!(lead.partition));
            record.insert("createdAt".into(), json!(lead.created_at.to_marketo()));
            record.insert("updatedAt".into(), json!(lead.updated_at.to_marketo()));
            for (field, value) in lead.values.iter() {
                record.insert(lead_schema.field(field).name.clone(), value.to_json());
            }
            Json::Object(record)
        })
        .collect();
    let objects: Map<String, Json> = db
        .objects
        .types()
        .iter()
        .map(|object| {
            let records: Vec<Json> = object
                .records()
                .iter()
                .map(|record| {
                    let mut out = Map::new();
                    out.insert("marketoGUID".into(), json!(record.guid));
                    out.insert("createdAt".into(), json!(record.created_at.to_marketo()));
                    out.insert("updatedAt".into(), json!(record.updated_at.to_marketo()));
                    for (field, value) in record.values.iter() {
                        out.insert(object.schema.field(field).name.clone(), value.to_json());
                    }
                    Json::Object(out)
                })
                .collect();
            (object.def.name.clone(), Json::Array(records))
        })
        .collect();
    let email = lead_schema.find("email");
    let member_schema = db.programs.member_schema();
    let mut members = Map::new();
    for program in db.programs.programs() {
        let records: Vec<Json> = db
            .programs
            .members(program.id)
            .map(|member| {
                let mut out = Map::new();
                let lead = db.leads.lead(member.lead);
                let address = lead
                    .and_then(|lead| lead.get(email?))
                    .map_or(Json::Null, |v| v.to_json());
                out.insert("email".into(), address);
                out.insert("leadId".into(), json!(member.lead));
                out.insert("status".into(), json!(member.status.name));
                out.insert(
                    "membershipDate".into(),
                    json!(member.membership_date.to_marketo()),
                );
                for (field, value) in member.values.iter() {
                    out.insert(member_schema.field(field).name.clone(), value.to_json());
                }
                Json::Object(out)
            })
            .collect();
        if !records.is_empty() {
            members.insert(program.id.to_string(), Json::Array(records));
        }
    }
    json!({ "leads": leads, "customObjects": objects, "programMembers": members })
}
