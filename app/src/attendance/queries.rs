//! Every query of the statistics engine: keeping each pupil's running totals, monthly counts
//! and the school's daily counts correct when marks change, and reading the figures of any
//! period from them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, Months, NaiveDate};
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

/// A day's marks counted as the engine counts them, as the select list of a query on `marks`
/// whose parameters from `$first` are bound by [`bind_counted`].
fn counted(first: usize) -> String {
    let [present, aea, authorised, unauthorised, late, after_close] =
        std::array::from_fn(|i| first + i);
    format!(
        "count(*) filter (where code = any(${present})) as present,
         count(*) filter (where code = any(${aea})) as aea,
         count(*) filter (where code = any(${authorised})) as authorised,
         count(*) filter (where code = any(${unauthorised})) as unauthorised,
         count(*) filter (where code = ${late}) as late_before_close,
         count(*) filter (where code = ${after_close}) as late_after_close"
    )
}

/// Binds the codes of each count of [`counted`], in order.
fn bind_counted<'q, O>(
    query: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    query
        .bind(codes_in(Category::Present))
        .bind(codes_in(Category::ApprovedActivity))
        .bind(codes_in(Category::Authorised))
        .bind(codes_in(Category::Unauthorised))
        .bind(Code::Late.as_str())
        .bind(Code::LateAfterClose.as_str())
}

/// The days on which every session a pupil has a mark for was coded with one of `codes`, per
/// pupil (or for one pupil): runs of unexplained absence (N, O) for the ten-day notice, of
/// absence (G, N, O) for the 20-day deletion ground.
pub async fn days_coded_only<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Postgres>,
    school_id: Uuid,
    pupil_id: Option<Uuid>,
    codes: &[&str],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HashMap<Uuid, BTreeSet<NaiveDate>>, sqlx::Error> {
    let rows: Vec<(Uuid, NaiveDate)> = sqlx::query_as(
        "select pupil_id, session_date from marks
         where school_id = $1 and is_current and session_date between $2 and $3
           and ($4::uuid is null or pupil_id = $4)
         group by pupil_id, session_date
         having bool_and(code = any($5))",
    )
    .bind(school_id)
    .bind(from)
    .bind(to)
    .bind(pupil_id)
    .bind(codes)
    .fetch_all(executor)
    .await?;
    let mut days: HashMap<Uuid, BTreeSet<NaiveDate>> = HashMap::new();
    for (pupil, date) in rows {
        days.entry(pupil).or_default().insert(date);
    }
    Ok(days)
}

