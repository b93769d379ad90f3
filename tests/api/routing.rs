use serde_json::Value;

use crate::helpers::{TestApp, assert_error, json, sample};

#[tokio::test]
async fn an_unknown_path_answers_610_with_http_404() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/rest/v1/nothing.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/json;charset=UTF-8"
    );
    assert_error(
        &response.json().await.unwrap(),
        "610",
        "Requested resource not found",
    );
}

#[tokio::test]
async fn a_wrong_method_on_a_known_path_answers_605() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .delete(app.url("/bulk/v1/leads.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_error(
        &response.json().await.unwrap(),
        "605",
        "Request method 'DELETE' not supported",
    );
}

#[tokio::test]
async fn dot_segments_in_the_path_are_resolved_before_routing() {
    let app = TestApp::spawn().await;
    let token = app.token().await;
    // reqwest would resolve the dots itself, so the request line is written by hand.
    let address = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "GET /rest/../bulk/v1/leads/batch/1001.json HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains(r#""code":"1013""#),
        "routed to the lead status endpoint: {response}"
    );
}

#[tokio::test]
async fn a_get_with_a_form_body_is_served_and_the_body_ignored() {
    let app = TestApp::spawn().await;
    let token = app.token().await;
    let body: Value = json(
        app.client
            .get(app.url("/rest/v1/leads/partitions.json"))
            .bearer_auth(token)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("_method=GET&junk=1"),
    )
    .await;
    assert_eq!(body["success"], true, "{body}");
}

#[tokio::test]
async fn a_fixed_boundary_multipart_with_part_lengths_and_an_absolute_filename_is_accepted() {
    let app = TestApp::spawn().await;
    let token = app.token().await;
    let file = sample("leads-good.csv");
    let mut body = Vec::new();
    body.extend_from_slice(b"--fixedboundary\r\nContent-Disposition: form-data; name=\"format\"\r\nContent-Length: 3\r\n\r\ncsv\r\n");
    body.extend_from_slice(
        format!(
            "--fixedboundary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"/home/user/exports/leads.csv\"\r\nContent-Type: text/csv\r\nContent-Length: {}\r\n\r\n",
            file.len()
        )
        .as_bytes(),
    );
    body.extend_from_slice(&file);
    body.extend_from_slice(b"\r\n--fixedboundary--\r\n");
    let response: Value = app
        .client
        .post(app.url("/bulk/v1/leads.json?lookupField=email"))
        .bearer_auth(token)
        .header(
            "content-type",
            "multipart/form-data; boundary=fixedboundary",
        )
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let batch = response["result"][0]["batchId"].as_u64().unwrap();
    let job = app.wait_for(batch, "Complete").await;
    assert_eq!(job["numOfRowsProcessed"], 3, "{job}");
}

#[tokio::test]
async fn garbage_on_a_connection_gets_http_400_and_the_connection_closed() {
    let app = TestApp::spawn().await;
    let address = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"\x16\x03\x01 this is not http\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut response),
    )
    .await;
    assert!(
        read.is_ok(),
        "the connection must be closed, not left hanging"
    );
    assert!(
        response.starts_with(b"HTTP/1.1 400"),
        "{}",
        String::from_utf8_lossy(&response)
    );
}
