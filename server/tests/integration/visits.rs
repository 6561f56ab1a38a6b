//! Home visits against a real PostgreSQL: planning for the school's own pupils, the phone's
//! events through the sync protocol (risk assessment before the start, check-in before
//! check-out), a stale revision kept as a conflict, safeguarding notes hidden from everyone but
//! the DSL in every query, and the office's overdue check-out alert.

use crate::common;

use app::{
    auth::{Viewer, queries::viewer_for_staff},
    domain::roles::Role,
    sync::{DeviceRegistration, EventStatus, PushRequest, PushResponse, queries as sync},
    visits::{
        Saved, VisitRecord,
        queries::{self, NewVisit},
    },
};
use chrono::{DateTime, Duration, Utc};
use common::fixture::{Fixture, email};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

async fn viewer(pool: &PgPool, role: Role) -> Viewer {
    let id: Uuid = sqlx::query_scalar("select id from staff where email = $1")
        .bind(email(role))
        .fetch_one(pool)
        .await
        .unwrap();
    viewer_for_staff(pool, id).await.unwrap().unwrap()
}

/// A home visitor's phone, registered to the main school.
struct Phone {
    viewer: Viewer,
    device: Uuid,
    school: Uuid,
}

impl Phone {
    async fn new(pool: &PgPool, world: &Fixture) -> Phone {
        let viewer = viewer(pool, Role::HomeVisitor).await;
        let device = Uuid::new_v4();
        sync::register_device(
            pool,
            &viewer,
            &DeviceRegistration {
                id: device,
                school_id: world.school.id,
                name: "Phone".to_string(),
            },
        )
        .await
        .unwrap()
        .unwrap();
        Phone {
            viewer,
            device,
            school: world.school.id,
        }
    }

    fn event(&self, kind: &str, payload: Value) -> Value {
        json!({
            "id": Uuid::new_v4(), "device_id": self.device, "staff_id": self.viewer.staff_id,
            "kind": kind, "schema_version": 1, "device_time": Utc::now(), "payload": payload
        })
    }

    fn risk(&self, visit: Uuid, first_visit: bool, second: bool) -> Value {
        self.event(
            "visit_risk_assessment",
            json!({ "school_id": self.school, "visit_id": visit, "risks_known": "Dog in the yard",
                    "second_person_needed": second, "first_visit": first_visit }),
        )
    }

    fn check_in(&self, visit: Uuid, at: DateTime<Utc>, minutes: i64, companion: &str) -> Value {
        self.event(
            "visit_check_in",
            json!({ "school_id": self.school, "visit_id": visit, "checked_in_at": at,
                    "expected_finish": at + Duration::minutes(minutes), "companion": companion }),
        )
    }

    fn check_out(&self, visit: Uuid) -> Value {
        self.event(
            "visit_check_out",
            json!({ "school_id": self.school, "visit_id": visit, "checked_out_at": Utc::now() }),
        )
    }

    fn record(&self, visit: Uuid, base: i32, record: &VisitRecord) -> Value {
        self.event(
            "visit_record",
            json!({ "school_id": self.school, "visit_id": visit, "base_revision": base,
                    "record": record }),
        )
    }

    fn concern(&self, visit: Uuid, concern: &str) -> Value {
        self.event(
            "visit_concern",
            json!({ "school_id": self.school, "visit_id": visit, "concern": concern }),
        )
    }

    async fn push(&self, pool: &PgPool, events: Vec<Value>) -> PushResponse {
        sync::push(
            pool,
            &self.viewer,
            &PushRequest {
                device_id: self.device,
                sent_at: Utc::now(),
                events,
            },
            Utc::now(),
        )
        .await
        .unwrap()
        .unwrap()
    }
}

async fn plan(pool: &PgPool, world: &Fixture, pupil: Uuid, case_id: Option<Uuid>) -> Uuid {
    let lead = viewer(pool, Role::AttendanceLead).await;
    let visitor = viewer(pool, Role::HomeVisitor).await;
    queries::plan(
        pool,
        lead.staff_id,
        world.school.id,
        &NewVisit {
            pupil_id: pupil,
            case_id,
            officer_id: visitor.staff_id,
            planned_on: Utc::now().date_naive(),
            reason: "Five days absent, no contact".to_string(),
        },
    )
    .await
    .unwrap()
    .unwrap()
}

