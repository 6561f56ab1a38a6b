//! The append-only audit log of who changed what. The table refuses updates and deletes.

use sqlx::{Executor, Postgres};
use uuid::Uuid;

/// Adds one entry. `subject` names what was changed, for example `staff:<id>`.
pub async fn record<'e>(
    executor: impl Executor<'e, Database = Postgres>,
    staff_id: Option<Uuid>,
    school_id: Option<Uuid>,
    action: &str,
    subject: &str,
    detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into audit_log (staff_id, trust_id, school_id, action, subject, detail)
         values ($1, (select trust_id from staff where id = $1), $2, $3, $4, $5)",
    )
    .bind(staff_id)
    .bind(school_id)
    .bind(action)
    .bind(subject)
    .bind(detail)
    .execute(executor)
    .await?;
    Ok(())
}