/// Rebuilds the running totals of these pupils from `from` onwards, after their marks changed,
/// and their monthly counts from the month `from` falls in, and adds the difference to the
/// school's daily counts. Run it in the transaction that changed the marks, so the figures are
/// never out of step.
///
/// Four statements, whatever the period: what the days from `from` counted is read, the old
/// totals and months from `from` are taken out (keeping what the month of `from` held before
/// it), the days since are counted from the marks, and the new totals, months and the school's
/// days' differences are written. The months are worked out here from the days rather than
/// re-read from the totals, so saving today's register touches only this month's rows. It also
/// tells the case engine the school's marks changed.
pub async fn refresh_totals(
    conn: &mut PgConnection,
    school_id: Uuid,
    pupil_ids: &[Uuid],
    from: NaiveDate,
) -> Result<(), sqlx::Error> {
    use std::collections::HashMap;

    if pupil_ids.is_empty() {
        return Ok(());
    }
    // Two transactions refreshing one pupil at once (two doors logging their morning and
    // afternoon) would each take out rows the other then writes again, and the second would
    // fail on a duplicate month or count without the first's marks. So one waits here for the
    // other to commit, then counts from the marks as they are. In one order, never deadlocking.
    sqlx::query(
        "select pg_advisory_xact_lock(hashtext('totals'), k)
         from (select distinct hashtext(id::text) as k from unnest($1::uuid[]) as p(id)
               order by k) as keys",
    )
    .bind(pupil_ids)
    .execute(&mut *conn)
    .await?;
    crate::cases::queries::marks_changed(school_id);
    let month = from.with_day(1).unwrap_or(from);
    let next_month = month
        .checked_add_months(Months::new(1))
        .unwrap_or(NaiveDate::MAX);
    // What the days from `from` counted before this write, so the school's days can be told
    // the difference (read before the old totals are taken out).
    let old_days: Vec<SchoolDayRow> = sqlx::query_as(
        "with base as (
            select p.id as pupil_id, b.*
            from unnest($2::uuid[]) as p(id)
            cross join lateral (
                select present, aea, authorised, unauthorised, late_before_close,
                    late_after_close
                from attendance_totals
                where school_id = $1 and pupil_id = p.id and session_date < $3
                order by session_date desc limit 1
            ) b
         )
         select session_date, sum(present)::bigint as present, sum(aea)::bigint as aea,
            sum(authorised)::bigint as authorised, sum(unauthorised)::bigint as unauthorised,
            sum(late_before_close)::bigint as late_before_close,
            sum(late_after_close)::bigint as late_after_close
         from (
            select t.session_date,
                t.present - coalesce(lag(t.present) over w, b.present, 0) as present,
                t.aea - coalesce(lag(t.aea) over w, b.aea, 0) as aea,
                t.authorised - coalesce(lag(t.authorised) over w, b.authorised, 0)
                    as authorised,
                t.unauthorised - coalesce(lag(t.unauthorised) over w, b.unauthorised, 0)
                    as unauthorised,
                t.late_before_close
                    - coalesce(lag(t.late_before_close) over w, b.late_before_close, 0)
                    as late_before_close,
                t.late_after_close
                    - coalesce(lag(t.late_after_close) over w, b.late_after_close, 0)
                    as late_after_close
            from attendance_totals t left join base b using (pupil_id)
            where t.school_id = $1 and t.pupil_id = any($2) and t.session_date >= $3
            window w as (partition by t.pupil_id order by t.session_date)
         ) days
         group by session_date",
    )
    .bind(school_id)
    .bind(pupil_ids)
    .bind(from)
    .fetch_all(&mut *conn)
    .await?;
    let before: Vec<BeforeRow> = sqlx::query_as(
        "with old_months as (
            delete from attendance_months
            where school_id = $1 and pupil_id = any($2) and month >= $4
            returning pupil_id, month, first_date, present, aea, authorised, unauthorised,
                late_before_close, late_after_close
         ), old_totals as (
            delete from attendance_totals
            where school_id = $1 and pupil_id = any($2) and session_date >= $3
            returning pupil_id, session_date, present, aea, authorised, unauthorised,
                late_before_close, late_after_close
         ), month_ends as (
            select distinct on (pupil_id) *
            from old_totals
            where session_date < $5
            order by pupil_id, session_date desc
         )
         select p.id as pupil_id,
            b.session_date as base_date, b.present as base_present, b.aea as base_aea,
            b.authorised as base_authorised, b.unauthorised as base_unauthorised,
            b.late_before_close as base_late_before_close,
            b.late_after_close as base_late_after_close,
            m.first_date as month_first_date, m.present as month_present, m.aea as month_aea,
            m.authorised as month_authorised, m.unauthorised as month_unauthorised,
            m.late_before_close as month_late_before_close,
            m.late_after_close as month_late_after_close,
            e.present as end_present, e.aea as end_aea, e.authorised as end_authorised,
            e.unauthorised as end_unauthorised, e.late_before_close as end_late_before_close,
            e.late_after_close as end_late_after_close
         from unnest($2::uuid[]) as p(id)
         left join lateral (
            select session_date, present, aea, authorised, unauthorised, late_before_close,
                late_after_close
            from attendance_totals
            where school_id = $1 and pupil_id = p.id and session_date < $3
            order by session_date desc limit 1
         ) b on true
         left join old_months m on m.pupil_id = p.id and m.month = $4
         left join month_ends e on e.pupil_id = p.id",
    )
    .bind(school_id)
    .bind(pupil_ids)
    .bind(from)
    .bind(month)
    .bind(next_month)
    .fetch_all(&mut *conn)
    .await?;

    let sql = format!(
        "select pupil_id, session_date, {}
         from marks
         where school_id = $1 and pupil_id = any($2) and session_date >= $3 and is_current
         group by pupil_id, session_date
         order by pupil_id, session_date",
        counted(4)
    );
    let days: Vec<DayRow> = bind_counted(
        sqlx::query_as(&sql)
            .bind(school_id)
            .bind(pupil_ids)
            .bind(from),
    )
    .fetch_all(&mut *conn)
    .await?;

    // The school's days change by the new counts less the old.
    let mut school_days: BTreeMap<NaiveDate, Tally> = BTreeMap::new();
    for day in &days {
        *school_days.entry(day.session_date).or_default() += day.counts.tally();
    }
    for old in old_days {
        let day = school_days.entry(old.session_date).or_default();
        *day = day.since(&old.counts.tally());
    }
    let mut changed_days = Rows::default();
    for (date, change) in school_days {
        if change != Tally::default() {
            // The school's rows have no pupil: only the dates and counts are written.
            changed_days.push(Uuid::nil(), date, date, date, change);
        }
    }

    let mut days_of: HashMap<Uuid, Vec<(NaiveDate, Tally)>> = HashMap::new();
    for day in days {
        days_of
            .entry(day.pupil_id)
            .or_default()
            .push((day.session_date, day.counts.tally()));
    }
    let mut totals = Rows::default();
    let mut months = Rows::default();
    for pupil in before {
        let earlier = pupil.earlier(month);
        let days = days_of.remove(&pupil.pupil_id).unwrap_or_default();
        let rebuilt = rebuild(earlier, &days);
        for (date, total) in rebuilt.totals {
            totals.push(pupil.pupil_id, date, date, date, total);
        }
        for kept in rebuilt.months {
            months.push(
                pupil.pupil_id,
                kept.month,
                kept.first_date,
                kept.last_date,
                kept.counts,
            );
        }
    }
    sqlx::query(
        "with totals as (
            insert into attendance_totals (school_id, pupil_id, session_date, present, aea,
                authorised, unauthorised, late_before_close, late_after_close)
            select $1, pupil_id, day, present, aea, authorised, unauthorised, late_before_close,
                late_after_close
            from unnest($2::uuid[], $3::date[], $4::int[], $5::int[], $6::int[], $7::int[],
                $8::int[], $9::int[])
                as t(pupil_id, day, present, aea, authorised, unauthorised, late_before_close,
                    late_after_close)
         ), school_days as (
            insert into attendance_school_days (school_id, session_date, present, aea,
                authorised, unauthorised, late_before_close, late_after_close)
            select $1, day, present, aea, authorised, unauthorised, late_before_close,
                late_after_close
            from unnest($20::date[], $21::int[], $22::int[], $23::int[], $24::int[],
                $25::int[], $26::int[])
                as d(day, present, aea, authorised, unauthorised, late_before_close,
                    late_after_close)
         )
         insert into attendance_months (school_id, month, pupil_id, first_date, last_date,
             present, aea, authorised, unauthorised, late_before_close, late_after_close)
         select $1, month, pupil_id, first_date, last_date, present, aea, authorised,
             unauthorised, late_before_close, late_after_close
         from unnest($10::uuid[], $11::date[], $12::date[], $13::date[], $14::int[], $15::int[],
             $16::int[], $17::int[], $18::int[], $19::int[])
             as m(pupil_id, month, first_date, last_date, present, aea, authorised,
                 unauthorised, late_before_close, late_after_close)",
    )
    .bind(school_id)
    .bind(&totals.pupil_ids)
    .bind(&totals.dates)
    .bind(&totals.present)
    .bind(&totals.aea)
    .bind(&totals.authorised)
    .bind(&totals.unauthorised)
    .bind(&totals.late_before_close)
    .bind(&totals.late_after_close)
    .bind(&months.pupil_ids)
    .bind(&months.dates)
    .bind(&months.first_dates)
    .bind(&months.last_dates)
    .bind(&months.present)
    .bind(&months.aea)
    .bind(&months.authorised)
    .bind(&months.unauthorised)
    .bind(&months.late_before_close)
    .bind(&months.late_after_close)
    .bind(&changed_days.dates)
    .bind(&changed_days.present)
    .bind(&changed_days.aea)
    .bind(&changed_days.authorised)
    .bind(&changed_days.unauthorised)
    .bind(&changed_days.late_before_close)
    .bind(&changed_days.late_after_close)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What a pupil's figures held before `from`, as far as rebuilding from `from` needs: the last
