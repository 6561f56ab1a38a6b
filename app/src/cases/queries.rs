//! Every query of cases: the school's case policy, the engine that opens cases and proposes
//! steps, the caseload, a case's timeline, answers to proposals and notes.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate};
use sqlx::PgPool;
use uuid::Uuid;

use super::{CaseDetail, CaseEvent, CaseLine, CaseTask, Evaluation};
use crate::{
    attendance::queries::pupil_figures,
    audit,
    auth::Viewer,
    domain::{
        roles::Permission,
        triggers::{self, CasePolicy, PupilEvidence, Step},
    },
    school::queries::school_days,
};

/// The school's case policy.
pub async fn policy(pool: &PgPool, school_id: Uuid) -> Result<CasePolicy, sqlx::Error> {
    let row: (i32, i32, i32, i32, i32, i32, i32) = sqlx::query_as(
        "select case_letter_below, case_meeting_below, case_plan_below,
            case_referral_at_or_below, case_penalty_sessions, case_penalty_school_weeks,
            case_cme_days
         from schools where id = $1",
    )
    .bind(school_id)
    .fetch_one(pool)
    .await?;
    Ok(CasePolicy {
        letter_below: row.0,
        meeting_below: row.1,
        plan_below: row.2,
        referral_at_or_below: row.3,
        penalty_sessions: row.4,
        penalty_school_weeks: row.5,
        cme_days: row.6,
    })
}

/// Sets the case policy, checked by `CasePolicy::checked`, audited with before and after.
pub async fn save_policy(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    new: &CasePolicy,
) -> Result<(), sqlx::Error> {
    let before = policy(pool, school_id).await?;
    let mut tx = pool.begin().await?;
    sqlx::query(
        "update schools set case_letter_below = $2, case_meeting_below = $3, case_plan_below = $4,
            case_referral_at_or_below = $5, case_penalty_sessions = $6,
            case_penalty_school_weeks = $7, case_cme_days = $8
         where id = $1",
    )
    .bind(school_id)
    .bind(new.letter_below)
    .bind(new.meeting_below)
    .bind(new.plan_below)
    .bind(new.referral_at_or_below)
    .bind(new.penalty_sessions)
    .bind(new.penalty_school_weeks)
    .bind(new.cme_days)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "case_policy_changed",
        &format!("school:{school_id}"),
        serde_json::json!({ "before": before, "after": new }),
    )
    .await?;
    tx.commit().await
}

/// The ladder's steps (as opposed to the penalty-notice and ten-day triggers, proposed once
/// each per case).
fn on_ladder(step: Step) -> bool {
    matches!(
        step,
        Step::FirstLetter | Step::Meeting | Step::AttendancePlan | Step::Referral
    )
}

