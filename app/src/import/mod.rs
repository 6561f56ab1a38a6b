//! Importing CSV files from a management information system (SIMS, Arbor, Bromcom): the
//! school's pupils with their forms, year groups, flags and contacts, and register marks.
//!
//! Every import is all or nothing: a file with any bad row is refused with every bad row listed
//! (line, column, what is wrong and how to fix it), and nothing of it is written. Importing the
//! same file again changes nothing. The formats are described in `docs/import.md`.
//!
//! From the page, an import runs as a task on the server with an id, and the page asks for its
//! progress until it is done; `rollcall import` runs the same code from the command line.

mod pages;
#[cfg(feature = "ssr")]
pub mod parse;
#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "ssr")]
pub mod tasks;

pub use pages::ImportPage;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The server refuses request bodies over 2 MiB (`server/src/http/mod.rs`). Bigger files go
/// through `rollcall import` on the server.
pub const MAX_REQUEST_BYTES: usize = 2 * 1024 * 1024;

/// Whether a file's text fits in the request that sends it: the text travels as a JSON string,
/// where every line break and backslash takes two bytes.
pub fn fits_in_request(text: &str) -> bool {
    const ROOM_FOR_THE_REST: usize = 1024;
    text.len() + ROOM_FOR_THE_REST <= MAX_REQUEST_BYTES
        && serde_json::to_string(text)
            .is_ok_and(|json| json.len() + ROOM_FOR_THE_REST <= MAX_REQUEST_BYTES)
}

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// One row per pupil: details, year, form, flags and up to two contacts.
    Pupils,
    /// One row per register mark: UPN, date, session, code, minutes late.
    Marks,
}

impl ImportKind {
    /// The name in the `imports` table and on the command line.
    pub fn key(self) -> &'static str {
        match self {
            ImportKind::Pupils => "pupils",
            ImportKind::Marks => "marks",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ImportKind::Pupils => "Pupils and contacts",
            ImportKind::Marks => "Register marks",
        }
    }

    pub fn parse(text: &str) -> Option<ImportKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "pupils" => Some(ImportKind::Pupils),
            "marks" => Some(ImportKind::Marks),
            _ => None,
        }
    }
}

/// One thing wrong with a file: where it is and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    /// The line of the file, counting the header as line 1.
    pub line: u64,
    /// The column's header as the file spells it, or empty when the whole row is wrong.
    pub column: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// How often a withdrawn code was read through its historic mapping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingUsed {
    pub withdrawn: String,
    pub now: String,
    pub why: String,
    pub rows: u64,
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub kind: ImportKind,
    pub file_name: String,
    /// Rows of data, the header not counted.
    pub rows: u64,
    /// Pupils or marks that were new.
    pub created: u64,
    /// Pupils whose details or contacts changed; marks amended (the old mark is kept).
    pub changed: u64,
    /// Rows that matched what Rollcall already had.
    pub unchanged: u64,
    pub year_groups_created: Vec<String>,
    pub forms_created: Vec<String>,
    /// Withdrawn codes read through `Code::parse_historic`, and how often.
    pub mappings: Vec<MappingUsed>,
    /// Present marks written with the other session's sign (`/` in the afternoon), stored as
    /// the present mark of their own session.
    pub present_signs_corrected: u64,
    /// Columns the import does not read, as the file spells them.
    pub ignored_columns: Vec<String>,
    /// When the same file (by its SHA-256) was last imported here, if it was.
    pub imported_before: Option<DateTime<Utc>>,
    pub sha256: String,
}

/// The end of an import: done, or refused with every problem and nothing written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportOutcome {
    Imported(ImportSummary),
    Refused {
        kind: ImportKind,
        file_name: String,
        rows: u64,
        problems: Vec<RowProblem>,
    },
}

/// Where a running import has got to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Reading the rows and checking each on its own.
    Reading,
    /// Checking the rows against the school: pupils, calendar, roll.
    Checking,
    /// Writing, inside one transaction.
    Writing,
    Done,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::Reading => "Reading the file",
            Phase::Checking => "Checking against the school's pupils and calendar",
            Phase::Writing => "Checking and writing",
            Phase::Done => "Done",
        }
    }
}

/// A running or finished import, as the page polls it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportProgress {
    pub phase: Phase,
    /// Rows of data in the file, once known.
    pub rows: u64,
    pub checked: u64,
    pub written: u64,
    /// The end, once done: `Err` when the server failed (nothing was written).
    pub outcome: Option<Result<ImportOutcome, String>>,
}

/// A past import of the school, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastImport {
    pub kind: ImportKind,
    pub file_name: String,
    pub rows: i32,
    pub created: i32,
    pub changed: i32,
    pub unchanged: i32,
    pub imported_by: Option<String>,
    pub imported_at: DateTime<Utc>,
}

/// Starts importing a file at a school and answers the task's id; ask `poll_import` for
/// how it goes. The file comes as text, so it must fit the server's 2 MiB request limit.
#[server(prefix = "/api/fn", endpoint = "import/start", input = Json)]
pub async fn start_import(
    school_id: Uuid,
    kind: ImportKind,
    file_name: String,
    text: String,
) -> Result<Uuid, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    let viewer = server::require(Permission::ManageSchool, school_id)?;
    if text.trim().is_empty() {
        return Err(server::invalid(
            "The file is empty: choose the CSV file exported from your MIS, or paste its text.",
        ));
    }
    let file_name = match file_name.trim() {
        "" => "pasted text".to_string(),
        name => name.chars().take(200).collect(),
    };
    let pool = server::pool()?;
    Ok(tasks::start(
        pool,
        school_id,
        viewer.staff_id,
        kind,
        file_name,
        text.into_bytes(),
    ))
}

/// How a started import is going, and its outcome once done; `None` when this server has no
/// such import of this school (it finished over an hour ago, or the server restarted).
#[server(prefix = "/api/fn", endpoint = "import/progress")]
pub async fn poll_import(
    school_id: Uuid,
    task: Uuid,
) -> Result<Option<ImportProgress>, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    server::require(Permission::ManageSchool, school_id)?;
    Ok(tasks::progress(school_id, task))
}

/// The school's latest imports.
#[server(prefix = "/api/fn", endpoint = "import/recent")]
pub async fn recent_imports(school_id: Uuid) -> Result<Vec<PastImport>, ServerFnError> {
    use crate::{auth::server, domain::roles::Permission};
    server::require(Permission::ManageSchool, school_id)?;
    queries::recent(&server::pool()?, school_id)
        .await
        .map_err(server::internal)
}