/// running total before it, and the part of the month of `from` that came before it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Earlier {
    total: Tally,
    /// The days of the month of `from` before `from`: their counts and first and last day.
    month_start: Option<(NaiveDate, NaiveDate, Tally)>,
    month: NaiveDate,
}

/// One calendar month of a pupil's counts, as `attendance_months` keeps it.
#[derive(Clone, Copy, Debug, PartialEq)]
struct MonthCounts {
    month: NaiveDate,
    first_date: NaiveDate,
    last_date: NaiveDate,
    counts: Tally,
}

#[derive(Debug, Default, PartialEq)]
struct Rebuilt {
    totals: Vec<(NaiveDate, Tally)>,
    months: Vec<MonthCounts>,
}

/// The running totals and monthly counts from `from` onwards, from what came before and the
/// counts of each day since (in date order).
fn rebuild(earlier: Earlier, days: &[(NaiveDate, Tally)]) -> Rebuilt {
    let mut rebuilt = Rebuilt::default();
    let mut running = earlier.total;
    if let Some((first_date, last_date, counts)) = earlier.month_start {
        rebuilt.months.push(MonthCounts {
            month: earlier.month,
            first_date,
            last_date,
            counts,
        });
    }
    for &(date, counts) in days {
        running += counts;
        rebuilt.totals.push((date, running));
        let month = date.with_day(1).unwrap_or(date);
        match rebuilt.months.last_mut() {
            Some(kept) if kept.month == month => {
                kept.last_date = date;
                kept.counts += counts;
            }
            _ => rebuilt.months.push(MonthCounts {
                month,
                first_date: date,
                last_date: date,
                counts,
            }),
        }
    }
    rebuilt
}