/// Runs the school's policy over every pupil on roll for the academic year to date: opens a case
/// for a pupil who reached a step with none open, moves an open case's stage up, and proposes
/// each step not yet proposed on the case (a ladder step only above those already proposed),
/// with the figures that triggered it. Running it again changes nothing but the latest figures;
/// two runs at once wait for each other.
pub async fn evaluate_school(
    pool: &PgPool,
    school_id: Uuid,
    today: NaiveDate,
) -> Result<Evaluation, sqlx::Error> {
    let Some(year_start): Option<NaiveDate> = sqlx::query_scalar(
        "select starts_on from academic_years
         where school_id = $1 and starts_on <= $2 order by starts_on desc limit 1",
    )
    .bind(school_id)
    .bind(today)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(Evaluation::default());
    };
    let policy = policy(pool, school_id).await?;
    let figures = pupil_figures(pool, &[school_id], year_start, today).await?;
    let weeks_back = i64::from(policy.penalty_school_weeks) * 7 + 120;
    let lookback = year_start - Duration::days(weeks_back);
    let days = school_days(pool, school_id, lookback, today).await?;
    let weeks_in_year = triggers::school_weeks(
        &days
            .iter()
            .copied()
            .filter(|day| *day >= year_start)
            .collect::<Vec<_>>(),
    )
    .len() as i64;
    let left: HashSet<Uuid> = sqlx::query_scalar(
        "select id from pupils where school_id = $1 and left_on is not null and left_on < $2",
    )
    .bind(school_id)
    .bind(today)
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();
    let mut unauthorised: HashMap<Uuid, Vec<NaiveDate>> = HashMap::new();
    let rows: Vec<(Uuid, NaiveDate)> = sqlx::query_as(
        "select pupil_id, session_date from marks
         where school_id = $1 and is_current and session_date between $2 and $3
           and code in ('G', 'N', 'O', 'U')",
    )
    .bind(school_id)
    .bind(lookback)
    .bind(today)
    .fetch_all(pool)
    .await?;
    for (pupil, date) in rows {
        unauthorised.entry(pupil).or_default().push(date);
    }
    let unexplained = crate::attendance::queries::days_coded_only(
        pool,
        school_id,
        None,
        triggers::UNEXPLAINED,
        year_start,
        today,
    )
    .await?;

    let mut evaluation = Evaluation::default();
    let mut tx = pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock(hashtext('cases:' || $1::text))")
        .bind(school_id)
        .execute(&mut *tx)
        .await?;
    for pupil in figures {
        if left.contains(&pupil.pupil_id) {
            continue;
        }
        evaluation.pupils += 1;
        let evidence = PupilEvidence {
            sessions: pupil.sessions,
            weeks: weeks_in_year,
            window: triggers::busiest_window(
                &days,
                unauthorised
                    .get(&pupil.pupil_id)
                    .map(Vec::as_slice)
                    .unwrap_or_default(),
                usize::try_from(policy.penalty_school_weeks).unwrap_or(10),
                year_start,
            ),
            unexplained_run: unexplained
                .get(&pupil.pupil_id)
                .map_or(0, |set| triggers::unexplained_run(&days, set, today)),
        };
        let reached = triggers::triggers(&policy, &evidence);
        let Some(top) = reached.iter().map(|trigger| trigger.step).max() else {
            continue;
        };
        let attendance = (evidence.sessions.possible() > 0).then(|| {
            let possible = evidence.sessions.possible();
            ((evidence.sessions.attending() * 10000 * 2 + possible) / (2 * possible)) as i32
        });
        let why = reached
            .iter()
            .map(|trigger| trigger.why.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let open: Option<(Uuid, String)> = sqlx::query_as(
            "select id, stage from cases
             where school_id = $1 and pupil_id = $2 and closed_at is null",
        )
        .bind(school_id)
        .bind(pupil.pupil_id)
        .fetch_optional(&mut *tx)
        .await?;
        let case_id = match open {
            Some((id, stage)) => {
                let stage = Step::from_key(&stage).unwrap_or(Step::FirstLetter);
                sqlx::query(
                    "update cases set stage = $3, latest_attendance = $4, latest_why = $5,
                        evaluated_on = $6
                     where school_id = $1 and id = $2",
                )
                .bind(school_id)
                .bind(id)
                .bind(stage.max(top).key())
                .bind(attendance)
                .bind(&why)
                .bind(today)
                .execute(&mut *tx)
                .await?;
                id
            }
            None => {
                // A case closed by a person stays closed until the pupil reaches a step above
                // the one it closed at.
                let closed_at: Option<String> = sqlx::query_scalar(
                    "select stage from cases
                     where school_id = $1 and pupil_id = $2 and closed_at is not null
                     order by closed_at desc limit 1",
                )
                .bind(school_id)
                .bind(pupil.pupil_id)
                .fetch_optional(&mut *tx)
                .await?;
                if closed_at
                    .as_deref()
                    .and_then(Step::from_key)
                    .is_some_and(|stage| top <= stage)
                {
                    continue;
                }
                // The attendance officer with the fewest open cases owns a new one.
                let id: Uuid = sqlx::query_scalar(
                    "insert into cases (school_id, pupil_id, stage, owner_id, latest_attendance,
                        latest_why, evaluated_on)
                     values ($1, $2, $3, (
                        select g.staff_id from role_grants g join staff s on s.id = g.staff_id
                        where g.school_id = $1 and g.role = 'attendance_officer'
                          and s.disabled_at is null
                        order by (select count(*) from cases c where c.school_id = $1
                                  and c.owner_id = g.staff_id and c.closed_at is null),
                                 s.display_name, s.id
                        limit 1), $4, $5, $6)
                     returning id",
                )
                .bind(school_id)
                .bind(pupil.pupil_id)
                .bind(top.key())
                .bind(attendance)
                .bind(&why)
                .bind(today)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "insert into case_events (school_id, case_id, kind, summary, detail)
                     values ($1, $2, 'opened', $3, $4)",
                )
                .bind(school_id)
                .bind(id)
                .bind(format!("Case opened: {why}"))
                .bind(serde_json::json!({ "evidence": evidence, "on": today }))
                .execute(&mut *tx)
                .await?;
                evaluation.cases_opened += 1;
                id
            }
        };
        let proposed: Vec<String> = sqlx::query_scalar(
            "select detail->>'step' from case_events
             where school_id = $1 and case_id = $2 and kind = 'proposed'",
        )
        .bind(school_id)
        .bind(case_id)
        .fetch_all(&mut *tx)
        .await?;
        let proposed: Vec<Step> = proposed
            .iter()
            .filter_map(|key| Step::from_key(key))
            .collect();
        for trigger in &reached {
            let already = if on_ladder(trigger.step) {
                proposed
                    .iter()
                    .any(|step| on_ladder(*step) && *step >= trigger.step)
            } else {
                proposed.contains(&trigger.step)
            };
            if already {
                continue;
            }
            sqlx::query(
                "insert into case_events (school_id, case_id, kind, summary, detail)
                 values ($1, $2, 'proposed', $3, $4)",
            )
            .bind(school_id)
            .bind(case_id)
            .bind(format!(
                "Proposed: {}. {}",
                trigger.step.label(),
                trigger.why
            ))
            .bind(serde_json::json!({
                "step": trigger.step.key(),
                "why": trigger.why,
                "evidence": evidence,
                "policy": policy,
                "on": today,
            }))
            .execute(&mut *tx)
            .await?;
            evaluation.proposals += 1;
        }
    }
    tx.commit().await?;
    Ok(evaluation)
}

