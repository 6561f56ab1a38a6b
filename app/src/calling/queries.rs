//! Every query of first-day calling: the day's list, attempts, reasons set on the register
//! (through `registers::queries::write_marks`, the one write path for marks) and the school's
//! deadlines.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::{
    Attempt, CallContact, CallPupil, CalledPupil, CallingCounts, CallingDay, CallingDeadlines,
    Escalation, METHODS, NoContactAlert, OUTCOMES, reason_codes,
};
use crate::{
    audit,
    auth::Viewer,
    domain::{
        codes::{Code, Session},
        roles::Permission,
    },
    registers::queries::{MarkWrite, Refused, Seen, refusal, write_marks},
    school::{DayKind, queries as school},
};

/// The longest note kept with an attempt.
pub const MAX_NOTE_CHARS: usize = 1000;

pub async fn deadlines(
    pool: &PgPool,
    school_id: Uuid,
) -> Result<Option<CallingDeadlines>, sqlx::Error> {
    let row: Option<(i32, i32)> = sqlx::query_as(
        "select calling_dsl_alert_minutes, calling_home_visit_minutes from schools where id = $1",
    )
    .bind(school_id)
    .fetch_optional(pool)
    .await?;
    Ok(
        row.map(|(dsl_alert_minutes, home_visit_minutes)| CallingDeadlines {
            dsl_alert_minutes,
            home_visit_minutes,
        }),
    )
}

/// Sets the deadlines, checked by `CallingDeadlines::checked`, and audits the change with the
/// deadlines before and after.
pub async fn save_deadlines(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    deadlines: CallingDeadlines,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let before: (i32, i32) = sqlx::query_as(
        "select calling_dsl_alert_minutes, calling_home_visit_minutes from schools
         where id = $1 for update",
    )
    .bind(school_id)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "update schools set calling_dsl_alert_minutes = $2, calling_home_visit_minutes = $3
         where id = $1",
    )
    .bind(school_id)
    .bind(deadlines.dsl_alert_minutes)
    .bind(deadlines.home_visit_minutes)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "calling_deadlines_changed",
        &format!("school:{school_id}"),
        serde_json::json!({
            "before": { "dsl_alert_minutes": before.0, "home_visit_minutes": before.1 },
            "after": deadlines,
        }),
    )
    .await?;
    tx.commit().await
}

#[derive(sqlx::FromRow)]
struct PupilRow {
    id: Uuid,
    name: String,
    form: String,
    form_id: Option<Uuid>,
    am_id: Option<i64>,
    am_code: Option<String>,
    pm_id: Option<i64>,
    pm_code: Option<String>,
    safeguarding_status: String,
}

#[derive(sqlx::FromRow)]
struct ContactRow {
    pupil_id: Uuid,
    id: Uuid,
    priority: i32,
    name: String,
    relationship: String,
    mobile_phone: String,
    home_phone: String,
    work_phone: String,
    email: String,
    preferred_contact: String,
}

#[derive(sqlx::FromRow)]
struct AttemptRow {
    pupil_id: Uuid,
    id: Uuid,
    contact_id: Option<Uuid>,
    contact_name: String,
    method: String,
    outcome: String,
    note: String,
    reason_code: Option<String>,
    recorded_by: Option<String>,
    recorded_at: DateTime<Utc>,
}

impl AttemptRow {
    fn attempt(self) -> Attempt {
        Attempt {
            id: self.id,
            contact_id: self.contact_id,
            contact_name: self.contact_name,
            method: self.method,
            outcome: self.outcome,
            note: self.note,
            reason_code: self.reason_code,
            recorded_by: self.recorded_by,
            recorded_at: self.recorded_at,
        }
    }
}

const ATTEMPT_SELECT: &str = "select a.pupil_id, a.id, a.contact_id, a.contact_name, a.method,
        a.outcome, a.note, a.reason_code, s.display_name as recorded_by, a.recorded_at
     from contact_attempts a left join staff s on s.id = a.recorded_by";

