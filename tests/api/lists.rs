use serde_json::json;

use crate::helpers::{FixtureDir, TestApp, assert_error, is_whole_second_utc, json};

fn ids(body: &serde_json::Value) -> Vec<u64> {
    body["result"]
        .as_array()
        .unwrap_or_else(|| panic!("no result: {body}"))
        .iter()
        .map(|list| list["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn static_lists_are_listed_by_id_with_empty_members_left_out() {
    let app = TestApp::spawn().await;
    let body = app.get_json("/rest/v1/lists.json").await;
    assert_eq!(body["success"], true, "{body}");
    assert_eq!(ids(&body), [2001, 2002, 2003, 2004]);
    assert_eq!(
        body["result"][0],
        json!({
            "id": 2001,
            "name": "Partner Leads",
            "description": "Leads imported from partner referral spreadsheets",
            "programName": "Q1 2024 Partner List Import",
            "workspaceId": 1,
            "workspaceName": "Default",
            "createdAt": "2024-01-15T10:00:00Z",
            "updatedAt": "2024-01-15T10:00:00Z"
        })
    );
    let outside_programs = body["result"][3].as_object().unwrap();
    assert!(
        !outside_programs.contains_key("description")
            && !outside_programs.contains_key("programName"),
        "{body}"
    );
    assert!(body.get("nextPageToken").is_none() && body.get("moreResult").is_none());
    for list in body["result"].as_array().unwrap() {
        for key in ["createdAt", "updatedAt"] {
            assert!(is_whole_second_utc(list[key].as_str().unwrap()), "{list}");
        }
    }
}

#[tokio::test]
async fn filters_combine_and_take_comma_lists_or_repeated_values() {
    let app = TestApp::spawn().await;
    let by_name = app
        .get_json("/rest/v1/lists.json?name=webinar%20registrants,Do%20Not%20Contact")
        .await;
    assert_eq!(ids(&by_name), [2002, 2004]);
    let by_id = app
        .get_json("/rest/v1/lists.json?id=2001&id=2004,2003")
        .await;
    assert_eq!(ids(&by_id), [2001, 2003, 2004]);
    let by_program = app
        .get_json("/rest/v1/lists.json?programName=April%202024%20Newsletter&workspaceName=Default")
        .await;
    assert_eq!(ids(&by_program), [2003]);
    let none = app
        .get_json("/rest/v1/lists.json?id=2001&workspaceName=Europe")
        .await;
    assert_eq!(
        none["result"],
        json!([]),
        "an empty result, never a missing one"
    );
    assert!(none.get("nextPageToken").is_none());
}

#[tokio::test]
async fn pages_follow_the_token_until_it_is_absent() {
    let app = TestApp::spawn().await;
    let first = app
        .get_json("/rest/v1/lists.json?batchSize=3&unknownParameter=1")
        .await;
    assert_eq!(ids(&first), [2001, 2002, 2003]);
    let token = first["nextPageToken"].as_str().unwrap();
    let second = app
        .get_json(&format!(
            "/rest/v1/lists.json?batchSize=3&nextPageToken={token}"
        ))
        .await;
    assert_eq!(ids(&second), [2004]);
    assert!(second.get("nextPageToken").is_none(), "{second}");
}

#[tokio::test]
async fn bad_parameters_are_1001_in_an_http_200_envelope() {
    let app = TestApp::spawn().await;
    for (query, message) in [
        (
            "batchSize=0",
            "Invalid value '0'. Required of type 'integer from 1 to 300'",
        ),
        (
            "batchSize=301",
            "Invalid value '301'. Required of type 'integer from 1 to 300'",
        ),
        ("id=abc", "Invalid value 'abc'. Required of type 'integer'"),
        (
            "nextPageToken=bogus",
            "Invalid value 'bogus'. Required of type 'nextPageToken'",
        ),
    ] {
        let response = app
            .client
            .get(app.url(&format!("/rest/v1/lists.json?{query}")))
            .bearer_auth(app.token().await)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{query}");
        assert_error(&response.json().await.unwrap(), "1001", message);
    }
}

#[tokio::test]
async fn a_lists_fixture_in_the_fixtures_directory_replaces_the_bundled_one() {
    let dir = FixtureDir::new(&[(
        "lists.json",
        r#"[{"id": 7, "name": "Only", "createdAt": "2025-01-02T03:04:05+00:00", "updatedAt": "2025-01-02T03:04:05.250Z"}]"#,
    )]);
    let app = TestApp::spawn_with(|server| server.fixtures(&dir.0)).await;
    let body = app.get_json("/rest/v1/lists.json").await;
    assert_eq!(
        body["result"],
        json!([{
            "id": 7,
            "name": "Only",
            "workspaceName": "Default",
            "createdAt": "2025-01-02T03:04:05Z",
            "updatedAt": "2025-01-02T03:04:05Z"
        }])
    );
}

#[tokio::test]
async fn lists_are_read_by_post_with_method_get_and_a_form_body() {
    let app = TestApp::spawn().await;
    let body = json(
        app.client
            .post(app.url("/rest/v1/lists.json?_method=GET"))
            .bearer_auth(app.token().await)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("name=Partner+Leads&name=Do+Not+Contact"),
    )
    .await;
    assert_eq!(ids(&body), [2001, 2004]);
}
