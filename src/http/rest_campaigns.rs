//! `GET /rest/v1/campaigns.json`: the smart campaigns of `campaigns.json`, paged by token.

use axum::extract::State;
use axum::response::Response;

use super::browse::{Listed, RestFilter, boolean};
use super::envelope::{RequestId, with_page_token};
use super::extract::Authorized;
use super::paging::Page;
use super::registry::{Api, Tag};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::catalog::CampaignDef;

pub fn routes() -> Api {
    Api::new(Tag::Campaigns).get(
        "/rest/v1/campaigns.json",
        "Get campaigns (id, name, programName, workspaceName, isTriggerable; batchSize, nextPageToken)",
        campaigns,
    )
}

/// Campaigns by id, paged like static lists. `isTriggerable=true` keeps the campaigns the API
/// may request; `false`, like its absence, filters nothing.
async fn campaigns(
    auth: Authorized,
    State(state): State<AppState>,
    request_id: RequestId,
) -> Result<Response, ApiError> {
    let filter = RestFilter::from_params(&auth.query)?;
    let triggerable = boolean(&auth.query, "isTriggerable")?.unwrap_or(false);
    let page = Page::from_params(&auth.query)?;
    let db = state.read_db();
    let found: Vec<&CampaignDef> = db
        .catalog
        .campaigns
        .iter()
        .filter(|campaign| {
            filter.matches(Listed {
                id: campaign.id,
                name: &campaign.name,
                program_name: campaign.program_name.as_deref(),
                workspace_name: &campaign.workspace_name,
            }) && (!triggerable || campaign.is_triggerable())
        })
        .collect();
    let (items, next) = page.take(&found);
    Ok(with_page_token(&request_id, items, next.as_deref()))
}
