//! The deletions' SQL. Recording one sets the enrolment's last day on roll (`pupils.left_on`) in
//! the same transaction and refreshes the pupil's figures from the deletion date, so the
//! statistics stop counting sessions the day the pupil leaves; cancelling undoes both.

use chrono::{Days, NaiveDate};
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use super::{Deletion, PupilOnRoll};
use crate::{
    attendance::queries::refresh_totals,
    audit,
    domain::{
        roll::{DeletionFacts, DeletionGround, check_deletion},
        triggers::unexplained_run,
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
    let absent: std::collections::BTreeSet<NaiveDate> = sqlx::query_scalar(
        "select session_date from marks
         where school_id = $1 and pupil_id = $2 and is_current and session_date between $3 and $4
         group by session_date
         having bool_and(code in ('G', 'N', 'O'))",
    )
    .bind(school_id)
    .bind(pupil_id)
    .bind(from)
    .bind(today)
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .collect();
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
    on_open_case(&mut tx, staff_id, school_id, deletion.pupil_id, &summary).await?;
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

/// Puts the change on the timeline of the pupil's open case, if there is one.
async fn on_open_case(
    tx: &mut Transaction<'_, Postgres>,
    staff_id: Uuid,
    school_id: Uuid,
    pupil_id: Uuid,
    summary: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into case_events (school_id, case_id, kind, by_staff_id, summary)
         select school_id, id, 'roll', $3, $4 from cases
         where school_id = $1 and pupil_id = $2 and closed_at is null",
    )
    .bind(school_id)
    .bind(pupil_id)
    .bind(staff_id)
    .bind(summary)
    .execute(&mut **tx)
    .await?;
    Ok(())
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
    on_open_case(
        &mut tx,
        staff_id,
        school_id,
        pupil_id,
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
