//! Imports started from the page run as tasks on the server, so a large file does not hold a
//! request open and the page can show how far it has got. Tasks live in this process's memory
//! for an hour after they finish; the `imports` table keeps the lasting record.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use uuid::Uuid;

use super::{ImportKind, ImportOutcome, ImportProgress, Phase};

/// How far an import has got, updated by the import as it goes and read by whoever watches:
/// the page's polling, or the command line's progress line.
#[derive(Debug, Default)]
pub struct Tracker {
    phase: AtomicU8,
    /// Rows of data in the file, once read.
    pub rows: AtomicU64,
    pub checked: AtomicU64,
    pub written: AtomicU64,
}

impl Tracker {
    pub fn set_phase(&self, phase: Phase) {
        let value = match phase {
            Phase::Reading => 0,
            Phase::Checking => 1,
            Phase::Writing => 2,
            Phase::Done => 3,
        };
        self.phase.store(value, Ordering::Relaxed);
    }

    pub fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Relaxed) {
            0 => Phase::Reading,
            1 => Phase::Checking,
            2 => Phase::Writing,
            _ => Phase::Done,
        }
    }

    pub fn snapshot(&self) -> ImportProgress {
        ImportProgress {
            phase: self.phase(),
            rows: self.rows.load(Ordering::Relaxed),
            checked: self.checked.load(Ordering::Relaxed),
            written: self.written.load(Ordering::Relaxed),
            outcome: None,
        }
    }
}

struct Task {
    school_id: Uuid,
    tracker: Arc<Tracker>,
    outcome: Option<Result<ImportOutcome, String>>,
    finished: Option<Instant>,
}

/// How long a finished task's outcome can still be asked for.
const KEPT_FOR: Duration = Duration::from_secs(3600);

static TASKS: LazyLock<Mutex<HashMap<Uuid, Task>>> = LazyLock::new(Default::default);

fn tasks() -> std::sync::MutexGuard<'static, HashMap<Uuid, Task>> {
    // A panic while holding the lock leaves the map usable: it holds only plain data.
    TASKS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Starts an import in the background and answers its id.
pub fn start(
    pool: PgPool,
    school_id: Uuid,
    staff_id: Uuid,
    kind: ImportKind,
    file_name: String,
    bytes: Vec<u8>,
) -> Uuid {
    let id = Uuid::new_v4();
    let tracker = Arc::new(Tracker::default());
    {
        let mut tasks = tasks();
        tasks.retain(|_, task| task.finished.is_none_or(|at| at.elapsed() < KEPT_FOR));
        tasks.insert(
            id,
            Task {
                school_id,
                tracker: tracker.clone(),
                outcome: None,
                finished: None,
            },
        );
    }
    tokio::spawn(async move {
        let result = super::queries::import(
            &pool,
            school_id,
            Some(staff_id),
            kind,
            &file_name,
            &bytes,
            &tracker,
        )
        .await;
        let outcome = result.map_err(|error| {
            tracing::error!(%error, %school_id, kind = kind.key(), "import failed");
            "The import failed on the server and nothing was written; it has been logged. Try again."
                .to_string()
        });
        tracker.set_phase(Phase::Done);
        if let Some(task) = tasks().get_mut(&id) {
            task.outcome = Some(outcome);
            task.finished = Some(Instant::now());
        }
    });
    id
}

/// The progress of a task of this school, with its outcome once done.
pub fn progress(school_id: Uuid, id: Uuid) -> Option<ImportProgress> {
    let tasks = tasks();
    let task = tasks.get(&id).filter(|task| task.school_id == school_id)?;
    let mut progress = task.tracker.snapshot();
    progress.outcome = task.outcome.clone();
    if progress.outcome.is_none() && progress.phase == Phase::Done {
        // Finished a moment ago; the outcome is on its way.
        progress.phase = Phase::Writing;
    }
    Some(progress)
}
