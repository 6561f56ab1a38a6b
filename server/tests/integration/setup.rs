//! Setting up a real installation from the command line: the first trust administrator and the
//! trust's schools.

use crate::common;

use server::setup::{FirstAdmin, NewSchool, create_first_admin, create_school};

#[tokio::test]
async fn the_first_admin_can_sign_in_and_lands_on_today() {
    let app = common::spawn().await;
    create_first_admin(
        &app.pool,
        FirstAdmin {
            trust: "Northern Lights Trust",
            email: "head.of.ops@northern.test",
            name: "Morgan Reid",
            password: "a long first password",
        },
    )
    .await
    .unwrap();
    let response = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&serde_json::json!({ "email": "head.of.ops@northern.test", "password": "a long first password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["landing"], "/today");
}

#[tokio::test]
async fn bad_setup_input_says_what_to_fix_and_writes_nothing() {
    let app = common::spawn().await;
    let short = create_first_admin(
        &app.pool,
        FirstAdmin {
            trust: "T",
            email: "a@b.test",
            name: "A",
            password: "short",
        },
    )
    .await
    .unwrap_err();
    assert!(short.to_string().contains("at least 10 characters"));
    let trusts: i64 = sqlx::query_scalar("select count(*) from trusts")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(trusts, 0, "nothing was written");

    let no_trust = create_school(
        &app.pool,
        NewSchool {
            trust: "Nobody's Trust",
            urn: "123456",
            name: "X",
            phase: "primary",
            la_code: "821",
        },
    )
    .await
    .unwrap_err();
    assert!(no_trust.to_string().contains("no trust called"));
    let bad_urn = create_school(
        &app.pool,
        NewSchool {
            trust: "T",
            urn: "12AB56",
            name: "X",
            phase: "primary",
            la_code: "821",
        },
    )
    .await
    .unwrap_err();
    assert!(bad_urn.to_string().contains("six digits"));
}
