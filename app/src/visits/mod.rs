//! Home visits: officers visit families whose children are not in school, often alone, often
//! where the phone has no signal.
//!
//! A visit is planned from a case (proposed by a rule, or planned by an officer) or added ad
//! hoc. On the phone it is risk assessed, checked in with an expected finish, recorded and
//! checked out; a safeguarding concern goes to the DSL in one step. The phone captures all of
//! that offline as events of the sync protocol (`docs/sync.md`, the `visit_*` kinds, applied by
//! `queries::apply_event`); planning, the office's edits and resolving conflicts are server
//! functions here.
//!
//! Once a concern is raised, the visit's notes are for safeguarding staff only: every query in
//! `queries.rs` that returns them blanks them for anyone else.

pub mod pages;
#[cfg(feature = "hydrate")]
mod phone;
#[cfg(feature = "ssr")]
pub mod queries;

pub use pages::{VisitPage, VisitsPage};

use chrono::{DateTime, NaiveDate, Utc};
use leptos::{prelude::*, server_fn::codec::Json};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{auth::Viewer, domain::roles::Permission};

/// Where a visit came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The case engine proposed it (first-day calling found no one, say).
    Proposed,
    /// An officer planned it from a case.
    Planned,
    /// Added on the day, without a case behind it.
    AdHoc,
}

impl Source {
    pub fn key(self) -> &'static str {
        match self {
            Source::Proposed => "proposed",
            Source::Planned => "planned",
            Source::AdHoc => "ad_hoc",
        }
    }

    pub fn from_key(key: &str) -> Option<Source> {
        [Source::Proposed, Source::Planned, Source::AdHoc]
            .into_iter()
            .find(|source| source.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Source::Proposed => "Proposed by the case rules",
            Source::Planned => "Planned from the case",
            Source::AdHoc => "Ad hoc",
        }
    }
}

/// Known risks at the address, filled in before the visit starts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskAssessment {
    pub risks_known: String,
    pub second_person_needed: bool,
    /// A first visit to a family is never made alone.
    pub first_visit: bool,
}

impl RiskAssessment {
    /// What is wrong with it, in words, or `None`.
    pub fn problem(&self) -> Option<String> {
        (self.first_visit && !self.second_person_needed).then(|| {
            "A first visit is never made alone: tick \"a second person is needed\" and take a \
             colleague."
                .to_string()
        })
    }
}

/// What happened at the visit. Facts (what was seen and heard) and opinion (the officer's
/// professional judgement) are kept apart, as a court or a social worker will read them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitRecord {
    pub child_seen: bool,
    pub safe_and_well_checked: bool,
    pub spoke_with: String,
    pub no_answer_card_left: bool,
    pub what_was_said: String,
    pub facts: String,
    pub opinion: String,
    pub agreed_actions: String,
    pub next_step: String,
}

impl VisitRecord {
    /// The outcome in a line, without the notes: what the case timeline shows everyone.
    pub fn outcome(&self) -> String {
        if self.no_answer_card_left {
            return "No answer; a card was left".to_string();
        }
        let mut parts = vec![if self.child_seen {
            "child seen".to_string()
        } else {
            "child not seen".to_string()
        }];
        if self.safe_and_well_checked {
            parts.push("safe and well check done".to_string());
        }
        if !self.spoke_with.trim().is_empty() {
            parts.push(format!("spoke with {}", self.spoke_with.trim()));
        }
        let mut line = parts.join("; ");
        if let Some(first) = line.get(0..1) {
            line = first.to_uppercase() + &line[1..];
        }
        line
    }
}

/// A parent or carer to call or ask for at the door.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub relationship: String,
    pub phone: String,
}

