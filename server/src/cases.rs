//! The case engine on a timer: every school's policy is run over its pupils when the server
//! starts and every hour after, so cases open and steps are proposed the day figures cross a
//! threshold. The engine is idempotent (`app::cases::queries::evaluate_school`), so a run on a
//! holiday, or two servers running it at once, changes nothing twice.

use std::time::Duration;

use sqlx::PgPool;

/// How often the engine runs.
pub const EVERY: Duration = Duration::from_secs(60 * 60);

/// Starts the engine in the background for as long as the server runs.
pub fn spawn_engine(pool: PgPool) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut timer = tokio::time::interval(EVERY);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            timer.tick().await;
            match app::cases::queries::evaluate_all(&pool).await {
                Ok(schools) => {
                    let opened: usize = schools.iter().map(|(_, run)| run.cases_opened).sum();
                    let proposals: usize = schools.iter().map(|(_, run)| run.proposals).sum();
                    tracing::info!(
                        schools = schools.len(),
                        opened,
                        proposals,
                        "the case engine ran"
                    );
                }
                Err(error) => {
                    tracing::error!(%error, "the case engine failed; it runs again in an hour")
                }
            }
        }
    })
}
