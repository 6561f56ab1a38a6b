//! Meetings and attendance plans in the database: each write checks the case is this school's,
//! puts an entry on the case timeline and in the audit log, in one transaction.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{AttendancePlan, CaseMeetingsData, Meeting, MeetingRecord};
use crate::{
    attendance::queries::pupil_figures,
    audit,
    domain::{
        meetings::{MeetingKind, PlanReview},
        triggers::{Step, hundredths},
    },
};

/// "Mon 30 Nov 2026".
fn day_words(date: NaiveDate) -> String {
    date.format("%a %-d %b %Y").to_string()
}

/// The school's time zone and its date today.
async fn school_clock(
    conn: &mut PgConnection,
    school_id: Uuid,
) -> Result<Option<(Tz, NaiveDate)>, sqlx::Error> {
    let zone: Option<String> = sqlx::query_scalar("select time_zone from schools where id = $1")
        .bind(school_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(zone.map(|zone| {
        let zone: Tz = zone.parse().unwrap_or(chrono_tz::Europe::London);
        (zone, Utc::now().with_timezone(&zone).date_naive())
    }))
}

#[derive(sqlx::FromRow)]
struct MeetingRow {
    id: Uuid,
    kind: String,
    starts_at: DateTime<Utc>,
    place: String,
    invited: String,
    arranged_by: Option<String>,
    recorded_at: Option<DateTime<Utc>>,
    recorded_by: Option<String>,
    attendees: Option<String>,
    minutes: Option<String>,
    actions: Option<String>,
}

#[derive(sqlx::FromRow)]
struct PlanRow {
    id: Uuid,
    meeting_id: Uuid,
    target: i32,
    starts_on: NaiveDate,
    review_on: NaiveDate,
    support: String,
    reviewed_on: Option<NaiveDate>,
    reviewed_attendance: Option<i32>,
    target_met: Option<bool>,
}

/// A case's meetings and plans; `None` when the case is not this school's.
pub async fn case_meetings(
    pool: &PgPool,
    school_id: Uuid,
    case_id: Uuid,
) -> Result<Option<CaseMeetingsData>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let Some((zone, today)) = school_clock(&mut conn, school_id).await? else {
        return Ok(None);
    };
    let case_open: Option<bool> =
        sqlx::query_scalar("select closed_at is null from cases where school_id = $1 and id = $2")
            .bind(school_id)
            .bind(case_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(case_open) = case_open else {
        return Ok(None);
    };
    let rows: Vec<MeetingRow> = sqlx::query_as(
        "select m.id, m.kind, m.starts_at, m.place, m.invited, a.display_name as arranged_by,
            m.recorded_at, r.display_name as recorded_by, m.attendees, m.minutes, m.actions
         from meetings m
         left join staff a on a.id = m.arranged_by
         left join staff r on r.id = m.recorded_by
         where m.school_id = $1 and m.case_id = $2
         order by m.starts_at, m.id",
    )
    .bind(school_id)
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await?;
    let now = Utc::now();
    let meetings = rows
        .into_iter()
        .map(|row| Meeting {
            id: row.id,
            kind: MeetingKind::from_key(&row.kind).unwrap_or(MeetingKind::AttendanceMeeting),
            when: row
                .starts_at
                .with_timezone(&zone)
                .format("%a %-d %b %Y %H:%M")
                .to_string(),
            starts_at: row.starts_at,
            place: row.place,
            invited: row.invited,
            arranged_by: row.arranged_by,
            started: row.starts_at <= now,
            record: row.recorded_at.map(|recorded_at| MeetingRecord {
                attendees: row.attendees.unwrap_or_default(),
                minutes: row.minutes.unwrap_or_default(),
                actions: row.actions.unwrap_or_default(),
                recorded_by: row.recorded_by,
                recorded_at,
            }),
        })
        .collect();
    let plans: Vec<PlanRow> = sqlx::query_as(
        "select id, meeting_id, target, starts_on, review_on, support, reviewed_on,
            reviewed_attendance, target_met
         from attendance_plans where school_id = $1 and case_id = $2
         order by starts_on, agreed_at",
    )
    .bind(school_id)
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(CaseMeetingsData {
        meetings,
        plans: plans
            .into_iter()
            .map(|row| AttendancePlan {
                id: row.id,
                meeting_id: row.meeting_id,
                target: row.target,
                starts_on: row.starts_on,
                review_on: row.review_on,
                support: row.support,
                reviewed_on: row.reviewed_on,
                reviewed_attendance: row.reviewed_attendance,
                target_met: row.target_met,
            })
            .collect(),
        today,
        case_open,
    }))
}

