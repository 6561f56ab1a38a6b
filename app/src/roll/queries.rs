//! The deletions' SQL. Recording one sets the enrolment's last day on roll (`pupils.left_on`) in
//! the same transaction and refreshes the pupil's figures from the deletion date, so the
//! statistics stop counting sessions the day the pupil leaves; cancelling undoes both.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use super::{Deletion, MissingEducation, NoticeContact, PupilOnRoll, RunDay, TenDayNotice};
use crate::{
    attendance::queries::{days_coded_only, refresh_totals},
    audit,
    auth::Viewer,
    domain::{
        roles::Permission,
        roll::{CONTINUOUS_ABSENCE_CODES, DeletionFacts, DeletionGround, check_deletion},
        triggers::{UNEXPLAINED, unexplained_run, unexplained_run_days},
    },
};

/// The longest note kept with a deletion.
pub const MAX_NOTE_CHARS: usize = 2000;

pub async fn deletions(pool: &PgPool, school_id: Uuid) -> Result<Vec<Deletion>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: Uuid,
        pupil_id: Uuid,
        pupil_name: String,
        upn: String,
        form: Option<String>,
        ground: String,
        deleted_on: NaiveDate,
        notice_on: Option<NaiveDate>,
        cooling_off_until: Option<NaiveDate>,
        note: String,
        recorded_by: String,
        recorded_at: chrono::DateTime<chrono::Utc>,
        return_sent_on: Option<NaiveDate>,
        cancelled_at: Option<chrono::DateTime<chrono::Utc>>,
        cancel_reason: Option<String>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "select d.id, d.pupil_id,
                coalesce(p.preferred_last_name, p.legal_last_name) || ', '
                    || coalesce(p.preferred_first_name, p.legal_first_name) as pupil_name,
                p.upn, f.name as form, d.ground, d.deleted_on, d.notice_on, d.cooling_off_until,
                d.note, s.display_name as recorded_by, d.recorded_at, d.return_sent_on,
                d.cancelled_at, d.cancel_reason
         from roll_deletions d
         join pupils p on p.school_id = d.school_id and p.id = d.pupil_id
         left join forms f on f.school_id = p.school_id and f.id = p.form_id
         join staff s on s.id = d.recorded_by
         where d.school_id = $1
         order by d.cancelled_at is not null, d.recorded_at desc",
    )
    .bind(school_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(Deletion {
                id: row.id,
                pupil_id: row.pupil_id,
                pupil_name: row.pupil_name,
                upn: row.upn,
                form: row.form.unwrap_or_default(),
                ground: DeletionGround::from_key(&row.ground)?,
                deleted_on: row.deleted_on,
                notice_on: row.notice_on,
                cooling_off_until: row.cooling_off_until,
                note: row.note,
                recorded_by: row.recorded_by,
                recorded_at: row.recorded_at,
                return_sent_on: row.return_sent_on,
                cancelled_at: row.cancelled_at,
                cancel_reason: row.cancel_reason,
            })
        })
        .collect())
}

/// Pupils on roll today with no leaving date yet: the ones a deletion may be recorded for.
pub async fn pupils_on_roll(
    pool: &PgPool,
    school_id: Uuid,
    today: NaiveDate,
) -> Result<Vec<PupilOnRoll>, sqlx::Error> {
    let rows: Vec<(Uuid, String, Option<String>)> = sqlx::query_as(
        "select p.id,
            coalesce(p.preferred_last_name, p.legal_last_name) || ', '
                || coalesce(p.preferred_first_name, p.legal_first_name),
            f.name
         from pupils p left join forms f on f.school_id = p.school_id and f.id = p.form_id
         where p.school_id = $1 and p.admitted_on <= $2 and p.left_on is null
         order by 2, p.id",
    )
    .bind(school_id)
    .bind(today)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, form)| PupilOnRoll {
            id,
            name,
            form: form.unwrap_or_default(),
        })
        .collect())
}

/// School days of continuous absence (every session G, N or O) up to `today`, as the 20-day
/// ground counts them.
pub async fn absent_run(
    tx: &mut Transaction<'_, Postgres>,
    school_id: Uuid,
    pupil_id: Uuid,
    today: NaiveDate,
) -> Result<i64, sqlx::Error> {
    // Far enough back for any run the ground could need, across a holiday.
    let from = today - Days::new(120);
    let days = crate::school::queries::school_days(&mut **tx, school_id, from, today).await?;
    let absent = days_coded_only(
        &mut **tx,
        school_id,
        Some(pupil_id),
        CONTINUOUS_ABSENCE_CODES,
        from,
        today,
    )
    .await?
    .remove(&pupil_id)
    .unwrap_or_default();
    Ok(unexplained_run(&days, &absent, today))
}

