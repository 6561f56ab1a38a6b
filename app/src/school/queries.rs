//! Every query about a school's settings and calendar.

use chrono::{Datelike, NaiveDate, NaiveTime, Utc, Weekday};
use sqlx::PgPool;
use uuid::Uuid;

use super::{Closure, DayKind, LateSettings, SchoolDay, SchoolSettings, SessionTimes, Term};
use crate::audit;

/// Today's date where the school is.
pub async fn today_at(pool: &PgPool, school_id: Uuid) -> Result<Option<NaiveDate>, sqlx::Error> {
    Ok(now_at(pool, school_id).await?.map(|now| now.date()))
}

/// The date and time on the school's clocks (its own zone, with summer time).
pub async fn now_at(
    pool: &PgPool,
    school_id: Uuid,
) -> Result<Option<chrono::NaiveDateTime>, sqlx::Error> {
    let zone: Option<String> = sqlx::query_scalar("select time_zone from schools where id = $1")
        .bind(school_id)
        .fetch_optional(pool)
        .await?;
    Ok(zone.map(|zone| {
        let zone: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::Europe::London);
        Utc::now().with_timezone(&zone).naive_local()
    }))
}

/// What kind of day `date` is at the school: weekends and dates outside every term are not
/// school days, and neither are closures inside a term.
pub async fn day_kind(
    pool: &PgPool,
    school_id: Uuid,
    date: NaiveDate,
) -> Result<DayKind, sqlx::Error> {
    if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
        return Ok(DayKind::Weekend);
    }
    let closure: Option<(String, String)> = sqlx::query_as(
        "select kind, note from calendar_closures where school_id = $1 and closed_on = $2",
    )
    .bind(school_id)
    .bind(date)
    .fetch_optional(pool)
    .await?;
    if let Some((kind, note)) = closure {
        return Ok(DayKind::Closure { kind, note });
    }
    let term: Option<String> = sqlx::query_scalar(
        "select name from terms where school_id = $1 and $2 between starts_on and ends_on",
    )
    .bind(school_id)
    .bind(date)
    .fetch_optional(pool)
    .await?;
    Ok(term.map_or(DayKind::Holiday, |term| DayKind::SchoolDay { term }))
}

/// The school days from `from` to `to`, both included: weekdays inside a term that are not
/// closures. Only these have sessions.
pub async fn school_days<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Postgres>,
    school_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<NaiveDate>, sqlx::Error> {
    sqlx::query_scalar(
        "select d::date from generate_series($2::date, $3::date, interval '1 day') d
         where extract(isodow from d) < 6
           and exists (select 1 from terms t
                       where t.school_id = $1 and d::date between t.starts_on and t.ends_on)
           and not exists (select 1 from calendar_closures c
                           where c.school_id = $1 and c.closed_on = d::date)
         order by 1",
    )
    .bind(school_id)
    .bind(from)
    .bind(to)
    .fetch_all(executor)
    .await
}

#[derive(sqlx::FromRow)]
struct SchoolRow {
    name: String,
    urn: String,
    am_register_opens: NaiveTime,
    pm_register_opens: NaiveTime,
    register_open_minutes: i32,
}

pub async fn session_times(
    pool: &PgPool,
    school_id: Uuid,
) -> Result<Option<SessionTimes>, sqlx::Error> {
    Ok(school_row(pool, school_id).await?.map(|row| SessionTimes {
        am_register_opens: row.am_register_opens,
        pm_register_opens: row.pm_register_opens,
        register_open_minutes: row.register_open_minutes,
    }))
}

async fn school_row(pool: &PgPool, school_id: Uuid) -> Result<Option<SchoolRow>, sqlx::Error> {
    sqlx::query_as(
        "select name, urn, am_register_opens, pm_register_opens, register_open_minutes
         from schools where id = $1",
    )
    .bind(school_id)
    .fetch_optional(pool)
    .await
}

pub async fn school_day(pool: &PgPool, school_id: Uuid) -> Result<Option<SchoolDay>, sqlx::Error> {
    let Some(row) = school_row(pool, school_id).await? else {
        return Ok(None);
    };
    let Some(date) = today_at(pool, school_id).await? else {
        return Ok(None);
    };
    let kind = day_kind(pool, school_id, date).await?;
    let (pupils_on_roll, forms, staff): (i64, i64, i64) = sqlx::query_as(
        "select
            (select count(*) from pupils where school_id = $1 and admitted_on <= $2
                and (left_on is null or left_on >= $2)),
            (select count(*) from forms where school_id = $1),
            (select count(distinct staff_id) from role_grants where school_id = $1)",
    )
    .bind(school_id)
    .bind(date)
    .fetch_one(pool)
    .await?;
    Ok(Some(SchoolDay {
        school_id,
        school_name: row.name,
        urn: row.urn,
        date,
        kind,
        times: SessionTimes {
            am_register_opens: row.am_register_opens,
            pm_register_opens: row.pm_register_opens,
            register_open_minutes: row.register_open_minutes,
        },
        pupils_on_roll,
        forms,
        staff,
    }))
}