/// Every attempt to reach one pupil's family for the sessions from `from` to `to`, in order.
pub async fn pupil_attempts(
    pool: &PgPool,
    school_id: Uuid,
    pupil_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Attempt>, sqlx::Error> {
    let rows: Vec<AttemptRow> = sqlx::query_as(&format!(
        "{ATTEMPT_SELECT}
         where a.school_id = $1 and a.pupil_id = $2 and a.session_date between $3 and $4
         order by a.recorded_at, a.id"
    ))
    .bind(school_id)
    .bind(pupil_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(AttemptRow::attempt).collect())
}

/// The escalation a pupil not reached has `minutes` after the register closed.
pub fn escalation(deadlines: CallingDeadlines, reached: bool, minutes: i64) -> Escalation {
    if reached {
        Escalation::None
    } else if minutes >= i64::from(deadlines.home_visit_minutes) {
        Escalation::HomeVisit
    } else if minutes >= i64::from(deadlines.dsl_alert_minutes) {
        Escalation::DslAlert
    } else {
        Escalation::None
    }
}

/// A day's calling at a school as `viewer` may see it; `None` when there is no such school.
pub async fn calling_day(
    pool: &PgPool,
    viewer: &Viewer,
    school_id: Uuid,
    date: Option<NaiveDate>,
) -> Result<Option<CallingDay>, sqlx::Error> {
    let Some(now) = school::now_at(pool, school_id).await? else {
        return Ok(None);
    };
    calling_day_at(pool, viewer, school_id, date, now).await
}

/// As `calling_day`, with the school's clocks reading `now`.
pub async fn calling_day_at(
    pool: &PgPool,
    viewer: &Viewer,
    school_id: Uuid,
    date: Option<NaiveDate>,
    now: chrono::NaiveDateTime,
) -> Result<Option<CallingDay>, sqlx::Error> {
    let safeguarding = viewer.can(Permission::ViewSafeguarding, school_id);
    let day = list_at(pool, school_id, date, now, safeguarding).await?;
    if let Some(day) = &day {
        let mut flagged: Vec<Uuid> = (day.pupils.iter().chain(&day.escalations))
            .filter(|pupil| pupil.safeguarding.is_some())
            .map(|pupil| pupil.pupil_id)
            .collect();
        flagged.sort();
        flagged.dedup();
        crate::data_protection::queries::log_views(
            pool,
            viewer,
            school_id,
            &flagged,
            crate::data_protection::ViewedRecord::CallingList,
            None,
        )
        .await?;
    }
    Ok(day)
}

/// The day's list with the school's clocks reading `now`; `safeguarding` says whether the
/// pupils' child-in-need and protection-plan flags are shown (and put first).
async fn list_at(
    pool: &PgPool,
    school_id: Uuid,
    date: Option<NaiveDate>,
    now: chrono::NaiveDateTime,
    safeguarding: bool,
) -> Result<Option<CallingDay>, sqlx::Error> {
    let Some(times) = school::session_times(pool, school_id).await? else {
        return Ok(None);
    };
    let Some(deadlines) = deadlines(pool, school_id).await? else {
        return Ok(None);
    };
    let school_name: String = sqlx::query_scalar("select name from schools where id = $1")
        .bind(school_id)
        .fetch_one(pool)
        .await?;
    let date = date.unwrap_or(now.date());
    let kind = school::day_kind(pool, school_id, date).await?;
    let not_a_school_day = match &kind {
        DayKind::SchoolDay { .. } => None,
        other => Some(format!(
            "{} is {}: there is no register to call about.",
            date.format("%A %-d %B %Y"),
            other.describe()
        )),
    };
    let list_opens_at = date.and_time(times.am_register_closes());
    let open = not_a_school_day.is_none() && now >= list_opens_at;
    let mut day = CallingDay {
        school_id,
        school_name,
        date,
        not_a_school_day,
        list_opens_at,
        open,
        deadlines,
        counts: CallingCounts::default(),
        pupils: Vec::new(),
        done: Vec::new(),
        escalations: Vec::new(),
    };
    if !open {
        return Ok(Some(day));
    }
    let minutes_since_close = (now - list_opens_at).num_minutes();

    let rows: Vec<PupilRow> = sqlx::query_as(
        "select p.id,
                coalesce(p.preferred_last_name, p.legal_last_name) || ', '
                    || coalesce(p.preferred_first_name, p.legal_first_name) as name,
                coalesce(f.name, '') as form, p.form_id,
                am.id as am_id, am.code as am_code, pm.id as pm_id, pm.code as pm_code,
                p.safeguarding_status
         from pupils p
         join year_groups yg on yg.school_id = p.school_id and yg.id = p.year_group_id
         left join forms f on f.school_id = p.school_id and f.id = p.form_id
         left join marks am on am.school_id = p.school_id and am.pupil_id = p.id
             and am.session_date = $2 and am.session = 'AM' and am.is_current
         left join marks pm on pm.school_id = p.school_id and pm.pupil_id = p.id
             and pm.session_date = $2 and pm.session = 'PM' and pm.is_current
         where p.school_id = $1 and p.admitted_on <= $2 and (p.left_on is null or p.left_on >= $2)
           and (am.id is null or am.code = 'N'
                or exists (select 1 from contact_attempts a where a.school_id = p.school_id
                           and a.pupil_id = p.id and a.session_date = $2))
         order by yg.nc_year, f.name nulls last, 2",
    )
    .bind(school_id)
    .bind(date)
    .fetch_all(pool)
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();

    let mut contacts: HashMap<Uuid, Vec<CallContact>> = HashMap::new();
    let contact_rows: Vec<ContactRow> = sqlx::query_as(
        "select pupil_id, id, priority,
                trim(both ' ' from title || ' ' || first_name || ' ' || last_name) as name,
                relationship, mobile_phone, home_phone, work_phone, email, preferred_contact
         from contacts where school_id = $1 and pupil_id = any($2)
         order by pupil_id, priority",
    )
    .bind(school_id)
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    for row in contact_rows {
        contacts.entry(row.pupil_id).or_default().push(CallContact {
            id: row.id,
            priority: row.priority,
            name: row.name,
            relationship: row.relationship,
            mobile_phone: row.mobile_phone,
            home_phone: row.home_phone,
            work_phone: row.work_phone,
            email: row.email,
            preferred_contact: row.preferred_contact,
        });
    }

    let mut attempts: HashMap<Uuid, Vec<Attempt>> = HashMap::new();
    let attempt_rows: Vec<AttemptRow> = sqlx::query_as(&format!(
        "{ATTEMPT_SELECT}
         where a.school_id = $1 and a.session_date = $2 and a.pupil_id = any($3)
         order by a.recorded_at, a.id"
    ))
    .bind(school_id)
    .bind(date)
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    for row in attempt_rows {
        attempts
            .entry(row.pupil_id)
            .or_default()
            .push(row.attempt());
    }

    for row in rows {
        let pupil_attempts = attempts.remove(&row.id).unwrap_or_default();
        let still_to_call = row.am_code.as_deref().is_none_or(|code| code == "N");
        if !still_to_call {
            day.counts.done += 1;
            day.done.push(CalledPupil {
                pupil_id: row.id,
                pupil_name: row.name,
                form: row.form,
                am_code: row.am_code.unwrap_or_default(),
                attempts: pupil_attempts.len() as i64,
            });
            continue;
        }
        let reached = pupil_attempts.iter().any(|a| a.outcome == "reached");
        if reached {
            day.counts.reached += 1;
        } else if pupil_attempts.is_empty() {
            day.counts.to_call += 1;
        } else {
            day.counts.not_reached += 1;
        }
        day.pupils.push(CallPupil {
            pupil_id: row.id,
            pupil_name: row.name,
            form: row.form,
            form_id: row.form_id,
            am_code: row.am_code,
            am_mark_id: row.am_id,
            pm_code: row.pm_code,
            pm_mark_id: row.pm_id,
            safeguarding: (safeguarding && row.safeguarding_status != "none")
                .then_some(row.safeguarding_status),
            contacts: contacts.remove(&row.id).unwrap_or_default(),
            attempts: pupil_attempts,
            reached,
            escalation: escalation(deadlines, reached, minutes_since_close),
        });
    }
    let mut escalations: Vec<CallPupil> = day
        .pupils
        .iter()
        .filter(|p| p.escalation != Escalation::None)
        .cloned()
        .collect();
    escalations.sort_by_key(|p| {
        (
            p.safeguarding.is_none(),
            p.escalation != Escalation::HomeVisit,
            p.pupil_name.clone(),
        )
    });
    day.escalations = escalations;
    Ok(Some(day))
}

/// What one run of `escalate` raised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Escalated {
    pub dsl_alerts: usize,
    pub visits_proposed: usize,
}

