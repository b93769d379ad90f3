//! `GET /rest/v1/campaigns.json`: the smart campaigns of `campaigns.json`, paged by token.

use axum::response::Response;

use super::browse::{Listed, RestFilter, boolean};
use super::envelope::{RequestId, listing, marketo};
use super::extract::{Authorized, Params, ReadParams};
use super::paging::Page;
use super::registry::{Api, BodyKind, Tag};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::catalog::CampaignDef;

pub fn routes() -> Api {
    Api::new(Tag::Campaigns)
        .get(
            "/rest/v1/campaigns.json",
            "Get campaigns (id, name, programName, workspaceName, isTriggerable; batchSize, nextPageToken)",
            campaigns,
        )
        .params::<RestFilter>()
        .params::<Triggerable>()
        .params::<Page>()
        .answers(marketo::<CampaignDef>())
        .post(
            "/rest/v1/campaigns.json",
            "Get campaigns (_method=GET with a form body)",
            BodyKind::Form,
            campaigns,
        )
        .params::<RestFilter>()
        .params::<Triggerable>()
        .params::<Page>()
        .answers(marketo::<CampaignDef>())
}

/// Whether to keep only the campaigns the API may request.
#[derive(utoipa::IntoParams)]
struct Triggerable {
    /// `true` keeps the triggerable campaigns; `false`, like its absence, filters nothing.
    #[param(rename = "isTriggerable", value_type = Option<bool>)]
    triggerable: bool,
}

impl Triggerable {
    fn read(params: &Params) -> Result<Triggerable, ApiError> {
        Ok(Triggerable {
            triggerable: boolean(params, "isTriggerable")?.unwrap_or(false),
        })
    }
}

/// Campaigns by id, paged like static lists. `isTriggerable=true` keeps the campaigns the API
/// may request; `false`, like its absence, filters nothing.
async fn campaigns(
    _: Authorized,
    state: AppState,
    request_id: RequestId,
    ReadParams(params): ReadParams,
) -> Result<Response, ApiError> {
    campaigns_page(&state, &params, &request_id)
}

fn campaigns_page(
    state: &AppState,
    params: &Params,
    request_id: &RequestId,
) -> Result<Response, ApiError> {
    let filter = RestFilter::from_params(params)?;
    let Triggerable { triggerable } = Triggerable::read(params)?;
    let page = Page::from_params(params)?;
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
    Ok(listing(request_id, Some(items), next.as_deref(), None))
}