#[derive(sqlx::FromRow)]
struct CaseRow {
    id: Uuid,
    pupil_id: Uuid,
    pupil_name: String,
    form: Option<String>,
    stage: String,
    owner_id: Option<Uuid>,
    owner_name: Option<String>,
    opened_at: chrono::DateTime<chrono::Utc>,
    closed_at: Option<chrono::DateTime<chrono::Utc>>,
    latest_attendance: Option<i32>,
    latest_why: String,
    open_proposals: i64,
    tasks_due: i64,
}

impl CaseRow {
    fn line(self) -> CaseLine {
        CaseLine {
            id: self.id,
            pupil_id: self.pupil_id,
            pupil_name: self.pupil_name,
            form: self.form.unwrap_or_default(),
            stage: Step::from_key(&self.stage).unwrap_or(Step::FirstLetter),
            owner_id: self.owner_id,
            owner_name: self.owner_name,
            opened_at: self.opened_at,
            attendance: self.latest_attendance,
            why: self.latest_why,
            open_proposals: self.open_proposals,
            tasks_due: self.tasks_due,
        }
    }
}

const CASE_SELECT: &str = "select c.id, c.pupil_id,
        coalesce(p.preferred_last_name, p.legal_last_name) || ', '
            || coalesce(p.preferred_first_name, p.legal_first_name) as pupil_name,
        f.name as form, c.stage, c.owner_id, s.display_name as owner_name, c.opened_at,
        c.closed_at, c.latest_attendance, c.latest_why,
        (select count(*) from case_events e where e.school_id = c.school_id
            and e.case_id = c.id and e.kind = 'proposed'
            and not exists (select 1 from case_events a where a.school_id = e.school_id
                            and a.answers_id = e.id)) as open_proposals,
        (select count(*) from case_tasks t join schools sc on sc.id = t.school_id
            where t.school_id = c.school_id and t.case_id = c.id and t.done_at is null
              and t.due_on <= (now() at time zone sc.time_zone)::date) as tasks_due
     from cases c
     join pupils p on p.school_id = c.school_id and p.id = c.pupil_id
     left join forms f on f.school_id = p.school_id and f.id = p.form_id
     left join staff s on s.id = c.owner_id";

