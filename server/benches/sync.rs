//! `make bench`: how long the late door's sync push takes on the server (`sync::queries::push`,
//! the whole of `POST /api/sync/push` but for the HTTP layer), against the benchmark trust that
//! `scripts/bench.sh` seeds once and passes in `DATABASE_URL`.
//!
//! - One device pushes a full batch of 1,000 late arrivals: 1,000 pupils of one school, one
//!   session of the last day with marks. The seeded marks of those sessions are set aside first,
//!   so every arrival writes its L or U as a pupil walking in before the register was taken
//!   would; the push is timed, then checked: every event applied, one arrival and one current
//!   late-door mark per event.
//! - Twenty devices (two doors at each of the ten schools) push 50 arrivals each at the same
//!   moment; the time is until the last push is answered. Checked: no push failed, every event
//!   applied exactly once, and the database holds exactly one arrival, one stored event and one
//!   current late-door mark per event.
//! - The same twenty devices, each sending its batch twice at once (a retry racing the push whose
//!   answer was lost): each event must come back applied from one push and duplicate from the
//!   other, and be in the database once.
//!
//! Each run uses fresh event ids and cycles through the schools and the morning and afternoon
//! sessions; after it is timed, everything it wrote is undone (arrivals, stored events, marks,
//! the running totals) and the seeded marks are made current again, as in `registers.rs`.
//!
//! `cargo bench -p server --bench sync -- "20 devices"` runs only the cases whose names contain
//! "20 devices".

mod common;

use std::{collections::HashMap, time::Instant};

use anyhow::{Context, bail};
use app::{
    attendance::queries::refresh_totals,
    auth::{Viewer, queries::viewer_for_staff},
    domain::codes::Session,
    sync::{DeviceRegistration, EventStatus, PushRequest, PushResponse, queries as sync},
};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use common::{Filter, Trust, measure, print_results, skip_foreign_keys, undo_everything, vacuum};

/// A full push: the most events a push may carry.
const BATCH: usize = app::sync::MAX_BATCH;
/// Devices pushing at the same moment, and the arrivals each pushes.
const DEVICES_PER_SCHOOL: usize = 2;
const EACH: usize = 50;

const REASONS: [&str; 4] = ["transport", "medical", "overslept", "caring"];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let filter = Filter::from_args();
    let pool = common::connect().await?;
    let trust = Trust::load(&pool).await?;
    undo_everything(&pool).await?;
    vacuum(&pool).await?;
    let watermark = common::watermark(&pool).await?;
    trust.describe(&pool).await?;

    let mut schools = Vec::new();
    for &school_id in &trust.schools {
        schools.push(School::load(&pool, school_id).await?);
    }

    let mut results = Vec::new();

    if filter.wants("sync push (1 device") {
        results.push(
            measure("sync push (1 device, 1,000 late arrivals)", 30, async |i| {
                let school = &schools[i % schools.len()];
                let session = session_of(i / schools.len());
                let door = &school.doors[0];
                let pupils = school.pupils(session, 0, BATCH)?;
                let hidden = school.set_aside(&pool, session, pupils).await?;
                let events = door.arrivals(school, session, pupils, i);
                let request = door.request(school, events.clone());

                let started = Instant::now();
                let response = sync::push(&pool, &door.viewer, &request, school.now())
                    .await?
                    .map_err(|refused| anyhow::anyhow!("the push was refused: {refused:?}"))?;
                let took = started.elapsed();

                applied_once(&events, &[response])?;
                school.check_written(&pool, &events).await?;
                school.undo(&pool, watermark, &hidden, pupils).await?;
                Ok(took)
            })
            .await?,
        );
    }

    for (name, sends) in [
        ("sync push (20 devices at once, 50 arrivals each)", 1),
        ("sync push (20 devices at once, each batch sent twice)", 2),
    ] {
        if !filter.wants(name) {
            continue;
        }
        results.push(
            measure(name, 20, async |i| {
                let session = session_of(i);
                let mut pushes = Vec::new();
                let mut all_events = Vec::new();
                let mut hidden = Vec::new();
                for school in &schools {
                    let pupils = school.pupils(session, 0, DEVICES_PER_SCHOOL * EACH)?;
                    hidden.push(school.set_aside(&pool, session, pupils).await?);
                    let mut events_here = Vec::new();
                    for (d, door) in school.doors.iter().enumerate() {
                        let mine = &pupils[d * EACH..(d + 1) * EACH];
                        let events = door.arrivals(school, session, mine, i);
                        for _ in 0..sends {
                            pushes.push((
                                door.viewer.clone(),
                                door.request(school, events.clone()),
                                school.now(),
                            ));
                        }
                        events_here.extend(events);
                    }
                    all_events.push(events_here);
                }

                let started = Instant::now();
                let mut running = tokio::task::JoinSet::new();
                for (viewer, request, now) in pushes {
                    let pool = pool.clone();
                    running.spawn(async move { sync::push(&pool, &viewer, &request, now).await });
                }
                let mut responses = Vec::new();
                let mut failed = Vec::new();
                while let Some(done) = running.join_next().await {
                    match done? {
                        Ok(Ok(response)) => responses.push(response),
                        Ok(Err(refused)) => failed.push(format!("refused: {refused:?}")),
                        Err(error) => failed.push(format!("error: {error}")),
                    }
                }
                let took = started.elapsed();

                if !failed.is_empty() {
                    bail!(
                        "{} of the pushes failed: {}",
                        failed.len(),
                        failed.join("; ")
                    );
                }
                let events: Vec<Value> = all_events.iter().flatten().cloned().collect();
                if sends == 1 {
                    applied_once(&events, &responses)?;
                } else {
                    applied_once_then_duplicate(&events, &responses)?;
                }
                for (school, events) in schools.iter().zip(&all_events) {
                    school.check_written(&pool, events).await?;
                }
                for (school, hidden) in schools.iter().zip(&hidden) {
                    let pupils = school.pupils(session, 0, DEVICES_PER_SCHOOL * EACH)?;
                    school.undo(&pool, watermark, hidden, pupils).await?;
                }
                Ok(took)
            })
            .await?,
        );
    }

    undo_everything(&pool).await?;
    vacuum(&pool).await?;
    print_results(&results);
    Ok(())
}

