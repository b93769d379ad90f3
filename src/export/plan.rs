//! What an export job asks for, read once from the create body into types: its format, its
//! columns and which records it selects. Every way a body can be wrong is answered here, so a
//! job that exists can always run.

use serde_json::{Map, Value as Json};

use super::dates::DateRange;
use super::kind::ExportKind;
use crate::error::ApiError;
use crate::format::Format;
use crate::store::Db;
use crate::store::leads::LeadColumn;
use crate::store::objects::ObjectColumn;
use crate::store::programs::MemberColumn;

/// Program ids one program member export may name.
pub const MAX_PROGRAM_IDS: usize = 10;

/// Where a column's values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Lead(LeadColumn),
    Member(MemberColumn),
    Object(ObjectColumn),
    Activity(ActivityColumn),
}

/// The columns an activity export may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityColumn {
    MarketoGuid,
    LeadId,
    ActivityDate,
    ActivityTypeId,
    CampaignId,
    PrimaryAttributeValueId,
    PrimaryAttributeValue,
    /// The activity's attributes as one JSON object.
    Attributes,
    ActionResult,
}

/// The activity columns by name: the first eight are the default ones, in Marketo's order.
const ACTIVITY_COLUMNS: [(&str, ActivityColumn); 9] = [
    ("marketoGUID", ActivityColumn::MarketoGuid),
    ("leadId", ActivityColumn::LeadId),
    ("activityDate", ActivityColumn::ActivityDate),
    ("activityTypeId", ActivityColumn::ActivityTypeId),
    ("campaignId", ActivityColumn::CampaignId),
    (
        "primaryAttributeValueId",
        ActivityColumn::PrimaryAttributeValueId,
    ),
    (
        "primaryAttributeValue",
        ActivityColumn::PrimaryAttributeValue,
    ),
    ("attributes", ActivityColumn::Attributes),
    ("actionResult", ActivityColumn::ActionResult),
];

/// Primary attribute ids or values one activity export may name.
pub const MAX_PRIMARY_ATTRIBUTES: usize = 50;

/// The activity type Marketo does not export.
const DELETE_LEAD: u16 = 37;

/// An activity export's filters, all of which an activity must meet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityFilter {
    pub created_at: DateRange,
    /// Any of these types; empty means any type.
    pub type_ids: Vec<u16>,
    /// Any of these primary attribute ids; empty means any.
    pub primary_ids: Vec<i64>,
    /// Any of these primary attribute names, without case; empty means any.
    pub primary_values: Vec<String>,
}

/// One column of the file: its header text and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub header: String,
    pub source: Source,
}

/// A static or smart list of leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListRef {
    Static(u32),
    Smart(u32),
}

/// The one filter type of a lead export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadFilter {
    CreatedAt(DateRange),
    /// The time of a lead's latest field change.
    UpdatedAt(DateRange),
    List(ListRef),
}

/// The one filter type of a custom object export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectFilter {
    /// Records updated in the range.
    UpdatedAt(DateRange),
    /// Records linked to the list's leads.
    List(ListRef),
}

/// A nurture cadence, as `paus`/`norm` or `paused`/`normal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    Paused,
    Normal,
}

impl Cadence {
    pub fn parse(text: &str) -> Option<Cadence> {
        match text.trim().to_ascii_lowercase().as_str() {
            "paus" | "paused" | "pause" => Some(Cadence::Paused),
            "norm" | "normal" => Some(Cadence::Normal),
            _ => None,
        }
    }
}

/// A program member export's filters, all of which a member must meet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberFilter {
    pub programs: Vec<u32>,
    pub is_exhausted: Option<bool>,
    pub nurture_cadence: Option<Cadence>,
    /// Any of these statuses, without case; empty means any status.
    pub status_names: Vec<String>,
    pub updated_at: Option<DateRange>,
}

/// Which records a job exports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    Leads(LeadFilter),
    ProgramMembers(MemberFilter),
    CustomObjects {
        api_name: String,
        filter: ObjectFilter,
    },
    Activities(ActivityFilter),
}

/// Everything a job needs to write its file.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportPlan {
    pub format: Format,
    pub columns: Vec<Column>,
    pub selection: Selection,
    /// The request's `fields`, `filter` and `columnHeaderNames`, as the control plane shows
    /// them.
    pub shown: Json,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::InvalidData(message.into())
}