/// The school's open cases (only `owner`'s when given), most urgent first: the most serious
/// stage, then the most tasks due, then the lowest attendance.
pub async fn caseload(
    pool: &PgPool,
    school_id: Uuid,
    owner: Option<Uuid>,
) -> Result<Vec<CaseLine>, sqlx::Error> {
    let rows: Vec<CaseRow> = sqlx::query_as(&format!(
        "{CASE_SELECT} where c.school_id = $1 and c.closed_at is null
           and ($2::uuid is null or c.owner_id = $2)"
    ))
    .bind(school_id)
    .bind(owner)
    .fetch_all(pool)
    .await?;
    let mut lines: Vec<CaseLine> = rows.into_iter().map(CaseRow::line).collect();
    lines.sort_by(|a, b| {
        b.stage
            .cmp(&a.stage)
            .then(b.tasks_due.cmp(&a.tasks_due))
            .then(
                a.attendance
                    .unwrap_or(10000)
                    .cmp(&b.attendance.unwrap_or(10000)),
            )
            .then(a.pupil_name.cmp(&b.pupil_name))
    });
    Ok(lines)
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    kind: String,
    at: chrono::DateTime<chrono::Utc>,
    by_name: Option<String>,
    summary: String,
    detail: serde_json::Value,
    safeguarding: bool,
    answered: bool,
    answers_id: Option<i64>,
}

impl EventRow {
    fn event(self) -> CaseEvent {
        CaseEvent {
            id: self.id,
            kind: self.kind,
            at: self.at,
            by_name: self.by_name,
            summary: self.summary,
            detail: self.detail,
            safeguarding: self.safeguarding,
            answered: self.answered,
            answers_id: self.answers_id,
        }
    }
}

/// A case and its timeline in date order. Safeguarding notes are left out, not even counted,
/// unless the viewer may see safeguarding at this school.
pub async fn case_detail(
    pool: &PgPool,
    viewer: &Viewer,
    school_id: Uuid,
    case_id: Uuid,
) -> Result<Option<CaseDetail>, sqlx::Error> {
    let Some(row): Option<CaseRow> = sqlx::query_as(&format!(
        "{CASE_SELECT} where c.school_id = $1 and c.id = $2"
    ))
    .bind(school_id)
    .bind(case_id)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let closed_at = row.closed_at;
    let events: Vec<EventRow> = sqlx::query_as(
        "select e.id, e.kind, e.at, s.display_name as by_name, e.summary, e.detail,
            e.safeguarding, e.answers_id,
            exists (select 1 from case_events a where a.school_id = e.school_id
                    and a.answers_id = e.id) as answered
         from case_events e left join staff s on s.id = e.by_staff_id
         where e.school_id = $1 and e.case_id = $2 and (not e.safeguarding or $3)
         order by e.at, e.id",
    )
    .bind(school_id)
    .bind(case_id)
    .bind(viewer.can(Permission::ViewSafeguarding, school_id))
    .fetch_all(pool)
    .await?;
    let pupil_id = row.pupil_id;
    let mut events: Vec<CaseEvent> = events.into_iter().map(EventRow::event).collect();
    // Leave requests and penalty notices keep their own tables; they join the timeline here.
    let today = crate::school::queries::today_at(pool, school_id)
        .await?
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    events.extend(crate::leave::queries::timeline(pool, school_id, pupil_id).await?);
    events
        .extend(crate::penalty_notices::queries::timeline(pool, school_id, pupil_id, today).await?);
    events.extend(
        crate::visits::queries::timeline(
            pool,
            school_id,
            pupil_id,
            viewer.can(Permission::ViewSafeguarding, school_id),
        )
        .await?,
    );
    events.sort_by_key(|event| event.at);
    let tasks = tasks(pool, school_id, case_id, today).await?;
    Ok(Some(CaseDetail {
        case: row.line(),
        closed_at,
        events,
        tasks,
        can_work: viewer.can(Permission::WorkCases, school_id),
    }))
}

