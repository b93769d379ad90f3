use serde_json::json;

use crate::helpers::{TestApp, assert_error, paced, sample};

#[tokio::test]
async fn the_eleventh_job_is_refused_with_1016_and_never_more_than_two_import() {
    let app = TestApp::spawn_frozen(|server| server.timing(paced(1_000, 0))).await;
    let mut batches = Vec::new();
    for _ in 0..10 {
        batches.push(app.import_leads("", sample("leads-good.csv")).await);
    }
    let (status, body) = app
        .post_file("/bulk/v1/leads.json", sample("leads-good.csv"))
        .await;
    assert_eq!(status, 200);
    assert_error(
        &body,
        "1016",
        "There are 10 imports currently being processed. Please try again later",
    );

    app.advance_clock(1);
    for batch in &batches {
        app.wait_for(*batch, "Complete").await;
    }
    let jobs = app.jobs().await;
    assert_eq!(jobs["mostImportingAtOnce"], 2, "{jobs}");

    // With the queue drained, a new job is admitted again.
    app.import_leads("", sample("leads-good.csv")).await;
}

#[tokio::test]
async fn queued_jobs_wait_for_the_two_importing_ones_in_order() {
    let app = TestApp::spawn_frozen(|server| server.timing(paced(0, 1))).await;
    let a = app
        .import_leads("", b"email\na@example.com\n".to_vec())
        .await;
    let b = app
        .import_leads("", b"email\nb@example.com\n".to_vec())
        .await;
    let c = app
        .import_leads("", b"email\nc@example.com\n".to_vec())
        .await;
    app.wait_for(b, "Importing").await;
    let statuses = |jobs: serde_json::Value| -> Vec<String> {
        jobs["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["status"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        statuses(app.jobs().await),
        ["Importing", "Importing", "Queued"]
    );
    app.advance_clock(1);
    app.wait_for(a, "Complete").await;
    app.wait_for(c, "Importing").await;
    app.advance_clock(1);
    // Each job ends on its own task, so each is waited for before the list is read.
    app.wait_for(b, "Complete").await;
    app.wait_for(c, "Complete").await;
    assert_eq!(
        statuses(app.jobs().await),
        ["Complete", "Complete", "Complete"]
    );
    assert_eq!(app.jobs().await["mostImportingAtOnce"], json!(2));
}

#[tokio::test]
async fn the_queue_limits_follow_the_configuration() {
    let app =
        TestApp::spawn_frozen(|server| server.max_queued_jobs(3).timing(paced(1_000, 0))).await;
    for _ in 0..3 {
        app.import_leads("", sample("leads-good.csv")).await;
    }
    let (_, body) = app
        .post_file("/bulk/v1/leads.json", sample("leads-good.csv"))
        .await;
    assert_error(
        &body,
        "1016",
        "There are 3 imports currently being processed. Please try again later",
    );
}

#[tokio::test]
async fn all_three_import_types_share_one_queue_of_ten() {
    let app = TestApp::spawn_frozen(|server| server.timing(paced(1_000, 0))).await;
    for _ in 0..6 {
        app.import_leads("", sample("leads-good.csv")).await;
    }
    for _ in 0..4 {
        let (_, body) = app
            .post_file(
                "/bulk/v1/customobjects/car_c/import.json",
                sample("cars.csv"),
            )
            .await;
        assert_eq!(body["success"], true, "{body}");
    }
    let (_, body) = app
        .post_file(
            "/bulk/v1/program/1001/members/import.json?programMemberStatus=On+List",
            sample("program-members.csv"),
        )
        .await;
    assert_error(
        &body,
        "1016",
        "There are 10 imports currently being processed. Please try again later",
    );
    let jobs = app.jobs().await;
    let kinds: Vec<&str> = jobs["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "leads").count(), 6);
    assert_eq!(kinds.iter().filter(|k| **k == "customObjects").count(), 4);
    app.advance_clock(1);
    let last = jobs["jobs"][9]["batchId"].as_u64().unwrap();
    app.wait_for(last, "Complete").await;
    assert_eq!(app.jobs().await["mostImportingAtOnce"], 2);
}
