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

mod common;

use std::{hint::black_box, time::Instant};

use anyhow::bail;
use app::{
    attendance::{self, Grouping, queries::refresh_totals},
    domain::codes::Session,
    registers::{RegisterEntry, Saved, queries::save_register},
};
use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use common::{
    Filter, Trust, check, measure, print_results, school_days, skip_foreign_keys, undo_everything,
    vacuum,
};

/// The pupils on a register the bench saves: a whole form of this size.
const REGISTER_SIZE: usize = 30;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; any other argument picks cases by name.
    let filter = Filter::from_args();
    let wanted = |name: &str| filter.wants(name);

    let pool = common::connect().await?;
    let trust = Trust::load(&pool).await?;
    undo_everything(&pool).await?;
    vacuum(&pool).await?;
    let watermark = common::watermark(&pool).await?;
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

    undo_everything(&pool).await?;
    vacuum(&pool).await?;
    print_results(&results);
    Ok(())
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
