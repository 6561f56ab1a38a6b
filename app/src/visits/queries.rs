//! Every query about home visits: planning, the phone's events (risk assessment, check-in,
//! record, concern, check-out), the office's edits and conflicts, the alerts, the case timeline
//! and the DSL's email.
//!
//! The safeguarding rule lives here: once a concern is raised on a visit, its notes (what was
//! said, facts, opinion, agreed actions, next step, the concern itself) come back blank from
//! every query unless the viewer may see safeguarding at the school.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{FromRow, PgPool, Postgres, Transaction};
use uuid::Uuid;

use super::{
    ConcernAlert, Conflict, Contact, MyVisits, Officer, Overdue, PupilChoice, RiskAssessment,
    Saved, Source, Visit, VisitRecord, Watch, events,
};
use crate::{
    audit,
    auth::Viewer,
    cases::CaseEvent,
    domain::{figures::Tally, roles::Permission, triggers::Step},
    letters::mail::{self, MailSettings},
    sync::SyncEvent,
};

/// The pupil's name as the school knows them.
const PUPIL_NAME: &str = "coalesce(p.preferred_first_name, p.legal_first_name) || ' '
    || coalesce(p.preferred_last_name, p.legal_last_name)";

/// A visit with everything the phone shows. `$1` is the school; `$2` is whether the viewer may
/// see safeguarding (the notes of a visit with a concern are blank otherwise).
fn visit_select() -> String {
    let note = |column: &str| {
        format!(
            "case when v.concern_raised_at is null or $2 then v.{column} else '' end as {column}"
        )
    };
    format!(
        "select v.id, v.school_id, v.pupil_id, {PUPIL_NAME} as pupil_name,
            coalesce(f.name, '') as form,
            coalesce((select trim(both ', ' from c.address || ', ' || c.postcode) from contacts c
                      where c.school_id = v.school_id and c.pupil_id = v.pupil_id
                        and c.address <> ''
                      order by c.priority limit 1), '') as address,
            coalesce((select jsonb_agg(jsonb_build_object(
                        'name', trim(c.title || ' ' || c.first_name || ' ' || c.last_name),
                        'relationship', c.relationship,
                        'phone', coalesce(nullif(c.mobile_phone, ''), nullif(c.home_phone, ''),
                                          c.work_phone)) order by c.priority)
                      from contacts c where c.school_id = v.school_id and c.pupil_id = v.pupil_id),
                     '[]'::jsonb) as contacts,
            t.present, t.aea, t.authorised, t.unauthorised,
            v.case_id, cs.stage as case_stage, cs.latest_why as case_why,
            v.officer_id, o.display_name as officer_name, v.planned_on, v.reason, v.source,
            v.status, v.risk_assessed_at, v.risks_known, v.second_person_needed, v.first_visit,
            v.checked_in_at, v.expected_finish, v.companion, v.checked_out_at,
            v.child_seen, v.safe_and_well_checked, v.spoke_with, v.no_answer_card_left,
            {}, {}, {}, {}, {},
            v.recorded_at, v.revision, v.concern_raised_at,
            (v.concern_raised_at is not null and not $2) as notes_hidden
         from home_visits v
         join pupils p on p.school_id = v.school_id and p.id = v.pupil_id
         left join forms f on f.school_id = p.school_id and f.id = p.form_id
         join staff o on o.id = v.officer_id
         left join cases cs on cs.school_id = v.school_id and cs.id = v.case_id
         left join lateral (select a.present, a.aea, a.authorised, a.unauthorised
                            from attendance_totals a
                            where a.school_id = v.school_id and a.pupil_id = v.pupil_id
                            order by a.session_date desc limit 1) t on true",
        note("what_was_said"),
        note("facts"),
        note("opinion"),
        note("agreed_actions"),
        note("next_step"),
    )
}

#[derive(FromRow)]
struct VisitRow {
    id: Uuid,
    school_id: Uuid,
    pupil_id: Uuid,
    pupil_name: String,
    form: String,
    address: String,
    contacts: sqlx::types::Json<Vec<Contact>>,
    present: Option<i32>,
    aea: Option<i32>,
    authorised: Option<i32>,
    unauthorised: Option<i32>,
    case_id: Option<Uuid>,
    case_stage: Option<String>,
    case_why: Option<String>,
    officer_id: Uuid,
    officer_name: String,
    planned_on: NaiveDate,
    reason: String,
    source: String,
    status: String,
    risk_assessed_at: Option<DateTime<Utc>>,
    risks_known: Option<String>,
    second_person_needed: Option<bool>,
    first_visit: Option<bool>,
    checked_in_at: Option<DateTime<Utc>>,
    expected_finish: Option<DateTime<Utc>>,
    companion: String,
    checked_out_at: Option<DateTime<Utc>>,
    child_seen: Option<bool>,
    safe_and_well_checked: Option<bool>,
    spoke_with: String,
    no_answer_card_left: bool,
    what_was_said: String,
    facts: String,
    opinion: String,
    agreed_actions: String,
    next_step: String,
    recorded_at: Option<DateTime<Utc>>,
    revision: i32,
    concern_raised_at: Option<DateTime<Utc>>,
    notes_hidden: bool,
}

