//! The case engine on a timer. Every school's policy is run over its pupils when the server
//! starts and every hour after, and within a minute at a school whose marks changed, so cases
//! open and steps are proposed the day figures cross a threshold. Every minute, first-day
//! calling's deadlines are checked too: the DSL is alerted and a home visit proposed for pupils
//! nobody reached. Both are idempotent (`app::cases::queries::evaluate_school`,
//! `app::calling::queries::escalate`), so a run on a holiday, or two servers running at once,
//! changes nothing twice. Once a day the retention policy is applied too (`crate::retention`),
//! and every hour each day's rows of the schools' daily counts are folded into one
//! (`app::attendance::queries::fold_school_days`).

use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

/// How often the engine runs at every school.
pub const EVERY: Duration = Duration::from_secs(60 * 60);

/// How often changed schools and the calling deadlines are looked at.
pub const TICK: Duration = Duration::from_secs(60);

/// Starts the engine in the background for as long as the server runs.
pub fn spawn_engine(pool: PgPool) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut timer = tokio::time::interval(TICK);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_full_run: Option<tokio::time::Instant> = None;
        let mut last_retention: Option<tokio::time::Instant> = None;
        loop {
            timer.tick().await;
            if last_retention.is_none_or(|at| at.elapsed() >= crate::retention::EVERY) {
                match crate::retention::run(&pool, false).await {
                    Ok(report) => tracing::info!(%report, "the retention policy was applied"),
                    Err(error) => {
                        tracing::error!(%error, "the retention job failed; it runs again tomorrow")
                    }
                }
                last_retention = Some(tokio::time::Instant::now());
            }
            if last_full_run.is_none_or(|at| at.elapsed() >= EVERY) {
                // Taken first, so changes made during the run are looked at next minute.
                app::cases::queries::take_marks_changed();
                run_everywhere(&pool).await;
                if let Err(error) = app::attendance::queries::fold_school_days(&pool).await {
                    tracing::error!(%error, "folding the schools' daily counts failed");
                }
                last_full_run = Some(tokio::time::Instant::now());
            } else {
                for school_id in app::cases::queries::take_marks_changed() {
                    run_at(&pool, school_id).await;
                }
            }
            escalate_calling(&pool).await;
        }
    })
}

async fn run_everywhere(pool: &PgPool) {
    match app::cases::queries::evaluate_all(pool).await {
        Ok(schools) => {
            let opened: usize = schools.iter().map(|(_, run)| run.cases_opened).sum();
            let proposals: usize = schools.iter().map(|(_, run)| run.proposals).sum();
            let plans_reviewed: usize = schools.iter().map(|(_, run)| run.plans_reviewed).sum();
            tracing::info!(
                schools = schools.len(),
                opened,
                proposals,
                plans_reviewed,
                "the case engine ran"
            );
        }
        Err(error) => tracing::error!(%error, "the case engine failed; it runs again in an hour"),
    }
}

async fn run_at(pool: &PgPool, school_id: Uuid) {
    match app::cases::queries::evaluate_today(pool, school_id).await {
        Ok(run) => tracing::info!(
            %school_id,
            opened = run.cases_opened,
            proposals = run.proposals,
            "the case engine ran after marks changed"
        ),
        Err(error) => {
            // Put back, so the next minute tries again.
            app::cases::queries::marks_changed(school_id);
            tracing::error!(%school_id, %error, "the case engine failed after marks changed");
        }
    }
}

async fn escalate_calling(pool: &PgPool) {
    let schools: Result<Vec<(Uuid, chrono::NaiveDateTime)>, sqlx::Error> =
        sqlx::query_as("select id, (now() at time zone time_zone)::timestamp from schools")
            .fetch_all(pool)
            .await;
    let schools = match schools {
        Ok(schools) => schools,
        Err(error) => {
            tracing::error!(%error, "could not list schools for first-day calling");
            return;
        }
    };
    for (school_id, now) in schools {
        match app::calling::queries::escalate(pool, school_id, now).await {
            Ok(raised) if raised.dsl_alerts + raised.visits_proposed > 0 => tracing::info!(
                %school_id,
                dsl_alerts = raised.dsl_alerts,
                visits_proposed = raised.visits_proposed,
                "first-day calling escalated"
            ),
            Ok(_) => {}
            Err(error) => {
                tracing::error!(%school_id, %error, "first-day calling's escalation failed")
            }
        }
    }
}
