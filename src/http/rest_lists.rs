//! `GET /rest/v1/lists.json`: the static lists of `lists.json`, paged by token.

use axum::response::Response;

use super::browse::{Listed, RestFilter};
use super::envelope::{RequestId, listing, marketo};
use super::extract::{Authorized, Params, ReadParams};
use super::paging::Page;
use super::registry::{Api, BodyKind, Tag};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::leads::ListDef;

pub fn routes() -> Api {
    Api::new(Tag::StaticLists)
        .get(
            "/rest/v1/lists.json",
            "Get static lists (id, name, programName, workspaceName; batchSize, nextPageToken)",
            lists,
        )
        .params::<RestFilter>()
        .params::<Page>()
        .answers(marketo::<ListDef>())
        .post(
            "/rest/v1/lists.json",
            "Get static lists (_method=GET with a form body)",
            BodyKind::Form,
            lists,
        )
        .params::<RestFilter>()
        .params::<Page>()
        .answers(marketo::<ListDef>())
}

/// Lists by id; `nextPageToken` while more remain, never `moreResult`, and `result: []` when
/// none match (tap-marketo reads `result` without a guard).
async fn lists(
    _: Authorized,
    state: AppState,
    request_id: RequestId,
    ReadParams(params): ReadParams,
) -> Result<Response, ApiError> {
    lists_page(&state, &params, &request_id)
}

fn lists_page(
    state: &AppState,
    params: &Params,
    request_id: &RequestId,
) -> Result<Response, ApiError> {
    let filter = RestFilter::from_params(params)?;
    let page = Page::from_params(params)?;
    let db = state.read_db();
    let found: Vec<&ListDef> = db
        .leads
        .lists()
        .into_iter()
        .filter(|list| {
            filter.matches(Listed {
                id: list.id,
                name: &list.name,
                program_name: Some(list.program_name.as_str()).filter(|p| !p.is_empty()),
                workspace_name: &list.workspace_name,
            })
        })
        .collect();
    let (items, next) = page.take(&found);
    Ok(listing(request_id, Some(items), next.as_deref(), None))
}
