//! Meetings and attendance plans on a case, against a real PostgreSQL and through the server
//! functions: arranging (never in the past), recording, agreeing a plan, the engine's review on
//! the review date, and who may do each.

use crate::common;

use app::{
    domain::{
        codes::{Code, Session},
        roles::Role,
    },
    meetings::queries::{case_meetings, review_due_plans},
    registers::queries::{MarkWrite, Seen, write_marks},
};
use chrono::{Duration, NaiveDate, Utc};
use common::fixture::{Fixture, OUTSIDER, email};
use reqwest::Client;
use sqlx::PgPool;
use uuid::Uuid;

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

async fn open_case(pool: &PgPool, school_id: Uuid, pupil_id: Uuid) -> Uuid {
    sqlx::query_scalar(
        "insert into cases (school_id, pupil_id, stage) values ($1, $2, 'meeting') returning id",
    )
    .bind(school_id)
    .bind(pupil_id)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn post(
    client: &Client,
    app: &common::TestApp,
    path: &str,
    form: &[(&str, String)],
) -> (u16, String) {
    let answer = client.post(app.url(path)).form(form).send().await.unwrap();
    let status = answer.status().as_u16();
    (status, answer.text().await.unwrap())
}

async fn timeline(pool: &PgPool, case_id: Uuid) -> Vec<(String, String)> {
    sqlx::query_as("select kind, summary from case_events where case_id = $1 order by id")
        .bind(case_id)
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_meeting_is_arranged_recorded_and_a_plan_agreed_on_the_timeline() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let school = world.school.id;
    let case_id = open_case(&app.pool, school, world.school.pupils[1]).await;
    let (officer, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    let next_week = (Utc::now() + Duration::days(7)).date_naive();
    let arrange = |date: String, kind: &str| {
        vec![
            ("school_id", school.to_string()),
            ("case_id", case_id.to_string()),
            ("kind", kind.to_string()),
            ("date", date),
            ("time", "15:30".to_string()),
            ("place", "Room 4".to_string()),
            ("invited", "Mr and Mrs Shaw, form tutor".to_string()),
        ]
    };

    // In the past, or of an unknown kind: refused, nothing written.
    let yesterday = (Utc::now() - Duration::days(1)).date_naive();
    let (status, body) = post(
        &officer,
        &app,
        "/api/fn/meetings/arrange",
        &arrange(yesterday.to_string(), "attendance_meeting"),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("has already gone"), "{body}");
    let (status, body) = post(
        &officer,
        &app,
        "/api/fn/meetings/arrange",
        &arrange(next_week.to_string(), "tea"),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("not a kind of meeting"), "{body}");
    let (status, body) = post(
        &officer,
        &app,
        "/api/fn/meetings/arrange",
        &arrange("30/11/2026".to_string(), "panel"),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("is not a date"), "{body}");
    assert!(timeline(&app.pool, case_id).await.is_empty());

    let (status, body) = post(
        &officer,
        &app,
        "/api/fn/meetings/arrange",
        &arrange(next_week.to_string(), "attendance_meeting"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let meeting_id: Uuid = serde_json::from_str(&body).unwrap();

    // It has not happened yet: it cannot be recorded, and a plan needs it recorded.
    let record = vec![
        ("school_id", school.to_string()),
        ("meeting_id", meeting_id.to_string()),
        (
            "attendees",
            "Mrs Shaw, Ms Patel (attendance officer)".to_string(),
        ),
        (
            "minutes",
            "Mrs Shaw said Oliver finds mornings hard since moving house.".to_string(),
        ),
        (
            "actions",
            "Breakfast club from Monday; weekly check-in with his tutor.".to_string(),
        ),
    ];
    let (status, body) = post(&officer, &app, "/api/fn/meetings/record", &record).await;
    assert_eq!(status, 422);
    assert!(body.contains("has not started yet"), "{body}");
    let plan = |review_on: NaiveDate, target: &str| {
        vec![
            ("school_id", school.to_string()),
            ("meeting_id", meeting_id.to_string()),
            ("target", target.to_string()),
            ("review_on", review_on.to_string()),
            (
                "support",
                "Breakfast club; tutor check-in each Monday".to_string(),
            ),
        ]
    };
    let in_six_weeks = (Utc::now() + Duration::days(42)).date_naive();
    let (status, body) = post(
        &officer,
        &app,
        "/api/fn/meetings/plan",
        &plan(in_six_weeks, "95"),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("Record the meeting first"), "{body}");

    // The meeting took place (three weeks ago, as far as the clock is concerned).
    sqlx::query("update meetings set starts_at = now() - interval '21 days' where id = $1")
        .bind(meeting_id)
        .execute(&app.pool)
        .await
        .unwrap();
    let (status, body) = post(&officer, &app, "/api/fn/meetings/record", &record).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(&officer, &app, "/api/fn/meetings/record", &record).await;
    assert_eq!(status, 422);
    assert!(body.contains("already been recorded"), "{body}");

    // A plan: the review must come after today and the target must be a percentage.
    let (status, body) = post(
        &officer,
        &app,
        "/api/fn/meetings/plan",
        &plan(yesterday, "95"),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("must be after today"), "{body}");
    let (status, body) = post(
        &officer,
        &app,
        "/api/fn/meetings/plan",
        &plan(in_six_weeks, "lots"),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("is not a percentage"), "{body}");
    let (status, body) = post(
        &officer,
        &app,
        "/api/fn/meetings/plan",
        &plan(in_six_weeks, "95"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(
        &officer,
        &app,
        "/api/fn/meetings/plan",
        &plan(in_six_weeks, "96"),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("already has a plan under way"), "{body}");

    let kinds: Vec<String> = timeline(&app.pool, case_id)
        .await
        .into_iter()
        .map(|(kind, _)| kind)
        .collect();
    assert_eq!(kinds, ["meeting_arranged", "meeting_held", "plan_agreed"]);
    let data = case_meetings(&app.pool, school, case_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(data.meetings.len(), 1);
    let held = data.meetings[0].record.clone().unwrap();
    assert!(held.minutes.contains("mornings hard"));
    assert_eq!(data.plans.len(), 1);
    assert_eq!(data.plans[0].target, 9500);
    assert_eq!(data.plans[0].review_on, in_six_weeks);
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action in ('meeting_arranged', 'meeting_recorded', 'attendance_plan_agreed')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 3);
}

#[tokio::test]
async fn only_those_who_work_cases_at_the_school_arrange_and_others_read_or_are_refused() {
    let app = common::spawn().await;
    let world = Fixture::new(&app.pool).await;
    let school = world.school.id;
    let case_id = open_case(&app.pool, school, world.school.pupils[1]).await;
    let next_week = (Utc::now() + Duration::days(7)).date_naive();
    let arrange = vec![
        ("school_id", school.to_string()),
        ("case_id", case_id.to_string()),
        ("kind", "panel".to_string()),
        ("date", next_week.to_string()),
        ("time", "09:00".to_string()),
        ("place", String::new()),
        ("invited", String::new()),
    ];
    let read = vec![
        ("school_id", school.to_string()),
        ("case_id", case_id.to_string()),
    ];
    for (who, arranges, reads) in [
        (email(Role::Leadership), 403, 200),
        (email(Role::LateDoor), 403, 403),
        (OUTSIDER.to_string(), 403, 403),
        (email(Role::Dsl), 200, 200),
    ] {
        let (client, _) = common::sign_in(&app, &who).await;
        let (status, body) = post(&client, &app, "/api/fn/meetings/arrange", &arrange).await;
        assert_eq!(status, arranges, "{who} arranging: {body}");
        let (status, body) = post(&client, &app, "/api/fn/meetings/case", &read).await;
        assert_eq!(status, reads, "{who} reading: {body}");
    }
    // Another school's case is not found by this school's officer.
    let (officer, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    let other = vec![
        ("school_id", school.to_string()),
        ("case_id", Uuid::new_v4().to_string()),
    ];
    let (status, _) = post(&officer, &app, "/api/fn/meetings/case", &other).await;
    assert_eq!(status, 404);
    let meetings: i64 = sqlx::query_scalar("select count(*) from meetings")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(meetings, 1);
}

#[tokio::test]
async fn the_engine_reviews_a_plan_on_its_review_date_once_and_proposes_the_next_step() {
    let pool = common::fresh_database().await;
    let world = Fixture::new(&pool).await;
    let school = world.school.id;
    let oliver = world.school.pupils[1];
    let case_id = open_case(&pool, school, oliver).await;
    // A meeting on 2 November with a plan of 95% to 20 November, as if agreed then.
    let meeting_id: Uuid = sqlx::query_scalar(
        "insert into meetings (school_id, case_id, kind, starts_at, recorded_at, attendees,
            minutes, actions)
         values ($1, $2, 'attendance_meeting', '2026-11-02 09:00+00', now(), 'Mrs Shaw',
            'Talked it through', '')
         returning id",
    )
    .bind(school)
    .bind(case_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into attendance_plans (school_id, case_id, meeting_id, target, starts_on,
            review_on, support)
         values ($1, $2, $3, 9500, '2026-11-02', '2026-11-20', 'Breakfast club')",
    )
    .bind(school)
    .bind(case_id)
    .bind(meeting_id)
    .execute(&pool)
    .await
    .unwrap();
    // 10 school days from 9 to 20 November: 18 sessions present, 2 unauthorised (90%); marks
    // before the plan began do not count.
    let mut writes = Vec::new();
    let days = [
        "2026-10-20",
        "2026-11-09",
        "2026-11-10",
        "2026-11-11",
        "2026-11-12",
        "2026-11-13",
        "2026-11-16",
        "2026-11-17",
        "2026-11-18",
        "2026-11-19",
        "2026-11-20",
    ];
    for (index, date) in days.iter().enumerate() {
        for session in [Session::Am, Session::Pm] {
            let code = match (index, session) {
                (0, _) | (1, Session::Am) | (2, Session::Am) => Code::OtherUnauthorised,
                (_, Session::Am) => Code::PresentAm,
                (_, Session::Pm) => Code::PresentPm,
            };
            writes.push(MarkWrite {
                pupil_id: oliver,
                date: day(date),
                session,
                code,
                minutes_late: None,
                seen: Seen::Anything,
            });
        }
    }
    let mut tx = pool.begin().await.unwrap();
    write_marks(&mut tx, school, None, "register", None, &writes)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();

    // The day before the review: nothing.
    assert_eq!(
        review_due_plans(&pool, school, day("2026-11-19"))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        review_due_plans(&pool, school, day("2026-11-20"))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        review_due_plans(&pool, school, day("2026-11-23"))
            .await
            .unwrap(),
        0
    );

    let events = timeline(&pool, case_id).await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0].0, "plan_reviewed");
    assert_eq!(
        events[0].1,
        "Attendance plan reviewed, 2 Nov to 20 Nov 2026: 90.00% against a target of 95.00%: not met. See the proposal."
    );
    assert_eq!(events[1].0, "proposed");
    assert!(
        events[1].1.starts_with("Proposed: an attendance panel"),
        "{}",
        events[1].1
    );
    let data = case_meetings(&pool, school, case_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(data.plans[0].reviewed_attendance, Some(9000));
    assert_eq!(data.plans[0].target_met, Some(false));
}