impl VisitRow {
    fn visit(self) -> Visit {
        let tally = Tally {
            present: self.present.unwrap_or(0).into(),
            aea: self.aea.unwrap_or(0).into(),
            authorised: self.authorised.unwrap_or(0).into(),
            unauthorised: self.unauthorised.unwrap_or(0).into(),
            ..Tally::default()
        };
        let attendance = match tally.attendance_percent() {
            Some(percent) => format!(
                "{percent:.1}% ({} of {} sessions), {} unauthorised absences",
                tally.attending(),
                tally.possible(),
                tally.unauthorised
            ),
            None => "No sessions marked yet".to_string(),
        };
        let case_summary = self.case_stage.map(|stage| {
            let stage = Step::from_key(&stage).map_or(stage.clone(), |s| s.label().to_string());
            match self.case_why.filter(|why| !why.is_empty()) {
                Some(why) => format!("Stage: {stage}. {why}"),
                None => format!("Stage: {stage}."),
            }
        });
        let risk = self.risk_assessed_at.map(|_| RiskAssessment {
            risks_known: self.risks_known.unwrap_or_default(),
            second_person_needed: self.second_person_needed.unwrap_or(false),
            first_visit: self.first_visit.unwrap_or(false),
        });
        let record = self.recorded_at.map(|_| VisitRecord {
            child_seen: self.child_seen.unwrap_or(false),
            safe_and_well_checked: self.safe_and_well_checked.unwrap_or(false),
            spoke_with: self.spoke_with,
            no_answer_card_left: self.no_answer_card_left,
            what_was_said: self.what_was_said,
            facts: self.facts,
            opinion: self.opinion,
            agreed_actions: self.agreed_actions,
            next_step: self.next_step,
        });
        Visit {
            id: self.id,
            school_id: self.school_id,
            pupil_id: self.pupil_id,
            pupil_name: self.pupil_name,
            form: self.form,
            address: self.address,
            contacts: self.contacts.0,
            attendance,
            case_id: self.case_id,
            case_summary,
            officer_id: self.officer_id,
            officer_name: self.officer_name,
            planned_on: self.planned_on,
            reason: self.reason,
            source: Source::from_key(&self.source).unwrap_or(Source::AdHoc),
            status: self.status,
            risk,
            checked_in_at: self.checked_in_at,
            expected_finish: self.expected_finish,
            companion: self.companion,
            checked_out_at: self.checked_out_at,
            record,
            recorded_at: self.recorded_at,
            revision: self.revision,
            concern_raised_at: self.concern_raised_at,
            notes_hidden: self.notes_hidden,
        }
    }
}

fn sees_safeguarding(viewer: &Viewer, school_id: Uuid) -> bool {
    viewer.can(Permission::ViewSafeguarding, school_id)
}

/// One visit of the school as the viewer may see it.
pub async fn visit(
    pool: &PgPool,
    viewer: &Viewer,
    school_id: Uuid,
    visit_id: Uuid,
) -> Result<Option<Visit>, sqlx::Error> {
    let row: Option<VisitRow> = sqlx::query_as(&format!(
        "{} where v.school_id = $1 and v.id = $3",
        visit_select()
    ))
    .bind(school_id)
    .bind(sees_safeguarding(viewer, school_id))
    .bind(visit_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(VisitRow::visit))
}

/// The viewer's visits (today's first, then the days ahead, then earlier ones not done and
/// the last week's done ones), the officers and pupils to plan with, and the school's alerts.
pub async fn my_visits(
    pool: &PgPool,
    viewer: &Viewer,
    school_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<MyVisits>, sqlx::Error> {
    let Some(today) = crate::school::queries::today_at(pool, school_id).await? else {
        return Ok(None);
    };
    let rows: Vec<VisitRow> = sqlx::query_as(&format!(
        "{} where v.school_id = $1 and v.officer_id = $3 and v.status <> 'cancelled'
            and (v.status <> 'done' or v.planned_on >= $4 - 7)
         order by (v.planned_on = $4) desc, (v.planned_on > $4) desc,
            case when v.planned_on >= $4 then v.planned_on end, v.planned_on desc, v.created_at",
        visit_select()
    ))
    .bind(school_id)
    .bind(sees_safeguarding(viewer, school_id))
    .bind(viewer.staff_id)
    .bind(today)
    .fetch_all(pool)
    .await?;
    let officers = officers(pool, school_id).await?;
    let pupils: Vec<(Uuid, String, String)> = sqlx::query_as(&format!(
        "select p.id, {PUPIL_NAME}, coalesce(f.name, '') from pupils p
         left join forms f on f.school_id = p.school_id and f.id = p.form_id
         where p.school_id = $1 and p.admitted_on <= $2 and (p.left_on is null or p.left_on >= $2)
         order by coalesce(p.preferred_last_name, p.legal_last_name),
             coalesce(p.preferred_first_name, p.legal_first_name)"
    ))
    .bind(school_id)
    .bind(today)
    .fetch_all(pool)
    .await?;
    Ok(Some(MyVisits {
        school_id,
        today,
        visits: rows.into_iter().map(VisitRow::visit).collect(),
        officers,
        pupils: pupils
            .into_iter()
            .map(|(id, name, form)| PupilChoice { id, name, form })
            .collect(),
        watch: watch(pool, viewer, school_id, now).await?,
        fetched_at: now,
    }))
}

/// Who may be sent on a visit: staff with a role at the school that records visits.
pub async fn officers(pool: &PgPool, school_id: Uuid) -> Result<Vec<Officer>, sqlx::Error> {
    let rows: Vec<(Uuid, String)> = sqlx::query_as(
        "select distinct s.id, s.display_name from staff s
         join role_grants g on g.staff_id = s.id
         where g.school_id = $1 and g.role = any($2) and s.disabled_at is null
         order by s.display_name",
    )
    .bind(school_id)
    .bind(
        crate::domain::roles::Role::ALL
            .into_iter()
            .filter(|role| role.allows(Permission::RecordVisits))
            .map(|role| role.key())
            .collect::<Vec<_>>(),
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| Officer { id, name })
        .collect())
}

