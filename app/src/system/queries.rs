//! The queries behind the system status.

use sqlx::PgPool;

use super::DatabaseState;

/// Asks the database for its newest applied migration. Never fails: an unreachable database is
/// a state to report, not an error to raise.
pub async fn database_state(pool: &PgPool) -> DatabaseState {
    let newest = sqlx::query_scalar::<_, Option<i64>>(
        "select max(version) from _sqlx_migrations where success",
    )
    .fetch_one(pool)
    .await;
    match newest {
        Ok(schema_version) => DatabaseState {
            reachable: true,
            schema_version,
            problem: None,
        },
        Err(error) => DatabaseState {
            reachable: false,
            schema_version: None,
            problem: Some(error.to_string()),
        },
    }
}