/// Reads a create body for an export of `kind` against the instance's schemas, lists and
/// programs.
pub fn plan(kind: &ExportKind, body: &Json, db: &Db) -> Result<ExportPlan, ApiError> {
    let Json::Object(body) = body else {
        return Err(invalid("The request body must be a JSON object"));
    };
    let format = format(body.get("format"))?;
    let filter = match body.get("filter") {
        Some(Json::Object(filter)) if !filter.is_empty() => filter,
        _ => return Err(invalid("'filter' is required: an object of filter types")),
    };
    let names = || field_names(body.get("fields"));
    let (selection, mut columns) = match kind {
        ExportKind::Leads => (
            Selection::Leads(lead_filter(filter, db)?),
            columns(&names()?, |name| {
                let schema = db.leads.schema();
                schema
                    .find(name)
                    .map(|field| Source::Lead(LeadColumn::of(schema, field)))
            })?,
        ),
        ExportKind::ProgramMembers => {
            let (filter, many) = member_filter(filter, db)?;
            let mut columns = columns(&names()?, |name| {
                let members = db.programs.member_schema();
                let leads = db.leads.schema();
                MemberColumn::resolve(members, name)
                    .map(Source::Member)
                    .or_else(|| {
                        leads
                            .find(name)
                            .map(|field| Source::Lead(LeadColumn::of(leads, field)))
                    })
            })?;
            if many {
                // Marketo adds a leading `programId` column to exports of several programs.
                columns.insert(
                    0,
                    Column {
                        header: "programId".to_owned(),
                        source: Source::Member(MemberColumn::ProgramId),
                    },
                );
            }
            (Selection::ProgramMembers(filter), columns)
        }
        ExportKind::CustomObjects(api_name) => {
            let object = db.objects.get(api_name).ok_or(ApiError::ObjectNotFound)?;
            (
                Selection::CustomObjects {
                    api_name: api_name.clone(),
                    filter: object_filter(filter, db)?,
                },
                columns(&names()?, |name| {
                    ObjectColumn::resolve(object, name).map(Source::Object)
                })?,
            )
        }
        ExportKind::Activities => (
            Selection::Activities(activity_filter(filter)?),
            activity_columns(body.get("fields"))?,
        ),
    };
    rename_columns(&mut columns, body.get("columnHeaderNames"))?;
    let mut shown = Map::new();
    for member in ["fields", "format", "columnHeaderNames", "filter"] {
        if let Some(value) = body.get(member) {
            shown.insert(member.to_owned(), value.clone());
        }
    }
    Ok(ExportPlan {
        format,
        columns,
        selection,
        shown: Json::Object(shown),
    })
}

/// `CSV`, `TSV` or `SSV` in any case; absent or `null` means CSV.
fn format(value: Option<&Json>) -> Result<Format, ApiError> {
    match value {
        None | Some(Json::Null) => Ok(Format::Csv),
        Some(Json::String(text)) => text
            .parse()
            .map_err(|_| invalid(format!("Invalid format '{text}': one of CSV, TSV, SSV"))),
        Some(other) => Err(invalid(format!(
            "Invalid format {other}: one of CSV, TSV, SSV"
        ))),
    }
}

/// The `fields` list, as the request spells its names.
fn field_names(value: Option<&Json>) -> Result<Vec<String>, ApiError> {
    let required = || invalid("'fields' is required: a list of field names");
    let Some(Json::Array(items)) = value else {
        return Err(match value {
            None | Some(Json::Null) => required(),
            Some(_) => invalid("'fields' must be a list of field names"),
        });
    };
    if items.is_empty() {
        return Err(required());
    }
    items
        .iter()
        .map(|item| {
            item.as_str()
                .map(str::to_owned)
                .ok_or_else(|| invalid("'fields' must be a list of field names"))
        })
        .collect()
}

