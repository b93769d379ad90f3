use serde_json::{Value, json};

use crate::helpers::{FixtureDir, TestApp, assert_request_id};

const NO_ASSETS: &str = "No assets found for the given search criteria.";

fn ids(body: &Value) -> Vec<u64> {
    body["result"]
        .as_array()
        .unwrap_or_else(|| panic!("no result: {body}"))
        .iter()
        .map(|asset| asset["id"].as_u64().unwrap())
        .collect()
}

/// A GET's body as text, with a fresh token.
async fn text(app: &TestApp, path: &str) -> String {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(app.token().await)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.text().await.unwrap()
}

/// Asserts Marketo's exact "nothing found" answer: the warning and no `result`.
fn assert_no_assets(body: &Value) {
    assert_request_id(body);
    let expected = json!({
        "success": true,
        "errors": [],
        "requestId": body["requestId"],
        "warnings": [NO_ASSETS],
    });
    assert_eq!(body, &expected);
}

/// Asserts an Asset API refusal: the error and empty `warnings`.
fn assert_asset_error(body: &Value, code: &str, message: &str) {
    assert_request_id(body);
    assert_eq!(
        body,
        &json!({
            "success": false,
            "errors": [{ "code": code, "message": message }],
            "requestId": body["requestId"],
            "warnings": [],
        })
    );
}

