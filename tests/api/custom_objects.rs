use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, assert_request_id, sample, without};

async fn import(app: &TestApp, api_name: &str, file: Vec<u8>) -> u64 {
    let (status, body) = app
        .post_file(
            &format!("/bulk/v1/customobjects/{api_name}/import.json?format=csv"),
            file,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let created = &body["result"][0];
    assert_eq!(created["objectApiName"], api_name);
    assert_eq!(created["status"], "Queued");
    let batch = created["batchId"].as_u64().unwrap();
    app.wait_for(batch, "Complete").await;
    batch
}

#[tokio::test]
async fn a_car_import_completes_with_the_custom_object_status_shape() {
    let app = TestApp::spawn_frozen(|server| server).await;
    app.import_leads_to_end("", sample("leads-good.csv")).await;
    let batch = import(&app, "car_c", sample("cars.csv")).await;
    let mut body = app
        .get_json(&format!(
            "/bulk/v1/customobjects/car_c/import/{batch}/status.json"
        ))
        .await;
    assert_request_id(&body);
    body["requestId"] = json!("[requestId]");
    insta::assert_json_snapshot!("car_status", body, {".result[0].batchId" => "[batchId]"});
    let (status, content_type, failures) = app
        .get_file(&format!(
            "/bulk/v1/customobjects/car_c/import/{batch}/failures.json"
        ))
        .await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, "text/csv;charset=UTF-8")
    );
    assert_eq!(
        failures,
        "vin,make,model,color,year,customerEmail,Import Failure Reason\n\
         1HGCM82633A004352,Honda,Accord,silver,nineteen,alice.nguyen@example.com,Invalid data type in field Year\n"
    );
    let (status, _, _) = app
        .get_file(&format!(
            "/bulk/v1/customobjects/car_c/import/{batch}/warnings.json"
        ))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_file_without_the_dedupe_column_fails_every_row_as_marketos_docs_show() {
    let app = TestApp::spawn().await;
    let batch = import(&app, "car_c", sample("cars-missing-dedupe.csv")).await;
    let status = &app
        .get_json(&format!(
            "/bulk/v1/customobjects/car_c/import/{batch}/status.json"
        ))
        .await["result"][0];
    assert_eq!(
        (
            status["numOfObjectsProcessed"].as_u64(),
            status["numOfRowsFailed"].as_u64()
        ),
        (Some(0), Some(1))
    );
    assert_eq!(
        status["message"],
        "Import completed with errors, 0 records imported (0 members), 1 failed"
    );
    let (_, _, failures) = app
        .get_file(&format!(
            "/bulk/v1/customobjects/car_c/import/{batch}/failures.json"
        ))
        .await;
    assert_eq!(
        failures,
        "color,make,model, vin,Import Failure Reason\nred,bmw,2002,WBA4R7C55HK895912,missing.dedupe.fields\n"
    );
}

#[tokio::test]
async fn reimporting_a_vin_updates_the_record_instead_of_adding_one() {
    let app = TestApp::spawn_frozen(|server| server).await;
    import(&app, "car_c", b"vin,color\nWBA1,red\nwba2,green\n".to_vec()).await;
    app.advance_clock(30);
    import(&app, "car_c", b"vin,color,year\nWBA1,blue,2020\n".to_vec()).await;
    let body = app.get_json("/rest/v1/customobjects/car_c.json?filterType=vin&filterValues=WBA1,WBA2&fields=vin,color,year,createdAt,updatedAt").await;
    let records = body["result"].as_array().unwrap();
    assert_eq!(records.len(), 2, "{body}");
    assert_eq!(
        (
            records[0]["seq"].as_u64(),
            records[0]["color"].as_str(),
            records[0]["year"].as_i64()
        ),
        (Some(0), Some("blue"), Some(2020))
    );
    assert_ne!(records[0]["createdAt"], records[0]["updatedAt"]);
    assert_eq!(
        (records[1]["seq"].as_u64(), records[1]["vin"].as_str()),
        (Some(1), Some("wba2"))
    );
}

#[tokio::test]
async fn default_record_fields_are_the_id_dedupe_fields_and_timestamps() {
    let app = TestApp::spawn().await;
    import(&app, "car_c", b"vin,make\nWBA9,BMW\n".to_vec()).await;
    let body = app
        .get_json("/rest/v1/customobjects/car_c.json?filterType=vin&filterValues=WBA9")
        .await;
    let record = body["result"][0].as_object().unwrap();
    let keys: Vec<&str> = record.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["seq", "marketoGUID", "vin", "createdAt", "updatedAt"]
    );
    let guid = record["marketoGUID"].as_str().unwrap();
    let by_id = app
        .get_json(&format!(
            "/rest/v1/customobjects/car_c.json?filterType=idField&filterValues={guid}&fields=make"
        ))
        .await;
    assert_eq!(
        by_id["result"],
        json!([{"seq": 0, "marketoGUID": guid, "make": "BMW"}])
    );
    let by_alias = app.get_json("/rest/v1/customobjects/car_c.json?filterType=dedupeFields&filterValues=WBA9&fields=make").await;
    assert_eq!(
        without(&by_alias["result"], "marketoGUID"),
        json!([{"seq": 0, "make": "BMW"}])
    );
}