/// The school's alerts, as far as the viewer may see them: overdue check-outs and conflicts
/// for the office, unseen safeguarding concerns for the DSL.
pub async fn watch(
    pool: &PgPool,
    viewer: &Viewer,
    school_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Watch, sqlx::Error> {
    let can_watch = super::may_watch(viewer, school_id);
    let safeguarding = sees_safeguarding(viewer, school_id);
    let mut watch = Watch {
        can_watch,
        ..Watch::default()
    };
    if can_watch {
        #[allow(clippy::type_complexity)]
        let rows: Vec<(
            Uuid,
            String,
            String,
            String,
            String,
            DateTime<Utc>,
            DateTime<Utc>,
            String,
        )> = sqlx::query_as(&format!(
            "select v.id, {PUPIL_NAME},
                    coalesce((select trim(both ', ' from c.address || ', ' || c.postcode)
                              from contacts c where c.school_id = v.school_id
                                and c.pupil_id = v.pupil_id and c.address <> ''
                              order by c.priority limit 1), ''),
                    o.display_name, o.phone, v.checked_in_at, v.expected_finish, v.companion
                 from home_visits v
                 join pupils p on p.school_id = v.school_id and p.id = v.pupil_id
                 join staff o on o.id = v.officer_id
                 where v.school_id = $1 and v.checked_in_at is not null
                   and v.checked_out_at is null and v.expected_finish < $2
                 order by v.expected_finish"
        ))
        .bind(school_id)
        .bind(now)
        .fetch_all(pool)
        .await?;
        watch.overdue = rows
            .into_iter()
            .map(
                |(
                    visit_id,
                    pupil_name,
                    address,
                    officer_name,
                    officer_phone,
                    checked_in_at,
                    expected_finish,
                    companion,
                )| Overdue {
                    visit_id,
                    pupil_name,
                    address,
                    officer_name,
                    officer_phone,
                    checked_in_at,
                    expected_finish,
                    companion,
                },
            )
            .collect();
    }
    if can_watch || viewer.can(Permission::RecordVisits, school_id) {
        // Someone who records visits sees the conflicts of their own visits; the office all.
        // A visit with a concern shows its conflicting notes to safeguarding staff only.
        let rows: Vec<ConflictRow> = sqlx::query_as(&format!(
            "select k.id, k.visit_id, {PUPIL_NAME} as pupil_name, k.kept, k.edit,
                (select display_name from staff where id = v.recorded_by) as kept_by,
                (select display_name from staff where id = k.edit_by) as edit_by, k.raised_at
             from home_visit_conflicts k
             join home_visits v on v.school_id = k.school_id and v.id = k.visit_id
             join pupils p on p.school_id = v.school_id and p.id = v.pupil_id
             where k.school_id = $1 and k.resolved_at is null
               and ($2 or v.officer_id = $3 or k.edit_by = $3)
               and (v.concern_raised_at is null or $4)
             order by k.raised_at"
        ))
        .bind(school_id)
        .bind(can_watch)
        .bind(viewer.staff_id)
        .bind(safeguarding)
        .fetch_all(pool)
        .await?;
        watch.conflicts = rows.into_iter().map(ConflictRow::conflict).collect();
    }
    if safeguarding {
        let rows: Vec<ConcernRow> = sqlx::query_as(&format!(
            "select v.id as visit_id, v.pupil_id, {PUPIL_NAME} as pupil_name,
                coalesce(f.name, '') as form,
                coalesce((select trim(both ', ' from c.address || ', ' || c.postcode)
                          from contacts c where c.school_id = v.school_id
                            and c.pupil_id = v.pupil_id and c.address <> ''
                          order by c.priority limit 1), '') as address,
                coalesce(s.display_name, '') as raised_by, v.concern_raised_at as raised_at,
                v.concern, v.case_id
             from home_visits v
             join pupils p on p.school_id = v.school_id and p.id = v.pupil_id
             left join forms f on f.school_id = p.school_id and f.id = p.form_id
             left join staff s on s.id = v.concern_raised_by
             where v.school_id = $1 and v.concern_raised_at is not null
               and v.concern_seen_at is null
             order by v.concern_raised_at"
        ))
        .bind(school_id)
        .fetch_all(pool)
        .await?;
        let pupils: Vec<Uuid> = rows.iter().map(|row| row.pupil_id).collect();
        crate::data_protection::queries::log_views(
            pool,
            viewer,
            school_id,
            &pupils,
            crate::data_protection::ViewedRecord::ConcernAlerts,
            None,
        )
        .await?;
        watch.concerns = rows
            .into_iter()
            .map(|row| ConcernAlert {
                visit_id: row.visit_id,
                pupil_name: row.pupil_name,
                form: row.form,
                address: row.address,
                raised_by: row.raised_by,
                raised_at: row.raised_at,
                concern: row.concern,
                case_id: row.case_id,
            })
            .collect();
        watch.no_contact = crate::calling::queries::unseen_alerts(pool, school_id).await?;
    }
    Ok(watch)
}

#[derive(FromRow)]
struct ConcernRow {
    visit_id: Uuid,
    pupil_id: Uuid,
    pupil_name: String,
    form: String,
    address: String,
    raised_by: String,
    raised_at: DateTime<Utc>,
    concern: String,
    case_id: Option<Uuid>,
}

#[derive(FromRow)]
struct ConflictRow {
    id: Uuid,
    visit_id: Uuid,
    pupil_name: String,
    kept: sqlx::types::Json<VisitRecord>,
    edit: sqlx::types::Json<VisitRecord>,
    kept_by: Option<String>,
    edit_by: Option<String>,
    raised_at: DateTime<Utc>,
}

impl ConflictRow {
    fn conflict(self) -> Conflict {
        Conflict {
            id: self.id,
            visit_id: self.visit_id,
            pupil_name: self.pupil_name,
            kept: self.kept.0,
            kept_by: self.kept_by,
            edit: self.edit.0,
            edit_by: self.edit_by,
            raised_at: self.raised_at,
        }
    }
}

/// A visit to plan.
pub struct NewVisit {
    pub pupil_id: Uuid,
    /// The case it is planned from; none for an ad hoc visit.
    pub case_id: Option<Uuid>,
    pub officer_id: Uuid,
    pub planned_on: NaiveDate,
    pub reason: String,
}

/// Plans a visit. The pupil and the case must be this school's, and the officer someone who
/// records visits here. Audited. The inner error says what is wrong, in words.
pub async fn plan(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    visit: &NewVisit,
) -> Result<Result<Uuid, String>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let planned = plan_in(&mut tx, Some(staff_id), school_id, visit, None).await?;
    if planned.is_ok() {
        tx.commit().await?;
    }
    Ok(planned)
}

