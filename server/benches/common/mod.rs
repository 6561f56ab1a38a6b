//! What the benchmarks share: the harness (warm-up runs, then median, 95th percentile and
//! fastest of the measured runs), the benchmark trust, and undoing everything a bench wrote.
//!
//! Each bench binary uses part of it.
#![allow(dead_code)]

use std::{
    collections::{BTreeMap, HashSet},
    time::Duration,
};

use anyhow::{Context, bail};
use app::attendance::queries::{fold_school_days, refresh_totals};
use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Runs before the measured ones, to fill caches and connections.
pub const WARM_UP: usize = 3;

/// The case names asked for on the command line (`cargo bench` passes `--bench`, which is not
/// one); none means every case.
pub struct Filter(Vec<String>);

impl Filter {
    pub fn from_args() -> Filter {
        Filter(
            std::env::args()
                .skip(1)
                .filter(|arg| !arg.starts_with('-'))
                .collect(),
        )
    }

    pub fn wants(&self, name: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|f| name.contains(f))
    }
}

/// Connects to the bench database in `DATABASE_URL`, migrated to this build's schema.
pub async fn connect() -> anyhow::Result<PgPool> {
    let url = std::env::var("DATABASE_URL")
        .context("DATABASE_URL is not set: run the benchmarks with `make bench`")?;
    let pool = server::db::connect(&url).await?;
    server::db::migrate(&pool).await?;
    Ok(pool)
}

pub struct Stats {
    pub name: &'static str,
    pub runs: usize,
    pub median: Duration,
    pub p95: Duration,
    pub min: Duration,
}

/// Runs a case `WARM_UP` times unmeasured, then `runs` times. Each run returns how long the
/// part worth measuring took.
pub async fn measure(
    name: &'static str,
    runs: usize,
    mut run: impl AsyncFnMut(usize) -> anyhow::Result<Duration>,
) -> anyhow::Result<Stats> {
    eprint!("{name}: ");
    for i in 0..WARM_UP {
        run(i).await.with_context(|| format!("warming up {name}"))?;
    }
    let mut times = Vec::with_capacity(runs);
    for i in 0..runs {
        times.push(
            run(WARM_UP + i)
                .await
                .with_context(|| format!("running {name}"))?,
        );
    }
    times.sort();
    let median = if runs % 2 == 1 {
        times[runs / 2]
    } else {
        (times[runs / 2 - 1] + times[runs / 2]) / 2
    };
    // Nearest rank.
    let p95 = times[(runs * 95).div_ceil(100) - 1];
    let stats = Stats {
        name,
        runs,
        median,
        p95,
        min: times[0],
    };
    eprintln!(
        "median {:.2} ms, p95 {:.2} ms, min {:.2} ms over {runs} runs",
        millis(stats.median),
        millis(stats.p95),
        millis(stats.min)
    );
    Ok(stats)
}

pub fn print_results(results: &[Stats]) {
    println!();
    println!(
        "{:<56} {:>10} {:>10} {:>10} {:>6}",
        "case", "median ms", "p95 ms", "min ms", "runs"
    );
    for result in results {
        println!(
            "{:<56} {:>10.2} {:>10.2} {:>10.2} {:>6}",
            result.name,
            millis(result.median),
            millis(result.p95),
            millis(result.min),
            result.runs
        );
    }
}

pub fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

pub fn check(ok: bool, what: &str) -> anyhow::Result<()> {
    if ok {
        Ok(())
    } else {
        bail!("the result did not have {what}: is the bench database the benchmark trust?")
    }
}

/// The benchmark trust: its schools, the period its marks cover, someone to save as.
pub struct Trust {
    /// Secondaries first, by name, so the first is the same secondary every run.
    pub schools: Vec<Uuid>,
    /// The first day of the academic year and the last day with marks.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub staff_id: Uuid,
}

impl Trust {
    pub async fn load(pool: &PgPool) -> anyhow::Result<Trust> {
        // The bench deletes every mark the seed did not write: never let it near real data.
        let (database, trusts): (String, Vec<String>) = sqlx::query_as(
            "select current_database(), array(select name from trusts order by name)",
        )
        .fetch_one(pool)
        .await?;
        if !database.contains("bench") || trusts != ["Riverside Learning Trust"] {
            bail!(
                "{database} is not a bench database with only the demo trust in it (it has \
                 {trusts:?}); the bench undoes every write it finds, so it runs only on a \
                 database whose name has \"bench\" in it, seeded by `make bench`"
            );
        }
        let schools: Vec<Uuid> =
            sqlx::query_scalar("select id from schools order by phase = 'secondary' desc, name")
                .fetch_all(pool)
                .await?;
        let Some(&first) = schools.first() else {
            bail!("the bench database has no schools: seed it with `make bench`");
        };
        let to: NaiveDate = sqlx::query_scalar(
            "select max(session_date) from marks where school_id = $1 and is_current",
        )
        .bind(first)
        .fetch_one(pool)
        .await
        .context("the bench database has no marks: seed it with `make bench`")?;
        let from: NaiveDate = sqlx::query_scalar(
            "select starts_on from academic_years
             where school_id = $1 and starts_on <= $2 order by starts_on desc limit 1",
        )
        .bind(first)
        .bind(to)
        .fetch_one(pool)
        .await?;
        let staff_id: Uuid = sqlx::query_scalar("select id from staff order by email limit 1")
            .fetch_one(pool)
            .await?;
        Ok(Trust {
            schools,
            from,
            to,
            staff_id,
        })
    }

