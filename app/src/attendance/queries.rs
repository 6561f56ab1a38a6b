//! Every query of the statistics engine: keeping each pupil's running totals correct when marks
//! change, and reading the figures of any period from them.

use chrono::{Datelike, NaiveDate};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::PupilFigures;
use crate::domain::{
    codes::{Category, Code},
    figures::Tally,
};

/// The codes of one category, as text, for SQL's `code = any($n)`. The domain is the one place
/// that says which code counts how; the database is told, never keeps its own copy.
fn codes_in(category: Category) -> Vec<&'static str> {
    Code::ALL
        .iter()
        .filter(|code| code.category() == category)
        .map(|code| code.as_str())
        .collect()
}

/// Rebuilds the running totals of these pupils from `from` onwards, after their marks changed,
/// and their monthly counts from the month `from` falls in. Run it in the transaction that
/// changed the marks, so the figures are never out of step.
pub async fn refresh_totals(
    conn: &mut PgConnection,
    school_id: Uuid,
    pupil_ids: &[Uuid],
    from: NaiveDate,
) -> Result<(), sqlx::Error> {
    if pupil_ids.is_empty() {
        return Ok(());
    }
    let month = from.with_day(1).unwrap_or(from);
    sqlx::query(
        "with months as (
            delete from attendance_months
            where school_id = $1 and pupil_id = any($2) and month >= $4
         )
         delete from attendance_totals
         where school_id = $1 and pupil_id = any($2) and session_date >= $3",
    )
    .bind(school_id)
    .bind(pupil_ids)
    .bind(from)
    .bind(month)
    .execute(&mut *conn)
    .await?;
    // One statement: the running totals from `from` (each pupil's total before it plus the
    // days since), then the months from `month`, each the last running total in it less the
    // one before it, read from the totals kept before `from` and those just written.
    sqlx::query(
        "with base as (
            select p.id as pupil_id, t.present, t.aea, t.authorised, t.unauthorised,
                t.late_before_close, t.late_after_close
            from unnest($2::uuid[]) as p(id)
            cross join lateral (
                select present, aea, authorised, unauthorised, late_before_close,
                    late_after_close
                from attendance_totals
                where school_id = $1 and pupil_id = p.id and session_date < $3
                order by session_date desc limit 1
            ) t
         ), days as (
            select pupil_id, session_date,
                count(*) filter (where code = any($4))::int as present,
                count(*) filter (where code = any($5))::int as aea,
                count(*) filter (where code = any($6))::int as authorised,
                count(*) filter (where code = any($7))::int as unauthorised,
                count(*) filter (where code = $8)::int as late_before_close,
                count(*) filter (where code = $9)::int as late_after_close
            from marks
            where school_id = $1 and pupil_id = any($2) and session_date >= $3 and is_current
            group by pupil_id, session_date
         ), written as (
            insert into attendance_totals (school_id, pupil_id, session_date, present, aea,
                authorised, unauthorised, late_before_close, late_after_close)
            select $1, d.pupil_id, d.session_date,
                coalesce(b.present, 0) + sum(d.present) over w,
                coalesce(b.aea, 0) + sum(d.aea) over w,
                coalesce(b.authorised, 0) + sum(d.authorised) over w,
                coalesce(b.unauthorised, 0) + sum(d.unauthorised) over w,
                coalesce(b.late_before_close, 0) + sum(d.late_before_close) over w,
                coalesce(b.late_after_close, 0) + sum(d.late_after_close) over w
            from days d left join base b using (pupil_id)
            window w as (partition by d.pupil_id order by d.session_date)
            returning pupil_id, session_date, present, aea, authorised, unauthorised,
                late_before_close, late_after_close
         ), totals as (
            select pupil_id, session_date, present, aea, authorised, unauthorised,
                late_before_close, late_after_close
            from attendance_totals
            where school_id = $1 and pupil_id = any($2) and session_date >= $10
              and session_date < $3
            union all
            select * from written
         ), month_base as (
            select p.id as pupil_id, t.present, t.aea, t.authorised, t.unauthorised,
                t.late_before_close, t.late_after_close
            from unnest($2::uuid[]) as p(id)
            cross join lateral (
                select present, aea, authorised, unauthorised, late_before_close,
                    late_after_close
                from attendance_totals
                where school_id = $1 and pupil_id = p.id and session_date < $10
                order by session_date desc limit 1
            ) t
         ), ends as (
            select distinct on (pupil_id, date_trunc('month', session_date))
                pupil_id, date_trunc('month', session_date)::date as month,
                min(session_date) over (partition by pupil_id, date_trunc('month', session_date))
                    as first_date,
                session_date as last_date,
                present, aea, authorised, unauthorised, late_before_close, late_after_close
            from totals
            order by pupil_id, date_trunc('month', session_date), session_date desc
         )
         insert into attendance_months (school_id, month, pupil_id, first_date, last_date,
             present, aea, authorised, unauthorised, late_before_close, late_after_close)
         select $1, e.month, e.pupil_id, e.first_date, e.last_date,
             e.present - coalesce(lag(e.present) over w, b.present, 0),
             e.aea - coalesce(lag(e.aea) over w, b.aea, 0),
             e.authorised - coalesce(lag(e.authorised) over w, b.authorised, 0),
             e.unauthorised - coalesce(lag(e.unauthorised) over w, b.unauthorised, 0),
             e.late_before_close - coalesce(lag(e.late_before_close) over w,
                 b.late_before_close, 0),
             e.late_after_close - coalesce(lag(e.late_after_close) over w,
                 b.late_after_close, 0)
         from ends e left join month_base b using (pupil_id)
         window w as (partition by e.pupil_id order by e.month)",
    )
    .bind(school_id)
    .bind(pupil_ids)
    .bind(from)
    .bind(codes_in(Category::Present))
    .bind(codes_in(Category::ApprovedActivity))
    .bind(codes_in(Category::Authorised))
    .bind(codes_in(Category::Unauthorised))
    .bind(Code::Late.as_str())
    .bind(Code::LateAfterClose.as_str())
    .bind(month)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Rebuilds every pupil's running totals at a school: after a bulk load (the demo, an import).
