//! The public surface every later feature builds on: health, the API description, the headers
//! every answer carries, and the start page rendered by the server.

use crate::common;

use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn healthz_reports_the_database_up_with_its_schema() {
    let app = common::spawn().await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"]["state"], "up");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn healthz_answers_503_when_the_database_is_down() {
    // Nothing listens on port 1: the database is "down" from the first request.
    let pool = server::db::connect_lazy("postgres://rollcall@127.0.0.1:1/rollcall").unwrap();
    let app = common::spawn_with(pool).await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["database"]["state"], "down");
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let app = common::spawn().await;
    let response = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["info"]["title"], "Rollcall API");
    assert!(doc["paths"]["/healthz"]["get"].is_object());
    assert!(doc["components"]["schemas"]["Health"].is_object());
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_a_request_id() {
    let app = common::spawn().await;
    for path in ["/healthz", "/", "/no-such-page"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        assert!(headers.contains_key("content-security-policy"), "{path}");
        assert!(headers.contains_key("x-request-id"), "{path}");
    }
}

#[tokio::test]
async fn the_status_page_is_rendered_on_the_server_with_the_database_state() {
    let app = common::spawn().await;
    let response = app.client.get(app.url("/status")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let html = response.text().await.unwrap();
    assert!(html.contains("<h1>Rollcall</h1>"), "{html}");
    assert!(html.contains("connected"), "{html}");
    // The hydration script carries the nonce the policy allows.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("the policy names a nonce");
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "{html}");
}

#[tokio::test]
async fn an_unknown_page_is_a_404_that_says_so() {
    let app = common::spawn().await;
    let response = app
        .client
        .get(app.url("/no-such-page"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.text().await.unwrap().contains("Page not found"));
}
