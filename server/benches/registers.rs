//! `make bench`: how long the registers and figures take on the server, against the benchmark
//! trust (10 schools × 1,200 pupils with a whole academic year of marks) that `scripts/bench.sh`
//! seeds once into its own database and passes in `DATABASE_URL`.
//!
//! A small harness of its own: each case runs a few times to warm up, then many times, and the
//! median, 95th percentile and fastest run are reported. Only the call being measured is timed;
//! setting up an iteration and undoing its writes are not.
//!
//! Writes leave the database as they found it, so the bench database does not grow run after
//! run. `save_register` commits its own transaction (as it does for a person), so the writes
//! cannot simply be rolled back; instead every iteration is undone after it is timed: the marks
//! it added are deleted (they are the only marks with an id above the watermark taken at the
//! start), the seeded marks it replaced or hid are made current again, the running totals are
//! rebuilt and the `registers_taken` row goes. The seed writes only `demo` marks and no
//! `registers_taken` or `imports` rows, so anything else found at the start was left by a bench
//! that was stopped half-way, and is undone the same way before measuring.
//!
//! `cargo bench -p server --bench registers -- save` runs only the cases whose names contain
//! "save".

use std::{
    collections::{BTreeMap, HashSet},
    hint::black_box,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use app::{
    attendance::{self, Grouping, queries::refresh_totals},
    domain::codes::Session,
    registers::{RegisterEntry, Saved, queries::save_register},
};
use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The pupils on a register the bench saves: a whole form of this size.
const REGISTER_SIZE: usize = 30;

/// Runs before the measured ones, to fill caches and connections.
const WARM_UP: usize = 3;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; any other argument picks cases by name.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f));

    let url = std::env::var("DATABASE_URL")
        .context("DATABASE_URL is not set: run the benchmarks with `make bench`")?;
    let pool = server::db::connect(&url).await?;
    server::db::migrate(&pool).await?;
    let trust = Trust::load(&pool).await?;
    undo_everything(&pool).await?;
    let watermark: i64 = sqlx::query_scalar("select coalesce(max(id), 0) from marks")
        .fetch_one(&pool)
        .await?;
    trust.describe(&pool).await?;

    let mut results = Vec::new();

    if wanted("school summary") {
        let school = trust.schools[0];
        results.push(
            measure(
                "school summary (pupil_figures + by year)",
                100,
                async |_| {
                    let started = Instant::now();
                    let pupils =
                        attendance::queries::pupil_figures(&pool, &[school], trust.from, trust.to)
                            .await?;
                    let figures =
                        attendance::breakdown(&pupils, Grouping::Year, trust.from, trust.to);
                    let took = started.elapsed();
                    check(pupils.len() >= 1000, "a school of 1,200 pupils")?;
                    black_box(figures);
                    Ok(took)
                },
            )
            .await?,
        );
    }

    if wanted("trust summary") {
        results.push(
            measure(
                "trust summary (schools_pupil_figures, 10 schools + by school)",
                30,
                async |_| {
                    let started = Instant::now();
                    let pupils = attendance::queries::schools_pupil_figures(
                        &pool,
                        &trust.schools,
                        trust.from,
                        trust.to,
                    )
                    .await?;
                    let figures =
                        attendance::breakdown(&pupils, Grouping::School, trust.from, trust.to);
                    let took = started.elapsed();
                    check(figures.groups.len() == trust.schools.len(), "every school")?;
                    black_box(figures);
                    Ok(took)
                },
            )
            .await?,
        );
    }

    if wanted("pupil page") {
        // A different pupil each time, from every school.
        let pupils: Vec<(Uuid, Uuid)> = sqlx::query_as(
            "select school_id, id from pupils where admitted_on <= $1 order by id limit 200",
        )
        .bind(trust.from)
        .fetch_all(&pool)
        .await?;
        results.push(
            measure("pupil page (pupil_attendance, year)", 200, async |i| {
                let (school, pupil) = pupils[i % pupils.len()];
                let started = Instant::now();
                let record = attendance::queries::pupil_attendance(
                    &pool,
                    school,
                    pupil,
                    Some(trust.from),
                    Some(trust.to),
                )
                .await?;
                let took = started.elapsed();
                check(
                    record.as_ref().is_some_and(|r| r.days.len() > 300),
                    "the pupil's year",
                )?;
                black_box(record);
                Ok(took)
            })
            .await?,
        );
    }

    // The registers saved: every form of 30 or more on roll on the last day of marks, a
    // different one each time, morning and afternoon in turn.
    let today = trust.to;
    let forms = Form::all(&pool, today).await?;
    if forms.is_empty() {
        bail!("no form has {REGISTER_SIZE} pupils on roll on {today}");
    }
    let session_of = |i: usize| {
        if i.is_multiple_of(2) {
            Session::Am
        } else {
            Session::Pm
        }
    };

    if wanted("save register (first save") {
        // Taking a register: the session's seeded marks are set aside (not current) before the
        // save, which then creates 30 marks with the same codes, as a tutor would enter them.
        results.push(
            measure("save register (first save, 30 new marks)", 100, async |i| {
                let form = &forms[i % forms.len()];
                let session = session_of(i);
                let mut conn = pool.acquire().await?;
                let current = form.current(&mut conn, today, session).await?;
                let hidden: Vec<i64> = current.iter().map(|mark| mark.id).collect();
                sqlx::query(
                    "update marks set is_current = false where school_id = $1 and id = any($2)",
                )
                .bind(form.school_id)
                .bind(&hidden)
                .execute(&mut *conn)
                .await?;
                drop(conn);
                let entries: Vec<RegisterEntry> = current
                    .iter()
                    .map(|mark| RegisterEntry {
                        pupil_id: mark.pupil_id,
                        code: mark.code.clone(),
                        minutes_late: mark.minutes_late,
                        seen_mark_id: None,
                    })
                    .collect();

                let started = Instant::now();
                let saved = save_register(
                    &pool,
                    trust.staff_id,
                    form.school_id,
                    form.form_id,
                    today,
                    session,
                    &entries,
                    None,
                )
                .await?;
                let took = started.elapsed();

                expect(saved, |s| s.created == entries.len() as i64, "30 created")?;
                form.undo(&pool, watermark, &hidden, today, session).await?;
                Ok(took)
            })
            .await?,
        );
    }

    if wanted("save register (repeat") {
        // Saving the register again as it stands: every mark unchanged, so only the
        // registers_taken row is written.
        results.push(
            measure("save register (repeat, nothing changes)", 100, async |i| {
                let form = &forms[i % forms.len()];
                let session = session_of(i);
                let mut conn = pool.acquire().await?;
                let current = form.current(&mut conn, today, session).await?;
                drop(conn);
                let entries: Vec<RegisterEntry> = current
                    .iter()
                    .map(|mark| RegisterEntry {
                        pupil_id: mark.pupil_id,
                        code: mark.code.clone(),
                        minutes_late: mark.minutes_late,
                        seen_mark_id: Some(mark.id),
                    })
                    .collect();

                let started = Instant::now();
                let saved = save_register(
                    &pool,
                    trust.staff_id,
                    form.school_id,
                    form.form_id,
                    today,
                    session,
                    &entries,
                    None,
                )
                .await?;
                let took = started.elapsed();

                expect(
                    saved,
                    |s| s.unchanged == entries.len() as i64,
                    "30 unchanged",
                )?;
                form.undo(&pool, watermark, &[], today, session).await?;
                Ok(took)
            })
            .await?,
        );
    }

    if wanted("save register (amend") {
        // Changing every mark of a register half-way through the year, with a reason: the
        // running totals of its 30 pupils are rebuilt from that day to the end of the year.
        let days = school_days(&pool, forms[0].school_id, trust.from, trust.to).await?;
        let mid_year = days[days.len() / 2];
        let forms = Form::all(&pool, mid_year).await?;
        results.push(
            measure("save register (amend all 30, mid-year)", 50, async |i| {
                let form = &forms[i % forms.len()];
                let session = session_of(i);
                let mut conn = pool.acquire().await?;
                let current = form.current(&mut conn, mid_year, session).await?;
                drop(conn);
                let replaced: Vec<i64> = current.iter().map(|mark| mark.id).collect();
                let entries: Vec<RegisterEntry> = current
                    .iter()
                    .map(|mark| RegisterEntry {
                        pupil_id: mark.pupil_id,
                        code: if mark.code == "I" { "M" } else { "I" }.to_string(),
                        minutes_late: None,
                        seen_mark_id: Some(mark.id),
                    })
                    .collect();

                let started = Instant::now();
                let saved = save_register(
                    &pool,
                    trust.staff_id,
                    form.school_id,
                    form.form_id,
                    mid_year,
                    session,
                    &entries,
                    Some("Benchmark: every mark changed"),
                )
                .await?;
                let took = started.elapsed();

                expect(saved, |s| s.amended == entries.len() as i64, "30 amended")?;
                form.undo(&pool, watermark, &replaced, mid_year, session)
                    .await?;
                Ok(took)
            })
            .await?,
        );
    }

    if wanted("import") {
        // Importing 100,000 marks of the first school's year: those seeded marks are set aside
        // (not current) first, so the import creates 100,000 marks as a first import from the
        // MIS would; everything is put back after each run.
        let school = trust.schools[0];
        results.push(
            measure("import 100,000 marks (CSV, one school)", 3, async |_| {
                let marks: Vec<(i64, String, NaiveDate, String, String, Option<i32>)> =
                    sqlx::query_as(
                        "select m.id, p.upn, m.session_date, m.session, m.code, m.minutes_late
                         from marks m join pupils p on p.school_id = m.school_id and p.id = m.pupil_id
                         where m.school_id = $1 and m.is_current
                         order by m.session_date, m.session, p.upn limit 100000",
                    )
                    .bind(school)
                    .fetch_all(&pool)
                    .await?;
                let mut csv = String::from("upn,date,session,code,minutes_late\n");
                for (_, upn, date, session, code, minutes) in &marks {
                    let minutes = minutes.map(|m| m.to_string()).unwrap_or_default();
                    csv.push_str(&format!("{upn},{date},{session},{code},{minutes}\n"));
                }
                let ids: Vec<i64> = marks.iter().map(|mark| mark.0).collect();
                sqlx::query("update marks set is_current = false where school_id = $1 and id = any($2)")
                    .bind(school)
                    .bind(&ids)
                    .execute(&pool)
                    .await?;

                let started = Instant::now();
                let outcome = app::import::queries::import(
                    &pool,
                    school,
                    Some(trust.staff_id),
                    app::import::ImportKind::Marks,
                    "bench-marks.csv",
                    csv.as_bytes(),
                    &app::import::tasks::Tracker::default(),
                )
                .await?;
                let took = started.elapsed();

                let created = match outcome {
                    app::import::ImportOutcome::Imported(summary) => summary.created,
                    app::import::ImportOutcome::Refused { problems, .. } => {
                        anyhow::bail!("the bench's import was refused: {:?}", problems.first())
                    }
                };
                check(created == 100_000, "100,000 marks created")?;
                undo_everything(&pool).await?;
                Ok(took)
            })
            .await?,
        );
    }

    // Undoing the iterations left dead rows; vacuum makes their space reusable, so the bench
    // database stays the same size however often this runs.
    undo_everything(&pool).await?;
    sqlx::raw_sql("vacuum analyze marks, attendance_totals, registers_taken")
        .execute(&pool)
        .await?;

    println!();
    println!(
        "{:<48} {:>10} {:>10} {:>10} {:>6}",
        "case", "median ms", "p95 ms", "min ms", "runs"
    );
    for result in &results {
        println!(
            "{:<48} {:>10.2} {:>10.2} {:>10.2} {:>6}",
            result.name,
            millis(result.median),
            millis(result.p95),
            millis(result.min),
            result.runs
        );
    }
    Ok(())
}