/// A meeting to arrange: `starts` is in the school's own time.
pub struct Arrangement<'a> {
    pub kind: MeetingKind,
    pub starts: NaiveDateTime,
    pub place: &'a str,
    pub invited: &'a str,
}

/// Whether the case is this school's and open: the words to refuse with when it is not.
async fn open_case(
    conn: &mut PgConnection,
    school_id: Uuid,
    case_id: Uuid,
) -> Result<Result<(), String>, sqlx::Error> {
    let closed: Option<bool> = sqlx::query_scalar(
        "select closed_at is not null from cases where school_id = $1 and id = $2 for update",
    )
    .bind(school_id)
    .bind(case_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match closed {
        None => Err("There is no such case at this school.".to_string()),
        Some(true) => Err("This case is closed: nothing more can be added to it.".to_string()),
        Some(false) => Ok(()),
    })
}

/// Arranges a meeting on an open case of this school, from now on.
pub async fn arrange(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    case_id: Uuid,
    meeting: Arrangement<'_>,
) -> Result<Result<Uuid, String>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    if let Err(refused) = open_case(&mut tx, school_id, case_id).await? {
        return Ok(Err(refused));
    }
    let Some((zone, _)) = school_clock(&mut tx, school_id).await? else {
        return Ok(Err("There is no such school.".to_string()));
    };
    // The clocks going forward skip an hour: a time inside it is taken as the hour after.
    let Some(starts_at) = zone
        .from_local_datetime(&meeting.starts)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(meeting.starts + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|at| at.with_timezone(&Utc))
    else {
        return Ok(Err(
            "That time does not exist on that day: choose another.".to_string()
        ));
    };
    let when = meeting.starts.format("%a %-d %b %Y %H:%M").to_string();
    if starts_at < Utc::now() {
        return Ok(Err(format!(
            "{when} has already gone: a meeting is arranged from now on. To note a conversation \
             that has happened, add a note to the case."
        )));
    }
    let id: Uuid = sqlx::query_scalar(
        "insert into meetings (school_id, case_id, kind, starts_at, place, invited, arranged_by)
         values ($1, $2, $3, $4, $5, $6, $7) returning id",
    )
    .bind(school_id)
    .bind(case_id)
    .bind(meeting.kind.key())
    .bind(starts_at)
    .bind(meeting.place)
    .bind(meeting.invited)
    .bind(staff_id)
    .fetch_one(&mut *tx)
    .await?;
    let mut summary = format!("{} arranged for {when}", meeting.kind.label());
    if !meeting.place.is_empty() {
        summary.push_str(&format!(", {}", meeting.place));
    }
    summary.push('.');
    if !meeting.invited.is_empty() {
        summary.push_str(&format!(" Invited: {}.", meeting.invited));
    }
    let detail = serde_json::json!({
        "meeting_id": id,
        "kind": meeting.kind.key(),
        "starts_at": starts_at,
        "place": meeting.place,
        "invited": meeting.invited,
    });
    add_event(
        &mut tx,
        school_id,
        case_id,
        staff_id,
        "meeting_arranged",
        &summary,
        &detail,
    )
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "meeting_arranged",
        &format!("case:{case_id}"),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(id))
}

