use serde_json::Value;

use crate::helpers::{TestApp, json};
use crate::identity::documented_routes;

#[tokio::test]
async fn the_openapi_document_is_version_3_1_and_names_every_group() {
    let app = TestApp::spawn().await;
    let document: Value = json(app.client.get(app.url("/_mock/openapi.json"))).await;
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/identity/oauth/token",
        "/bulk/v1/leads.json",
        "/bulk/v1/leads/batch/{batchId}.json",
        "/bulk/v1/customobjects/{apiName}/import/{batchId}/status.json",
        "/bulk/v1/program/{programId}/members/import.json",
        "/rest/v1/leads.json",
        "/rest/v1/stats/usage.json",
        "/rest/v1/stats/usage/last7days.json",
        "/rest/v1/lists.json",
        "/rest/v1/campaigns.json",
        "/rest/asset/v1/programs.json",
        "/rest/asset/v1/segmentation.json",
        "/rest/asset/v1/emails.json",
        "/rest/asset/v1/folder/{id}/tokens.json",
        "/_mock/faults/{id}",
        "/_mock/openapi.json",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    let upload = &paths["/bulk/v1/leads.json"]["post"];
    assert!(upload["requestBody"]["content"]["multipart/form-data"].is_object());
    assert_eq!(
        paths["/bulk/v1/leads/batch/{batchId}.json"]["get"]["parameters"][0]["name"],
        "batchId"
    );
}

#[tokio::test]
async fn every_documented_route_is_served_and_nothing_else_is() {
    let app = TestApp::spawn().await;
    for (method, path, _) in documented_routes(&app).await {
        let response = app
            .client
            .request(method.parse().unwrap(), app.url(&path))
            .send()
            .await
            .unwrap();
        let text = response.text().await.unwrap();
        assert!(
            !text.contains(r#""code":"610""#),
            "{method} {path} is documented but not routed"
        );
        assert!(
            !text.contains(r#""code":"605""#),
            "{method} {path} is documented with the wrong method"
        );
    }
    let unknown = app
        .client
        .get(app.url("/bulk/v1/leads/unknown.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
}

#[tokio::test]
async fn every_documented_rest_read_answers_a_marketo_envelope_with_a_token() {
    let app = TestApp::spawn().await;
    let token = app.token().await;
    let reads: Vec<String> = documented_routes(&app)
        .await
        .into_iter()
        .filter(|(method, path, _)| method == "GET" && path.starts_with("/rest/"))
        .map(|(_, path, _)| path)
        .collect();
    for path in [
        "/rest/v1/stats/usage.json",
        "/rest/v1/lists.json",
        "/rest/v1/campaigns.json",
        "/rest/asset/v1/programs.json",
        "/rest/asset/v1/folder/1/tokens.json",
    ] {
        assert!(reads.iter().any(|read| read == path), "{path} not walked");
    }
    for path in reads {
        let response = app
            .client
            .get(app.url(&path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "GET {path}");
        let body: Value = response.json().await.unwrap();
        assert!(body["success"].is_boolean(), "GET {path}: {body}");
        assert!(body["requestId"].is_string(), "GET {path}: {body}");
        if path.starts_with("/rest/asset/") {
            assert!(body["warnings"].is_array(), "GET {path}: {body}");
        }
    }
}
