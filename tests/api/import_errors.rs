use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::{TestApp, assert_error, json, sample};

async fn create(app: &TestApp, query: &str, file: &[u8]) -> Value {
    let (status, body) = app
        .post_file(&format!("/bulk/v1/leads.json{query}"), file.to_vec())
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn each_create_time_error_has_its_code_and_no_job_is_created() {
    let app = TestApp::spawn().await;
    let good = sample("leads-good.csv");
    let cases: [(&str, &[u8], &str, &str); 9] = [
        (
            "?format=xlsx",
            &good,
            "1001",
            "Invalid value 'xlsx'. Required of type 'csv, tsv, ssv'",
        ),
        ("", b"", "1003", "Empty file"),
        ("", b" \r\n \n", "1003", "Empty file"),
        (
            "",
            b"email,favouriteColour\na@x.com,red\n",
            "1006",
            "Field 'favouriteColour' not found",
        ),
        (
            "?lookupField=nickname",
            &good,
            "1006",
            "Lookup field 'nickname' not found",
        ),
        ("?listId=999999", &good, "1013", "Static list not found"),
        (
            "?listId=abc",
            &good,
            "1001",
            "Invalid value 'abc'. Required of type 'integer'",
        ),
        (
            "?partitionName=Atlantis",
            &good,
            "1003",
            "Partition 'Atlantis' not found",
        ),
        (
            "",
            b"email,createdAt\na@x.com,2020-01-01\n",
            "1011",
            "Field 'createdAt' not supported",
        ),
    ];
    for (query, file, code, message) in cases {
        let body = create(&app, query, file).await;
        assert_error(&body, code, message);
    }
    let jobs = app.jobs().await;
    assert_eq!(
        jobs["jobs"],
        serde_json::json!([]),
        "no job may exist after refused creates"
    );
}

#[tokio::test]
async fn a_repeated_header_column_is_refused() {
    let app = TestApp::spawn().await;
    let body = create(&app, "", b"email,EMAIL\na@x.com,b@x.com\n").await;
    assert_error(&body, "1003", "Duplicate field 'EMAIL' in header");
}

#[tokio::test]
async fn header_names_match_rest_names_without_case_and_the_file_echoes_them_as_uploaded() {
    let app = TestApp::spawn().await;
    let batch = app
        .import_leads_to_end(
            "",
            b"EMAIL,FirstName,leadscore\ncase@example.com,Cas,oops\n".to_vec(),
        )
        .await;
    let failures = app.lead_file(batch, "failures").await;
    assert_eq!(
        failures,
        "EMAIL,FirstName,leadscore,Import Failure Reason\ncase@example.com,Cas,oops,Invalid data type in field Lead Score\n"
    );
}

#[tokio::test]
async fn a_request_that_is_not_multipart_gets_612_and_a_broken_one_613() {
    let app = TestApp::spawn().await;
    let token = app.token().await;
    // A lead import of a raw body with this content type.
    let post = |content_type: &str, body: &'static str| {
        json(
            app.client
                .post(app.url("/bulk/v1/leads.json"))
                .bearer_auth(&token)
                .header("content-type", content_type)
                .body(body),
        )
    };
    let body = post("text/csv", "email\na@x.com\n").await;
    assert_error(&body, "612", "Invalid Content Type");
    let body = post(
        "multipart/form-data; boundary=XYZ",
        "--XYZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nemail\na@x.com\n",
    )
    .await;
    assert_error(&body, "613", "Invalid Multipart Request");
}

#[tokio::test]
async fn a_form_without_a_file_part_gets_1002() {
    let app = TestApp::spawn().await;
    let form = Form::new().text("format", "csv");
    let (_, body) = app.post_form("/bulk/v1/leads.json", form).await;
    assert_error(&body, "1002", "Missing value for required parameter 'file'");
}

#[tokio::test]
async fn an_unknown_object_or_program_is_named_before_a_missing_file() {
    let app = TestApp::spawn().await;
    let without_file = || Form::new().text("format", "csv");
    let object = "/bulk/v1/customobjects/nope_c/import.json";
    let (_, body) = app.post_form(object, without_file()).await;
    assert_error(&body, "1013", "Object not found");
    let program = "/bulk/v1/program/9999/members/import.json";
    let (_, body) = app.post_form(program, without_file()).await;
    assert_error(&body, "1013", "Program not found");
}

#[tokio::test]
async fn a_bad_format_is_named_after_an_unknown_object_but_before_an_unknown_program() {
    let app = TestApp::spawn().await;
    let xlsx = || Form::new().text("format", "xlsx");
    let object = "/bulk/v1/customobjects/nope_c/import.json";
    let (_, body) = app.post_form(object, xlsx()).await;
    assert_error(&body, "1013", "Object not found");
    let program = "/bulk/v1/program/9999/members/import.json";
    let (_, body) = app.post_form(program, xlsx()).await;
    assert_error(
        &body,
        "1001",
        "Invalid value 'xlsx'. Required of type 'csv, tsv, ssv'",
    );
}

#[tokio::test]
async fn parameters_are_read_from_multipart_fields_as_well_as_the_query() {
    let app = TestApp::spawn().await;
    let form = Form::new()
        .text("format", "tsv")
        .text("lookupField", "email")
        .text("listId", "2001")
        .part(
            "file",
            Part::bytes(sample("leads-good.tsv")).file_name("leads.tsv"),
        );
    let (_, body) = app.post_form("/bulk/v1/leads.json", form).await;
    let batch = body["result"][0]["batchId"].as_u64().unwrap();
    let job = app.wait_for(batch, "Complete").await;
    assert_eq!(job["numOfRowsProcessed"], 3, "{job}");
    assert_eq!(job["params"]["format"], "tsv");
    let members = app.get_json("/rest/v1/lists/2001/leads.json").await;
    assert_eq!(members["result"].as_array().unwrap().len(), 3, "{members}");
}
