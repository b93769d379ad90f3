//! Lead read-back: query by field, one lead, describe, partitions and static list members.

use axum::response::Response;
use serde::Serialize;
use serde_json::{Map, Value as Json, json};

use super::envelope::{RequestId, marketo, paged, success};
use super::extract::{Authorized, IdWidth, Params, ReadParams, Segment, json_segment_id, path_id};
use super::paging::{Fields, Filter, Page, filter};
use super::registry::{Api, BodyKind, Tag};
use crate::error::ApiError;
use crate::import::leads::is_lookup_field;
use crate::schema::{DataType, FieldDef, Schema};
use crate::state::AppState;
use crate::store::LeadId;
use crate::store::leads::{Lead, LeadColumn, LeadDb, Partition, virtual_fields};

pub fn routes() -> Api {
    Api::new(Tag::Leads)
        .get("/rest/v1/leads.json", "Get leads by filter type", query)
        .params::<Filter>()
        .params::<Fields>()
        .params::<Page>()
        .answers(marketo::<Json>())
        .post(
            "/rest/v1/leads.json",
            "Get leads by filter type (_method=GET with a form body)",
            BodyKind::Form,
            query,
        )
        .params::<Filter>()
        .params::<Fields>()
        .params::<Page>()
        .answers(marketo::<Json>())
        .get("/rest/v1/lead/{leadId}.json", "Get lead by id", one)
        .params::<Fields>()
        .answers(marketo::<Json>())
        .get("/rest/v1/leads/describe.json", "Describe lead", describe)
        .answers(marketo::<Json>())
        .get(
            "/rest/v1/leads/describe2.json",
            "Describe lead (v2)",
            describe2,
        )
        .answers(marketo::<Json>())
        .get(
            "/rest/v1/leads/partitions.json",
            "Get lead partitions",
            partitions,
        )
        .answers(marketo::<Partition>())
        .get(
            "/rest/v1/lists/{listId}/leads.json",
            "Get leads by list id",
            list_members,
        )
        .params::<Fields>()
        .params::<Page>()
        .answers(marketo::<Json>())
        .post(
            "/rest/v1/lists/{listId}/leads.json",
            "Get leads by list id (_method=GET with a form body)",
            BodyKind::Form,
            list_members,
        )
        .params::<Fields>()
        .params::<Page>()
        .answers(marketo::<Json>())
        .get(
            "/rest/v1/list/{listId}/leads.json",
            "Get leads by list id (older path)",
            list_members,
        )
        .params::<Fields>()
        .params::<Page>()
        .answers(marketo::<Json>())
        .post(
            "/rest/v1/list/{listId}/leads.json",
            "Get leads by list id (older path, _method=GET with a form body)",
            BodyKind::Form,
            list_members,
        )
        .params::<Fields>()
        .params::<Page>()
        .answers(marketo::<Json>())
}

/// The fields a lead record has when the caller names none, in Marketo's order.
const DEFAULT_FIELDS: &[&str] = &[
    "id",
    "updatedAt",
    "lastName",
    "email",
    "createdAt",
    "firstName",
];

/// Marketo's cap on matches for one query.
const MAX_MATCHES: usize = 1000;

/// Resolves `fields` (comma-separated REST names) to output names and columns, `id` always
/// first; a field named twice is rendered once.
pub fn columns(
    schema: &Schema,
    fields: Option<&str>,
) -> Result<Vec<(String, LeadColumn)>, ApiError> {
    let names: Vec<&str> = match fields {
        Some(list) if !list.trim().is_empty() => list
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect(),
        _ => DEFAULT_FIELDS.to_vec(),
    };
    // Marketo always returns a lead's id, first, whatever `fields` asks.
    let mut resolved: Vec<(String, LeadColumn)> =
        vec![(virtual_fields::ID.to_owned(), LeadColumn::Id)];
    for name in names {
        let id = schema
            .find(name)
            .ok_or_else(|| ApiError::FieldNotFound(name.to_owned()))?;
        let canonical = schema.field(id).name.clone();
        if resolved.iter().any(|(seen, _)| *seen == canonical) {
            continue;
        }
        resolved.push((canonical, LeadColumn::of(schema, id)));
    }
    Ok(resolved)
}

/// A lead as Marketo returns it: the asked fields, `null` where the lead has no value.
pub fn render(lead: &Lead, columns: &[(String, LeadColumn)]) -> Json {
    let mut record = Map::with_capacity(columns.len());
    for (name, column) in columns {
        let value = lead
            .value(*column)
            .map_or(Json::Null, |value| value.to_value().to_json());
        record.insert(name.clone(), value);
    }
    Json::Object(record)
}

fn render_page(
    db: &LeadDb,
    ids: &[LeadId],
    params: &Params,
    request_id: &RequestId,
) -> Result<Response, ApiError> {
    let columns = columns(db.schema(), Fields::read(params).fields.as_deref())?;
    let page = Page::from_params(params)?;
    let (slice, next) = page.take(ids);
    let records: Vec<Json> = slice
        .iter()
        .filter_map(|id| db.lead(*id))
        .map(|lead| render(lead, &columns))
        .collect();
    Ok(paged(request_id, &records, Some(next)))
}