/// Acts on the escalations of the day's calling with the school's clocks reading `now`: a pupil
/// nobody reached by the DSL deadline raises an alert for the DSL, and by the home-visit
/// deadline a home visit for today too, proposed to the case's owner or else the first of the
/// school's home visitors, officers, lead and DSL. Each is raised once per pupil per day, so the
/// server can run this every few minutes; two runs at once wait for each other.
pub async fn escalate(
    pool: &PgPool,
    school_id: Uuid,
    now: chrono::NaiveDateTime,
) -> Result<Escalated, sqlx::Error> {
    let mut raised = Escalated::default();
    let Some(day) = list_at(pool, school_id, None, now, true).await? else {
        return Ok(raised);
    };
    if day.escalations.is_empty() {
        return Ok(raised);
    }
    let mut tx = pool.begin().await?;
    sqlx::query(
        "select pg_advisory_xact_lock(hashtext('calling_escalations'), hashtext($1::text))",
    )
    .bind(school_id)
    .execute(&mut *tx)
    .await?;
    for pupil in &day.escalations {
        let alerted = sqlx::query(
            "insert into calling_escalations (school_id, pupil_id, session_date, kind)
             values ($1, $2, $3, 'dsl_alert') on conflict do nothing",
        )
        .bind(school_id)
        .bind(pupil.pupil_id)
        .bind(day.date)
        .execute(&mut *tx)
        .await?;
        raised.dsl_alerts += alerted.rows_affected() as usize;
        if pupil.escalation != Escalation::HomeVisit {
            continue;
        }
        let proposed_already: bool = sqlx::query_scalar(
            "select exists (select 1 from calling_escalations where school_id = $1
                 and pupil_id = $2 and session_date = $3 and kind = 'home_visit')",
        )
        .bind(school_id)
        .bind(pupil.pupil_id)
        .bind(day.date)
        .fetch_one(&mut *tx)
        .await?;
        if proposed_already {
            continue;
        }
        let visit_id = propose_visit(&mut tx, school_id, pupil, &day).await?;
        raised.visits_proposed += usize::from(visit_id.is_some());
        sqlx::query(
            "insert into calling_escalations (school_id, pupil_id, session_date, kind, visit_id)
             values ($1, $2, $3, 'home_visit', $4)",
        )
        .bind(school_id)
        .bind(pupil.pupil_id)
        .bind(day.date)
        .bind(visit_id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(raised)
}

/// The no-contact alerts the DSL has not read yet, oldest first.
pub async fn unseen_alerts(
    pool: &PgPool,
    school_id: Uuid,
) -> Result<Vec<NoContactAlert>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        pupil_id: Uuid,
        pupil_name: String,
        form: String,
        date: NaiveDate,
        raised_at: DateTime<Utc>,
        visit_id: Option<Uuid>,
        case_id: Option<Uuid>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "select e.pupil_id,
                coalesce(p.preferred_last_name, p.legal_last_name) || ', '
                    || coalesce(p.preferred_first_name, p.legal_first_name) as pupil_name,
                coalesce(f.name, '') as form, e.session_date as date, e.raised_at,
                (select v.visit_id from calling_escalations v where v.school_id = e.school_id
                    and v.pupil_id = e.pupil_id and v.session_date = e.session_date
                    and v.kind = 'home_visit') as visit_id,
                (select c.id from cases c where c.school_id = e.school_id
                    and c.pupil_id = e.pupil_id and c.closed_at is null) as case_id
         from calling_escalations e
         join pupils p on p.school_id = e.school_id and p.id = e.pupil_id
         left join forms f on f.school_id = p.school_id and f.id = p.form_id
         where e.school_id = $1 and e.kind = 'dsl_alert' and e.seen_at is null
         order by e.raised_at, 2",
    )
    .bind(school_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| NoContactAlert {
            pupil_id: row.pupil_id,
            pupil_name: row.pupil_name,
            form: row.form,
            date: row.date,
            raised_at: row.raised_at,
            visit_id: row.visit_id,
            case_id: row.case_id,
        })
        .collect())
}

