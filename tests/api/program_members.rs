use serde_json::json;

use crate::helpers::{TestApp, assert_error, assert_request_id, sample, without};

async fn import(app: &TestApp, program: u32, status: &str, file: Vec<u8>) -> u64 {
    let path = format!(
        "/bulk/v1/program/{program}/members/import.json?format=csv&programMemberStatus={status}"
    );
    let (code, body) = app.post_file(&path, file).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["success"], true, "{body}");
    let batch = body["result"][0]["batchId"].as_u64().unwrap();
    assert_eq!(body["result"][0]["importId"], json!(batch.to_string()));
    app.wait_for(batch, "Complete").await;
    batch
}

#[tokio::test]
async fn the_docs_example_imports_three_members_on_list_and_fails_the_bad_row() {
    let app = TestApp::spawn().await;
    let batch = import(&app, 1001, "On+List", sample("program-members.csv")).await;
    let mut body = app
        .get_json(&format!(
            "/bulk/v1/program/members/import/{batch}/status.json"
        ))
        .await;
    assert_request_id(&body);
    body["requestId"] = json!("[requestId]");
    insta::assert_json_snapshot!("members_status", body, {".result[0].batchId" => "[batchId]", ".result[0].importId" => "[importId]"});
    let (_, content_type, failures) = app
        .get_file(&format!(
            "/bulk/v1/program/members/import/{batch}/failures.json"
        ))
        .await;
    assert_eq!(content_type, "text/csv;charset=UTF-8");
    assert_eq!(
        failures,
        "firstName,lastName,email,title,company,leadScore,Import Failure Reason\n\
         Aerys,Targaryen,Aerys@Targaryen.com,Targaryen,House Targaryen,TEXT_VALUE_IN_INTEGER_FIELD,Invalid data type in field Lead Score\n"
    );
    let members = app.get_json("/rest/v1/programs/1001/members.json?filterType=statusName&filterValues=On List&fields=leadId,statusName,acquiredBy,reachedSuccess").await;
    let members = members["result"].as_array().unwrap();
    assert_eq!(members.len(), 3);
    assert!(members.iter().all(|m| m["statusName"] == "On List"
        && m["acquiredBy"] == true
        && m["reachedSuccess"] == false));
    let leads = app.get_json("/rest/v1/leads.json?filterType=email&filterValues=Tywin@Lannister.com&fields=firstName,company").await;
    assert_eq!(
        without(&leads["result"], "id"),
        json!([{"firstName": "Tywin", "company": "House Lannister"}])
    );
}

#[tokio::test]
async fn members_advance_through_statuses_and_are_never_moved_back() {
    let app = TestApp::spawn().await;
    app.import_leads_to_end("", b"email\nwebby@example.com\n".to_vec())
        .await;
    import(
        &app,
        1002,
        "Registered",
        b"email\nwebby@example.com\n".to_vec(),
    )
    .await;
    import(
        &app,
        1002,
        "Attended",
        b"email\nwebby@example.com\n".to_vec(),
    )
    .await;
    let batch = import(
        &app,
        1002,
        "Registered",
        b"email\nwebby@example.com\n".to_vec(),
    )
    .await;
    let status = &app
        .get_json(&format!(
            "/bulk/v1/program/members/import/{batch}/status.json"
        ))
        .await["result"][0];
    assert_eq!(
        status["message"],
        "Import succeeded, 1 records imported (1 members), 1 warning."
    );
    let (_, _, warnings) = app
        .get_file(&format!(
            "/bulk/v1/program/members/import/{batch}/warnings.json"
        ))
        .await;
    assert_eq!(
        warnings,
        "email,Import Warning Reason\nwebby@example.com,Lead skipped because it is already in or past this status\n"
    );
    let lead = app
        .get_json("/rest/v1/leads.json?filterType=email&filterValues=webby@example.com")
        .await;
    let id = lead["result"][0]["id"].as_u64().unwrap();
    let member = app.get_json(&format!("/rest/v1/programs/1002/members.json?filterType=leadId&filterValues={id}&fields=statusName,reachedSuccess,acquiredBy,reachedSuccessDate")).await;
    let member = &member["result"][0];
    assert_eq!(
        (
            member["statusName"].as_str(),
            member["reachedSuccess"].as_bool(),
            member["acquiredBy"].as_bool()
        ),
        (Some("Attended"), Some(true), Some(false))
    );
    assert!(member["reachedSuccessDate"].is_string());
}