#[derive(sqlx::FromRow)]
struct BeforeRow {
    pupil_id: Uuid,
    base_date: Option<NaiveDate>,
    base_present: Option<i32>,
    base_aea: Option<i32>,
    base_authorised: Option<i32>,
    base_unauthorised: Option<i32>,
    base_late_before_close: Option<i32>,
    base_late_after_close: Option<i32>,
    month_first_date: Option<NaiveDate>,
    month_present: Option<i32>,
    month_aea: Option<i32>,
    month_authorised: Option<i32>,
    month_unauthorised: Option<i32>,
    month_late_before_close: Option<i32>,
    month_late_after_close: Option<i32>,
    end_present: Option<i32>,
    end_aea: Option<i32>,
    end_authorised: Option<i32>,
    end_unauthorised: Option<i32>,
    end_late_before_close: Option<i32>,
    end_late_after_close: Option<i32>,
}

fn tally_of(counts: [Option<i32>; 6]) -> Option<Tally> {
    let [
        present,
        aea,
        authorised,
        unauthorised,
        late_before_close,
        late_after_close,
    ] = counts;
    Some(Tally {
        present: present?.into(),
        aea: aea?.into(),
        authorised: authorised?.into(),
        unauthorised: unauthorised?.into(),
        late_before_close: late_before_close?.into(),
        late_after_close: late_after_close?.into(),
    })
}

impl BeforeRow {
    /// The month's days before `from` are its old counts less those of its days from `from`
    /// on, which are the last old running total in the month less the one before `from`.
    fn earlier(&self, month: NaiveDate) -> Earlier {
        let total = tally_of([
            self.base_present,
            self.base_aea,
            self.base_authorised,
            self.base_unauthorised,
            self.base_late_before_close,
            self.base_late_after_close,
        ])
        .unwrap_or_default();
        let old_month = tally_of([
            self.month_present,
            self.month_aea,
            self.month_authorised,
            self.month_unauthorised,
            self.month_late_before_close,
            self.month_late_after_close,
        ]);
        let old_end = tally_of([
            self.end_present,
            self.end_aea,
            self.end_authorised,
            self.end_unauthorised,
            self.end_late_before_close,
            self.end_late_after_close,
        ])
        .unwrap_or(total);
        let month_start = match (old_month, self.month_first_date, self.base_date) {
            (Some(old_month), Some(first_date), Some(last_date)) if last_date >= month => Some((
                first_date,
                last_date,
                old_month.since(&old_end.since(&total)),
            )),
            _ => None,
        };
        Earlier {
            total,
            month_start,
            month,
        }
    }
}

/// A day's counts as SQL sums them.
#[derive(sqlx::FromRow)]
struct DayCounts {
    present: i64,
    aea: i64,
    authorised: i64,
    unauthorised: i64,
    late_before_close: i64,
    late_after_close: i64,
}

impl DayCounts {
    fn tally(&self) -> Tally {
        Tally {
            present: self.present,
            aea: self.aea,
            authorised: self.authorised,
            unauthorised: self.unauthorised,
            late_before_close: self.late_before_close,
            late_after_close: self.late_after_close,
        }
    }
}

/// One pupil's day.
#[derive(sqlx::FromRow)]
struct DayRow {
    pupil_id: Uuid,
    session_date: NaiveDate,
    #[sqlx(flatten)]
    counts: DayCounts,
}

/// One day of a whole school, or of some of its pupils.
#[derive(sqlx::FromRow)]
struct SchoolDayRow {
    session_date: NaiveDate,
    #[sqlx(flatten)]
    counts: DayCounts,
}