fn record(facts: &str) -> VisitRecord {
    VisitRecord {
        child_seen: true,
        safe_and_well_checked: true,
        spoke_with: "Mother".to_string(),
        what_was_said: "Said he has been unwell".to_string(),
        facts: facts.to_string(),
        opinion: "Mother seemed anxious".to_string(),
        agreed_actions: "Back on Monday".to_string(),
        next_step: "Call on Monday".to_string(),
        ..VisitRecord::default()
    }
}

fn statuses(response: &PushResponse) -> Vec<(EventStatus, String)> {
    response
        .results
        .iter()
        .map(|r| {
            (
                r.status,
                r.reason.clone().or(r.note.clone()).unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_visit_is_planned_for_the_schools_own_pupils_only() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    let lead = viewer(&pool, Role::AttendanceLead).await;
    let visitor = viewer(&pool, Role::HomeVisitor).await;
    let tutor = viewer(&pool, Role::Pastoral).await;
    let new = |pupil_id, officer_id| NewVisit {
        pupil_id,
        case_id: None,
        officer_id,
        planned_on: Utc::now().date_naive(),
        reason: "Not seen since Monday".to_string(),
    };

    // A pupil of the sister school, through the main school: refused, nothing written.
    let refused = queries::plan(
        &pool,
        lead.staff_id,
        world.school.id,
        &new(world.sister.pupils[0], visitor.staff_id),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert!(
        refused.contains("no such pupil at this school"),
        "{refused}"
    );
    // A tutor does not make home visits.
    let refused = queries::plan(
        &pool,
        lead.staff_id,
        world.school.id,
        &new(world.school.pupils[0], tutor.staff_id),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert!(refused.contains("does not make home visits"), "{refused}");
    // A case of another pupil.
    let case_id: Uuid = sqlx::query_scalar(
        "insert into cases (school_id, pupil_id, stage) values ($1, $2, 'first_letter') returning id",
    )
    .bind(world.school.id)
    .bind(world.school.pupils[1])
    .fetch_one(&pool)
    .await
    .unwrap();
    let mut wrong_case = new(world.school.pupils[0], visitor.staff_id);
    wrong_case.case_id = Some(case_id);
    let refused = queries::plan(&pool, lead.staff_id, world.school.id, &wrong_case)
        .await
        .unwrap()
        .unwrap_err();
    assert!(refused.contains("no such case"), "{refused}");
    let count: i64 = sqlx::query_scalar("select count(*) from home_visits")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 0);

    // From the case: on the visitor's list with the address, contacts and the case.
    let visit = plan(&pool, &world, world.school.pupils[1], Some(case_id)).await;
    sqlx::query(
        "update contacts set address = '1 Mill Lane', postcode = 'AB1 2CD' where pupil_id = $1",
    )
    .bind(world.school.pupils[1])
    .execute(&pool)
    .await
    .unwrap();
    let mine = queries::my_visits(&pool, &visitor, world.school.id, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mine.visits.len(), 1);
    let seen = &mine.visits[0];
    assert_eq!(seen.id, visit);
    assert_eq!(seen.pupil_name, "Oliver Smith");
    assert_eq!(seen.address, "1 Mill Lane, AB1 2CD");
    assert_eq!(seen.contacts[0].phone, "07700 900123");
    assert!(
        seen.case_summary
            .as_deref()
            .unwrap()
            .contains("first letter")
    );
    assert_eq!(seen.source, app::visits::Source::Planned);
    // The lead's own list is empty: the visit is the visitor's.
    let theirs = queries::my_visits(&pool, &lead, world.school.id, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert!(theirs.visits.is_empty());

    // A visit event naming another school, or a visit the school does not have, is refused.
    let phone = Phone::new(&pool, &world).await;
    let mut stray = phone.risk(Uuid::new_v4(), false, false);
    stray["payload"]["school_id"] = json!(world.sister.id);
    let answer = phone
        .push(&pool, vec![stray, phone.risk(Uuid::new_v4(), false, false)])
        .await;
    let answer = statuses(&answer);
    assert_eq!(answer[0].0, EventStatus::Rejected);
    assert!(answer[0].1.contains("another school"), "{}", answer[0].1);
    assert!(answer[1].1.contains("no such visit"), "{}", answer[1].1);
}

#[tokio::test]
async fn a_visit_starts_only_after_its_risk_assessment() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    let phone = Phone::new(&pool, &world).await;
    let visit = plan(&pool, &world, world.school.pupils[0], None).await;
    let now = Utc::now() - Duration::minutes(1);

    let answer = phone
        .push(
            &pool,
            vec![
                phone.check_in(visit, now, 45, ""),
                phone.check_out(visit),
                phone.risk(visit, true, false),
                phone.record(visit, 0, &record("Curtains drawn")),
            ],
        )
        .await;
    let answer = statuses(&answer);
    assert!(
        answer.iter().all(|(s, _)| *s == EventStatus::Rejected),
        "{answer:?}"
    );
    assert!(
        answer[0]
            .1
            .contains("Complete the risk assessment before starting"),
        "{}",
        answer[0].1
    );
    assert!(
        answer[1].1.contains("Check in before checking out"),
        "{}",
        answer[1].1
    );
    assert!(answer[2].1.contains("never made alone"), "{}", answer[2].1);
    assert!(answer[3].1.contains("risk assessment"), "{}", answer[3].1);

    // Risk assessed as a first visit with a second person: the check-in must name them.
    let answer = phone
        .push(
            &pool,
            vec![
                phone.risk(visit, true, true),
                phone.check_in(visit, now, 45, ""),
                phone.check_in(visit, now, 45, "Jo Reed"),
                phone.check_out(visit),
            ],
        )
        .await;
    let answer = statuses(&answer);
    assert_eq!(answer[0].0, EventStatus::Applied, "{answer:?}");
    assert_eq!(answer[1].0, EventStatus::Rejected);
    assert!(answer[1].1.contains("second person"), "{}", answer[1].1);
    assert_eq!(answer[2].0, EventStatus::Applied, "{answer:?}");
    assert_eq!(answer[3].0, EventStatus::Applied, "{answer:?}");
    let (status, companion): (String, String) =
        sqlx::query_as("select status, companion from home_visits where id = $1")
            .bind(visit)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), companion.as_str()), ("done", "Jo Reed"));
    // The risk assessment cannot change once the visit started.
    let answer = phone
        .push(&pool, vec![phone.risk(visit, false, false)])
        .await;
    assert_eq!(answer.results[0].status, EventStatus::Rejected);
}

#[tokio::test]
async fn an_edit_based_on_a_stale_revision_becomes_a_conflict() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    let phone = Phone::new(&pool, &world).await;
    let lead = viewer(&pool, Role::AttendanceLead).await;
    let visit = plan(&pool, &world, world.school.pupils[0], None).await;
    phone
        .push(&pool, vec![phone.risk(visit, false, false)])
        .await;

    // The office saves first, from revision 0.
    let mut tx = pool.begin().await.unwrap();
    let saved = queries::save_record(
        &mut tx,
        lead.staff_id,
        world.school.id,
        visit,
        0,
        &record("Office: spoke on the doorstep"),
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(saved, Saved::Revision(1));

    // The phone's edit, made offline from revision 0, arrives second: kept as a conflict.
    let answer = phone
        .push(
            &pool,
            vec![phone.record(visit, 0, &record("Phone: child seen at the door"))],
        )
        .await;
    assert_eq!(answer.results[0].status, EventStatus::Applied);
    assert!(
        answer.results[0]
            .note
            .as_deref()
            .unwrap()
            .contains("conflict")
    );
    let stored = queries::visit(&pool, &lead, world.school.id, visit)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.record.unwrap().facts,
        "Office: spoke on the doorstep"
    );
    assert_eq!(stored.revision, 1);

    // Both see it side by side: the office, and the visitor whose visit it is.
    let watch = queries::watch(&pool, &lead, world.school.id, Utc::now())
        .await
        .unwrap();
    assert_eq!(watch.conflicts.len(), 1);
    let conflict = &watch.conflicts[0];
    assert_eq!(conflict.kept.facts, "Office: spoke on the doorstep");
    assert_eq!(conflict.edit.facts, "Phone: child seen at the door");
    let theirs = queries::watch(&pool, &phone.viewer, world.school.id, Utc::now())
        .await
        .unwrap();
    assert_eq!(theirs.conflicts.len(), 1);

    // A person takes the phone's version: a new revision, the conflict closed.
    queries::resolve(&pool, &lead, world.school.id, conflict.id, true)
        .await
        .unwrap()
        .unwrap();
    let stored = queries::visit(&pool, &lead, world.school.id, visit)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.record.unwrap().facts,
        "Phone: child seen at the door"
    );
    assert_eq!(stored.revision, 2);
    let again = queries::resolve(&pool, &lead, world.school.id, conflict.id, false)
        .await
        .unwrap();
    assert!(again.is_err());
}

