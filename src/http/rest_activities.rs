//! Activities over REST: the activity types, a paging token from a time, the activities of
//! chosen types, and lead changes. A token is a position in the activity log, so a client that
//! keeps its last token later reads only what happened since.

use axum::response::Response;
use serde::Serialize;
use serde_json::{Value as Json, json};

use super::envelope::marketo;
use super::envelope::{RequestId, listing, success};
use super::extract::{Authorized, Params};
use super::paging::{Fields, batch_size, position_token, token_position};
use super::registry::{Api, Tag};
use crate::activity::{Activities, field, value_text};
use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::iso8601::parse_time;
use crate::state::AppState;
use crate::store::Db;
use crate::store::activities::ActivityType;
use crate::store::activities::{Activity, Payload, kinds};
use utoipa::IntoParams;

/// Activity type ids one query may name.
pub const MAX_TYPE_IDS: usize = 10;

/// Lead ids one query may name.
pub const MAX_LEAD_IDS: usize = 30;

const TOKEN_KIND: &str = "activity";

pub fn routes() -> Api {
    Api::new(Tag::Activities)
        .get(
            "/rest/v1/activities/types.json",
            "Get activity types",
            types,
        )
        .answers(marketo::<ActivityType>())
        .get(
            "/rest/v1/activities/pagingtoken.json",
            "Get paging token",
            paging_token,
        )
        .params::<Since>()
        .answers(marketo::<Json>())
        .get(
            "/rest/v1/activities.json",
            "Get lead activities",
            activities,
        )
        .params::<ActivityFilter>()
        .params::<Query>()
        .answers(marketo::<ActivityItem>())
        .get(
            "/rest/v1/activities/leadchanges.json",
            "Get lead changes",
            lead_changes,
        )
        .params::<Fields>()
        .params::<Query>()
        .answers(marketo::<Json>())
}

/// Every activity type; `batchSize` and `nextPageToken` are accepted and there is only ever
/// one page.
async fn types(_: Authorized, state: AppState, request_id: RequestId) -> Response {
    success(&request_id, &state.read_db().activity_types)
}

/// A token for the first activity at or after `sinceDatetime`.
async fn paging_token(
    auth: Authorized,
    state: AppState,
    request_id: RequestId,
) -> Result<Response, ApiError> {
    let Since { since_datetime } = Since::read(&auth.query)?;
    let position = state.read_db().activities.first_since(since_datetime);
    let token = position_token(TOKEN_KIND, position);
    Ok(listing(&request_id, None::<&[Json]>, Some(&token), None))
}

/// A comma list (or the parameter repeated) of whole numbers.
fn numbers<T: std::str::FromStr>(params: &Params, name: &'static str) -> Result<Vec<T>, ApiError> {
    let Some(list) = params.get_list(name) else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(|text| {
            text.parse().map_err(|_| ApiError::InvalidValue {
                value: text.to_owned(),
                expected: "integer",
            })
        })
        .collect()
}

/// What every activity read shares: where to start, how many, and which leads.
#[derive(IntoParams)]
struct Query {
    /// From `pagingtoken.json` or the answer before; required.
    #[param(rename = "nextPageToken", value_type = String)]
    start: usize,
    /// 1 to 300; 300 when absent.
    #[param(rename = "batchSize", value_type = Option<u32>)]
    batch_size: usize,
    /// At most 30, comma-separated.
    #[param(rename = "leadIds", value_type = Option<String>)]
    lead_ids: Vec<u32>,
    /// A static list whose members' activities to read.
    #[param(rename = "listId", value_type = Option<u32>)]
    list: Option<u32>,
}

/// Which activities `activities.json` reads.
#[derive(IntoParams)]
#[into_params(rename_all = "camelCase")]
struct ActivityFilter {
    /// At most 10, comma-separated; required.
    #[param(value_type = String)]
    activity_type_ids: Vec<u16>,
    /// Primary asset ids to keep, comma-separated.
    #[param(value_type = Option<String>)]
    asset_ids: Vec<i64>,
}

impl ActivityFilter {
    fn read(params: &Params) -> Result<ActivityFilter, ApiError> {
        let activity_type_ids: Vec<u16> = numbers(params, "activityTypeIds")?;
        if activity_type_ids.is_empty() {
            return Err(ApiError::MissingParameter("activityTypeIds"));
        }
        if activity_type_ids.len() > MAX_TYPE_IDS {
            return Err(ApiError::InvalidData(format!(
                "Too many activityTypeIds: at most {MAX_TYPE_IDS}"
            )));
        }
        Ok(ActivityFilter {
            activity_type_ids,
            asset_ids: numbers(params, "assetIds")?,
        })
    }
}

/// The time a paging token starts at.
#[derive(IntoParams)]
#[into_params(rename_all = "camelCase")]
struct Since {
    /// ISO 8601; required.
    #[param(value_type = String)]
    since_datetime: Timestamp,
}

impl Since {
    fn read(params: &Params) -> Result<Since, ApiError> {
        let since = params
            .get("sinceDatetime")
            .filter(|text| !text.trim().is_empty())
            .ok_or(ApiError::MissingParameter("sinceDatetime"))?;
        let since_datetime = parse_time(since).ok_or_else(|| ApiError::InvalidValue {
            value: since.to_owned(),
            expected: "datetime",
        })?;
        Ok(Since { since_datetime })
    }
}