    /// What the figures are measured on.
    pub async fn describe(&self, pool: &PgPool) -> anyhow::Result<()> {
        let (version, pupils, marks, totals, months): (String, i64, i64, i64, i64) =
            sqlx::query_as(
                "select current_setting('server_version'), (select count(*) from pupils),
                    (select count(*) from marks), (select count(*) from attendance_totals),
                    (select count(*) from attendance_months)",
            )
            .fetch_one(pool)
            .await?;
        println!(
            "PostgreSQL {version}; {} schools, {pupils} pupils, {marks} marks, {totals} \
             attendance_totals rows, {months} attendance_months rows; marks from {} to {}",
            self.schools.len(),
            self.from,
            self.to
        );
        Ok(())
    }
}

/// The highest mark id: every mark above it was written by the bench.
pub async fn watermark(pool: &PgPool) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("select coalesce(max(id), 0) from marks")
        .fetch_one(pool)
        .await?)
}

/// Puts back anything a bench left, run before measuring and after: the seed writes only
/// current `demo` marks, and no registers taken, imports, devices, synced events or late
/// arrivals.
pub async fn undo_everything(pool: &PgPool) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    skip_foreign_keys(&mut tx).await?;
    for table in [
        "late_arrivals",
        "sync_events",
        "sync_rejections",
        "devices",
        "registers_taken",
        "imports",
    ] {
        sqlx::query(&format!("delete from {table}"))
            .execute(&mut *tx)
            .await?;
    }
    let mut touched: Vec<(Uuid, Uuid, NaiveDate)> = sqlx::query_as(
        "delete from marks where source <> 'demo' returning school_id, pupil_id, session_date",
    )
    .fetch_all(&mut *tx)
    .await?;
    touched.extend(
        sqlx::query_as::<_, (Uuid, Uuid, NaiveDate)>(
            "update marks set is_current = true where not is_current
             returning school_id, pupil_id, session_date",
        )
        .fetch_all(&mut *tx)
        .await?,
    );
    let mut by_school: BTreeMap<Uuid, (NaiveDate, HashSet<Uuid>)> = BTreeMap::new();
    for (school_id, pupil_id, date) in touched {
        let entry = by_school
            .entry(school_id)
            .or_insert_with(|| (date, HashSet::new()));
        entry.0 = entry.0.min(date);
        entry.1.insert(pupil_id);
    }
    for (school_id, (from, pupils)) in by_school {
        let pupils: Vec<Uuid> = pupils.into_iter().collect();
        refresh_totals(&mut tx, school_id, &pupils, from).await?;
    }
    tx.commit().await?;
    // The undone saves' rows of the schools' days, folded as the engine's hourly fold would.
    fold_school_days(pool).await?;
    Ok(())
}

/// Undoing the iterations left dead rows; vacuum makes their space reusable, so the bench
/// database stays the same size however often this runs (and the figures' indexes answer from
/// the index alone, as autovacuum would leave them).
pub async fn vacuum(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::raw_sql(
        "vacuum analyze marks, attendance_totals, attendance_months, attendance_school_days,
             registers_taken, late_arrivals, sync_events, devices",
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Deleting a mark makes PostgreSQL check that no mark (or late arrival) refers to it, so the
/// bench skips those checks for the rest of its undoing transaction: what it deletes is
/// referred to only by what it deletes with it (the database's owner, which the private
/// cluster's `rollcall` is, may do so).
pub async fn skip_foreign_keys(conn: &mut PgConnection) -> anyhow::Result<()> {
    sqlx::query("set local session_replication_role = replica")
        .execute(conn)
        .await
        .context("the bench needs to be a superuser of the bench database to undo its writes")?;
    Ok(())
}

/// The school days of a school between two dates.
pub async fn school_days(
    pool: &PgPool,
    school_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<Vec<NaiveDate>> {
    let days = app::school::queries::school_days(pool, school_id, from, to).await?;
    if days.is_empty() {
        bail!("the bench school has no school days from {from} to {to}");
    }
    Ok(days)
}
