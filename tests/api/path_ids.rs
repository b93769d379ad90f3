//! Ids in paths: Marketo's document types each one (int32 or int64) and answers only HTTP 200,
//! so an id of that width that names nothing gets the route's not-found answer, and one that is
//! no such integer gets 1001, both in the HTTP 200 envelope. Only a path that is no route is 404.

use serde_json::json;

use crate::helpers::{TestApp, assert_error};

#[tokio::test]
async fn a_well_formed_id_that_names_nothing_gets_the_routes_not_found_answer_with_http_200() {
    let app = TestApp::spawn().await;
    for (path, message) in [
        ("/bulk/v1/leads/batch/-2147483647.json", "Object not found"),
        ("/bulk/v1/leads/batch/0.json", "Object not found"),
        ("/bulk/v1/leads/batch/-1/failures.json", "Object not found"),
        (
            "/bulk/v1/leads/batch/2147483647/warnings.json",
            "Object not found",
        ),
        (
            "/bulk/v1/customobjects/car_c/import/-2147483648/status.json",
            "Object not found",
        ),
        (
            "/bulk/v1/customobjects/car_c/import/-5/failures.json",
            "Object not found",
        ),
        (
            "/bulk/v1/program/members/import/-2147483648/status.json",
            "Object not found",
        ),
        (
            "/bulk/v1/program/members/import/-5/warnings.json",
            "Object not found",
        ),
        (
            "/rest/v1/lists/-2147483648/leads.json",
            "Static list not found",
        ),
        ("/rest/v1/list/-1/leads.json", "Static list not found"),
        (
            "/rest/v1/programs/-9223372036854775808/members.json?filterType=leadId&filterValues=1",
            "Program not found",
        ),
        (
            "/rest/v1/programs/4294967296/members.json?filterType=leadId&filterValues=1",
            "Program not found",
        ),
        (
            "/rest/v1/leads/programs/-2147483648.json",
            "Program not found",
        ),
    ] {
        let (status, body) = app.get_answer(path).await;
        assert_eq!(status, 200, "{path}");
        assert_error(&body, "1013", message);
    }
    // A lead that does not exist is an empty result, as for any unknown lead id.
    for path in [
        "/rest/v1/lead/-9223372036854775808.json",
        "/rest/v1/lead/9223372036854775807.json",
    ] {
        let (status, body) = app.get_answer(path).await;
        assert_eq!((status, &body["success"]), (200, &json!(true)), "{path}");
        assert_eq!(body["result"], json!([]), "{path}");
    }
}

#[tokio::test]
async fn an_id_that_is_no_integer_of_the_documented_width_is_1001_with_http_200() {
    let app = TestApp::spawn().await;
    for (path, id) in [
        ("/bulk/v1/leads/batch/abc.json", "abc"),
        ("/bulk/v1/leads/batch/2147483648.json", "2147483648"),
        ("/bulk/v1/leads/batch/1.5/failures.json", "1.5"),
        (
            "/bulk/v1/customobjects/car_c/import/2147483648/status.json",
            "2147483648",
        ),
        ("/bulk/v1/customobjects/car_c/import/x/warnings.json", "x"),
        ("/bulk/v1/program/members/import/abc/status.json", "abc"),
        (
            "/bulk/v1/program/members/import/-2147483649/failures.json",
            "-2147483649",
        ),
        (
            "/rest/v1/lead/9223372036854775808.json",
            "9223372036854775808",
        ),
        ("/rest/v1/lists/2147483648/leads.json", "2147483648"),
        ("/rest/v1/list/one/leads.json", "one"),
        (
            "/rest/v1/programs/abc/members.json?filterType=leadId&filterValues=1",
            "abc",
        ),
        ("/rest/v1/leads/programs/2147483648.json", "2147483648"),
    ] {
        let (status, body) = app.get_answer(path).await;
        assert_eq!(status, 200, "{path}");
        assert_error(
            &body,
            "1001",
            &format!("Invalid value '{id}'. Required of type 'integer'"),
        );
    }
}

#[tokio::test]
async fn an_id_segment_without_its_json_suffix_is_no_route() {
    let app = TestApp::spawn().await;
    for path in [
        "/bulk/v1/leads/batch/1001",
        "/rest/v1/lead/1",
        "/rest/v1/leads/programs/1001",
    ] {
        let (status, body) = app.get_answer(path).await;
        assert_eq!(status, 404, "{path}");
        assert_error(&body, "610", "Requested resource not found");
    }
}