/// Marks a no-contact alert read; the inner error when there is no such alert.
pub async fn no_contact_seen(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    pupil_id: Uuid,
    date: NaiveDate,
) -> Result<Result<(), String>, sqlx::Error> {
    let seen = sqlx::query(
        "update calling_escalations set seen_at = coalesce(seen_at, now()),
             seen_by = coalesce(seen_by, $4)
         where school_id = $1 and pupil_id = $2 and session_date = $3 and kind = 'dsl_alert'",
    )
    .bind(school_id)
    .bind(pupil_id)
    .bind(date)
    .bind(staff_id)
    .execute(pool)
    .await?;
    Ok(if seen.rows_affected() == 0 {
        Err("There is no such alert at this school.".to_string())
    } else {
        Ok(())
    })
}

/// Who goes on a visit first-day calling proposes, best first: the roles that make home visits.
const VISITING_ROLES: [&str; 4] = [
    "home_visitor",
    "attendance_officer",
    "attendance_lead",
    "dsl",
];

/// Proposes today's home visit for a pupil nobody reached; none when the school has no one who
/// makes visits.
async fn propose_visit(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    school_id: Uuid,
    pupil: &CallPupil,
    day: &CallingDay,
) -> Result<Option<Uuid>, sqlx::Error> {
    let case: Option<(Uuid, Option<Uuid>)> = sqlx::query_as(
        "select id, owner_id from cases
         where school_id = $1 and pupil_id = $2 and closed_at is null",
    )
    .bind(school_id)
    .bind(pupil.pupil_id)
    .fetch_optional(&mut **tx)
    .await?;
    let owner = case.and_then(|(_, owner)| owner);
    let officer: Option<Uuid> = sqlx::query_scalar(
        "select s.id from role_grants g join staff s on s.id = g.staff_id
         where g.school_id = $1 and s.disabled_at is null and g.role = any($2)
         order by (s.id = $3) is true desc, array_position($2, g.role), s.display_name, s.id
         limit 1",
    )
    .bind(school_id)
    .bind(&VISITING_ROLES[..])
    .bind(owner)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(officer_id) = officer else {
        return Ok(None);
    };
    let deadline =
        day.list_opens_at + chrono::Duration::minutes(i64::from(day.deadlines.home_visit_minutes));
    let visit = crate::visits::queries::NewVisit {
        pupil_id: pupil.pupil_id,
        case_id: case.map(|(id, _)| id),
        officer_id,
        planned_on: day.date,
        reason: format!(
            "First day of absence: nobody at home was reached by {} ({} attempts logged).",
            deadline.format("%H:%M"),
            pupil.attempts.len()
        ),
    };
    match crate::visits::queries::propose(tx, school_id, &visit).await? {
        Ok(id) => Ok(Some(id)),
        Err(why) => {
            tracing::warn!(%school_id, pupil_id = %pupil.pupil_id, why, "no visit proposed");
            Ok(None)
        }
    }
}

