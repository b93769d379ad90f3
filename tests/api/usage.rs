use serde_json::{Value, json};

use crate::helpers::{TestApp, json};

/// The day a usage report names, as a date.
fn date(day: &Value) -> time::Date {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(day["date"].as_str().unwrap(), &format).unwrap()
}

#[tokio::test]
async fn the_daily_report_counts_todays_calls_under_the_token_scopes_user() {
    let app = TestApp::spawn().await;
    for _ in 0..2 {
        app.get_json("/rest/v1/leads/partitions.json").await;
    }
    let body = app.get_json("/rest/v1/stats/usage.json").await;
    assert_eq!(body["success"], true, "{body}");
    let days = body["result"].as_array().unwrap();
    assert_eq!(days.len(), 1, "{body}");
    // The two reads and the report itself; token calls are not counted, as in Marketo.
    assert_eq!(
        days[0]["users"],
        json!([{ "userId": "mock-client-id@mock.marketo.test", "count": 3 }])
    );
    assert_eq!(days[0]["total"], 3);
    date(&days[0]);
}

#[tokio::test]
async fn the_user_is_named_after_the_configured_client_id() {
    let app = TestApp::spawn_with(|server| server.credentials("etl-client", "s3cret")).await;
    let token: Value = json(app.client.get(app.url(
        "/identity/oauth/token?grant_type=client_credentials&client_id=etl-client&client_secret=s3cret",
    )))
    .await;
    assert_eq!(token["scope"], "etl-client@mock.marketo.test");
    let body = json(
        app.client
            .get(app.url("/rest/v1/stats/usage.json"))
            .bearer_auth(token["access_token"].as_str().unwrap()),
    )
    .await;
    assert_eq!(body["result"][0]["users"][0]["userId"], token["scope"]);
}

#[tokio::test]
async fn the_weekly_report_lists_each_day_with_calls_today_first() {
    let app = TestApp::spawn_frozen(|server| server).await;
    app.get_json("/rest/v1/leads/partitions.json").await;
    app.advance_clock(2 * 86_400);
    app.get_json("/rest/v1/leads/partitions.json").await;
    app.get_json("/rest/v1/leads/partitions.json").await;
    let body = app.get_json("/rest/v1/stats/usage/last7days.json").await;
    let days = body["result"].as_array().unwrap();
    assert_eq!(days.len(), 2, "a day without calls is left out: {body}");
    assert_eq!(
        (days[0]["total"].as_u64(), days[1]["total"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(date(&days[0]) - date(&days[1]), time::Duration::days(2));
    let today = app.get_json("/rest/v1/stats/usage.json").await;
    assert_eq!(today["result"][0]["date"], days[0]["date"]);
    assert_eq!(today["result"][0]["total"], 4);
}

#[tokio::test]
async fn days_older_than_a_week_leave_the_report() {
    let app = TestApp::spawn_frozen(|server| server).await;
    app.get_json("/rest/v1/leads/partitions.json").await;
    app.advance_clock(8 * 86_400);
    let body = app.get_json("/rest/v1/stats/usage/last7days.json").await;
    assert_eq!(body["result"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["result"][0]["total"], 1, "only the report itself");
}
