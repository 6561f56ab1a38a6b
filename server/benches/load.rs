//! `make load`: a load test over HTTP on loopback (issue 10). The real `rollcall` binary serves a
//! demo trust that `scripts/load.sh` seeds in a database of its own; this binary plays, at once:
//!
//! - late-door tablets (40 by default), each signed in as its school's late door: it registers,
//!   pulls the roll and the policy, then pushes batches of 1 to 8 late arrivals (and now and
//!   then the undo of one it pushed before) and pulls what changed, over and over. Every eighth
//!   push is sent a second time, as a tablet does when the answer was lost: every event of the
//!   retry must come back `duplicate`.
//! - home visitors' phones (10), each signed in as its school's home visitor: for each visit
//!   (planned for it in the database, as the office would), one push of the risk assessment,
//!   check-in, record and check-out, also retried now and then.
//! - office users (20), each signed in as an officer, lead, administrator, tutor or head, opening
//!   the pages (server-rendered) and the JSON figures and reports.
//!
//! For `ROLLCALL_LOAD_SECONDS` (180), then it checks: no transport error and no answer but 2xx,
//! no event rejected, every retried event a duplicate, and in the database every event stored
//! once, every arrival once (undone when its undo was sent, with its late-door mark current when
//! not), every visit checked out. It prints the latency of each kind of request (median, 95th,
//! 99th percentile and slowest) and the throughput, and fails if any check failed.
//!
//! `ROLLCALL_LOAD_URL` is the server; `DATABASE_URL` its database, whose name must contain "load":
//! the run first undoes every write the seed did not make there (`common::undo_everything`).

mod common;

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use app::{
    domain::codes::Session,
    sync::{EventStatus, PullResponse, PushResponse},
    visits::{
        VisitRecord,
        queries::{NewVisit, plan},
    },
};
use chrono::{DateTime, NaiveDate, Utc};
use rand::Rng;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

const REASONS: [&str; 4] = ["transport", "medical", "overslept", "caring"];

struct Settings {
    base: String,
    run_for: Duration,
    doors: usize,
    phones: usize,
    office: usize,
}

impl Settings {
    fn from_env() -> anyhow::Result<Settings> {
        let number = |name: &str, default: u64| -> anyhow::Result<u64> {
            match std::env::var(name) {
                Ok(value) => value
                    .parse()
                    .with_context(|| format!("{name} must be a number, not {value:?}")),
                Err(_) => Ok(default),
            }
        };
        Ok(Settings {
            base: std::env::var("ROLLCALL_LOAD_URL")
                .context("ROLLCALL_LOAD_URL is not set: run the load test with `make load`")?,
            run_for: Duration::from_secs(number("ROLLCALL_LOAD_SECONDS", 180)?),
            doors: number("ROLLCALL_LOAD_DOORS", 40)? as usize,
            phones: number("ROLLCALL_LOAD_PHONES", 10)? as usize,
            office: number("ROLLCALL_LOAD_OFFICE", 20)? as usize,
        })
    }
}

/// What one simulated person saw: the time of each request by kind, and what went wrong.
#[derive(Default)]
struct Tally {
    times: BTreeMap<&'static str, Vec<Duration>>,
    failures: Vec<String>,
    /// Events applied, by the ids the database must hold: arrivals, and the others (undos and
    /// visits' events).
    arrivals: Vec<Uuid>,
    other_events: Vec<Uuid>,
    /// The arrivals undone.
    undone: Vec<Uuid>,
    visits: Vec<Uuid>,
    /// Events sent again, each answered `duplicate`.
    retried: usize,
}

impl Tally {
    fn fail(&mut self, what: String) {
        self.failures.push(what);
    }

    fn merge(&mut self, other: Tally) {
        for (kind, times) in other.times {
            self.times.entry(kind).or_default().extend(times);
        }
        self.failures.extend(other.failures);
        self.arrivals.extend(other.arrivals);
        self.undone.extend(other.undone);
        self.other_events.extend(other.other_events);
        self.visits.extend(other.visits);
        self.retried += other.retried;
    }
}

/// A signed-in person: a cookie-keeping client and the session's CSRF token.
struct User {
    client: reqwest::Client,
    csrf: String,
    base: String,
    staff_id: Uuid,
}