struct Stats {
    name: &'static str,
    runs: usize,
    median: Duration,
    p95: Duration,
    min: Duration,
}

/// Runs a case `WARM_UP` times unmeasured, then `runs` times. Each run returns how long the
/// part worth measuring took.
async fn measure(
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

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn check(ok: bool, what: &str) -> anyhow::Result<()> {
    if ok {
        Ok(())
    } else {
        bail!("the result did not have {what}: is the bench database the benchmark trust?")
    }
}

fn expect(
    saved: Result<Saved, app::registers::queries::Refused>,
    ok: impl Fn(&Saved) -> bool,
    what: &str,
) -> anyhow::Result<()> {
    match saved {
        Ok(saved) if ok(&saved) => Ok(()),
        Ok(saved) => bail!("the save did not make {what}: {saved:?}"),
        Err(refused) => bail!("the save was refused: {refused:?}"),
    }
}

/// The benchmark trust: its schools, the period its marks cover, someone to save as.
struct Trust {
    /// Secondaries first, by name, so the first is the same secondary every run.
    schools: Vec<Uuid>,
    /// The first day of the academic year and the last day with marks.
    from: NaiveDate,
    to: NaiveDate,
    staff_id: Uuid,
}

impl Trust {
    async fn load(pool: &PgPool) -> anyhow::Result<Trust> {
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
    async fn describe(&self, pool: &PgPool) -> anyhow::Result<()> {
        let (version, pupils, marks, totals): (String, i64, i64, i64) = sqlx::query_as(
            "select current_setting('server_version'), (select count(*) from pupils),
                    (select count(*) from marks), (select count(*) from attendance_totals)",
        )
        .fetch_one(pool)
        .await?;
        println!(
            "PostgreSQL {version}; {} schools, {pupils} pupils, {marks} marks, {totals} \
             attendance_totals rows; marks from {} to {}",
            self.schools.len(),
            self.from,
            self.to
        );
        Ok(())
    }
}

/// A form whose register the bench saves, with the pupils on it.
struct Form {
    school_id: Uuid,
    form_id: Uuid,
    pupils: Vec<Uuid>,
}

/// A current mark of a pupil on the register.
#[derive(sqlx::FromRow)]
struct Mark {
    id: i64,
    pupil_id: Uuid,
    code: String,
    minutes_late: Option<i32>,
}

impl Form {
    /// Every form with at least `REGISTER_SIZE` pupils on roll on `date`, in a fixed order.
    async fn all(pool: &PgPool, date: NaiveDate) -> anyhow::Result<Vec<Form>> {
        let rows: Vec<(Uuid, Uuid, Vec<Uuid>)> = sqlx::query_as(
            "select f.school_id, f.id, array_agg(p.id order by p.id)
             from forms f
             join pupils p on p.school_id = f.school_id and p.form_id = f.id
                 and p.admitted_on <= $1 and (p.left_on is null or p.left_on >= $1)
             group by f.school_id, f.id
             having count(*) >= $2
             order by f.school_id, f.id",
        )
        .bind(date)
        .bind(REGISTER_SIZE as i64)
        .fetch_all(pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(school_id, form_id, mut pupils)| {
                pupils.truncate(REGISTER_SIZE);
                Form {
                    school_id,
                    form_id,
                    pupils,
                }
            })
            .collect())
    }

    /// The current marks of the form's pupils for a session.
    async fn current(
        &self,
        conn: &mut PgConnection,
        date: NaiveDate,
        session: Session,
    ) -> anyhow::Result<Vec<Mark>> {
        let marks: Vec<Mark> = sqlx::query_as(
            "select id, pupil_id, code, minutes_late from marks
             where school_id = $1 and pupil_id = any($2) and session_date = $3 and session = $4
               and is_current
             order by pupil_id",
        )
        .bind(self.school_id)
        .bind(&self.pupils)
        .bind(date)
        .bind(session.as_str())
        .fetch_all(conn)
        .await?;
        if marks.len() != self.pupils.len() {
            bail!(
                "{} of the form's {} pupils have a mark on {date} {session:?}: reseed the bench \
                 database",
                marks.len(),
                self.pupils.len()
            );
        }
        Ok(marks)
    }

    /// Puts the session back as the seed made it: the marks the bench added go, the seeded
    /// marks it replaced or hid are current again, and the totals are rebuilt from that day.
    async fn undo(
        &self,
        pool: &PgPool,
        watermark: i64,
        seeded: &[i64],
        date: NaiveDate,
        session: Session,
    ) -> anyhow::Result<()> {
        let mut tx = pool.begin().await?;
        skip_foreign_keys(&mut tx).await?;
        sqlx::query("delete from marks where school_id = $1 and id > $2")
            .bind(self.school_id)
            .bind(watermark)
            .execute(&mut *tx)
            .await?;
        sqlx::query("update marks set is_current = true where school_id = $1 and id = any($2)")
            .bind(self.school_id)
            .bind(seeded)
            .execute(&mut *tx)
            .await?;
        if !seeded.is_empty() {
            refresh_totals(&mut tx, self.school_id, &self.pupils, date).await?;
        }
        sqlx::query(
            "delete from registers_taken
             where school_id = $1 and session_date = $2 and session = $3 and form_id = $4",
        )
        .bind(self.school_id)
        .bind(date)
        .bind(session.as_str())
        .bind(self.form_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Puts back anything a stopped bench left: the seed writes only current `demo` marks and no
/// registers taken or imports.
async fn undo_everything(pool: &PgPool) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    skip_foreign_keys(&mut tx).await?;
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
    sqlx::query("delete from registers_taken")
        .execute(&mut *tx)
        .await?;
    sqlx::query("delete from imports").execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Deleting a mark makes PostgreSQL check that no mark replaces it, and no index serves
/// `marks (school_id, replaces_id)`, so each deleted mark would cost a scan of every mark.
/// The marks the bench deletes are replaced only by other marks it deletes in the same
/// statement, so for the rest of this transaction the checks are skipped (the database's
/// owner, which the private cluster's `rollcall` is, may do so).
async fn skip_foreign_keys(conn: &mut PgConnection) -> anyhow::Result<()> {
    sqlx::query("set local session_replication_role = replica")
        .execute(conn)
        .await
        .context("the bench needs to be a superuser of the bench database to undo its writes")?;
    Ok(())
}

async fn school_days(
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