/// The leads matching `filterType` and `filterValues`.
pub fn matching(db: &LeadDb, params: &Params) -> Result<Vec<LeadId>, ApiError> {
    let Filter {
        filter_type,
        filter_values: values,
    } = filter(params)?;
    let schema = db.schema();
    let field = schema
        .find(filter_type)
        .ok_or_else(|| ApiError::LookupFieldNotFound(filter_type.to_owned()))?;
    let name = schema.field(field).name.as_str();
    let mut ids: Vec<LeadId> = match name {
        virtual_fields::ID => values
            .iter()
            .filter_map(|v| v.parse().ok())
            .filter(|id| db.lead(*id).is_some())
            .collect(),
        virtual_fields::PARTITION => values
            .iter()
            .filter_map(|v| v.parse().ok())
            .flat_map(|partition| db.in_partition(partition))
            .collect(),
        _ if is_lookup_field(schema.field(field)) => values
            .iter()
            .flat_map(|value| db.find(field, value))
            .collect(),
        _ => return Err(ApiError::LookupFieldNotFound(filter_type.to_owned())),
    };
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > MAX_MATCHES {
        return Err(ApiError::TooManyResults);
    }
    Ok(ids)
}

async fn query(
    _: Authorized,
    state: AppState,
    request_id: RequestId,
    ReadParams(params): ReadParams,
) -> Result<Response, ApiError> {
    let db = state.read_db();
    let db = &db.leads;
    let ids = matching(db, &params)?;
    render_page(db, &ids, &params, &request_id)
}

async fn one(
    auth: Authorized,
    state: AppState,
    request_id: RequestId,
    Segment(lead): Segment,
) -> Result<Response, ApiError> {
    let id = json_segment_id(&lead, IdWidth::Int64)?;
    let db = state.read_db();
    let db = &db.leads;
    let columns = columns(db.schema(), Fields::read(&auth.query).fields.as_deref())?;
    // An unknown lead is an empty result, as Marketo answers it.
    let records: Vec<Json> = id
        .and_then(|id| db.lead(id))
        .map(|lead| render(lead, &columns))
        .into_iter()
        .collect();
    Ok(success(&request_id, &records))
}

async fn describe(_: Authorized, state: AppState, request_id: RequestId) -> Response {
    let db = state.read_db();
    let db = &db.leads;
    let fields: Vec<Json> = db
        .schema()
        .fields()
        .iter()
        .map(|field| {
            let mut item = json!({ "id": field.id, "displayName": field.display_name, "dataType": field.data_type });
            if let Some(length) = field.length {
                item["length"] = json!(length);
            }
            item["rest"] = json!({ "name": field.name, "readOnly": field.read_only });
            let soap = field.soap_name.clone().unwrap_or_else(|| field.name.clone());
            item["soap"] = json!({ "name": soap, "readOnly": field.read_only });
            item
        })
        .collect();
    success(&request_id, &fields)
}

/// A field as Describe Lead2 and Describe Program Member show it. A field without a length
/// has no `length` member: Marketo leaves absent members out rather than sending null.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FieldDescription<'a> {
    name: &'a str,
    display_name: &'a str,
    data_type: DataType,
    #[serde(skip_serializing_if = "Option::is_none")]
    length: Option<usize>,
    updateable: bool,
    /// The mock has no CRM sync, so no field is managed by one.
    crm_managed: bool,
}

impl FieldDescription<'_> {
    pub fn of(field: &FieldDef) -> FieldDescription<'_> {
        FieldDescription {
            name: &field.name,
            display_name: &field.display_name,
            data_type: field.data_type,
            length: field.length,
            updateable: field.writable(),
            crm_managed: false,
        }
    }
}

async fn describe2(_: Authorized, state: AppState, request_id: RequestId) -> Response {
    let db = state.read_db();
    let db = &db.leads;
    let schema = db.schema();
    let searchable: Vec<[&str; 1]> = schema
        .fields()
        .iter()
        .filter(|f| is_lookup_field(f))
        .map(|f| [f.name.as_str()])
        .collect();
    let fields: Vec<FieldDescription> = schema.fields().iter().map(FieldDescription::of).collect();
    success(
        &request_id,
        &[json!({ "name": "API Lead", "searchableFields": searchable, "fields": fields })],
    )
}

async fn partitions(_: Authorized, state: AppState, request_id: RequestId) -> Response {
    success(&request_id, state.read_db().leads.partitions())
}

async fn list_members(
    _: Authorized,
    state: AppState,
    request_id: RequestId,
    Segment(list): Segment,
    ReadParams(params): ReadParams,
) -> Result<Response, ApiError> {
    list_page(&state, &list, &params, &request_id)
}

fn list_page(
    state: &AppState,
    list: &str,
    params: &Params,
    request_id: &RequestId,
) -> Result<Response, ApiError> {
    let db = state.read_db();
    let db = &db.leads;
    let (_, members) = path_id(list, IdWidth::Int32)?
        .and_then(|id| db.list(id))
        .ok_or(ApiError::StaticListNotFound)?;
    let ids: Vec<LeadId> = members.iter().collect();
    render_page(db, &ids, params, request_id)
}
