//! Signing in and out, sessions, lockout, CSRF and API tokens, against a real PostgreSQL.

use crate::common;

use app::domain::roles::Role;
use common::fixture::{self, Fixture, PASSWORD, email};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn login(app: &common::TestApp, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn signing_in_sets_a_safe_cookie_and_lands_each_role_on_its_page() {
    let app = common::spawn().await;
    Fixture::new(&app.pool).await;
    let response = login(&app, &email(Role::AttendanceOfficer), PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("rollcall_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["landing"], "/today");
    assert!(body["csrf_token"].as_str().unwrap().len() >= 40);

    for (role, landing) in [
        (Role::LateDoor, "/late-door"),
        (Role::HomeVisitor, "/visits"),
        (Role::Dsl, "/today"),
        (Role::TrustAdmin, "/today"),
    ] {
        let body: Value = login(&app, &email(role), PASSWORD)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["landing"], landing, "{role:?}");
    }
}

#[tokio::test]
async fn wrong_passwords_and_unknown_emails_get_the_same_answer() {
    let app = common::spawn().await;
    Fixture::new(&app.pool).await;
    let wrong = login(&app, &email(Role::Pastoral), "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong: Value = wrong.json().await.unwrap();
    let unknown = login(&app, "nobody@nowhere.test", PASSWORD).await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown: Value = unknown.json().await.unwrap();
    assert_eq!(wrong, unknown);
    assert!(
        wrong["error"]
            .as_str()
            .unwrap()
            .contains("email or password")
    );
}

#[tokio::test]
async fn repeated_failures_lock_the_account_even_against_the_right_password() {
    let app = common::spawn().await;
    Fixture::new(&app.pool).await;
    let who = email(Role::AttendanceLead);
    for _ in 0..4 {
        assert_eq!(
            login(&app, &who, "guess").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = login(&app, &who, "guess").await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let right = login(&app, &who, PASSWORD).await;
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = right.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("locked until"),
        "{body}"
    );

    // Once the lock has passed, the right password works again.
    sqlx::query("update staff set locked_until = now() - interval '1 minute' where email = $1")
        .bind(&who)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(login(&app, &who, PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_session_survives_a_server_restart_and_ends_when_it_expires() {
    let app = common::spawn().await;
    Fixture::new(&app.pool).await;
    let response = login(&app, &email(Role::Leadership), PASSWORD).await;
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    let cookie = set_cookie.split(';').next().unwrap().to_string();

    // A second server on the same database: sessions live in PostgreSQL, not in memory.
    let restarted = common::spawn_with(app.pool.clone()).await;
    let me = |server: &common::TestApp| {
        server
            .client
            .get(server.url("/api/auth/me"))
            .header("cookie", &cookie)
            .send()
    };
    assert_eq!(me(&restarted).await.unwrap().status(), StatusCode::OK);

    sqlx::query("update sign_in_sessions set expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    let expired = me(&restarted).await.unwrap();
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    let body: Value = expired.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("Sign in first"));
}

#[tokio::test]
async fn signing_out_ends_the_session_and_signing_out_everywhere_ends_them_all() {
    let app = common::spawn().await;
    Fixture::new(&app.pool).await;
    let who = email(Role::SchoolAdmin);
    let (laptop, _) = common::sign_in(&app, &who).await;
    let (tablet, _) = common::sign_in(&app, &who).await;
    let (phone, _) = common::sign_in(&app, &who).await;

    let out = laptop
        .post(app.url("/api/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        laptop
            .get(app.url("/api/auth/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        tablet
            .get(app.url("/api/auth/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    let everywhere = tablet
        .post(app.url("/api/auth/logout-everywhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(everywhere.status(), StatusCode::OK);
    let body: Value = everywhere.json().await.unwrap();
    assert_eq!(body["sessions_ended"], 2);
    assert_eq!(
        phone
            .get(app.url("/api/auth/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_shared_device_session_lasts_the_term() {
    let app = common::spawn().await;
    Fixture::new(&app.pool).await;
    let response = app
        .client
        .post(app.url("/api/auth/login"))
        .json(
            &json!({ "email": email(Role::LateDoor), "password": PASSWORD, "shared_device": true }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let expires: chrono::DateTime<chrono::Utc> =
        body["expires_at"].as_str().unwrap().parse().unwrap();
    assert!(expires - chrono::Utc::now() > chrono::Duration::days(60));
}

#[tokio::test]
async fn state_changes_need_this_sites_origin_or_the_csrf_token() {
    let app = common::spawn().await;
    Fixture::new(&app.pool).await;

    // A script keeps the cookie but sends no Origin, as scripts do.
    let script = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let response = script
        .post(app.url("/api/auth/login"))
        .json(&json!({ "email": email(Role::Pastoral), "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let csrf = response.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = script
        .post(app.url("/api/auth/logout-everywhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: Value = refused.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("CSRF"), "{body}");
    let wrong = script
        .post(app.url("/api/auth/logout-everywhere"))
        .header("x-csrf-token", "not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let right = script
        .post(app.url("/api/auth/logout-everywhere"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::OK);

    // Another site's page cannot use a browser's cookie.
    let (browser, _) = common::sign_in(&app, &email(Role::Pastoral)).await;
    let forged = browser
        .post(app.url("/api/auth/logout"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        browser
            .get(app.url("/api/auth/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "the forged sign-out did nothing"
    );
}

#[tokio::test]
async fn malformed_json_is_a_400_that_says_what_was_expected() {
    let app = common::spawn().await;
    let response = app
        .client
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("JSON"), "{body}");
}

#[tokio::test]
async fn oversized_bodies_are_refused_before_they_are_read() {
    let app = common::spawn().await;
    let response = app
        .client
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/json")
        .body(vec![b' '; 3 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn disabled_accounts_cannot_sign_in() {
    let app = common::spawn().await;
    Fixture::new(&app.pool).await;
    sqlx::query("update staff set disabled_at = now() where email = $1")
        .bind(email(Role::Dsl))
        .execute(&app.pool)
        .await
        .unwrap();
    let response = login(&app, &email(Role::Dsl), PASSWORD).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn api_tokens_are_shown_once_work_as_their_role_and_stop_when_revoked() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let school = world.school.id;
    let (admin, _) = common::sign_in(&app, &email(Role::SchoolAdmin)).await;
    let made = admin
        .post(app.url(&format!("/api/schools/{school}/api-tokens")))
        .json(&json!({ "name": "Local authority return", "role": "leadership" }))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), StatusCode::CREATED);
    let made: Value = made.json().await.unwrap();
    let token = made["token"].as_str().unwrap().to_string();
    let token_id = made["id"].as_str().unwrap().to_string();

    let stored: Vec<u8> = sqlx::query_scalar("select token_hash from api_tokens")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_ne!(stored, token.as_bytes(), "only a hash is kept");

    let me: Value = app
        .client
        .get(app.url("/api/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "Local authority return");
    assert_eq!(me["grants"][0]["role"], "leadership");

    let listed: Value = admin
        .get(app.url(&format!("/api/schools/{school}/api-tokens")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !listed.to_string().contains(&token),
        "the list never shows secrets"
    );

    let revoked = admin
        .delete(app.url(&format!("/api/schools/{school}/api-tokens/{token_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let after = app
        .client
        .get(app.url("/api/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn only_administrators_of_that_school_manage_its_tokens() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let school = world.school.id;
    for who in [
        email(Role::AttendanceOfficer),
        fixture::OUTSIDER.to_string(),
    ] {
        let (client, _) = common::sign_in(&app, &who).await;
        let response = client
            .post(app.url(&format!("/api/schools/{school}/api-tokens")))
            .json(&json!({ "name": "x", "role": "leadership" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{who}");
    }
    let (admin, _) = common::sign_in(&app, &email(Role::SchoolAdmin)).await;
    let bad_role = admin
        .post(app.url(&format!("/api/schools/{school}/api-tokens")))
        .json(&json!({ "name": "x", "role": "trust_admin" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_role.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_audit_log_refuses_changes() {
    let app = common::spawn().await;
    Fixture::new(&app.pool).await;
    login(&app, &email(Role::Pastoral), PASSWORD).await;
    let changed = sqlx::query("update audit_log set action = 'nothing'")
        .execute(&app.pool)
        .await;
    assert!(changed.unwrap_err().to_string().contains("append-only"));
    let deleted = sqlx::query("delete from audit_log")
        .execute(&app.pool)
        .await;
    assert!(deleted.is_err());
}