/// Rows of counts to write in one statement, a column each, for `unnest`.
#[derive(Default)]
struct Rows {
    pupil_ids: Vec<Uuid>,
    dates: Vec<NaiveDate>,
    first_dates: Vec<NaiveDate>,
    last_dates: Vec<NaiveDate>,
    present: Vec<i32>,
    aea: Vec<i32>,
    authorised: Vec<i32>,
    unauthorised: Vec<i32>,
    late_before_close: Vec<i32>,
    late_after_close: Vec<i32>,
}

impl Rows {
    fn push(
        &mut self,
        pupil_id: Uuid,
        date: NaiveDate,
        first_date: NaiveDate,
        last_date: NaiveDate,
        counts: Tally,
    ) {
        // A pupil has two sessions a school day: a year of them fits an `int` many times over.
        let count = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
        self.pupil_ids.push(pupil_id);
        self.dates.push(date);
        self.first_dates.push(first_date);
        self.last_dates.push(last_date);
        self.present.push(count(counts.present));
        self.aea.push(count(counts.aea));
        self.authorised.push(count(counts.authorised));
        self.unauthorised.push(count(counts.unauthorised));
        self.late_before_close.push(count(counts.late_before_close));
        self.late_after_close.push(count(counts.late_after_close));
    }
}