#[tokio::test]
async fn programs_are_browsed_in_the_asset_envelope_with_asset_dates() {
    let app = TestApp::spawn().await;
    let raw = text(&app, "/rest/asset/v1/programs.json").await;
    assert!(
        raw.starts_with(r#"{"success":true,"errors":[],"requestId":""#)
            && raw.contains(r#","warnings":[],"result":["#),
        "members in the recorded order: {raw}"
    );
    let body: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(ids(&body), [1001, 1002, 1003, 1004, 1005]);
    assert_eq!(
        body["result"][0],
        json!({
            "id": 1001,
            "name": "Q1 2024 Partner List Import",
            "description": "Leads supplied by channel partners in Q1 2024",
            "createdAt": "2024-01-08T09:30:00Z+0000",
            "updatedAt": "2024-01-08T09:30:00Z+0000",
            "url": "https://app-mock.marketo.test/#PG1001A1",
            "type": "Default",
            "channel": "List Import",
            "folder": { "type": "Folder", "value": 41, "folderName": "Lead Acquisition" },
            "status": "",
            "workspace": "Default"
        })
    );
    let shown: Vec<(&str, &str, &str)> = body["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["type"].as_str().unwrap(),
                p["url"].as_str().unwrap().rsplit('#').next().unwrap(),
                p["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("Default", "PG1001A1", ""),
            ("Event", "ME1002A1", ""),
            ("Event", "ME1003A1", ""),
            ("Email", "EBP1004A1", "unlocked"),
            ("Engagement", "NP1005A1", "on"),
        ]
    );
}

#[tokio::test]
async fn program_pages_end_with_the_no_assets_warning_and_no_result() {
    let app = TestApp::spawn().await;
    let first = app
        .get_json("/rest/asset/v1/programs.json?maxReturn=2")
        .await;
    assert_eq!(ids(&first), [1001, 1002]);
    let last = app
        .get_json("/rest/asset/v1/programs.json?maxReturn=2&offset=4")
        .await;
    assert_eq!(ids(&last), [1005]);
    for offset in [5, 200] {
        let past = app
            .get_json(&format!(
                "/rest/asset/v1/programs.json?maxReturn=2&offset={offset}"
            ))
            .await;
        assert_no_assets(&past);
    }
}

#[tokio::test]
async fn programs_created_or_updated_within_the_range_are_browsed_bounds_included() {
    let app = TestApp::spawn().await;
    let spring = app
        .get_json("/rest/asset/v1/programs.json?earliestUpdatedAt=2024-03-20T00:00:00Z&latestUpdatedAt=2024-04-30T00:00:00Z")
        .await;
    assert_eq!(ids(&spring), [1002, 1003, 1004]);
    let created_in_february = app
        .get_json("/rest/asset/v1/programs.json?earliestUpdatedAt=2024-02-01T00:00:00Z&latestUpdatedAt=2024-02-28T00:00:00Z")
        .await;
    assert_eq!(
        ids(&created_in_february),
        [1002],
        "created within the range, updated after it"
    );
    // tap-marketo's spelling: microseconds and an offset.
    let exact = app
        .get_json("/rest/asset/v1/programs.json?maxReturn=200&offset=0&earliestUpdatedAt=2024-06-03T09:25:00.000000%2B00:00&latestUpdatedAt=2026-11-30T12:00:00.123456%2B00:00")
        .await;
    assert_eq!(ids(&exact), [1005]);
    // Airbyte's connection check: a window with no program is still a success.
    let check = app
        .get_json("/rest/asset/v1/programs.json?maxReturn=200&earliestUpdatedAt=2026-01-01T00:00:00Z&latestUpdatedAt=2026-01-31T00:00:00Z")
        .await;
    assert_no_assets(&check);
}

#[tokio::test]
async fn programs_filter_on_status() {
    let app = TestApp::spawn().await;
    let on = app.get_json("/rest/asset/v1/programs.json?status=on").await;
    assert_eq!(ids(&on), [1005]);
    let unlocked = app
        .get_json("/rest/asset/v1/programs.json?status=Unlocked")
        .await;
    assert_eq!(ids(&unlocked), [1004]);
    assert_no_assets(
        &app.get_json("/rest/asset/v1/programs.json?status=off")
            .await,
    );
}

#[tokio::test]
async fn bad_asset_parameters_are_1001_in_the_asset_envelope() {
    let app = TestApp::spawn().await;
    for (path, message) in [
        (
            "/rest/asset/v1/programs.json?maxReturn=201",
            "Invalid value '201'. Required of type 'integer from 1 to 200'",
        ),
        (
            "/rest/asset/v1/programs.json?maxReturn=0",
            "Invalid value '0'. Required of type 'integer from 1 to 200'",
        ),
        (
            "/rest/asset/v1/programs.json?offset=-1",
            "Invalid value '-1'. Required of type 'integer of 0 or more'",
        ),
        (
            "/rest/asset/v1/programs.json?earliestUpdatedAt=yesterday",
            "Invalid value 'yesterday'. Required of type 'ISO 8601 date-time'",
        ),
        (
            "/rest/asset/v1/programs.json?status=paused",
            "Invalid value 'paused'. Required of type 'on, off, locked, unlocked'",
        ),
        (
            "/rest/asset/v1/segmentation.json?batchSize=abc",
            "Invalid value 'abc'. Required of type 'integer from 1 to 200'",
        ),
        (
            "/rest/asset/v1/emails.json?status=sent",
            "Invalid value 'sent'. Required of type 'approved, draft'",
        ),
        (
            "/rest/asset/v1/emails.json?folder=341",
            "Invalid value '341'. Required of type 'folder: JSON object with id and type Folder or Program'",
        ),
        (
            "/rest/asset/v1/folder/1002/tokens.json?folderType=Campaign",
            "Invalid value 'Campaign'. Required of type 'Folder, Program'",
        ),
    ] {
        let body: Value = serde_json::from_str(&text(&app, path).await).unwrap();
        assert_asset_error(&body, "1001", message);
    }
}

#[tokio::test]
async fn segmentations_page_by_max_return_or_airbytes_batch_size() {
    let app = TestApp::spawn().await;
    let body = app.get_json("/rest/asset/v1/segmentation.json").await;
    assert_eq!(ids(&body), [1001, 1002, 1003]);
    assert_eq!(
        body["result"][0],
        json!({
            "id": 1001,
            "name": "Industry",
            "description": "Technology, Healthcare, Financial Services, Default",
            "createdAt": "2023-09-12T15:02:11Z+0000",
            "updatedAt": "2024-02-01T10:44:09Z+0000",
            "url": "https://app-mock.marketo.test/#SG1001A1",
            "folder": { "type": "Program", "value": 46, "folderName": null },
            "status": "approved",
            "workspace": "Default"
        })
    );
    let by_batch = app
        .get_json("/rest/asset/v1/segmentation.json?batchSize=2&offset=0")
        .await;
    assert_eq!(ids(&by_batch), [1001, 1002]);
    let max_return_wins = app
        .get_json("/rest/asset/v1/segmentation.json?maxReturn=1&batchSize=2")
        .await;
    assert_eq!(ids(&max_return_wins), [1001]);
    let drafts = app
        .get_json("/rest/asset/v1/segmentation.json?status=draft")
        .await;
    assert_eq!(ids(&drafts), [1003]);
    assert_no_assets(
        &app.get_json("/rest/asset/v1/segmentation.json?batchSize=200&offset=200")
            .await,
    );
}

#[tokio::test]
async fn emails_are_browsed_with_every_member_marketo_lists() {
    let app = TestApp::spawn().await;
    let body = app.get_json("/rest/asset/v1/emails.json").await;
    assert_eq!(ids(&body), [1201, 1202, 1203, 1204, 1205, 1206, 1207]);
    let email = &body["result"][6];
    let keys: Vec<&str> = email
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
            "createdAt",
            "updatedAt",
            "url",
            "subject",
            "fromName",
            "fromEmail",
            "replyEmail",
            "folder",
            "operational",
            "textOnly",
            "publishToMSI",
            "webView",
            "status",
            "template",
            "workspace",
            "isOpenTrackingDisabled",
            "version",
            "autoCopyToText",
            "ccFields",
            "preHeader"
        ]
    );
    assert_eq!(
        email["subject"],
        json!({ "type": "Text", "value": "Welcome to Acme" })
    );
    assert_eq!(email["operational"], true);
    assert_eq!(email["createdAt"], "2023-10-17T12:20:00Z+0000");
    assert_eq!(
        email["ccFields"],
        json!([{ "attributeId": "157", "objectName": "lead", "displayName": "Lead Owner Email Address", "apiName": null }])
    );
}