impl User {
    async fn sign_in(base: &str, email: &str) -> anyhow::Result<User> {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .timeout(Duration::from_secs(30))
            .build()?;
        let response = client
            .post(format!("{base}/api/auth/login"))
            .json(&json!({ "email": email, "password": "rollcall-demo" }))
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("signing in as {email}: {}", response.status());
        }
        let body: Value = response.json().await?;
        Ok(User {
            client,
            csrf: body["csrf_token"]
                .as_str()
                .context("no csrf_token at sign-in")?
                .to_string(),
            base: base.to_string(),
            staff_id: serde_json::from_value(body["staff_id"].clone())?,
        })
    }

    /// Sends a request, timing it until the whole answer is read; the body when it was 2xx.
    async fn send(
        &self,
        tally: &mut Tally,
        kind: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Option<Vec<u8>> {
        let started = Instant::now();
        let result = async {
            let response = request.send().await?;
            let status = response.status();
            Ok::<_, reqwest::Error>((status, response.bytes().await?.to_vec()))
        }
        .await;
        tally.times.entry(kind).or_default().push(started.elapsed());
        match result {
            Ok((status, body)) if status.is_success() => Some(body),
            Ok((status, body)) => {
                tally.fail(format!(
                    "{kind}: {status}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                ));
                None
            }
            Err(error) => {
                tally.fail(format!("{kind}: {error}"));
                None
            }
        }
    }

    async fn get(&self, tally: &mut Tally, kind: &'static str, path: &str) -> Option<Vec<u8>> {
        let request = self.client.get(format!("{}{path}", self.base));
        self.send(tally, kind, request).await
    }

    async fn post(
        &self,
        tally: &mut Tally,
        kind: &'static str,
        path: &str,
        body: &Value,
    ) -> Option<Vec<u8>> {
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf)
            .json(body);
        self.send(tally, kind, request).await
    }

    async fn register(&self, tally: &mut Tally, device: Uuid, school: Uuid) -> bool {
        let body = json!({ "id": device, "school_id": school, "name": "Load test" });
        self.post(tally, "register device", "/api/sync/devices", &body)
            .await
            .is_some()
    }

    /// Pushes a batch; the answer must say `expect` for every event. Answers whether it did.
    async fn push(
        &self,
        tally: &mut Tally,
        kind: &'static str,
        device: Uuid,
        events: &[Value],
        expect: EventStatus,
    ) -> bool {
        let body = json!({ "device_id": device, "sent_at": Utc::now(), "events": events });
        let Some(answer) = self.post(tally, kind, "/api/sync/push", &body).await else {
            return false;
        };
        let answer: PushResponse = match serde_json::from_slice(&answer) {
            Ok(answer) => answer,
            Err(error) => {
                tally.fail(format!("{kind}: not a push response: {error}"));
                return false;
            }
        };
        let wrong: Vec<_> = answer
            .results
            .iter()
            .filter(|result| result.status != expect)
            .collect();
        if answer.results.len() != events.len() || !wrong.is_empty() {
            tally.fail(format!(
                "{kind}: {} events, {} answers, {} not {expect:?}: {:?}",
                events.len(),
                answer.results.len(),
                wrong.len(),
                wrong.first()
            ));
            return false;
        }
        true
    }
}

/// A school of the demo trust and who works there.
struct School {
    id: Uuid,
    /// The school days of the week before today: the late door takes arrivals up to a week old.
    days: Vec<NaiveDate>,
    /// The first day of the academic year, for the figures.
    year_starts: NaiveDate,
    door: String,
    visitor: (Uuid, String),
    lead: Uuid,
    /// Office users' emails, and whether they see the registers and the late arrivals.
    office: Vec<(String, bool)>,
    pupils: Vec<Uuid>,
}

impl School {
    async fn load(pool: &PgPool, id: Uuid, today: NaiveDate) -> anyhow::Result<School> {
        let staff = async |role: &str| -> anyhow::Result<Vec<(Uuid, String)>> {
            Ok(sqlx::query_as(
                "select s.id, s.email from staff s join role_grants g on g.staff_id = s.id
                 where g.school_id = $1 and g.role = $2 order by s.email",
            )
            .bind(id)
            .bind(role)
            .fetch_all(pool)
            .await?)
        };
        let first = async |role: &str| -> anyhow::Result<(Uuid, String)> {
            staff(role)
                .await?
                .into_iter()
                .next()
                .with_context(|| format!("the school has no {role}: is this the demo trust?"))
        };
        let mut office = Vec::new();
        for (role, registers) in [
            ("attendance_officer", true),
            ("attendance_lead", true),
            ("school_admin", true),
            ("pastoral", true),
            // Leadership reads the figures but neither takes registers nor sees the late door.
            ("leadership", false),
        ] {
            // The first of each role: the demo's form tutors are many.
            office.push((first(role).await?.1, registers));
        }
        let year_starts: NaiveDate = sqlx::query_scalar(
            "select starts_on from academic_years where school_id = $1 and starts_on <= $2
             order by starts_on desc limit 1",
        )
        .bind(id)
        .bind(today)
        .fetch_one(pool)
        .await?;
        let days = common::school_days(
            pool,
            id,
            today - chrono::Duration::days(7),
            today - chrono::Duration::days(1),
        )
        .await?;
        // On roll every day of the week, so every arrival may write its mark.
        let pupils = sqlx::query_scalar(
            "select id from pupils where school_id = $1 and admitted_on <= $2
               and (left_on is null or left_on > $3) order by id",
        )
        .bind(id)
        .bind(days.first())
        .bind(days.last())
        .fetch_all(pool)
        .await?;
        Ok(School {
            id,
            days,
            year_starts,
            door: first("late_door").await?.1,
            visitor: first("home_visitor").await?,
            lead: first("attendance_lead").await?.0,
            office,
            pupils,
        })
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Arc::new(Settings::from_env()?);
    let pool = common::connect().await?;
    let database: String = sqlx::query_scalar("select current_database()")
        .fetch_one(&pool)
        .await?;
    if !database.contains("load") {
        bail!(
            "{database} is not a load-test database: the run undoes every write the seed did not \
             make, so it runs only on a database whose name has \"load\" in it (`make load`)"
        );
    }
    common::undo_everything(&pool).await?;
    let today = Utc::now().date_naive();
    let ids: Vec<Uuid> = sqlx::query_scalar("select id from schools order by name")
        .fetch_all(&pool)
        .await?;
    let mut schools = Vec::new();
    for id in ids {
        schools.push(Arc::new(School::load(&pool, id, today).await?));
    }
    if schools.is_empty() {
        bail!("{database} has no schools: seed it with `make load`");
    }

    println!(
        "{} late-door tablets, {} home visitors' phones and {} office users against {} for {} s; \
         {} schools, {} pupils",
        settings.doors,
        settings.phones,
        settings.office,
        settings.base,
        settings.run_for.as_secs(),
        schools.len(),
        schools.iter().map(|s| s.pupils.len()).sum::<usize>()
    );
    let started = Instant::now();
    let deadline = started + settings.run_for;
    let mut tasks = tokio::task::JoinSet::new();
    for door in 0..settings.doors {
        let school = schools[door % schools.len()].clone();
        // The tablets of one school share its sessions out, so no two log the same pupil.
        let nth = door / schools.len();
        let of = settings.doors.div_ceil(schools.len());
        let base = settings.base.clone();
        tasks.spawn(async move { late_door(&base, &school, nth, of, deadline).await });
    }
    for phone in 0..settings.phones {
        let school = schools[phone % schools.len()].clone();
        let (base, pool) = (settings.base.clone(), pool.clone());
        tasks.spawn(async move { home_visits(&base, &pool, &school, deadline).await });
    }
    for user in 0..settings.office {
        let school = schools[user % schools.len()].clone();
        let (email, registers) =
            school.office[(user / schools.len()) % school.office.len()].clone();
        let base = settings.base.clone();
        tasks
            .spawn(async move { office(&base, &school, &email, registers, today, deadline).await });
    }
    let mut tally = Tally::default();
    while let Some(done) = tasks.join_next().await {
        tally.merge(done??);
    }
    let elapsed = started.elapsed();

    report(&tally, elapsed);
    let mut problems = tally.failures.clone();
    problems.extend(check_database(&pool, &tally).await?);
    if !problems.is_empty() {
        for problem in problems.iter().take(20) {
            eprintln!("  {problem}");
        }
        bail!("{} problems (the first 20 above)", problems.len());
    }
    println!("No errors: every event applied once, every retry answered duplicate.");
    Ok(())
}

/// A late-door tablet: registers, pulls, then pushes arrivals and pulls until the deadline.
async fn late_door(
    base: &str,
    school: &School,
    nth: usize,
    of: usize,
    deadline: Instant,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let user = User::sign_in(base, &school.door).await?;
    let device = Uuid::new_v4();
    if !user.register(&mut tally, device, school.id).await {
        return Ok(tally);
    }
    let Some(first) = user
        .get(
            &mut tally,
            "pull",
            &format!("/api/sync/pull?device_id={device}"),
        )
        .await
    else {
        return Ok(tally);
    };
    let first: PullResponse = serde_json::from_slice(&first)?;
    let zone: chrono_tz::Tz = first.time_zone.parse().map_err(anyhow::Error::msg)?;
    let mut cursor = first.cursor;
    // This tablet's share of the week's sessions: every nth (day, session, pupil).
    let mut mine = Vec::new();
    for &day in &school.days {
        for session in [Session::Am, Session::Pm] {
            mine.extend(school.pupils.iter().map(|&pupil| (day, session, pupil)));
        }
    }
    let mut sessions = mine.into_iter().skip(nth).step_by(of);
    let mut pushes = 0usize;
    let mut to_undo: Vec<Uuid> = Vec::new();
    while Instant::now() < deadline {
        let n = rand::rng().random_range(1..=8);
        let mut events = Vec::new();
        let mut arrivals = Vec::new();
        let mut undone = Vec::new();
        let mut undos = Vec::new();
        for (day, session, pupil) in sessions.by_ref().take(n) {
            let opens = match session {
                Session::Am => first.policy.am_register_opens,
                Session::Pm => first.policy.pm_register_opens,
            };
            let late = chrono::Duration::minutes(rand::rng().random_range(1..=90));
            let arrived: DateTime<Utc> = day
                .and_time(opens + late)
                .and_local_timezone(zone)
                .earliest()
                .context("a local time that exists")?
                .with_timezone(&Utc);
            events.push(event(
                &user,
                device,
                "late_arrival",
                json!({ "school_id": school.id, "pupil_id": pupil, "arrived_at": arrived,
                        "reason": REASONS[rand::rng().random_range(0..REASONS.len())],
                        "note": "" }),
            ));
            arrivals.push(event_id(events.last().expect("just pushed")));
        }
        if events.is_empty() {
            // This tablet has logged every session it was given: it only pulls now.
            tokio::time::sleep(Duration::from_secs(1)).await;
        } else {
            // Now and then, the arrival logged by mistake in the last push is undone.
            if let Some(arrival) = to_undo.pop() {
                undone.push(arrival);
                events.push(event(
                    &user,
                    device,
                    "late_arrival_undo",
                    json!({ "school_id": school.id, "arrival_id": arrival }),
                ));
                undos.push(event_id(events.last().expect("just pushed")));
            }
            pushes += 1;
            if user
                .push(&mut tally, "push", device, &events, EventStatus::Applied)
                .await
            {
                if rand::rng().random_ratio(1, 10) {
                    to_undo.push(arrivals[0]);
                }
                tally.arrivals.extend(arrivals);
                tally.undone.extend(undone);
                tally.other_events.extend(undos);
                // The answer was lost: the tablet sends the same batch again.
                if pushes.is_multiple_of(8)
                    && user
                        .push(
                            &mut tally,
                            "push (retry)",
                            device,
                            &events,
                            EventStatus::Duplicate,
                        )
                        .await
                {
                    tally.retried += events.len();
                }
            }
        }
        let path = format!("/api/sync/pull?device_id={device}&cursor={cursor}");
        if let Some(answer) = user.get(&mut tally, "pull", &path).await {
            let answer: PullResponse = serde_json::from_slice(&answer)?;
            cursor = answer.cursor;
        }
        think(500..1500).await;
    }
    Ok(tally)
}

/// A home visitor's phone: one visit after another, each pushed as it happens.
async fn home_visits(
    base: &str,
    pool: &PgPool,
    school: &School,
    deadline: Instant,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let user = User::sign_in(base, &school.visitor.1).await?;
    let device = Uuid::new_v4();
    if !user.register(&mut tally, device, school.id).await {
        return Ok(tally);
    }
    let mut pushes = 0usize;
    while Instant::now() < deadline {
        // The office plans the visit (not timed: it is not the phone's request).
        let pupil = school.pupils[rand::rng().random_range(0..school.pupils.len())];
        let visit = plan(
            pool,
            school.lead,
            school.id,
            &NewVisit {
                pupil_id: pupil,
                case_id: None,
                officer_id: school.visitor.0,
                planned_on: Utc::now().date_naive(),
                reason: "Load test".to_string(),
            },
        )
        .await?
        .map_err(anyhow::Error::msg)?;
        let now = Utc::now() - chrono::Duration::minutes(30);
        let (s, v) = (school.id, visit);
        let record = VisitRecord {
            child_seen: true,
            safe_and_well_checked: true,
            spoke_with: "Mother".to_string(),
            what_was_said: "He has been unwell".to_string(),
            facts: "Curtains open, child at the door".to_string(),
            agreed_actions: "Back on Monday".to_string(),
            ..VisitRecord::default()
        };
        let events = [
            event(
                &user,
                device,
                "visit_risk_assessment",
                json!({ "school_id": s, "visit_id": v, "risks_known": "None known",
                        "second_person_needed": false, "first_visit": false }),
            ),
            event(
                &user,
                device,
                "visit_check_in",
                json!({ "school_id": s, "visit_id": v, "checked_in_at": now,
                        "expected_finish": now + chrono::Duration::minutes(45), "companion": "" }),
            ),
            event(
                &user,
                device,
                "visit_record",
                json!({ "school_id": s, "visit_id": v, "base_revision": 0, "record": record }),
            ),
            event(
                &user,
                device,
                "visit_check_out",
                json!({ "school_id": s, "visit_id": v, "checked_out_at": Utc::now() }),
            ),
        ];
        pushes += 1;
        if user
            .push(
                &mut tally,
                "visit push",
                device,
                &events,
                EventStatus::Applied,
            )
            .await
        {
            tally.visits.push(visit);
            tally.other_events.extend(events.iter().map(event_id));
            if pushes.is_multiple_of(4)
                && user
                    .push(
                        &mut tally,
                        "visit push (retry)",
                        device,
                        &events,
                        EventStatus::Duplicate,
                    )
                    .await
            {
                tally.retried += events.len();
            }
        }
        think(2000..4000).await;
    }
    Ok(tally)
}

/// Someone in the office, moving between the pages and downloading figures.
async fn office(
    base: &str,
    school: &School,
    email: &str,
    registers: bool,
    today: NaiveDate,
    deadline: Instant,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let user = User::sign_in(base, email).await?;
    let (s, from) = (school.id, school.year_starts);
    let mut pages: Vec<(&'static str, String)> = vec![
        ("page /today", "/today".to_string()),
        ("page /cases", "/cases".to_string()),
        ("page /reports", "/reports".to_string()),
        ("page /pupils", "/pupils".to_string()),
        (
            "api attendance (year, by year group)",
            format!("/api/schools/{s}/attendance?from={from}&to={today}&by=year"),
        ),
        (
            "api daily-absence.csv (year)",
            format!("/api/schools/{s}/reports/daily-absence.csv?from={from}&to={today}"),
        ),
        ("api auth/me", "/api/auth/me".to_string()),
    ];
    if registers {
        pages.extend([
            ("page /registers", "/registers".to_string()),
            ("page /late-arrivals", "/late-arrivals".to_string()),
            (
                "api late arrivals (a day)",
                format!(
                    "/api/schools/{s}/late-arrivals?date={}",
                    school.days.last().unwrap_or(&today)
                ),
            ),
        ]);
    }
    while Instant::now() < deadline {
        let (kind, path) = &pages[rand::rng().random_range(0..pages.len())];
        user.get(&mut tally, kind, path).await;
        think(500..1500).await;
    }
    Ok(tally)
}

fn event(user: &User, device: Uuid, kind: &str, payload: Value) -> Value {
    json!({
        "id": Uuid::new_v4(), "device_id": device, "staff_id": user.staff_id, "kind": kind,
        "schema_version": 1, "device_time": Utc::now(), "payload": payload
    })
}

fn event_id(event: &Value) -> Uuid {
    event["id"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
        .expect("an event has its id")
}

async fn think(millis: std::ops::Range<u64>) {
    let pause = rand::rng().random_range(millis);
    tokio::time::sleep(Duration::from_millis(pause)).await;
}

/// Each kind of request: how many, median, 95th and 99th percentile (nearest rank), slowest.
fn report(tally: &Tally, elapsed: Duration) {
    println!();
    println!(
        "{:<40} {:>8} {:>9} {:>9} {:>9} {:>9}",
        "request", "count", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    let mut all = 0;
    for (kind, times) in &tally.times {
        let mut times = times.clone();
        times.sort();
        let rank = |p: usize| times[(times.len() * p).div_ceil(100).max(1) - 1];
        println!(
            "{kind:<40} {:>8} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
            times.len(),
            common::millis(rank(50)),
            common::millis(rank(95)),
            common::millis(rank(99)),
            common::millis(*times.last().expect("a kind has a time"))
        );
        all += times.len();
    }
    let seconds = elapsed.as_secs_f64();
    println!();
    println!(
        "{all} requests in {seconds:.0} s: {:.1} requests/s; {} arrivals ({} of them undone) \
         and {} undo and visit events applied ({:.1} events/s), {} events retried and answered \
         duplicate; {} failures",
        all as f64 / seconds,
        tally.arrivals.len(),
        tally.undone.len(),
        tally.other_events.len(),
        (tally.arrivals.len() + tally.other_events.len()) as f64 / seconds,
        tally.retried,
        tally.failures.len()
    );
}

/// Every event applied is in the database exactly once, and did what it says.
async fn check_database(pool: &PgPool, tally: &Tally) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut expect = async |what: &str, sql: &str, ids: &[Uuid], want: usize| {
        let got: i64 = sqlx::query_scalar(sql).bind(ids).fetch_one(pool).await?;
        if got != want as i64 {
            problems.push(format!("{what}: {got} in the database, {want} expected"));
        }
        anyhow::Ok(())
    };
    let mut events = tally.arrivals.clone();
    events.extend(&tally.other_events);
    let n = events.len();
    expect(
        "stored events",
        "select count(*) from sync_events where id = any($1)",
        &events,
        n,
    )
    .await?;
    expect(
        "stored events this run did not send",
        "select count(*) from sync_events where not id = any($1)",
        &events,
        0,
    )
    .await?;
    let arrivals = &tally.arrivals;
    expect(
        "arrivals",
        "select count(*) from late_arrivals where id = any($1)",
        arrivals,
        arrivals.len(),
    )
    .await?;
    expect(
        "arrivals this run did not send",
        "select count(*) from late_arrivals where not id = any($1)",
        arrivals,
        0,
    )
    .await?;
    expect(
        "undone arrivals",
        "select count(*) from late_arrivals where id = any($1) and undone_at is not null",
        &tally.undone,
        tally.undone.len(),
    )
    .await?;
    // The week's sessions had no marks, so each arrival not undone holds the session's one
    // current mark, the late door's.
    expect(
        "current late-door marks",
        "select count(*) from late_arrivals a join marks m on m.school_id = a.school_id
             and m.pupil_id = a.pupil_id and m.session_date = a.session_date
             and m.session = a.session and m.is_current and m.source = 'late_door'
         where a.id = any($1) and a.undone_at is null",
        arrivals,
        arrivals.len() - tally.undone.len(),
    )
    .await?;
    expect(
        "visits checked out",
        "select count(*) from home_visits where id = any($1) and checked_out_at is not null",
        &tally.visits,
        tally.visits.len(),
    )
    .await?;
    Ok(problems)
}