/// Resolves every name; all unknown names are named in one answer, in request order.
fn columns(
    names: &[String],
    resolve: impl Fn(&str) -> Option<Source>,
) -> Result<Vec<Column>, ApiError> {
    let mut columns = Vec::with_capacity(names.len());
    let mut unknown = Vec::new();
    for name in names {
        match resolve(name) {
            Some(source) => columns.push(Column {
                header: name.clone(),
                source,
            }),
            None => unknown.push(name.as_str()),
        }
    }
    if !unknown.is_empty() {
        return Err(invalid(format!("Invalid fields [{}]", unknown.join(", "))));
    }
    Ok(columns)
}

/// Applies `columnHeaderNames`: each key names a field of the job (without case), each value
/// is its header.
fn rename_columns(columns: &mut [Column], value: Option<&Json>) -> Result<(), ApiError> {
    let renames = match value {
        None | Some(Json::Null) => return Ok(()),
        Some(Json::Object(renames)) => renames,
        Some(_) => {
            return Err(invalid(
                "'columnHeaderNames' must be an object of field names and header names",
            ));
        }
    };
    for (field, header) in renames {
        let header = header.as_str().ok_or_else(|| {
            invalid(format!(
                "'columnHeaderNames.{field}' must be a string: the header of that column"
            ))
        })?;
        let mut named = columns
            .iter_mut()
            .filter(|column| column.header.eq_ignore_ascii_case(field))
            .peekable();
        if named.peek().is_none() {
            return Err(invalid(format!(
                "'columnHeaderNames' names '{field}', which is not among the job's fields"
            )));
        }
        for column in named {
            column.header = header.to_owned();
        }
    }
    Ok(())
}

/// The members a filter object has, in order, refusing any this export type lacks.
fn filter_types<'a>(
    filter: &'a Map<String, Json>,
    known: &[&str],
) -> Result<Vec<&'a str>, ApiError> {
    filter
        .keys()
        .map(|name| {
            known
                .iter()
                .find(|known| known.eq_ignore_ascii_case(name))
                .copied()
                .map(|_| name.as_str())
                .ok_or_else(|| {
                    invalid(format!(
                        "Unknown filter type '{name}': one of {}",
                        known.join(", ")
                    ))
                })
        })
        .collect()
}

/// The only filter type of a filter that allows exactly one.
fn only_type<'a>(filter: &'a Map<String, Json>, known: &[&str]) -> Result<&'a str, ApiError> {
    match filter_types(filter, known)?.as_slice() {
        [one] => Ok(one),
        several => Err(invalid(format!(
            "Only one filter type may be specified per export job, not {}",
            several.join(", ")
        ))),
    }
}

fn integer(member: &str, value: &Json) -> Result<u32, ApiError> {
    let number = match value {
        Json::Number(number) => number.as_u64(),
        Json::String(text) => text.trim().parse().ok(),
        _ => None,
    };
    number
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| invalid(format!("'{member}' must be an integer id")))
}

fn text<'a>(member: &str, value: &'a Json) -> Result<&'a str, ApiError> {
    value
        .as_str()
        .ok_or_else(|| invalid(format!("'{member}' must be a string")))
}

fn range(member: &str, value: &Json) -> Result<DateRange, ApiError> {
    DateRange::from_json(member, value).map_err(invalid)
}

/// A static or smart list by id or name; unknown ones are Marketo's 1013.
fn list(member: &str, value: &Json, db: &Db) -> Result<ListRef, ApiError> {
    let name_matches = |name: &str, wanted: &str| name.eq_ignore_ascii_case(wanted.trim());
    match member {
        "staticListId" => {
            let id = integer(member, value)?;
            db.leads.list(id).ok_or(ApiError::StaticListNotFound)?;
            Ok(ListRef::Static(id))
        }
        "staticListName" => {
            let name = text(member, value)?;
            db.leads
                .list_named(name)
                .map(ListRef::Static)
                .ok_or(ApiError::StaticListNotFound)
        }
        "smartListId" => {
            let id = integer(member, value)?;
            db.smart_lists
                .iter()
                .any(|list| list.def.id == id)
                .then_some(ListRef::Smart(id))
                .ok_or(ApiError::SmartListNotFound)
        }
        _ => {
            let name = text(member, value)?;
            db.smart_lists
                .iter()
                .find(|list| name_matches(&list.def.name, name))
                .map(|list| ListRef::Smart(list.def.id))
                .ok_or(ApiError::SmartListNotFound)
        }
    }
}

