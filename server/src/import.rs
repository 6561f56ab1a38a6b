//! `rollcall import pupils|marks --school <URN> FILE`: the same import as the page, for files of
//! any size. Progress goes to standard error, the summary or every problem to standard output.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, bail};
use app::import::{ImportKind, ImportOutcome, Phase, queries, tasks::Tracker};
use sqlx::PgPool;
use uuid::Uuid;

/// Imports the file; an error when the file was refused (every problem printed first).
pub async fn run(
    pool: &PgPool,
    kind: ImportKind,
    urn: &str,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    let school: Option<(Uuid, String)> =
        sqlx::query_as("select id, name from schools where urn = $1")
            .bind(urn.trim())
            .fetch_optional(pool)
            .await?;
    let Some((school_id, school_name)) = school else {
        bail!(
            "there is no school with URN {urn}: check it, or add the school with `rollcall create-school`"
        );
    };
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let file_name = file
        .file_name()
        .map(|name| name.to_string_lossy().to_string())
        .unwrap_or_else(|| file.display().to_string());
    eprintln!(
        "Importing {} from {file_name} into {school_name} (URN {urn})",
        kind.label().to_lowercase()
    );
    let tracker = Arc::new(Tracker::default());
    let watcher = tokio::spawn(report_progress(tracker.clone()));
    let outcome = queries::import(pool, school_id, None, kind, &file_name, &bytes, &tracker).await;
    watcher.abort();
    eprintln!();
    match outcome? {
        ImportOutcome::Imported(summary) => {
            println!("Imported {} rows from {}:", summary.rows, summary.file_name);
            let (created, changed) = match kind {
                ImportKind::Pupils => ("new pupils", "pupils changed"),
                ImportKind::Marks => ("new marks", "marks amended (the old mark is kept)"),
            };
            println!("  {:>8}  {created}", summary.created);
            println!("  {:>8}  {changed}", summary.changed);
            println!("  {:>8}  unchanged", summary.unchanged);
            if !summary.year_groups_created.is_empty() {
                println!(
                    "  year groups added: {}",
                    summary.year_groups_created.join(", ")
                );
            }
            if !summary.forms_created.is_empty() {
                println!("  forms added: {}", summary.forms_created.join(", "));
            }
            for mapping in &summary.mappings {
                println!(
                    "  {:>8}  withdrawn code {} stored as {}: {}",
                    mapping.rows, mapping.withdrawn, mapping.now, mapping.why
                );
            }
            if summary.present_signs_corrected > 0 {
                println!(
                    "  {:>8}  present marks stored with their own session's sign (/ for AM, \\ for PM)",
                    summary.present_signs_corrected
                );
            }
            if !summary.ignored_columns.is_empty() {
                println!("  columns not read: {}", summary.ignored_columns.join(", "));
            }
            if let Some(at) = summary.imported_before {
                println!(
                    "  this same file was imported before, at {}",
                    at.format("%Y-%m-%d %H:%M UTC")
                );
            }
            if summary.created == 0 && summary.changed == 0 {
                println!("Nothing changed.");
            }
            Ok(())
        }
        ImportOutcome::Refused {
            file_name,
            problems,
            ..
        } => {
            for problem in &problems {
                let column = if problem.column.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", problem.column)
                };
                println!("{file_name}:{}{column}: {}", problem.line, problem.message);
            }
            bail!(
                "{} {} in {file_name}; nothing was imported",
                problems.len(),
                if problems.len() == 1 {
                    "problem"
                } else {
                    "problems"
                }
            )
        }
    }
}

/// One line on standard error, rewritten as the import goes.
async fn report_progress(tracker: Arc<Tracker>) {
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let phase = tracker.phase();
        let rows = tracker.rows.load(Ordering::Relaxed);
        let line = match phase {
            Phase::Reading => format!(
                "{}: {} rows",
                phase.label(),
                tracker.checked.load(Ordering::Relaxed)
            ),
            Phase::Checking => format!("{}: {rows} rows", phase.label()),
            Phase::Writing | Phase::Done => format!(
                "{}: {} of {rows} rows",
                Phase::Writing.label(),
                tracker.written.load(Ordering::Relaxed)
            ),
        };
        eprint!("\r{line:<78}");
    }
}