pub async fn settings(pool: &PgPool, school_id: Uuid) -> Result<SchoolSettings, sqlx::Error> {
    let times = session_times(pool, school_id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let (sanction_before_close, sanction_after_close, concern_after): (String, String, i32) =
        sqlx::query_as(
            "select late_sanction_before_close, late_sanction_after_close, lateness_concern_after
             from schools where id = $1",
        )
        .bind(school_id)
        .fetch_one(pool)
        .await?;
    let terms: Vec<(String, NaiveDate, NaiveDate)> = sqlx::query_as(
        "select t.name, t.starts_on, t.ends_on from terms t
         where t.school_id = $1 order by t.starts_on",
    )
    .bind(school_id)
    .fetch_all(pool)
    .await?;
    let closures: Vec<(NaiveDate, String, String)> = sqlx::query_as(
        "select closed_on, kind, note from calendar_closures where school_id = $1 order by closed_on",
    )
    .bind(school_id)
    .fetch_all(pool)
    .await?;
    Ok(SchoolSettings {
        times,
        late: LateSettings {
            sanction_before_close,
            sanction_after_close,
            concern_after,
        },
        terms: terms
            .into_iter()
            .map(|(name, starts_on, ends_on)| Term {
                name,
                starts_on,
                ends_on,
            })
            .collect(),
        closures: closures
            .into_iter()
            .map(|(closed_on, kind, note)| Closure {
                closed_on,
                kind,
                note,
            })
            .collect(),
    })
}

pub async fn save_session_times(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    times: &SessionTimes,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "update schools set am_register_opens = $2, pm_register_opens = $3, register_open_minutes = $4
         where id = $1",
    )
    .bind(school_id)
    .bind(times.am_register_opens)
    .bind(times.pm_register_opens)
    .bind(times.register_open_minutes)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "session_times_changed",
        &format!("school:{school_id}"),
        serde_json::to_value(times).unwrap_or_default(),
    )
    .await?;
    tx.commit().await
}

/// Sets the late policy, checked by `LateSettings::checked`, and audits the change with the
/// policy before and after.
pub async fn save_late_policy(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    late: &LateSettings,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let before: (String, String, i32) = sqlx::query_as(
        "select late_sanction_before_close, late_sanction_after_close, lateness_concern_after
         from schools where id = $1 for update",
    )
    .bind(school_id)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "update schools set late_sanction_before_close = $2, late_sanction_after_close = $3,
             lateness_concern_after = $4
         where id = $1",
    )
    .bind(school_id)
    .bind(&late.sanction_before_close)
    .bind(&late.sanction_after_close)
    .bind(late.concern_after)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "late_policy_changed",
        &format!("school:{school_id}"),
        serde_json::json!({
            "before": {
                "sanction_before_close": before.0,
                "sanction_after_close": before.1,
                "concern_after": before.2,
            },
            "after": late,
        }),
    )
    .await?;
    tx.commit().await
}

/// Adds a closure; the inner error says why a closure cannot be added, in words for people.
pub async fn add_closure(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    closed_on: NaiveDate,
    kind: &str,
    note: &str,
) -> Result<Result<(), String>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let added = sqlx::query(
        "insert into calendar_closures (school_id, closed_on, kind, note) values ($1, $2, $3, $4)
         on conflict do nothing",
    )
    .bind(school_id)
    .bind(closed_on)
    .bind(kind)
    .bind(note)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if added == 0 {
        return Ok(Err(format!(
            "{} is already a closure; remove it first to change it.",
            closed_on.format("%-d %B %Y")
        )));
    }
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "closure_added",
        &format!("calendar:{closed_on}"),
        serde_json::json!({ "kind": kind, "note": note }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

pub async fn remove_closure(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    closed_on: NaiveDate,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("delete from calendar_closures where school_id = $1 and closed_on = $2")
        .bind(school_id)
        .bind(closed_on)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "closure_removed",
        &format!("calendar:{closed_on}"),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await
}
