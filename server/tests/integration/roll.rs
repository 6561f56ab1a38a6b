//! Leaving the roll against a real PostgreSQL: the 20-day ground counted from the register,
//! never backdated, home education's cooling-off, cancelling before the day, the deletion return.

use crate::common;

use app::{
    domain::{
        codes::{Code, Session},
        roll::DeletionGround,
    },
    registers::queries::{MarkWrite, Seen, write_marks},
    roll::{
        Standing,
        queries::{
            NewDeletion, cancel_deletion, deletions, pupils_on_roll, record_deletion, return_sent,
        },
    },
    school::queries::{school_days, today_at},
};
use chrono::{Days, NaiveDate};
use common::fixture::{Fixture, email};
use sqlx::PgPool;
use uuid::Uuid;

/// Every session of the last `count` school days up to today coded O.
async fn absent_for(pool: &PgPool, school: Uuid, pupil: Uuid, today: NaiveDate, count: usize) {
    let days = school_days(pool, school, today - Days::new(90), today)
        .await
        .unwrap();
    let writes: Vec<MarkWrite> = days[days.len() - count..]
        .iter()
        .flat_map(|date| {
            [Session::Am, Session::Pm].map(|session| MarkWrite {
                pupil_id: pupil,
                date: *date,
                session,
                code: Code::OtherUnauthorised,
                minutes_late: None,
                seen: Seen::Anything,
            })
        })
        .collect();
    let mut tx = pool.begin().await.unwrap();
    write_marks(&mut tx, school, None, "register", None, &writes)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
}