const LIST_TYPES: [&str; 4] = [
    "staticListId",
    "staticListName",
    "smartListId",
    "smartListName",
];

fn lead_filter(filter: &Map<String, Json>, db: &Db) -> Result<LeadFilter, ApiError> {
    let known = ["createdAt", "updatedAt"]
        .into_iter()
        .chain(LIST_TYPES)
        .collect::<Vec<_>>();
    let member = only_type(filter, &known)?;
    let value = &filter[member];
    Ok(match member.to_ascii_lowercase().as_str() {
        "createdat" => LeadFilter::CreatedAt(range("createdAt", value)?),
        "updatedat" => LeadFilter::UpdatedAt(range("updatedAt", value)?),
        _ => LeadFilter::List(list(canonical(member, &LIST_TYPES), value, db)?),
    })
}

fn object_filter(filter: &Map<String, Json>, db: &Db) -> Result<ObjectFilter, ApiError> {
    let known = ["updatedAt"]
        .into_iter()
        .chain(LIST_TYPES)
        .collect::<Vec<_>>();
    let member = only_type(filter, &known)?;
    let value = &filter[member];
    Ok(if member.eq_ignore_ascii_case("updatedAt") {
        ObjectFilter::UpdatedAt(range("updatedAt", value)?)
    } else {
        ObjectFilter::List(list(canonical(member, &LIST_TYPES), value, db)?)
    })
}

/// A member name spelled as the docs spell it.
fn canonical<'a>(member: &str, known: &[&'a str]) -> &'a str {
    known
        .iter()
        .find(|known| known.eq_ignore_ascii_case(member))
        .copied()
        .unwrap_or_default()
}

/// A program member filter, and whether it names several programs (`programIds`).
fn member_filter(filter: &Map<String, Json>, db: &Db) -> Result<(MemberFilter, bool), ApiError> {
    const KNOWN: [&str; 6] = [
        "programId",
        "programIds",
        "isExhausted",
        "nurtureCadence",
        "statusNames",
        "updatedAt",
    ];
    let mut selected = MemberFilter {
        programs: Vec::new(),
        is_exhausted: None,
        nurture_cadence: None,
        status_names: Vec::new(),
        updated_at: None,
    };
    let mut many = None;
    for member in filter_types(filter, &KNOWN)? {
        let value = &filter[member];
        match canonical(member, &KNOWN) {
            "programId" => {
                if many.replace(false).is_some() {
                    return Err(both_program_filters());
                }
                selected.programs.push(integer("programId", value)?);
            }
            "programIds" => {
                if many.replace(true).is_some() {
                    return Err(both_program_filters());
                }
                let ids = value
                    .as_array()
                    .ok_or_else(|| invalid("'programIds' must be a list of program ids"))?;
                if ids.is_empty() || ids.len() > MAX_PROGRAM_IDS {
                    return Err(invalid(format!(
                        "'programIds' must name from 1 to {MAX_PROGRAM_IDS} programs"
                    )));
                }
                for id in ids {
                    selected.programs.push(integer("programIds", id)?);
                }
            }
            "isExhausted" => {
                let flag = match value {
                    Json::Bool(flag) => Some(*flag),
                    Json::String(text) => text.trim().parse().ok(),
                    _ => None,
                };
                selected.is_exhausted =
                    Some(flag.ok_or_else(|| invalid("'isExhausted' must be true or false"))?);
            }
            "nurtureCadence" => {
                let cadence = text("nurtureCadence", value)?;
                selected.nurture_cadence = Some(Cadence::parse(cadence).ok_or_else(|| {
                    invalid(format!(
                        "Invalid nurtureCadence '{cadence}': one of paus, norm"
                    ))
                })?);
            }
            "statusNames" => {
                let names = value
                    .as_array()
                    .filter(|names| !names.is_empty())
                    .ok_or_else(|| invalid("'statusNames' must be a list of status names"))?;
                for name in names {
                    selected
                        .status_names
                        .push(text("statusNames", name)?.to_owned());
                }
            }
            _ => selected.updated_at = Some(range("updatedAt", value)?),
        }
    }
    let Some(many) = many else {
        return Err(invalid("'programId' or 'programIds' is required"));
    };
    for id in &selected.programs {
        db.programs.program(*id).ok_or(ApiError::ProgramNotFound)?;
    }
    // A status name must belong to the channel of at least one selected program.
    for name in &selected.status_names {
        if !selected
            .programs
            .iter()
            .any(|program| db.programs.status(*program, name).is_some())
        {
            return Err(ApiError::GenericInvalidData);
        }
    }
    Ok((selected, many))
}