/// An attempt to log.
#[derive(Clone, Debug)]
pub struct NewAttempt {
    pub pupil_id: Uuid,
    pub date: NaiveDate,
    pub contact_id: Option<Uuid>,
    pub method: String,
    pub outcome: String,
    pub note: String,
}

/// Checks an attempt's pupil, contact, method and note; the contact's name on success.
async fn check_attempt(
    conn: &mut sqlx::PgConnection,
    school_id: Uuid,
    pupil_id: Uuid,
    date: NaiveDate,
    contact_id: Option<Uuid>,
    method: &str,
    note: &str,
) -> Result<Result<String, String>, sqlx::Error> {
    if !METHODS.iter().any(|(key, _)| *key == method) {
        return Ok(Err(format!(
            "{method:?} is not a way to make contact: choose a call, a text, an email or a visit."
        )));
    }
    if note.chars().count() > MAX_NOTE_CHARS {
        return Ok(Err(format!(
            "The note is {} characters long; keep it to {MAX_NOTE_CHARS}.",
            note.chars().count()
        )));
    }
    let on_roll: Option<bool> = sqlx::query_scalar(
        "select admitted_on <= $3 and (left_on is null or left_on >= $3)
         from pupils where school_id = $1 and id = $2",
    )
    .bind(school_id)
    .bind(pupil_id)
    .bind(date)
    .fetch_optional(&mut *conn)
    .await?;
    match on_roll {
        None => return Ok(Err("There is no such pupil at this school.".to_string())),
        Some(false) => {
            return Ok(Err(format!(
                "The pupil was not on roll on {}.",
                date.format("%-d %B %Y")
            )));
        }
        Some(true) => {}
    }
    let Some(contact_id) = contact_id else {
        return Ok(if method == "visit" {
            Ok(String::new())
        } else {
            Err("Choose which contact you tried.".to_string())
        });
    };
    let name: Option<String> = sqlx::query_scalar(
        "select trim(both ' ' from title || ' ' || first_name || ' ' || last_name)
         from contacts where school_id = $1 and pupil_id = $2 and id = $3",
    )
    .bind(school_id)
    .bind(pupil_id)
    .bind(contact_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(name.ok_or_else(|| "That contact is not one of this pupil's contacts.".to_string()))
}

/// Logs an attempt; the inner error says what to fix, in words for people.
pub async fn log_attempt(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    attempt: &NewAttempt,
) -> Result<Result<(), String>, sqlx::Error> {
    if !OUTCOMES.iter().any(|(key, _)| *key == attempt.outcome) {
        return Ok(Err(format!(
            "{:?} is not an outcome: choose reached, no answer, voicemail, wrong number, message sent or no one at home.",
            attempt.outcome
        )));
    }
    let note = attempt.note.trim();
    let mut conn = pool.acquire().await?;
    let contact_name = match check_attempt(
        &mut conn,
        school_id,
        attempt.pupil_id,
        attempt.date,
        attempt.contact_id,
        &attempt.method,
        note,
    )
    .await?
    {
        Ok(name) => name,
        Err(message) => return Ok(Err(message)),
    };
    sqlx::query(
        "insert into contact_attempts (school_id, pupil_id, session_date, session, contact_id,
             contact_name, method, outcome, note, recorded_by)
         values ($1, $2, $3, 'AM', $4, $5, $6, $7, $8, $9)",
    )
    .bind(school_id)
    .bind(attempt.pupil_id)
    .bind(attempt.date)
    .bind(attempt.contact_id)
    .bind(contact_name)
    .bind(&attempt.method)
    .bind(&attempt.outcome)
    .bind(note)
    .bind(staff_id)
    .execute(&mut *conn)
    .await?;
    Ok(Ok(()))
}

