use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, json, sample, without};

#[tokio::test]
async fn every_imported_field_reads_back_in_its_type() {
    let app = TestApp::spawn().await;
    let file = "email,firstName,company,leadScore,annualRevenue,unsubscribed,dateOfBirth,lastLoginAt,website,notes,discountRate\n\
                typed@example.com,Tia,\"Acme, Inc.\",42,1250000.5,true,1990-02-03,2024-05-06T07:08:09Z,https://acme.example,\"two\nlines\",12.5\n";
    app.import_leads_to_end("", file.as_bytes().to_vec()).await;
    let fields = "email,firstName,company,leadScore,annualRevenue,unsubscribed,dateOfBirth,lastLoginAt,website,notes,discountRate,leadPartitionId";
    let body = app
        .get_json(&format!(
            "/rest/v1/leads.json?filterType=email&filterValues=typed@example.com&fields={fields}"
        ))
        .await;
    let lead = &body["result"][0];
    assert!(
        lead["id"].as_u64().is_some(),
        "the id always comes first: {lead}"
    );
    assert_eq!(
        without(&body["result"], "id")[0],
        json!({
            "email": "typed@example.com",
            "firstName": "Tia",
            "company": "Acme, Inc.",
            "leadScore": 42,
            "annualRevenue": 1250000.5,
            "unsubscribed": true,
            "dateOfBirth": "1990-02-03",
            "lastLoginAt": "2024-05-06T07:08:09Z",
            "website": "https://acme.example",
            "notes": "two\nlines",
            "discountRate": 12.5,
            "leadPartitionId": 1
        })
    );
}