/// What the form sends.
#[derive(Clone, Debug)]
pub struct NewDeletion {
    pub pupil_id: Uuid,
    pub ground: DeletionGround,
    pub deleted_on: NaiveDate,
    pub notice_on: Option<NaiveDate>,
    pub cooling_off_until: Option<NaiveDate>,
    pub note: String,
}

/// Records a deletion, or says what to fix and writes nothing.
pub async fn record_deletion(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    deletion: &NewDeletion,
    today: NaiveDate,
) -> Result<Result<Uuid, String>, sqlx::Error> {
    let note = deletion.note.trim();
    if note.is_empty() {
        return Ok(Err(
            "Add a note: the enquiries made, the new school or what the parent wrote.".to_string(),
        ));
    }
    if note.chars().count() > MAX_NOTE_CHARS {
        return Ok(Err(format!(
            "Keep the note to {MAX_NOTE_CHARS} characters."
        )));
    }
    let mut tx = pool.begin().await?;
    let pupil: Option<(NaiveDate, Option<NaiveDate>)> = sqlx::query_as(
        "select admitted_on, left_on from pupils where school_id = $1 and id = $2 for update",
    )
    .bind(school_id)
    .bind(deletion.pupil_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((admitted_on, left_on)) = pupil else {
        return Ok(Err("There is no such pupil at this school.".to_string()));
    };
    if let Some(left_on) = left_on {
        return Ok(Err(format!(
            "This pupil already leaves the roll after {}.",
            left_on.format("%-d %B %Y")
        )));
    }
    let facts = DeletionFacts {
        today,
        admitted_on,
        deleted_on: deletion.deleted_on,
        ground: deletion.ground,
        notice_on: deletion.notice_on,
        cooling_off_until: deletion.cooling_off_until,
        absent_run: absent_run(&mut tx, school_id, deletion.pupil_id, today).await?,
    };
    if let Err(problem) = check_deletion(&facts) {
        return Ok(Err(problem));
    }
    let id: Uuid = sqlx::query_scalar(
        "insert into roll_deletions (school_id, pupil_id, ground, deleted_on, notice_on,
             cooling_off_until, note, recorded_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
    )
    .bind(school_id)
    .bind(deletion.pupil_id)
    .bind(deletion.ground.key())
    .bind(deletion.deleted_on)
    .bind(deletion.notice_on)
    .bind(deletion.cooling_off_until)
    .bind(note)
    .bind(staff_id)
    .fetch_one(&mut *tx)
    .await?;
    set_last_day(
        &mut tx,
        school_id,
        deletion.pupil_id,
        deletion.deleted_on,
        true,
    )
    .await?;
    let summary = format!(
        "Leaves the roll on {}: {}",
        deletion.deleted_on.format("%-d %b %Y"),
        deletion.ground.label()
    );
    crate::cases::queries::add_event_on_open_case(
        &mut tx,
        school_id,
        deletion.pupil_id,
        "roll",
        staff_id,
        &summary,
    )
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "roll.delete",
        &format!("pupil:{}", deletion.pupil_id),
        serde_json::json!({
            "deletion_id": id,
            "ground": deletion.ground.key(),
            "deleted_on": deletion.deleted_on,
            "notice_on": deletion.notice_on,
            "cooling_off_until": deletion.cooling_off_until,
            "absent_run": facts.absent_run,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Sets (or with `leaving` false, clears) the enrolment's last day on roll, the day before
/// `deleted_on`, and recounts the pupil's figures from then.
async fn set_last_day(
    tx: &mut Transaction<'_, Postgres>,
    school_id: Uuid,
    pupil_id: Uuid,
    deleted_on: NaiveDate,
    leaving: bool,
) -> Result<(), sqlx::Error> {
    let last_day = deleted_on.pred_opt().filter(|_| leaving);
    sqlx::query("update pupils set left_on = $3 where school_id = $1 and id = $2")
        .bind(school_id)
        .bind(pupil_id)
        .bind(last_day)
        .execute(&mut **tx)
        .await?;
    refresh_totals(tx, school_id, &[pupil_id], deleted_on).await
}

/// The deletion, locked, if it is this school's and not cancelled: (pupil, first day off).
async fn live_deletion(
    tx: &mut Transaction<'_, Postgres>,
    school_id: Uuid,
    deletion_id: Uuid,
) -> Result<Option<(Uuid, NaiveDate, Option<NaiveDate>)>, sqlx::Error> {
    sqlx::query_as(
        "select pupil_id, deleted_on, return_sent_on from roll_deletions
         where school_id = $1 and id = $2 and cancelled_at is null for update",
    )
    .bind(school_id)
    .bind(deletion_id)
    .fetch_optional(&mut **tx)
    .await
}

/// Cancels a deletion before it is in force: the pupil stays on roll.
pub async fn cancel_deletion(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    deletion_id: Uuid,
    reason: &str,
    today: NaiveDate,
) -> Result<Result<(), String>, sqlx::Error> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Ok(Err(
            "Say why the pupil stays on roll (for example, the parent withdrew the notice)."
                .to_string(),
        ));
    }
    let mut tx = pool.begin().await?;
    let Some((pupil_id, deleted_on, _)) = live_deletion(&mut tx, school_id, deletion_id).await?
    else {
        return Ok(Err(
            "There is no such deletion at this school, or it was already cancelled.".to_string(),
        ));
    };
    if deleted_on <= today {
        return Ok(Err(format!(
            "The pupil has been off the roll since {}: a deletion in force is not undone; admit the pupil again instead.",
            deleted_on.format("%-d %B %Y")
        )));
    }
    sqlx::query(
        "update roll_deletions set cancelled_at = now(), cancelled_by = $3, cancel_reason = $4
         where school_id = $1 and id = $2",
    )
    .bind(school_id)
    .bind(deletion_id)
    .bind(staff_id)
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    set_last_day(&mut tx, school_id, pupil_id, deleted_on, false).await?;
    crate::cases::queries::add_event_on_open_case(
        &mut tx,
        school_id,
        pupil_id,
        "roll",
        staff_id,
        &format!("Stays on roll: the deletion was cancelled ({reason})"),
    )
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "roll.cancel",
        &format!("pupil:{pupil_id}"),
        serde_json::json!({ "deletion_id": deletion_id, "reason": reason }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Marks the deletion return as sent to the local authority, once.
pub async fn return_sent(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    deletion_id: Uuid,
    today: NaiveDate,
) -> Result<Result<(), String>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some((pupil_id, _, sent)) = live_deletion(&mut tx, school_id, deletion_id).await? else {
        return Ok(Err(
            "There is no such deletion at this school, or it was cancelled.".to_string(),
        ));
    };
    if let Some(sent) = sent {
        return Ok(Err(format!(
            "The return was already sent on {}.",
            sent.format("%-d %B %Y")
        )));
    }
    sqlx::query(
        "update roll_deletions set return_sent_on = $3, return_sent_by = $4
         where school_id = $1 and id = $2",
    )
    .bind(school_id)
    .bind(deletion_id)
    .bind(today)
    .bind(staff_id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "roll.return_sent",
        &format!("pupil:{pupil_id}"),
        serde_json::json!({ "deletion_id": deletion_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Each pupil's current run of unexplained absence (N, O) up to `today`, earliest day first;
/// pupils with no run are left out.
async fn unexplained_runs(
    pool: &PgPool,
    school_id: Uuid,
    pupil_id: Option<Uuid>,
    today: NaiveDate,
) -> Result<HashMap<Uuid, Vec<NaiveDate>>, sqlx::Error> {
    // The notice is at most 60 school days (the policy's limit): 120 calendar days reach back far
    // enough across any holiday.
    let from = today - Days::new(120);
    let days = crate::school::queries::school_days(pool, school_id, from, today).await?;
    let coded = days_coded_only(pool, school_id, pupil_id, UNEXPLAINED, from, today).await?;
    Ok(coded
        .into_iter()
        .map(|(pupil, set)| (pupil, unexplained_run_days(&days, &set, today)))
        .filter(|(_, run)| !run.is_empty())
        .collect())
}

/// Pupils on roll whose run has reached the ten-day notice (`cme_days` school days), longest
/// run first, with when their notice was sent.
pub async fn missing_education(
    pool: &PgPool,
    school_id: Uuid,
    today: NaiveDate,
    cme_days: i32,
) -> Result<Vec<MissingEducation>, sqlx::Error> {
    let runs: HashMap<Uuid, Vec<NaiveDate>> = unexplained_runs(pool, school_id, None, today)
        .await?
        .into_iter()
        .filter(|(_, run)| run.len() >= usize::try_from(cme_days).unwrap_or(usize::MAX))
        .collect();
    if runs.is_empty() {
        return Ok(Vec::new());
    }
    let on_roll: HashMap<Uuid, PupilOnRoll> = pupils_on_roll(pool, school_id, today)
        .await?
        .into_iter()
        .map(|pupil| (pupil.id, pupil))
        .collect();
    let sent: HashMap<(Uuid, NaiveDate), NaiveDate> =
        sqlx::query_as::<_, (Uuid, NaiveDate, NaiveDate)>(
            "select pupil_id, run_from, sent_on from ten_day_notices where school_id = $1",
        )
        .bind(school_id)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|(pupil, from, on)| ((pupil, from), on))
        .collect();
    let mut missing: Vec<MissingEducation> = runs
        .into_iter()
        .filter_map(|(pupil_id, run)| {
            let pupil = on_roll.get(&pupil_id)?;
            let run_from = *run.first()?;
            Some(MissingEducation {
                pupil_id,
                pupil_name: pupil.name.clone(),
                form: pupil.form.clone(),
                run_from,
                run_days: run.len() as i64,
                notice_sent_on: sent.get(&(pupil_id, run_from)).copied(),
            })
        })
        .collect();
    missing.sort_by(|a, b| {
        b.run_days
            .cmp(&a.run_days)
            .then_with(|| a.pupil_name.cmp(&b.pupil_name))
    });
    Ok(missing)
}

/// The ten-day notice for a pupil with a current run of unexplained absence; `None` when the
/// pupil is not this school's or has no run today.
pub async fn ten_day_notice(
    pool: &PgPool,
    viewer: &Viewer,
    school_id: Uuid,
    pupil_id: Uuid,
    today: NaiveDate,
) -> Result<Option<TenDayNotice>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        school_name: String,
        pupil_name: String,
        upn: String,
        date_of_birth: NaiveDate,
        year: String,
        form: Option<String>,
    }
    let Some(row): Option<Row> = sqlx::query_as(
        "select sc.name as school_name,
                coalesce(p.preferred_first_name, p.legal_first_name) || ' '
                    || coalesce(p.preferred_last_name, p.legal_last_name) as pupil_name,
                p.upn, p.date_of_birth, y.name as year, f.name as form
         from pupils p
         join schools sc on sc.id = p.school_id
         join year_groups y on y.school_id = p.school_id and y.id = p.year_group_id
         left join forms f on f.school_id = p.school_id and f.id = p.form_id
         where p.school_id = $1 and p.id = $2",
    )
    .bind(school_id)
    .bind(pupil_id)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let Some(run) = unexplained_runs(pool, school_id, Some(pupil_id), today)
        .await?
        .remove(&pupil_id)
    else {
        return Ok(None);
    };
    let (run_from, run_to) = (run[0], run[run.len() - 1]);
    let marks: Vec<(NaiveDate, String, String)> = sqlx::query_as(
        "select session_date, session, code from marks
         where school_id = $1 and pupil_id = $2 and is_current and session_date between $3 and $4
         order by session_date, session",
    )
    .bind(school_id)
    .bind(pupil_id)
    .bind(run_from)
    .bind(run_to)
    .fetch_all(pool)
    .await?;
    let run = run
        .into_iter()
        .map(|date| {
            let code = |session: &str| {
                marks
                    .iter()
                    .find(|(day, s, _)| *day == date && s == session)
                    .map(|(.., code)| code.clone())
                    .unwrap_or_else(|| "-".to_string())
            };
            RunDay {
                date,
                am: code("AM"),
                pm: code("PM"),
            }
        })
        .collect();
    #[derive(sqlx::FromRow)]
    struct ContactRow {
        name: String,
        relationship: String,
        mobile_phone: String,
        home_phone: String,
        work_phone: String,
        email: String,
        address: String,
        postcode: String,
    }
    let joined = |parts: Vec<String>, with: &str| {
        parts
            .into_iter()
            .filter(|part| !part.trim().is_empty())
            .collect::<Vec<_>>()
            .join(with)
    };
    let contacts: Vec<ContactRow> = sqlx::query_as(
        "select trim(title || ' ' || first_name || ' ' || last_name) as name, relationship,
            mobile_phone, home_phone, work_phone, email, address, postcode
         from contacts where school_id = $1 and pupil_id = $2 order by priority",
    )
    .bind(school_id)
    .bind(pupil_id)
    .fetch_all(pool)
    .await?;
    let contacts = contacts
        .into_iter()
        .map(|c| NoticeContact {
            name: c.name,
            relationship: c.relationship,
            phones: joined(vec![c.mobile_phone, c.home_phone, c.work_phone], ", "),
            email: c.email,
            address: joined(vec![c.address, c.postcode], ", "),
        })
        .collect();
    let attempts =
        crate::calling::queries::pupil_attempts(pool, school_id, pupil_id, run_from, today).await?;
    // The open case's timeline since the run began, as this viewer may see it (safeguarding
    // notes only for the DSL).
    let case_id: Option<Uuid> = sqlx::query_scalar(
        "select id from cases where school_id = $1 and pupil_id = $2 and closed_at is null",
    )
    .bind(school_id)
    .bind(pupil_id)
    .fetch_optional(pool)
    .await?;
    let case_events: Vec<crate::cases::CaseEvent> = match case_id {
        Some(case_id) => crate::cases::queries::case_detail(pool, viewer, school_id, case_id)
            .await?
            .map(|detail| {
                detail
                    .events
                    .into_iter()
                    .filter(|event| event.at.date_naive() >= run_from)
                    .collect()
            })
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let sent_on: Option<NaiveDate> = sqlx::query_scalar(
        "select sent_on from ten_day_notices
         where school_id = $1 and pupil_id = $2 and run_from = $3",
    )
    .bind(school_id)
    .bind(pupil_id)
    .bind(run_from)
    .fetch_optional(pool)
    .await?;
    if case_events.iter().any(|event| event.safeguarding) {
        crate::data_protection::queries::log_view(
            pool,
            viewer,
            school_id,
            pupil_id,
            crate::data_protection::ViewedRecord::TenDayNotice,
            case_id,
        )
        .await?;
    }
    Ok(Some(TenDayNotice {
        school_id,
        school_name: row.school_name,
        today,
        pupil_id,
        pupil_name: row.pupil_name,
        upn: row.upn,
        date_of_birth: row.date_of_birth,
        year: row.year,
        form: row.form.unwrap_or_default(),
        contacts,
        run_from,
        run,
        attempts,
        case_events,
        sent_on,
        can_send: viewer.can(Permission::WorkCases, school_id),
    }))
}

/// Records that the ten-day notice for the pupil's current run went to the local authority:
/// only once the run has reached `cme_days`, once per run.
pub async fn ten_day_notice_sent(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    pupil_id: Uuid,
    today: NaiveDate,
    cme_days: i32,
) -> Result<Result<(), String>, sqlx::Error> {
    let run = unexplained_runs(pool, school_id, Some(pupil_id), today)
        .await?
        .remove(&pupil_id)
        .unwrap_or_default();
    if run.len() < usize::try_from(cme_days).unwrap_or(usize::MAX) {
        return Ok(Err(format!(
            "The pupil has {} school day(s) of unexplained absence running; the school's notice is due after {cme_days}.",
            run.len()
        )));
    }
    let mut tx = pool.begin().await?;
    let inserted = sqlx::query(
        "insert into ten_day_notices (school_id, pupil_id, run_from, run_days, sent_on, sent_by)
         values ($1, $2, $3, $4, $5, $6) on conflict do nothing",
    )
    .bind(school_id)
    .bind(pupil_id)
    .bind(run[0])
    .bind(run.len() as i32)
    .bind(today)
    .bind(staff_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(Err(
            "The notice for this run of absence was already sent.".to_string()
        ));
    }
    crate::cases::queries::add_event_on_open_case(
        &mut tx,
        school_id,
        pupil_id,
        "roll",
        staff_id,
        &format!(
            "Ten-day notice sent to the local authority: {} school days of unexplained absence since {}",
            run.len(),
            run[0].format("%-d %b %Y")
        ),
    )
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "roll.ten_day_notice",
        &format!("pupil:{pupil_id}"),
        serde_json::json!({ "run_from": run[0], "run_days": run.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}
