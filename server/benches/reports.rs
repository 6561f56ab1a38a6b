//! The reports' speed against the benchmark trust (issue 9's targets, in `docs/benchmarks.md`):
//! the day's overview of one school, a breakdown of one school over the year (the breakdown
//! report: this year and last by group, the national figures and the charts), the persistent
//! absence report, and the trust's ten schools side by side. Read only: nothing to undo.
//!
//! Against the database `make bench` seeds:
//! `DATABASE_URL=<the rollcall_bench URL> cargo bench -p server --bench reports`

mod common;

use std::{hint::black_box, time::Instant};

use app::{
    attendance::Grouping,
    auth::{Grant, SchoolRef, Viewer},
    domain::roles::Role,
    reports::{ReportKind, queries},
};
use common::{Filter, Trust, check, measure, print_results};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let filter = Filter::from_args();
    let pool = common::connect().await?;
    let trust = Trust::load(&pool).await?;
    trust.describe(&pool).await?;
    let school = trust.schools[0];
    let (trust_id, names): (uuid::Uuid, Vec<String>) = sqlx::query_as(
        "select (select trust_id from schools where id = $1),
            array(select name from schools where id = any($2) order by array_position($2, id))",
    )
    .bind(school)
    .bind(&trust.schools)
    .fetch_one(&pool)
    .await?;
    let schools: Vec<SchoolRef> = trust
        .schools
        .iter()
        .zip(names)
        .map(|(&id, name)| SchoolRef { id, name })
        .collect();
    // The trust administrator: the day's overview with the calling counts as the office sees it.
    let viewer = Viewer {
        staff_id: trust.staff_id,
        trust_id,
        name: "Bench".into(),
        email: "bench@riverside.example".into(),
        grants: vec![Grant {
            role: Role::TrustAdmin,
            school_id: None,
        }],
        schools: schools.clone(),
        via_token: false,
    };
    let mut results = Vec::new();

    if filter.wants("today") {
        let now = trust.to.and_hms_opt(10, 30, 0).expect("a time");
        results.push(
            measure(
                "today (one secondary, 10:30 on the last day of marks)",
                100,
                async |_| {
                    let started = Instant::now();
                    let today = queries::today_at(&pool, &viewer, school, now).await?;
                    let took = started.elapsed();
                    check(
                        today.is_some_and(|t| t.on_roll >= 1000),
                        "a school of 1,200 pupils",
                    )?;
                    Ok(took)
                },
            )
            .await?,
        );
    }

    // The breakdown by year, and by pupil: the most groups (1,200 lines) any breakdown has.
    for (name, kind, by) in [
        (
            "breakdown report (one secondary, the year, by year)",
            ReportKind::Breakdown,
            Grouping::Year,
        ),
        (
            "breakdown report (one secondary, the year, by pupil)",
            ReportKind::Breakdown,
            Grouping::Pupil,
        ),
        (
            "persistent absence report (one secondary, the year)",
            ReportKind::PersistentAbsence,
            Grouping::Year,
        ),
    ] {
        if filter.wants(name) {
            results.push(
                measure(name, 50, async |_| {
                    let started = Instant::now();
                    let report =
                        queries::report(&pool, school, kind, trust.from, trust.to, by).await?;
                    let took = started.elapsed();
                    check(report.is_some_and(|r| !r.tables.is_empty()), "a report")?;
                    Ok(took)
                })
                .await?,
            );
        }
    }

    if filter.wants("trust view") {
        results.push(
            measure("trust view (10 schools side by side)", 30, async |_| {
                let started = Instant::now();
                let report = queries::trust_report(&pool, &schools, trust.from, trust.to).await?;
                let took = started.elapsed();
                check(report.tables[0].rows.len() == schools.len(), "every school")?;
                black_box(report);
                Ok(took)
            })
            .await?,
        );
    }

    print_results(&results);
    Ok(())
}
