use reqwest::Method;
use serde_json::{Value, json};

use marketo_bulk_mock::CallLimits;

use crate::helpers::{TestApp, assert_error, json, paced, sample};

impl TestApp {
    async fn control(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap()
            },
        )
    }
}

#[tokio::test]
async fn health_and_ready_answer_without_a_token() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.control(Method::GET, "/_mock/health", None).await,
        (200, json!({"status": "ok"}))
    );
    let (status, ready) = app.control(Method::GET, "/_mock/ready", None).await;
    assert_eq!(
        (
            status,
            ready["status"].as_str(),
            ready["maxQueuedJobs"].as_u64()
        ),
        (200, Some("ready"), Some(10))
    );
}

#[tokio::test]
async fn the_clock_freezes_advances_and_runs_again() {
    let app = TestApp::spawn().await;
    let (_, clock) = app.control(Method::GET, "/_mock/clock", None).await;
    assert_eq!(clock["mode"], "real");
    let (_, frozen) = app
        .control(Method::PUT, "/_mock/clock", Some(json!({"mode": "frozen"})))
        .await;
    assert_eq!(frozen["mode"], "frozen");
    let (_, same) = app.control(Method::GET, "/_mock/clock", None).await;
    assert_eq!(same["now"], frozen["now"]);
    let (_, later) = app
        .control(
            Method::POST,
            "/_mock/clock/advance",
            Some(json!({"milliseconds": 1500})),
        )
        .await;
    let millis = |v: &Value| {
        time::OffsetDateTime::parse(
            v["now"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
        .unix_timestamp_nanos()
            / 1_000_000
    };
    assert_eq!(millis(&later) - millis(&frozen), 1500);
    let (status, error) = app
        .control(Method::POST, "/_mock/clock/advance", Some(json!({})))
        .await;
    assert_eq!(status, 400, "{error}");
    let (_, running) = app
        .control(Method::PUT, "/_mock/clock", Some(json!({"mode": "real"})))
        .await;
    assert!(millis(&running) >= millis(&later));
}

#[tokio::test]
async fn timing_is_read_set_and_has_a_realistic_preset() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.control(Method::GET, "/_mock/timing", None).await.1,
        json!({"queueDelayMs": 0, "rowsPerSecond": 0})
    );
    let set = json!({"queueDelayMs": 250, "rowsPerSecond": 40});
    assert_eq!(
        app.control(Method::PUT, "/_mock/timing", Some(set.clone()))
            .await
            .1,
        set
    );
    let (_, preset) = app
        .control(
            Method::PUT,
            "/_mock/timing",
            Some(json!({"preset": "marketo"})),
        )
        .await;
    assert_eq!(preset, json!({"queueDelayMs": 90000, "rowsPerSecond": 250}));
    let (status, _) = app
        .control(
            Method::PUT,
            "/_mock/timing",
            Some(json!({"preset": "glacial"})),
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn jobs_show_each_transition_time_and_a_wait_times_out_with_408() {
    let app = TestApp::spawn_frozen(|server| server.timing(paced(0, 1))).await;
    let batch = app
        .import_leads("?listId=2001", sample("leads-good.csv"))
        .await;
    let job = app.wait_for(batch, "Importing").await;
    assert_eq!(job["type"], "leads");
    assert_eq!(
        job["params"],
        json!({"format": "csv", "lookupField": "email", "listId": 2001, "partitionName": null})
    );
    assert!(
        job["queuedAt"].is_string() && job["startedAt"].is_string() && job["finishedAt"].is_null()
    );
    let response = app
        .client
        .get(app.url(&format!(
            "/_mock/jobs/{batch}/wait?status=Complete&timeoutMs=50"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 408);
    assert_eq!(
        app.control(Method::GET, "/_mock/jobs/9999", None).await.0,
        404
    );
    assert_eq!(
        app.control(Method::GET, &format!("/_mock/jobs/{batch}"), None)
            .await
            .1["status"],
        "Importing"
    );
}

#[tokio::test]
async fn an_injected_606_answers_twice_in_marketos_envelope_then_the_call_succeeds() {
    let app = TestApp::spawn().await;
    let rule = json!({"method": "GET", "path": "/rest/v1/leads/*", "code": "606", "times": 2});
    let (status, created) = app.control(Method::POST, "/_mock/faults", Some(rule)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_u64().unwrap();
    for _ in 0..2 {
        let body = app.get_json("/rest/v1/leads/describe.json").await;
        assert_error(
            &body,
            "606",
            "Max rate limit '100' exceeded with in '20' secs",
        );
    }
    assert_eq!(
        app.get_json("/rest/v1/leads/describe.json").await["success"],
        true
    );
    assert_eq!(
        app.control(Method::GET, "/_mock/faults", None).await.1,
        json!({"faults": []})
    );
    assert_eq!(
        app.control(Method::DELETE, &format!("/_mock/faults/{id}"), None)
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn an_injected_610_is_a_response_level_error_with_http_200() {
    let app = TestApp::spawn().await;
    let rule = json!({"path": "/rest/v1/leads/*", "code": "610", "times": 1});
    assert_eq!(
        app.control(Method::POST, "/_mock/faults", Some(rule))
            .await
            .0,
        201
    );
    let (status, body) = app.get_answer("/rest/v1/leads/describe.json").await;
    assert_eq!(status, 200);
    assert_error(&body, "610", "Requested resource not found");
}

#[tokio::test]
async fn an_http_status_fault_answers_like_the_proxy_in_front_of_marketo() {
    let app = TestApp::spawn().await;
    app.control(
        Method::POST,
        "/_mock/faults",
        Some(json!({"path": "/bulk/v1/leads.json", "httpStatus": 503})),
    )
    .await;
    let token = app.token().await;
    let response = app
        .client
        .post(app.url("/bulk/v1/leads.json"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers()["content-type"], "text/html");
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("503 Service Unavailable")
    );
    let (_, faults) = app.control(Method::GET, "/_mock/faults", None).await;
    assert_eq!(faults["faults"][0]["hits"], 1);
    assert_eq!(
        app.control(Method::DELETE, "/_mock/faults", None).await.0,
        204
    );
    assert_eq!(
        app.control(Method::GET, "/_mock/faults", None).await.1,
        json!({"faults": []})
    );
}

#[tokio::test]
async fn a_latency_fault_delays_but_serves() {
    let app = TestApp::spawn().await;
    app.control(
        Method::POST,
        "/_mock/faults",
        Some(json!({"path": "/rest/*", "latencyMs": 5, "times": 1})),
    )
    .await;
    assert_eq!(
        app.get_json("/rest/v1/leads/partitions.json").await["success"],
        true
    );
    assert_eq!(
        app.control(Method::GET, "/_mock/faults", None).await.1,
        json!({"faults": []})
    );
}

#[tokio::test]
async fn a_job_rule_fails_the_next_matching_job_with_its_message() {
    let app = TestApp::spawn().await;
    let rule = json!({"job": {"type": "leads", "failWith": "Import failed: disk quota exceeded"}, "times": 1});
    assert_eq!(
        app.control(Method::POST, "/_mock/faults", Some(rule))
            .await
            .0,
        201
    );
    let failed = app.import_leads_to_end("", sample("leads-good.csv")).await;
    let status = &app.lead_status(failed).await["result"][0];
    assert_eq!(status["status"], "Failed");
    assert_eq!(status["message"], "Import failed: disk quota exceeded");
    let (code, _, _) = app
        .get_file(&format!("/bulk/v1/leads/batch/{failed}/failures.json"))
        .await;
    assert_eq!(code, 404);
    let next = app.import_leads_to_end("", sample("leads-good.csv")).await;
    assert_eq!(
        app.lead_status(next).await["result"][0]["status"],
        "Complete"
    );
}

#[tokio::test]
async fn a_row_rule_fails_the_rows_it_matches_with_its_reason() {
    let app = TestApp::spawn().await;
    let rule = json!({"row": {"column": "email", "value": "bruno.schmidt@example.com", "reason": "Blocked by policy"}});
    app.control(Method::POST, "/_mock/faults", Some(rule)).await;
    let batch = app.import_leads_to_end("", sample("leads-good.csv")).await;
    let failures = app.lead_file(batch, "failures").await;
    assert_eq!(
        failures,
        "email,firstName,lastName,company,title,phone,leadScore,Import Failure Reason\n\
         bruno.schmidt@example.com,Bruno,Schmidt,Bluefin Analytics,Data Engineer,+49 30 5550 1234,40,Blocked by policy\n"
    );
}

#[tokio::test]
async fn malformed_fault_rules_are_refused_with_400() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .control(Method::POST, "/_mock/faults", Some(json!({"path": "/x"})))
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("exactly one"),
        "{body}"
    );
    let response = app
        .client
        .post(app.url("/_mock/faults"))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert!(
        response.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .starts_with("invalid JSON body")
    );
}

#[tokio::test]
async fn expiring_tokens_makes_them_answer_602() {
    let app = TestApp::spawn().await;
    let token = app.token().await;
    assert_eq!(
        app.control(Method::POST, "/_mock/tokens/expire", None)
            .await
            .0,
        204
    );
    let body: Value = json(
        app.client
            .get(app.url("/rest/v1/leads/partitions.json"))
            .bearer_auth(token),
    )
    .await;
    assert_error(&body, "602", "Access token expired");
}

#[tokio::test]
async fn the_journal_records_emulated_calls_with_codes_and_batches_and_is_bounded() {
    let app = TestApp::spawn_with(|server| server.journal_size(3)).await;
    let batch = app
        .import_leads_to_end("?format=csv", sample("leads-good.csv"))
        .await;
    app.client
        .get(app.url("/rest/v1/leads/describe.json"))
        .send()
        .await
        .unwrap();
    let (_, journal) = app.control(Method::GET, "/_mock/requests", None).await;
    let entries = journal["requests"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{journal}");
    assert_eq!(entries[1]["method"], "POST");
    assert_eq!(entries[1]["path"], "/bulk/v1/leads.json");
    assert_eq!(entries[1]["query"], "format=csv");
    assert_eq!(entries[1]["batchId"], batch);
    assert_eq!(entries[1]["httpStatus"], 200);
    assert_eq!(entries[2]["code"], "600");
    assert!(
        entries
            .iter()
            .all(|e| !e["path"].as_str().unwrap().starts_with("/_mock"))
    );
    assert_eq!(
        app.control(Method::DELETE, "/_mock/requests", None).await.0,
        204
    );
    assert_eq!(
        app.control(Method::GET, "/_mock/requests", None).await.1,
        json!({"requests": []})
    );
}

#[tokio::test]
async fn the_rate_limit_answers_606_until_the_window_passes() {
    let app = TestApp::spawn_frozen(|server| {
        server.call_limits(CallLimits {
            rate_limit: Some(2),
            rate_window_secs: 20,
            ..CallLimits::default()
        })
    })
    .await;
    let token = app.token().await;
    let call = || async {
        let response = app
            .client
            .get(app.url("/rest/v1/leads/partitions.json"))
            .bearer_auth(&token)
            .send()
            .await;
        response.unwrap().json::<Value>().await.unwrap()
    };
    assert_eq!(call().await["success"], true);
    assert_eq!(call().await["success"], true);
    assert_error(
        &call().await,
        "606",
        "Max rate limit '2' exceeded with in '20' secs",
    );
    app.advance_clock(20);
    assert_eq!(call().await["success"], true);
}

#[tokio::test]
async fn the_daily_quota_answers_607_until_midnight_central_time() {
    let app = TestApp::spawn_frozen(|server| server).await;
    app.control(Method::PUT, "/_mock/limits", Some(json!({"dailyQuota": 1})))
        .await;
    // Identity calls do not count, so a fresh token each time changes nothing.
    let path = "/rest/v1/leads/partitions.json";
    assert_eq!(app.get_json(path).await["success"], true);
    assert_error(&app.get_json(path).await, "607", "Daily quota reached");
    let (_, limits) = app.control(Method::GET, "/_mock/limits", None).await;
    assert_eq!(limits["usage"]["callsToday"], 1);
    app.advance_clock(86_400);
    assert_eq!(app.get_json(path).await["success"], true);
}

#[tokio::test]
async fn the_concurrency_limit_answers_615_while_a_call_is_in_flight() {
    let app = TestApp::spawn().await;
    app.control(
        Method::PUT,
        "/_mock/limits",
        Some(json!({"concurrencyLimit": 1})),
    )
    .await;
    let token = app.token().await;
    // An upload whose body the test holds open keeps one call in flight.
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let body = reqwest::Body::wrap_stream(futures_util::stream::unfold(
        receiver,
        |mut receiver| async move { receiver.recv().await.map(|chunk| (chunk, receiver)) },
    ));
    let held = tokio::spawn({
        let request = app
            .client
            .post(app.url("/bulk/v1/leads.json"))
            .bearer_auth(&token)
            .header("content-type", "multipart/form-data; boundary=B")
            .body(body);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    });
    sender
        .send(Ok(
            b"--B\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nemail\n".to_vec(),
        ))
        .await
        .unwrap();
    loop {
        let (_, limits) = app.control(Method::GET, "/_mock/limits", None).await;
        if limits["usage"]["inFlight"] == 1 {
            break;
        }
        tokio::task::yield_now().await;
    }
    let body: Value = json(
        app.client
            .get(app.url("/rest/v1/leads/partitions.json"))
            .bearer_auth(&token),
    )
    .await;
    assert_error(&body, "615", "Concurrent access limit '1' reached");
    sender
        .send(Ok(b"held@example.com\n\r\n--B--\r\n".to_vec()))
        .await
        .unwrap();
    drop(sender);
    assert_eq!(held.await.unwrap()["success"], true);
}

#[tokio::test]
async fn seeded_records_are_validated_like_an_import_and_exported_in_the_same_shape() {
    let app = TestApp::spawn().await;
    let seed = json!({
        "leads": [
            {"email": "seed@example.com", "firstName": "Sid", "leadScore": 7},
            {"email": "bad@example.com", "leadScore": "lots"},
            {"email": "eu@example.com", "leadPartitionId": 2}
        ],
        "customObjects": {"car_c": [{"vin": "SEED1", "make": "Volvo", "year": 2021, "customerEmail": "seed@example.com"}]},
        "programMembers": {"1002": [{"email": "seed@example.com", "status": "Registered", "registrationCode": "R-1"}]}
    });
    let (status, report) = app.control(Method::POST, "/_mock/seed", Some(seed)).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        report["leads"],
        json!([
            {"index": 0, "status": "imported"},
            {"index": 1, "status": "failed", "reason": "Invalid data type in field Lead Score"},
            {"index": 2, "status": "imported"}
        ])
    );
    assert_eq!(
        report["customObjects"]["car_c"],
        json!([{"index": 0, "status": "imported"}])
    );
    assert_eq!(
        report["programMembers"]["1002"],
        json!([{"index": 0, "status": "imported"}])
    );

    let (_, export) = app.control(Method::GET, "/_mock/export", None).await;
    let leads = export["leads"].as_array().unwrap();
    assert_eq!(leads.len(), 2);
    assert_eq!(
        (leads[0]["email"].as_str(), leads[0]["leadScore"].as_i64()),
        (Some("seed@example.com"), Some(7))
    );
    assert_eq!(leads[1]["leadPartitionId"], 2);
    assert_eq!(export["customObjects"]["car_c"][0]["make"], "Volvo");
    assert_eq!(export["customObjects"]["subscription_c"], json!([]));
    let member = &export["programMembers"]["1002"][0];
    assert_eq!(
        (member["email"].as_str(), member["status"].as_str()),
        (Some("seed@example.com"), Some("Registered"))
    );
    assert_eq!(member["registrationCode"], "R-1");

    // An export seeds back into a fresh state.
    app.control(Method::POST, "/_mock/reset", None).await;
    let (_, again) = app
        .control(Method::POST, "/_mock/seed", Some(export.clone()))
        .await;
    assert!(
        again["leads"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "imported"),
        "{again}"
    );
    let (_, reexported) = app.control(Method::GET, "/_mock/export", None).await;
    assert_eq!(
        reexported["programMembers"]["1002"][0]["status"],
        "Registered"
    );
    assert_eq!(reexported["leads"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_reset_forgets_jobs_tokens_records_faults_and_the_journal() {
    let app = TestApp::spawn().await;
    let token = app.token().await;
    let batch = app.import_leads_to_end("", sample("leads-good.csv")).await;
    app.control(
        Method::POST,
        "/_mock/faults",
        Some(json!({"path": "/nowhere", "code": "611"})),
    )
    .await;
    app.control(Method::PUT, "/_mock/clock", Some(json!({"mode": "frozen"})))
        .await;
    assert_eq!(app.control(Method::POST, "/_mock/reset", None).await.0, 204);

    let (_, export) = app.control(Method::GET, "/_mock/export", None).await;
    assert_eq!(export["leads"], json!([]));
    assert_eq!(app.jobs().await["jobs"], json!([]));
    assert_eq!(
        app.control(Method::GET, "/_mock/faults", None).await.1,
        json!({"faults": []})
    );
    assert_eq!(
        app.control(Method::GET, "/_mock/requests", None).await.1,
        json!({"requests": []})
    );
    assert_eq!(
        app.control(Method::GET, "/_mock/clock", None).await.1["mode"],
        "real"
    );
    let body: Value = json(
        app.client
            .get(app.url("/rest/v1/leads/partitions.json"))
            .bearer_auth(token),
    )
    .await;
    assert_error(&body, "601", "Access token invalid");
    let again = app.import_leads("", sample("leads-good.csv")).await;
    assert_eq!(again, batch, "batch ids start again after a reset");
}

#[tokio::test]
async fn a_reset_during_running_imports_neither_panics_nor_leaks_their_rows() {
    let app = TestApp::spawn_frozen(|server| server.timing(paced(0, 1))).await;
    let batch = app.import_leads("", sample("leads-good.csv")).await;
    app.wait_for(batch, "Importing").await;
    app.advance_clock(1);
    app.wait_for(batch, "Importing&rows=1").await;
    assert_eq!(app.control(Method::POST, "/_mock/reset", None).await.0, 204);
    app.advance_clock(5);
    let (_, export) = app.control(Method::GET, "/_mock/export", None).await;
    assert_eq!(export["leads"], json!([]));
    let fresh = app
        .import_leads("", b"email\nafter@example.com\n".to_vec())
        .await;
    app.wait_for(fresh, "Importing").await;
    app.advance_clock(1);
    app.wait_for(fresh, "Complete").await;
    let (_, export) = app.control(Method::GET, "/_mock/export", None).await;
    assert_eq!(export["leads"].as_array().unwrap().len(), 1, "{export}");
}
