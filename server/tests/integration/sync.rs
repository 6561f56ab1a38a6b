//! The sync protocol against a real PostgreSQL: each event applied at most once, even when the
//! same batch is pushed twice at the same moment; bad events rejected alone with a reason; the
//! late door's precedence over the register; and pulls.

use crate::common;

use app::{
    auth::{Viewer, queries::viewer_for_staff},
    domain::{
        codes::{Code, Session},
        roles::Role,
    },
    registers::queries::{MarkWrite, Seen, write_marks},
    sync::{
        DeviceRegistration, EventStatus, PushRequest, PushResponse,
        queries::{self, Refused},
    },
};
use chrono::{DateTime, Utc};
use common::fixture::{Fixture, email};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

/// Tuesday 24 November 2026 at 09:30 in London (GMT): a school day in the fixture's calendar.
fn now() -> DateTime<Utc> {
    "2026-11-24T09:30:00Z".parse().unwrap()
}

fn at(time: &str) -> String {
    format!("2026-11-24T{time}Z")
}

async fn viewer(pool: &PgPool, role: Role) -> Viewer {
    let id: Uuid = sqlx::query_scalar("select id from staff where email = $1")
        .bind(email(role))
        .fetch_one(pool)
        .await
        .unwrap();
    viewer_for_staff(pool, id).await.unwrap().unwrap()
}

struct Door {
    viewer: Viewer,
    device: Uuid,
    school: Uuid,
}

impl Door {
    async fn new(pool: &PgPool, world: &Fixture) -> Door {
        let viewer = viewer(pool, Role::LateDoor).await;
        let device = Uuid::new_v4();
        queries::register_device(
            pool,
            &viewer,
            &DeviceRegistration {
                id: device,
                school_id: world.school.id,
                name: "Front gate".to_string(),
            },
        )
        .await
        .unwrap()
        .unwrap();
        Door {
            viewer,
            device,
            school: world.school.id,
        }
    }

    fn arrival(&self, pupil: Uuid, time: &str, reason: &str) -> Value {
        json!({
            "id": Uuid::new_v4(), "device_id": self.device, "staff_id": self.viewer.staff_id,
            "kind": "late_arrival", "schema_version": 1, "device_time": at(time),
            "payload": { "school_id": self.school, "pupil_id": pupil, "arrived_at": at(time),
                         "reason": reason, "note": "" }
        })
    }

    async fn push(&self, pool: &PgPool, events: &[Value]) -> PushResponse {
        queries::push(
            pool,
            &self.viewer,
            &PushRequest {
                device_id: self.device,
                sent_at: now(),
                events: events.to_vec(),
            },
            now(),
        )
        .await
        .unwrap()
        .unwrap()
    }
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

async fn current_mark(
    pool: &PgPool,
    pupil: Uuid,
    session: &str,
) -> Option<(String, Option<i32>, String)> {
    sqlx::query_as(
        "select code, minutes_late, source from marks
         where pupil_id = $1 and session_date = '2026-11-24' and session = $2 and is_current",
    )
    .bind(pupil)
    .bind(session)
    .fetch_optional(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn arrivals_apply_once_and_respect_the_office_marks() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let [amira, oliver, grace] = world.school.pupils[..] else {
        panic!("three pupils")
    };
    // The register was taken at 08:40: Oliver had no reason yet (N), Grace was marked ill.
    let mut tx = app.pool.begin().await.unwrap();
    let date = "2026-11-24".parse().unwrap();
    write_marks(
        &mut tx,
        world.school.id,
        None,
        "register",
        None,
        &[
            MarkWrite {
                pupil_id: oliver,
                date,
                session: Session::Am,
                code: Code::NoReasonYet,
                minutes_late: None,
                seen: Seen::Anything,
            },
            MarkWrite {
                pupil_id: grace,
                date,
                session: Session::Am,
                code: Code::Illness,
                minutes_late: None,
                seen: Seen::Anything,
            },
        ],
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();

    let door = Door::new(&app.pool, &world).await;
    // The fixture's register opens at 08:40 and stays open 30 minutes.
    let batch = [
        door.arrival(amira, "08:52:00", "transport"),
        door.arrival(oliver, "09:25:00", "overslept"),
        door.arrival(grace, "09:05:00", "medical"),
    ];
    let response = door.push(&app.pool, &batch).await;
    let statuses: Vec<EventStatus> = response.results.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [EventStatus::Applied; 3], "{response:?}");
    assert_eq!(
        response.results[0].note.as_deref(),
        Some("L, 12 minutes late")
    );
    assert_eq!(
        response.results[1].note.as_deref(),
        Some("U, 45 minutes late: Same-day detention")
    );
    assert!(
        response.results[2]
            .note
            .as_deref()
            .unwrap()
            .contains("already has I (Illness)"),
        "{response:?}"
    );
    assert_eq!(response.clock_skew_seconds, 0);

    assert_eq!(
        current_mark(&app.pool, amira, "AM").await,
        Some(("L".into(), Some(12), "late_door".into()))
    );
    // The N was the register waiting for a reason: the arrival replaces it, keeping the N.
    assert_eq!(
        current_mark(&app.pool, oliver, "AM").await,
        Some(("U".into(), Some(45), "late_door".into()))
    );
    let kept: String = sqlx::query_scalar(
        "select r.code from marks m join marks r on r.id = m.replaces_id where m.pupil_id = $1 and m.is_current",
    )
    .bind(oliver)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(kept, "N");
    // The office's I stands; the arrival is kept with the conflict for the office.
    assert_eq!(current_mark(&app.pool, grace, "AM").await.unwrap().0, "I");
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from late_arrivals where conflict is not null"
        )
        .await,
        1
    );