#[tokio::test]
async fn default_fields_are_marketos_six_and_absent_values_are_null() {
    let app = TestApp::spawn_frozen(|server| server).await;
    app.import_leads_to_end("", b"email,firstName\nsix@example.com,Sia\n".to_vec())
        .await;
    let body = app
        .get_json("/rest/v1/leads.json?filterType=email&filterValues=six@example.com")
        .await;
    let lead = &body["result"][0];
    let keys: Vec<&str> = lead
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "updatedAt",
            "lastName",
            "email",
            "createdAt",
            "firstName"
        ]
    );
    assert_eq!(lead["lastName"], Value::Null);
    assert_eq!(lead["createdAt"], lead["updatedAt"]);
    assert!(lead["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body["moreResult"], false);
}

#[tokio::test]
async fn reimporting_updates_in_place_and_empty_cells_leave_values_unchanged() {
    let app = TestApp::spawn_frozen(|server| server).await;
    app.import_leads_to_end(
        "",
        b"email,firstName,title\nup@example.com,Una,CTO\n".to_vec(),
    )
    .await;
    app.advance_clock(60);
    app.import_leads_to_end(
        "",
        b"email,firstName,title\nUP@example.com,,CEO\nup@example.com,Uma,\n".to_vec(),
    )
    .await;
    let body = app.get_json("/rest/v1/leads.json?filterType=email&filterValues=up@example.com&fields=id,firstName,title,createdAt,updatedAt").await;
    let leads = body["result"].as_array().unwrap();
    assert_eq!(leads.len(), 1, "{body}");
    assert_eq!(leads[0]["firstName"], "Uma", "the later duplicate wins");
    assert_eq!(leads[0]["title"], "CEO", "an empty cell leaves the value");
    assert_ne!(leads[0]["createdAt"], leads[0]["updatedAt"]);
}

#[tokio::test]
async fn lookup_by_id_updates_existing_leads_and_fails_unknown_ids() {
    let app = TestApp::spawn().await;
    app.import_leads_to_end("", b"email,firstName\nid@example.com,Ida\n".to_vec())
        .await;
    let found = app
        .get_json("/rest/v1/leads.json?filterType=email&filterValues=id@example.com")
        .await;
    let id = found["result"][0]["id"].as_u64().unwrap();
    let file = format!("id,firstName\n{id},Idris\n999999,Nobody\n");
    let batch = app
        .import_leads_to_end("?lookupField=id", file.into_bytes())
        .await;
    assert_eq!(app.lead_counts(batch).await, (Some(1), Some(1)));
    let failures = app.lead_file(batch, "failures").await;
    assert_eq!(
        failures,
        "id,firstName,Import Failure Reason\n999999,Nobody,Lead not found\n"
    );
    let lead = app
        .get_json(&format!("/rest/v1/lead/{id}.json?fields=firstName,email"))
        .await;
    assert_eq!(
        lead["result"],
        json!([{"id": id, "firstName": "Idris", "email": "id@example.com"}])
    );
}

#[tokio::test]
async fn a_custom_lookup_field_dedupes_on_its_value() {
    let app = TestApp::spawn().await;
    app.import_leads_to_end(
        "?lookupField=loyaltyNumber",
        b"loyaltyNumber,email\n77,l1@example.com\n77,l2@example.com\n".to_vec(),
    )
    .await;
    let body = app
        .get_json("/rest/v1/leads.json?filterType=loyaltyNumber&filterValues=77&fields=email")
        .await;
    assert_eq!(
        without(&body["result"], "id"),
        json!([{"email": "l2@example.com"}])
    );
}

#[tokio::test]
async fn leads_imported_into_a_partition_live_there() {
    let app = TestApp::spawn().await;
    app.import_leads_to_end("?partitionName=Europe", b"email\neu@example.com\n".to_vec())
        .await;
    app.import_leads_to_end("", b"email\neu@example.com\n".to_vec())
        .await;
    let body = app.get_json("/rest/v1/leads.json?filterType=email&filterValues=eu@example.com&fields=email,leadPartitionId").await;
    assert_eq!(
        without(&body["result"], "id"),
        json!([{"email": "eu@example.com", "leadPartitionId": 2}, {"email": "eu@example.com", "leadPartitionId": 1}])
    );
    let europe = app
        .get_json("/rest/v1/leads.json?filterType=leadPartitionId&filterValues=2&fields=email")
        .await;
    assert_eq!(
        without(&europe["result"], "id"),
        json!([{"email": "eu@example.com"}])
    );
    let partitions = app.get_json("/rest/v1/leads/partitions.json").await;
    assert_eq!(partitions["result"][1]["name"], "Europe");
}

#[tokio::test]
async fn a_query_pages_with_batch_size_and_next_page_token() {
    let app = TestApp::spawn().await;
    let file: String = std::iter::once("email,company\n".to_owned())
        .chain((0..5).map(|n| format!("p{n}@example.com,Pager\n")))
        .collect();
    app.import_leads_to_end("?listId=2002", file.into_bytes())
        .await;
    let first = app
        .get_json("/rest/v1/lists/2002/leads.json?batchSize=2&fields=email")
        .await;
    assert_eq!(
        without(&first["result"], "id"),
        json!([{"email": "p0@example.com"}, {"email": "p1@example.com"}])
    );
    assert_eq!(first["moreResult"], true);
    let token = first["nextPageToken"].as_str().unwrap();
    let second = app
        .get_json(&format!(
            "/rest/v1/lists/2002/leads.json?batchSize=3&fields=email&nextPageToken={token}"
        ))
        .await;
    assert_eq!(second["result"].as_array().unwrap().len(), 3);
    assert_eq!(second["moreResult"], false);
    assert!(second.get("nextPageToken").is_none());
}

#[tokio::test]
async fn a_query_with_many_values_can_be_posted_as_a_form_with_method_get() {
    let app = TestApp::spawn().await;
    app.import_leads_to_end("", sample("leads-good.csv")).await;
    let token = app.token().await;
    let body: Value = json(app.client.post(app.url("/rest/v1/leads.json?_method=GET")).bearer_auth(token).header("content-type", "application/x-www-form-urlencoded").body("filterType=email&filterValues=alice.nguyen%40example.com,bruno.schmidt%40example.com&fields=email")).await;
    assert_eq!(body["result"].as_array().unwrap().len(), 2, "{body}");
}

#[tokio::test]
async fn query_errors_are_marketo_shaped() {
    let app = TestApp::spawn().await;
    assert_error(
        &app.get_json("/rest/v1/leads.json?filterValues=a").await,
        "1002",
        "Missing value for required parameter 'filterType'",
    );
    assert_error(
        &app.get_json("/rest/v1/leads.json?filterType=email").await,
        "1002",
        "Missing value for required parameter 'filterValues'",
    );
    assert_error(
        &app.get_json("/rest/v1/leads.json?filterType=userId&filterValues=1")
            .await,
        "1006",
        "Lookup field 'userId' not found",
    );
    assert_error(
        &app.get_json(
            "/rest/v1/leads.json?filterType=email&filterValues=a@b.c&fields=email,shoeSize",
        )
        .await,
        "1006",
        "Field 'shoeSize' not found",
    );
    assert_error(
        &app.get_json("/rest/v1/leads.json?filterType=email&filterValues=a@b.c&batchSize=301")
            .await,
        "1001",
        "Invalid value '301'. Required of type 'integer from 1 to 300'",
    );
    assert_error(
        &app.get_json("/rest/v1/lists/1/leads.json").await,
        "1013",
        "Static list not found",
    );
    let none = app
        .get_json("/rest/v1/leads.json?filterType=email&filterValues=nobody@example.com")
        .await;
    assert_eq!(none["result"], json!([]));
    assert_eq!(none["success"], true);
}

#[tokio::test]
async fn describe_lists_every_field_with_rest_and_soap_names() {
    let app = TestApp::spawn().await;
    let body = app.get_json("/rest/v1/leads/describe.json").await;
    let fields = body["result"].as_array().unwrap();
    let score = fields
        .iter()
        .find(|f| f["rest"]["name"] == "leadScore")
        .unwrap();
    assert_eq!(score["displayName"], "Lead Score");
    assert_eq!(score["dataType"], "integer");
    let email = fields
        .iter()
        .find(|f| f["rest"]["name"] == "email")
        .unwrap();
    assert_eq!(email["length"], 255);
    assert_eq!(email["soap"]["name"], "Email");
    let body = app.get_json("/rest/v1/leads/describe2.json").await;
    assert_eq!(body["result"][0]["name"], "API Lead");
    assert!(
        body["result"][0]["searchableFields"]
            .as_array()
            .unwrap()
            .contains(&json!(["email"]))
    );
}

#[tokio::test]
async fn no_describe_sends_null_for_a_member_a_field_lacks() {
    let app = TestApp::spawn().await;
    for path in [
        "/rest/v1/leads/describe.json",
        "/rest/v1/leads/describe2.json",
        "/rest/v1/programs/members/describe.json",
        "/rest/v1/customobjects/car_c/describe.json",
    ] {
        let body = app.get_json(path).await;
        assert!(!has_null(&body["result"]), "{path}: {body}");
    }
    let body = app.get_json("/rest/v1/leads/describe2.json").await;
    let fields = body["result"][0]["fields"].as_array().unwrap();
    let field = |name: &str| fields.iter().find(|f| f["name"] == name).unwrap();
    assert_eq!(field("email")["length"], 255);
    assert!(field("leadScore").get("length").is_none());
}

fn has_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.iter().any(has_null),
        Value::Object(members) => members.values().any(has_null),
        _ => false,
    }
}
