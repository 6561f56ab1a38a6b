//! Faults (issue 10), with the real `rollcall` binary: killed (SIGKILL) in the middle of a push
//! and of an import, and PostgreSQL restarted while phones sync. Afterwards every event is
//! applied exactly once and every import is whole or absent.
//!
//! The pushes are home visits' events (risk assessment, check-in, record, check-out): unlike
//! late arrivals, they do not depend on today being a school day, so the tests run any day.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::common::{
    self,
    fixture::{Fixture, PASSWORD, email},
};
use app::{
    domain::{roles::Role, upn::Upn},
    sync::{EventStatus, MAX_BATCH, PushResponse},
    visits::{
        VisitRecord,
        queries::{NewVisit, plan},
    },
};
use chrono::Utc;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The URL of the database a pool is connected to, on the test PostgreSQL.
async fn url_of(pool: &PgPool) -> String {
    let name: String = sqlx::query_scalar("select current_database()")
        .fetch_one(pool)
        .await
        .unwrap();
    let base = common::database_url();
    format!("{}/{name}", base.rsplit_once('/').unwrap().0)
}

/// A free port of loopback in 3400–3499, the range this project's servers may use.
fn free_port() -> u16 {
    let start = 3402 + (std::process::id() % 90) as u16;
    (0..98)
        .map(|k| 3402 + (start - 3402 + k) % 98)
        .find(|&port| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok())
        .expect("a free port in 3402–3499")
}

/// The real server, as a child process; killed when dropped.
struct Server {
    child: Child,
    url: String,
    database_url: String,
    port: u16,
}

impl Server {
    async fn start(database_url: &str) -> Server {
        Server::start_on(database_url, free_port()).await
    }

    async fn start_on(database_url: &str, port: u16) -> Server {
        let child = Command::new(env!("CARGO_BIN_EXE_rollcall"))
            .arg("serve")
            .current_dir(workspace())
            .env("DATABASE_URL", database_url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_OUTPUT_NAME", "rollcall")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .spawn()
            .expect("starting rollcall");
        let mut server = Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
            database_url: database_url.to_string(),
            port,
        };
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the server did not listen on {port} within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Listening is this server, not another program that took the port first.
        assert!(
            server.child.try_wait().unwrap().is_none(),
            "the server on {port} stopped"
        );
        server
    }