impl Query {
    fn from_params(params: &Params, db: &Db) -> Result<Query, ApiError> {
        let token = params
            .get("nextPageToken")
            .filter(|token| !token.is_empty())
            .ok_or(ApiError::MissingParameter("nextPageToken"))?;
        let start = token_position(TOKEN_KIND, token).ok_or_else(|| ApiError::InvalidValue {
            value: token.to_owned(),
            expected: "nextPageToken",
        })?;
        let batch_size = batch_size(params)?;
        let lead_ids: Vec<u32> = numbers(params, "leadIds")?;
        if lead_ids.len() > MAX_LEAD_IDS {
            return Err(ApiError::InvalidData(format!(
                "Too many leadIds: at most {MAX_LEAD_IDS}"
            )));
        }
        let list = match params.get("listId").filter(|text| !text.is_empty()) {
            None => None,
            Some(text) => {
                let id: u32 = text.trim().parse().map_err(|_| ApiError::InvalidValue {
                    value: text.to_owned(),
                    expected: "integer",
                })?;
                db.leads.list(id).ok_or(ApiError::StaticListNotFound)?;
                Some(id)
            }
        };
        Ok(Query {
            start,
            batch_size,
            lead_ids,
            list,
        })
    }

    fn about_lead(&self, db: &Db, activity: &Activity) -> bool {
        (self.lead_ids.is_empty() || self.lead_ids.contains(&activity.lead))
            && self.list.is_none_or(|list| {
                db.leads
                    .list(list)
                    .is_some_and(|(_, members)| members.contains(activity.lead))
            })
    }

    /// Up to a page of matching activities from the token on; the token after the last one
    /// read, and whether the log goes on past it.
    fn page<'a, T>(
        &self,
        db: &'a Db,
        mut render: impl FnMut(&Activity<'a>) -> Option<T>,
    ) -> (Vec<T>, String, bool) {
        let log = &db.activities;
        let mut found = Vec::new();
        let mut next = log.len().max(self.start);
        for activity in log.from(self.start) {
            if !self.about_lead(db, &activity) {
                continue;
            }
            if let Some(item) = render(&activity) {
                found.push(item);
                if found.len() == self.batch_size {
                    // Ids count from 1: the activity after this one is at position `id`.
                    next = activity.id as usize;
                    break;
                }
            }
        }
        let more = next < log.len();
        (found, position_token(TOKEN_KIND, next), more)
    }
}

/// An activity as `activities.json` lists it; `campaignId` is left out, as Marketo leaves it
/// out of activities no campaign caused.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct ActivityItem {
    id: u64,
    #[serde(rename = "marketoGUID")]
    marketo_guid: String,
    lead_id: u32,
    activity_date: String,
    activity_type_id: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_attribute_value_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_attribute_value: Option<String>,
    /// `{name, value}` pairs.
    #[schema(value_type = Vec<Object>)]
    attributes: Json,
}

/// Activities of up to ten types, for chosen leads or a list's, page by page.
async fn activities(
    auth: Authorized,
    state: AppState,
    request_id: RequestId,
) -> Result<Response, ApiError> {
    let db = state.read_db();
    let params = &auth.query;
    let ActivityFilter {
        activity_type_ids: types,
        asset_ids: assets,
    } = ActivityFilter::read(params)?;
    let query = Query::from_params(params, &db)?;
    let names = Activities::new(&db);
    let (items, token, more) = query.page(&db, |activity| {
        if !types.contains(&activity.kind) {
            return None;
        }
        let (primary_id, primary_value) = names.primary(activity);
        if !assets.is_empty() && !primary_id.is_some_and(|id| assets.contains(&id)) {
            return None;
        }
        Some(ActivityItem {
            id: activity.id,
            marketo_guid: activity.id.to_string(),
            lead_id: activity.lead,
            activity_date: activity.date.to_marketo(),
            activity_type_id: activity.kind,
            primary_attribute_value_id: primary_id,
            primary_attribute_value: primary_value.map(String::from),
            attributes: names.attribute_list(activity),
        })
    });
    // No activity: `result` is left out, as Marketo leaves out empty members; the token and
    // `moreResult` are always there.
    let result = (!items.is_empty()).then_some(items.as_slice());
    Ok(listing(&request_id, result, Some(&token), Some(more)))
}

/// New Lead and Change Data Value activities of the named fields, each with its `fields`.
async fn lead_changes(
    auth: Authorized,
    state: AppState,
    request_id: RequestId,
) -> Result<Response, ApiError> {
    let db = state.read_db();
    let params = &auth.query;
    let names = Fields::read(params)
        .fields
        .filter(|list| !list.trim().is_empty())
        .ok_or(ApiError::MissingParameter("fields"))?;
    let schema = db.leads.schema();
    let fields = names
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| {
            schema
                .find(name)
                .ok_or_else(|| ApiError::FieldNotFound(name.to_owned()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let query = Query::from_params(params, &db)?;
    let names = Activities::new(&db);
    let (items, token, more) = query.page(&db, |activity| {
        let changed = match (activity.kind, activity.payload) {
            (kinds::NEW_LEAD, _) => Vec::new(),
            (kinds::CHANGE_DATA_VALUE, Some(Payload::Change { old, new }))
                if fields.contains(&(activity.primary as u16)) =>
            {
                let names = field(&db, activity.primary as u16)?;
                let text = |value: Option<_>| value.map(value_text);
                vec![json!({
                    "id": names.id,
                    "name": names.name,
                    "newValue": text(new),
                    "oldValue": text(old),
                })]
            }
            _ => return None,
        };
        Some(json!({
            "id": activity.id,
            "marketoGUID": activity.id.to_string(),
            "leadId": activity.lead,
            "activityDate": activity.date.to_marketo(),
            "activityTypeId": activity.kind,
            "fields": changed,
            "attributes": names.attribute_list(activity),
        }))
    });
    // No activity: `result` is left out, as Marketo leaves out empty members; the token and
    // `moreResult` are always there.
    let result = (!items.is_empty()).then_some(items.as_slice());
    Ok(listing(&request_id, result, Some(&token), Some(more)))
}
