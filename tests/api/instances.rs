//! Isolated Marketo instances in one server: each worker of a parallel suite its own client
//! id, queue, clock, faults, journal and reset, and no token reaching another's data.

use reqwest::Method;
use serde_json::{Value, json};

use marketo_bulk_mock::{MockServer, MockServerBuilder};

use crate::helpers::{TestApp, assert_error, json, paced, sample, status};
use crate::identity::documented_routes;

impl TestApp {
    /// A token for a client id and secret (with `--open-instances`, also its instance).
    async fn token_of(&self, client_id: &str, secret: &str) -> String {
        let body = json(self.client.get(self.url(&format!(
            "/identity/oauth/token?grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
        ))))
        .await;
        body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token for {client_id}: {body}"))
            .to_owned()
    }

    /// Imports a lead file with this token; the create answer.
    async fn import_as(&self, token: &str, file: &'static [u8]) -> Value {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(file)
                .file_name("leads.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
        json(
            self.client
                .post(self.url("/bulk/v1/leads.json"))
                .bearer_auth(token)
                .multipart(form),
        )
        .await
    }

    async fn leads_of(&self, token: &str, email: &str) -> Value {
        json(
            self.client
                .get(self.url(&format!(
                    "/rest/v1/leads.json?filterType=email&filterValues={email}"
                )))
                .bearer_auth(token),
        )
        .await["result"]
            .clone()
    }

    async fn control_json(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let code = response.status().as_u16();
        let text = response.text().await.unwrap();
        (code, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn eight_open_instances_each_fill_a_queue_of_ten_with_no_1016() {
    // Paced, so every job stays queued or importing while the others are made.
    let app = TestApp::spawn_with(|server| server.open_instances().timing(paced(0, 1))).await;
    for worker in 0..8 {
        let token = app.token_of(&format!("worker-{worker}"), "secret").await;
        for _ in 0..10 {
            let created = app.import_as(&token, b"email\na@x.com\nb@x.com\n").await;
            assert_eq!(
                created["success"],
                json!(true),
                "worker {worker}: {created}"
            );
        }
        let eleventh = app.import_as(&token, b"email\na@x.com\n").await;
        assert_eq!(eleventh["errors"][0]["code"], json!("1016"));
    }
    let (_, listed) = app
        .control_json(Method::GET, "/_mock/instances", None)
        .await;
    let instances = listed["instances"].as_array().unwrap();
    assert_eq!(instances.len(), 9, "the default and eight workers");
    assert_eq!(instances[0]["clientId"], json!("mock-client-id"));
    assert!(instances[1..].iter().all(|i| i["tokens"] == json!(1)));
}

#[tokio::test]
async fn a_client_id_is_pinned_to_the_secret_it_first_sent() {
    let app = TestApp::spawn_with(MockServerBuilder::open_instances).await;
    app.token_of("worker", "first").await;
    let refused = app
        .client
        .get(app.url(
            "/identity/oauth/token?grant_type=client_credentials&client_id=worker&client_secret=second",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    // Without --open-instances, an unknown client id is refused as before.
    let closed = TestApp::spawn().await;
    let unknown = closed
        .client
        .get(closed.url(
            "/identity/oauth/token?grant_type=client_credentials&client_id=worker&client_secret=x",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 401);
}

#[tokio::test]
async fn reset_faults_a_frozen_clock_and_expired_tokens_stay_in_their_instance() {
    let app = TestApp::spawn_with(MockServerBuilder::open_instances).await;
    let (a, b) = (
        app.token_of("worker-a", "s").await,
        app.token_of("worker-b", "s").await,
    );
    for token in [&a, &b] {
        let created = app.import_as(token, b"email\nshared@x.com\n").await;
        assert_eq!(created["success"], json!(true));
    }
    for client in ["worker-a", "worker-b"] {
        let (code, _) = app
            .control_json(
                Method::GET,
                &format!("/_mock/instances/{client}/jobs/1001/wait?status=Complete"),
                None,
            )
            .await;
        assert_eq!(code, 200, "{client}'s own batch 1001");
    }
    // A fault, a frozen clock and expired tokens in worker-a.
    let (code, _) = app
        .control_json(
            Method::POST,
            "/_mock/instances/worker-a/faults",
            Some(json!({"path": "/rest/v1/*", "code": "606"})),
        )
        .await;
    assert_eq!(code, 201);
    app.control_json(
        Method::PUT,
        "/_mock/instances/worker-a/clock",
        Some(json!({"mode": "frozen"})),
    )
    .await;
    let (_, clock_b) = app
        .control_json(Method::GET, "/_mock/instances/worker-b/clock", None)
        .await;
    assert_eq!(clock_b["mode"], json!("real"));
    let faulted = json(
        app.client
            .get(app.url("/rest/v1/leads.json?filterType=email&filterValues=shared@x.com"))
            .bearer_auth(&a),
    )
    .await;
    assert_error(
        &faulted,
        "606",
        "Max rate limit '100' exceeded with in '20' secs",
    );
    assert_eq!(
        app.leads_of(&b, "shared@x.com")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.control_json(
        Method::POST,
        "/_mock/instances/worker-a/tokens/expire",
        None,
    )
    .await;
    let expired = json(
        app.client
            .get(app.url("/bulk/v1/leads/batch/1001.json"))
            .bearer_auth(&a),
    )
    .await;
    assert_eq!(expired["errors"][0]["code"], json!("602"));
    let fine = json(
        app.client
            .get(app.url("/bulk/v1/leads/batch/1001.json"))
            .bearer_auth(&b),
    )
    .await;
    assert_eq!(fine["success"], json!(true));
    // A reset of worker-a forgets worker-a's leads only.
    let (code, _) = app
        .control_json(Method::POST, "/_mock/instances/worker-a/reset", None)
        .await;
    assert_eq!(code, 204);
    let (_, listed) = app
        .control_json(Method::GET, "/_mock/instances/worker-a", None)
        .await;
    assert_eq!(
        listed["tokens"],
        json!(0),
        "the reset forgot worker-a's tokens"
    );
    let a = app.token_of("worker-a", "s").await;
    assert!(
        app.leads_of(&a, "shared@x.com")
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.leads_of(&b, "shared@x.com")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The journal of each instance holds its own calls: since the reset, a token and a read.
    let (_, journal) = app
        .control_json(Method::GET, "/_mock/instances/worker-a/requests", None)
        .await;
    let paths: Vec<&str> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/identity/oauth/token", "/rest/v1/leads.json"]);
    // `?all=true` resets every instance.
    app.control_json(Method::POST, "/_mock/reset?all=true", None)
        .await;
    let b = app.token_of("worker-b", "s").await;
    assert!(
        app.leads_of(&b, "shared@x.com")
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn every_route_serves_the_instance_of_its_token_and_a_dropped_instance_answers_601() {
    let app = TestApp::spawn_with(MockServerBuilder::open_instances).await;
    let token = app.token_of("worker", "s").await;
    let routes = documented_routes(&app).await;
    let emulated: Vec<_> = routes
        .iter()
        .filter(|(_, path, _)| {
            path != "/" && !path.starts_with("/_mock") && !path.starts_with("/identity")
        })
        .collect();
    assert!(emulated.len() >= 60, "{}", emulated.len());
    for (method, path, _) in &emulated {
        app.client
            .request(method.parse().unwrap(), app.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
    }
    // Every call is in the worker's journal (after its token call), none in the default one's.
    let (_, worker) = app
        .control_json(Method::GET, "/_mock/instances/worker/requests", None)
        .await;
    assert_eq!(
        worker["requests"].as_array().unwrap().len(),
        1 + emulated.len()
    );
    let (_, default) = app.control_json(Method::GET, "/_mock/requests", None).await;
    assert!(
        default["requests"].as_array().unwrap().is_empty(),
        "{default}"
    );
    assert_eq!(
        status(app.client.delete(app.url("/_mock/instances/worker"))).await,
        204
    );
    for (method, path, _) in &emulated {
        let body = json(
            app.client
                .request(method.parse().unwrap(), app.url(path))
                .bearer_auth(&token),
        )
        .await;
        assert_eq!(
            body["errors"][0]["code"],
            json!("601"),
            "{method} {path}: {body}"
        );
    }
}

#[tokio::test]
async fn an_instances_export_links_to_its_file_under_its_own_prefix() {
    let app = TestApp::spawn_with(MockServerBuilder::open_instances).await;
    let token = app.token_of("worker 3", "s").await;
    let created = json(
        app.client
            .post(app.url("/bulk/v1/leads/export/create.json"))
            .bearer_auth(&token)
            .json(&json!({"fields": ["id"], "filter": {"staticListId": 2001}})),
    )
    .await;
    let id = created["result"][0]["exportId"]
        .as_str()
        .unwrap()
        .to_owned();
    json(
        app.client
            .post(app.url(&format!("/bulk/v1/leads/export/{id}/enqueue.json")))
            .bearer_auth(&token),
    )
    .await;
    let (code, view) = app
        .control_json(
            Method::GET,
            &format!("/_mock/instances/worker%203/jobs/{id}/wait?status=Completed"),
            None,
        )
        .await;
    assert_eq!(code, 200, "{view}");
    let link = view["fileUrl"].as_str().unwrap();
    assert_eq!(link, format!("/_mock/instances/worker%203/jobs/{id}/file"));
    let file = app.client.get(app.url(link)).send().await.unwrap();
    assert_eq!(file.text().await.unwrap(), "id\n");
}

#[tokio::test]
async fn instances_are_added_listed_and_dropped_on_the_control_plane() {
    let app = TestApp::spawn().await;
    let (code, made) = app
        .control_json(
            Method::POST,
            "/_mock/instances",
            Some(json!({"clientId": "suite-1", "clientSecret": "s", "munchkinId": "123-ABC-456"})),
        )
        .await;
    assert_eq!(code, 201, "{made}");
    assert_eq!(made["munchkinId"], json!("123-ABC-456"));
    let (code, _) = app
        .control_json(
            Method::POST,
            "/_mock/instances",
            Some(json!({"clientId": "suite-1", "clientSecret": "t"})),
        )
        .await;
    assert_eq!(code, 409);
    let token = app.token_of("suite-1", "s").await;
    let created = app.import_as(&token, b"email\na@x.com\n").await;
    assert_eq!(created["success"], json!(true));
    let (code, _) = app
        .control_json(Method::DELETE, "/_mock/instances/mock-client-id", None)
        .await;
    assert_eq!(code, 400, "the default instance stays");
    let (code, _) = app
        .control_json(Method::GET, "/_mock/instances/nobody/clock", None)
        .await;
    assert_eq!(code, 404);
}

/// Writes files into a fresh directory; its path.
fn scratch(name: &str, files: &[(&str, String)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mbm-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    dir
}

#[tokio::test]
async fn an_instances_file_with_a_seed_file_starts_with_that_data() {
    let source = TestApp::spawn().await;
    source
        .import_leads_to_end("?listId=2001", sample("leads-good.csv"))
        .await;
    let export = json(source.client.get(source.url("/_mock/export"))).await;
    let dir = scratch(
        "instances",
        &[
            ("demo-seed.json", export.to_string()),
            (
                "instances.json",
                json!([{"clientId": "demo", "clientSecret": "s", "seed": "demo-seed.json"}])
                    .to_string(),
            ),
        ],
    );
    let app = TestApp::spawn_with(|server| {
        server
            .instances_file(dir.join("instances.json"))
            .seed_file(dir.join("demo-seed.json"))
    })
    .await;
    let demo = app.token_of("demo", "s").await;
    let found = app.leads_of(&demo, "alice.nguyen@example.com").await;
    assert_eq!(found[0]["firstName"], json!("Alice"));
    let default = app.token().await;
    assert_eq!(
        app.leads_of(&default, "carla.rossi@example.com").await[0]["lastName"],
        json!("Rossi")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_bad_instances_file_or_seed_file_stops_the_start_up_and_says_why() {
    let dir = scratch(
        "bad",
        &[
            ("not-a-list.json", r#"{"clientId": "x"}"#.to_owned()),
            (
                "bad-seed.json",
                r#"{"leads": [{"email": "a@x.com", "leadScore": "lots"}]}"#.to_owned(),
            ),
            (
                "seeded.json",
                json!([{"clientId": "x", "clientSecret": "s", "seed": "bad-seed.json"}])
                    .to_string(),
            ),
        ],
    );
    for (file, expected) in [
        ("not-a-list.json", "expected a list of"),
        (
            "seeded.json",
            "leads[0]: Invalid data type in field Lead Score",
        ),
    ] {
        let error = MockServer::builder()
            .instances_file(dir.join(file))
            .try_start()
            .await
            .expect_err("the start-up fails")
            .to_string();
        assert!(error.contains(expected), "{file}: {error}");
        assert!(
            error.contains(&dir.join(file).display().to_string()) || file == "seeded.json",
            "{error}"
        );
    }
    let error = MockServer::builder()
        .seed_file(dir.join("bad-seed.json"))
        .try_start()
        .await
        .expect_err("the start-up fails")
        .to_string();
    assert!(
        error.contains("bad-seed.json") && error.contains("leads[0]"),
        "{error}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