/// Proposes a visit for the case engine or first-day calling, in their transaction: as
/// `plan`, by no one, marked proposed.
pub async fn propose(
    tx: &mut Transaction<'_, Postgres>,
    school_id: Uuid,
    visit: &NewVisit,
) -> Result<Result<Uuid, String>, sqlx::Error> {
    plan_in(tx, None, school_id, visit, Some(Source::Proposed)).await
}

async fn plan_in(
    tx: &mut Transaction<'_, Postgres>,
    staff_id: Option<Uuid>,
    school_id: Uuid,
    visit: &NewVisit,
    source: Option<Source>,
) -> Result<Result<Uuid, String>, sqlx::Error> {
    if visit.reason.trim().is_empty() {
        return Ok(Err("Say why the visit is needed.".to_string()));
    }
    let pupil: Option<bool> =
        sqlx::query_scalar("select true from pupils where school_id = $1 and id = $2")
            .bind(school_id)
            .bind(visit.pupil_id)
            .fetch_optional(&mut **tx)
            .await?;
    if pupil.is_none() {
        return Ok(Err(
            "There is no such pupil at this school: a visit is planned for the school's own \
             pupils only."
                .to_string(),
        ));
    }
    if let Some(case_id) = visit.case_id {
        let case_pupil: Option<Uuid> =
            sqlx::query_scalar("select pupil_id from cases where school_id = $1 and id = $2")
                .bind(school_id)
                .bind(case_id)
                .fetch_optional(&mut **tx)
                .await?;
        if case_pupil != Some(visit.pupil_id) {
            return Ok(Err(
                "There is no such case for this pupil at this school.".to_string()
            ));
        }
    }
    let roles: Vec<String> = sqlx::query_scalar(
        "select g.role from role_grants g join staff s on s.id = g.staff_id
         where g.staff_id = $1 and g.school_id = $2 and s.disabled_at is null",
    )
    .bind(visit.officer_id)
    .bind(school_id)
    .fetch_all(&mut **tx)
    .await?;
    let visits = roles
        .iter()
        .filter_map(|role| crate::domain::roles::Role::from_key(role))
        .any(|role| role.allows(Permission::RecordVisits));
    if !visits {
        return Ok(Err(
            "That person does not make home visits at this school: choose an officer or home \
             visitor."
                .to_string(),
        ));
    }
    let source = source.unwrap_or(if visit.case_id.is_some() {
        Source::Planned
    } else {
        Source::AdHoc
    });
    let id: Uuid = sqlx::query_scalar(
        "insert into home_visits (school_id, pupil_id, case_id, officer_id, planned_on, reason,
             source, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
    )
    .bind(school_id)
    .bind(visit.pupil_id)
    .bind(visit.case_id)
    .bind(visit.officer_id)
    .bind(visit.planned_on)
    .bind(visit.reason.trim())
    .bind(source.key())
    .bind(staff_id)
    .fetch_one(&mut **tx)
    .await?;
    audit::record(
        &mut **tx,
        staff_id,
        Some(school_id),
        "home_visit_planned",
        &format!("home_visit:{id}"),
        serde_json::json!({ "pupil_id": visit.pupil_id, "case_id": visit.case_id,
            "officer_id": visit.officer_id, "planned_on": visit.planned_on,
            "source": source.key() }),
    )
    .await?;
    Ok(Ok(id))
}