#[tokio::test]
async fn a_compound_dedupe_key_keeps_rows_apart_and_is_queried_with_a_json_body() {
    let app = TestApp::spawn().await;
    import(&app, "subscription_c", sample("subscriptions.csv")).await;
    import(
        &app,
        "subscription_c",
        b"accountNumber,productCode,seats\nACC-10001,CRM-PRO,30\n".to_vec(),
    )
    .await;
    let token = app.token().await;
    let body: Value = app
        .client
        .post(app.url("/rest/v1/customobjects/subscription_c.json?_method=GET"))
        .bearer_auth(token)
        .json(&json!({
            "filterType": "dedupeFields",
            "fields": ["accountNumber", "productCode", "seats"],
            "input": [{"accountNumber": "ACC-10001", "productCode": "CRM-PRO"}, {"accountNumber": "ACC-10001", "productCode": "MKT-STD"}]
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        without(&body["result"], "marketoGUID"),
        json!([
            {"seq": 0, "accountNumber": "ACC-10001", "productCode": "CRM-PRO", "seats": 30},
            {"seq": 1, "accountNumber": "ACC-10001", "productCode": "MKT-STD", "seats": 10}
        ])
    );
}

#[tokio::test]
async fn a_link_to_an_unknown_lead_is_imported_with_a_warning() {
    let app = TestApp::spawn().await;
    app.import_leads_to_end("", b"email\nowner@example.com\n".to_vec())
        .await;
    let batch = import(
        &app,
        "car_c",
        b"vin,customerEmail\nL1,owner@example.com\nL2,stranger@example.com\n".to_vec(),
    )
    .await;
    let status = &app
        .get_json(&format!(
            "/bulk/v1/customobjects/car_c/import/{batch}/status.json"
        ))
        .await["result"][0];
    assert_eq!(
        (
            status["numOfObjectsProcessed"].as_u64(),
            status["numOfRowsWithWarning"].as_u64()
        ),
        (Some(2), Some(1))
    );
    let (_, _, warnings) = app
        .get_file(&format!(
            "/bulk/v1/customobjects/car_c/import/{batch}/warnings.json"
        ))
        .await;
    assert_eq!(
        warnings,
        "vin,customerEmail,Import Warning Reason\nL2,stranger@example.com,No lead found for link field customerEmail\n"
    );
}

#[tokio::test]
async fn custom_object_create_errors_are_refused_before_a_job_exists() {
    let app = TestApp::spawn().await;
    let import = "/bulk/v1/customobjects/car_c/import.json";
    let cases: [(&str, Vec<u8>, &str, &str); 4] = [
        (
            "/bulk/v1/customobjects/boat_c/import.json",
            sample("cars.csv"),
            "1013",
            "Object not found",
        ),
        (
            import,
            b"vin,wheels\nX,4\n".to_vec(),
            "1006",
            "Field 'wheels' not found",
        ),
        (
            import,
            b"vin,marketoGUID\nX,y\n".to_vec(),
            "1011",
            "Field 'marketoGUID' not supported",
        ),
        (
            "/bulk/v1/customobjects/car_c/import.json?format=json",
            sample("cars.csv"),
            "1001",
            "Invalid value 'json'. Required of type 'csv, tsv, ssv'",
        ),
    ];
    for (path, file, code, message) in cases {
        let (_, body) = app.post_file(path, file).await;
        assert_error(&body, code, message);
    }
    assert_eq!(app.jobs().await["jobs"], json!([]));
}

#[tokio::test]
async fn a_batch_is_found_only_under_its_own_object_name_and_type() {
    let app = TestApp::spawn().await;
    let batch = import(&app, "car_c", sample("cars.csv")).await;
    let other = app
        .get_json(&format!(
            "/bulk/v1/customobjects/subscription_c/import/{batch}/status.json"
        ))
        .await;
    assert_error(&other, "1013", "Object not found");
    let as_leads = app.lead_status(batch).await;
    assert_error(&as_leads, "1013", "Object not found");
}

#[tokio::test]
async fn the_custom_object_list_and_describe_show_the_fixture_types() {
    let app = TestApp::spawn().await;
    let list = app
        .get_json("/rest/v1/customobjects.json?names=car_c")
        .await;
    assert_eq!(list["result"].as_array().unwrap().len(), 1);
    assert_eq!(list["result"][0]["dedupeFields"], json!(["vin"]));
    assert!(list["result"][0].get("fields").is_none());
    let all = app.get_json("/rest/v1/customobjects.json").await;
    assert_eq!(all["result"].as_array().unwrap().len(), 2);
    let describe = app
        .get_json("/rest/v1/customobjects/subscription_c/describe.json")
        .await;
    assert_eq!(
        describe["result"][0]["dedupeFields"],
        json!(["accountNumber", "productCode"])
    );
    assert_eq!(describe["result"][0]["idField"], "marketoGUID");
    assert!(
        describe["result"][0]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "seats")
    );
    assert_error(
        &app.get_json("/rest/v1/customobjects/boat_c/describe.json")
            .await,
        "1013",
        "Object not found",
    );
}