/// An activity export's columns: absent, `null` or `[]` mean the eight default ones.
fn activity_columns(value: Option<&Json>) -> Result<Vec<Column>, ApiError> {
    let names = match value {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(items)) if items.is_empty() => Vec::new(),
        Some(value) => field_names(Some(value))?,
    };
    if names.is_empty() {
        return Ok(ACTIVITY_COLUMNS[..8]
            .iter()
            .map(|(name, column)| Column {
                header: (*name).to_owned(),
                source: Source::Activity(*column),
            })
            .collect());
    }
    columns(&names, |name| {
        ACTIVITY_COLUMNS
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map(|(_, column)| Source::Activity(*column))
    })
}

/// A list of whole numbers of at most `max` entries.
fn id_list<T: TryFrom<i64>>(member: &str, value: &Json, max: usize) -> Result<Vec<T>, ApiError> {
    let items = value
        .as_array()
        .filter(|items| !items.is_empty() && items.len() <= max)
        .ok_or_else(|| invalid(format!("'{member}' must be a list of 1 to {max} ids")))?;
    items
        .iter()
        .map(|item| {
            item.as_i64()
                .and_then(|n| T::try_from(n).ok())
                .ok_or_else(|| invalid(format!("'{member}' must be a list of 1 to {max} ids")))
        })
        .collect()
}

fn activity_filter(filter: &Map<String, Json>) -> Result<ActivityFilter, ApiError> {
    const KNOWN: [&str; 4] = [
        "createdAt",
        "activityTypeIds",
        "primaryAttributeValueIds",
        "primaryAttributeValues",
    ];
    let mut created_at = None;
    let mut selected = ActivityFilter {
        created_at: DateRange {
            start: crate::clock::Timestamp(0),
            end: crate::clock::Timestamp(0),
        },
        type_ids: Vec::new(),
        primary_ids: Vec::new(),
        primary_values: Vec::new(),
    };
    for member in filter_types(filter, &KNOWN)? {
        let value = &filter[member];
        match canonical(member, &KNOWN) {
            "createdAt" => created_at = Some(range("createdAt", value)?),
            "activityTypeIds" => selected.type_ids = id_list("activityTypeIds", value, usize::MAX)?,
            "primaryAttributeValueIds" => {
                selected.primary_ids =
                    id_list("primaryAttributeValueIds", value, MAX_PRIMARY_ATTRIBUTES)?;
            }
            _ => {
                let names = value
                    .as_array()
                    .filter(|names| !names.is_empty() && names.len() <= MAX_PRIMARY_ATTRIBUTES)
                    .ok_or_else(|| {
                        invalid(format!(
                            "'primaryAttributeValues' must be a list of 1 to {MAX_PRIMARY_ATTRIBUTES} names"
                        ))
                    })?;
                for name in names {
                    selected
                        .primary_values
                        .push(text("primaryAttributeValues", name)?.to_owned());
                }
            }
        }
    }
    selected.created_at =
        created_at.ok_or_else(|| invalid("'filter.createdAt' is required for activities"))?;
    if selected.type_ids.contains(&DELETE_LEAD) {
        return Err(invalid(
            "Delete Lead activities (type 37) cannot be exported",
        ));
    }
    let by_primary = !selected.primary_ids.is_empty() || !selected.primary_values.is_empty();
    if by_primary && selected.type_ids.is_empty() {
        return Err(invalid(
            "'primaryAttributeValueIds' and 'primaryAttributeValues' need 'activityTypeIds'",
        ));
    }
    if !selected.primary_ids.is_empty() && !selected.primary_values.is_empty() {
        return Err(invalid(
            "'primaryAttributeValueIds' and 'primaryAttributeValues' cannot be given together",
        ));
    }
    Ok(selected)
}

fn both_program_filters() -> ApiError {
    invalid("'programId' and 'programIds' cannot be given together")
}