    // The same batch again (the answer was lost on the way back): all duplicates, nothing new.
    let again = door.push(&app.pool, &batch).await;
    assert!(
        again
            .results
            .iter()
            .all(|r| r.status == EventStatus::Duplicate),
        "{again:?}"
    );
    assert_eq!(
        count(&app.pool, "select count(*) from late_arrivals").await,
        3
    );
    assert_eq!(count(&app.pool, "select count(*) from marks").await, 4);
}

#[tokio::test]
async fn the_same_batch_pushed_twice_at_once_applies_once() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let door = Door::new(&app.pool, &world).await;
    let batch: Vec<Value> = world
        .school
        .pupils
        .iter()
        .map(|pupil| door.arrival(*pupil, "08:50:00", "transport"))
        .collect();
    let (first, second) = tokio::join!(door.push(&app.pool, &batch), door.push(&app.pool, &batch));
    let applied = first
        .results
        .iter()
        .chain(&second.results)
        .filter(|r| r.status == EventStatus::Applied)
        .count();
    let duplicate = first
        .results
        .iter()
        .chain(&second.results)
        .filter(|r| r.status == EventStatus::Duplicate)
        .count();
    assert_eq!((applied, duplicate), (3, 3), "{first:?} {second:?}");
    assert_eq!(
        count(&app.pool, "select count(*) from late_arrivals").await,
        3
    );
    assert_eq!(
        count(&app.pool, "select count(*) from marks where is_current").await,
        3
    );
    assert_eq!(
        count(&app.pool, "select count(*) from sync_events").await,
        3
    );
}