/// Morning and afternoon in turn.
fn session_of(i: usize) -> Session {
    if i.is_multiple_of(2) {
        Session::Am
    } else {
        Session::Pm
    }
}

/// Every event was answered applied, once, by one of the pushes.
fn applied_once(events: &[Value], responses: &[PushResponse]) -> anyhow::Result<()> {
    let answers = answers(responses);
    for event in events {
        let id = event_id(event);
        match answers.get(&id).map(Vec::as_slice) {
            Some([(EventStatus::Applied, _)]) => {}
            other => bail!("event {id} was answered {other:?}, not applied once"),
        }
    }
    if answers.len() != events.len() {
        bail!("{} events pushed, {} answered", events.len(), answers.len());
    }
    Ok(())
}

/// Every event, sent twice at once, was applied by one push and a duplicate in the other.
fn applied_once_then_duplicate(events: &[Value], responses: &[PushResponse]) -> anyhow::Result<()> {
    let answers = answers(responses);
    for event in events {
        let id = event_id(event);
        let mut statuses: Vec<EventStatus> = answers
            .get(&id)
            .map(|answers| answers.iter().map(|(status, _)| *status).collect())
            .unwrap_or_default();
        statuses.sort_by_key(|status| *status as u8);
        if statuses != [EventStatus::Applied, EventStatus::Duplicate] {
            bail!(
                "event {id}, sent twice, was answered {:?}, not applied once and duplicate once",
                answers.get(&id)
            );
        }
    }
    Ok(())
}

fn answers(responses: &[PushResponse]) -> HashMap<Uuid, Vec<(EventStatus, Option<String>)>> {
    let mut answers: HashMap<Uuid, Vec<(EventStatus, Option<String>)>> = HashMap::new();
    for response in responses {
        for result in &response.results {
            let reason = result.reason.clone().or_else(|| result.note.clone());
            answers
                .entry(result.id.unwrap_or_default())
                .or_default()
                .push((result.status, reason));
        }
    }
    answers
}

