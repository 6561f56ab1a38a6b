//! Penalty notices against a real PostgreSQL: the eligibility list follows the school's threshold,
//! a notice for a pupil below it or against the 3-year rule writes nothing, amounts and payments,
//! withdrawals, the case timeline, and who may issue.

use crate::common::{self, viewer_by_email};

use app::{
    cases::queries::{case_detail, caseload, evaluate_school},
    domain::{
        codes::{Code, Session},
        leave::Ground,
        penalty::{Sequence, Status},
        roles::Role,
    },
    leave::queries::{NewRequest, decide, record_request, record_taken},
    penalty_notices::queries::{
        eligible, issue_notice_to_improve, issue_penalty_notice, notices, record_payment, withdraw,
    },
    registers::queries::{MarkWrite, Seen, write_marks},
};
use chrono::NaiveDate;
use common::fixture::{Fixture, OUTSIDER, email};
use sqlx::PgPool;
use uuid::Uuid;

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

const TODAY: &str = "2026-11-20";

async fn contact_of(pool: &PgPool, pupil: Uuid) -> Uuid {
    sqlx::query_scalar("select id from contacts where pupil_id = $1 order by priority limit 1")
        .bind(pupil)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// `sessions` sessions of O for the pupil, from Monday 16 November on, AM then PM.
async fn unauthorised(pool: &PgPool, school: Uuid, pupil: Uuid, sessions: usize) {
    let days = [
        "2026-11-16",
        "2026-11-17",
        "2026-11-18",
        "2026-11-19",
        "2026-11-20",
    ];
    let writes: Vec<MarkWrite> = days
        .iter()
        .flat_map(|date| [(*date, Session::Am), (*date, Session::Pm)])
        .take(sessions)
        .map(|(date, session)| MarkWrite {
            pupil_id: pupil,
            date: day(date),
            session,
            code: Code::parse("O").unwrap(),
            minutes_late: None,
            seen: Seen::Anything,
        })
        .collect();
    let mut tx = pool.begin().await.unwrap();
    write_marks(&mut tx, school, None, "register", None, &writes)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
}

async fn notice_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from penalty_notices")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn only_pupils_over_the_threshold_get_notices_with_the_right_amounts() {
    let pool = common::fresh_database().await;
    let fixture = Fixture::new(&pool).await;
    let school = fixture.school.id;
    let (oliver, grace) = (fixture.school.pupils[1], fixture.school.pupils[2]);
    unauthorised(&pool, school, oliver, 10).await;
    unauthorised(&pool, school, grace, 9).await;
    let officer = viewer_by_email(&pool, &email(Role::AttendanceOfficer)).await;
    let today = day(TODAY);

    let list = eligible(&pool, school, today).await.unwrap();
    assert_eq!(list.len(), 1, "exactly 10 sessions meet it, 9 do not");
    assert_eq!(list[0].pupil_id, oliver);
    assert_eq!(list[0].window.sessions, 10);
    assert!(
        list[0].why.starts_with(
            "10 unauthorised sessions (G, N, O, U) between 16 Nov 2026 and 20 Nov 2026"
        ),
        "{}",
        list[0].why
    );
    assert_eq!(list[0].parents.len(), 1);

    let grace_parent = contact_of(&pool, grace).await;
    let below = issue_penalty_notice(&pool, officer.staff_id, school, grace, grace_parent, today)
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        below.contains("does not meet the school's threshold"),
        "{below}"
    );
    let below = issue_notice_to_improve(
        &pool,
        officer.staff_id,
        school,
        grace,
        grace_parent,
        today,
        day("2026-12-18"),
        "Meeting offered",
    )
    .await
    .unwrap();
    assert!(below.is_err());
    // Oliver's notice naming Grace's mother: not his contact.
    let wrong_parent =
        issue_penalty_notice(&pool, officer.staff_id, school, oliver, grace_parent, today)
            .await
            .unwrap();
    assert!(wrong_parent.is_err());
    assert_eq!(notice_count(&pool).await, 0);

    let parent = contact_of(&pool, oliver).await;
    let short = issue_notice_to_improve(
        &pool,
        officer.staff_id,
        school,
        oliver,
        parent,
        today,
        day("2026-12-10"),
        "Meeting offered",
    )
    .await
    .unwrap();
    assert!(short.unwrap_err().contains("3 to 6 weeks"));
    issue_notice_to_improve(
        &pool,
        officer.staff_id,
        school,
        oliver,
        parent,
        today,
        day("2026-12-18"),
        "Attendance meeting on 12 Nov; a place at breakfast club",
    )
    .await
    .unwrap()
    .unwrap();
    // Not during the improvement period; once it has passed, the notice may follow.
    let too_soon = issue_penalty_notice(&pool, officer.staff_id, school, oliver, parent, today)
        .await
        .unwrap()
        .unwrap_err();
    assert!(too_soon.contains("until 18 Dec 2026"), "{too_soon}");
    assert_eq!(notice_count(&pool).await, 0);
    sqlx::query(
        "update notices_to_improve set issued_on = '2026-10-01', improvement_ends_on = '2026-11-19'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let id = issue_penalty_notice(&pool, officer.staff_id, school, oliver, parent, today)
        .await
        .unwrap()
        .unwrap();

    // The same absence cannot ground a second notice to the same parent.
    let same_absence = issue_penalty_notice(&pool, officer.staff_id, school, oliver, parent, today)
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        same_absence.contains("already answered by a notice"),
        "{same_absence}"
    );
    assert_eq!(notice_count(&pool).await, 1);

    let on = |date: &str| {
        let pool = pool.clone();
        let date = day(date);
        async move { notices(&pool, school, date).await.unwrap().remove(0) }
    };
    let notice = on(TODAY).await;
    assert_eq!(notice.id, id);
    assert_eq!(notice.sequence, Sequence::First);
    assert_eq!(notice.parent_name, "Sam Smith");
    assert_eq!(notice.lower_until, Some(day("2026-12-11")));
    assert_eq!(notice.pay_by, day("2026-12-18"));
    assert_eq!(notice.due_today, Some(8000));
    assert_eq!(on("2026-12-11").await.due_today, Some(8000), "day 21");
    assert_eq!(on("2026-12-12").await.due_today, Some(16000), "day 22");
    assert_eq!(on("2026-12-18").await.status, Status::Issued, "day 28");
    assert_eq!(on("2026-12-19").await.status, Status::Unpaid, "day 29");

    // Paid on day 22: £80 is not enough.
    let late = record_payment(
        &pool,
        officer.staff_id,
        school,
        id,
        day("2026-12-12"),
        8000,
        day("2026-12-14"),
    )
    .await
    .unwrap();
    assert!(late.unwrap_err().contains("£160.00"));
    record_payment(
        &pool,
        officer.staff_id,
        school,
        id,
        day("2026-12-12"),
        16000,
        day("2026-12-14"),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        on("2027-01-10").await.status,
        Status::Paid {
            on: day("2026-12-12"),
            pence: 16000
        }
    );
    let withdraw_paid = withdraw(&pool, officer.staff_id, school, id, "Error", today)
        .await
        .unwrap();
    assert!(withdraw_paid.is_err());
    let audited: Vec<String> = sqlx::query_scalar(
        "select action from audit_log where school_id = $1 and action like '%notice%' order by id",
    )
    .bind(school)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            "notice_to_improve_issued",
            "penalty_notice_issued",
            "penalty_notice_paid"
        ]
    );
}