#[tokio::test]
async fn bad_events_are_rejected_alone_with_a_reason() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let door = Door::new(&app.pool, &world).await;
    let amira = world.school.pupils[0];
    let mut future = door.arrival(world.school.pupils[1], "11:00:00", "transport");
    future["payload"]["arrived_at"] = json!(at("11:00:00"));
    let mut long_ago = door.arrival(world.school.pupils[2], "08:50:00", "transport");
    long_ago["payload"]["arrived_at"] = json!("2026-11-02T08:50:00Z");
    let mut other_school = door.arrival(world.sister.pupils[0], "08:50:00", "transport");
    other_school["payload"]["school_id"] = json!(world.sister.id);
    let mut unknown_kind = door.arrival(amira, "08:50:00", "transport");
    unknown_kind["kind"] = json!("detention");
    let mut someone_else = door.arrival(amira, "08:50:00", "transport");
    someone_else["staff_id"] = json!(Uuid::new_v4());
    let batch = [
        json!({ "kind": "late_arrival" }),
        door.arrival(world.other_trust_school.pupils[0], "08:50:00", "transport"),
        future,
        long_ago,
        other_school,
        unknown_kind,
        someone_else,
        door.arrival(amira, "08:35:00", "transport"),
        door.arrival(amira, "08:50:00", "bus"),
        door.arrival(amira, "08:50:00", "other"),
        door.arrival(amira, "08:55:00", "caring"),
    ];
    let response = door.push(&app.pool, &batch).await;
    let reasons: Vec<String> = response
        .results
        .iter()
        .map(|r| format!("{:?}: {}", r.status, r.reason.clone().unwrap_or_default()))
        .collect();
    let expect = [
        "The event is malformed",
        "There is no such pupil at this school",
        "later than now (09:30): check the device's clock",
        "more than a week old",
        "for another school than the device's",
        "\"detention\" is not a kind of event",
        "captured by someone else",
        "Arrived at 08:35, before the register opened: not late",
        "\"bus\" is not a late reason",
        "\"other\" needs a note",
        "Applied: ",
    ];
    for (reason, expected) in reasons.iter().zip(expect) {
        assert!(
            reason.contains(expected),
            "wanted {expected:?} in {reason:?}\nall: {reasons:#?}"
        );
    }
    assert_eq!(
        count(&app.pool, "select count(*) from late_arrivals").await,
        1
    );
    assert_eq!(
        count(&app.pool, "select count(*) from sync_events").await,
        1
    );
    assert_eq!(
        count(&app.pool, "select count(*) from sync_rejections").await,
        10
    );

    // Over the batch limit: the first thousand apply, the rest wait for the next push.
    let many: Vec<Value> = (0..1001)
        .map(|_| json!({ "kind": "late_arrival" }))
        .collect();
    let response = door.push(&app.pool, &many).await;
    assert!(
        response.results[1000]
            .reason
            .as_deref()
            .unwrap()
            .contains("at most 1000 events")
    );
}

#[tokio::test]
async fn a_second_door_logging_the_same_pupil_changes_nothing_and_undo_puts_the_register_back() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let front = Door::new(&app.pool, &world).await;
    let back = Door::new(&app.pool, &world).await;
    let amira = world.school.pupils[0];
    let first = front.arrival(amira, "08:52:00", "transport");
    assert_eq!(
        front
            .push(&app.pool, std::slice::from_ref(&first))
            .await
            .results[0]
            .status,
        EventStatus::Applied
    );
    let second = back
        .push(&app.pool, &[back.arrival(amira, "08:53:00", "transport")])
        .await;
    assert_eq!(second.results[0].status, EventStatus::Rejected);
    assert!(
        second.results[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("Already logged late at 08:52 by Test Late door"),
        "{second:?}"
    );

    // Undo at the front door: the session is unmarked again, and the arrival stays, undone.
    let undo = json!({
        "id": Uuid::new_v4(), "device_id": front.device, "staff_id": front.viewer.staff_id,
        "kind": "late_arrival_undo", "schema_version": 1, "device_time": at("08:53:00"),
        "payload": { "school_id": front.school, "arrival_id": first["id"] }
    });
    let response = front.push(&app.pool, &[undo]).await;
    assert_eq!(
        response.results[0].status,
        EventStatus::Applied,
        "{response:?}"
    );
    assert_eq!(current_mark(&app.pool, amira, "AM").await, None);
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from late_arrivals where undone_at is not null"
        )
        .await,
        1
    );
    assert_eq!(
        count(&app.pool, "select count(*) from attendance_totals").await,
        0
    );
}

