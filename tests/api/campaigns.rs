use serde_json::{Value, json};

use crate::helpers::{FixtureDir, TestApp, assert_error, is_whole_second_utc, json};

fn ids(body: &Value) -> Vec<u64> {
    body["result"]
        .as_array()
        .unwrap_or_else(|| panic!("no result: {body}"))
        .iter()
        .map(|campaign| campaign["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn campaigns_are_listed_by_id_in_marketos_member_order() {
    let app = TestApp::spawn().await;
    let body = app.get_json("/rest/v1/campaigns.json").await;
    assert_eq!(ids(&body), [1101, 1102, 1103, 1104, 1105, 1106, 1107]);
    let first = &body["result"][1];
    assert_eq!(
        first,
        &json!({
            "id": 1102,
            "name": "01-Process Registrations",
            "description": "Sets the status to Registered and sends the confirmation email",
            "type": "trigger",
            "programName": "Product Webinar - March 2024",
            "programId": 1002,
            "workspaceName": "Default",
            "createdAt": "2024-02-12T14:06:12Z",
            "updatedAt": "2024-02-20T08:15:44Z",
            "active": true
        })
    );
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "name",
            "description",
            "type",
            "programName",
            "programId",
            "workspaceName",
            "createdAt",
            "updatedAt",
            "active"
        ]
    );
    let outside = body["result"][6].as_object().unwrap();
    assert!(
        !outside.contains_key("programName") && !outside.contains_key("programId"),
        "a campaign outside programs: {body}"
    );
    for campaign in body["result"].as_array().unwrap() {
        assert!(is_whole_second_utc(campaign["createdAt"].as_str().unwrap()));
        assert!(is_whole_second_utc(campaign["updatedAt"].as_str().unwrap()));
    }
    assert!(body.get("nextPageToken").is_none() && body.get("moreResult").is_none());
}

#[tokio::test]
async fn campaigns_filter_by_program_name_id_workspace_and_triggerability() {
    let app = TestApp::spawn().await;
    let webinar = app
        .get_json("/rest/v1/campaigns.json?programName=product%20webinar%20-%20march%202024")
        .await;
    assert_eq!(ids(&webinar), [1102, 1103, 1104]);
    let triggerable = app
        .get_json("/rest/v1/campaigns.json?isTriggerable=true")
        .await;
    assert_eq!(
        ids(&triggerable),
        [1102, 1107],
        "active trigger campaigns only"
    );
    let all = app
        .get_json("/rest/v1/campaigns.json?isTriggerable=false")
        .await;
    assert_eq!(ids(&all).len(), 7, "false filters nothing");
    let named = app
        .get_json("/rest/v1/campaigns.json?name=Send%20Newsletter&id=1106,1101")
        .await;
    assert_eq!(ids(&named), [1106]);
    let none = app
        .get_json("/rest/v1/campaigns.json?workspaceName=Europe")
        .await;
    assert_eq!(none["result"], json!([]), "{none}");
}

#[tokio::test]
async fn campaign_pages_follow_the_token_until_it_is_absent() {
    let app = TestApp::spawn().await;
    let first = app.get_json("/rest/v1/campaigns.json?batchSize=5").await;
    assert_eq!(ids(&first).len(), 5);
    let token = first["nextPageToken"].as_str().unwrap();
    let second = app
        .get_json(&format!(
            "/rest/v1/campaigns.json?batchSize=5&nextPageToken={token}"
        ))
        .await;
    assert_eq!(ids(&second), [1106, 1107]);
    assert!(second.get("nextPageToken").is_none(), "{second}");
}

#[tokio::test]
async fn bad_campaign_parameters_are_1001() {
    let app = TestApp::spawn().await;
    let body = app
        .get_json("/rest/v1/campaigns.json?isTriggerable=maybe")
        .await;
    assert_error(
        &body,
        "1001",
        "Invalid value 'maybe'. Required of type 'boolean'",
    );
    let body = app.get_json("/rest/v1/campaigns.json?batchSize=500").await;
    assert_error(
        &body,
        "1001",
        "Invalid value '500'. Required of type 'integer from 1 to 300'",
    );
}

#[tokio::test]
async fn a_campaigns_fixture_in_the_fixtures_directory_replaces_the_bundled_one() {
    let dir = FixtureDir::new(&[(
        "campaigns.json",
        r#"[{"id": 9, "name": "Lone", "type": "batch", "createdAt": "2025-05-05T05:05:05Z", "updatedAt": "2025-05-05T05:05:05Z"}]"#,
    )]);
    let app = TestApp::spawn_with(|server| server.fixtures(&dir.0)).await;
    let body = app.get_json("/rest/v1/campaigns.json").await;
    assert_eq!(
        body["result"],
        json!([{
            "id": 9,
            "name": "Lone",
            "description": "",
            "type": "batch",
            "workspaceName": "Default",
            "createdAt": "2025-05-05T05:05:05Z",
            "updatedAt": "2025-05-05T05:05:05Z",
            "active": false
        }])
    );
}

#[tokio::test]
async fn campaigns_are_read_by_post_with_method_get_as_marketorestpython_asks() {
    let app = TestApp::spawn().await;
    let token = app.token().await;
    let body: Value = json(
        app.client
            .post(app.url(&format!(
                "/rest/v1/campaigns.json?access_token={token}&_method=GET&batchSize=300"
            )))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("id=1107&id=1102"),
    )
    .await;
    assert_eq!(ids(&body), [1102, 1107]);
    let without_method: Value = json(
        app.client
            .post(app.url("/rest/v1/campaigns.json"))
            .bearer_auth(&token)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("id=1107"),
    )
    .await;
    assert_error(
        &without_method,
        "605",
        "Request method 'POST' not supported",
    );
}
