//! Reduced timetables and alternative provision against a real PostgreSQL: the rules refuse
//! with what to fix and write nothing, reviews move the review date, other schools see nothing.

use crate::common;

use app::{
    arrangements::{
        Kind, NewArrangement,
        queries::{add, arrangements, review},
    },
    school::queries::today_at,
};
use chrono::Days;
use common::fixture::{Fixture, email};
use uuid::Uuid;

#[tokio::test]
async fn a_reduced_timetable_is_reviewed_on_its_dates_and_provision_is_k_or_b() {
    let pool = common::fresh_database().await;
    let fixture = Fixture::new(&pool).await;
    let school = fixture.school.id;
    let (amira, oliver) = (fixture.school.pupils[0], fixture.school.pupils[1]);
    let officer: Uuid = sqlx::query_scalar("select id from staff where email = $1")
        .bind(email(app::domain::roles::Role::AttendanceOfficer))
        .fetch_one(&pool)
        .await
        .unwrap();
    let today = today_at(&pool, school).await.unwrap().unwrap();
    let reduced = NewArrangement {
        pupil_id: amira,
        kind: Kind::ReducedTimetable,
        starts_on: today,
        ends_on: today + Days::new(25),
        review_on: Some(today + Days::new(11)),
        detail: "Mornings only, 8:45 to 12:15, after the hospital stay".to_string(),
        la_notified_on: Some(today),
    };

    // Refused with what to fix; nothing written.
    let no_review = add(
        &pool,
        officer,
        school,
        &NewArrangement {
            review_on: None,
            ..reduced.clone()
        },
        today,
    )
    .await
    .unwrap()
    .unwrap_err();
    assert!(no_review.contains("review date"), "{no_review}");
    let elsewhere = add(&pool, officer, fixture.sister.id, &reduced, today)
        .await
        .unwrap()
        .unwrap_err();
    assert!(elsewhere.contains("no such pupil"), "{elsewhere}");
    let written: i64 = sqlx::query_scalar("select count(*) from pupil_arrangements")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(written, 0);

    let timetable = add(&pool, officer, school, &reduced, today)
        .await
        .unwrap()
        .unwrap();
    add(
        &pool,
        officer,
        school,
        &NewArrangement {
            pupil_id: oliver,
            kind: Kind::AlternativeProvision {
                by_local_authority: false,
            },
            review_on: None,
            detail: "Riverside Learning Centre, Tuesdays and Thursdays".to_string(),
            la_notified_on: None,
            ..reduced.clone()
        },
        today,
    )
    .await
    .unwrap()
    .unwrap();
    let list = arrangements(&pool, school, today).await.unwrap();
    assert_eq!(list.len(), 2);
    let provision = list.iter().find(|a| a.pupil_id == oliver).unwrap();
    assert_eq!(provision.kind.code(), "B");
    assert!(
        arrangements(&pool, fixture.sister.id, today)
            .await
            .unwrap()
            .is_empty()
    );

    // Twelve days on, the review is overdue; a review moves it on and is kept.
    let later = today + Days::new(12);
    let listed = arrangements(&pool, school, later).await.unwrap();
    let amira_line = listed.iter().find(|a| a.id == timetable).unwrap();
    assert!(amira_line.review_overdue(later));
    let no_next = review(&pool, officer, school, timetable, "Going well", None, later)
        .await
        .unwrap()
        .unwrap_err();
    assert!(no_next.contains("next review date"), "{no_next}");
    let past_end = review(
        &pool,
        officer,
        school,
        timetable,
        "Going well",
        Some(today + Days::new(26)),
        later,
    )
    .await
    .unwrap()
    .unwrap_err();
    assert!(
        past_end.contains("by the end of the arrangement"),
        "{past_end}"
    );
    review(
        &pool,
        officer,
        school,
        timetable,
        "Going well: one more afternoon a week",
        Some(today + Days::new(20)),
        later,
    )
    .await
    .unwrap()
    .unwrap();
    let listed = arrangements(&pool, school, later).await.unwrap();
    let amira_line = listed.iter().find(|a| a.id == timetable).unwrap();
    assert!(!amira_line.review_overdue(later));
    assert_eq!(amira_line.review_on, Some(today + Days::new(20)));
    assert_eq!(
        amira_line.last_review,
        Some((later, "Going well: one more afternoon a week".to_string()))
    );
    let audited: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action like 'arrangement.%'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audited, 3);
}
