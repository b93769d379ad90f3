//! Activities through HTTP: what imports write, the REST reads with their paging and errors,
//! and the bulk activity export.

use reqwest::Method;
use serde_json::{Value, json};

use crate::exports::around_now;
use crate::helpers::{TestApp, assert_error, sample};

const ACTIVITIES: &str = "activities";

impl TestApp {
    async fn paging_token(&self, since: &str) -> String {
        let body = self
            .get_json(&format!(
                "/rest/v1/activities/pagingtoken.json?sinceDatetime={since}"
            ))
            .await;
        assert_eq!(body["success"], json!(true), "{body}");
        assert!(body.get("result").is_none(), "{body}");
        body["nextPageToken"].as_str().unwrap().to_owned()
    }

    /// Every activity of these types from the start of the log, following the pages.
    async fn all_activities(&self, types: &str) -> Vec<Value> {
        let mut token = self.paging_token("2000-01-01").await;
        let mut found = Vec::new();
        loop {
            let page = self
                .get_json(&format!(
                    "/rest/v1/activities.json?nextPageToken={token}&activityTypeIds={types}"
                ))
                .await;
            assert_eq!(page["success"], json!(true), "{page}");
            found.extend(page["result"].as_array().cloned().unwrap_or_default());
            token = page["nextPageToken"].as_str().unwrap().to_owned();
            if page["moreResult"] == json!(false) {
                return found;
            }
        }
    }
}

/// An activity's attributes as a name-to-value object, for comparing.
fn attributes(activity: &Value) -> Value {
    let mut object = serde_json::Map::new();
    for attribute in activity["attributes"].as_array().unwrap() {
        object.insert(
            attribute["name"].as_str().unwrap().to_owned(),
            attribute["value"].clone(),
        );
    }
    Value::Object(object)
}

#[tokio::test]
async fn the_activity_types_are_marketos_standard_ones() {
    let app = TestApp::spawn().await;
    let body = app
        .get_json("/rest/v1/activities/types.json?batchSize=300&nextPageToken=")
        .await;
    let types = body["result"].as_array().unwrap();
    let named = |id: u64| types.iter().find(|t| t["id"] == json!(id)).unwrap();
    for (id, name) in [
        (12, "New Lead"),
        (13, "Change Data Value"),
        (22, "Change Score"),
        (24, "Add to List"),
        (25, "Remove from List"),
        (104, "Change Status in Progression"),
        (1, "Visit Webpage"),
    ] {
        assert_eq!(named(id)["name"], json!(name));
    }
    assert!(
        named(12).get("primaryAttribute").is_none(),
        "New Lead has none"
    );
    assert_eq!(named(24)["primaryAttribute"]["name"], json!("List ID"));
    assert!(body.get("nextPageToken").is_none(), "one page only");
}

