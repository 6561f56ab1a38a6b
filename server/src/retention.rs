//! The retention job (`docs/retention.md`, `app::data_protection::queries::apply_retention`):
//! once a day in the server, and on demand as `rollcall retention`.

use std::fmt::Write;

use sqlx::PgPool;

/// How often the server applies the retention policy.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// Applies the policy at every school and says what went (or, with `dry_run`, would go).
pub async fn run(pool: &PgPool, dry_run: bool) -> anyhow::Result<String> {
    let runs = app::data_protection::queries::apply_retention_everywhere(pool, dry_run).await?;
    let verb = if dry_run { "would remove" } else { "removed" };
    let mut report = String::new();
    for (name, run) in runs {
        writeln!(
            report,
            "{name}: {verb} {} pupils' records ({} rows), {} register marks past 6 years, {} audit entries past 6 years.",
            run.pupils_removed, run.rows_removed, run.marks_removed, run.audit_entries_removed
        )?;
    }
    if report.is_empty() {
        report.push_str("There are no schools.\n");
    }
    Ok(report)
}