/// The whole school's counts of each day from `from` to `to` with a mark, of the pupils on
/// roll that day, as every other figure counts them. Read from the school's days, less the
/// marks of pupils not on roll that day: those admitted after `from` or leaving before `to`
/// are few, and the marks before their admission or after their leaving fewer still.
pub async fn school_days(
    pool: &PgPool,
    school_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(NaiveDate, Tally)>, sqlx::Error> {
    let mut days: BTreeMap<NaiveDate, Tally> = BTreeMap::new();
    let kept: Vec<SchoolDayRow> = sqlx::query_as(
        "select session_date, sum(present)::bigint as present, sum(aea)::bigint as aea,
            sum(authorised)::bigint as authorised, sum(unauthorised)::bigint as unauthorised,
            sum(late_before_close)::bigint as late_before_close,
            sum(late_after_close)::bigint as late_after_close
         from attendance_school_days
         where school_id = $1 and session_date between $2 and $3
         group by session_date",
    )
    .bind(school_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    for day in kept {
        days.insert(day.session_date, day.counts.tally());
    }
    let sql = format!(
        "select m.session_date, {}
         from pupils p
         cross join lateral (
            select session_date, code from marks
            where school_id = p.school_id and pupil_id = p.id and is_current
              and session_date >= $2 and session_date < p.admitted_on
            union all
            select session_date, code from marks
            where school_id = p.school_id and pupil_id = p.id and is_current
              and session_date > p.left_on and session_date <= $3
         ) m
         where p.school_id = $1 and (p.admitted_on > $2 or p.left_on < $3)
         group by m.session_date",
        counted(4)
    );
    let off_roll: Vec<SchoolDayRow> =
        bind_counted(sqlx::query_as(&sql).bind(school_id).bind(from).bind(to))
            .fetch_all(pool)
            .await?;
    for day in off_roll {
        let counts = days.entry(day.session_date).or_default();
        *counts = counts.since(&day.counts.tally());
    }
    Ok(days.into_iter().collect())
}

/// Folds each day's rows of the school's days into one, so a year is read in about 190 rows
/// however many registers were saved. Rows written while it runs are left for the next fold:
/// it takes out only the rows it sees and writes back their sum, so no count is lost or
/// counted twice. Returns how many rows went.
pub async fn fold_school_days(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let (removed,): (i64,) = sqlx::query_as(
        "with folded as (
            delete from attendance_school_days
            where (school_id, session_date) in (
                select school_id, session_date from attendance_school_days
                group by school_id, session_date having count(*) > 1)
            returning *
         ), written as (
            insert into attendance_school_days (school_id, session_date, present, aea,
                authorised, unauthorised, late_before_close, late_after_close)
            select school_id, session_date, sum(present), sum(aea), sum(authorised),
                sum(unauthorised), sum(late_before_close), sum(late_after_close)
            from folded
            group by school_id, session_date
            returning 1
         )
         select (select count(*) from folded) - (select count(*) from written)",
    )
    .fetch_one(pool)
    .await?;
    Ok(u64::try_from(removed).unwrap_or(0))
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
         -- The months of marks in the period, and whether any is cut by it: when one is, the
         -- running totals answer instead, so the sums need no filter of their own.
         left join (
            select a.school_id, a.pupil_id,
                sum(a.present) as present,
                sum(a.aea) as aea,
                sum(a.authorised) as authorised,
                sum(a.unauthorised) as unauthorised,
                sum(a.late_before_close) as late_before_close,
                sum(a.late_after_close) as late_after_close,
                bool_or(a.first_date < $2 or a.last_date > $3) as cut,
                min(a.first_date) as first_date,
                max(a.last_date) as last_date
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

#[cfg(test)]
mod tests {
    use super::*;

    fn date(month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, month, day).unwrap()
    }

    fn present(n: i64) -> Tally {
        Tally {
            present: n,
            ..Tally::default()
        }
    }

    fn before(base: Option<(NaiveDate, i32)>, month: Option<(NaiveDate, i32)>) -> BeforeRow {
        BeforeRow {
            pupil_id: Uuid::nil(),
            base_date: base.map(|(date, _)| date),
            base_present: base.map(|(_, n)| n),
            base_aea: base.map(|_| 0),
            base_authorised: base.map(|_| 0),
            base_unauthorised: base.map(|_| 0),
            base_late_before_close: base.map(|_| 0),
            base_late_after_close: base.map(|_| 0),
            month_first_date: month.map(|(date, _)| date),
            month_present: month.map(|(_, n)| n),
            month_aea: month.map(|_| 0),
            month_authorised: month.map(|_| 0),
            month_unauthorised: month.map(|_| 0),
            month_late_before_close: month.map(|_| 0),
            month_late_after_close: month.map(|_| 0),
            end_present: None,
            end_aea: None,
            end_authorised: None,
            end_unauthorised: None,
            end_late_before_close: None,
            end_late_after_close: None,
        }
    }

    #[test]
    fn the_days_since_run_on_from_the_total_before_and_fill_their_months() {
        let earlier = before(Some((date(9, 30), 40)), None).earlier(date(10, 1));
        let rebuilt = rebuild(
            earlier,
            &[
                (date(10, 1), present(2)),
                (date(10, 30), present(1)),
                (date(11, 2), present(2)),
            ],
        );
        assert_eq!(
            rebuilt.totals,
            vec![
                (date(10, 1), present(42)),
                (date(10, 30), present(43)),
                (date(11, 2), present(45)),
            ]
        );
        assert_eq!(
            rebuilt.months,
            vec![
                MonthCounts {
                    month: date(10, 1),
                    first_date: date(10, 1),
                    last_date: date(10, 30),
                    counts: present(3),
                },
                MonthCounts {
                    month: date(11, 1),
                    first_date: date(11, 2),
                    last_date: date(11, 2),
                    counts: present(2),
                },
            ]
        );
    }

    #[test]
    fn a_month_keeps_its_days_before_the_change_and_loses_its_old_days_after() {
        // Days 1 to 5 of October had 2 present each (10 in the month, 50 by the 5th); the 4th
        // and 5th are being rewritten with 1 each.
        let mut row = before(Some((date(10, 3), 46)), Some((date(10, 1), 10)));
        row.end_present = Some(50);
        row.end_aea = Some(0);
        row.end_authorised = Some(0);
        row.end_unauthorised = Some(0);
        row.end_late_before_close = Some(0);
        row.end_late_after_close = Some(0);
        let earlier = row.earlier(date(10, 1));
        assert_eq!(
            earlier.month_start,
            Some((date(10, 1), date(10, 3), present(6)))
        );
        let rebuilt = rebuild(
            earlier,
            &[(date(10, 4), present(1)), (date(10, 5), present(1))],
        );
        assert_eq!(
            rebuilt.months,
            vec![MonthCounts {
                month: date(10, 1),
                first_date: date(10, 1),
                last_date: date(10, 5),
                counts: present(8),
            }]
        );
        assert_eq!(rebuilt.totals.last(), Some(&(date(10, 5), present(48))));
    }

    #[test]
    fn a_month_whose_marks_all_went_has_no_row() {
        // October had only its 20th marked; the change removes that mark.
        let mut row = before(Some((date(9, 30), 40)), Some((date(10, 20), 2)));
        row.end_present = Some(42);
        row.end_aea = Some(0);
        row.end_authorised = Some(0);
        row.end_unauthorised = Some(0);
        row.end_late_before_close = Some(0);
        row.end_late_after_close = Some(0);
        let rebuilt = rebuild(row.earlier(date(10, 1)), &[]);
        assert_eq!(rebuilt, Rebuilt::default());
    }
}