/// A reason the family gave, to set on the register.
#[derive(Clone, Debug)]
pub struct Reason {
    pub pupil_id: Uuid,
    pub date: NaiveDate,
    pub contact_id: Option<Uuid>,
    pub method: String,
    pub code: String,
    pub note: String,
    /// The AM mark seen on the list (`None`: unmarked).
    pub seen_am: Option<i64>,
    pub also_pm: bool,
    pub seen_pm: Option<i64>,
}

/// The reason kept with the amended mark.
pub fn amendment_reason(note: &str) -> String {
    format!("First-day calling: {}", note.trim())
}

/// Logs the reached attempt and sets the marks in one transaction: nothing is written when
/// the register changed since the list was read (a conflict) or the input is wrong.
pub async fn record_reason(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    reason: &Reason,
) -> Result<Result<(), Refused>, sqlx::Error> {
    let code = match Code::parse(reason.code.trim()) {
        Ok(code) if reason_codes().any(|c| c == code) => code,
        Ok(code) => {
            return Ok(Err(Refused::Invalid(format!(
                "{code} is not a reason for absence a family can give: choose a code such as I (illness) or M (medical)."
            ))));
        }
        Err(unknown) => return Ok(Err(Refused::Invalid(format!("{unknown}.")))),
    };
    let note = reason.note.trim();
    if note.is_empty() {
        return Ok(Err(Refused::Invalid(
            "Say what the family said: the register keeps it with the mark.".to_string(),
        )));
    }
    let mut tx = pool.begin().await?;
    let contact_name = match check_attempt(
        &mut tx,
        school_id,
        reason.pupil_id,
        reason.date,
        reason.contact_id,
        &reason.method,
        note,
    )
    .await?
    {
        Ok(name) => name,
        Err(message) => return Ok(Err(Refused::Invalid(message))),
    };
    let mut writes = vec![MarkWrite {
        pupil_id: reason.pupil_id,
        date: reason.date,
        session: Session::Am,
        code,
        minutes_late: None,
        seen: Seen::Mark(reason.seen_am),
    }];
    if reason.also_pm {
        writes.push(MarkWrite {
            pupil_id: reason.pupil_id,
            date: reason.date,
            session: Session::Pm,
            code,
            minutes_late: None,
            seen: Seen::Mark(reason.seen_pm),
        });
    }
    let why = amendment_reason(note);
    match write_marks(
        &mut tx,
        school_id,
        Some(staff_id),
        "calling",
        Some(&why),
        &writes,
    )
    .await
    {
        Ok(Ok(_)) => {}
        Ok(Err(problems)) => return Ok(Err(refusal(problems))),
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            return Ok(Err(Refused::Conflict(
                "Someone else marked this pupil at the same moment. Nothing was saved; reload to see their mark."
                    .to_string(),
            )));
        }
        Err(error) => return Err(error),
    }
    sqlx::query(
        "insert into contact_attempts (school_id, pupil_id, session_date, session, contact_id,
             contact_name, method, outcome, note, reason_code, mark_id, recorded_by)
         values ($1, $2, $3, 'AM', $4, $5, $6, 'reached', $7, $8,
             (select id from marks where school_id = $1 and pupil_id = $2 and session_date = $3
                  and session = 'AM' and is_current),
             $9)",
    )
    .bind(school_id)
    .bind(reason.pupil_id)
    .bind(reason.date)
    .bind(reason.contact_id)
    .bind(contact_name)
    .bind(&reason.method)
    .bind(note)
    .bind(code.as_str())
    .bind(staff_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

#[derive(sqlx::FromRow)]
struct TimelineRow {
    session_date: NaiveDate,
    contact_name: String,
    method: String,
    outcome: String,
    note: String,
    reason_code: Option<String>,
    recorded_by: Option<String>,
    recorded_at: DateTime<Utc>,
}

/// The pupil's contact attempts (first-day calling) as entries of a case's timeline, oldest
/// first: how, whom, what came of it, the note and any reason set on the register.
pub async fn timeline(
    pool: &PgPool,
    school_id: Uuid,
    pupil_id: Uuid,
) -> Result<Vec<crate::cases::CaseEvent>, sqlx::Error> {
    let rows: Vec<TimelineRow> = sqlx::query_as(
        "select a.session_date, a.contact_name, a.method, a.outcome, a.note, a.reason_code,
                s.display_name as recorded_by, a.recorded_at
         from contact_attempts a left join staff s on s.id = a.recorded_by
         where a.school_id = $1 and a.pupil_id = $2
         order by a.recorded_at, a.id",
    )
    .bind(school_id)
    .bind(pupil_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut summary = format!(
                "{} (first-day calling for {})",
                super::method_label(&row.method),
                row.session_date.format("%a %-d %b %Y")
            );
            if !row.contact_name.is_empty() {
                summary.push_str(&format!(" to {}", row.contact_name));
            }
            summary.push_str(&format!(": {}.", super::outcome_label(&row.outcome)));
            if !row.note.is_empty() {
                summary.push_str(&format!(" Note: {}", row.note));
            }
            if let Some(code) = &row.reason_code {
                summary.push_str(&format!(" Reason recorded on the register: {code}."));
            }
            crate::cases::CaseEvent {
                id: 0,
                kind: "contact_attempt".to_string(),
                at: row.recorded_at,
                by_name: row.recorded_by,
                summary,
                detail: serde_json::Value::Null,
                safeguarding: false,
                answered: false,
                answers_id: None,
            }
        })
        .collect())
}
