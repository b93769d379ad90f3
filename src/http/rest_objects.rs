//! Custom object read-back: list, describe and query by a searchable field.

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::header;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

use super::envelope::{RequestId, marketo, paged, success};
use super::extract::{Authorized, Params, Segment};
use super::paging::{Fields, MAX_BATCH_SIZE, Page, filter as filter_params};
use super::registry::{Api, BodyKind, Tag};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::objects::{ObjectColumn, ObjectRecord, ObjectType, dedupe_key};

pub fn routes() -> Api {
    Api::new(Tag::CustomObjects)
        .get("/rest/v1/customobjects.json", "List custom objects", list)
        .params::<Names>()
        .answers(marketo::<Json>())
        .get(
            "/rest/v1/customobjects/{apiName}/describe.json",
            "Describe custom object",
            describe,
        )
        .answers(marketo::<Json>())
        .get(
            "/rest/v1/customobjects/{apiName}.json",
            "Get custom objects by filter type",
            query,
        )
        .params::<super::paging::Filter>()
        .params::<Fields>()
        .params::<Page>()
        .answers(marketo::<Json>())
        .post(
            "/rest/v1/customobjects/{apiName}.json",
            "Get custom objects (_method=GET with a JSON or form body, for compound keys)",
            BodyKind::Json,
            query_by_post,
        )
        .request::<JsonQuery>()
        .answers(marketo::<Json>())
}

/// A type as the list shows it: everything but its fields.
fn summary(object: &ObjectType) -> Json {
    let mut item = serde_json::to_value(&*object.def).unwrap_or_default();
    if let Some(map) = item.as_object_mut() {
        map.remove("fields");
    }
    item
}

/// The custom objects a list names.
#[derive(utoipa::IntoParams)]
struct Names {
    /// API names, comma-separated; every object when absent.
    #[param(value_type = Option<String>)]
    names: Option<Vec<String>>,
}

impl Names {
    fn read(params: &Params) -> Names {
        Names {
            names: params
                .get_list("names")
                .map(|n| n.split(',').map(|name| name.trim().to_owned()).collect()),
        }
    }
}

async fn list(auth: Authorized, state: AppState, request_id: RequestId) -> Response {
    let Names { names } = Names::read(&auth.query);
    let db = state.read_db();
    let items: Vec<Json> = db
        .objects
        .types()
        .iter()
        .filter(|object| {
            names
                .as_ref()
                .is_none_or(|names| names.contains(&object.def.name))
        })
        .map(summary)
        .collect();
    success(&request_id, &items)
}

async fn describe(
    _: Authorized,
    state: AppState,
    request_id: RequestId,
    Segment(api_name): Segment,
) -> Result<Response, ApiError> {
    let db = state.read_db();
    let object = db.objects.get(&api_name).ok_or(ApiError::ObjectNotFound)?;
    let mut item = serde_json::to_value(&*object.def).unwrap_or_default();
    item["apiName"] = json!(object.def.name);
    Ok(success(&request_id, &[item]))
}

/// A query: the filter field and, per input, the values to match (one, or one per dedupe
/// field for a compound key).
struct Query {
    fields: Vec<String>,
    filter: Filter,
    inputs: Vec<Vec<String>>,
    page: Page,
}

enum Filter {
    Field(String),
    Dedupe,
}

/// The JSON body of `POST ...?_method=GET`, for compound keys.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct JsonQuery {
    filter_type: String,
    #[serde(default)]
    fields: Vec<String>,
    /// One object per record asked for: the filter field's value, or each dedupe field's.
    #[schema(value_type = Vec<Object>)]
    input: Vec<Map<String, Json>>,
    batch_size: Option<usize>,
    next_page_token: Option<String>,
}

