//! Every query about leave of absence: requests, decisions that pre-code the register, refused
//! leave recorded as taken, and the entries for a case's timeline. Marks are written only through
//! `registers::queries::write_marks`, so the amendment trail and the figures stay right.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{Coded, LeaveNotice, LeaveRequest, Parent, PupilChoice};
use crate::{
    audit,
    cases::CaseEvent,
    domain::{
        codes::{Code, Session},
        leave::{self, Decision, Ground},
    },
    registers::queries::{MarkWrite, Refused, Seen, refusal, write_marks},
    school::queries::school_days,
};

/// A request as typed into the form.
#[derive(Clone, Debug)]
pub struct NewRequest {
    pub pupil_id: Uuid,
    pub contact_id: Uuid,
    pub first: (NaiveDate, Session),
    pub last: (NaiveDate, Session),
    pub ground: Ground,
    pub parent_reason: String,
    pub received_on: NaiveDate,
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: Uuid,
    pupil_id: Uuid,
    pupil_name: String,
    form: Option<String>,
    parent_name: String,
    first_date: NaiveDate,
    first_session: String,
    last_date: NaiveDate,
    last_session: String,
    ground: String,
    parent_reason: String,
    received_on: NaiveDate,
    recorded_by: Option<String>,
    decision: String,
    decided_by: Option<String>,
    decided_at: Option<DateTime<Utc>>,
    decision_reason: Option<String>,
    sessions_coded: i32,
    taken_recorded_at: Option<DateTime<Utc>>,
    recorded_at: DateTime<Utc>,
}

impl RequestRow {
    fn request(self) -> LeaveRequest {
        LeaveRequest {
            id: self.id,
            pupil_id: self.pupil_id,
            pupil_name: self.pupil_name,
            form: self.form.unwrap_or_default(),
            parent_name: self.parent_name,
            first_date: self.first_date,
            first_session: Session::parse(&self.first_session).unwrap_or(Session::Am),
            last_date: self.last_date,
            last_session: Session::parse(&self.last_session).unwrap_or(Session::Pm),
            ground: Ground::from_key(&self.ground).unwrap_or(Ground::NoGround),
            parent_reason: self.parent_reason,
            received_on: self.received_on,
            recorded_by: self.recorded_by,
            decision: Decision::from_key(&self.decision).unwrap_or(Decision::Pending),
            decided_by: self.decided_by,
            decided_at: self.decided_at,
            decision_reason: self.decision_reason,
            sessions_coded: self.sessions_coded,
            taken_recorded_at: self.taken_recorded_at,
        }
    }
}

const REQUEST_SELECT: &str = "select r.id, r.pupil_id,
        coalesce(p.preferred_last_name, p.legal_last_name) || ', '
            || coalesce(p.preferred_first_name, p.legal_first_name) as pupil_name,
        f.name as form, r.parent_name, r.first_date, r.first_session, r.last_date,
        r.last_session, r.ground, r.parent_reason, r.received_on, rs.display_name as recorded_by,
        r.decision, ds.display_name as decided_by, r.decided_at, r.decision_reason,
        r.sessions_coded, r.taken_recorded_at, r.recorded_at
     from leave_requests r
     join pupils p on p.school_id = r.school_id and p.id = r.pupil_id
     left join forms f on f.school_id = p.school_id and f.id = p.form_id
     left join staff rs on rs.id = r.recorded_by
     left join staff ds on ds.id = r.decided_by";

/// The school's requests: those awaiting a decision first, then the newest.
pub async fn requests(pool: &PgPool, school_id: Uuid) -> Result<Vec<LeaveRequest>, sqlx::Error> {
    let rows: Vec<RequestRow> = sqlx::query_as(&format!(
        "{REQUEST_SELECT} where r.school_id = $1
         order by r.decision = 'pending' desc, r.first_date desc, r.recorded_at desc
         limit 500"
    ))
    .bind(school_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(RequestRow::request).collect())
}