    /// SIGKILL: no shutdown, no answer to requests in flight.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    async fn restart(mut self) -> Server {
        self.kill();
        Server::start_on(&self.database_url, self.port).await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A home visitor's phone signed in over HTTP, with the visits planned for it.
#[derive(Clone)]
struct Phone {
    client: reqwest::Client,
    csrf: String,
    staff_id: Uuid,
    device: Uuid,
    school: Uuid,
}

impl Phone {
    async fn sign_in(server: &Server, world: &Fixture) -> Phone {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let response = client
            .post(format!("{}/api/auth/login", server.url))
            .json(&json!({ "email": email(Role::HomeVisitor), "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        let phone = Phone {
            client,
            csrf: body["csrf_token"].as_str().unwrap().to_string(),
            staff_id: serde_json::from_value(body["staff_id"].clone()).unwrap(),
            device: Uuid::new_v4(),
            school: world.school.id,
        };
        let response = phone
            .client
            .post(format!("{}/api/sync/devices", server.url))
            .header("x-csrf-token", &phone.csrf)
            .json(&json!({ "id": phone.device, "school_id": phone.school, "name": "Phone" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        phone
    }

    /// Plans `n` visits for this phone's home visitor, as the attendance lead.
    async fn plan(&self, pool: &PgPool, world: &Fixture, n: usize) -> Vec<Uuid> {
        let lead = common::viewer_by_email(pool, &email(Role::AttendanceLead)).await;
        let mut visits = Vec::with_capacity(n);
        for k in 0..n {
            let visit = plan(
                pool,
                lead.staff_id,
                world.school.id,
                &NewVisit {
                    pupil_id: world.school.pupils[k % world.school.pupils.len()],
                    case_id: None,
                    officer_id: self.staff_id,
                    planned_on: Utc::now().date_naive(),
                    reason: "Absent, no contact".to_string(),
                },
            )
            .await
            .unwrap()
            .unwrap();
            visits.push(visit);
        }
        visits
    }

    /// Each visit as it happens: risk assessment, check-in, record, check-out.
    fn events(&self, visits: &[Uuid]) -> Vec<Value> {
        let event = |kind: &str, payload: Value| {
            json!({
                "id": Uuid::new_v4(), "device_id": self.device, "staff_id": self.staff_id,
                "kind": kind, "schema_version": 1, "device_time": Utc::now(), "payload": payload
            })
        };
        let at = Utc::now() - chrono::Duration::hours(1);
        let s = self.school;
        let record = VisitRecord {
            child_seen: true,
            safe_and_well_checked: true,
            spoke_with: "Mother".to_string(),
            facts: "Unwell since Monday".to_string(),
            ..VisitRecord::default()
        };
        visits
            .iter()
            .flat_map(|&v| {
                [
                    event(
                        "visit_risk_assessment",
                        json!({ "school_id": s, "visit_id": v, "risks_known": "None known",
                                "second_person_needed": false, "first_visit": false }),
                    ),
                    event(
                        "visit_check_in",
                        json!({ "school_id": s, "visit_id": v, "checked_in_at": at,
                                "expected_finish": at + chrono::Duration::minutes(30) }),
                    ),
                    event(
                        "visit_record",
                        json!({ "school_id": s, "visit_id": v, "base_revision": 0,
                                "record": record }),
                    ),
                    event(
                        "visit_check_out",
                        json!({ "school_id": s, "visit_id": v, "checked_out_at": at }),
                    ),
                ]
            })
            .collect()
    }

    fn push_request(&self, server: &Server, events: &[Value]) -> reqwest::RequestBuilder {
        self.client
            .post(format!("{}/api/sync/push", server.url))
            .header("x-csrf-token", &self.csrf)
            .json(&json!({ "device_id": self.device, "sent_at": Utc::now(), "events": events }))
    }

    /// Pushes and answers each event's status; panics unless the server answered 200.
    /// Pushes; panics unless the server answered 200 with `expected` for every event.
    async fn push(&self, server: &Server, events: &[Value], expected: EventStatus) {
        let response = self.push_request(server, events).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let answer: PushResponse = response.json().await.unwrap();
        let wrong: Vec<_> = answer
            .results
            .iter()
            .filter(|r| r.status != expected)
            .collect();
        assert!(
            wrong.is_empty(),
            "{} of {} events not {expected:?}, the first {:?}",
            wrong.len(),
            events.len(),
            wrong[0]
        );
    }
}

/// What the visits' events wrote: each visit assessed, checked in, recorded once (revision 1)
/// and checked out, and one stored event per event.
async fn assert_applied_once(pool: &PgPool, visits: &[Uuid], events: &[Value]) {
    let ids: Vec<Uuid> = events
        .iter()
        .map(|e| serde_json::from_value(e["id"].clone()).unwrap())
        .collect();
    let stored: i64 = sqlx::query_scalar("select count(*) from sync_events where id = any($1)")
        .bind(&ids)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(stored, ids.len() as i64, "stored events");
    let done: i64 = sqlx::query_scalar(
        "select count(*) from home_visits where id = any($1) and risk_assessed_at is not null
           and checked_in_at is not null and checked_out_at is not null and revision = 1",
    )
    .bind(visits)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(done, visits.len() as i64, "visits done, recorded once");
}

/// Waits until no connection but the test's own is running a statement in this database: the
/// killed server's transaction has been rolled back by PostgreSQL, or committed.
async fn settle(pool: &PgPool) {
    let started = Instant::now();
    loop {
        let busy: i64 = sqlx::query_scalar(
            "select count(*) from pg_stat_activity where datname = current_database()
               and pid <> pg_backend_pid() and state <> 'idle'",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        if busy == 0 || started.elapsed() > Duration::from_secs(20) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until another connection (the server's or the importer's) has written to `table` in a
/// transaction not yet committed, for at most `limit`: its row-exclusive lock on the table is
/// held until the commit.
async fn writing(pool: &PgPool, table: &str, limit: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        let writing: bool = sqlx::query_scalar(
            "select exists (select 1 from pg_locks l join pg_class c on c.oid = l.relation
               where c.relname = $1 and l.mode = 'RowExclusiveLock' and l.granted
                 and l.pid <> pg_backend_pid())",
        )
        .bind(table)
        .fetch_one(pool)
        .await
        .unwrap();
        if writing {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    false
}

#[tokio::test]
async fn a_push_cut_off_by_killing_the_server_applies_once_when_sent_again() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    let mut server = Server::start(&url_of(&pool).await).await;
    let phone = Phone::sign_in(&server, &world).await;
    let visits = phone.plan(&pool, &world, MAX_BATCH / 4).await;
    let events = phone.events(&visits);
    assert_eq!(events.len(), MAX_BATCH);

    // The push is sent; once the server is writing it, the server is killed.
    let request = phone.push_request(&server, &events);
    let in_flight = tokio::spawn(request.send());
    let writing = writing(&pool, "home_visits", Duration::from_secs(20)).await;
    server.kill();
    let answer = in_flight.await.unwrap();
    assert!(writing, "the server never started writing the push");
    assert!(answer.is_err(), "the push was answered: {answer:?}");
    settle(&pool).await;

    // The push is whole or absent: one transaction.
    let stored: i64 = sqlx::query_scalar("select count(*) from sync_events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        stored == 0 || stored == MAX_BATCH as i64,
        "{stored} of {MAX_BATCH} events stored"
    );

    // The phone never heard back, so it sends the same batch again to a restarted server.
    server = server.restart().await;
    let expected = if stored == 0 {
        EventStatus::Applied
    } else {
        EventStatus::Duplicate
    };
    phone.push(&server, &events, expected).await;
    phone.push(&server, &events, EventStatus::Duplicate).await;
    assert_applied_once(&pool, &visits, &events).await;
}

/// `rollcall import pupils` of this many new pupils.
const NEW_PUPILS: usize = 3000;

fn pupils_file() -> String {
    let mut csv = String::from(
        "UPN,Legal Forename,Legal Surname,DOB,Gender,NC Year,Reg Group,Admission Date,\
         Contact 1 Forename,Contact 1 Surname,Contact 1 Relationship,Contact 1 Mobile\n",
    );
    for k in 0..NEW_PUPILS {
        let upn = Upn::from_parts(821, 1, 40 + (k / 1000) as u16, (k % 1000) as u16);
        csv.push_str(&format!(
            "{upn},Pupil{k},Family{k},2012-03-04,{},9,9C,2026-09-02,Sam,Family{k},Mother,\
             07700 9{:05}\n",
            if k % 2 == 0 { "F" } else { "M" },
            k
        ));
    }
    csv
}

fn import(url: &str, file: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rollcall"));
    command
        .args(["import", "pupils", "--school", "100001"])
        .arg(file)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    command
}

async fn pupils(pool: &PgPool, school: Uuid) -> (i64, i64) {
    sqlx::query_as(
        "select (select count(*) from pupils where school_id = $1),
                (select count(*) from imports where school_id = $1)",
    )
    .bind(school)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn an_import_killed_at_any_moment_is_whole_or_absent() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    let url = url_of(&pool).await;
    let file = std::env::temp_dir().join(format!("faults-{}.csv", Uuid::new_v4()));
    std::fs::write(&file, pupils_file()).unwrap();
    let before = pupils(&pool, world.school.id).await;
    let whole = (before.0 + NEW_PUPILS as i64, before.1 + 1);

    // Killed at different moments: as it starts, as it reads the file, and once it has written
    // pupils in its transaction (None: whenever that is).
    let mut killed_while_writing = false;
    for delay in [Some(0), Some(20), Some(100), None] {
        let mut importer = import(&url, &file).spawn().unwrap();
        match delay {
            Some(millis) => tokio::time::sleep(Duration::from_millis(millis)).await,
            None => killed_while_writing = writing(&pool, "pupils", Duration::from_secs(20)).await,
        }
        importer.kill().unwrap();
        importer.wait().unwrap();
        settle(&pool).await;
        let now = pupils(&pool, world.school.id).await;
        assert!(
            now == before || now == whole,
            "killed after {delay:?} ms: {now:?} pupils and imports, not {before:?} or {whole:?}"
        );
    }
    assert!(killed_while_writing, "the import never started writing");

    // Run again to the end: whole. A third time: nothing changes.
    let done = import(&url, &file).output().unwrap();
    assert!(done.status.success());
    assert_eq!(pupils(&pool, world.school.id).await.0, whole.0);
    let again = import(&url, &file).output().unwrap();
    assert!(again.status.success());
    let out = String::from_utf8_lossy(&again.stdout);
    assert!(out.contains("Nothing changed."), "{out}");
    assert_eq!(pupils(&pool, world.school.id).await.0, whole.0);
    std::fs::remove_file(&file).unwrap();
}

/// A PostgreSQL cluster of this test's own, in a temporary folder, so restarting it disturbs no
/// other test. Stopped and removed when dropped.
struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
}

impl Cluster {
    /// `None` when PostgreSQL's server programs are not installed (as `scripts/db.sh` finds
    /// them).
    fn start() -> Option<Cluster> {
        let bin = ["17", "16", "15", "14", "13"]
            .iter()
            .map(|v| PathBuf::from(format!("/usr/lib/postgresql/{v}/bin")))
            .find(|bin| bin.join("pg_ctl").exists())?;
        let data = std::env::temp_dir().join(format!("rollcall-faults-{}", Uuid::new_v4()));
        std::fs::create_dir(&data).unwrap();
        if is_root() {
            run(Command::new("chown").arg("postgres").arg(&data));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Cluster { bin, data, port };
        run(cluster
            .program("initdb")
            .arg("-D")
            .arg(&cluster.data)
            .args(["-U", "rollcall", "--auth=trust", "--encoding=UTF8"]));
        cluster.pg_ctl("start");
        Some(cluster)
    }

    /// A program of PostgreSQL's, as the cluster's owner: PostgreSQL refuses to run as root.
    fn program(&self, name: &str) -> Command {
        let path = self.bin.join(name);
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        };
        command.stdout(Stdio::null());
        command
    }

    fn pg_ctl(&self, action: &str) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            self.port,
            self.data.display()
        );
        run(self
            .program("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(self.data.join("log"))
            .args(["-w", "-t", "30", "-m", "fast", "-o", &options, action]));
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://rollcall@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .program("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "stop"])
            .status();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

fn run(command: &mut Command) {
    let status = command.status().unwrap();
    assert!(status.success(), "{command:?} failed");
}

#[tokio::test]
async fn phones_syncing_through_a_postgresql_restart_apply_every_event_once() {
    let Some(cluster) = Cluster::start() else {
        eprintln!(
            "skipped: PostgreSQL's server programs (pg_ctl) are not installed, so this test \
             cannot start a PostgreSQL of its own to restart"
        );
        return;
    };
    let admin = sqlx::PgPool::connect(&cluster.url("postgres"))
        .await
        .unwrap();
    sqlx::query("create database rollcall")
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let pool = sqlx::PgPool::connect(&cluster.url("rollcall"))
        .await
        .unwrap();
    server::db::migrate(&pool).await.unwrap();
    let world = Fixture::new(&pool).await;
    let server = Server::start(&cluster.url("rollcall")).await;

    // Four phones, each with 30 visits to push one at a time.
    const PHONES: usize = 4;
    const VISITS: usize = 30;
    let mut phones = Vec::new();
    for _ in 0..PHONES {
        let phone = Phone::sign_in(&server, &world).await;
        let visits = phone.plan(&pool, &world, VISITS).await;
        let events = phone.events(&visits);
        phones.push((phone, visits, events));
    }
    let pushed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let server = std::sync::Arc::new(server);
    let mut tasks = tokio::task::JoinSet::new();
    for (phone, _, events) in &phones {
        let (phone, events) = (phone.clone(), events.clone());
        let (server, pushed) = (server.clone(), pushed.clone());
        tasks.spawn(async move { sync_until_done(&phone, &server, &events, &pushed).await });
    }

    // A quarter of the way in, PostgreSQL stops for five seconds while the phones keep pushing:
    // longer than a request waits for a connection (3 s), so some pushes are refused.
    while pushed.load(std::sync::atomic::Ordering::Relaxed) < PHONES * VISITS / 4 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cluster.pg_ctl("stop");
    tokio::time::sleep(Duration::from_secs(5)).await;
    cluster.pg_ctl("start");

    let mut applied: std::collections::HashMap<Uuid, usize> = Default::default();
    let mut refused = 0;
    while let Some(done) = tasks.join_next().await {
        let (statuses, errors) = done.unwrap();
        refused += errors;
        for (id, status) in statuses {
            match status {
                EventStatus::Applied => *applied.entry(id).or_default() += 1,
                EventStatus::Duplicate => {}
                EventStatus::Rejected => panic!("{id} was rejected"),
            }
        }
    }
    assert!(refused > 0, "no push met the database down");
    assert!(
        applied.values().all(|&n| n == 1),
        "an event was answered applied twice"
    );
    for (_, visits, events) in &phones {
        assert_applied_once(&pool, visits, events).await;
    }
    let stored: i64 = sqlx::query_scalar("select count(*) from sync_events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, (PHONES * VISITS * 4) as i64);
}

/// A phone pushing each visit's four events until the server takes them, as a device does: a
/// push the server could not take is sent again. Answers every status received and how many
/// pushes were refused; panics if the server hung, dropped the connection or answered anything
/// but 200 or 503 (the database is not answering).
async fn sync_until_done(
    phone: &Phone,
    server: &Server,
    events: &[Value],
    pushed: &std::sync::atomic::AtomicUsize,
) -> (Vec<(Uuid, EventStatus)>, usize) {
    let mut statuses = Vec::new();
    let mut refused = 0;
    for batch in events.chunks(4) {
        loop {
            let started = Instant::now();
            let response = phone.push_request(server, batch).send().await.unwrap();
            let took = started.elapsed();
            assert!(took < Duration::from_secs(10), "a push took {took:?}");
            if response.status() == 503 {
                let body: Value = response.json().await.unwrap();
                assert!(
                    body["error"].as_str().unwrap().contains("not answering"),
                    "{body}"
                );
                refused += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            assert_eq!(response.status(), 200);
            let answer: PushResponse = response.json().await.unwrap();
            statuses.extend(
                answer
                    .results
                    .iter()
                    .map(|r| (r.id.expect("an event's id"), r.status)),
            );
            break;
        }
        pushed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // A visit every 150 ms, so the phones are still pushing when PostgreSQL stops.
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    (statuses, refused)
}