/// What the checks of an event need to know about the visit, locked for the transaction.
#[derive(FromRow)]
struct State {
    risk_assessed_at: Option<DateTime<Utc>>,
    second_person_needed: Option<bool>,
    checked_in_at: Option<DateTime<Utc>>,
    checked_out_at: Option<DateTime<Utc>>,
    concern_raised_at: Option<DateTime<Utc>>,
    revision: i32,
    status: String,
}

async fn lock(
    tx: &mut Transaction<'_, Postgres>,
    school_id: Uuid,
    visit_id: Uuid,
) -> Result<Option<State>, sqlx::Error> {
    sqlx::query_as(
        "select risk_assessed_at, second_person_needed, checked_in_at, checked_out_at,
            concern_raised_at, revision, status
         from home_visits where school_id = $1 and id = $2 for update",
    )
    .bind(school_id)
    .bind(visit_id)
    .fetch_optional(&mut **tx)
    .await
}

fn no_such_visit() -> String {
    "There is no such visit at this school: it may have been planned at another school.".to_string()
}

/// Applies one visit event of a push, in the push's transaction: `Ok` with what was done, or
/// the reason it was refused, in words for the person holding the phone.
pub async fn apply_event(
    tx: &mut Transaction<'_, Postgres>,
    staff_id: Uuid,
    school_id: Uuid,
    event: &SyncEvent,
    now: DateTime<Utc>,
) -> Result<Result<String, String>, sqlx::Error> {
    fn read<T: serde::de::DeserializeOwned>(event: &SyncEvent) -> Result<T, String> {
        serde_json::from_value(event.payload.clone())
            .map_err(|error| format!("The payload is not a {}: {error}.", event.kind))
    }
    let school_of = |payload_school: Uuid| {
        (payload_school == school_id).then_some(()).ok_or_else(|| {
            "This event is for another school than the device's: a device pushes for its own \
             school only."
                .to_string()
        })
    };
    macro_rules! try_event {
        ($result:expr) => {
            match $result {
                Ok(value) => value,
                Err(reason) => return Ok(Err(reason)),
            }
        };
    }
    match event.kind.as_str() {
        events::RISK => {
            let payload: events::RiskV1 = try_event!(read(event));
            try_event!(school_of(payload.school_id));
            if let Some(problem) = payload.risk.problem() {
                return Ok(Err(problem));
            }
            let Some(state) = lock(tx, school_id, payload.visit_id).await? else {
                return Ok(Err(no_such_visit()));
            };
            if state.checked_in_at.is_some() {
                return Ok(Err(
                    "The visit has started: its risk assessment can no longer change.".to_string(),
                ));
            }
            sqlx::query(
                "update home_visits set risks_known = $3, second_person_needed = $4,
                    first_visit = $5, risk_assessed_by = $6, risk_assessed_at = $7
                 where school_id = $1 and id = $2",
            )
            .bind(school_id)
            .bind(payload.visit_id)
            .bind(payload.risk.risks_known.trim())
            .bind(payload.risk.second_person_needed)
            .bind(payload.risk.first_visit)
            .bind(staff_id)
            .bind(now)
            .execute(&mut **tx)
            .await?;
            Ok(Ok("Risk assessment saved.".to_string()))
        }
        events::CHECK_IN => {
            let payload: events::CheckInV1 = try_event!(read(event));
            try_event!(school_of(payload.school_id));
            let Some(state) = lock(tx, school_id, payload.visit_id).await? else {
                return Ok(Err(no_such_visit()));
            };
            if state.risk_assessed_at.is_none() {
                return Ok(Err(
                    "Complete the risk assessment before starting the visit: the visit has not \
                     started."
                        .to_string(),
                ));
            }
            if state.checked_in_at.is_some() {
                return Ok(Err("The visit was already checked in.".to_string()));
            }
            if state.second_person_needed == Some(true) && payload.companion.trim().is_empty() {
                return Ok(Err(
                    "The risk assessment says a second person is needed: say who is with you."
                        .to_string(),
                ));
            }
            if payload.expected_finish <= payload.checked_in_at {
                return Ok(Err(
                    "The expected finish must be after the check-in.".to_string()
                ));
            }
            if payload.checked_in_at > now + chrono::Duration::minutes(5) {
                return Ok(Err(
                    "The check-in is in the future by the server's clock: set the phone's clock."
                        .to_string(),
                ));
            }
            sqlx::query(
                "update home_visits set checked_in_at = $3, expected_finish = $4, companion = $5,
                    status = 'under_way'
                 where school_id = $1 and id = $2",
            )
            .bind(school_id)
            .bind(payload.visit_id)
            .bind(payload.checked_in_at)
            .bind(payload.expected_finish)
            .bind(payload.companion.trim())
            .execute(&mut **tx)
            .await?;
            Ok(Ok("Checked in.".to_string()))
        }
        events::RECORD => {
            let payload: events::RecordV1 = try_event!(read(event));
            try_event!(school_of(payload.school_id));
            match save_record(
                tx,
                staff_id,
                school_id,
                payload.visit_id,
                payload.base_revision,
                &payload.record,
            )
            .await?
            {
                Ok(Saved::Revision(_)) => Ok(Ok("Visit record saved.".to_string())),
                Ok(Saved::Conflict) => Ok(Ok(
                    "Someone else saved this visit's record first: both versions are kept as a \
                     conflict for a person to resolve."
                        .to_string(),
                )),
                Err(reason) => Ok(Err(reason)),
            }
        }
        events::CHECK_OUT => {
            let payload: events::CheckOutV1 = try_event!(read(event));
            try_event!(school_of(payload.school_id));
            let Some(state) = lock(tx, school_id, payload.visit_id).await? else {
                return Ok(Err(no_such_visit()));
            };
            let Some(checked_in_at) = state.checked_in_at else {
                return Ok(Err(
                    "Check in before checking out: this visit was never checked in.".to_string(),
                ));
            };
            if state.checked_out_at.is_some() {
                return Ok(Err("The visit was already checked out.".to_string()));
            }
            if payload.checked_out_at < checked_in_at {
                return Ok(Err("The check-out is before the check-in.".to_string()));
            }
            sqlx::query(
                "update home_visits set checked_out_at = $3, status = 'done'
                 where school_id = $1 and id = $2",
            )
            .bind(school_id)
            .bind(payload.visit_id)
            .bind(payload.checked_out_at)
            .execute(&mut **tx)
            .await?;
            Ok(Ok("Checked out.".to_string()))
        }
        events::CONCERN => {
            let payload: events::ConcernV1 = try_event!(read(event));
            try_event!(school_of(payload.school_id));
            if payload.concern.trim().is_empty() {
                return Ok(Err("Say what the concern is.".to_string()));
            }
            let Some(state) = lock(tx, school_id, payload.visit_id).await? else {
                return Ok(Err(no_such_visit()));
            };
            let _ = state.status;
            raise_concern(
                tx,
                staff_id,
                school_id,
                payload.visit_id,
                &payload.concern,
                now,
            )
            .await?;
            Ok(Ok(if state.concern_raised_at.is_some() {
                "Added to the concern already with the DSL.".to_string()
            } else {
                "The concern is with the DSL.".to_string()
            }))
        }
        _ => Ok(Err(format!(
            "\"{}\" is not a kind of visit event.",
            event.kind
        ))),
    }
}