pub async fn rebuild_school_totals(
    conn: &mut PgConnection,
    school_id: Uuid,
) -> Result<(), sqlx::Error> {
    let pupils: Vec<Uuid> = sqlx::query_scalar("select id from pupils where school_id = $1")
        .bind(school_id)
        .fetch_all(&mut *conn)
        .await?;
    let long_ago = NaiveDate::from_ymd_opt(1900, 1, 1).expect("a valid date");
    refresh_totals(conn, school_id, &pupils, long_ago).await
}

/// Each enrolment's figures at several schools (a trust), one query per school run side by
/// side on the pool's connections, so a trust of ten schools takes a few schools' time.
pub async fn schools_pupil_figures(
    pool: &PgPool,
    school_ids: &[Uuid],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<PupilFigures>, sqlx::Error> {
    let mut running = tokio::task::JoinSet::new();
    for &school_id in school_ids {
        let pool = pool.clone();
        running.spawn(async move { pupil_figures(&pool, &[school_id], from, to).await });
    }
    let mut all = Vec::new();
    while let Some(school) = running.join_next().await {
        all.extend(school.map_err(|error| sqlx::Error::Protocol(error.to_string()))??);
    }
    Ok(all)
}

#[derive(sqlx::FromRow)]
struct PupilRow {
    school_id: Uuid,
    pupil_id: Uuid,
    upn: String,
    name: String,
    form: Option<String>,
    year: String,
    nc_year: i32,
    sen_status: String,
    free_school_meals: bool,
    eal: bool,
    sex: String,
    present: i64,
    aea: i64,
    authorised: i64,
    unauthorised: i64,
    late_before_close: i64,
    late_after_close: i64,
}

/// Each enrolment's sessions at these schools between two dates (both included), counted only while
/// the pupil was on roll.
///
/// The months the period covers are read in one range of `attendance_months` and added up per
/// pupil. That is exact for a pupil when none of their months with marks is cut by the period or
/// by their admission or leaving (this academic year to date, whole months, whole terms that
/// start and end with a month's marks). For any other pupil, two probes of the running totals:
/// the total on the last day with marks in the period, less the one before it starts.
pub async fn pupil_figures(
    pool: &PgPool,
    school_ids: &[Uuid],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<PupilFigures>, sqlx::Error> {
    let rows: Vec<PupilRow> = sqlx::query_as(
        "select p.school_id, p.id as pupil_id, p.upn,
            coalesce(p.preferred_last_name, p.legal_last_name) || ', '
                || coalesce(p.preferred_first_name, p.legal_first_name) as name,
            f.name as form, y.name as year, y.nc_year, p.sen_status, p.free_school_meals,
            p.eal, p.sex,
            (case when x.probe then coalesce(hi.present, 0) - coalesce(lo.present, 0)
                else coalesce(m.present, 0) end)::bigint as present,
            (case when x.probe then coalesce(hi.aea, 0) - coalesce(lo.aea, 0)
                else coalesce(m.aea, 0) end)::bigint as aea,
            (case when x.probe then coalesce(hi.authorised, 0) - coalesce(lo.authorised, 0)
                else coalesce(m.authorised, 0) end)::bigint as authorised,
            (case when x.probe then coalesce(hi.unauthorised, 0) - coalesce(lo.unauthorised, 0)
                else coalesce(m.unauthorised, 0) end)::bigint as unauthorised,
            (case when x.probe
                then coalesce(hi.late_before_close, 0) - coalesce(lo.late_before_close, 0)
                else coalesce(m.late_before_close, 0) end)::bigint as late_before_close,
            (case when x.probe
                then coalesce(hi.late_after_close, 0) - coalesce(lo.late_after_close, 0)
                else coalesce(m.late_after_close, 0) end)::bigint as late_after_close
         from pupils p
         join year_groups y on y.school_id = p.school_id and y.id = p.year_group_id
         left join forms f on f.school_id = p.school_id and f.id = p.form_id
         -- The whole months of marks inside the period, and whether any month is cut by it.
         left join (
            select a.school_id, a.pupil_id,
                sum(a.present) filter (where a.first_date >= $2 and a.last_date <= $3)
                    as present,
                sum(a.aea) filter (where a.first_date >= $2 and a.last_date <= $3) as aea,
                sum(a.authorised) filter (where a.first_date >= $2 and a.last_date <= $3)
                    as authorised,
                sum(a.unauthorised) filter (where a.first_date >= $2 and a.last_date <= $3)
                    as unauthorised,
                sum(a.late_before_close) filter (where a.first_date >= $2 and a.last_date <= $3)
                    as late_before_close,
                sum(a.late_after_close) filter (where a.first_date >= $2 and a.last_date <= $3)
                    as late_after_close,
                bool_or(a.first_date < $2 or a.last_date > $3) as cut,
                min(a.first_date) filter (where a.first_date >= $2 and a.last_date <= $3)
                    as first_date,
                max(a.last_date) filter (where a.first_date >= $2 and a.last_date <= $3)
                    as last_date
            from attendance_months a
            where a.school_id = any($1) and a.month >= date_trunc('month', $2::date)::date
              and a.month <= $3 and a.last_date >= $2 and a.first_date <= $3
            group by a.school_id, a.pupil_id
         ) m on m.school_id = p.school_id and m.pupil_id = p.id
         -- The running totals are needed when a month is cut, by the period or by the pupil's
         -- admission or leaving.
         cross join lateral (
            select coalesce(m.cut or m.first_date < p.admitted_on or m.last_date > p.left_on,
                false) as probe
         ) x
         left join lateral (
            select * from attendance_totals t
            where x.probe and t.school_id = p.school_id and t.pupil_id = p.id
              and t.session_date <= least($3::date, p.left_on)
            order by t.session_date desc limit 1
         ) hi on true
         left join lateral (
            select * from attendance_totals t
            where x.probe and t.school_id = p.school_id and t.pupil_id = p.id
              and t.session_date < greatest($2::date, p.admitted_on)
            order by t.session_date desc limit 1
         ) lo on true
         where p.school_id = any($1) and p.admitted_on <= $3
           and (p.left_on is null or p.left_on >= $2)
         order by name",
    )
    .bind(school_ids)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| PupilFigures {
            school_id: row.school_id,
            pupil_id: row.pupil_id,
            upn: row.upn,
            name: row.name,
            form: row.form.unwrap_or_default(),
            year: row.year,
            nc_year: row.nc_year,
            sen_status: row.sen_status,
            free_school_meals: row.free_school_meals,
            eal: row.eal,
            sex: row.sex,
            sessions: Tally {
                present: row.present,
                aea: row.aea,
                authorised: row.authorised,
                unauthorised: row.unauthorised,
                late_before_close: row.late_before_close,
                late_after_close: row.late_after_close,
            },
        })
        .collect())
}

