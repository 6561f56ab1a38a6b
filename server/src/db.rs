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
    PgConnectOptions::from_str(database_url).context(
        "DATABASE_URL is not a PostgreSQL address; write it as postgres://user:password@host:port/database",
    )
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