/// One visit as the phone and the office see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub id: Uuid,
    pub school_id: Uuid,
    pub pupil_id: Uuid,
    pub pupil_name: String,
    pub form: String,
    pub address: String,
    pub contacts: Vec<Contact>,
    /// "82.4% (140 of 170 sessions), 30 unauthorised": the running figures at the last mark.
    pub attendance: String,
    pub case_id: Option<Uuid>,
    /// The case's stage and why, when there is a case.
    pub case_summary: Option<String>,
    pub officer_id: Uuid,
    pub officer_name: String,
    pub planned_on: NaiveDate,
    pub reason: String,
    pub source: Source,
    pub status: String,
    pub risk: Option<RiskAssessment>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub expected_finish: Option<DateTime<Utc>>,
    pub companion: String,
    pub checked_out_at: Option<DateTime<Utc>>,
    /// The record, or `None` when nothing is recorded yet or the notes are hidden.
    pub record: Option<VisitRecord>,
    pub recorded_at: Option<DateTime<Utc>>,
    /// The record's revision: an edit says which one it was based on.
    pub revision: i32,
    pub concern_raised_at: Option<DateTime<Utc>>,
    /// A concern was raised and the viewer is not safeguarding staff: the notes are left out.
    pub notes_hidden: bool,
}

/// A visit checked in whose expected finish has passed without a check-out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Overdue {
    pub visit_id: Uuid,
    pub pupil_name: String,
    pub address: String,
    pub officer_name: String,
    pub officer_phone: String,
    pub checked_in_at: DateTime<Utc>,
    pub expected_finish: DateTime<Utc>,
    pub companion: String,
}

/// A safeguarding concern raised at a visit, for the DSL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConcernAlert {
    pub visit_id: Uuid,
    pub pupil_name: String,
    pub form: String,
    pub address: String,
    pub raised_by: String,
    pub raised_at: DateTime<Utc>,
    pub concern: String,
    pub case_id: Option<Uuid>,
}

/// Two saves of one visit record, for a person to choose between.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    pub id: Uuid,
    pub visit_id: Uuid,
    pub pupil_name: String,
    /// The record as it stood when the second save came (saved first, usually in the office).
    pub kept: VisitRecord,
    pub kept_by: Option<String>,
    /// The second save (usually from the phone), based on an older revision.
    pub edit: VisitRecord,
    pub edit_by: Option<String>,
    pub raised_at: DateTime<Utc>,
}

/// Someone who may be sent on a visit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Officer {
    pub id: Uuid,
    pub name: String,
}

/// A pupil to choose for an ad hoc visit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PupilChoice {
    pub id: Uuid,
    pub name: String,
    pub form: String,
}

/// What `/visits` shows: my visits (cached on the phone), and the office's watch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MyVisits {
    pub school_id: Uuid,
    pub today: NaiveDate,
    /// Assigned to me: today's first, then the days ahead, then earlier ones not done.
    pub visits: Vec<Visit>,
    pub officers: Vec<Officer>,
    pub pupils: Vec<PupilChoice>,
    pub watch: Watch,
    pub fetched_at: DateTime<Utc>,
}

/// The alerts of the school: overdue check-outs (the office), concerns (the DSL), conflicts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Watch {
    pub can_watch: bool,
    pub overdue: Vec<Overdue>,
    pub concerns: Vec<ConcernAlert>,
    /// First-day calling reached nobody at home by the DSL deadline (the DSL).
    pub no_contact: Vec<crate::calling::NoContactAlert>,
    pub conflicts: Vec<Conflict>,
}

/// The payloads of the visit kinds of sync event, schema version 1 (`docs/sync.md`).
pub mod events {
    use super::*;

    pub const RISK: &str = "visit_risk_assessment";
    pub const CHECK_IN: &str = "visit_check_in";
    pub const RECORD: &str = "visit_record";
    pub const CHECK_OUT: &str = "visit_check_out";
    pub const CONCERN: &str = "visit_concern";
    pub const KINDS: [&str; 5] = [RISK, CHECK_IN, RECORD, CHECK_OUT, CONCERN];

    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct RiskV1 {
        pub school_id: Uuid,
        pub visit_id: Uuid,
        #[serde(flatten)]
        pub risk: RiskAssessment,
    }

    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct CheckInV1 {
        pub school_id: Uuid,
        pub visit_id: Uuid,
        /// By the phone's clock.
        pub checked_in_at: DateTime<Utc>,
        pub expected_finish: DateTime<Utc>,
        /// Who came too, when the risk assessment asked for a second person.
        #[serde(default)]
        pub companion: String,
    }

    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct RecordV1 {
        pub school_id: Uuid,
        pub visit_id: Uuid,
        /// The revision of the record the phone showed when the edit began.
        pub base_revision: i32,
        pub record: VisitRecord,
    }

    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct CheckOutV1 {
        pub school_id: Uuid,
        pub visit_id: Uuid,
        pub checked_out_at: DateTime<Utc>,
    }

    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ConcernV1 {
        pub school_id: Uuid,
        pub visit_id: Uuid,
        pub concern: String,
    }
}