/// A pupil's attendance page: the marks of a period (by default this academic year to date),
/// the calendar they sit in, the figures and every amendment. `None` when the pupil is not at
/// this school.
pub async fn pupil_attendance(
    pool: &PgPool,
    school_id: Uuid,
    pupil_id: Uuid,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Option<super::PupilAttendanceRecord>, sqlx::Error> {
    use std::collections::{BTreeMap, HashMap, HashSet};

    use super::{CalendarDay, CalendarDayKind};
    use crate::{
        domain::codes::Session,
        registers::{SessionMark, queries::amendments},
        school::queries as school,
    };

    #[derive(sqlx::FromRow)]
    struct Pupil {
        name: String,
        upn: String,
        form: Option<String>,
        admitted_on: NaiveDate,
        left_on: Option<NaiveDate>,
        time_zone: String,
    }
    // The pupil and the school's time zone (for today) in one round trip.
    let Some(pupil) = sqlx::query_as::<_, Pupil>(
        "select coalesce(p.preferred_first_name, p.legal_first_name) || ' '
                || coalesce(p.preferred_last_name, p.legal_last_name) as name,
                p.upn, f.name as form, p.admitted_on, p.left_on, s.time_zone
         from pupils p
         join schools s on s.id = p.school_id
         left join forms f on f.school_id = p.school_id and f.id = p.form_id
         where p.school_id = $1 and p.id = $2",
    )
    .bind(school_id)
    .bind(pupil_id)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    // Today on the school's clocks, as `school::queries::today_at` has it.
    let to = to.unwrap_or_else(|| {
        let zone: chrono_tz::Tz = pupil.time_zone.parse().unwrap_or(chrono_tz::Europe::London);
        chrono::Utc::now().with_timezone(&zone).date_naive()
    });
    let from = match from {
        Some(from) => from,
        None => sqlx::query_scalar::<_, NaiveDate>(
            "select starts_on from academic_years
             where school_id = $1 and starts_on <= $2 order by starts_on desc limit 1",
        )
        .bind(school_id)
        .bind(to)
        .fetch_optional(pool)
        .await?
        .unwrap_or(to - chrono::Duration::days(365)),
    };

    #[derive(sqlx::FromRow)]
    struct Mark {
        id: i64,
        session_date: NaiveDate,
        session: String,
        code: String,
        minutes_late: Option<i32>,
        source: String,
        recorded_by: Option<String>,
        recorded_at: chrono::DateTime<chrono::Utc>,
        amended: bool,
    }
    // The rest does not depend on each other: asked side by side, on the pool's connections.
    let marks = sqlx::query_as::<_, Mark>(
        "select m.id, m.session_date, m.session, m.code, m.minutes_late, m.source,
                s.display_name as recorded_by, m.recorded_at, m.replaces_id is not null as amended
         from marks m left join staff s on s.id = m.recorded_by
         where m.school_id = $1 and m.pupil_id = $2 and m.is_current
           and m.session_date between $3 and $4
         order by m.session_date, m.session",
    )
    .bind(school_id)
    .bind(pupil_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool);
    let closures = sqlx::query_scalar::<_, NaiveDate>(
        "select closed_on from calendar_closures
         where school_id = $1 and closed_on between $2 and $3",
    )
    .bind(school_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool);
    let (marks, school_days, closures, amendments) = tokio::try_join!(
        marks,
        school::school_days(pool, school_id, from, to),
        closures,
        amendments(pool, school_id, pupil_id),
    )?;
    let school_days: HashSet<NaiveDate> = school_days.into_iter().collect();
    let closures: HashSet<NaiveDate> = closures.into_iter().collect();

    let on_roll = |date: NaiveDate| {
        date >= pupil.admitted_on && pupil.left_on.is_none_or(|left| date <= left)
    };
    let mut sessions = Tally::default();
    let mut by_code: BTreeMap<String, i64> = BTreeMap::new();
    let mut late_minutes_total = 0i64;
    let mut by_day: HashMap<NaiveDate, (Option<SessionMark>, Option<SessionMark>)> = HashMap::new();
    let mut daily: BTreeMap<NaiveDate, Tally> = BTreeMap::new();
    for mark in marks {
        if let Ok(code) = Code::parse(&mark.code)
            && on_roll(mark.session_date)
            && school_days.contains(&mark.session_date)
        {
            sessions += Tally::of(code);
            *daily.entry(mark.session_date).or_default() += Tally::of(code);
        }
        *by_code.entry(mark.code.clone()).or_default() += 1;
        late_minutes_total += i64::from(mark.minutes_late.unwrap_or(0));
        let entry = by_day.entry(mark.session_date).or_default();
        let session_mark = SessionMark {
            mark_id: mark.id,
            code: mark.code,
            minutes_late: mark.minutes_late,
            source: mark.source,
            recorded_by: mark.recorded_by,
            recorded_at: mark.recorded_at,
            amended: mark.amended,
        };
        match Session::parse(&mark.session) {
            Ok(Session::Pm) => entry.1 = Some(session_mark),
            _ => entry.0 = Some(session_mark),
        }
    }

    let mut days = Vec::new();
    let mut date = from;
    while date <= to {
        let (am, pm) = by_day.remove(&date).unwrap_or_default();
        let kind = if !on_roll(date) {
            CalendarDayKind::NotOnRoll
        } else if school_days.contains(&date) {
            CalendarDayKind::SchoolDay
        } else if closures.contains(&date) {
            CalendarDayKind::Closed
        } else {
            CalendarDayKind::NoSchool
        };
        days.push(CalendarDay { date, kind, am, pm });
        date = date.succ_opt().unwrap_or(date);
        if date == NaiveDate::MAX {
            break;
        }
    }

    // The attendance to date at the end of each week that had school days.
    let mut weekly = Vec::new();
    let mut running = Tally::default();
    let week_of = |date: NaiveDate| date.iso_week();
    let mut current_week = None;
    let mut last_day = None;
    for (date, tally) in &daily {
        if current_week.is_some_and(|week| week != week_of(*date))
            && let Some(last) = last_day
        {
            weekly.push((last, running.attendance_percent()));
        }
        running += *tally;
        current_week = Some(week_of(*date));
        last_day = Some(*date);
    }
    if let Some(last) = last_day {
        weekly.push((last, running.attendance_percent()));
    }

    let mut by_code: Vec<(String, i64)> = by_code.into_iter().collect();
    by_code.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(Some(super::PupilAttendanceRecord {
        pupil_id,
        name: pupil.name,
        upn: pupil.upn,
        form: pupil.form.unwrap_or_default(),
        admitted_on: pupil.admitted_on,
        left_on: pupil.left_on,
        from,
        to,
        days,
        sessions,
        by_code,
        weekly,
        late_minutes_total,
        amendments,
    }))
}
