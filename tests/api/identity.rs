use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, json, sample};

const CREDENTIALS: &str =
    "grant_type=client_credentials&client_id=mock-client-id&client_secret=mock-client-secret";

#[tokio::test]
async fn a_token_is_issued_by_get_with_the_four_documented_fields_and_no_caching() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url(&format!("/identity/oauth/token?{CREDENTIALS}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/json;charset=UTF-8"
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap();
    let (uuid, suffix) = token.split_once(':').unwrap();
    assert_eq!((uuid.len(), suffix), (36, "int"));
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["scope"], "mock-client-id@mock.marketo.test");
}

#[tokio::test]
async fn a_form_post_gets_the_same_token_with_its_remaining_life() {
    let app = TestApp::spawn_frozen(|server| server).await;
    let first = app.token().await;
    app.advance_clock(100);
    let response = app
        .client
        .post(app.url("/identity/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(CREDENTIALS)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["access_token"], json!(first));
    assert_eq!(body["expires_in"], 3499);
}

#[tokio::test]
async fn identity_refuses_unknown_clients_wrong_secrets_and_bad_grants_in_the_oauth_shape() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            "grant_type=client_credentials&client_id=someone&client_secret=x",
            401,
            json!({"error": "unauthorized", "error_description": "No client with requested id: someone"}),
        ),
        (
            "grant_type=client_credentials&client_id=mock-client-id&client_secret=wrong",
            401,
            json!({"error": "invalid_client", "error_description": "Bad client credentials"}),
        ),
        (
            "client_id=mock-client-id&client_secret=mock-client-secret",
            400,
            json!({"error": "invalid_request", "error_description": "Missing grant type"}),
        ),
        (
            "grant_type=password&client_id=mock-client-id&client_secret=mock-client-secret",
            400,
            json!({"error": "invalid_request", "error_description": "Unsupported grant type: password"}),
        ),
    ];
    for (query, status, expected) in cases {
        let response = app
            .client
            .get(app.url(&format!("/identity/oauth/token?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{query}");
        assert_eq!(response.json::<Value>().await.unwrap(), expected, "{query}");
    }
}

#[tokio::test]
async fn a_call_without_a_token_gets_600_and_an_unknown_token_601() {
    let app = TestApp::spawn().await;
    let path = app.url("/rest/v1/leads/describe.json");
    let body: Value = json(app.client.get(&path)).await;
    assert_error(&body, "600", "Empty access token");
    let body: Value = json(app.client.get(&path).bearer_auth("nope:int")).await;
    assert_error(&body, "601", "Access token invalid");
}

#[tokio::test]
async fn a_token_past_its_hour_gets_602_and_identity_then_issues_a_new_one() {
    let app = TestApp::spawn_frozen(|server| server).await;
    let token = app.token().await;
    app.advance_clock(3599);
    let path = app.url("/rest/v1/leads/partitions.json");
    let body: Value = json(app.client.get(&path).bearer_auth(&token)).await;
    assert_eq!(body["success"], true, "{body}");
    app.advance_clock(1);
    let body: Value = json(app.client.get(&path).bearer_auth(&token)).await;
    assert_error(&body, "602", "Access token expired");
    assert_ne!(app.token().await, token);
}

#[tokio::test]
async fn the_token_is_accepted_as_a_query_parameter_and_as_a_multipart_field() {
    let app = TestApp::spawn().await;
    let token = app.token().await;
    let body: Value = app
        .client
        .get(app.url(&format!(
            "/rest/v1/leads/partitions.json?access_token={token}"
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["success"], true, "{body}");

    let form = Form::new()
        .text("access_token", token)
        .text("format", "csv")
        .part(
            "file",
            Part::bytes(sample("leads-good.csv")).file_name("leads.csv"),
        );
    let body: Value = json(
        app.client
            .post(app.url("/bulk/v1/leads.json"))
            .multipart(form),
    )
    .await;
    assert_eq!(body["success"], true, "{body}");
    assert_eq!(body["result"][0]["status"], "Queued");
}

#[tokio::test]
async fn an_upload_with_a_bad_token_in_its_form_is_refused() {
    let app = TestApp::spawn().await;
    let form = Form::new()
        .text("access_token", "nope:int")
        .part("file", Part::bytes(sample("leads-good.csv")));
    let body: Value = json(
        app.client
            .post(app.url("/bulk/v1/leads.json"))
            .multipart(form),
    )
    .await;
    assert_error(&body, "601", "Access token invalid");
    let form = Form::new().part("file", Part::bytes(sample("leads-good.csv")));
    let body: Value = json(
        app.client
            .post(app.url("/bulk/v1/leads.json"))
            .multipart(form),
    )
    .await;
    assert_error(&body, "600", "Empty access token");
}

/// Every documented route with its parameters filled in, from the mock's own route table.
pub async fn documented_routes(app: &TestApp) -> Vec<(String, String, bool)> {
    let document: Value = json(app.client.get(app.url("/_mock/openapi.json"))).await;
    let mut routes = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{batchId}", "1001")
            .replace("{apiName}", "car_c")
            .replace("{programId}", "1001")
            .replace("{leadId}", "1")
            .replace("{listId}", "2001")
            .replace("{id}", "1");
        for (method, operation) in item.as_object().unwrap() {
            routes.push((
                method.to_uppercase(),
                concrete.clone(),
                operation.get("security").is_some(),
            ));
        }
    }
    routes
}

#[tokio::test]
async fn every_emulated_route_in_the_route_table_refuses_a_missing_unknown_and_expired_token() {
    let app = TestApp::spawn_frozen(|server| server).await;
    let expired = app.token().await;
    app.advance_clock(3600);
    let routes = documented_routes(&app).await;
    let protected: Vec<_> = routes
        .iter()
        .filter(|(_, path, _)| {
            // `/` only redirects to the dashboard, a control-plane page.
            path != "/" && !path.starts_with("/_mock") && !path.starts_with("/identity")
        })
        .collect();
    assert!(protected.len() >= 25, "{protected:?}");
    for (method, path, documented_as_protected) in protected {
        assert!(
            documented_as_protected,
            "{method} {path} is documented without security"
        );
        for (token, code) in [
            (None, "600"),
            (Some("nope:int"), "601"),
            (Some(expired.as_str()), "602"),
        ] {
            let mut request = app.client.request(method.parse().unwrap(), app.url(path));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200, "{method} {path}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["errors"][0]["code"], code, "{method} {path}: {body}");
        }
    }
}