#[tokio::test]
async fn imports_write_every_activity_marketo_writes_for_them() {
    let app = TestApp::spawn().await;
    app.import_leads_to_end("?listId=2001", sample("leads-good.csv"))
        .await;
    // The same file again changes nothing, so it writes nothing.
    app.import_leads_to_end("?listId=2001", sample("leads-good.csv"))
        .await;
    app.import_leads_to_end(
        "",
        b"email,title,leadScore\nalice.nguyen@example.com,CMO,90\n".to_vec(),
    )
    .await;
    let (code, body) = app
        .post_file(
            "/bulk/v1/program/1002/members/import.json?programMemberStatus=Registered",
            b"email,firstName\nalice.nguyen@example.com,Alice\nnew.person@example.com,New\n"
                .to_vec(),
        )
        .await;
    assert_eq!(code, 200);
    app.wait_for(body["result"][0]["batchId"].as_u64().unwrap(), "Complete")
        .await;
    let all = app.all_activities("12,13,22,24,25,104").await;
    let kinds: Vec<u64> = all
        .iter()
        .map(|a| a["activityTypeId"].as_u64().unwrap())
        .collect();
    // Rows are written in file order: Alice's new status, then the new person and theirs.
    assert_eq!(kinds, [12, 12, 12, 24, 24, 24, 13, 22, 13, 104, 12, 104]);
    for (at, activity) in all.iter().enumerate() {
        assert_eq!(activity["id"], json!(at + 1));
        assert_eq!(activity["marketoGUID"], json!((at + 1).to_string()));
        let date = activity["activityDate"].as_str().unwrap();
        assert!(date.len() == 20 && date.ends_with('Z'), "{date}");
        assert!(activity.get("campaignId").is_none(), "{activity}");
    }
    let new_lead = &all[0];
    assert_eq!(
        (
            &new_lead["leadId"],
            &new_lead["primaryAttributeValueId"],
            &new_lead["primaryAttributeValue"]
        ),
        (&json!(1), &json!(1), &json!("Alice Nguyen"))
    );
    let created = attributes(new_lead);
    assert_eq!(created["List Name"], json!("Partner Leads"));
    assert_eq!(created["Source Type"], json!("List import"));
    assert_eq!(created["Created Date"].as_str().unwrap().len(), 10);
    let added = &all[3];
    assert_eq!(
        (
            &added["primaryAttributeValueId"],
            &added["primaryAttributeValue"]
        ),
        (&json!(2001), &json!("Partner Leads"))
    );
    let title = &all[6];
    assert_eq!(title["primaryAttributeValue"], json!("Job Title"));
    assert_eq!(
        attributes(title),
        json!({"New Value": "CMO", "Old Value": "VP Marketing", "Reason": "Bulk lead import", "Source": "List import"})
    );
    let score = &all[7];
    assert_eq!(score["primaryAttributeValue"], json!("Lead Score"));
    assert_eq!(
        attributes(score),
        json!({"Change Value": "+5", "New Value": 90, "Old Value": 85, "Reason": "Bulk lead import"})
    );
    assert_eq!(
        attributes(&all[8])["New Value"],
        json!("90"),
        "and a Change Data Value"
    );
    let existing = &all[9];
    assert_eq!(
        (&existing["leadId"], &existing["primaryAttributeValue"]),
        (&json!(1), &json!("Product Webinar - March 2024"))
    );
    let status = attributes(existing);
    assert_eq!(
        (
            &status["Old Status"],
            &status["New Status"],
            &status["Success"],
            &status["Acquired By"]
        ),
        (
            &json!("Not in Program"),
            &json!("Registered"),
            &json!(false),
            &json!(false)
        )
    );
    assert!(status["Old Status ID"].is_u64() && status["New Status ID"].is_u64());
    assert_ne!(status["Old Status ID"], status["New Status ID"]);
    assert_eq!(
        attributes(&all[11])["Acquired By"],
        json!(true),
        "the new person"
    );
    assert_eq!(
        all[10]["leadId"], all[11]["leadId"],
        "New Lead for the member import's new lead"
    );
}

#[tokio::test]
async fn a_token_pages_through_the_log_and_later_reads_only_what_happened_since() {
    let app = TestApp::spawn().await;
    app.import_leads_to_end("", sample("leads-good.csv")).await;
    let token = app.paging_token("2000-01-01T00:00:00Z").await;
    let first = app
        .get_json(&format!(
            "/rest/v1/activities.json?nextPageToken={token}&activityTypeIds=12&batchSize=2"
        ))
        .await;
    assert_eq!(first["result"].as_array().unwrap().len(), 2);
    assert_eq!(first["moreResult"], json!(true));
    let next = first["nextPageToken"].as_str().unwrap();
    let second = app
        .get_json(&format!(
            "/rest/v1/activities.json?nextPageToken={next}&activityTypeIds=12&batchSize=2"
        ))
        .await;
    assert_eq!(second["result"][0]["leadId"], json!(3));
    assert_eq!(second["moreResult"], json!(false));
    let caught_up = second["nextPageToken"].as_str().unwrap().to_owned();
    let nothing = app
        .get_json(&format!(
            "/rest/v1/activities.json?nextPageToken={caught_up}&activityTypeIds=12"
        ))
        .await;
    assert!(nothing.get("result").is_none(), "{nothing}");
    assert_eq!(nothing["moreResult"], json!(false));
    assert!(nothing["nextPageToken"].is_string());
    app.import_leads_to_end("", b"email\nlater@example.com\n".to_vec())
        .await;
    let later = app
        .get_json(&format!(
            "/rest/v1/activities.json?nextPageToken={caught_up}&activityTypeIds=12&activityTypeIds=13"
        ))
        .await;
    assert_eq!(later["result"].as_array().unwrap().len(), 1);
    assert_eq!(later["result"][0]["leadId"], json!(4));
    let future = app.paging_token("2999-01-01").await;
    let empty = app
        .get_json(&format!(
            "/rest/v1/activities.json?nextPageToken={future}&activityTypeIds=12"
        ))
        .await;
    assert!(empty.get("result").is_none());
}

