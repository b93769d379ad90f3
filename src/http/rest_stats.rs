//! Marketo's usage report: `GET /rest/v1/stats/usage.json` (today) and
//! `GET /rest/v1/stats/usage/last7days.json`, from the calls the front guard counts.

use axum::response::Response;
use serde::Serialize;

use super::envelope::{RequestId, marketo, success};
use super::extract::Authorized;
use super::registry::{Api, Tag};
use crate::state::AppState;
use crate::usage::{DayCount, day_text};

pub fn routes() -> Api {
    Api::new(Tag::Usage)
        .get(
            "/rest/v1/stats/usage.json",
            "Get daily usage (today's calls)",
            today,
        )
        .answers(marketo::<UsageDay>())
        .get(
            "/rest/v1/stats/usage/last7days.json",
            "Get weekly usage (each of the last seven days with calls, today first)",
            last_seven_days,
        )
        .answers(marketo::<UsageDay>())
}

/// One day of the report.
#[derive(Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UsageDay {
    pub date: String,
    pub total: u64,
    pub users: Vec<UserCount>,
}

#[derive(Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserCount {
    pub user_id: String,
    pub count: u64,
}

/// A day's count as Marketo reports it. Every counted call was made with a token of the one
/// configured client, so a day with calls has one user, and a day without has none.
pub fn usage_day(count: DayCount, user: &str) -> UsageDay {
    let users = if count.calls == 0 {
        Vec::new()
    } else {
        vec![UserCount {
            user_id: user.to_owned(),
            count: count.calls,
        }]
    };
    UsageDay {
        date: day_text(count.day),
        total: count.calls,
        users,
    }
}

fn report(state: &AppState) -> Vec<UsageDay> {
    let user = state.tokens.scope();
    state
        .calls
        .last_days(state.clock.now())
        .into_iter()
        .map(|count| usage_day(count, &user))
        .collect()
}

/// Today alone: always one element, so `result[0].total` is there to read.
async fn today(_: Authorized, state: AppState, request_id: RequestId) -> Response {
    let mut days = report(&state);
    days.truncate(1);
    success(&request_id, &days)
}

async fn last_seven_days(_: Authorized, state: AppState, request_id: RequestId) -> Response {
    success(&request_id, &report(&state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_without_calls_has_a_zero_total_and_no_users() {
        let day = usage_day(DayCount { day: 0, calls: 0 }, "a@mock.marketo.test");
        assert_eq!(
            serde_json::to_value(day).unwrap(),
            serde_json::json!({ "date": "1970-01-01", "total": 0, "users": [] })
        );
    }

    #[test]
    fn a_day_with_calls_names_the_api_user() {
        let day = usage_day(DayCount { day: 1, calls: 7 }, "a@mock.marketo.test");
        assert_eq!(
            serde_json::to_value(day).unwrap(),
            serde_json::json!({
                "date": "1970-01-02",
                "total": 7,
                "users": [{ "userId": "a@mock.marketo.test", "count": 7 }]
            })
        );
    }
}
