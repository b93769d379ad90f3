//! Hostile input, injected panics and concurrency: nothing breaks and nothing is lost.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use marketo_bulk_mock::MockServerBuilder;

use crate::helpers::{TestApp, assert_error, paced, sample, status};

async fn add_fault(app: &TestApp, rule: Value) {
    let response = app
        .client
        .post(app.url("/_mock/faults"))
        .json(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
}

/// Reads whatever the server sends until it closes the connection.
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> String {
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut response))
        .await
        .expect("the server closes the connection")
        .unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn a_panic_inside_a_request_answers_611_and_the_server_keeps_serving() {
    let app = TestApp::spawn().await;
    add_fault(
        &app,
        json!({"path": "/rest/v1/leads/describe.json", "panic": true, "times": 1}),
    )
    .await;
    assert_error(
        &app.get_json("/rest/v1/leads/describe.json").await,
        "611",
        "System error",
    );
    assert_eq!(
        app.get_json("/rest/v1/leads/describe.json").await["success"],
        true
    );
}

#[tokio::test]
async fn a_panic_inside_a_job_fails_it_and_frees_its_place_for_the_next() {
    let app = TestApp::spawn_with(|server| server.max_importing_jobs(1)).await;
    add_fault(
        &app,
        json!({"job": {"type": "any", "panic": true}, "times": 1}),
    )
    .await;
    let broken = app.import_leads_to_end("", sample("leads-good.csv")).await;
    let status = &app.lead_status(broken).await["result"][0];
    assert_eq!(status["status"], "Failed");
    assert_eq!(
        status["message"],
        "Import failed: internal error while processing rows"
    );
    let next = app.import_leads_to_end("", sample("leads-good.csv")).await;
    assert_eq!(
        app.lead_status(next).await["result"][0]["status"],
        "Complete"
    );
}

#[tokio::test]
async fn two_hundred_concurrent_creates_admit_exactly_ten() {
    let app = TestApp::spawn_frozen(|server| server.timing(paced(60_000, 0))).await;
    let token = app.token().await;
    let file = sample("leads-good.csv");
    let answers: Vec<Value> = futures_util::stream::iter(0..200)
        .map(|_| {
            let form = reqwest::multipart::Form::new()
                .part("file", reqwest::multipart::Part::bytes(file.clone()));
            let request = app
                .client
                .post(app.url("/bulk/v1/leads.json"))
                .bearer_auth(&token)
                .multipart(form);
            async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
        })
        .buffer_unordered(50)
        .collect()
        .await;
    let admitted = answers.iter().filter(|a| a["success"] == true).count();
    let refused = answers
        .iter()
        .filter(|a| a["errors"][0]["code"] == "1016")
        .count();
    assert_eq!((admitted, refused), (10, 190));
    let jobs = app.jobs().await;
    assert_eq!(jobs["jobs"].as_array().unwrap().len(), 10);
    assert_eq!(
        jobs["mostImportingAtOnce"], 0,
        "the queue delay holds every job"
    );
}

#[tokio::test]
async fn a_thousand_status_polls_during_ten_running_imports_all_succeed() {
    let app = TestApp::spawn_frozen(|server| server.timing(paced(0, 1))).await;
    let mut batches = Vec::new();
    for _ in 0..10 {
        batches.push(app.import_leads("", sample("leads-good.csv")).await);
    }
    app.wait_for(batches[1], "Importing").await;
    let token = app.token().await;
    let answers: Vec<Value> = futures_util::stream::iter(0..1000)
        .map(|n| {
            let url = app.url(&format!("/bulk/v1/leads/batch/{}.json", batches[n % 10]));
            let request = app.client.get(url).bearer_auth(&token);
            async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    assert!(
        answers.iter().all(|a| a["success"] == true),
        "every poll answers"
    );
    let importing = answers
        .iter()
        .filter(|a| a["result"][0]["status"] == "Importing")
        .count();
    assert!(importing > 0);
    assert!(app.jobs().await["mostImportingAtOnce"].as_u64().unwrap() <= 2);
}

#[tokio::test]
async fn a_client_that_stalls_in_its_headers_is_disconnected() {
    let app = TestApp::spawn_with(|server| server.header_timeout(Duration::from_secs(1))).await;
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    stream
        .write_all(b"GET /_mock/health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let response = read_until_closed(&mut stream).await;
    assert!(!response.contains("200 OK"), "{response}");
}

#[tokio::test]
async fn a_body_that_stalls_ends_the_call_with_604() {
    let app = TestApp::spawn_with(|server| server.body_timeout(Duration::from_secs(1))).await;
    let token = app.token().await;
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "POST /bulk/v1/leads.json HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n--B\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nemail\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let response = read_until_closed(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains(r#"{"code":"604","message":"Request time-out"}"#),
        "{response}"
    );
}

#[tokio::test]
async fn a_uri_over_8_kb_gets_414_and_oversized_headers_431() {
    let app = TestApp::spawn().await;
    let long = format!(
        "/rest/v1/leads.json?filterType=email&filterValues={}",
        "a".repeat(9000)
    );
    assert_eq!(
        app.client
            .get(app.url(&long))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        414
    );
    let huge = "h".repeat(100 * 1024);
    let response = app
        .client
        .get(app.url("/rest/v1/leads/describe.json"))
        .header("x-huge", huge)
        .send()
        .await;
    assert_eq!(response.unwrap().status().as_u16(), 431);
    assert_eq!(
        app.client
            .get(app.url("/_mock/health"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
}

#[tokio::test]
async fn the_control_plane_can_be_protected_by_an_admin_token() {
    let app = TestApp::spawn_with(|server| server.admin_token("let-me-in")).await;
    let jobs = || app.client.get(app.url("/_mock/jobs"));
    assert_eq!(status(app.client.get(app.url("/_mock/health"))).await, 200);
    assert_eq!(status(jobs()).await, 401);
    assert_eq!(status(jobs().bearer_auth("guess")).await, 401);
    assert_eq!(status(jobs().bearer_auth("let-me-in")).await, 200);
    let reset = app
        .client
        .post(app.url("/_mock/reset"))
        .header("x-admin-token", "let-me-in");
    assert_eq!(status(reset).await, 204);
}

#[tokio::test]
async fn the_control_plane_can_be_turned_off_but_for_health() {
    let app = TestApp::spawn_with(MockServerBuilder::without_control_plane).await;
    assert_eq!(status(app.client.get(app.url("/_mock/health"))).await, 200);
    assert_eq!(status(app.client.post(app.url("/_mock/reset"))).await, 404);
    assert_eq!(
        app.get_json("/rest/v1/leads/partitions.json").await["success"],
        true
    );
}