#[tokio::test]
async fn a_device_belongs_to_one_school_and_pulls_what_changed() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let door = Door::new(&app.pool, &world).await;

    // The device cannot be moved to the sister school, nor can anyone there push through it.
    let moved = queries::register_device(
        &app.pool,
        &viewer(&app.pool, Role::TrustAdmin).await,
        &DeviceRegistration {
            id: door.device,
            school_id: world.sister.id,
            name: String::new(),
        },
    )
    .await
    .unwrap();
    assert!(matches!(moved, Err(Refused::Forbidden(_))), "{moved:?}");
    // A tutor neither records arrivals nor makes home visits (a home visitor's phone now
    // pushes visit events through the same protocol).
    let outsider = viewer(&app.pool, Role::Pastoral).await;
    let refused = queries::push(
        &app.pool,
        &outsider,
        &PushRequest {
            device_id: door.device,
            sent_at: now(),
            events: vec![],
        },
        now(),
    )
    .await
    .unwrap();
    assert!(matches!(refused, Err(Refused::Forbidden(_))), "{refused:?}");

    let first = queries::pull(&app.pool, &door.viewer, world.school.id, None, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.roll.as_ref().map(Vec::len), Some(3));
    assert_eq!(first.policy.register_open_minutes, 30);
    assert!(first.arrivals.is_empty());
    door.push(
        &app.pool,
        &[door.arrival(world.school.pupils[0], "08:52:00", "transport")],
    )
    .await;
    let second = queries::pull(
        &app.pool,
        &door.viewer,
        world.school.id,
        Some(&first.cursor),
        now(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(second.roll, None, "the roll did not change");
    assert_eq!(second.arrivals.len(), 1);
    assert_eq!(second.arrivals[0].code, "L");

    // A pupil joins: the next pull carries the roll again.
    sqlx::query("update pupils set preferred_first_name = 'Mira' where id = $1")
        .bind(world.school.pupils[0])
        .execute(&app.pool)
        .await
        .unwrap();
    let third = queries::pull(
        &app.pool,
        &door.viewer,
        world.school.id,
        Some(&second.cursor),
        now(),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(
        third
            .roll
            .unwrap()
            .iter()
            .any(|pupil| pupil.first_name == "Mira")
    );
    let bad = queries::pull(
        &app.pool,
        &door.viewer,
        world.school.id,
        Some("yesterday"),
        now(),
    )
    .await
    .unwrap();
    assert!(matches!(bad, Err(Refused::Invalid(_))));
}

/// Found by the load test (`make load`): two doors logging one pupil's morning and afternoon at
/// the same moment both refresh the pupil's running totals and monthly counts. The second waits
/// for the first to commit, then counts both marks; it used to fail on a duplicate month.
#[tokio::test]
async fn two_pushes_marking_one_pupil_at_once_both_count() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let amira = world.school.pupils[0];
    let date: chrono::NaiveDate = "2026-11-24".parse().unwrap();
    let mark = move |session| MarkWrite {
        pupil_id: amira,
        date,
        session,
        code: Code::Late,
        minutes_late: Some(10),
        seen: Seen::Anything,
    };
    let mut first = app.pool.begin().await.unwrap();
    write_marks(
        &mut first,
        world.school.id,
        None,
        "late_door",
        None,
        &[mark(Session::Am)],
    )
    .await
    .unwrap()
    .unwrap();
    // The second starts while the first is open, and must wait for it.
    let pool = app.pool.clone();
    let school = world.school.id;
    let second = tokio::spawn(async move {
        let mut tx = pool.begin().await.unwrap();
        let saved = write_marks(
            &mut tx,
            school,
            None,
            "late_door",
            None,
            &[mark(Session::Pm)],
        )
        .await
        .map(|saved| saved.is_ok())
        .map_err(|error| error.to_string());
        tx.commit().await.unwrap();
        saved
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    first.commit().await.unwrap();
    assert_eq!(second.await.unwrap(), Ok(true));

    let (day, month): (Option<i32>, Option<i32>) = sqlx::query_as(
        "select (select late_before_close from attendance_totals
                 where pupil_id = $1 and session_date = '2026-11-24'),
                (select late_before_close from attendance_months
                 where pupil_id = $1 and month = '2026-11-01')",
    )
    .bind(amira)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((day, month), (Some(2), Some(2)));
}
