//! Requests the JSON API cannot read, as schemathesis sends them (scripts/fuzz.sh): each is a 400
//! with a JSON body that says what to fix, never a 500 or axum's plain text.

use crate::common::{self, TestApp, fixture::Fixture, fixture::email};
use app::domain::roles::Role;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// Asserts a 400 whose JSON error mentions `needle`, and answers the error.
async fn assert_refused(response: Response, needle: &str) -> String {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let body: Value = response.json().await.unwrap();
    let error = body["error"].as_str().unwrap().to_string();
    assert!(
        error.contains(needle),
        "{error:?} should mention {needle:?}"
    );
    error
}

async fn signed_in_officer() -> (TestApp, Fixture, reqwest::Client, String) {
    let app = common::spawn().await;
    let fixture = Fixture::new(&app.pool).await;
    let (client, csrf) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    (app, fixture, client, csrf)
}

#[tokio::test]
async fn a_path_parameter_that_is_not_a_uuid_is_a_400_that_names_it() {
    let (app, fixture, client, _) = signed_in_officer().await;
    let response = client
        .get(app.url("/api/schools/not-a-school/attendance?from=2026-09-01&to=2026-09-30"))
        .send()
        .await
        .unwrap();
    let error = assert_refused(response, "school_id").await;
    assert!(error.contains("not-a-school"), "{error}");

    let response = client
        .get(app.url(&format!(
            "/api/schools/{}/cases/null,null/evidence-pack",
            fixture.school.id
        )))
        .send()
        .await
        .unwrap();
    assert_refused(response, "case_id").await;
}

#[tokio::test]
async fn a_query_string_that_cannot_be_read_is_a_400_that_names_the_field() {
    let (app, fixture, client, _) = signed_in_officer().await;
    let response = client
        .get(app.url("/api/sync/pull?device_id="))
        .send()
        .await
        .unwrap();
    assert_refused(response, "device_id").await;

    let response = client
        .get(app.url(&format!(
            "/api/schools/{}/certificates.pdf?from=yesterday&to=2026-09-30&kind=full",
            fixture.school.id
        )))
        .send()
        .await
        .unwrap();
    assert_refused(response, "from").await;
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_or_type_is_a_400() {
    let (app, _, client, csrf) = signed_in_officer().await;
    let response = client
        .post(app.url("/api/sync/devices"))
        .header("x-csrf-token", &csrf)
        .header("content-type", "application/json")
        .body("-8043")
        .send()
        .await
        .unwrap();
    assert_refused(response, "not the JSON this endpoint expects").await;

    let response = client
        .post(app.url("/api/sync/devices"))
        .header("x-csrf-token", &csrf)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_refused(response, "Content-Type: application/json").await;
}

const SYNC_ROWS: &str =
    "select (select count(*) from sync_events) + (select count(*) from sync_rejections)";

/// PostgreSQL stores no NUL character; schemathesis found that one in a pushed event was a 500.
#[tokio::test]
async fn a_nul_character_in_a_body_is_a_400_and_nothing_is_written() {
    let app = common::spawn().await;
    let fixture = Fixture::new(&app.pool).await;
    let (client, csrf) = common::sign_in(&app, &email(Role::LateDoor)).await;
    let device_id = Uuid::new_v4();
    let registered = client
        .post(app.url("/api/sync/devices"))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "id": device_id, "school_id": fixture.school.id, "name": "Front door" }))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::NO_CONTENT);

    let events_before: i64 = sqlx::query_scalar(SYNC_ROWS)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let response = client
        .post(app.url("/api/sync/push"))
        .header("x-csrf-token", &csrf)
        .json(&json!({
            "device_id": device_id,
            "sent_at": "2026-11-24T09:30:00Z",
            "events": [{ "\u{0}": true, "id": Uuid::new_v4(), "kind": "late_arrival\u{0}" }],
        }))
        .send()
        .await
        .unwrap();
    assert_refused(response, "NUL").await;
    let events_after: i64 = sqlx::query_scalar(SYNC_ROWS)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(events_after, events_before);

    // Signing in reads the email in a query; a NUL there is refused the same way.
    let response = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&json!({ "email": "door\u{0}@oakfield.test", "password": "x" }))
        .send()
        .await
        .unwrap();
    assert_refused(response, "NUL").await;
}

/// The pages' server functions: a NUL pasted into a field is a 400 that says what to take out,
/// never the apology of a 500.
#[tokio::test]
async fn a_nul_character_in_a_page_field_is_a_400_that_says_what_to_take_out() {
    let (app, fixture, client, csrf) = signed_in_officer().await;
    let response = client
        .post(app.url("/api/fn/pupils/search"))
        .header("x-csrf-token", &csrf)
        .form(&[
            ("school_id", fixture.school.id.to_string()),
            ("query", "Kh\u{0}an".to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = response.text().await.unwrap();
    assert!(body.contains("a NUL character"), "{body}");
    assert!(!body.contains("Something went wrong"), "{body}");
}
