//! The Asset API reads extract tools make: programs, segmentations, emails (browses paged by
//! `offset` and `maxReturn`) and the My Tokens of a program or folder.

use axum::response::Response;
use serde::Serialize;

use super::envelope::{RequestId, asset, asset_error, asset_result};
use super::extract::{Authorized, IdWidth, Params, Segment, path_id};
use super::paging::AssetPage;
use super::registry::{Api, Tag};
use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::iso8601::{AssetTime, parse_time};
use crate::state::AppState;
use crate::store::Db;
use crate::store::catalog::{
    EmailDef, FolderRef, FolderType, SegmentationDef, TokenFolder, TokenSet,
};
use crate::store::programs::ProgramDef;

pub fn routes() -> Api {
    Api::new(Tag::Assets)
        .get(
            "/rest/asset/v1/programs.json",
            "Browse programs (status, earliestUpdatedAt, latestUpdatedAt; offset, maxReturn)",
            programs,
        )
        .params::<UpdatedRange>()
        .params::<AssetPage>()
        .answers(asset::<ProgramView>())
        .get(
            "/rest/asset/v1/segmentation.json",
            "Browse segmentations (status; offset, maxReturn or batchSize)",
            segmentations,
        )
        .params::<AssetPage>()
        .answers(asset::<SegmentationDef>())
        .get(
            "/rest/asset/v1/emails.json",
            "Browse emails (status, folder, earliestUpdatedAt, latestUpdatedAt; offset, maxReturn)",
            emails,
        )
        .params::<UpdatedRange>()
        .params::<AssetPage>()
        .answers(asset::<EmailDef>())
        .get(
            "/rest/asset/v1/folder/{id}/tokens.json",
            "Get the My Tokens of a folder or program (folderType Folder or Program)",
            tokens,
        )
        .answers(asset::<TokenSet>())
}

/// Renders a handler's outcome in the Asset API's envelope, its errors included.
fn answer<T: Serialize>(request_id: &RequestId, outcome: Result<Vec<T>, ApiError>) -> Response {
    match outcome {
        Ok(items) => asset_result(request_id, &items),
        Err(error) => asset_error(request_id, &error),
    }
}

/// `status`, one of `allowed` in any case; blank or absent filters nothing.
fn status(
    params: &Params,
    allowed: &[&str],
    expected: &'static str,
) -> Result<Option<String>, ApiError> {
    let Some(text) = params.get("status").filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    let wanted = text.trim().to_ascii_lowercase();
    if allowed.contains(&wanted.as_str()) {
        Ok(Some(wanted))
    } else {
        Err(ApiError::InvalidValue {
            value: text.to_owned(),
            expected,
        })
    }
}

/// Whether an asset's status is the one asked for, if any.
fn has_status(wanted: Option<&str>, status: &str) -> bool {
    wanted.is_none_or(|wanted| status.eq_ignore_ascii_case(wanted))
}

/// `earliestUpdatedAt` and `latestUpdatedAt`: an asset is in the range when it was created or
/// updated within it, both bounds inclusive; a bound left out leaves that side open.
#[derive(Debug, Clone, Copy, Default, utoipa::IntoParams)]
struct UpdatedRange {
    /// ISO 8601.
    #[param(rename = "earliestUpdatedAt", value_type = Option<String>)]
    earliest: Option<Timestamp>,
    /// ISO 8601.
    #[param(rename = "latestUpdatedAt", value_type = Option<String>)]
    latest: Option<Timestamp>,
}

impl UpdatedRange {
    fn from_params(params: &Params) -> Result<UpdatedRange, ApiError> {
        let bound = |name: &str| {
            params
                .get(name)
                .filter(|t| !t.trim().is_empty())
                .map(|text| {
                    parse_time(text).ok_or_else(|| ApiError::InvalidValue {
                        value: text.to_owned(),
                        expected: "ISO 8601 date-time",
                    })
                })
                .transpose()
        };
        Ok(UpdatedRange {
            earliest: bound("earliestUpdatedAt")?,
            latest: bound("latestUpdatedAt")?,
        })
    }

    fn contains(&self, time: Timestamp) -> bool {
        self.earliest.is_none_or(|e| e <= time) && self.latest.is_none_or(|l| time <= l)
    }

    fn holds(&self, created: AssetTime, updated: AssetTime) -> bool {
        self.contains(created.0) || self.contains(updated.0)
    }
}

/// A program as the Asset API browses it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct ProgramView<'a> {
    id: u32,
    name: &'a str,
    description: &'a str,
    created_at: AssetTime,
    updated_at: AssetTime,
    url: String,
    #[serde(rename = "type")]
    kind: &'a str,
    channel: &'a str,
    folder: FolderRef,
    status: &'a str,
    workspace: &'a str,
}

impl<'a> ProgramView<'a> {
    fn of(program: &'a ProgramDef) -> ProgramView<'a> {
        ProgramView {
            id: program.id,
            name: &program.name,
            description: &program.description,
            created_at: program.created_at,
            updated_at: program.updated_at,
            url: program.url(),
            kind: program.asset_type(),
            channel: &program.channel,
            folder: program.folder(),
            status: &program.status,
            workspace: &program.workspace,
        }
    }
}

async fn programs(auth: Authorized, state: AppState, request_id: RequestId) -> Response {
    let db = state.read_db();
    answer(&request_id, browse_programs(&db, &auth.query))
}

fn browse_programs<'a>(db: &'a Db, params: &Params) -> Result<Vec<ProgramView<'a>>, ApiError> {
    let page = AssetPage::from_params(params, &["maxReturn"])?;
    let range = UpdatedRange::from_params(params)?;
    let wanted = status(
        params,
        &["on", "off", "locked", "unlocked"],
        "on, off, locked, unlocked",
    )?;
    let found: Vec<&ProgramDef> = db
        .programs
        .programs()
        .iter()
        .filter(|p| range.holds(p.created_at, p.updated_at))
        .filter(|p| has_status(wanted.as_deref(), &p.status))
        .collect();
    Ok(page
        .take(&found)
        .iter()
        .map(|p| ProgramView::of(p))
        .collect())
}