/// Raises (or adds to) a safeguarding concern: the DSL's alert list shows it at once, the
/// email goes when the server can send it, and from now on the notes are for safeguarding
/// staff only. Audited.
async fn raise_concern(
    tx: &mut Transaction<'_, Postgres>,
    staff_id: Uuid,
    school_id: Uuid,
    visit_id: Uuid,
    concern: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update home_visits set
            concern = case when concern = '' then $3 else concern || E'\\n\\n' || $3 end,
            concern_raised_at = coalesce(concern_raised_at, $4),
            concern_raised_by = coalesce(concern_raised_by, $5),
            concern_seen_at = null, concern_seen_by = null,
            concern_emailed_at = null, concern_email_error = null
         where school_id = $1 and id = $2",
    )
    .bind(school_id)
    .bind(visit_id)
    .bind(concern.trim())
    .bind(now)
    .bind(staff_id)
    .execute(&mut **tx)
    .await?;
    audit::record(
        &mut **tx,
        Some(staff_id),
        Some(school_id),
        "home_visit_concern",
        &format!("home_visit:{visit_id}"),
        serde_json::json!({}),
    )
    .await
}

/// Saves a visit record based on `base_revision`. When the record has moved on since, the
/// edit is kept as a conflict beside the record as it stands, and nothing is overwritten.
/// The visit must be risk assessed first. Audited.
pub async fn save_record(
    tx: &mut Transaction<'_, Postgres>,
    staff_id: Uuid,
    school_id: Uuid,
    visit_id: Uuid,
    base_revision: i32,
    record: &VisitRecord,
) -> Result<Result<Saved, String>, sqlx::Error> {
    let Some(state) = lock(tx, school_id, visit_id).await? else {
        return Ok(Err(no_such_visit()));
    };
    if state.risk_assessed_at.is_none() {
        return Ok(Err(
            "Complete the risk assessment before the visit: nothing was recorded.".to_string(),
        ));
    }
    if base_revision != state.revision {
        let kept: sqlx::types::Json<VisitRecord> = sqlx::query_scalar(
            "select jsonb_build_object('child_seen', coalesce(child_seen, false),
                'safe_and_well_checked', coalesce(safe_and_well_checked, false),
                'spoke_with', spoke_with, 'no_answer_card_left', no_answer_card_left,
                'what_was_said', what_was_said, 'facts', facts, 'opinion', opinion,
                'agreed_actions', agreed_actions, 'next_step', next_step)
             from home_visits where school_id = $1 and id = $2",
        )
        .bind(school_id)
        .bind(visit_id)
        .fetch_one(&mut **tx)
        .await?;
        let conflict_id: Uuid = sqlx::query_scalar(
            "insert into home_visit_conflicts (school_id, visit_id, base_revision,
                found_revision, kept, edit, edit_by)
             values ($1, $2, $3, $4, $5, $6, $7) returning id",
        )
        .bind(school_id)
        .bind(visit_id)
        .bind(base_revision)
        .bind(state.revision)
        .bind(kept)
        .bind(sqlx::types::Json(record))
        .bind(staff_id)
        .fetch_one(&mut **tx)
        .await?;
        audit::record(
            &mut **tx,
            Some(staff_id),
            Some(school_id),
            "home_visit_conflict",
            &format!("home_visit:{visit_id}"),
            serde_json::json!({ "conflict_id": conflict_id, "base_revision": base_revision,
                "found_revision": state.revision }),
        )
        .await?;
        return Ok(Ok(Saved::Conflict));
    }
    let revision = write_record(tx, staff_id, school_id, visit_id, record).await?;
    Ok(Ok(Saved::Revision(revision)))
}