#[tokio::test]
async fn emails_filter_on_status_folder_and_update_range() {
    let app = TestApp::spawn().await;
    let drafts = app
        .get_json("/rest/asset/v1/emails.json?status=Draft")
        .await;
    assert_eq!(ids(&drafts), [1203]);
    let in_webinar = app
        .get_json(
            "/rest/asset/v1/emails.json?folder=%7B%22id%22%3A1002%2C%22type%22%3A%22Program%22%7D",
        )
        .await;
    assert_eq!(ids(&in_webinar), [1201, 1202, 1203]);
    // marketorestpython writes the folder with single quotes and an unquoted type.
    let as_the_library_writes_it = app
        .get_json(
            "/rest/asset/v1/emails.json?folder=%7B%27id%27%3A+1002%2C+%27type%27%3A+Program%7D",
        )
        .await;
    assert_eq!(ids(&as_the_library_writes_it), [1201, 1202, 1203]);
    let in_folder = app
        .get_json(
            "/rest/asset/v1/emails.json?folder=%7B%22id%22%3A45%2C%22type%22%3A%22Folder%22%7D",
        )
        .await;
    assert_eq!(ids(&in_folder), [1207]);
    let april = app
        .get_json("/rest/asset/v1/emails.json?maxReturn=200&earliestUpdatedAt=2024-04-01T00:00:00Z&latestUpdatedAt=2024-04-30T23:59:59Z")
        .await;
    assert_eq!(ids(&april), [1204, 1205]);
    let last = app
        .get_json("/rest/asset/v1/emails.json?maxReturn=2&offset=6")
        .await;
    assert_eq!(ids(&last), [1207]);
    assert_no_assets(&app.get_json("/rest/asset/v1/emails.json?offset=7").await);
}