fn field_list(fields: Option<&str>) -> Vec<String> {
    fields
        .map(|f| {
            f.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn filter(object: &ObjectType, filter_type: &str) -> Result<Filter, ApiError> {
    if filter_type == "dedupeFields" {
        return Ok(Filter::Dedupe);
    }
    let field = if filter_type == "idField" {
        object.def.id_field.as_str()
    } else {
        filter_type
    };
    let searchable = field.eq_ignore_ascii_case(&object.def.id_field)
        || object
            .def
            .searchable_fields
            .iter()
            .any(|group| group.len() == 1 && group[0].eq_ignore_ascii_case(field));
    if !searchable {
        return Err(ApiError::LookupFieldNotFound(filter_type.to_owned()));
    }
    Ok(Filter::Field(field.to_owned()))
}

fn query_from_params(object: &ObjectType, params: &Params) -> Result<Query, ApiError> {
    let super::paging::Filter {
        filter_type,
        filter_values: values,
    } = filter_params(params)?;
    let inputs = values.into_iter().map(|value| vec![value]).collect();
    Ok(Query {
        fields: field_list(Fields::read(params).fields.as_deref()),
        filter: filter(object, filter_type)?,
        inputs,
        page: Page::from_params(params)?,
    })
}

fn query_from_json(object: &ObjectType, body: JsonQuery) -> Result<Query, ApiError> {
    let filter = filter(object, &body.filter_type)?;
    let keys: Vec<String> = match &filter {
        Filter::Dedupe => object.def.dedupe_fields.clone(),
        Filter::Field(field) => vec![field.clone()],
    };
    let text = |value: &Json| match value {
        Json::String(text) => text.clone(),
        other => other.to_string(),
    };
    let inputs = body
        .input
        .iter()
        .map(|input| {
            keys.iter()
                .map(|key| {
                    input
                        .get(key)
                        .map(text)
                        .ok_or(ApiError::MissingParameter("input"))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut params = Params::default();
    if let Some(size) = body.batch_size {
        params.push("batchSize".into(), size.to_string());
    }
    if let Some(token) = body.next_page_token {
        params.push("nextPageToken".into(), token);
    }
    Ok(Query {
        fields: body.fields,
        filter,
        inputs,
        page: Page::from_params(&params)?,
    })
}

/// Renders a record: `seq` (the input it matched), then the asked fields, or Marketo's
/// default of the id field, the dedupe fields and the timestamps.
fn render(
    object: &ObjectType,
    seq: usize,
    record: &ObjectRecord,
    fields: &[String],
) -> Result<Json, ApiError> {
    let defaults: Vec<String> = std::iter::once(object.def.id_field.clone())
        .chain(object.def.dedupe_fields.iter().cloned())
        .chain(["createdAt".to_owned(), "updatedAt".to_owned()])
        .collect();
    let fields = if fields.is_empty() { &defaults } else { fields };
    // `seq` and the id field always come first, whatever `fields` asks, as Marketo answers.
    let mut map = Map::new();
    map.insert("seq".into(), json!(seq));
    map.insert(object.def.id_field.clone(), json!(record.guid));
    for name in fields {
        let column = ObjectColumn::resolve(object, name)
            .ok_or_else(|| ApiError::FieldNotFound(name.clone()))?;
        let value = record
            .value(column)
            .map_or(Json::Null, |value| value.to_value().to_json());
        map.insert(name.clone(), value);
    }
    Ok(Json::Object(map))
}

fn answer(object: &ObjectType, query: Query, request_id: &RequestId) -> Result<Response, ApiError> {
    if query.inputs.len() > MAX_BATCH_SIZE {
        return Err(ApiError::InvalidData(format!(
            "Too many filter values: at most {MAX_BATCH_SIZE}"
        )));
    }
    let mut matches: Vec<(usize, usize)> = Vec::new();
    for (seq, input) in query.inputs.iter().enumerate() {
        let found = match &query.filter {
            Filter::Field(field) => object.find(field, &input[0]),
            Filter::Dedupe => {
                let values: Vec<crate::schema::Value> = input
                    .iter()
                    .map(|text| crate::schema::Value::Text(text.as_str().into()))
                    .collect();
                object
                    .find_by_key(&dedupe_key(&values.iter().collect::<Vec<_>>()))
                    .into_iter()
                    .collect()
            }
        };
        matches.extend(found.into_iter().map(|at| (seq, at)));
    }
    let (page, next) = query.page.take(&matches);
    let records = page
        .iter()
        .map(|(seq, at)| render(object, *seq, &object.records()[*at], &query.fields))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(paged(request_id, &records, Some(next)))
}

/// The object name from a `car_c.json` segment.
fn api_name(segment: &str) -> Result<&str, ApiError> {
    segment
        .strip_suffix(".json")
        .ok_or(ApiError::ResourceNotFound)
}

async fn query(
    auth: Authorized,
    state: AppState,
    request_id: RequestId,
    Segment(segment): Segment,
) -> Result<Response, ApiError> {
    let db = state.read_db();
    let object = db
        .objects
        .get(api_name(&segment)?)
        .ok_or(ApiError::ObjectNotFound)?;
    let query = query_from_params(object, &auth.query)?;
    answer(object, query, &request_id)
}

/// `POST ...?_method=GET` with a JSON body (compound keys) or a form body.
async fn query_by_post(
    auth: Authorized,
    state: AppState,
    request_id: RequestId,
    Segment(segment): Segment,
    request: Request,
) -> Result<Response, ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = to_bytes(request.into_body(), 1024 * 1024)
        .await
        .map_err(|_| ApiError::FileTooLarge { limit: 1024 * 1024 })?;
    let mut params = auth.query;
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    if form {
        params.extend(Params::parse(&body));
    }
    if !params
        .get("_method")
        .is_some_and(|m| m.eq_ignore_ascii_case("GET"))
    {
        return Err(ApiError::MethodNotSupported(axum::http::Method::POST));
    }
    let db = state.read_db();
    let object = db
        .objects
        .get(api_name(&segment)?)
        .ok_or(ApiError::ObjectNotFound)?;
    let query = if form {
        query_from_params(object, &params)?
    } else {
        let parsed: JsonQuery = serde_json::from_slice(&body).map_err(|_| ApiError::InvalidJson)?;
        query_from_json(object, parsed)?
    };
    answer(object, query, &request_id)
}