/// What became of a save of a visit record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Saved {
    /// Saved as this new revision.
    Revision(i32),
    /// Someone saved first: kept as a conflict for a person to resolve; nothing overwritten.
    Conflict,
}

/// Whether this person sees the office's watch: overdue check-outs and record conflicts.
pub fn may_watch(viewer: &Viewer, school_id: Uuid) -> bool {
    viewer.can(Permission::WorkCases, school_id) || viewer.can(Permission::TakeRegisters, school_id)
}

/// Whether this person may open `/visits` at all.
#[cfg(feature = "ssr")]
fn require_use(school_id: Uuid) -> Result<Viewer, ServerFnError> {
    use crate::auth::server;
    let viewer = server::require_viewer()?;
    if viewer.can(Permission::RecordVisits, school_id) || may_watch(&viewer, school_id) {
        Ok(viewer)
    } else {
        server::require(Permission::RecordVisits, school_id)
    }
}

/// My visits and the school's alerts; the phone caches the answer for offline use.
#[server(prefix = "/api/fn", endpoint = "visits/mine")]
pub async fn load_my_visits(school_id: Uuid) -> Result<MyVisits, ServerFnError> {
    use crate::auth::server;
    let viewer = require_use(school_id)?;
    queries::my_visits(&server::pool()?, &viewer, school_id, Utc::now())
        .await
        .map_err(server::internal)?
        .ok_or_else(|| server::not_found("There is no such school."))
}

/// One visit of the school, for the office to read and edit its record.
#[server(prefix = "/api/fn", endpoint = "visits/one")]
pub async fn load_visit(school_id: Uuid, visit_id: Uuid) -> Result<Visit, ServerFnError> {
    use crate::auth::server;
    let viewer = require_use(school_id)?;
    let pool = server::pool()?;
    let visit = queries::visit(&pool, &viewer, school_id, visit_id)
        .await
        .map_err(server::internal)?
        .ok_or_else(|| server::not_found("There is no such visit at this school."))?;
    if visit.concern_raised_at.is_some() {
        crate::data_protection::queries::log_view(
            &pool,
            &viewer,
            school_id,
            visit.pupil_id,
            crate::data_protection::ViewedRecord::HomeVisit,
            Some(visit_id),
        )
        .await
        .map_err(server::internal)?;
    }
    Ok(visit)
}

/// Who may be sent on a visit at the school: staff holding a role there that records visits.
#[server(prefix = "/api/fn", endpoint = "visits/officers")]
pub async fn load_officers(school_id: Uuid) -> Result<Vec<Officer>, ServerFnError> {
    use crate::auth::server;
    server::require(Permission::RecordVisits, school_id)?;
    queries::officers(&server::pool()?, school_id)
        .await
        .map_err(server::internal)
}

/// Plans a visit: from a case (`case_id`) or ad hoc, for an officer of the school (me when
/// none is chosen). Returns the visit's id.
#[server(prefix = "/api/fn", endpoint = "visits/plan")]
pub async fn plan_visit(
    school_id: Uuid,
    pupil_id: String,
    case_id: Option<String>,
    officer_id: Option<String>,
    planned_on: NaiveDate,
    reason: String,
) -> Result<Uuid, ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::RecordVisits, school_id)?;
    let parse = |value: Option<String>| -> Result<Option<Uuid>, ServerFnError> {
        match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(value) => Uuid::parse_str(value)
                .map(Some)
                .map_err(|_| server::invalid(format!("\"{value}\" is not an id."))),
        }
    };
    let pupil_id = parse(Some(pupil_id))?.ok_or_else(|| server::invalid("Choose the pupil."))?;
    let plan = queries::NewVisit {
        pupil_id,
        case_id: parse(case_id)?,
        officer_id: parse(officer_id)?.unwrap_or(viewer.staff_id),
        planned_on,
        reason,
    };
    queries::plan(&server::pool()?, viewer.staff_id, school_id, &plan)
        .await
        .map_err(server::internal)?
        .map_err(server::invalid)
}