/// The tasks of a case: open ones by due date, then done ones, latest first.
async fn tasks(
    pool: &PgPool,
    school_id: Uuid,
    case_id: Uuid,
    today: NaiveDate,
) -> Result<Vec<CaseTask>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: Uuid,
        title: String,
        due_on: NaiveDate,
        assigned_to: Uuid,
        assigned_name: String,
        done_at: Option<chrono::DateTime<chrono::Utc>>,
        done_by_name: Option<String>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "select t.id, t.title, t.due_on, t.assigned_to, a.display_name as assigned_name,
                t.done_at, d.display_name as done_by_name
         from case_tasks t join staff a on a.id = t.assigned_to
         left join staff d on d.id = t.done_by
         where t.school_id = $1 and t.case_id = $2
         order by t.done_at is not null, t.done_at desc, t.due_on, t.created_at",
    )
    .bind(school_id)
    .bind(case_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| CaseTask {
            overdue: row.done_at.is_none() && row.due_on < today,
            id: row.id,
            title: row.title,
            due_on: row.due_on,
            assigned_to: row.assigned_to,
            assigned_name: row.assigned_name,
            done_at: row.done_at,
            done_by_name: row.done_by_name,
        })
        .collect())
}

/// A task to add to a case.
pub struct NewTask {
    pub case_id: Uuid,
    pub title: String,
    pub due_on: NaiveDate,
    pub assigned_to: Uuid,
}

/// The longest task title kept.
pub const MAX_TASK_CHARS: usize = 200;

