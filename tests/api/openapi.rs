use serde_json::Value;

use crate::helpers::{TestApp, json};
use crate::identity::documented_routes;

#[tokio::test]
async fn the_openapi_document_is_version_3_and_names_every_group() {
    let app = TestApp::spawn().await;
    let document: Value = json(app.client.get(app.url("/_mock/openapi.json"))).await;
    assert_eq!(document["openapi"], "3.0.3");
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/identity/oauth/token",
        "/bulk/v1/leads.json",
        "/bulk/v1/leads/batch/{batchId}.json",
        "/bulk/v1/customobjects/{apiName}/import/{batchId}/status.json",
        "/bulk/v1/program/{programId}/members/import.json",
        "/rest/v1/leads.json",
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