/// The office edits a visit record. `base_revision` is the revision shown when the edit began:
/// if the record changed since, the edit is kept as a conflict for a person to resolve.
#[server(prefix = "/api/fn", endpoint = "visits/save-record", input = Json)]
pub async fn save_visit_record(
    school_id: Uuid,
    visit_id: Uuid,
    base_revision: i32,
    record: VisitRecord,
) -> Result<Saved, ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::RecordVisits, school_id)?;
    let pool = server::pool()?;
    let mut tx = pool.begin().await.map_err(server::internal)?;
    let saved = queries::save_record(
        &mut tx,
        viewer.staff_id,
        school_id,
        visit_id,
        base_revision,
        &record,
    )
    .await
    .map_err(server::internal)?;
    let saved = match saved {
        Ok(saved) => saved,
        Err(reason) => return Err(server::invalid(reason)),
    };
    tx.commit().await.map_err(server::internal)?;
    Ok(saved)
}

/// Resolves a conflict: keep the record as it stood, or take the second save.
#[server(prefix = "/api/fn", endpoint = "visits/resolve")]
pub async fn resolve_conflict(
    school_id: Uuid,
    conflict_id: Uuid,
    keep: String,
) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::RecordVisits, school_id)?;
    let take_edit = match keep.as_str() {
        "kept" => false,
        "edit" => true,
        _ => return Err(server::invalid("Choose which version to keep.")),
    };
    queries::resolve(&server::pool()?, &viewer, school_id, conflict_id, take_edit)
        .await
        .map_err(server::internal)?
        .map_err(server::not_found)
}

/// The DSL has read a concern: it leaves the alert list (it stays on the visit and the case).
#[server(prefix = "/api/fn", endpoint = "visits/concern-seen")]
pub async fn concern_seen(school_id: Uuid, visit_id: Uuid) -> Result<(), ServerFnError> {
    use crate::auth::server;
    let viewer = server::require(Permission::ViewSafeguarding, school_id)?;
    queries::concern_seen(&server::pool()?, viewer.staff_id, school_id, visit_id)
        .await
        .map_err(server::internal)?
        .map_err(server::not_found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_visit_is_never_made_alone() {
        let alone = RiskAssessment {
            first_visit: true,
            ..RiskAssessment::default()
        };
        assert!(alone.problem().unwrap().contains("never made alone"));
        let together = RiskAssessment {
            first_visit: true,
            second_person_needed: true,
            ..RiskAssessment::default()
        };
        assert_eq!(together.problem(), None);
        assert_eq!(RiskAssessment::default().problem(), None);
    }

    #[test]
    fn the_outcome_leaves_the_notes_out() {
        let record = VisitRecord {
            child_seen: true,
            safe_and_well_checked: true,
            spoke_with: "Mother".to_string(),
            facts: "Bruising".to_string(),
            opinion: "Worried".to_string(),
            ..VisitRecord::default()
        };
        assert_eq!(
            record.outcome(),
            "Child seen; safe and well check done; spoke with Mother"
        );
        let card = VisitRecord {
            no_answer_card_left: true,
            ..record
        };
        assert_eq!(card.outcome(), "No answer; a card was left");
        assert_eq!(VisitRecord::default().outcome(), "Child not seen");
    }

    #[test]
    fn every_source_key_round_trips() {
        for source in [Source::Proposed, Source::Planned, Source::AdHoc] {
            assert_eq!(Source::from_key(source.key()), Some(source));
        }
        assert_eq!(Source::from_key("whim"), None);
    }
}