/// One request of this school.
pub async fn request(
    pool: &PgPool,
    school_id: Uuid,
    request_id: Uuid,
) -> Result<Option<LeaveRequest>, sqlx::Error> {
    let row: Option<RequestRow> = sqlx::query_as(&format!(
        "{REQUEST_SELECT} where r.school_id = $1 and r.id = $2"
    ))
    .bind(school_id)
    .bind(request_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(RequestRow::request))
}

/// One request with the school's name, for the decision notice.
pub async fn notice(
    pool: &PgPool,
    school_id: Uuid,
    request_id: Uuid,
) -> Result<Option<LeaveNotice>, sqlx::Error> {
    let Some(request) = request(pool, school_id, request_id).await? else {
        return Ok(None);
    };
    let school_name: String = sqlx::query_scalar("select name from schools where id = $1")
        .bind(school_id)
        .fetch_one(pool)
        .await?;
    Ok(Some(LeaveNotice {
        school_name,
        request,
    }))
}

/// The pupils on roll on `today`, by name, each with their parents and carers in priority order.
pub async fn pupils_on_roll(
    pool: &PgPool,
    school_id: Uuid,
    today: NaiveDate,
) -> Result<Vec<PupilChoice>, sqlx::Error> {
    let rows: Vec<(Uuid, String, Option<String>)> = sqlx::query_as(
        "select p.id,
            coalesce(p.preferred_last_name, p.legal_last_name) || ', '
                || coalesce(p.preferred_first_name, p.legal_first_name),
            f.name
         from pupils p left join forms f on f.school_id = p.school_id and f.id = p.form_id
         where p.school_id = $1 and p.admitted_on <= $2 and (p.left_on is null or p.left_on >= $2)
         order by 2, p.id",
    )
    .bind(school_id)
    .bind(today)
    .fetch_all(pool)
    .await?;
    let contacts: Vec<(Uuid, Uuid, String)> = sqlx::query_as(
        "select pupil_id, id, trim(first_name || ' ' || last_name) || ' (' || relationship || ')'
         from contacts where school_id = $1 order by pupil_id, priority",
    )
    .bind(school_id)
    .fetch_all(pool)
    .await?;
    let mut parents: HashMap<Uuid, Vec<Parent>> = HashMap::new();
    for (pupil_id, id, name) in contacts {
        parents
            .entry(pupil_id)
            .or_default()
            .push(Parent { id, name });
    }
    Ok(rows
        .into_iter()
        .map(|(id, name, form)| PupilChoice {
            id,
            name,
            form: form.unwrap_or_default(),
            parents: parents.remove(&id).unwrap_or_default(),
        })
        .collect())
}

/// The name of a parent or carer of this pupil at this school, as it goes on a request or
/// notice; `None` when the contact is not the pupil's.
pub async fn parent_name(
    conn: &mut PgConnection,
    school_id: Uuid,
    pupil_id: Uuid,
    contact_id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select trim(trim(title || ' ' || first_name) || ' ' || last_name) from contacts
         where school_id = $1 and pupil_id = $2 and id = $3",
    )
    .bind(school_id)
    .bind(pupil_id)
    .bind(contact_id)
    .fetch_optional(conn)
    .await
}

