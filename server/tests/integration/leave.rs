//! Leave of absence against a real PostgreSQL: approval pre-codes only unmarked and N sessions of
//! school days, refused leave taken turns N and O into G, both through the amendment trail and
//! audited; only the authorised roles decide, and never at another school.

use crate::common::{self, viewer_by_email};

use app::{
    domain::{
        codes::{Code, Session},
        leave::Ground,
        roles::Role,
    },
    leave::queries::{NewRequest, decide, record_request, record_taken, request},
    registers::queries::{MarkWrite, Refused, Seen, write_marks},
};
use chrono::NaiveDate;
use common::fixture::{Fixture, OUTSIDER, email};
use sqlx::PgPool;
use uuid::Uuid;

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

async fn contact_of(pool: &PgPool, pupil: Uuid) -> Uuid {
    sqlx::query_scalar("select id from contacts where pupil_id = $1 order by priority limit 1")
        .bind(pupil)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn mark(pool: &PgPool, school: Uuid, pupil: Uuid, marks: &[(&str, Session, &str)]) {
    let writes: Vec<MarkWrite> = marks
        .iter()
        .map(|(date, session, code)| MarkWrite {
            pupil_id: pupil,
            date: day(date),
            session: *session,
            code: Code::parse(code).unwrap(),
            minutes_late: None,
            seen: Seen::Anything,
        })
        .collect();
    let mut tx = pool.begin().await.unwrap();
    write_marks(&mut tx, school, None, "register", Some("test"), &writes)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
}

/// The current marks of a pupil between two dates: (date, session, code, source, replaced).
async fn marks_of(
    pool: &PgPool,
    pupil: Uuid,
    from: &str,
    to: &str,
) -> Vec<(NaiveDate, String, String, String, bool)> {
    sqlx::query_as(
        "select session_date, session, code, source, replaces_id is not null from marks
         where pupil_id = $1 and is_current and session_date between $2 and $3
         order by session_date, session",
    )
    .bind(pupil)
    .bind(day(from))
    .bind(day(to))
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn new_request(
    pool: &PgPool,
    fixture: &Fixture,
    by: Uuid,
    pupil: Uuid,
    first: (&str, Session),
    last: (&str, Session),
    ground: Ground,
) -> Uuid {
    let contact_id = contact_of(pool, pupil).await;
    record_request(
        pool,
        by,
        fixture.school.id,
        &NewRequest {
            pupil_id: pupil,
            contact_id,
            first: (day(first.0), first.1),
            last: (day(last.0), last.1),
            ground,
            parent_reason: "Grandmother's funeral in Lagos".to_string(),
            received_on: day("2026-11-10"),
        },
        day("2026-11-20"),
    )
    .await
    .unwrap()
    .unwrap()
}

#[tokio::test]
async fn approval_pre_codes_only_unmarked_and_n_sessions_of_school_days() {
    let pool = common::fresh_database().await;
    let fixture = Fixture::new(&pool).await;
    let school = fixture.school.id;
    let oliver = fixture.school.pupils[1];
    let officer = viewer_by_email(&pool, &email(Role::AttendanceOfficer)).await;
    let lead = viewer_by_email(&pool, &email(Role::AttendanceLead)).await;
    mark(
        &pool,
        school,
        oliver,
        &[
            ("2026-11-25", Session::Am, "/"),
            ("2026-11-26", Session::Am, "I"),
            ("2026-11-26", Session::Pm, "N"),
        ],
    )
    .await;
    // Wednesday morning to Monday morning, over the INSET day (27th) and the weekend.
    let id = new_request(
        &pool,
        &fixture,
        officer.staff_id,
        oliver,
        ("2026-11-25", Session::Am),
        ("2026-11-30", Session::Am),
        Ground::Exceptional,
    )
    .await;

    let empty = decide(&pool, lead.staff_id, school, id, true, "  ")
        .await
        .unwrap();
    assert!(matches!(empty, Err(Refused::Invalid(_))));
    let coded = decide(
        &pool,
        lead.staff_id,
        school,
        id,
        true,
        "Exceptional: a close family bereavement",
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!((coded.coded, coded.kept), (3, 2));
    let marks = marks_of(&pool, oliver, "2026-11-25", "2026-11-30").await;
    let row = |date: &str, session: &str, code: &str, source: &str, replaced: bool| {
        (
            day(date),
            session.to_string(),
            code.to_string(),
            source.to_string(),
            replaced,
        )
    };
    assert_eq!(
        marks,
        [
            row("2026-11-25", "AM", "/", "register", false),
            row("2026-11-25", "PM", "C", "leave", false),
            row("2026-11-26", "AM", "I", "register", false),
            row("2026-11-26", "PM", "C", "leave", true),
            row("2026-11-30", "AM", "C", "leave", false),
        ]
    );
    let reason: String = sqlx::query_scalar(
        "select amendment_reason from marks where pupil_id = $1 and session_date = '2026-11-26'
           and session = 'PM' and is_current",
    )
    .bind(oliver)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        reason,
        "Leave of absence approved (C): Exceptional: a close family bereavement"
    );
    let audited: (String, serde_json::Value) = sqlx::query_as(
        "select action, detail from audit_log where subject = $1 and action = 'leave_approved'",
    )
    .bind(format!("leave_request:{id}"))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited.1["marks"].as_array().unwrap().len(), 3);
    assert_eq!(audited.1["marks"][1], "2026-11-26 PM: N to C");
    let saved = request(&pool, school, id).await.unwrap().unwrap();
    assert_eq!(saved.sessions_coded, 3);
    assert_eq!(saved.decided_by.as_deref(), Some("Test Attendance lead"));

    // A second decision is refused and changes nothing.
    let again = decide(&pool, lead.staff_id, school, id, false, "Changed my mind")
        .await
        .unwrap();
    assert!(matches!(again, Err(Refused::Conflict(_))));
    assert_eq!(
        marks_of(&pool, oliver, "2026-11-25", "2026-11-30").await,
        marks
    );
}

#[tokio::test]
async fn a_holiday_cannot_be_approved_and_bad_requests_write_nothing() {
    let pool = common::fresh_database().await;
    let fixture = Fixture::new(&pool).await;
    let school = fixture.school.id;
    let amira = fixture.school.pupils[0];
    let lead = viewer_by_email(&pool, &email(Role::AttendanceLead)).await;
    let id = new_request(
        &pool,
        &fixture,
        lead.staff_id,
        amira,
        ("2026-12-14", Session::Am),
        ("2026-12-18", Session::Pm),
        Ground::NoGround,
    )
    .await;
    let refused = decide(&pool, lead.staff_id, school, id, true, "Cheaper flights")
        .await
        .unwrap();
    match refused {
        Err(Refused::Invalid(message)) => assert!(message.contains("holiday"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(
        marks_of(&pool, amira, "2026-12-14", "2026-12-18")
            .await
            .is_empty()
    );
    let pending = request(&pool, school, id).await.unwrap().unwrap();
    assert_eq!(pending.decision.key(), "pending");

    let contact_id = contact_of(&pool, amira).await;
    let base = NewRequest {
        pupil_id: amira,
        contact_id,
        first: (day("2026-12-14"), Session::Pm),
        last: (day("2026-12-14"), Session::Am),
        ground: Ground::Interview,
        parent_reason: "College interview".to_string(),
        received_on: day("2026-11-10"),
    };
    let backwards = record_request(&pool, lead.staff_id, school, &base, day("2026-11-20"))
        .await
        .unwrap();
    assert!(backwards.is_err());
    let other_pupils_parent = NewRequest {
        last: (day("2026-12-14"), Session::Pm),
        contact_id: contact_of(&pool, fixture.school.pupils[1]).await,
        ..base.clone()
    };
    let wrong_parent = record_request(
        &pool,
        lead.staff_id,
        school,
        &other_pupils_parent,
        day("2026-11-20"),
    )
    .await
    .unwrap();
    assert!(wrong_parent.is_err());
    let elsewhere = NewRequest {
        last: (day("2026-12-14"), Session::Pm),
        pupil_id: fixture.sister.pupils[0],
        ..base
    };
    let not_here = record_request(&pool, lead.staff_id, school, &elsewhere, day("2026-11-20"))
        .await
        .unwrap();
    assert_eq!(
        not_here.unwrap_err(),
        "There is no such pupil at this school."
    );
    let count: i64 = sqlx::query_scalar("select count(*) from leave_requests")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn refused_leave_taken_turns_n_and_o_into_g() {
    let pool = common::fresh_database().await;
    let fixture = Fixture::new(&pool).await;
    let school = fixture.school.id;
    let grace = fixture.school.pupils[2];
    let admin = viewer_by_email(&pool, &email(Role::SchoolAdmin)).await;
    let officer = viewer_by_email(&pool, &email(Role::AttendanceOfficer)).await;
    let id = new_request(
        &pool,
        &fixture,
        officer.staff_id,
        grace,
        ("2026-11-16", Session::Am),
        ("2026-11-17", Session::Pm),
        Ground::NoGround,
    )
    .await;
    decide(
        &pool,
        admin.staff_id,
        school,
        id,
        false,
        "Term-time holiday cannot be authorised",
    )
    .await
    .unwrap()
    .unwrap();
    // Before the registers are taken there is nothing to record.
    let early = record_taken(&pool, officer.staff_id, school, id)
        .await
        .unwrap();
    assert!(matches!(early, Err(Refused::Invalid(_))));

    mark(
        &pool,
        school,
        grace,
        &[
            ("2026-11-16", Session::Am, "N"),
            ("2026-11-16", Session::Pm, "O"),
            ("2026-11-17", Session::Am, "/"),
            ("2026-11-17", Session::Pm, "N"),
            ("2026-11-18", Session::Am, "N"),
        ],
    )
    .await;
    let coded = record_taken(&pool, officer.staff_id, school, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((coded.coded, coded.kept), (3, 1));
    let codes: Vec<String> = marks_of(&pool, grace, "2026-11-16", "2026-11-18")
        .await
        .into_iter()
        .map(|(_, _, code, _, _)| code)
        .collect();
    // The day after the request keeps its N: only the request's range changes.
    assert_eq!(codes, ["G", "G", "/", "G", "N"]);
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where subject = $1
           and action in ('leave_requested', 'leave_refused', 'leave_taken_recorded')",
    )
    .bind(format!("leave_request:{id}"))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 3);
    let twice = record_taken(&pool, officer.staff_id, school, id)
        .await
        .unwrap();
    assert!(matches!(twice, Err(Refused::Conflict(_))));
}

#[tokio::test]
async fn only_authorised_roles_decide_and_never_at_another_school() {
    let app = common::spawn().await;
    let pool = app.pool.clone();
    let fixture = Fixture::new(&pool).await;
    let school = fixture.school.id;
    let oliver = fixture.school.pupils[1];
    let officer = viewer_by_email(&pool, &email(Role::AttendanceOfficer)).await;
    let id = new_request(
        &pool,
        &fixture,
        officer.staff_id,
        oliver,
        ("2026-12-01", Session::Am),
        ("2026-12-01", Session::Pm),
        Ground::Interview,
    )
    .await;
    let decision = |school_id: Uuid| {
        [
            ("school_id", school_id.to_string()),
            ("request_id", id.to_string()),
            ("decision", "approve".to_string()),
            ("reason", "Interview at the sixth-form college".to_string()),
        ]
    };
    let post = |client: reqwest::Client, path: &'static str, form: Vec<(&'static str, String)>| {
        let url = app.url(path);
        async move { client.post(url).form(&form).send().await.unwrap() }
    };

    // An attendance officer records requests but does not decide them.
    let (officer_client, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    let refused = post(
        officer_client.clone(),
        "/api/fn/leave/decide",
        decision(school).to_vec(),
    )
    .await;
    assert_eq!(refused.status(), 403);
    let listed = post(
        officer_client,
        "/api/fn/leave/list",
        vec![("school_id", school.to_string())],
    )
    .await;
    assert_eq!(listed.status(), 200);
    // Leadership reads reports but does not see or decide leave; the late door neither.
    for role in [Role::Leadership, Role::LateDoor] {
        let (client, _) = common::sign_in(&app, &email(role)).await;
        let refused = post(
            client,
            "/api/fn/leave/list",
            vec![("school_id", school.to_string())],
        )
        .await;
        assert_eq!(refused.status(), 403, "{role:?}");
    }
    // A school administrator of another trust, at their own school or ours.
    let (outsider, _) = common::sign_in(&app, OUTSIDER).await;
    let theirs = post(
        outsider.clone(),
        "/api/fn/leave/decide",
        decision(fixture.other_trust_school.id).to_vec(),
    )
    .await;
    assert_eq!(
        theirs.status(),
        422,
        "our request is not found at their school"
    );
    let ours = post(outsider, "/api/fn/leave/decide", decision(school).to_vec()).await;
    assert_eq!(ours.status(), 403);
    // Our lead, naming the sister school where they hold no role.
    let (lead, _) = common::sign_in(&app, &email(Role::AttendanceLead)).await;
    let sister = post(
        lead.clone(),
        "/api/fn/leave/decide",
        decision(fixture.sister.id).to_vec(),
    )
    .await;
    assert_eq!(sister.status(), 403);
    assert_eq!(
        request(&pool, school, id)
            .await
            .unwrap()
            .unwrap()
            .decision
            .key(),
        "pending"
    );
    // The lead decides at their own school.
    let approved = post(lead, "/api/fn/leave/decide", decision(school).to_vec()).await;
    assert_eq!(approved.status(), 200);
    let codes: Vec<String> = marks_of(&pool, oliver, "2026-12-01", "2026-12-01")
        .await
        .into_iter()
        .map(|(_, _, code, _, _)| code)
        .collect();
    assert_eq!(codes, ["J1", "J1"]);
}