#[tokio::test]
async fn safeguarding_notes_are_hidden_from_everyone_but_the_dsl() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    let phone = Phone::new(&pool, &world).await;
    let officer = viewer(&pool, Role::AttendanceOfficer).await;
    let dsl = viewer(&pool, Role::Dsl).await;
    let admin = viewer(&pool, Role::SchoolAdmin).await;
    let pupil = world.school.pupils[0];
    let case_id: Uuid = sqlx::query_scalar(
        "insert into cases (school_id, pupil_id, stage) values ($1, $2, 'meeting') returning id",
    )
    .bind(world.school.id)
    .bind(pupil)
    .fetch_one(&pool)
    .await
    .unwrap();
    let visit = plan(&pool, &world, pupil, Some(case_id)).await;
    let answer = phone
        .push(
            &pool,
            vec![
                phone.risk(visit, false, false),
                phone.check_in(visit, Utc::now() - Duration::minutes(5), 30, ""),
                phone.record(visit, 0, &record("Bruise on the left arm")),
                phone.concern(visit, "Bruise on the arm, explanation changed twice"),
            ],
        )
        .await;
    assert!(
        answer
            .results
            .iter()
            .all(|r| r.status == EventStatus::Applied),
        "{:?}",
        answer.results
    );

    // The visit itself: the notes are blank for the visitor, the officer and the admin.
    for who in [&phone.viewer, &officer, &admin] {
        let seen = queries::visit(&pool, who, world.school.id, visit)
            .await
            .unwrap()
            .unwrap();
        assert!(seen.notes_hidden);
        let notes = seen.record.unwrap();
        assert_eq!(notes.facts, "");
        assert_eq!(notes.opinion, "");
        assert_eq!(notes.what_was_said, "");
        assert_eq!(notes.next_step, "");
    }
    let mine = queries::my_visits(&pool, &phone.viewer, world.school.id, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mine.visits[0].record.as_ref().unwrap().facts, "");
    assert!(mine.watch.concerns.is_empty());

    // The DSL reads everything and has the alert.
    let seen = queries::visit(&pool, &dsl, world.school.id, visit)
        .await
        .unwrap()
        .unwrap();
    assert!(!seen.notes_hidden);
    assert_eq!(seen.record.unwrap().facts, "Bruise on the left arm");
    let watch = queries::watch(&pool, &dsl, world.school.id, Utc::now())
        .await
        .unwrap();
    assert_eq!(watch.concerns.len(), 1);
    assert!(watch.concerns[0].concern.contains("explanation changed"));

    // The case timeline: the visit and its outcome for all, the concern for the DSL only.
    let timeline = |viewer: Viewer| {
        let pool = pool.clone();
        async move {
            app::cases::queries::case_detail(&pool, &viewer, world.school.id, case_id)
                .await
                .unwrap()
                .unwrap()
                .events
        }
    };
    let officers = timeline(officer.clone()).await;
    let kinds: Vec<&str> = officers.iter().map(|e| e.kind.as_str()).collect();
    assert!(
        kinds.contains(&"visit_planned") && kinds.contains(&"visit_made"),
        "{kinds:?}"
    );
    assert!(!kinds.contains(&"visit_concern"));
    assert!(
        officers
            .iter()
            .all(|e| !e.summary.contains("Bruise") && !e.summary.contains("Monday"))
    );
    let made = officers.iter().find(|e| e.kind == "visit_made").unwrap();
    assert!(made.summary.contains("Child seen"), "{}", made.summary);
    let dsls = timeline(dsl.clone()).await;
    assert!(
        dsls.iter()
            .any(|e| e.kind == "visit_concern" && e.safeguarding)
    );

    // An edit by someone who cannot read the notes still cannot read them in a conflict.
    let mut tx = pool.begin().await.unwrap();
    queries::save_record(
        &mut tx,
        officer.staff_id,
        world.school.id,
        visit,
        0,
        &record("stale"),
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();
    let officers_watch = queries::watch(&pool, &officer, world.school.id, Utc::now())
        .await
        .unwrap();
    assert!(officers_watch.conflicts.is_empty());
    let dsls_watch = queries::watch(&pool, &dsl, world.school.id, Utc::now())
        .await
        .unwrap();
    assert_eq!(dsls_watch.conflicts.len(), 1);

    // The DSL marks it read: off the alert list, still on the visit.
    queries::concern_seen(&pool, dsl.staff_id, world.school.id, visit)
        .await
        .unwrap()
        .unwrap();
    let watch = queries::watch(&pool, &dsl, world.school.id, Utc::now())
        .await
        .unwrap();
    assert!(watch.concerns.is_empty());
}

