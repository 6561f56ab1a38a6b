//! First-day calling against a real PostgreSQL: the list opens when the AM register closes and
//! holds pupils with no mark or N, contacts come in priority order, attempts are logged, a
//! reason sets the mark through the amendment trail (the original kept, a stale register a
//! conflict), the school's deadlines flag pupils nobody reached, and only the school's own
//! staff see it.

use crate::common;

use app::{
    auth::{Viewer, queries::viewer_for_staff},
    calling::{
        CallingDay, Escalation,
        queries::{Escalated, calling_day_at, escalate},
    },
    domain::{
        codes::{Code, Session},
        roles::Role,
    },
    registers::queries::{MarkWrite, Seen, write_marks},
    visits::queries::watch,
};
use chrono::{NaiveDate, NaiveDateTime};
use common::{
    TestApp,
    fixture::{Fixture, OUTSIDER, email},
};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// A past school day (a Friday), so the list is open whatever the clock says.
const DAY: &str = "2026-11-20";

fn day() -> NaiveDate {
    DAY.parse().unwrap()
}

/// The school's clocks on `DAY` (the morning register closes at 09:10 by default).
fn at(time: &str) -> NaiveDateTime {
    format!("{DAY}T{time}:00").parse().unwrap()
}

async fn viewer(pool: &PgPool, role: Role) -> Viewer {
    let id: Uuid = sqlx::query_scalar("select id from staff where email = $1")
        .bind(email(role))
        .fetch_one(pool)
        .await
        .unwrap();
    viewer_for_staff(pool, id).await.unwrap().unwrap()
}