async fn write_record(
    tx: &mut Transaction<'_, Postgres>,
    staff_id: Uuid,
    school_id: Uuid,
    visit_id: Uuid,
    record: &VisitRecord,
) -> Result<i32, sqlx::Error> {
    let revision: i32 = sqlx::query_scalar(
        "update home_visits set child_seen = $3, safe_and_well_checked = $4, spoke_with = $5,
            no_answer_card_left = $6, what_was_said = $7, facts = $8, opinion = $9,
            agreed_actions = $10, next_step = $11, recorded_by = $12,
            recorded_at = coalesce(recorded_at, now()), revision = revision + 1
         where school_id = $1 and id = $2 returning revision",
    )
    .bind(school_id)
    .bind(visit_id)
    .bind(record.child_seen)
    .bind(record.safe_and_well_checked)
    .bind(record.spoke_with.trim())
    .bind(record.no_answer_card_left)
    .bind(record.what_was_said.trim())
    .bind(record.facts.trim())
    .bind(record.opinion.trim())
    .bind(record.agreed_actions.trim())
    .bind(record.next_step.trim())
    .bind(staff_id)
    .fetch_one(&mut **tx)
    .await?;
    audit::record(
        &mut **tx,
        Some(staff_id),
        Some(school_id),
        "home_visit_recorded",
        &format!("home_visit:{visit_id}"),
        serde_json::json!({ "revision": revision }),
    )
    .await?;
    Ok(revision)
}