#[tokio::test]
async fn a_programs_tokens_come_in_one_folder_element_and_none_is_an_empty_list() {
    let app = TestApp::spawn().await;
    let body = app
        .get_json("/rest/asset/v1/folder/1002/tokens.json?folderType=Program")
        .await;
    assert_eq!(body["success"], true);
    assert_eq!(body["warnings"], json!([]));
    let result = body["result"].as_array().unwrap();
    assert_eq!(result.len(), 1);
    assert_eq!(
        result[0]["folder"],
        json!({ "type": "Program", "value": 1002 })
    );
    assert_eq!(result[0]["tokens"].as_array().unwrap().len(), 4);
    assert_eq!(
        result[0]["tokens"][2],
        json!({
            "name": "Webinar Date",
            "type": "date",
            "value": "2024-03-19",
            "computedUrl": "https://app-mock.marketo.test/#ME1002C3"
        })
    );
    let none = app
        .get_json("/rest/asset/v1/folder/1001/tokens.json?folderType=Program")
        .await;
    assert_eq!(
        none["result"],
        json!([{ "folder": { "type": "Program", "value": 1001 }, "tokens": [] }])
    );
}

#[tokio::test]
async fn an_unknown_program_or_folder_has_no_assets_and_folders_are_the_default_type() {
    let app = TestApp::spawn().await;
    assert_no_assets(
        &app.get_json("/rest/asset/v1/folder/9999/tokens.json?folderType=Program")
            .await,
    );
    assert_no_assets(&app.get_json("/rest/asset/v1/folder/9999/tokens.json").await);
    let events = app.get_json("/rest/asset/v1/folder/42/tokens.json").await;
    assert_eq!(
        events["result"][0]["folder"],
        json!({ "type": "Folder", "value": 42 })
    );
    assert_eq!(
        events["result"][0]["tokens"][0]["name"],
        "Events Team Email"
    );
    let acquisition = app
        .get_json("/rest/asset/v1/folder/41/tokens.json?folderType=folder")
        .await;
    assert_eq!(acquisition["result"][0]["tokens"], json!([]));
    // The folder id is an int32 in the Asset API's document: a negative one names nothing, and
    // one that is no such integer is a value of the wrong type, both with HTTP 200.
    assert_no_assets(
        &app.get_json("/rest/asset/v1/folder/-2147483648/tokens.json?folderType=Program")
            .await,
    );
    let (status, body) = app
        .get_answer("/rest/asset/v1/folder/abc/tokens.json?folderType=Program")
        .await;
    assert_eq!(status, 200);
    assert_asset_error(
        &body,
        "1001",
        "Invalid value 'abc'. Required of type 'integer'",
    );
}

#[tokio::test]
async fn asset_fixtures_are_replaced_file_by_file_and_programs_without_folders_get_one() {
    let dir = FixtureDir::new(&[
        ("assets.json", r#"{"emails": []}"#),
        (
            "programs.json",
            r#"{"channels": [], "programs": [{"id": 7, "name": "Bare", "type": "program", "channel": "Content", "workspace": "Default", "createdAt": "2025-01-01T00:00:00Z+0000", "updatedAt": "2025-01-02T00:00:00Z"}]}"#,
        ),
    ]);
    let app = TestApp::spawn_with(|server| server.fixtures(&dir.0)).await;
    assert_no_assets(&app.get_json("/rest/asset/v1/segmentation.json").await);
    assert_no_assets(&app.get_json("/rest/asset/v1/emails.json").await);
    let programs = app.get_json("/rest/asset/v1/programs.json").await;
    assert_eq!(
        programs["result"][0]["folder"],
        json!({ "type": "Folder", "value": 40, "folderName": "Marketing Activities" })
    );
    assert_eq!(
        programs["result"][0]["createdAt"],
        "2025-01-01T00:00:00Z+0000"
    );
    assert_eq!(programs["result"][0]["status"], "");
    let campaigns = app.get_json("/rest/v1/campaigns.json").await;
    assert_eq!(
        campaigns["result"].as_array().unwrap().len(),
        7,
        "still bundled"
    );
}