#[tokio::test]
async fn an_overdue_check_out_alerts_the_office_with_the_address_and_phone() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    let phone = Phone::new(&pool, &world).await;
    let lead = viewer(&pool, Role::AttendanceLead).await;
    let pupil = world.school.pupils[1];
    sqlx::query(
        "update contacts set address = '7 Canal Street', postcode = 'ZZ9 9ZZ' where pupil_id = $1",
    )
    .bind(pupil)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("update staff set phone = '07700 900456' where id = $1")
        .bind(phone.viewer.staff_id)
        .execute(&pool)
        .await
        .unwrap();
    let visit = plan(&pool, &world, pupil, None).await;
    phone
        .push(
            &pool,
            vec![
                phone.risk(visit, false, false),
                phone.check_in(visit, Utc::now() - Duration::minutes(90), 60, ""),
            ],
        )
        .await;

    let watch = queries::watch(&pool, &lead, world.school.id, Utc::now())
        .await
        .unwrap();
    assert_eq!(watch.overdue.len(), 1);
    assert_eq!(watch.overdue[0].address, "7 Canal Street, ZZ9 9ZZ");
    assert_eq!(watch.overdue[0].officer_phone, "07700 900456");
    // Not the home visitor's to watch, and not overdue before the expected finish.
    let theirs = queries::watch(&pool, &phone.viewer, world.school.id, Utc::now())
        .await
        .unwrap();
    assert!(theirs.overdue.is_empty());
    let earlier = queries::watch(
        &pool,
        &lead,
        world.school.id,
        Utc::now() - Duration::hours(1),
    )
    .await
    .unwrap();
    assert!(earlier.overdue.is_empty());

    // Checked out: the alert goes.
    phone.push(&pool, vec![phone.check_out(visit)]).await;
    let watch = queries::watch(&pool, &lead, world.school.id, Utc::now())
        .await
        .unwrap();
    assert!(watch.overdue.is_empty());
}

#[tokio::test]
async fn a_late_door_device_cannot_send_visit_events_nor_a_visitor_arrivals() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    let phone = Phone::new(&pool, &world).await;
    let visit = plan(&pool, &world, world.school.pupils[0], None).await;
    let arrival = phone.event(
        "late_arrival",
        json!({ "school_id": world.school.id, "pupil_id": world.school.pupils[0],
                "arrived_at": Utc::now(), "reason": "transport", "note": "" }),
    );
    let answer = phone
        .push(&pool, vec![arrival, phone.risk(visit, false, false)])
        .await;
    assert_eq!(answer.results[0].status, EventStatus::Rejected);
    assert!(
        answer.results[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("may not send")
    );
    assert_eq!(answer.results[1].status, EventStatus::Applied);
}