#[tokio::test]
async fn activities_are_filtered_by_lead_and_list() {
    let app = TestApp::spawn().await;
    app.import_leads_to_end("?listId=2002", b"email\na@x.com\nb@x.com\n".to_vec())
        .await;
    app.import_leads_to_end("", b"email\nc@x.com\n".to_vec())
        .await;
    let token = app.paging_token("2000-01-01").await;
    let leads_of = |body: Value| -> Vec<u64> {
        body["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["leadId"].as_u64().unwrap())
            .collect()
    };
    let by_leads = app
        .get_json(&format!(
            "/rest/v1/activities.json?nextPageToken={token}&activityTypeIds=12&leadIds=1,3"
        ))
        .await;
    assert_eq!(leads_of(by_leads), [1, 3]);
    let by_list = app
        .get_json(&format!(
            "/rest/v1/activities.json?nextPageToken={token}&activityTypeIds=12,24&listId=2002"
        ))
        .await;
    assert_eq!(leads_of(by_list), [1, 2, 1, 2]);
}

#[tokio::test]
async fn bad_activity_queries_get_marketos_codes() {
    let app = TestApp::spawn().await;
    let token = app.paging_token("2000-01-01").await;
    let eleven = (1..=11)
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let leads = (1..=31)
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(",");
    for (query, code, message) in [
        (
            "activities.json?activityTypeIds=12".to_owned(),
            "1002",
            "Missing value for required parameter 'nextPageToken'",
        ),
        (
            format!("activities.json?nextPageToken={token}"),
            "1002",
            "Missing value for required parameter 'activityTypeIds'",
        ),
        (
            format!("activities.json?nextPageToken={token}&activityTypeIds={eleven}"),
            "1003",
            "Too many activityTypeIds: at most 10",
        ),
        (
            format!("activities.json?nextPageToken={token}&activityTypeIds=new"),
            "1001",
            "Invalid value 'new'. Required of type 'integer'",
        ),
        (
            "activities.json?nextPageToken=NOPE&activityTypeIds=12".to_owned(),
            "1001",
            "Invalid value 'NOPE'. Required of type 'nextPageToken'",
        ),
        (
            format!("activities.json?nextPageToken={token}&activityTypeIds=12&leadIds={leads}"),
            "1003",
            "Too many leadIds: at most 30",
        ),
        (
            format!("activities.json?nextPageToken={token}&activityTypeIds=12&listId=9"),
            "1013",
            "Static list not found",
        ),
        (
            format!("activities.json?nextPageToken={token}&activityTypeIds=12&batchSize=301"),
            "1001",
            "Invalid value '301'. Required of type 'integer from 1 to 300'",
        ),
        (
            "activities/pagingtoken.json".to_owned(),
            "1002",
            "Missing value for required parameter 'sinceDatetime'",
        ),
        (
            "activities/pagingtoken.json?sinceDatetime=yesterday".to_owned(),
            "1001",
            "Invalid value 'yesterday'. Required of type 'datetime'",
        ),
        (
            format!("activities/leadchanges.json?nextPageToken={token}"),
            "1002",
            "Missing value for required parameter 'fields'",
        ),
        (
            format!("activities/leadchanges.json?nextPageToken={token}&fields=shoeSize"),
            "1006",
            "Field 'shoeSize' not found",
        ),
    ] {
        assert_error(
            &app.get_json(&format!("/rest/v1/{query}")).await,
            code,
            message,
        );
    }
}

#[tokio::test]
async fn lead_changes_list_new_leads_and_the_named_fields_changes() {
    let app = TestApp::spawn().await;
    app.import_leads_to_end("", sample("leads-good.csv")).await;
    app.import_leads_to_end(
        "",
        b"email,title,company\nbruno.schmidt@example.com,CTO,Bluefin\n".to_vec(),
    )
    .await;
    let token = app.paging_token("2000-01-01").await;
    let body = app
        .get_json(&format!(
            "/rest/v1/activities/leadchanges.json?nextPageToken={token}&fields=title"
        ))
        .await;
    assert_eq!(body["moreResult"], json!(false));
    let changes = body["result"].as_array().unwrap();
    assert_eq!(changes.len(), 4, "three New Lead, one title change: {body}");
    assert_eq!(changes[0]["fields"], json!([]));
    assert_eq!(
        changes[3]["fields"],
        json!([{"id": 28, "name": "title", "newValue": "CTO", "oldValue": "Data Engineer"}])
    );
    assert!(changes[3].get("primaryAttributeValue").is_none());
}

#[tokio::test]
async fn the_activity_export_writes_the_default_columns_and_attributes_as_a_json_object() {
    let app = TestApp::spawn().await;
    app.import_leads_to_end("?listId=2001", sample("leads-good.csv"))
        .await;
    app.import_leads_to_end(
        "",
        b"email,leadScore\ncarla.rossi@example.com,70\n".to_vec(),
    )
    .await;
    let header = "marketoGUID,leadId,activityDate,activityTypeId,campaignId,primaryAttributeValueId,primaryAttributeValue,attributes";
    // `fields` as null, empty and absent all mean the default columns.
    for fields in [Some(json!(null)), Some(json!([])), None] {
        let mut body = json!({"filter": {"createdAt": around_now()}});
        if let Some(fields) = fields {
            body["fields"] = fields;
        }
        let id = app.export_to_end(ACTIVITIES, body).await;
        let file = app.file_text(ACTIVITIES, &id).await;
        let mut lines = file.lines();
        assert_eq!(lines.next(), Some(header));
        let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(file.as_bytes())
            .records()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            rows.len(),
            3 + 3 + 2,
            "New Lead, Add to List, Change Score + Data Value"
        );
        for row in &rows {
            assert_eq!(&row[4], "null", "no campaign");
            let attributes: Value = serde_json::from_str(&row[7]).unwrap();
            assert!(attributes.is_object(), "{row:?}");
        }
        assert_eq!(&rows[0][6], "Alice Nguyen");
        let score: Value = serde_json::from_str(&rows[6][7]).unwrap();
        assert_eq!(score["Change Value"], json!("+8"));
    }
    // The columns a tap asks for, in its order.
    let id = app
        .export_to_end(
            ACTIVITIES,
            json!({
                "fields": ["marketoGUID", "leadId", "activityDate", "activityTypeId", "campaignId",
                           "primaryAttributeValue", "primaryAttributeValueId", "attributes"],
                "filter": {"createdAt": around_now(), "activityTypeIds": [24]},
            }),
        )
        .await;
    let file = app.file_text(ACTIVITIES, &id).await;
    assert!(file.starts_with(
        "marketoGUID,leadId,activityDate,activityTypeId,campaignId,primaryAttributeValue,primaryAttributeValueId,attributes\n"
    ));
    assert_eq!(file.lines().count(), 4);
    assert!(
        file.lines()
            .nth(1)
            .unwrap()
            .contains(",Partner Leads,2001,\"{\"\"Source\"\":\"\"List import\"\"}\"")
    );
}