/// Adds a task to an open case of the school, on its timeline. The inner error says what to fix.
pub async fn add_task(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    task: &NewTask,
) -> Result<Result<(), String>, sqlx::Error> {
    let title = task.title.trim();
    if title.is_empty() {
        return Ok(Err("Say what needs doing.".to_string()));
    }
    if title.chars().count() > MAX_TASK_CHARS {
        return Ok(Err(format!(
            "Keep the task to {MAX_TASK_CHARS} characters; put the detail in a note."
        )));
    }
    let today = crate::school::queries::today_at(pool, school_id)
        .await?
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    if task.due_on < today {
        return Ok(Err(format!(
            "The due date {} has passed: give today or a later date.",
            task.due_on.format("%-d %B %Y")
        )));
    }
    let workers = case_workers(pool, school_id).await?;
    let Some((_, name)) = workers.iter().find(|(id, _)| *id == task.assigned_to) else {
        return Ok(Err(
            "Choose someone who works cases at this school for the task.".to_string(),
        ));
    };
    let mut tx = pool.begin().await?;
    let closed: Option<bool> = sqlx::query_scalar(
        "select closed_at is not null from cases where school_id = $1 and id = $2 for update",
    )
    .bind(school_id)
    .bind(task.case_id)
    .fetch_optional(&mut *tx)
    .await?;
    match closed {
        None => return Ok(Err("There is no such case at this school.".to_string())),
        Some(true) => {
            return Ok(Err(
                "This case is closed: nothing more can be added to it.".to_string()
            ));
        }
        Some(false) => {}
    }
    let task_id: Uuid = sqlx::query_scalar(
        "insert into case_tasks (school_id, case_id, title, due_on, assigned_to, created_by)
         values ($1, $2, $3, $4, $5, $6) returning id",
    )
    .bind(school_id)
    .bind(task.case_id)
    .bind(title)
    .bind(task.due_on)
    .bind(task.assigned_to)
    .bind(staff_id)
    .fetch_one(&mut *tx)
    .await?;
    add_event(
        &mut tx,
        school_id,
        task.case_id,
        "task",
        Some(staff_id),
        &format!(
            "Task for {name}, due {}: {title}",
            task.due_on.format("%-d %b %Y")
        ),
        serde_json::json!({ "task_id": task_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Adds one entry to a case's timeline, by a person (or by the engine, with `None`).
pub async fn add_event(
    conn: &mut sqlx::PgConnection,
    school_id: Uuid,
    case_id: Uuid,
    kind: &str,
    by: Option<Uuid>,
    summary: &str,
    detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into case_events (school_id, case_id, kind, by_staff_id, summary, detail)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(school_id)
    .bind(case_id)
    .bind(kind)
    .bind(by)
    .bind(summary)
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds an entry to the pupil's open case, if they have one (leaving the roll, an arrangement).
pub async fn add_event_on_open_case(
    conn: &mut sqlx::PgConnection,
    school_id: Uuid,
    pupil_id: Uuid,
    kind: &str,
    by: Uuid,
    summary: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into case_events (school_id, case_id, kind, by_staff_id, summary)
         select school_id, id, $3, $4, $5 from cases
         where school_id = $1 and pupil_id = $2 and closed_at is null",
    )
    .bind(school_id)
    .bind(pupil_id)
    .bind(kind)
    .bind(by)
    .bind(summary)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a task done (once); on the case's timeline.
pub async fn task_done(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    task_id: Uuid,
) -> Result<Result<(), String>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let task: Option<(Uuid, String, bool)> = sqlx::query_as(
        "select case_id, title, done_at is not null from case_tasks
         where school_id = $1 and id = $2 for update",
    )
    .bind(school_id)
    .bind(task_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((case_id, title, done)) = task else {
        return Ok(Err("There is no such task at this school.".to_string()));
    };
    if done {
        return Ok(Err("That task is already done.".to_string()));
    }
    sqlx::query(
        "update case_tasks set done_at = now(), done_by = $3 where school_id = $1 and id = $2",
    )
    .bind(school_id)
    .bind(task_id)
    .bind(staff_id)
    .execute(&mut *tx)
    .await?;
    add_event(
        &mut tx,
        school_id,
        case_id,
        "task_done",
        Some(staff_id),
        &format!("Task done: {title}"),
        serde_json::json!({ "task_id": task_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Accepts or overrides a proposal of this school. An override needs a reason. The inner error
/// says, in words, why it cannot be done.
pub async fn answer_proposal(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    proposal_id: i64,
    accept: bool,
    reason: &str,
) -> Result<Result<(), String>, sqlx::Error> {
    let reason = reason.trim();
    if !accept && reason.is_empty() {
        return Ok(Err(
            "Say why you are overriding the proposal: the reason is kept on the case.".to_string(),
        ));
    }
    let mut tx = pool.begin().await?;
    let proposal: Option<(Uuid, String, bool)> = sqlx::query_as(
        "select case_id, summary, exists (select 1 from case_events a
            where a.school_id = e.school_id and a.answers_id = e.id)
         from case_events e
         where e.school_id = $1 and e.id = $2 and e.kind = 'proposed' for update",
    )
    .bind(school_id)
    .bind(proposal_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((case_id, summary, answered)) = proposal else {
        return Ok(Err("There is no such proposal at this school.".to_string()));
    };
    if answered {
        return Ok(Err(
            "Someone has already answered this proposal: reload the case to see how.".to_string(),
        ));
    }
    let (kind, words) = if accept {
        ("accepted", format!("Accepted: {summary}"))
    } else {
        ("overridden", format!("Overridden: {reason}"))
    };
    sqlx::query(
        "insert into case_events (school_id, case_id, kind, by_staff_id, summary, detail,
            answers_id)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(school_id)
    .bind(case_id)
    .bind(kind)
    .bind(staff_id)
    .bind(&words)
    .bind(serde_json::json!({ "reason": reason, "proposal": summary }))
    .bind(proposal_id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        if accept {
            "case_proposal_accepted"
        } else {
            "case_proposal_overridden"
        },
        &format!("case:{case_id}"),
        serde_json::json!({ "proposal_id": proposal_id, "proposal": summary, "reason": reason }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Adds a note to a case of this school.
pub async fn add_note(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    case_id: Uuid,
    text: &str,
    safeguarding: bool,
) -> Result<Result<(), String>, sqlx::Error> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Err("Write the note before adding it.".to_string()));
    }
    let added = sqlx::query(
        "insert into case_events (school_id, case_id, kind, by_staff_id, summary, safeguarding)
         select $1, id, 'note', $3, $4, $5 from cases where school_id = $1 and id = $2",
    )
    .bind(school_id)
    .bind(case_id)
    .bind(staff_id)
    .bind(text)
    .bind(safeguarding)
    .execute(pool)
    .await?;
    if added.rows_affected() == 0 {
        return Ok(Err("There is no such case at this school.".to_string()));
    }
    Ok(Ok(()))
}

/// Runs the engine at every school, each on its own local date, and reviews the attendance
/// plans that have come to their review date.
pub async fn evaluate_all(pool: &PgPool) -> Result<Vec<(Uuid, Evaluation)>, sqlx::Error> {
    let schools: Vec<Uuid> = sqlx::query_scalar("select id from schools order by id")
        .fetch_all(pool)
        .await?;
    let mut done = Vec::new();
    for school_id in schools {
        done.push((school_id, evaluate_today(pool, school_id).await?));
    }
    Ok(done)
}

/// Runs the engine at one school on its local date, plan reviews included.
pub async fn evaluate_today(pool: &PgPool, school_id: Uuid) -> Result<Evaluation, sqlx::Error> {
    let today: Option<NaiveDate> = sqlx::query_scalar(
        "select (now() at time zone time_zone)::date from schools where id = $1",
    )
    .bind(school_id)
    .fetch_optional(pool)
    .await?;
    let Some(today) = today else {
        return Ok(Evaluation::default());
    };
    let mut evaluation = evaluate_school(pool, school_id, today).await?;
    evaluation.plans_reviewed =
        crate::meetings::queries::review_due_plans(pool, school_id, today).await?;
    Ok(evaluation)
}

/// The schools whose marks changed since the engine last looked, so it looks again within the
/// minute rather than at the next hourly run. Kept in memory: after a restart the first run
/// covers every school anyway.
static MARKS_CHANGED: std::sync::Mutex<std::collections::BTreeSet<Uuid>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// Notes that a school's marks changed (called by the one place totals are refreshed).
pub fn marks_changed(school_id: Uuid) {
    if let Ok(mut changed) = MARKS_CHANGED.lock() {
        changed.insert(school_id);
    }
}

/// Whether a school's marks changed since the engine last took the list.
pub fn marks_changed_since_last_run(school_id: Uuid) -> bool {
    MARKS_CHANGED
        .lock()
        .map(|changed| changed.contains(&school_id))
        .unwrap_or(false)
}

/// Takes the schools whose marks changed, emptying the list.
pub fn take_marks_changed() -> Vec<Uuid> {
    MARKS_CHANGED
        .lock()
        .map(|mut changed| std::mem::take(&mut *changed).into_iter().collect())
        .unwrap_or_default()
}

/// The staff who may be given a case at this school: those whose role there works cases, still
/// able to sign in. Their id and name, by name.
pub async fn case_workers(
    pool: &PgPool,
    school_id: Uuid,
) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    sqlx::query_as(
        "select distinct s.id, s.display_name
         from role_grants g join staff s on s.id = g.staff_id
         where g.school_id = $1 and g.role = any($2) and s.disabled_at is null
         order by s.display_name, s.id",
    )
    .bind(school_id)
    .bind(work_case_roles())
    .fetch_all(pool)
    .await
}

fn work_case_roles() -> Vec<&'static str> {
    use crate::domain::roles::{Permission, Role};
    Role::ALL
        .into_iter()
        .filter(|role| role.allows(Permission::WorkCases))
        .map(Role::key)
        .collect()
}

/// Gives an open case of this school to someone who works cases there.
pub async fn reassign(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    case_id: Uuid,
    owner_id: Uuid,
) -> Result<Result<(), String>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let case: Option<(Option<Uuid>, bool)> = sqlx::query_as(
        "select owner_id, closed_at is not null from cases
         where school_id = $1 and id = $2 for update",
    )
    .bind(school_id)
    .bind(case_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((before, closed)) = case else {
        return Ok(Err("There is no such case at this school.".to_string()));
    };
    if closed {
        return Ok(Err(
            "This case is closed: it has no owner to change.".to_string()
        ));
    }
    let workers = case_workers(pool, school_id).await?;
    let Some((_, name)) = workers.iter().find(|(id, _)| *id == owner_id) else {
        return Ok(Err(
            "Choose someone who works cases at this school: an attendance officer or lead, or the DSL."
                .to_string(),
        ));
    };
    if before == Some(owner_id) {
        return Ok(Err(format!("{name} already owns this case.")));
    }
    sqlx::query("update cases set owner_id = $3 where school_id = $1 and id = $2")
        .bind(school_id)
        .bind(case_id)
        .bind(owner_id)
        .execute(&mut *tx)
        .await?;
    let detail = serde_json::json!({ "from": before, "to": owner_id });
    add_event(
        &mut tx,
        school_id,
        case_id,
        "reassigned",
        Some(staff_id),
        &format!("Case passed to {name}."),
        detail.clone(),
    )
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "case_reassigned",
        &format!("case:{case_id}"),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Closes an open case of this school with the reason. The engine opens no new case for the
/// pupil until their figures reach a step above the one the case closed at.
pub async fn close(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    case_id: Uuid,
    reason: &str,
) -> Result<Result<(), String>, sqlx::Error> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Ok(Err(
            "Say why the case is closing: the reason is kept on the case.".to_string(),
        ));
    }
    let mut tx = pool.begin().await?;
    let closed: Option<bool> = sqlx::query_scalar(
        "select closed_at is not null from cases where school_id = $1 and id = $2 for update",
    )
    .bind(school_id)
    .bind(case_id)
    .fetch_optional(&mut *tx)
    .await?;
    match closed {
        None => return Ok(Err("There is no such case at this school.".to_string())),
        Some(true) => return Ok(Err("This case is already closed.".to_string())),
        Some(false) => {}
    }
    sqlx::query(
        "update cases set closed_at = now(), closed_reason = $3 where school_id = $1 and id = $2",
    )
    .bind(school_id)
    .bind(case_id)
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    add_event(
        &mut tx,
        school_id,
        case_id,
        "closed",
        Some(staff_id),
        &format!("Case closed: {reason}"),
        serde_json::json!({ "reason": reason }),
    )
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "case_closed",
        &format!("case:{case_id}"),
        serde_json::json!({ "reason": reason }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}
