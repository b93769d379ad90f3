use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_request_id, paced, sample};

fn redacted_status(mut body: Value) -> Value {
    assert_request_id(&body);
    body["requestId"] = json!("[requestId]");
    body
}

#[tokio::test]
async fn a_csv_import_is_created_queued_and_completes_with_marketos_exact_status_body() {
    let app = TestApp::spawn().await;
    let (status, created) = app
        .post_file("/bulk/v1/leads.json?format=csv", sample("leads-good.csv"))
        .await;
    assert_eq!(status, 200);
    let batch = created["result"][0]["batchId"].as_u64().unwrap();
    insta::assert_json_snapshot!("csv_created", redacted_status(created), {".result[0].batchId" => "[batchId]", ".result[0].importId" => "[importId]"});
    app.wait_for(batch, "Complete").await;
    let body = app.lead_status(batch).await;
    assert_eq!(body["result"][0]["importId"], json!(batch.to_string()));
    insta::assert_json_snapshot!("csv_complete", redacted_status(body), {".result[0].batchId" => "[batchId]", ".result[0].importId" => "[importId]"});
}

#[tokio::test]
async fn tsv_and_ssv_imports_complete_like_csv() {
    let app = TestApp::spawn().await;
    for (format, file) in [("tsv", "leads-good.tsv"), ("SSV", "leads-good.ssv")] {
        let batch = app
            .import_leads_to_end(&format!("?format={format}"), sample(file))
            .await;
        let body = app.lead_status(batch).await;
        assert_eq!(body["result"][0]["status"], "Complete", "{format}");
        assert_eq!(body["result"][0]["numOfLeadsProcessed"], 3, "{format}");
        assert_eq!(
            body["result"][0]["message"],
            "Import succeeded, 3 records imported (3 members)"
        );
    }
    let leads = app
        .get_json("/rest/v1/leads.json?filterType=email&filterValues=alice.nguyen@example.com")
        .await;
    assert_eq!(
        leads["result"].as_array().unwrap().len(),
        1,
        "re-imports update, never duplicate: {leads}"
    );
}

#[tokio::test]
async fn a_mixed_file_accounts_for_every_row_and_serves_byte_exact_failures_and_warnings() {
    let app = TestApp::spawn().await;
    let batch = app.import_leads_to_end("", sample("leads-mixed.csv")).await;
    let body = app.lead_status(batch).await;
    insta::assert_json_snapshot!("mixed_complete", redacted_status(body), {".result[0].batchId" => "[batchId]", ".result[0].importId" => "[importId]"});

    let (status, content_type, failures) = app
        .get_file(&format!("/bulk/v1/leads/batch/{batch}/failures.json"))
        .await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, "text/csv;charset=UTF-8")
    );
    assert_eq!(
        failures,
        "email,firstName,lastName,company,leadScore,customerTier,Import Failure Reason\n\
         ben.okafor@example.com,Ben,Okafor,Evergreen Logistics,TEXT_VALUE_IN_INTEGER_FIELD,Silver,Invalid data type in field Lead Score\n\
         ,Chloe,Martin,Foxglove Media,17,Bronze,Value for lookup field 'email' not found\n\
         felix.braun@example.com,Felix,Braun,Ironwood Systems,21,Row has 5 columns but the header has 6\n"
    );
    let (status, content_type, warnings) = app
        .get_file(&format!("/bulk/v1/leads/batch/{batch}/warnings.json"))
        .await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, "text/csv;charset=UTF-8")
    );
    assert_eq!(
        warnings,
        "email,firstName,lastName,company,leadScore,customerTier,Import Warning Reason\n\
         not-an-email,Diego,Fernandez,Granite Ridge Bank,33,Gold,Invalid email address\n\
         erin.walsh@example.com,Erin,Walsh,Harbor Point Software,58,Strategic-Enterprise-Platinum,Value truncated to 20 characters in field Customer Tier\n"
    );
    let expected: Value = serde_json::from_slice(&sample("leads-mixed.expected.json")).unwrap();
    let status = &app.lead_status(batch).await["result"][0];
    for counter in [
        "numOfLeadsProcessed",
        "numOfRowsFailed",
        "numOfRowsWithWarning",
    ] {
        assert_eq!(status[counter], expected["totals"][counter], "{counter}");
    }
}

#[tokio::test]
async fn values_with_delimiters_quotes_and_newlines_survive_the_failure_file_byte_for_byte() {
    let app = TestApp::spawn().await;
    let rows = [
        "\"x@example.com\";\"Semi; colon \"\"quoted\"\"\nsecond line\";NaN-score",
        "y@example.com;Ünïcødé ✓;also-bad",
    ];
    let file = format!("email;company;leadScore\r\n{}\r\n{}\r\n", rows[0], rows[1]);
    let batch = app
        .import_leads_to_end("?format=ssv", file.into_bytes())
        .await;
    let failures = app.lead_file(batch, "failures").await;
    assert_eq!(
        failures,
        format!(
            "email;company;leadScore;Import Failure Reason\n{};Invalid data type in field Lead Score\n{};Invalid data type in field Lead Score\n",
            rows[0], rows[1]
        )
    );
}

