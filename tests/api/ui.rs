use crate::helpers::TestApp;

fn content_type(response: &reqwest::Response) -> String {
    response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_dashboard_page_is_served_as_html_with_its_title() {
    let app = TestApp::spawn().await;
    let response = app.client.get(app.url("/_mock/ui")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        content_type(&response).starts_with("text/html"),
        "{}",
        content_type(&response)
    );
    let body = response.text().await.unwrap();
    assert!(
        body.contains("<title>Marketo Bulk Mock dashboard</title>"),
        "{body}"
    );
}

#[tokio::test]
async fn the_dashboard_script_and_style_sheet_are_served_with_their_content_types() {
    let app = TestApp::spawn().await;
    for (path, expected_type, excerpt) in [
        ("/_mock/ui/app.js", "text/javascript", "/_mock/jobs"),
        ("/_mock/ui/style.css", "text/css", ".lane"),
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let served_type = content_type(&response);
        assert!(
            served_type.starts_with(expected_type),
            "{path}: {served_type}"
        );
        assert!(response.text().await.unwrap().contains(excerpt), "{path}");
    }
}

#[tokio::test]
async fn the_root_path_redirects_to_the_dashboard() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client.get(app.url("/")).send().await.unwrap();
    assert!(
        matches!(response.status().as_u16(), 302 | 307),
        "{}",
        response.status()
    );
    assert_eq!(response.headers()["location"], "/_mock/ui");

    let followed = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(followed.url().path(), "/_mock/ui");
    assert!(content_type(&followed).starts_with("text/html"));
}

#[tokio::test]
async fn the_dashboard_loads_without_the_admin_token_and_its_calls_need_it() {
    let app = TestApp::spawn_with(|server| server.admin_token("let-me-in")).await;
    for path in ["/", "/_mock/ui", "/_mock/ui/app.js"] {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let status = client
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert!(
            status == 200 || status == 307 || status == 302,
            "{path}: {status}"
        );
    }
    let jobs = app.client.get(app.url("/_mock/jobs")).send().await.unwrap();
    assert_eq!(jobs.status().as_u16(), 401);
    let with_token = app
        .client
        .get(app.url("/_mock/jobs"))
        .header("x-admin-token", "let-me-in")
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status().as_u16(), 200);
}