async fn mark(pool: &PgPool, school: Uuid, pupil: Uuid, code: Code) {
    let mut tx = pool.begin().await.unwrap();
    write_marks(
        &mut tx,
        school,
        None,
        "register",
        Some("Taken again"),
        &[MarkWrite {
            pupil_id: pupil,
            date: day(),
            session: Session::Am,
            code,
            minutes_late: None,
            seen: Seen::Anything,
        }],
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();
}

async fn list(pool: &PgPool, role: Role, school: Uuid, time: &str) -> CallingDay {
    let viewer = viewer(pool, role).await;
    calling_day_at(pool, &viewer, school, Some(day()), at(time))
        .await
        .unwrap()
        .unwrap()
}

fn names(day: &CallingDay) -> Vec<&str> {
    day.pupils.iter().map(|p| p.pupil_name.as_str()).collect()
}

async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, String)],
) -> (StatusCode, String) {
    let response = client.post(app.url(path)).form(form).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn am_mark_id(pool: &PgPool, school: Uuid, pupil: Uuid) -> i64 {
    sqlx::query_scalar(
        "select id from marks where school_id = $1 and pupil_id = $2 and session_date = $3
         and session = 'AM' and is_current",
    )
    .bind(school)
    .bind(pupil)
    .bind(day())
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_list_opens_when_the_register_closes_with_no_mark_or_n_and_contacts_in_order() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let school = world.school.id;
    let [amira, oliver, _grace] = world.school.pupils[..] else {
        panic!("three pupils")
    };
    mark(&app.pool, school, amira, Code::PresentAm).await;
    mark(&app.pool, school, oliver, Code::NoReasonYet).await;
    // Oliver's other contacts, added out of order.
    for (priority, first, relationship) in [(3, "Ade", "Grandparent"), (2, "Chris", "Father")] {
        sqlx::query(
            "insert into contacts (school_id, pupil_id, priority, first_name, last_name,
                 relationship, home_phone)
             values ($1, $2, $3, $4, 'Smith', $5, '01632 960001')",
        )
        .bind(school)
        .bind(oliver)
        .bind(priority)
        .bind(first)
        .bind(relationship)
        .execute(&app.pool)
        .await
        .unwrap();
    }

    // Before the register closes the list is not open, and says when it will be.
    let before = list(&app.pool, Role::AttendanceOfficer, school, "09:09").await;
    assert!(!before.open);
    assert!(before.pupils.is_empty());
    assert_eq!(before.list_opens_at, at("09:10"));

    // From the close: no mark (Grace) and N (Oliver), not the present Amira.
    let open = list(&app.pool, Role::AttendanceOfficer, school, "09:10").await;
    assert!(open.open);
    assert_eq!(names(&open), ["Okafor, Grace", "Smith, Oliver"]);
    assert_eq!(open.counts.to_call, 2);
    let oliver_line = &open.pupils[1];
    assert_eq!(oliver_line.am_code.as_deref(), Some("N"));
    assert_eq!(open.pupils[0].am_code, None);
    let contacts: Vec<(i32, &str)> = oliver_line
        .contacts
        .iter()
        .map(|c| (c.priority, c.relationship.as_str()))
        .collect();
    assert_eq!(contacts, [(1, "Mother"), (2, "Father"), (3, "Grandparent")]);
    assert_eq!(oliver_line.contacts[0].mobile_phone, "07700 900123");
    assert_eq!(oliver_line.escalation, Escalation::None);

    // An INSET day has no list.
    let viewer = viewer(&app.pool, Role::AttendanceOfficer).await;
    let inset = calling_day_at(
        &app.pool,
        &viewer,
        school,
        Some("2026-11-27".parse().unwrap()),
        "2026-11-27T11:00:00".parse().unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(!inset.open);
    assert!(inset.not_a_school_day.unwrap().contains("INSET"));
}

#[tokio::test]
async fn attempts_are_logged_and_a_reason_amends_the_mark_keeping_the_original() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let school = world.school.id;
    let [amira, oliver, grace] = world.school.pupils[..] else {
        panic!("three pupils")
    };
    mark(&app.pool, school, amira, Code::PresentAm).await;
    mark(&app.pool, school, oliver, Code::NoReasonYet).await;
    let officer_view = list(&app.pool, Role::AttendanceOfficer, school, "09:30").await;
    let mother = officer_view.pupils[1].contacts[0].id;
    let graces_mother = officer_view.pupils[0].contacts[0].id;
    let (officer, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;

    // A call with no answer.
    let attempt = |outcome: &str, contact: String| {
        vec![
            ("school_id", school.to_string()),
            ("pupil_id", oliver.to_string()),
            ("date", DAY.to_string()),
            ("contact_id", contact),
            ("method", "call".to_string()),
            ("outcome", outcome.to_string()),
            ("note", "Rang twice".to_string()),
        ]
    };
    let (status, body) = post(
        &app,
        &officer,
        "/api/fn/calling/attempt",
        &attempt("no_answer", mother.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Bad input says what to fix and logs nothing.
    let (status, body) = post(
        &app,
        &officer,
        "/api/fn/calling/attempt",
        &attempt("shrugged", mother.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("not an outcome"), "{body}");
    let (status, body) = post(
        &app,
        &officer,
        "/api/fn/calling/attempt",
        &attempt("no_answer", world.school.pupils[0].to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let after_call = list(&app.pool, Role::AttendanceOfficer, school, "09:30").await;
    let line = &after_call.pupils[1];
    assert_eq!(line.attempts.len(), 1);
    assert_eq!(line.attempts[0].outcome, "no_answer");
    assert_eq!(line.attempts[0].contact_name, "Sam Smith");
    assert!(line.attempts[0].recorded_by.is_some(), "who logged it");
    assert!(!line.reached);
    assert_eq!(after_call.counts.not_reached, 1);
    assert_eq!(after_call.counts.to_call, 1);

    // The mother rings back: illness, both sessions.
    let n_mark = am_mark_id(&app.pool, school, oliver).await;
    let reason = |pupil: Uuid, seen: String| {
        let contact = if pupil == grace {
            graces_mother
        } else {
            mother
        };
        vec![
            ("school_id", school.to_string()),
            ("pupil_id", pupil.to_string()),
            ("date", DAY.to_string()),
            ("contact_id", contact.to_string()),
            ("method", "call".to_string()),
            ("code", "I".to_string()),
            ("note", "Tummy bug, back Monday".to_string()),
            ("seen_am", seen),
            ("also_pm", "on".to_string()),
            ("seen_pm", String::new()),
        ]
    };
    let (status, body) = post(
        &app,
        &officer,
        "/api/fn/calling/reason",
        &reason(oliver, n_mark.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let history: Vec<(String, bool, Option<String>, String)> = sqlx::query_as(
        "select code, is_current, amendment_reason, source from marks
         where school_id = $1 and pupil_id = $2 and session_date = $3 and session = 'AM'
         order by id",
    )
    .bind(school)
    .bind(oliver)
    .bind(day())
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        history,
        [
            ("N".to_string(), false, None, "register".to_string()),
            (
                "I".to_string(),
                true,
                Some("First-day calling: Tummy bug, back Monday".to_string()),
                "calling".to_string()
            ),
        ]
    );
    let pm: String = sqlx::query_scalar(
        "select code from marks where school_id = $1 and pupil_id = $2 and session_date = $3
         and session = 'PM' and is_current",
    )
    .bind(school)
    .bind(oliver)
    .bind(day())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(pm, "I");

    // Oliver leaves the list and shows as done, with both attempts.
    let after_reason = list(&app.pool, Role::AttendanceOfficer, school, "09:40").await;
    assert_eq!(names(&after_reason), ["Okafor, Grace"]);
    assert_eq!(after_reason.done.len(), 1);
    assert_eq!(after_reason.done[0].am_code, "I");
    assert_eq!(after_reason.done[0].attempts, 2);
    assert_eq!(after_reason.counts.done, 1);

    // Grace was seen unmarked, but her tutor marked her present meanwhile: a conflict, and
    // nothing written.
    mark(&app.pool, school, grace, Code::PresentAm).await;
    let (status, body) = post(
        &app,
        &officer,
        "/api/fn/calling/reason",
        &reason(grace, String::new()),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body.contains("Someone else changed this register"),
        "{body}"
    );
    let reasons: i64 = sqlx::query_scalar(
        "select count(*) from contact_attempts where school_id = $1 and pupil_id = $2",
    )
    .bind(school)
    .bind(grace)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(reasons, 0);

    // N is not a reason, and a reason needs the family's words.
    let mut not_a_reason = reason(
        oliver,
        am_mark_id(&app.pool, school, oliver).await.to_string(),
    );
    not_a_reason[5].1 = "N".to_string();
    let (status, body) = post(&app, &officer, "/api/fn/calling/reason", &not_a_reason).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // A tutor takes registers and may record a reason; the DSL works cases and may log an
    // attempt but not change the register.
    let (dsl, _) = common::sign_in(&app, &email(Role::Dsl)).await;
    let (status, body) = post(
        &app,
        &dsl,
        "/api/fn/calling/attempt",
        &attempt("voicemail", mother.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = post(
        &app,
        &dsl,
        "/api/fn/calling/reason",
        &reason(oliver, String::new()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn pupils_nobody_reached_are_flagged_at_the_schools_deadlines() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let school = world.school.id;
    let [amira, oliver, grace] = world.school.pupils[..] else {
        panic!("three pupils")
    };
    mark(&app.pool, school, amira, Code::PresentAm).await;
    mark(&app.pool, school, oliver, Code::NoReasonYet).await;

    // The defaults: the DSL 60 minutes after the close (09:10), a home visit after 120.
    let flags =
        |day: &CallingDay| -> Vec<Escalation> { day.pupils.iter().map(|p| p.escalation).collect() };
    let early = list(&app.pool, Role::AttendanceOfficer, school, "10:09").await;
    assert_eq!(flags(&early), [Escalation::None, Escalation::None]);
    assert!(early.escalations.is_empty());
    let dsl_time = list(&app.pool, Role::AttendanceOfficer, school, "10:10").await;
    assert_eq!(
        flags(&dsl_time),
        [Escalation::DslAlert, Escalation::DslAlert]
    );
    let visit_time = list(&app.pool, Role::AttendanceOfficer, school, "11:10").await;
    assert_eq!(
        flags(&visit_time),
        [Escalation::HomeVisit, Escalation::HomeVisit]
    );

    // Only safeguarding staff see Grace's child protection plan, and for them she comes first.
    let for_officer = list(&app.pool, Role::AttendanceOfficer, school, "11:10").await;
    assert!(
        for_officer
            .escalations
            .iter()
            .all(|p| p.safeguarding.is_none())
    );
    let for_dsl = list(&app.pool, Role::Dsl, school, "11:10").await;
    assert_eq!(for_dsl.escalations[0].pupil_id, grace);
    assert_eq!(
        for_dsl.escalations[0].safeguarding.as_deref(),
        Some("child_protection_plan")
    );

    // Oliver's mother is reached: no escalation for him, even before a reason is recorded.
    let mother: Uuid = for_dsl.pupils[1].contacts[0].id;
    sqlx::query(
        "insert into contact_attempts (school_id, pupil_id, session_date, session, contact_id,
             method, outcome) values ($1, $2, $3, 'AM', $4, 'call', 'reached')",
    )
    .bind(school)
    .bind(oliver)
    .bind(day())
    .bind(mother)
    .execute(&app.pool)
    .await
    .unwrap();
    let reached = list(&app.pool, Role::AttendanceOfficer, school, "11:10").await;
    assert_eq!(flags(&reached), [Escalation::HomeVisit, Escalation::None]);
    assert_eq!(reached.escalations.len(), 1);
    assert_eq!(reached.counts.reached, 1);

    // The school moves its deadlines: checked, and every change audited.
    let (admin, _) = common::sign_in(&app, &email(Role::SchoolAdmin)).await;
    let deadlines = |dsl: &str, visit: &str| {
        vec![
            ("school_id", school.to_string()),
            ("dsl_alert_minutes", dsl.to_string()),
            ("home_visit_minutes", visit.to_string()),
        ]
    };
    let (status, body) = post(
        &app,
        &admin,
        "/api/fn/calling/save-deadlines",
        &deadlines("90", "30"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = post(
        &app,
        &admin,
        "/api/fn/calling/save-deadlines",
        &deadlines("30", "45"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let moved = list(&app.pool, Role::AttendanceOfficer, school, "09:45").await;
    assert_eq!(flags(&moved), [Escalation::DslAlert, Escalation::None]);
    let audited: Value = sqlx::query_scalar(
        "select detail from audit_log where action = 'calling_deadlines_changed' and school_id = $1",
    )
    .bind(school)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited["before"]["dsl_alert_minutes"], 60);
    assert_eq!(audited["after"]["home_visit_minutes"], 45);
    // An officer may not move them.
    let (officer, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    let (status, _) = post(
        &app,
        &officer,
        "/api/fn/calling/save-deadlines",
        &deadlines("30", "45"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn only_the_schools_own_staff_see_its_calling_list() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let school = world.school.id;
    mark(&app.pool, school, world.school.pupils[1], Code::NoReasonYet).await;
    let path = format!("/api/schools/{school}/first-day-calling?date={DAY}");

    let (officer, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    let response = officer.get(app.url(&path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["open"], true);
    let listed: Vec<&str> = body["pupils"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pupil_name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["Khan, Amira", "Okafor, Grace", "Smith, Oliver"]);

    let bad = officer
        .get(app.url(&format!(
            "/api/schools/{school}/first-day-calling?date=friday"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    // Another trust's administrator, and the late door at this school, are refused.
    for who in [OUTSIDER.to_string(), email(Role::LateDoor)] {
        let (client, _) = common::sign_in(&app, &who).await;
        let response = client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{who}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("Smith"), "{body}");
        let (status, _) = post(
            &app,
            &client,
            "/api/fn/calling/day",
            &[("school_id", school.to_string()), ("date", DAY.to_string())],
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }
    // The sister school's list is not the officer's either.
    let response = officer
        .get(app.url(&format!(
            "/api/schools/{}/first-day-calling?date={DAY}",
            world.sister.id
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_server_alerts_the_dsl_then_proposes_a_home_visit_once_each() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let school = world.school.id;
    let [amira, oliver, grace] = world.school.pupils[..] else {
        panic!("three pupils")
    };
    mark(&app.pool, school, amira, Code::PresentAm).await;
    mark(&app.pool, school, oliver, Code::NoReasonYet).await;
    let escalate = |time: &'static str| escalate(&app.pool, school, at(time));

    // Before the DSL deadline (60 minutes after 09:10) nothing is raised.
    assert_eq!(escalate("10:09").await.unwrap(), Escalated::default());
    let alerted = escalate("10:10").await.unwrap();
    assert_eq!((alerted.dsl_alerts, alerted.visits_proposed), (2, 0));
    assert_eq!(escalate("10:30").await.unwrap(), Escalated::default());

    // The DSL sees both on their alerts; an officer does not.
    let dsl = viewer(&app.pool, Role::Dsl).await;
    let officer = viewer(&app.pool, Role::AttendanceOfficer).await;
    let now = chrono::Utc::now();
    let alerts = watch(&app.pool, &dsl, school, now)
        .await
        .unwrap()
        .no_contact;
    let mut alerted: Vec<Uuid> = alerts.iter().map(|a| a.pupil_id).collect();
    alerted.sort();
    let mut expected = vec![oliver, grace];
    expected.sort();
    assert_eq!(alerted, expected);
    assert!(alerts.iter().all(|a| a.visit_id.is_none()));
    assert!(
        watch(&app.pool, &officer, school, now)
            .await
            .unwrap()
            .no_contact
            .is_empty()
    );

    // By the home-visit deadline a visit is proposed for today, once, to a home visitor.
    let proposed = escalate("11:10").await.unwrap();
    assert_eq!((proposed.dsl_alerts, proposed.visits_proposed), (0, 2));
    assert_eq!(escalate("12:00").await.unwrap(), Escalated::default());
    let visits: Vec<(Uuid, String, String, NaiveDate, String)> = sqlx::query_as(
        "select v.pupil_id, v.source, s.email, v.planned_on, v.reason
         from home_visits v join staff s on s.id = v.officer_id
         where v.school_id = $1 order by v.pupil_id",
    )
    .bind(school)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(visits.len(), 2);
    for (_, source, officer_email, planned_on, reason) in &visits {
        assert_eq!(source, "proposed");
        assert_eq!(officer_email, &email(Role::HomeVisitor));
        assert_eq!(*planned_on, day());
        assert!(reason.contains("by 11:10"), "{reason}");
    }
    let alerts = watch(&app.pool, &dsl, school, now)
        .await
        .unwrap()
        .no_contact;
    assert!(alerts.iter().all(|a| a.visit_id.is_some()));

    // The DSL marks one read; an officer may not.
    let form = vec![
        ("school_id", school.to_string()),
        ("pupil_id", grace.to_string()),
        ("date", DAY.to_string()),
    ];
    let (officer_client, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    let (status, _) = post(&app, &officer_client, "/api/fn/calling/alert-seen", &form).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (dsl_client, _) = common::sign_in(&app, &email(Role::Dsl)).await;
    let (status, body) = post(&app, &dsl_client, "/api/fn/calling/alert-seen", &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let left = watch(&app.pool, &dsl, school, now)
        .await
        .unwrap()
        .no_contact;
    assert_eq!(
        left.iter().map(|a| a.pupil_id).collect::<Vec<_>>(),
        [oliver]
    );
}