async fn add_event(
    conn: &mut PgConnection,
    school_id: Uuid,
    case_id: Uuid,
    staff_id: Uuid,
    kind: &str,
    summary: &str,
    detail: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into case_events (school_id, case_id, kind, by_staff_id, summary, detail)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(school_id)
    .bind(case_id)
    .bind(kind)
    .bind(staff_id)
    .bind(summary)
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A meeting of this school, locked for a write: its case, kind, start and whether recorded.
async fn meeting_for_update(
    conn: &mut PgConnection,
    school_id: Uuid,
    meeting_id: Uuid,
) -> Result<Option<(Uuid, String, DateTime<Utc>, bool)>, sqlx::Error> {
    sqlx::query_as(
        "select case_id, kind, starts_at, recorded_at is not null from meetings
         where school_id = $1 and id = $2 for update",
    )
    .bind(school_id)
    .bind(meeting_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Records a meeting of this school that has taken place: who came, the minutes, the actions.
pub async fn record(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    meeting_id: Uuid,
    attendees: &str,
    minutes: &str,
    actions: &str,
) -> Result<Result<(), String>, sqlx::Error> {
    if attendees.is_empty() {
        return Ok(Err("Say who came to the meeting.".to_string()));
    }
    if minutes.is_empty() {
        return Ok(Err(
            "Write the minutes: what was said is the record a panel or a court reads.".to_string(),
        ));
    }
    let mut tx = pool.begin().await?;
    let Some((case_id, kind, starts_at, recorded)) =
        meeting_for_update(&mut tx, school_id, meeting_id).await?
    else {
        return Ok(Err("There is no such meeting at this school.".to_string()));
    };
    if let Err(refused) = open_case(&mut tx, school_id, case_id).await? {
        return Ok(Err(refused));
    }
    if recorded {
        return Ok(Err(
            "This meeting has already been recorded: add anything more as a note on the case."
                .to_string(),
        ));
    }
    if starts_at > Utc::now() {
        return Ok(Err(
            "This meeting has not started yet: record it once it has taken place.".to_string(),
        ));
    }
    sqlx::query(
        "update meetings set recorded_at = now(), recorded_by = $3, attendees = $4, minutes = $5,
            actions = $6
         where school_id = $1 and id = $2",
    )
    .bind(school_id)
    .bind(meeting_id)
    .bind(staff_id)
    .bind(attendees)
    .bind(minutes)
    .bind(actions)
    .execute(&mut *tx)
    .await?;
    let kind = MeetingKind::from_key(&kind).unwrap_or(MeetingKind::AttendanceMeeting);
    let mut summary = format!("{} held. Attended: {attendees}.", kind.label());
    if !actions.is_empty() {
        summary.push_str(&format!(" Actions: {actions}"));
    }
    let detail = serde_json::json!({
        "meeting_id": meeting_id,
        "attendees": attendees,
        "minutes": minutes,
        "actions": actions,
    });
    add_event(
        &mut tx,
        school_id,
        case_id,
        staff_id,
        "meeting_held",
        &summary,
        &detail,
    )
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "meeting_recorded",
        &format!("case:{case_id}"),
        serde_json::json!({ "meeting_id": meeting_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Agrees a plan at a recorded meeting of this school: one plan under way per case.
pub async fn agree_plan(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    meeting_id: Uuid,
    target: i32,
    review_on: NaiveDate,
    support: &str,
) -> Result<Result<(), String>, sqlx::Error> {
    if support.is_empty() {
        return Ok(Err(
            "Write what the school and the family agreed to do: the plan is judged against it."
                .to_string(),
        ));
    }
    let mut tx = pool.begin().await?;
    let Some((case_id, _, starts_at, recorded)) =
        meeting_for_update(&mut tx, school_id, meeting_id).await?
    else {
        return Ok(Err("There is no such meeting at this school.".to_string()));
    };
    if let Err(refused) = open_case(&mut tx, school_id, case_id).await? {
        return Ok(Err(refused));
    }
    if !recorded {
        return Ok(Err(
            "Record the meeting first: a plan is agreed at a meeting that has taken place."
                .to_string(),
        ));
    }
    let Some((zone, today)) = school_clock(&mut tx, school_id).await? else {
        return Ok(Err("There is no such school.".to_string()));
    };
    let starts_on = starts_at.with_timezone(&zone).date_naive();
    if review_on <= today {
        return Ok(Err(format!(
            "The review date must be after today ({}): the plan needs time to work.",
            day_words(today)
        )));
    }
    let under_way: Option<NaiveDate> = sqlx::query_scalar(
        "select review_on from attendance_plans
         where school_id = $1 and case_id = $2 and reviewed_on is null",
    )
    .bind(school_id)
    .bind(case_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(review) = under_way {
        return Ok(Err(format!(
            "This case already has a plan under way, reviewed on {}: a new plan follows its review.",
            day_words(review)
        )));
    }
    let plan_id: Uuid = sqlx::query_scalar(
        "insert into attendance_plans (school_id, case_id, meeting_id, target, starts_on,
            review_on, support, agreed_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
    )
    .bind(school_id)
    .bind(case_id)
    .bind(meeting_id)
    .bind(target)
    .bind(starts_on)
    .bind(review_on)
    .bind(support)
    .bind(staff_id)
    .fetch_one(&mut *tx)
    .await?;
    let summary = format!(
        "Attendance plan agreed: a target of {} from {} to the review on {}. Support: {support}",
        hundredths(target),
        day_words(starts_on),
        day_words(review_on)
    );
    let detail = serde_json::json!({
        "plan_id": plan_id,
        "meeting_id": meeting_id,
        "target": target,
        "starts_on": starts_on,
        "review_on": review_on,
        "support": support,
    });
    add_event(
        &mut tx,
        school_id,
        case_id,
        staff_id,
        "plan_agreed",
        &summary,
        &detail,
    )
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "attendance_plan_agreed",
        &format!("case:{case_id}"),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

#[derive(sqlx::FromRow)]
struct DuePlan {
    id: Uuid,
    case_id: Uuid,
    pupil_id: Uuid,
    target: i32,
    starts_on: NaiveDate,
    review_on: NaiveDate,
    kind: String,
}

/// The step a missed target leads to: the next meeting up the ladder, and after a pre-legal
/// meeting a referral to the local authority.
fn after_missed_target(kind: MeetingKind) -> (&'static str, Option<Step>) {
    match kind {
        MeetingKind::AttendanceMeeting => ("an attendance panel", None),
        MeetingKind::Panel => ("a pre-legal meeting", None),
        MeetingKind::PreLegal => (
            "a referral to the local authority for legal action",
            Some(Step::Referral),
        ),
    }
}

/// Reviews every plan of the school whose review date has come: the attendance from the plan's
/// first day to its review date against the target, on the case's timeline, and when the
/// target was missed a proposal of the next step. Each plan is reviewed once, however often
/// this runs.
pub async fn review_due_plans(
    pool: &PgPool,
    school_id: Uuid,
    today: NaiveDate,
) -> Result<usize, sqlx::Error> {
    let due: Vec<DuePlan> = sqlx::query_as(
        "select p.id, p.case_id, c.pupil_id, p.target, p.starts_on, p.review_on, m.kind
         from attendance_plans p
         join cases c on c.school_id = p.school_id and c.id = p.case_id
         join meetings m on m.school_id = p.school_id and m.id = p.meeting_id
         where p.school_id = $1 and p.reviewed_on is null and p.review_on <= $2
         order by p.review_on",
    )
    .bind(school_id)
    .bind(today)
    .fetch_all(pool)
    .await?;
    let mut reviewed = 0;
    for plan in due {
        let figures = pupil_figures(pool, &[school_id], plan.starts_on, plan.review_on).await?;
        let sessions = figures
            .iter()
            .find(|pupil| pupil.pupil_id == plan.pupil_id)
            .map(|pupil| pupil.sessions)
            .unwrap_or_default();
        let review = PlanReview::of(plan.target, &sessions);
        let mut tx = pool.begin().await?;
        let still_due: Option<bool> = sqlx::query_scalar(
            "select reviewed_on is null from attendance_plans
             where school_id = $1 and id = $2 for update",
        )
        .bind(school_id)
        .bind(plan.id)
        .fetch_optional(&mut *tx)
        .await?;
        if still_due != Some(true) {
            continue;
        }
        sqlx::query(
            "update attendance_plans set reviewed_on = $3, reviewed_attendance = $4,
                target_met = $5
             where school_id = $1 and id = $2",
        )
        .bind(school_id)
        .bind(plan.id)
        .bind(today)
        .bind(review.attendance)
        .bind(review.target_met)
        .execute(&mut *tx)
        .await?;
        let period = format!(
            "{} to {}",
            plan.starts_on.format("%-d %b"),
            plan.review_on.format("%-d %b %Y")
        );
        let outcome = if review.target_met {
            "Keep the case under review, or close it."
        } else {
            "See the proposal."
        };
        let detail = serde_json::json!({
            "plan_id": plan.id,
            "target": plan.target,
            "attendance": review.attendance,
            "target_met": review.target_met,
            "sessions": sessions,
            "starts_on": plan.starts_on,
            "review_on": plan.review_on,
        });
        sqlx::query(
            "insert into case_events (school_id, case_id, kind, summary, detail)
             values ($1, $2, 'plan_reviewed', $3, $4)",
        )
        .bind(school_id)
        .bind(plan.case_id)
        .bind(format!(
            "Attendance plan reviewed, {period}: {}. {outcome}",
            review.words(plan.target)
        ))
        .bind(&detail)
        .execute(&mut *tx)
        .await?;
        if !review.target_met {
            let kind = MeetingKind::from_key(&plan.kind).unwrap_or(MeetingKind::AttendanceMeeting);
            let (next, step) = after_missed_target(kind);
            sqlx::query(
                "insert into case_events (school_id, case_id, kind, summary, detail)
                 values ($1, $2, 'proposed', $3, $4)",
            )
            .bind(school_id)
            .bind(plan.case_id)
            .bind(format!(
                "Proposed: {next}, as the attendance plan's target was missed ({}).",
                review.words(plan.target)
            ))
            .bind(serde_json::json!({
                "step": step.map(Step::key),
                "next": next,
                "why": review.words(plan.target),
                "plan_id": plan.id,
                "on": today,
            }))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        reviewed += 1;
    }
    Ok(reviewed)
}