#[tokio::test]
async fn activity_export_filters_select_by_type_and_primary_attribute() {
    let app = TestApp::spawn().await;
    app.import_leads_to_end("?listId=2001", sample("leads-good.csv"))
        .await;
    app.import_leads_to_end(
        "",
        b"email,title,leadScore\nalice.nguyen@example.com,CMO,90\n".to_vec(),
    )
    .await;
    let rows = |filter: Value| {
        let app = &app;
        async move {
            let id = app
                .export_to_end(
                    ACTIVITIES,
                    json!({"fields": ["activityTypeId", "primaryAttributeValue"], "filter": filter}),
                )
                .await;
            app.file_text(ACTIVITIES, &id)
                .await
                .lines()
                .skip(1)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        }
    };
    let range = around_now();
    assert_eq!(
        rows(json!({"createdAt": range, "activityTypeIds": [13], "primaryAttributeValues": ["job title"]})).await,
        ["13,Job Title"]
    );
    assert_eq!(
        rows(json!({"createdAt": range, "activityTypeIds": [13, 22], "primaryAttributeValueIds": [40]})).await,
        ["22,Lead Score", "13,Lead Score"]
    );
    assert_eq!(
        rows(json!({"createdAt": range, "activityTypeIds": [104]})).await,
        Vec::<String>::new()
    );
    let old = json!({"startAt": "2020-01-01", "endAt": "2020-01-31"});
    assert!(rows(json!({"createdAt": old})).await.is_empty());
    for (filter, message) in [
        (
            json!({"activityTypeIds": [12]}),
            "'filter.createdAt' is required for activities",
        ),
        (
            json!({"createdAt": range, "activityTypeIds": [37]}),
            "Delete Lead activities (type 37) cannot be exported",
        ),
        (
            json!({"createdAt": range, "primaryAttributeValueIds": [40]}),
            "'primaryAttributeValueIds' and 'primaryAttributeValues' need 'activityTypeIds'",
        ),
        (
            json!({"createdAt": range, "activityTypeIds": [13], "primaryAttributeValueIds": [40], "primaryAttributeValues": ["x"]}),
            "'primaryAttributeValueIds' and 'primaryAttributeValues' cannot be given together",
        ),
    ] {
        let body = app
            .export_call(
                Method::POST,
                "activities/export/create.json",
                Some(json!({"filter": filter})),
            )
            .await;
        assert_error(&body, "1003", message);
    }
    let unknown = app
        .export_call(
            Method::POST,
            "activities/export/create.json",
            Some(json!({"fields": ["marketoGUID", "leadScore"], "filter": {"createdAt": range}})),
        )
        .await;
    assert_error(&unknown, "1003", "Invalid fields [leadScore]");
}