#[tokio::test]
async fn member_custom_fields_are_stored_with_the_membership() {
    let app = TestApp::spawn().await;
    import(
        &app,
        1002,
        "Invited",
        b"email,firstName,registrationCode,sessionCount\nreg@example.com,Reg,ABC-123,2\n".to_vec(),
    )
    .await;
    let body = app.get_json("/rest/v1/programs/1002/members.json?filterType=registrationCode&filterValues=ABC-123&fields=registrationCode,sessionCount,statusName").await;
    assert_eq!(
        body["result"],
        json!([{"seq": 0, "registrationCode": "ABC-123", "sessionCount": 2, "statusName": "Invited"}])
    );
    assert_eq!(body["moreResult"], false);
}

#[tokio::test]
async fn a_row_without_an_email_fails() {
    let app = TestApp::spawn().await;
    let batch = import(
        &app,
        1001,
        "On List",
        b"email,firstName\n,Nomail\n".to_vec(),
    )
    .await;
    let (_, _, failures) = app
        .get_file(&format!(
            "/bulk/v1/program/members/import/{batch}/failures.json"
        ))
        .await;
    assert_eq!(
        failures,
        "email,firstName,Import Failure Reason\n,Nomail,Value for lookup field 'email' not found\n"
    );
}

#[tokio::test]
async fn program_member_create_errors_are_refused_before_a_job_exists() {
    let app = TestApp::spawn().await;
    let file = sample("program-members.csv");
    let (_, body) = app
        .post_file(
            "/bulk/v1/program/9999/members/import.json?programMemberStatus=On+List",
            file.clone(),
        )
        .await;
    assert_error(&body, "1013", "Program not found");
    let (_, body) = app
        .post_file("/bulk/v1/program/1001/members/import.json", file.clone())
        .await;
    assert_error(
        &body,
        "1002",
        "Missing value for required parameter 'programMemberStatus'",
    );
    let (_, body) = app
        .post_file(
            "/bulk/v1/program/1001/members/import.json?programMemberStatus=Attended",
            file.clone(),
        )
        .await;
    assert_error(&body, "1025", "Program status not found");
    let (_, body) = app
        .post_file(
            "/bulk/v1/program/1001/members/import.json?programMemberStatus=On+List",
            b"email,statusName\na@x.com,On List\n".to_vec(),
        )
        .await;
    assert_error(&body, "1011", "Field 'statusName' not supported");
    assert_eq!(app.jobs().await["jobs"], json!([]));
}

#[tokio::test]
async fn leads_by_program_carry_their_membership() {
    let app = TestApp::spawn().await;
    import(
        &app,
        1003,
        "Visited Booth",
        b"email,firstName\nbooth@example.com,Bo\n".to_vec(),
    )
    .await;
    let body = app
        .get_json("/rest/v1/leads/programs/1003.json?fields=email,firstName")
        .await;
    let lead = &body["result"][0];
    assert_eq!(lead["email"], "booth@example.com");
    assert_eq!(lead["membership"]["progressionStatus"], "Visited Booth");
    assert_eq!(lead["membership"]["reachedSuccess"], true);
    assert_eq!(lead["membership"]["acquiredBy"], true);
    assert!(lead["membership"].get("stream").is_none(), "{lead}");
    assert!(lead["membership"].get("nurtureCadence").is_none(), "{lead}");
    // The same query as a form POST with `_method=GET`, as marketorestpython sends it.
    let token = app.token().await;
    let posted: serde_json::Value = app
        .client
        .post(app.url("/rest/v1/leads/programs/1003.json?_method=GET"))
        .bearer_auth(token)
        .form(&[("fields", "email,firstName")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(posted["result"], body["result"]);
    let describe = app
        .get_json("/rest/v1/programs/members/describe.json")
        .await;
    assert_eq!(describe["result"][0]["name"], "API Program Membership");
    assert!(
        describe["result"][0]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "registrationCode" && f["updateable"] == true)
    );
    assert_eq!(
        app.get_json("/rest/v1/program/members/describe.json").await["result"],
        describe["result"]
    );
    assert_error(
        &app.get_json("/rest/v1/programs/42/members.json?filterType=leadId&filterValues=1")
            .await,
        "1013",
        "Program not found",
    );
}

#[tokio::test]
async fn the_program_member_describe_has_adobes_times_and_flags_no_field_as_crm_managed() {
    let app = TestApp::spawn().await;
    for path in [
        "/rest/v1/programs/members/describe.json",
        "/rest/v1/program/members/describe.json",
    ] {
        let describe = &app.get_json(path).await["result"][0];
        assert_eq!(describe["createdAt"], "2021-03-20T01:30:05Z", "{path}");
        assert_eq!(describe["updatedAt"], "2021-03-20T01:30:05Z", "{path}");
        let keys: Vec<&String> = describe.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "name",
                "description",
                "createdAt",
                "updatedAt",
                "dedupeFields",
                "searchableFields",
                "fields"
            ],
            "{path}"
        );
        for field in describe["fields"].as_array().unwrap() {
            assert_eq!(field["crmManaged"], false, "{path}: {field}");
        }
    }
}