/// Resolves an open conflict of the school: keep the record as it stands, or replace it with
/// the second save. A conflict on a visit with a concern is for safeguarding staff only.
pub async fn resolve(
    pool: &PgPool,
    viewer: &Viewer,
    school_id: Uuid,
    conflict_id: Uuid,
    take_edit: bool,
) -> Result<Result<(), String>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let found: Option<(Uuid, sqlx::types::Json<VisitRecord>, Option<DateTime<Utc>>)> =
        sqlx::query_as(
            "select k.visit_id, k.edit, v.concern_raised_at from home_visit_conflicts k
             join home_visits v on v.school_id = k.school_id and v.id = k.visit_id
             where k.school_id = $1 and k.id = $2 and k.resolved_at is null
             for update of k",
        )
        .bind(school_id)
        .bind(conflict_id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some((visit_id, edit, concern)) = found else {
        return Ok(Err(
            "There is no such open conflict at this school.".to_string()
        ));
    };
    if concern.is_some() && !sees_safeguarding(viewer, school_id) {
        return Ok(Err(
            "There is no such open conflict at this school.".to_string()
        ));
    }
    if take_edit {
        write_record(&mut tx, viewer.staff_id, school_id, visit_id, &edit.0).await?;
    }
    sqlx::query(
        "update home_visit_conflicts set resolved_at = now(), resolved_by = $3, resolution = $4
         where school_id = $1 and id = $2",
    )
    .bind(school_id)
    .bind(conflict_id)
    .bind(viewer.staff_id)
    .bind(if take_edit { "edit" } else { "kept" })
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Some(viewer.staff_id),
        Some(school_id),
        "home_visit_conflict_resolved",
        &format!("home_visit:{visit_id}"),
        serde_json::json!({ "conflict_id": conflict_id, "took_edit": take_edit }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// The DSL has read the concern: it leaves the alert list.
pub async fn concern_seen(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    visit_id: Uuid,
) -> Result<Result<(), String>, sqlx::Error> {
    let done = sqlx::query(
        "update home_visits set concern_seen_at = now(), concern_seen_by = $3
         where school_id = $1 and id = $2 and concern_raised_at is not null",
    )
    .bind(school_id)
    .bind(visit_id)
    .bind(staff_id)
    .execute(pool)
    .await?
    .rows_affected();
    if done == 0 {
        return Ok(Err("There is no such concern at this school.".to_string()));
    }
    audit::record(
        pool,
        Some(staff_id),
        Some(school_id),
        "home_visit_concern_seen",
        &format!("home_visit:{visit_id}"),
        serde_json::json!({}),
    )
    .await?;
    Ok(Ok(()))
}

#[derive(FromRow)]
struct TimelineRow {
    id: Uuid,
    created_at: DateTime<Utc>,
    created_by: Option<String>,
    planned_on: NaiveDate,
    reason: String,
    source: String,
    officer: String,
    recorded_at: Option<DateTime<Utc>>,
    recorded_by: Option<String>,
    child_seen: Option<bool>,
    safe_and_well_checked: Option<bool>,
    spoke_with: String,
    no_answer_card_left: bool,
    next_step: String,
    concern_raised_at: Option<DateTime<Utc>>,
    concern_by: Option<String>,
    concern: String,
}

/// The pupil's visits as entries of a case's timeline: planned, made (the outcome only), and
/// the concern (a safeguarding entry, left out for anyone who may not see safeguarding).
pub async fn timeline(
    pool: &PgPool,
    school_id: Uuid,
    pupil_id: Uuid,
    sees_safeguarding: bool,
) -> Result<Vec<CaseEvent>, sqlx::Error> {
    let rows: Vec<TimelineRow> = sqlx::query_as(
        "select v.id, v.created_at, c.display_name as created_by, v.planned_on, v.reason,
            v.source, o.display_name as officer, v.recorded_at, r.display_name as recorded_by,
            v.child_seen, v.safe_and_well_checked, v.spoke_with, v.no_answer_card_left,
            v.next_step, v.concern_raised_at, k.display_name as concern_by, v.concern
         from home_visits v
         join staff o on o.id = v.officer_id
         left join staff c on c.id = v.created_by
         left join staff r on r.id = v.recorded_by
         left join staff k on k.id = v.concern_raised_by
         where v.school_id = $1 and v.pupil_id = $2 and v.status <> 'cancelled'",
    )
    .bind(school_id)
    .bind(pupil_id)
    .fetch_all(pool)
    .await?;
    let mut events = Vec::new();
    for row in rows {
        let detail = serde_json::json!({ "visit_id": row.id });
        let event = |kind: &str, at, by, summary: String, safeguarding| CaseEvent {
            id: 0,
            kind: kind.to_string(),
            at,
            by_name: by,
            summary,
            detail: detail.clone(),
            safeguarding,
            answered: false,
            answers_id: None,
        };
        let source = Source::from_key(&row.source).unwrap_or(Source::AdHoc);
        events.push(event(
            "visit_planned",
            row.created_at,
            row.created_by.clone(),
            format!(
                "Home visit planned for {} by {} ({}): {}",
                row.planned_on.format("%a %-d %b %Y"),
                row.officer,
                source.label().to_lowercase(),
                row.reason
            ),
            false,
        ));
        if let Some(recorded_at) = row.recorded_at {
            let record = VisitRecord {
                child_seen: row.child_seen.unwrap_or(false),
                safe_and_well_checked: row.safe_and_well_checked.unwrap_or(false),
                spoke_with: row.spoke_with.clone(),
                no_answer_card_left: row.no_answer_card_left,
                ..VisitRecord::default()
            };
            // The next step is a note: left out once a concern makes the notes safeguarding.
            let next = if !row.next_step.is_empty()
                && (row.concern_raised_at.is_none() || sees_safeguarding)
            {
                format!(" Next step: {}", row.next_step)
            } else {
                String::new()
            };
            events.push(event(
                "visit_made",
                recorded_at,
                row.recorded_by.clone(),
                format!("Home visit made: {}.{next}", record.outcome()),
                false,
            ));
        }
        if let (Some(raised_at), true) = (row.concern_raised_at, sees_safeguarding) {
            events.push(event(
                "visit_concern",
                raised_at,
                row.concern_by.clone(),
                format!(
                    "Safeguarding concern raised at a home visit: {}",
                    row.concern
                ),
                true,
            ));
        }
    }
    Ok(events)
}

/// Emails each DSL of the school about concerns not emailed yet. The email names the pupil and
/// who raised it, never the notes: those are read in Rollcall. Runs after a push, when the
/// server has a relay; a failure is kept on the visit and tried again after the next push.
pub async fn email_new_concerns(
    pool: &PgPool,
    settings: &MailSettings,
) -> Result<usize, sqlx::Error> {
    let Some(relay) = &settings.smtp else {
        return Ok(0);
    };
    let pending: Vec<(Uuid, Uuid, String, String)> = sqlx::query_as(&format!(
        "select v.school_id, v.id, {PUPIL_NAME}, coalesce(s.display_name, 'An officer')
         from home_visits v
         join pupils p on p.school_id = v.school_id and p.id = v.pupil_id
         left join staff s on s.id = v.concern_raised_by
         where v.concern_raised_at is not null and v.concern_emailed_at is null
           and v.concern_raised_at > now() - interval '7 days'"
    ))
    .fetch_all(pool)
    .await?;
    let mut sent = 0;
    for (school_id, visit_id, pupil, raised_by) in pending {
        let dsls: Vec<(String, String)> = sqlx::query_as(
            "select s.display_name, s.email from staff s
             join role_grants g on g.staff_id = s.id
             where g.school_id = $1 and g.role = 'dsl' and s.disabled_at is null",
        )
        .bind(school_id)
        .fetch_all(pool)
        .await?;
        let subject = format!("Safeguarding concern from a home visit: {pupil}");
        let body = format!(
            "{raised_by} raised a safeguarding concern at a home visit for {pupil}.\n\n\
             Read it in Rollcall, under My visits: the notes are not sent by email."
        );
        let mut error = None;
        for (name, email) in &dsls {
            if let Err(problem) = mail::send(relay, name, email, &subject, &body).await {
                error = Some(problem);
            }
        }
        if dsls.is_empty() {
            error = Some("The school has no designated safeguarding lead to email.".to_string());
        }
        sqlx::query(
            "update home_visits set concern_emailed_at = case when $3::text is null then now() end,
                concern_email_error = $3
             where school_id = $1 and id = $2",
        )
        .bind(school_id)
        .bind(visit_id)
        .bind(&error)
        .execute(pool)
        .await?;
        if error.is_none() {
            sent += 1;
        }
    }
    Ok(sent)
}
