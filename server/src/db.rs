//! The connection to PostgreSQL and the migrations that shape it.

use std::{str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{
    PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};

/// The migrations in `migrations/`, compiled into the binary so a deployment carries its schema.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Connects to the database, or says what is wrong with `DATABASE_URL` and what to do.
pub async fn connect(database_url: &str) -> anyhow::Result<PgPool> {
    let options = connect_options(database_url)?;
    let target = describe(&options);
    pool_options().connect_with(options).await.with_context(|| {
        format!(
            "could not connect to the database at {target}; is PostgreSQL running there, \
                 and are the user, password and database name in DATABASE_URL right?"
        )
    })
}

/// A pool that connects on first use, so the server can start, and report, while the database is
/// down.
pub fn connect_lazy(database_url: &str) -> anyhow::Result<PgPool> {
    Ok(pool_options().connect_lazy_with(connect_options(database_url)?))
}

fn connect_options(database_url: &str) -> anyhow::Result<PgConnectOptions> {
    let options = PgConnectOptions::from_str(database_url).context(
        "DATABASE_URL is not a PostgreSQL address; write it as postgres://user:password@host:port/database",
    )?;
    // No just-in-time compilation: every query here answers in milliseconds, and a plan that
    // merely looks costly (the late arrivals' subquery for conflicts, never run when there are
    // none) spent 340 ms compiling under the load test. JIT pays off only for queries that run
    // for seconds.
    Ok(options.options([("jit", "off")]))
}

fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(20)
        // A request waits this long for a connection before failing, so a database outage
        // shows up as a quick, clear error rather than a hung page.
        .acquire_timeout(Duration::from_secs(3))
}

fn describe(options: &PgConnectOptions) -> String {
    format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("(default database)")
    )
}

pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await.context("migrating the database")
}