/// Segmentations; Airbyte sends `batchSize` rather than `maxReturn`, so either gives the size.
async fn segmentations(auth: Authorized, state: AppState, request_id: RequestId) -> Response {
    let db = state.read_db();
    answer(&request_id, browse_segmentations(&db, &auth.query))
}

fn browse_segmentations<'a>(
    db: &'a Db,
    params: &Params,
) -> Result<Vec<&'a SegmentationDef>, ApiError> {
    let page = AssetPage::from_params(params, &["maxReturn", "batchSize"])?;
    let wanted = status(params, &["approved", "draft"], "approved, draft")?;
    let found: Vec<&SegmentationDef> = db
        .catalog
        .assets
        .segmentations
        .iter()
        .filter(|s| has_status(wanted.as_deref(), &s.status))
        .collect();
    Ok(page.take(&found).to_vec())
}

/// The `folder` parameter of an email browse: `{"id": 341, "type": "Folder"}`, read as
/// leniently as Marketo's JSON reader: single quotes and unquoted values too, since
/// marketorestpython sends `{'id': 341, 'type': Folder}`.
fn folder_param(params: &Params) -> Result<Option<(FolderType, u32)>, ApiError> {
    let Some(text) = params.get("folder").filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    parse_folder(text)
        .map(Some)
        .ok_or_else(|| ApiError::InvalidValue {
            value: text.to_owned(),
            expected: "folder: JSON object with id and type Folder or Program",
        })
}

fn parse_folder(text: &str) -> Option<(FolderType, u32)> {
    let unquote = |s: &str| s.trim().trim_matches(['"', '\'']).trim().to_owned();
    let members = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    let (mut kind, mut id) = (None, None);
    for member in members.split(',') {
        let (key, value) = member.split_once(':')?;
        match unquote(key).as_str() {
            "id" => id = Some(unquote(value).parse().ok()?),
            "type" => kind = Some(FolderType::parse(&unquote(value))?),
            _ => {}
        }
    }
    Some((kind?, id?))
}

async fn emails(auth: Authorized, state: AppState, request_id: RequestId) -> Response {
    let db = state.read_db();
    answer(&request_id, browse_emails(&db, &auth.query))
}

fn browse_emails<'a>(db: &'a Db, params: &Params) -> Result<Vec<&'a EmailDef>, ApiError> {
    let page = AssetPage::from_params(params, &["maxReturn"])?;
    let range = UpdatedRange::from_params(params)?;
    let wanted = status(params, &["approved", "draft"], "approved, draft")?;
    let folder = folder_param(params)?;
    let found: Vec<&EmailDef> = db
        .catalog
        .assets
        .emails
        .iter()
        .filter(|e| range.holds(e.created_at, e.updated_at))
        .filter(|e| has_status(wanted.as_deref(), &e.status))
        .filter(|e| folder.is_none_or(|(kind, id)| e.folder.kind == kind && e.folder.value == id))
        .collect();
    Ok(page.take(&found).to_vec())
}

/// The My Tokens of a program (`folderType=Program`) or folder (`folderType=Folder`, the
/// default): one element, its `tokens` empty when it has none. An unknown program or folder
/// is the "No assets found" warning, as Marketo answers an asset lookup that finds nothing.
async fn tokens(
    auth: Authorized,
    state: AppState,
    request_id: RequestId,
    Segment(segment): Segment,
) -> Response {
    let db = state.read_db();
    // The Asset API's document types the folder id int32.
    let outcome =
        path_id(&segment, IdWidth::Int32).and_then(|id| folder_tokens(&db, id, &auth.query));
    answer(&request_id, outcome)
}

/// The tokens of a folder or program; one that does not exist (or an id that names nothing)
/// has none.
fn folder_tokens(db: &Db, id: Option<u32>, params: &Params) -> Result<Vec<TokenSet>, ApiError> {
    let kind = match params.get("folderType").filter(|t| !t.trim().is_empty()) {
        None => FolderType::Folder,
        Some(text) => FolderType::parse(text).ok_or_else(|| ApiError::InvalidValue {
            value: text.to_owned(),
            expected: "Folder, Program",
        })?,
    };
    let Some(id) = id else {
        return Ok(Vec::new());
    };
    let known = match kind {
        FolderType::Program => db.programs.program(id).is_some(),
        FolderType::Folder => {
            db.catalog.has_folder(id)
                || db.programs.programs().iter().any(|p| {
                    let folder = p.folder();
                    folder.kind == FolderType::Folder && folder.value == id
                })
        }
    };
    if !known {
        return Ok(Vec::new());
    }
    let folder = TokenFolder { kind, value: id };
    Ok(vec![TokenSet {
        folder,
        tokens: db.catalog.tokens(folder).unwrap_or_default().to_vec(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_parameter_is_read_as_json_or_as_marketorestpython_writes_it() {
        for text in [
            r#"{"id":341,"type":"Folder"}"#,
            "{'id': 341, 'type': Folder}",
            r#"{ "type" : "folder", "id" : "341" }"#,
        ] {
            assert_eq!(
                parse_folder(text),
                Some((FolderType::Folder, 341)),
                "{text}"
            );
        }
        for text in [
            "341",
            "{'id': 341}",
            "{'id': x, 'type': Folder}",
            "{'type': Campaign, 'id': 1}",
        ] {
            assert_eq!(parse_folder(text), None, "{text}");
        }
    }
}