#[tokio::test]
async fn a_second_notice_within_three_years_is_160_and_a_third_is_refused() {
    let pool = common::fresh_database().await;
    let fixture = Fixture::new(&pool).await;
    let school = fixture.school.id;
    let oliver = fixture.school.pupils[1];
    unauthorised(&pool, school, oliver, 10).await;
    let officer = viewer_by_email(&pool, &email(Role::AttendanceOfficer)).await;
    let parent = contact_of(&pool, oliver).await;
    let today = day(TODAY);
    // A notice from before the framework began does not count; one from 2024/25 does.
    for issued_on in ["2024-06-10", "2024-11-21"] {
        sqlx::query(
            "insert into penalty_notices (school_id, pupil_id, contact_id, parent_name, issued_on,
                sequence, why)
             values ($1, $2, $3, 'Sam Smith', $4::date, 1, 'Earlier')",
        )
        .bind(school)
        .bind(oliver)
        .bind(parent)
        .bind(issued_on)
        .execute(&pool)
        .await
        .unwrap();
    }
    let second = issue_penalty_notice(&pool, officer.staff_id, school, oliver, parent, today)
        .await
        .unwrap()
        .unwrap();
    let notice = notices(&pool, school, today)
        .await
        .unwrap()
        .into_iter()
        .find(|n| n.id == second)
        .unwrap();
    assert_eq!(notice.sequence, Sequence::Second);
    assert_eq!(notice.due_today, Some(16000));
    assert_eq!(notice.lower_until, None);

    let before = notice_count(&pool).await;
    let third = issue_penalty_notice(&pool, officer.staff_id, school, oliver, parent, today)
        .await
        .unwrap()
        .unwrap_err();
    assert!(third.contains("consider prosecution"), "{third}");
    assert!(
        third.contains("21 Nov 2024") && third.contains("20 Nov 2026"),
        "{third}"
    );
    assert_eq!(notice_count(&pool).await, before);

    // A withdrawn notice no longer counts: the next is a second notice again.
    withdraw(
        &pool,
        officer.staff_id,
        school,
        second,
        "Issued to the wrong address",
        today,
    )
    .await
    .unwrap()
    .unwrap();
    let again = issue_penalty_notice(&pool, officer.staff_id, school, oliver, parent, today)
        .await
        .unwrap()
        .unwrap();
    let sequence: i32 = sqlx::query_scalar("select sequence from penalty_notices where id = $1")
        .bind(again)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(sequence, 2);
}