/// Records a request, checked and audited. The inner error says what to fix.
pub async fn record_request(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    new: &NewRequest,
    today: NaiveDate,
) -> Result<Result<Uuid, String>, sqlx::Error> {
    let parent_reason = new.parent_reason.trim();
    if parent_reason.is_empty() {
        return Ok(Err(
            "Write the reason the parent gave: the decision answers it.".to_string(),
        ));
    }
    if let Err(message) = leave::check_range(new.first, new.last) {
        return Ok(Err(message));
    }
    if new.received_on > today {
        return Ok(Err(
            "The request cannot have been received after today.".to_string()
        ));
    }
    let mut tx = pool.begin().await?;
    let on_roll: Option<bool> = sqlx::query_scalar(
        "select left_on is null or left_on >= $3 from pupils where school_id = $1 and id = $2",
    )
    .bind(school_id)
    .bind(new.pupil_id)
    .bind(new.first.0)
    .fetch_optional(&mut *tx)
    .await?;
    match on_roll {
        None => return Ok(Err("There is no such pupil at this school.".to_string())),
        Some(false) => {
            return Ok(Err(
                "The pupil has left the school before the first day of the leave.".to_string(),
            ));
        }
        Some(true) => {}
    }
    let Some(parent) = parent_name(&mut tx, school_id, new.pupil_id, new.contact_id).await? else {
        return Ok(Err(
            "That parent or carer is not one of this pupil's contacts.".to_string(),
        ));
    };
    let id: Uuid = sqlx::query_scalar(
        "insert into leave_requests (school_id, pupil_id, contact_id, parent_name, first_date,
            first_session, last_date, last_session, ground, parent_reason, received_on,
            recorded_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning id",
    )
    .bind(school_id)
    .bind(new.pupil_id)
    .bind(new.contact_id)
    .bind(&parent)
    .bind(new.first.0)
    .bind(new.first.1.as_str())
    .bind(new.last.0)
    .bind(new.last.1.as_str())
    .bind(new.ground.key())
    .bind(parent_reason)
    .bind(new.received_on)
    .bind(staff_id)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "leave_requested",
        &format!("leave_request:{id}"),
        serde_json::json!({
            "pupil_id": new.pupil_id,
            "parent": parent,
            "first": format!("{} {}", new.first.0, new.first.1),
            "last": format!("{} {}", new.last.0, new.last.1),
            "ground": new.ground.key(),
            "reason": parent_reason,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(id))
}

#[derive(sqlx::FromRow)]
struct Locked {
    pupil_id: Uuid,
    first_date: NaiveDate,
    first_session: String,
    last_date: NaiveDate,
    last_session: String,
    ground: String,
    decision: String,
    taken_recorded_at: Option<DateTime<Utc>>,
}

async fn lock_request(
    conn: &mut PgConnection,
    school_id: Uuid,
    request_id: Uuid,
) -> Result<Option<Locked>, sqlx::Error> {
    sqlx::query_as(
        "select pupil_id, first_date, first_session, last_date, last_session, ground, decision,
            taken_recorded_at
         from leave_requests where school_id = $1 and id = $2 for update",
    )
    .bind(school_id)
    .bind(request_id)
    .fetch_optional(conn)
    .await
}

/// A session of a request's range and its current mark (id and code), if any.
type Slot = (NaiveDate, Session, Option<(i64, Code)>);

/// The sessions of a request's range (school days on roll) with their current marks.
async fn sessions_with_marks(
    conn: &mut PgConnection,
    school_id: Uuid,
    request: &Locked,
) -> Result<Vec<Slot>, sqlx::Error> {
    let (admitted_on, left_on): (NaiveDate, Option<NaiveDate>) =
        sqlx::query_as("select admitted_on, left_on from pupils where school_id = $1 and id = $2")
            .bind(school_id)
            .bind(request.pupil_id)
            .fetch_one(&mut *conn)
            .await?;
    let days = school_days(&mut *conn, school_id, request.first_date, request.last_date).await?;
    let first = (
        request.first_date,
        Session::parse(&request.first_session).unwrap_or(Session::Am),
    );
    let last = (
        request.last_date,
        Session::parse(&request.last_session).unwrap_or(Session::Pm),
    );
    let sessions = leave::sessions_in_range(&days, first, last, admitted_on, left_on);
    let marks: Vec<(i64, NaiveDate, String, String)> = sqlx::query_as(
        "select id, session_date, session, code from marks
         where school_id = $1 and pupil_id = $2 and is_current
           and session_date between $3 and $4",
    )
    .bind(school_id)
    .bind(request.pupil_id)
    .bind(request.first_date)
    .bind(request.last_date)
    .fetch_all(&mut *conn)
    .await?;
    let marks: HashMap<(NaiveDate, String), (i64, Code)> = marks
        .into_iter()
        .filter_map(|(id, date, session, code)| {
            Code::parse(&code)
                .ok()
                .map(|code| ((date, session), (id, code)))
        })
        .collect();
    Ok(sessions
        .into_iter()
        .map(|(date, session)| {
            let current = marks.get(&(date, session.as_str().to_string())).copied();
            (date, session, current)
        })
        .collect())
}

/// Writes `code` to the chosen sessions through the register's one write path, each against the
/// mark seen, and says what it coded and kept.
async fn write_leave_marks(
    conn: &mut PgConnection,
    school_id: Uuid,
    staff_id: Uuid,
    pupil_id: Uuid,
    sessions: &[Slot],
    chosen: impl Fn(Option<Code>) -> bool,
    code: Code,
    why: &str,
) -> Result<Result<(Coded, Vec<String>), Refused>, sqlx::Error> {
    let mut writes = Vec::new();
    let mut changes = Vec::new();
    let mut coded = Coded::default();
    for (date, session, current) in sessions {
        if !chosen(current.map(|(_, code)| code)) {
            coded.kept += 1;
            continue;
        }
        coded.coded += 1;
        changes.push(format!(
            "{date} {session}: {} to {code}",
            current.map_or("unmarked".to_string(), |(_, was)| was.to_string())
        ));
        writes.push(MarkWrite {
            pupil_id,
            date: *date,
            session: *session,
            code,
            minutes_late: None,
            seen: Seen::Mark(current.map(|(id, _)| id)),
        });
    }
    match write_marks(conn, school_id, Some(staff_id), "leave", Some(why), &writes).await {
        Ok(Ok(_)) => Ok(Ok((coded, changes))),
        Ok(Err(problems)) => Ok(Err(refusal(problems))),
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Ok(Err(Refused::Conflict(
            "Someone marked this pupil at the same moment. Nothing was saved; try again."
                .to_string(),
        ))),
        Err(error) => Err(error),
    }
}

/// Approves or refuses a pending request of this school with a reason. Approval pre-codes the
/// unmarked and N sessions in range with the ground's code, in the same transaction; the
/// decision and every session it coded are audited.
pub async fn decide(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    request_id: Uuid,
    approve: bool,
    reason: &str,
) -> Result<Result<Coded, Refused>, sqlx::Error> {
    let invalid = |message: &str| Ok(Err(Refused::Invalid(message.to_string())));
    let reason = reason.trim();
    if reason.is_empty() {
        return invalid("Write the reason for the decision: the parent receives it in writing.");
    }
    let mut tx = pool.begin().await?;
    let Some(request) = lock_request(&mut tx, school_id, request_id).await? else {
        return invalid("There is no such request at this school.");
    };
    if request.decision != "pending" {
        return Ok(Err(Refused::Conflict(format!(
            "This request has already been {}: reload to see the decision.",
            request.decision
        ))));
    }
    let ground = Ground::from_key(&request.ground).unwrap_or(Ground::NoGround);
    let mut outcome = Coded::default();
    let mut changes = Vec::new();
    if approve {
        let Some(code) = ground.code() else {
            return invalid(
                "Leave can only be granted on one of the regulation's grounds (C1, J1, S, C2 \
                 or C); term-time holiday cannot be authorised. Refuse the request instead.",
            );
        };
        let sessions = sessions_with_marks(&mut tx, school_id, &request).await?;
        let why = format!("Leave of absence approved ({}): {reason}", ground.key());
        match write_leave_marks(
            &mut tx,
            school_id,
            staff_id,
            request.pupil_id,
            &sessions,
            leave::may_precode,
            code,
            &why,
        )
        .await?
        {
            Ok((coded, written)) => {
                outcome = coded;
                changes = written;
            }
            Err(refused) => return Ok(Err(refused)),
        }
    }
    let decision = if approve {
        Decision::Approved
    } else {
        Decision::Refused
    };
    sqlx::query(
        "update leave_requests set decision = $3, decided_by = $4, decided_at = now(),
            decision_reason = $5, sessions_coded = $6
         where school_id = $1 and id = $2",
    )
    .bind(school_id)
    .bind(request_id)
    .bind(decision.key())
    .bind(staff_id)
    .bind(reason)
    .bind(outcome.coded as i32)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        if approve {
            "leave_approved"
        } else {
            "leave_refused"
        },
        &format!("leave_request:{request_id}"),
        serde_json::json!({
            "pupil_id": request.pupil_id,
            "ground": ground.key(),
            "reason": reason,
            "marks": changes,
            "kept": outcome.kept,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(outcome))
}

/// Refused leave was taken: the N and O marks in its range become G (unauthorised holiday),
/// audited. Nothing else changes; with no N or O in range nothing is written.
pub async fn record_taken(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    request_id: Uuid,
) -> Result<Result<Coded, Refused>, sqlx::Error> {
    let invalid = |message: &str| Ok(Err(Refused::Invalid(message.to_string())));
    let mut tx = pool.begin().await?;
    let Some(request) = lock_request(&mut tx, school_id, request_id).await? else {
        return invalid("There is no such request at this school.");
    };
    if request.decision != "refused" {
        return invalid("Only refused leave can be recorded as taken.");
    }
    if request.taken_recorded_at.is_some() {
        return Ok(Err(Refused::Conflict(
            "This leave has already been recorded as taken: reload to see it.".to_string(),
        )));
    }
    let sessions = sessions_with_marks(&mut tx, school_id, &request).await?;
    if !sessions
        .iter()
        .any(|(_, _, current)| leave::becomes_g(current.map(|(_, code)| code)))
    {
        return invalid(
            "No session in the request's dates is marked N or O, so there is nothing to record \
             as holiday. Take the registers for those days first.",
        );
    }
    let why = "Leave of absence refused and taken: unauthorised holiday";
    let (outcome, changes) = match write_leave_marks(
        &mut tx,
        school_id,
        staff_id,
        request.pupil_id,
        &sessions,
        leave::becomes_g,
        leave::holiday_code(),
        why,
    )
    .await?
    {
        Ok(done) => done,
        Err(refused) => return Ok(Err(refused)),
    };
    sqlx::query(
        "update leave_requests set taken_recorded_by = $3, taken_recorded_at = now(),
            sessions_coded = $4
         where school_id = $1 and id = $2",
    )
    .bind(school_id)
    .bind(request_id)
    .bind(staff_id)
    .bind(outcome.coded as i32)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "leave_taken_recorded",
        &format!("leave_request:{request_id}"),
        serde_json::json!({ "pupil_id": request.pupil_id, "marks": changes, "kept": outcome.kept }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(outcome))
}

/// The pupil's requests as entries of a case's timeline: received, decided, recorded as taken.
pub async fn timeline(
    pool: &PgPool,
    school_id: Uuid,
    pupil_id: Uuid,
) -> Result<Vec<CaseEvent>, sqlx::Error> {
    let rows: Vec<RequestRow> = sqlx::query_as(&format!(
        "{REQUEST_SELECT} where r.school_id = $1 and r.pupil_id = $2"
    ))
    .bind(school_id)
    .bind(pupil_id)
    .fetch_all(pool)
    .await?;
    let mut events = Vec::new();
    for row in rows {
        let at = row.recorded_at;
        let request = row.request();
        let link = serde_json::json!({ "leave_request": request.id });
        let event = |kind: &str, at, by: Option<String>, summary: String| CaseEvent {
            id: 0,
            kind: kind.to_string(),
            at,
            by_name: by,
            summary,
            detail: link.clone(),
            safeguarding: false,
            answered: false,
            answers_id: None,
        };
        events.push(event(
            "leave_requested",
            at,
            request.recorded_by.clone(),
            format!(
                "Leave of absence requested by {} for {} ({}): {}",
                request.parent_name,
                request.range_words(),
                request.ground.label(),
                request.parent_reason
            ),
        ));
        if let Some(decided_at) = request.decided_at {
            events.push(event(
                "leave_decided",
                decided_at,
                request.decided_by.clone(),
                format!(
                    "Leave of absence {}: {}",
                    request.decision.label().to_lowercase(),
                    request.decision_reason.clone().unwrap_or_default()
                ),
            ));
        }
        if let Some(taken_at) = request.taken_recorded_at {
            events.push(event(
                "leave_taken",
                taken_at,
                None,
                format!(
                    "Refused leave taken: {} session(s) recorded as G (unauthorised holiday)",
                    request.sessions_coded
                ),
            ));
        }
    }
    Ok(events)
}
