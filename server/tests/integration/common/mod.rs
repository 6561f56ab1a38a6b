//! What every server test needs: a fresh database of its own, migrated, and the real application
//! serving HTTP on a free port of loopback.
//!
//! Each test database is copied from a template that is migrated once per set of migrations,
//! so a test costs a `CREATE DATABASE`, not a migration run.

#![allow(dead_code)]

pub mod fixture;

use std::str::FromStr;

use app::{
    domain::codes::{Code, Session},
    registers::queries::{MarkWrite, Seen, write_marks},
};
use server::{
    db::{self, MIGRATOR},
    http::{AppState, router},
};
use sqlx::{
    Connection, Executor, PgConnection, PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};
use uuid::Uuid;

pub struct TestApp {
    pub base_url: String,
    pub pool: PgPool,
    pub client: reqwest::Client,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }
}

/// The database the tests were given; `make test` starts one and sets it.
pub fn database_url() -> String {
    std::env::var("DATABASE_URL").expect(
        "DATABASE_URL is not set: run the tests with `make test`, which starts a PostgreSQL for them",
    )
}

/// A fresh, migrated database for one test.
pub async fn fresh_database() -> PgPool {
    let base = PgConnectOptions::from_str(&database_url()).expect("DATABASE_URL is not valid");
    let mut admin = PgConnection::connect_with(&base.clone().database("postgres"))
        .await
        .expect("connecting to the test PostgreSQL");
    let template = template_name();
    // One test at a time makes the template; the others wait for it.
    admin
        .execute("select pg_advisory_lock(7461001)")
        .await
        .unwrap();
    let exists: bool =
        sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
            .bind(&template)
            .fetch_one(&mut admin)
            .await
            .unwrap();
    if !exists {
        admin
            .execute(format!(r#"create database "{template}""#).as_str())
            .await
            .unwrap();
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(base.clone().database(&template))
            .await
            .unwrap();
        db::migrate(&pool).await.expect("migrating the template");
        pool.close().await;
    }
    let name = format!("rollcall_test_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute(format!(r#"create database "{name}" template "{template}""#).as_str())
        .await
        .unwrap();
    admin
        .execute("select pg_advisory_unlock(7461001)")
        .await
        .unwrap();
    PgPoolOptions::new()
        .max_connections(5)
        .connect_with(base.database(&name))
        .await
        .unwrap()
}

/// The template's name changes with the migrations, so a changed schema gets a new template.
fn template_name() -> String {
    let mut hash: u64 = 0xcbf29ce484222325;
    for migration in MIGRATOR.iter() {
        for byte in migration.checksum.iter() {
            hash = (hash ^ u64::from(*byte)).wrapping_mul(0x100000001b3);
        }
    }
    format!("rollcall_template_{hash:016x}")
}

/// Options for tests that never load the wasm bundle.
pub fn leptos_options() -> leptos::config::LeptosOptions {
    leptos::config::LeptosOptions::builder()
        .output_name(server::config::OUTPUT_NAME)
        .site_root("../target/site")
        .build()
}

/// The application on a fresh database.
pub async fn spawn() -> TestApp {
    spawn_with(fresh_database().await).await
}

/// The application on the given pool (which may point at a database that is down).
pub async fn spawn_with(pool: PgPool) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(AppState {
        pool: pool.clone(),
        leptos_options: leptos_options(),
        cookie_policy: app::auth::server::CookiePolicy { secure: false },
        mail: app::letters::MailSettings::default(),
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    TestApp {
        base_url: format!("http://{addr}"),
        pool,
        client: reqwest::Client::new(),
    }
}

/// A client that keeps cookies, like a browser, and sends this site's `Origin` on every request,
/// as browsers do for the pages' own requests.
pub fn browser(app: &TestApp) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ORIGIN,
        app.base_url
            .parse()
            .expect("the base URL is a header value"),
    );
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .build()
        .unwrap()
}

/// Signs in through the JSON API and answers a cookie-keeping client and the CSRF token.
pub async fn sign_in(app: &TestApp, email: &str) -> (reqwest::Client, String) {
    let client = browser(app);
    let response = client
        .post(app.url("/api/auth/login"))
        .json(&serde_json::json!({ "email": email, "password": fixture::PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "signing in as {email}");
    let body: serde_json::Value = response.json().await.unwrap();
    (client, body["csrf_token"].as_str().unwrap().to_string())
}

/// The signed-in view of the staff member with this email.
pub async fn viewer_by_email(pool: &PgPool, email: &str) -> app::auth::Viewer {
    let id: uuid::Uuid = sqlx::query_scalar("select id from staff where email = $1")
        .bind(email)
        .fetch_one(pool)
        .await
        .unwrap();
    app::auth::queries::viewer_for_staff(pool, id)
        .await
        .unwrap()
        .unwrap()
}

/// Writes marks as an import would, and fails the test if any is refused.
pub async fn set_marks(
    pool: &PgPool,
    school_id: Uuid,
    marks: &[(Uuid, &str, Session, Code, Option<i32>)],
) {
    let writes: Vec<MarkWrite> = marks
        .iter()
        .map(|(pupil_id, date, session, code, minutes_late)| MarkWrite {
            pupil_id: *pupil_id,
            date: date.parse().expect("a YYYY-MM-DD date"),
            session: *session,
            code: *code,
            minutes_late: *minutes_late,
            seen: Seen::Anything,
        })
        .collect();
    let mut tx = pool.begin().await.unwrap();
    write_marks(
        &mut tx,
        school_id,
        None,
        "import",
        Some("test data"),
        &writes,
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();
}