#[tokio::test]
async fn leave_and_notices_are_on_the_case_timeline() {
    let pool = common::fresh_database().await;
    let fixture = Fixture::new(&pool).await;
    let school = fixture.school.id;
    let oliver = fixture.school.pupils[1];
    let lead = viewer_by_email(&pool, &email(Role::AttendanceLead)).await;
    let parent = contact_of(&pool, oliver).await;
    // A refused holiday, taken: 10 sessions of N become G and meet the threshold.
    let request = record_request(
        &pool,
        lead.staff_id,
        school,
        &NewRequest {
            pupil_id: oliver,
            contact_id: parent,
            first: (day("2026-11-16"), Session::Am),
            last: (day("2026-11-20"), Session::Pm),
            ground: Ground::NoGround,
            parent_reason: "Family holiday to Spain".to_string(),
            received_on: day("2026-11-02"),
        },
        day(TODAY),
    )
    .await
    .unwrap()
    .unwrap();
    decide(
        &pool,
        lead.staff_id,
        school,
        request,
        false,
        "A holiday cannot be authorised",
    )
    .await
    .unwrap()
    .unwrap();
    let writes: Vec<MarkWrite> = [
        "2026-11-16",
        "2026-11-17",
        "2026-11-18",
        "2026-11-19",
        "2026-11-20",
    ]
    .iter()
    .flat_map(|date| [(*date, Session::Am), (*date, Session::Pm)])
    .map(|(date, session)| MarkWrite {
        pupil_id: oliver,
        date: day(date),
        session,
        code: Code::parse("N").unwrap(),
        minutes_late: None,
        seen: Seen::Anything,
    })
    .collect();
    let mut tx = pool.begin().await.unwrap();
    write_marks(&mut tx, school, None, "register", None, &writes)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    record_taken(&pool, lead.staff_id, school, request)
        .await
        .unwrap()
        .unwrap();
    issue_penalty_notice(&pool, lead.staff_id, school, oliver, parent, day(TODAY))
        .await
        .unwrap()
        .unwrap();

    evaluate_school(&pool, school, day(TODAY)).await.unwrap();
    let case = caseload(&pool, school, None)
        .await
        .unwrap()
        .into_iter()
        .find(|case| case.pupil_id == oliver)
        .expect("Oliver has a case");
    let detail = case_detail(&pool, &lead, school, case.id)
        .await
        .unwrap()
        .unwrap();
    let kinds: Vec<&str> = detail.events.iter().map(|e| e.kind.as_str()).collect();
    for kind in [
        "leave_requested",
        "leave_decided",
        "leave_taken",
        "penalty_notice",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert!(
        detail
            .events
            .windows(2)
            .all(|pair| pair[0].at <= pair[1].at)
    );
    // The other school's case pages never show this pupil's notices.
    assert!(
        case_detail(&pool, &lead, fixture.sister.id, case.id)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn only_those_who_work_cases_issue_and_only_at_their_school() {
    let app = common::spawn().await;
    let pool = app.pool.clone();
    let fixture = Fixture::new(&pool).await;
    let school = fixture.school.id;
    let oliver = fixture.school.pupils[1];
    let parent = contact_of(&pool, oliver).await;
    let issue = |school_id: Uuid| {
        vec![
            ("school_id", school_id.to_string()),
            ("pupil_id", oliver.to_string()),
            ("contact_id", parent.to_string()),
        ]
    };
    let post = |client: reqwest::Client, path: &'static str, form: Vec<(&'static str, String)>| {
        let url = app.url(path);
        async move { client.post(url).form(&form).send().await.unwrap() }
    };
    for who in [
        email(Role::Pastoral),
        email(Role::SchoolAdmin),
        email(Role::Leadership),
        OUTSIDER.to_string(),
    ] {
        let (client, _) = common::sign_in(&app, &who).await;
        let refused = post(client, "/api/fn/penalty-notices/issue", issue(school)).await;
        assert_eq!(refused.status(), 403, "{who}");
    }
    let (officer, _) = common::sign_in(&app, &email(Role::AttendanceOfficer)).await;
    let sister = post(
        officer.clone(),
        "/api/fn/penalty-notices/issue",
        issue(fixture.sister.id),
    )
    .await;
    assert_eq!(sister.status(), 403);
    // At their own school, below the threshold: a clear refusal and nothing written.
    let below = post(
        officer.clone(),
        "/api/fn/penalty-notices/issue",
        issue(school),
    )
    .await;
    assert_eq!(below.status(), 422);
    assert!(
        below
            .text()
            .await
            .unwrap()
            .contains("does not meet the school's threshold")
    );
    assert_eq!(notice_count(&pool).await, 0);
    // Leadership reads the list; the late door does not.
    let (leadership, _) = common::sign_in(&app, &email(Role::Leadership)).await;
    let read = post(
        leadership,
        "/api/fn/penalty-notices/list",
        vec![("school_id", school.to_string())],
    )
    .await;
    assert_eq!(read.status(), 200);
    let (door, _) = common::sign_in(&app, &email(Role::LateDoor)).await;
    let refused = post(
        door,
        "/api/fn/penalty-notices/list",
        vec![("school_id", school.to_string())],
    )
    .await;
    assert_eq!(refused.status(), 403);
}
