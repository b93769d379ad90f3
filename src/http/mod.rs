//! The HTTP surface: one router per endpoint group, merged here, wrapped in the layers that
//! make every answer Marketo-shaped.

pub mod batch;
pub mod browse;
pub mod bulk_export;
pub mod bulk_leads;
pub mod bulk_members;
pub mod bulk_objects;
pub mod control;
pub mod envelope;
pub mod extract;
pub mod fallback;
pub mod guard;
pub mod identity;
pub mod normalize;
pub mod openapi;
pub mod paging;
pub mod range;
pub mod registry;
pub mod rest_activities;
pub mod rest_assets;
pub mod rest_campaigns;
pub mod rest_leads;
pub mod rest_lists;
pub mod rest_objects;
pub mod rest_programs;
pub mod rest_stats;
pub mod ui;
pub mod upload;

use std::sync::Arc;

use crate::instances::Instances;
use registry::Api;

/// Every route the mock serves, with its documentation.
pub fn api() -> Api {
    identity::routes()
        .merge(bulk_leads::routes())
        .merge(bulk_objects::routes())
        .merge(bulk_members::routes())
        .merge(bulk_export::routes())
        .merge(rest_leads::routes())
        .merge(rest_activities::routes())
        .merge(rest_objects::routes())
        .merge(rest_programs::routes())
        .merge(rest_stats::routes())
        .merge(rest_lists::routes())
        .merge(rest_campaigns::routes())
        .merge(rest_assets::routes())
        .merge(control::routes())
        .merge(ui::routes())
}

/// The application: every route and its fallbacks, behind the front guard that makes every
/// answer Marketo-shaped.
pub fn front(instances: Arc<Instances>) -> guard::Front {
    let router = api()
        .into_router()
        .fallback(fallback::not_found)
        .method_not_allowed_fallback(fallback::method_not_allowed);
    guard::Front::new(router, instances)
}