fn event_id(event: &Value) -> Uuid {
    event["id"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
        .unwrap_or_default()
}

/// A school of the trust, its late-door devices, and the pupils whose arrivals are logged.
struct School {
    id: Uuid,
    zone: chrono_tz::Tz,
    am_opens: NaiveTime,
    pm_opens: NaiveTime,
    /// The last day with marks: "today" for the pushes.
    day: NaiveDate,
    /// The pupils on roll with a mark in each session that day, in a fixed order.
    am: Vec<Uuid>,
    pm: Vec<Uuid>,
    doors: Vec<Door>,
}

/// A device at a school's door, registered to its late-door member of staff.
struct Door {
    viewer: Viewer,
    device: Uuid,
}

impl School {
    async fn load(pool: &PgPool, id: Uuid) -> anyhow::Result<School> {
        let (zone, am_opens, pm_opens, day): (String, NaiveTime, NaiveTime, NaiveDate) =
            sqlx::query_as(
                "select s.time_zone, s.am_register_opens, s.pm_register_opens,
                    (select max(session_date) from marks m where m.school_id = s.id)
                 from schools s where s.id = $1",
            )
            .bind(id)
            .fetch_one(pool)
            .await?;
        let session_pupils = async |session: Session| -> anyhow::Result<Vec<Uuid>> {
            Ok(sqlx::query_scalar(
                "select m.pupil_id from marks m
                 join pupils p on p.school_id = m.school_id and p.id = m.pupil_id
                 where m.school_id = $1 and m.session_date = $2 and m.session = $3
                   and m.is_current and p.admitted_on <= $2
                   and (p.left_on is null or p.left_on >= $2)
                 order by m.pupil_id",
            )
            .bind(id)
            .bind(day)
            .bind(session.as_str())
            .fetch_all(pool)
            .await?)
        };
        let am = session_pupils(Session::Am).await?;
        let pm = session_pupils(Session::Pm).await?;
        let staff: Uuid = sqlx::query_scalar(
            "select staff_id from role_grants where school_id = $1 and role = 'late_door'
             order by staff_id limit 1",
        )
        .bind(id)
        .fetch_one(pool)
        .await
        .context("the bench school has no late-door member of staff")?;
        let viewer = viewer_for_staff(pool, staff)
            .await?
            .context("the late-door member of staff cannot sign in")?;
        let mut doors = Vec::new();
        for n in 0..DEVICES_PER_SCHOOL {
            let device = Uuid::new_v4();
            sync::register_device(
                pool,
                &viewer,
                &DeviceRegistration {
                    id: device,
                    school_id: id,
                    name: format!("Bench door {}", n + 1),
                },
            )
            .await?
            .map_err(|refused| anyhow::anyhow!("registering a device: {refused:?}"))?;
            doors.push(Door {
                viewer: viewer.clone(),
                device,
            });
        }
        Ok(School {
            id,
            zone: zone.parse().unwrap_or(chrono_tz::Europe::London),
            am_opens,
            pm_opens,
            day,
            am,
            pm,
            doors,
        })
    }

    fn pupils(&self, session: Session, skip: usize, count: usize) -> anyhow::Result<&[Uuid]> {
        let pupils = match session {
            Session::Am => &self.am,
            Session::Pm => &self.pm,
        };
        pupils.get(skip..skip + count).with_context(|| {
            format!(
                "only {} pupils have a {session:?} mark on {}: reseed the bench database",
                pupils.len(),
                self.day
            )
        })
    }

    fn local(&self, time: NaiveTime) -> DateTime<Utc> {
        self.zone
            .from_local_datetime(&self.day.and_time(time))
            .earliest()
            .expect("a time that exists in the school's zone")
            .with_timezone(&Utc)
    }

    /// The end of the school day, when every arrival has been logged.
    fn now(&self) -> DateTime<Utc> {
        self.local(NaiveTime::from_hms_opt(17, 0, 0).expect("a time"))
    }

    /// Sets the session's seeded marks of these pupils aside (no longer current), as if the
    /// register were not yet taken; returns them, to be made current again.
    async fn set_aside(
        &self,
        pool: &PgPool,
        session: Session,
        pupils: &[Uuid],
    ) -> anyhow::Result<Vec<i64>> {
        let hidden: Vec<i64> = sqlx::query_scalar(
            "update marks set is_current = false
             where school_id = $1 and pupil_id = any($2) and session_date = $3 and session = $4
               and is_current
             returning id",
        )
        .bind(self.id)
        .bind(pupils)
        .bind(self.day)
        .bind(session.as_str())
        .fetch_all(pool)
        .await?;
        if hidden.len() != pupils.len() {
            bail!(
                "{} marks set aside for {} pupils",
                hidden.len(),
                pupils.len()
            );
        }
        refresh_totals(&mut *pool.acquire().await?, self.id, pupils, self.day).await?;
        Ok(hidden)
    }

    /// Every event is in the database once: one stored event, one arrival, and (the session
    /// having been unmarked) one current late-door mark, for these events' pupils.
    async fn check_written(&self, pool: &PgPool, events: &[Value]) -> anyhow::Result<()> {
        let ids: Vec<Uuid> = events.iter().map(event_id).collect();
        let pupils: Vec<Uuid> = events
            .iter()
            .filter_map(|e| e["payload"]["pupil_id"].as_str())
            .filter_map(|id| Uuid::parse_str(id).ok())
            .collect();
        let (stored, distinct_stored, arrivals, distinct_arrivals, sessions, marks): (
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
        ) = sqlx::query_as(
            "select
                (select count(*) from sync_events where school_id = $1 and id = any($2)),
                (select count(distinct id) from sync_events where school_id = $1 and id = any($2)),
                (select count(*) from late_arrivals where school_id = $1 and id = any($2)),
                (select count(distinct id) from late_arrivals where school_id = $1 and id = any($2)),
                (select count(distinct (pupil_id, session_date, session)) from late_arrivals
                 where school_id = $1 and id = any($2)),
                (select count(*) from marks where school_id = $1 and pupil_id = any($3)
                   and session_date = $4 and source = 'late_door' and is_current)",
        )
        .bind(self.id)
        .bind(&ids)
        .bind(&pupils)
        .bind(self.day)
        .fetch_one(pool)
        .await?;
        let n = events.len() as i64;
        if [
            stored,
            distinct_stored,
            arrivals,
            distinct_arrivals,
            sessions,
            marks,
        ] != [n; 6]
        {
            bail!(
                "{n} events, but {stored} stored ({distinct_stored} distinct), {arrivals} \
                 arrivals ({distinct_arrivals} distinct, {sessions} sessions), {marks} current \
                 late-door marks"
            );
        }
        Ok(())
    }

    /// Undoes a run at this school: its arrivals, stored events and marks go, the seeded marks
    /// are current again, and the running totals are rebuilt for the day.
    async fn undo(
        &self,
        pool: &PgPool,
        watermark: i64,
        hidden: &[i64],
        pupils: &[Uuid],
    ) -> anyhow::Result<()> {
        let mut tx = pool.begin().await?;
        skip_foreign_keys(&mut tx).await?;
        for sql in [
            "delete from late_arrivals where school_id = $1",
            "delete from sync_events where school_id = $1",
            "delete from sync_rejections where school_id = $1",
        ] {
            sqlx::query(sql).bind(self.id).execute(&mut *tx).await?;
        }
        sqlx::query("delete from marks where school_id = $1 and id > $2")
            .bind(self.id)
            .bind(watermark)
            .execute(&mut *tx)
            .await?;
        sqlx::query("update marks set is_current = true where school_id = $1 and id = any($2)")
            .bind(self.id)
            .bind(hidden)
            .execute(&mut *tx)
            .await?;
        refresh_totals(&mut tx, self.id, pupils, self.day).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Door {
    /// Late arrivals of these pupils for a session, each with a new id: between one minute and
    /// two hours after the register opened, so some are L and some U, with every late reason.
    fn arrivals(
        &self,
        school: &School,
        session: Session,
        pupils: &[Uuid],
        run: usize,
    ) -> Vec<Value> {
        let opens = match session {
            Session::Am => school.am_opens,
            Session::Pm => school.pm_opens,
        };
        pupils
            .iter()
            .enumerate()
            .map(|(k, pupil)| {
                let late = chrono::Duration::seconds(60 + ((k * 37 + run * 11) % 7200) as i64);
                let arrived = school.local(opens + late);
                json!({
                    "id": Uuid::new_v4(),
                    "device_id": self.device,
                    "staff_id": self.viewer.staff_id,
                    "kind": "late_arrival",
                    "schema_version": 1,
                    "device_time": arrived,
                    "payload": {
                        "school_id": school.id,
                        "pupil_id": pupil,
                        "arrived_at": arrived,
                        "reason": REASONS[k % REASONS.len()],
                        "note": "",
                    }
                })
            })
            .collect()
    }

    fn request(&self, school: &School, events: Vec<Value>) -> PushRequest {
        PushRequest {
            device_id: self.device,
            sent_at: school.now(),
            events,
        }
    }
}
