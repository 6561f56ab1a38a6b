//! `rollcall seed demo`: the made-up trust has an account for every role, marks shaped like
//! England's figures that fall only on school days, and comes out the same for the same seed.

use crate::common;

use app::{auth::password::verify_password, domain::roles::Role};
use chrono::NaiveDate;
use server::seed::{DEMO_PASSWORD, DemoOptions, DemoSummary, seed_demo};
use sqlx::PgPool;

fn through() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
}

fn small() -> DemoOptions {
    DemoOptions {
        schools: 2,
        pupils: Some(120),
        through: Some(through()),
        ..DemoOptions::default()
    }
}

async fn seeded() -> PgPool {
    let pool = common::fresh_database().await;
    let summary = seed_demo(&pool, &small()).await.expect("seeding the demo");
    assert!(matches!(summary, DemoSummary::Seeded(_)), "{summary}");
    pool
}

/// Attendance as the DfE counts it: present and AEA over possible sessions.
const PER_PUPIL: &str = r"
    select p.free_school_meals,
           count(*) filter (where m.code in ('/', '\', 'L', 'K', 'V', 'P', 'W', 'B')) as attended,
           count(*) filter (where m.code in ('/', '\', 'L', 'K', 'V', 'P', 'W', 'B',
               'C1', 'M', 'J1', 'S', 'C2', 'C', 'E', 'I', 'R', 'T', 'G', 'N', 'O', 'U')) as possible
    from marks m join pupils p on p.school_id = m.school_id and p.id = m.pupil_id
    group by p.school_id, p.id, p.free_school_meals";

#[tokio::test]
async fn every_role_has_an_account_at_every_school_with_the_demo_password() {
    let pool = seeded().await;
    let schools: Vec<(uuid::Uuid, String)> = sqlx::query_as("select id, name from schools")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(schools.len(), 2);
    for (school_id, name) in &schools {
        for role in Role::ALL
            .into_iter()
            .filter(|role| *role != Role::TrustAdmin)
        {
            let holders: i64 = sqlx::query_scalar(
                "select count(*) from role_grants where school_id = $1 and role = $2",
            )
            .bind(school_id)
            .bind(role.key())
            .fetch_one(&pool)
            .await
            .unwrap();
            assert!(holders >= 1, "no {} at {name}", role.key());
        }
    }
    let trust_admin: Option<String> = sqlx::query_scalar(
        "select s.password_hash from staff s join role_grants g on g.staff_id = s.id
         where s.email = 'trust-admin@riverside.example' and g.role = 'trust_admin'
           and g.school_id is null",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(verify_password(DEMO_PASSWORD, &trust_admin.unwrap()));

    let officer: Option<String> = sqlx::query_scalar(
        "select password_hash from staff where email = 'officer@oakfield.example'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(verify_password(DEMO_PASSWORD, &officer.unwrap()));
    let hashes: i64 = sqlx::query_scalar("select count(distinct password_hash) from staff")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(hashes, 1, "the password is hashed once and shared");
}

#[tokio::test]
async fn the_roll_is_consistent_with_year_groups_upns_and_contacts() {
    let pool = seeded().await;
    let wrong_age: i64 = sqlx::query_scalar(
        "select count(*) from pupils p join year_groups y
           on y.school_id = p.school_id and y.id = p.year_group_id
         where extract(year from age('2026-08-31', p.date_of_birth)) <> y.nc_year + 4",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(wrong_age, 0, "pupils aged wrongly for their year group");

    let upns: Vec<String> = sqlx::query_scalar("select upn from pupils")
        .fetch_all(&pool)
        .await
        .unwrap();
    for upn in &upns {
        assert!(app::domain::upn::Upn::parse(upn).is_ok(), "{upn}");
    }

    let contacts_out_of_order: i64 = sqlx::query_scalar(
        "select count(*) from (select pupil_id, count(*) as n, max(priority) as last
                               from contacts group by pupil_id) c
         where c.n not between 1 and 3 or c.last <> c.n",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(contacts_out_of_order, 0);
    let without_contacts: i64 = sqlx::query_scalar(
        "select count(*) from pupils p
         where not exists (select 1 from contacts c where c.pupil_id = p.id)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(without_contacts, 0);

    let forms_without_tutors: i64 =
        sqlx::query_scalar("select count(*) from forms where tutor_id is null")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(forms_without_tutors, 0);
}

#[tokio::test]
async fn marks_are_shaped_like_englands_attendance() {
    let pool = seeded().await;
    let pupils: Vec<(bool, i64, i64)> = sqlx::query_as(PER_PUPIL).fetch_all(&pool).await.unwrap();
    assert!(pupils.len() >= 230, "{} pupils have marks", pupils.len());
    let share = |keep: &dyn Fn(f64) -> bool| {
        pupils
            .iter()
            .filter(|(_, attended, possible)| keep(*attended as f64 / *possible as f64))
            .count() as f64
            / pupils.len() as f64
    };
    let below_90 = share(&|rate| rate < 0.9);
    assert!((0.10..=0.30).contains(&below_90), "{below_90:.3} below 90%");
    let at_95 = share(&|rate| rate >= 0.95);
    assert!(at_95 > 0.5, "only {at_95:.3} at or above 95%");

    let absence = |fsm: bool| {
        let (attended, possible) = pupils
            .iter()
            .filter(|(meals, _, _)| *meals == fsm)
            .fold((0, 0), |(a, p), (_, attended, possible)| {
                (a + attended, p + possible)
            });
        1.0 - attended as f64 / possible as f64
    };
    assert!(
        absence(true) > absence(false),
        "free school meals {:.3} against {:.3}",
        absence(true),
        absence(false)
    );

    let authorised: Vec<(String, i64)> = sqlx::query_as(
        "select code, count(*) from marks
         where code in ('C1', 'M', 'J1', 'S', 'C2', 'C', 'E', 'I', 'R', 'T')
         group by code order by count(*) desc",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(authorised[0].0, "I", "{authorised:?}");

    let unknown_codes: Vec<String> = sqlx::query_scalar(
        r"select distinct code from marks where code not in ('/', '\', 'L', 'K', 'V', 'P', 'W',
          'B', 'D', 'C1', 'M', 'J1', 'S', 'X', 'Y1', 'Y2', 'Y3', 'Y4', 'Y5', 'Y6', 'Y7', 'Q',
          'C2', 'C', 'E', 'I', 'R', 'T', 'G', 'N', 'O', 'U', 'Z', '#')",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(unknown_codes.is_empty(), "{unknown_codes:?}");

    let late_marks_out_of_shape: i64 = sqlx::query_scalar(
        "select count(*) from marks m join schools s on s.id = m.school_id
         where (m.code = 'L' and not m.minutes_late between 1 and s.register_open_minutes - 1)
            or (m.code = 'U' and (m.session <> 'AM'
                or not m.minutes_late between s.register_open_minutes + 1 and 60))
            or (m.code not in ('L', 'U') and m.minutes_late is not null)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(late_marks_out_of_shape, 0);
}

#[tokio::test]
async fn marks_fall_only_on_school_days_while_the_pupil_is_on_roll() {
    let pool = seeded().await;
    let off_days: i64 = sqlx::query_scalar(
        "select count(*) from marks m
         where extract(isodow from m.session_date) > 5
            or not exists (select 1 from terms t where t.school_id = m.school_id
                           and m.session_date between t.starts_on and t.ends_on)
            or exists (select 1 from calendar_closures c where c.school_id = m.school_id
                       and c.closed_on = m.session_date)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(off_days, 0);
    let in_half_term_or_inset: i64 = sqlx::query_scalar(
        "select count(*) from marks
         where session_date between '2026-10-23' and '2026-10-30' or session_date = '2026-09-01'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(in_half_term_or_inset, 0);

    let off_roll: i64 = sqlx::query_scalar(
        "select count(*) from marks m join pupils p on p.school_id = m.school_id and p.id = m.pupil_id
         where m.session_date < p.admitted_on or m.session_date > coalesce(p.left_on, $1)",
    )
    .bind(through())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(off_roll, 0);

    // Every pupil has both sessions of every school day they were on roll.
    let unpaired: i64 = sqlx::query_scalar(
        "select count(*) from (select pupil_id, session_date from marks
         group by 1, 2 having count(*) filter (where session = 'AM') <> 1
                         or count(*) filter (where session = 'PM') <> 1) unpaired",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(unpaired, 0);

    // N waits at most five school days for a reason.
    let last_five: Vec<NaiveDate> = sqlx::query_scalar(
        "select distinct session_date from marks where session_date <= $1
         order by session_date desc limit 5",
    )
    .bind(through())
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(last_five[0], through());
    let stale: i64 =
        sqlx::query_scalar("select count(*) from marks where code = 'N' and session_date < $1")
            .bind(last_five[4])
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stale, 0);
}

#[tokio::test]
async fn a_second_seeding_fails_and_writes_nothing_unless_told_to_skip() {
    let pool = seeded().await;
    let count = |table: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(&format!("select count(*) from {table}"))
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let before = (
        count("trusts").await,
        count("pupils").await,
        count("marks").await,
    );

    let error = seed_demo(&pool, &small()).await.unwrap_err();
    assert!(
        error.to_string().contains("already has a trust"),
        "{error:#}"
    );
    assert_eq!(
        (
            count("trusts").await,
            count("pupils").await,
            count("marks").await
        ),
        before
    );

    let skipped = seed_demo(
        &pool,
        &DemoOptions {
            if_empty: true,
            ..small()
        },
    )
    .await
    .unwrap();
    assert!(
        matches!(skipped, DemoSummary::AlreadySeeded { .. }),
        "{skipped}"
    );
    assert_eq!(
        (
            count("trusts").await,
            count("pupils").await,
            count("marks").await
        ),
        before
    );
}

#[tokio::test]
async fn the_same_seed_makes_the_same_pupils_and_marks() {
    let (first, second) = (seeded().await, seeded().await);
    let roll = "select p.upn, p.legal_first_name, p.legal_last_name, p.date_of_birth
                from pupils p join schools s on s.id = p.school_id order by s.urn, p.upn";
    let marks = r"select md5(string_agg(s.urn || p.upn || m.session_date || m.session || m.code,
                     ',' order by s.urn, p.upn, m.session_date, m.session))
                  from marks m join pupils p on p.school_id = m.school_id and p.id = m.pupil_id
                  join schools s on s.id = m.school_id";
    let pupils = |pool: PgPool| async move {
        sqlx::query_as::<_, (String, String, String, NaiveDate)>(roll)
            .fetch_all(&pool)
            .await
            .unwrap()
    };
    let digest = |pool: PgPool| async move {
        sqlx::query_scalar::<_, String>(marks)
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let upns = pupils(first.clone()).await;
    assert_eq!(upns.len(), 240);
    assert_eq!(upns, pupils(second.clone()).await);
    assert_eq!(digest(first).await, digest(second).await);
}

#[tokio::test]
async fn the_figures_engine_agrees_with_a_count_of_the_demo_marks() {
    let pool = seeded().await;
    let schools: Vec<uuid::Uuid> = sqlx::query_scalar("select id from schools")
        .fetch_all(&pool)
        .await
        .unwrap();
    let day = |month, day| NaiveDate::from_ymd_opt(2026, month, day).unwrap();
    // The year to date and a whole month are read from the monthly counts; a period that cuts
    // months, and a single day, from the running totals. Each must agree with a count.
    let periods = [
        (day(9, 1), through()),
        (day(10, 1), day(10, 31)),
        (day(9, 15), day(10, 20)),
        (day(11, 4), day(11, 4)),
    ];
    for (from, to) in periods {
        let pupils = app::attendance::queries::pupil_figures(&pool, &schools, from, to)
            .await
            .unwrap();
        let counted: std::collections::HashMap<uuid::Uuid, (i64, i64)> = sqlx::query_as(
            &PER_PUPIL
                .replace("select p.free_school_meals,", "select p.id,")
                .replace(
                    "group by p.school_id, p.id, p.free_school_meals",
                    "where m.is_current and m.session_date between $1 and $2 group by p.id",
                ),
        )
        .bind(from)
        .bind(to)
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .map(|(id, attended, possible)| (id, (attended, possible)))
        .collect();
        assert!(pupils.len() > 200);
        for pupil in &pupils {
            let (attended, possible) = counted.get(&pupil.pupil_id).copied().unwrap_or((0, 0));
            assert_eq!(
                (pupil.sessions.attending(), pupil.sessions.possible()),
                (attended, possible),
                "{} from {from} to {to}",
                pupil.name
            );
        }
    }
}