async fn left_on(pool: &PgPool, pupil: Uuid) -> Option<NaiveDate> {
    sqlx::query_scalar("select left_on from pupils where id = $1")
        .bind(pupil)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_pupil_leaves_the_roll_on_a_ground_never_backdated_and_home_education_cools_off() {
    let pool = common::fresh_database().await;
    let fixture = Fixture::new(&pool).await;
    let school = fixture.school.id;
    let (amira, oliver, grace) = (
        fixture.school.pupils[0],
        fixture.school.pupils[1],
        fixture.school.pupils[2],
    );
    let lead: Uuid = sqlx::query_scalar("select id from staff where email = $1")
        .bind(email(app::domain::roles::Role::AttendanceLead))
        .fetch_one(&pool)
        .await
        .unwrap();
    let today = today_at(&pool, school).await.unwrap().unwrap();
    absent_for(&pool, school, oliver, today, 20).await;
    absent_for(&pool, school, grace, today, 19).await;
    let deletion = |pupil_id: Uuid, ground: DeletionGround, deleted_on: NaiveDate| NewDeletion {
        pupil_id,
        ground,
        deleted_on,
        notice_on: None,
        cooling_off_until: None,
        note: "Joint enquiries with the local authority: no trace".to_string(),
    };
    let refused = async |new: NewDeletion| {
        record_deletion(&pool, lead, school, &new, today)
            .await
            .unwrap()
            .unwrap_err()
    };

    // Nineteen days is not twenty; yesterday is backdating; a note is needed; nothing written.
    let nineteen = refused(deletion(grace, DeletionGround::ContinuousAbsence, today)).await;
    assert!(nineteen.contains("the pupil has 19"), "{nineteen}");
    let backdated = refused(deletion(
        oliver,
        DeletionGround::ContinuousAbsence,
        today.pred_opt().unwrap(),
    ))
    .await;
    assert!(backdated.contains("never backdated"), "{backdated}");
    let no_note = refused(NewDeletion {
        note: " ".to_string(),
        ..deletion(oliver, DeletionGround::MovedAway, today)
    })
    .await;
    assert!(no_note.contains("Add a note"), "{no_note}");
    let elsewhere = record_deletion(
        &pool,
        lead,
        fixture.sister.id,
        &deletion(oliver, DeletionGround::MovedAway, today),
        today,
    )
    .await
    .unwrap()
    .unwrap_err();
    assert!(elsewhere.contains("no such pupil"), "{elsewhere}");
    let written: i64 = sqlx::query_scalar("select count(*) from roll_deletions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(written, 0);
    assert_eq!(left_on(&pool, grace).await, None);

    // Twenty days: off the roll from today, so the last day on roll was yesterday.
    record_deletion(
        &pool,
        lead,
        school,
        &deletion(oliver, DeletionGround::ContinuousAbsence, today),
        today,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(left_on(&pool, oliver).await, today.pred_opt());
    let on_roll = pupils_on_roll(&pool, school, today).await.unwrap();
    assert!(!on_roll.iter().any(|p| p.id == oliver));
    let twice = refused(deletion(oliver, DeletionGround::MovedAway, today)).await;
    assert!(twice.contains("already leaves the roll"), "{twice}");

    // Home education: the notice, then off the roll only after the cooling-off period.
    let ehe = NewDeletion {
        notice_on: Some(today - Days::new(3)),
        cooling_off_until: Some(today + Days::new(5)),
        ..deletion(amira, DeletionGround::HomeEducation, today + Days::new(5))
    };
    let early = refused(ehe.clone()).await;
    assert!(early.contains("at the earliest"), "{early}");
    let ehe = NewDeletion {
        deleted_on: today + Days::new(6),
        ..ehe
    };
    let amira_deletion = record_deletion(&pool, lead, school, &ehe, today)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(left_on(&pool, amira).await, Some(today + Days::new(5)));
    let list = deletions(&pool, school).await.unwrap();
    let listed = list.iter().find(|d| d.id == amira_deletion).unwrap();
    assert_eq!(
        listed.standing(today),
        Standing::CoolingOff(today + Days::new(5))
    );

    // The family changed their mind: Amira stays on roll; Oliver's deletion is in force.
    let blank = cancel_deletion(&pool, lead, school, amira_deletion, " ", today)
        .await
        .unwrap()
        .unwrap_err();
    assert!(blank.contains("Say why"), "{blank}");
    cancel_deletion(
        &pool,
        lead,
        school,
        amira_deletion,
        "Parent withdrew the notice",
        today,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(left_on(&pool, amira).await, None);
    let oliver_deletion = list.iter().find(|d| d.pupil_id == oliver).unwrap().id;
    let in_force = cancel_deletion(&pool, lead, school, oliver_deletion, "mistake", today)
        .await
        .unwrap()
        .unwrap_err();
    assert!(in_force.contains("admit the pupil again"), "{in_force}");

    // The deletion return, once, and only at the pupil's school.
    assert!(
        return_sent(&pool, lead, fixture.sister.id, oliver_deletion, today)
            .await
            .unwrap()
            .is_err()
    );
    return_sent(&pool, lead, school, oliver_deletion, today)
        .await
        .unwrap()
        .unwrap();
    let again = return_sent(&pool, lead, school, oliver_deletion, today)
        .await
        .unwrap()
        .unwrap_err();
    assert!(again.contains("already sent"), "{again}");
    let list = deletions(&pool, school).await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].standing(today), Standing::OffRoll);
    assert_eq!(list[0].return_sent_on, Some(today));
    assert_eq!(list[1].standing(today), Standing::Cancelled);
    let audited: Vec<String> =
        sqlx::query_scalar("select action from audit_log where action like 'roll.%' order by id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        audited,
        [
            "roll.delete",
            "roll.delete",
            "roll.cancel",
            "roll.return_sent"
        ]
    );
}

#[tokio::test]
async fn the_ten_day_notice_is_due_at_ten_school_days_and_sent_once_per_run() {
    use app::roll::queries::{missing_education, ten_day_notice, ten_day_notice_sent};
    let pool = common::fresh_database().await;
    let fixture = Fixture::new(&pool).await;
    let school = fixture.school.id;
    let (amira, grace) = (fixture.school.pupils[0], fixture.school.pupils[2]);
    let officer =
        common::viewer_by_email(&pool, &email(app::domain::roles::Role::AttendanceOfficer)).await;
    let today = today_at(&pool, school).await.unwrap().unwrap();
    absent_for(&pool, school, grace, today, 10).await;
    absent_for(&pool, school, amira, today, 9).await;

    // Ten days is due; nine is not.
    let due = missing_education(&pool, school, today, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].pupil_id, grace);
    assert_eq!(due[0].run_days, 10);
    assert_eq!(due[0].notice_sent_on, None);

    let notice = ten_day_notice(&pool, &officer, school, grace, today)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(notice.run.len(), 10);
    assert_eq!(notice.run_from, due[0].run_from);
    assert!(notice.run.iter().all(|day| day.am == "O" && day.pm == "O"));
    assert!(!notice.contacts.is_empty());
    // Another school's staff find no notice for this pupil through their school.
    assert!(
        ten_day_notice(&pool, &officer, fixture.sister.id, grace, today)
            .await
            .unwrap()
            .is_none()
    );

    let early = ten_day_notice_sent(&pool, officer.staff_id, school, amira, today, 10)
        .await
        .unwrap()
        .unwrap_err();
    assert!(early.contains("has 9 school day(s)"), "{early}");
    ten_day_notice_sent(&pool, officer.staff_id, school, grace, today, 10)
        .await
        .unwrap()
        .unwrap();
    let again = ten_day_notice_sent(&pool, officer.staff_id, school, grace, today, 10)
        .await
        .unwrap()
        .unwrap_err();
    assert!(again.contains("already sent"), "{again}");
    let due = missing_education(&pool, school, today, 10).await.unwrap();
    assert_eq!(due[0].notice_sent_on, Some(today));
}
