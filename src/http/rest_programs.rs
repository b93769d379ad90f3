//! Program member read-back: members of a program, the member describe, and leads by program.

use axum::response::Response;
use serde_json::{Map, Value as Json, json};

use super::envelope::{RequestId, marketo, paged, success};
use super::extract::{Authorized, IdWidth, Params, ReadParams, Segment, json_segment_id, path_id};
use super::paging::{Fields, Filter, Page, filter};
use super::registry::{Api, BodyKind, Tag};
use super::rest_leads::{FieldDescription, columns, render};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::programs::{MemberColumn, Membership, ProgramDb, ProgramDef};

pub fn routes() -> Api {
    Api::new(Tag::ProgramMembers)
        .get(
            "/rest/v1/programs/{programId}/members.json",
            "Get program members",
            members,
        )
        .params::<Filter>()
        .params::<Fields>()
        .params::<Page>()
        .answers(marketo::<Json>())
        .get(
            "/rest/v1/programs/members/describe.json",
            "Describe program member",
            describe,
        )
        .answers(marketo::<Json>())
        .get(
            "/rest/v1/program/members/describe.json",
            "Describe program member (alternate path)",
            describe,
        )
        .answers(marketo::<Json>())
        .get(
            "/rest/v1/leads/programs/{programId}.json",
            "Get leads by program id",
            leads_by_program,
        )
        .params::<Fields>()
        .params::<Page>()
        .answers(marketo::<Json>())
        .post(
            "/rest/v1/leads/programs/{programId}.json",
            "Get leads by program id (_method=GET with a form body)",
            BodyKind::Form,
            leads_by_program,
        )
        .params::<Fields>()
        .params::<Page>()
        .answers(marketo::<Json>())
}

/// A member record's fields when the caller names none, as Marketo's docs list them.
const DEFAULT_FIELDS: &[&str] = &[
    "leadId",
    "reachedSuccess",
    "programId",
    "acquiredBy",
    "membershipDate",
];

/// When the program member object was created and last changed, as its describe says. The
/// mock's member fields come from a fixture without times and never change while it runs, so
/// both are the fixed time of Adobe's documented Describe Program Member example.
const MEMBER_OBJECT_TIME: &str = "2021-03-20T01:30:05Z";

/// Standard member fields a query may filter on; member custom fields may be used too.
const FILTER_FIELDS: &[&str] = &["leadId", "statusName", "reachedSuccess"];

/// The program a path id names; Marketo's document types the id int64 on the members route
/// and int32 on the leads route.
fn program(programs: &ProgramDb, id: Option<u32>) -> Result<&ProgramDef, ApiError> {
    id.and_then(|id| programs.program(id))
        .ok_or(ApiError::ProgramNotFound)
}

/// One member field's value, standard or custom; `None` for a name that is no member field.
fn member_value(
    programs: &ProgramDb,
    program: &ProgramDef,
    member: &Membership,
    name: &str,
) -> Option<Json> {
    let schema = programs.member_schema();
    let column = MemberColumn::resolve(schema, name)?;
    Some(
        member
            .value(schema, program, column)
            .map_or(Json::Null, |value| value.to_value().to_json()),
    )
}

fn matches(
    programs: &ProgramDb,
    program: &ProgramDef,
    member: &Membership,
    field: &str,
    wanted: &str,
) -> bool {
    member_value(programs, program, member, field).is_some_and(|value| match value {
        Json::String(text) => text.eq_ignore_ascii_case(wanted),
        other => other.to_string().eq_ignore_ascii_case(wanted),
    })
}

async fn members(
    auth: Authorized,
    state: AppState,
    request_id: RequestId,
    Segment(segment): Segment,
) -> Result<Response, ApiError> {
    let db = state.read_db();
    let programs = &db.programs;
    let program = program(programs, path_id(&segment, IdWidth::Int64)?)?;
    let params = &auth.query;
    let Filter {
        filter_type,
        filter_values: values,
    } = filter(params)?;
    let custom = programs
        .member_schema()
        .find(filter_type)
        .is_some_and(|f| programs.member_schema().field(f).writable());
    if !FILTER_FIELDS.contains(&filter_type) && !custom {
        return Err(ApiError::LookupFieldNotFound(filter_type.to_owned()));
    }
    let asked = Fields::read(params).fields;
    let fields: Vec<&str> = match asked.as_deref() {
        Some(list) if !list.trim().is_empty() => list.split(',').map(str::trim).collect(),
        _ => DEFAULT_FIELDS.to_vec(),
    };
    let mut found = Vec::new();
    for (seq, value) in values.iter().enumerate() {
        for member in programs.members(program.id) {
            if matches(programs, program, member, filter_type, value) {
                found.push((seq, member));
            }
        }
    }
    let (page, next) = Page::from_params(params)?.take(&found);
    let records = page
        .iter()
        .map(|(seq, member)| {
            let mut record = Map::new();
            record.insert("seq".into(), json!(seq));
            for name in &fields {
                let value = member_value(programs, program, member, name)
                    .ok_or_else(|| ApiError::FieldNotFound((*name).to_owned()))?;
                record.insert((*name).to_owned(), value);
            }
            Ok(Json::Object(record))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(paged(&request_id, &records, Some(next)))
}

async fn describe(_: Authorized, state: AppState, request_id: RequestId) -> Response {
    let db = state.read_db();
    let schema = db.programs.member_schema();
    let searchable: Vec<Vec<&str>> = FILTER_FIELDS
        .iter()
        .copied()
        .chain(
            schema
                .fields()
                .iter()
                .filter(|f| f.writable())
                .map(|f| f.name.as_str()),
        )
        .map(|name| vec![name])
        .collect();
    let fields: Vec<FieldDescription> = schema.fields().iter().map(FieldDescription::of).collect();
    success(
        &request_id,
        &[json!({
            "name": "API Program Membership",
            "description": "Map for API program membership fields",
            "createdAt": MEMBER_OBJECT_TIME,
            "updatedAt": MEMBER_OBJECT_TIME,
            "dedupeFields": ["leadId", "programId"],
            "searchableFields": searchable,
            "fields": fields,
        })],
    )
}

/// Leads that are members of a program, each with its `membership`.
async fn leads_by_program(
    _: Authorized,
    state: AppState,
    request_id: RequestId,
    Segment(segment): Segment,
    ReadParams(params): ReadParams,
) -> Result<Response, ApiError> {
    program_leads_page(&state, &segment, &params, &request_id)
}

fn program_leads_page(
    state: &AppState,
    segment: &str,
    params: &Params,
    request_id: &RequestId,
) -> Result<Response, ApiError> {
    let db = state.read_db();
    let program = program(&db.programs, json_segment_id(segment, IdWidth::Int32)?)?;
    let columns = columns(db.leads.schema(), Fields::read(params).fields.as_deref())?;
    let members: Vec<&Membership> = db.programs.members(program.id).collect();
    let (page, next) = Page::from_params(params)?.take(&members);
    let records: Vec<Json> = page
        .iter()
        .filter_map(|member| {
            let mut record = render(db.leads.lead(member.lead)?, &columns);
            // `stream` and `nurtureCadence` belong to members of engagement programs, which
            // the fixtures have none of; Marketo leaves them out for the others.
            record["membership"] = json!({
                "progressionStatus": member.status.name,
                "acquiredBy": member.acquired_by,
                "reachedSuccess": member.reached_success(),
                "membershipDate": member.membership_date.to_marketo(),
                "isExhausted": false,
            });
            Some(record)
        })
        .collect();
    Ok(paged(request_id, &records, Some(next)))
}