#[tokio::test]
async fn a_batch_without_failures_or_warnings_answers_404_in_the_envelope() {
    let app = TestApp::spawn().await;
    let batch = app.import_leads_to_end("", sample("leads-good.csv")).await;
    for which in ["failures", "warnings"] {
        let (status, content_type, body) = app
            .get_file(&format!("/bulk/v1/leads/batch/{batch}/{which}.json"))
            .await;
        assert_eq!(
            (status, content_type.as_str()),
            (404, "application/json;charset=UTF-8")
        );
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body["errors"][0],
            json!({"code": "1013", "message": format!("No {which} file found for this batch")})
        );
    }
}

#[tokio::test]
async fn a_header_only_file_completes_with_nothing_imported() {
    let app = TestApp::spawn().await;
    let batch = app
        .import_leads_to_end("", b"email,firstName\n".to_vec())
        .await;
    let status = &app.lead_status(batch).await["result"][0];
    assert_eq!(status["status"], "Complete");
    assert_eq!(status["numOfLeadsProcessed"], 0);
    assert_eq!(
        status["message"],
        "Import succeeded, 0 records imported (0 members)"
    );
}

#[tokio::test]
async fn a_byte_order_mark_and_crlf_endings_are_transparent() {
    let app = TestApp::spawn().await;
    let batch = app
        .import_leads_to_end(
            "",
            b"\xEF\xBB\xBFemail,firstName\r\nbom@example.com,Bo\r\n".to_vec(),
        )
        .await;
    assert_eq!(
        app.lead_status(batch).await["result"][0]["numOfLeadsProcessed"],
        1
    );
    let leads = app
        .get_json("/rest/v1/leads.json?filterType=email&filterValues=bom@example.com")
        .await;
    assert_eq!(leads["result"][0]["firstName"], "Bo");
}

#[tokio::test]
async fn a_row_that_is_not_utf8_fails_alone() {
    let app = TestApp::spawn().await;
    let batch = app
        .import_leads_to_end(
            "",
            b"email,firstName\na@example.com,Ann\nb@example.com,B\xFFb\n".to_vec(),
        )
        .await;
    assert_eq!(app.lead_counts(batch).await, (Some(1), Some(1)));
    let failures = app.lead_file(batch, "failures").await;
    assert!(
        failures.ends_with("Invalid UTF-8 byte sequence in field First Name\n"),
        "{failures}"
    );
}

#[tokio::test]
async fn a_file_of_exactly_the_limit_is_accepted_and_one_byte_more_gets_413() {
    let app = TestApp::spawn_frozen(|server| server).await;
    let limit = 10 * 1024 * 1024;
    let mut file = b"email,notes\n".to_vec();
    let row = format!("filler@example.com,{}\n", "x".repeat(1000));
    while file.len() + row.len() <= limit {
        file.extend_from_slice(row.as_bytes());
    }
    file.resize(limit, b'y');
    let (status, body) = app.post_file("/bulk/v1/leads.json", file.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    file.push(b'y');
    let (status, body) = app.post_file("/bulk/v1/leads.json", file).await;
    assert_eq!(status, 413);
    assert_eq!(body["success"], false);
    assert_eq!(
        body["errors"][0],
        json!({"code": "1003", "message": "File too large: the limit is 10485760 bytes"})
    );
}

#[tokio::test]
async fn the_file_limit_follows_the_configuration() {
    let app = TestApp::spawn_with(|server| server.max_file_bytes(64)).await;
    let (status, _) = app.post_file("/bulk/v1/leads.json", vec![b'a'; 65]).await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn a_client_sees_queued_and_importing_when_timing_is_slowed() {
    let app = TestApp::spawn_frozen(|server| server.timing(paced(2_000, 1))).await;
    let batch = app.import_leads("", sample("leads-good.csv")).await;
    let status = &app.lead_status(batch).await["result"][0];
    assert_eq!(status["status"], "Queued");
    assert_eq!(status["numOfLeadsProcessed"], 0);
    assert!(status.get("message").is_none(), "{status}");
    app.advance_clock(2);
    app.wait_for(batch, "Importing").await;
    app.advance_clock(1);
    app.wait_for(batch, "Importing&rows=1").await;
    let status = &app.lead_status(batch).await["result"][0];
    assert_eq!(status["status"], "Importing");
    assert_eq!(
        status["numOfLeadsProcessed"], 1,
        "one row a second: {status}"
    );
    assert!(status.get("message").is_none(), "{status}");
    app.advance_clock(2);
    app.wait_for(batch, "Complete").await;
    assert_eq!(
        app.lead_status(batch).await["result"][0]["numOfLeadsProcessed"],
        3
    );
}

#[tokio::test]
async fn batches_are_unknown_after_seven_days_of_mock_time() {
    let app = TestApp::spawn_frozen(|server| server).await;
    let batch = app.import_leads_to_end("", sample("leads-good.csv")).await;
    app.advance_clock(7 * 86_400 - 1);
    assert_eq!(app.lead_status(batch).await["success"], true);
    app.advance_clock(1);
    let body = app.lead_status(batch).await;
    assert_eq!(
        body["errors"][0],
        json!({"code": "1013", "message": "Object not found"})
    );
}
