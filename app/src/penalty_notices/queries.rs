//! Every query about penalty notices: who meets the threshold (the case policy counted by
//! `domain::triggers`, as the case engine counts it), Notices to Improve, penalty notices under
//! the 3-year rule, payments, withdrawals and the entries for a case's timeline.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::{Eligible, NoticeToImprove, PenaltyNotice};
use crate::{
    audit,
    cases::{CaseEvent, queries::policy},
    domain::{
        figures::Tally,
        penalty::{self, Earlier, Sequence},
        triggers::{self, PupilEvidence, Step, UnauthorisedWindow},
    },
    leave::queries::{parent_name, pupils_on_roll},
    school::queries::school_days,
};

/// Each pupil's busiest window of unauthorised sessions this academic year, with the words of
/// the trigger, for the pupils who meet the school's penalty-notice threshold on `today`. With
/// `after`, only sessions after that day count: absence already answered by a notice does not
/// ground another.
async fn over_threshold(
    pool: &PgPool,
    school_id: Uuid,
    pupil: Option<Uuid>,
    after: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<HashMap<Uuid, (UnauthorisedWindow, String)>, sqlx::Error> {
    let Some(year_start): Option<NaiveDate> = sqlx::query_scalar(
        "select starts_on from academic_years
         where school_id = $1 and starts_on <= $2 order by starts_on desc limit 1",
    )
    .bind(school_id)
    .bind(today)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(HashMap::new());
    };
    let policy = policy(pool, school_id).await?;
    // The same look-back as the case engine, so a window may span the summer.
    let lookback = year_start - Duration::days(i64::from(policy.penalty_school_weeks) * 7 + 120);
    let days = school_days(pool, school_id, lookback, today).await?;
    let rows: Vec<(Uuid, NaiveDate)> = sqlx::query_as(
        "select pupil_id, session_date from marks
         where school_id = $1 and is_current and session_date between $2 and $3
           and code in ('G', 'N', 'O', 'U') and ($4::uuid is null or pupil_id = $4)
           and ($5::date is null or session_date > $5)",
    )
    .bind(school_id)
    .bind(lookback)
    .bind(today)
    .bind(pupil)
    .bind(after)
    .fetch_all(pool)
    .await?;
    let mut unauthorised: HashMap<Uuid, Vec<NaiveDate>> = HashMap::new();
    for (pupil, date) in rows {
        unauthorised.entry(pupil).or_default().push(date);
    }
    let weeks = usize::try_from(policy.penalty_school_weeks).unwrap_or(10);
    let mut found = HashMap::new();
    for (pupil, dates) in unauthorised {
        let evidence = PupilEvidence {
            sessions: Tally::default(),
            weeks: 0,
            window: triggers::busiest_window(&days, &dates, weeks, year_start),
            unexplained_run: 0,
        };
        let met = triggers::triggers(&policy, &evidence)
            .into_iter()
            .find(|trigger| trigger.step == Step::PenaltyNotice);
        if let (Some(trigger), Some(window)) = (met, evidence.window) {
            found.insert(pupil, (window, trigger.why));
        }
    }
    Ok(found)
}

/// The pupils on roll who meet the threshold, most sessions first.
pub async fn eligible(
    pool: &PgPool,
    school_id: Uuid,
    today: NaiveDate,
) -> Result<Vec<Eligible>, sqlx::Error> {
    let mut met = over_threshold(pool, school_id, None, None, today).await?;
    let counts: HashMap<Uuid, i64> = sqlx::query_as::<_, (Uuid, i64)>(
        "select pupil_id, count(*) from penalty_notices
         where school_id = $1 and withdrawn_on is null group by pupil_id",
    )
    .bind(school_id)
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();
    let mut list: Vec<Eligible> = pupils_on_roll(pool, school_id, today)
        .await?
        .into_iter()
        .filter_map(|pupil| {
            let (window, why) = met.remove(&pupil.id)?;
            Some(Eligible {
                pupil_id: pupil.id,
                pupil_name: pupil.name,
                form: pupil.form,
                window,
                why,
                parents: pupil.parents,
                notices: counts.get(&pupil.id).copied().unwrap_or(0),
            })
        })
        .collect();
    list.sort_by(|a, b| {
        b.window
            .sessions
            .cmp(&a.window.sessions)
            .then(a.pupil_name.cmp(&b.pupil_name))
    });
    Ok(list)
}

/// The school's Notices to Improve, newest first.
pub async fn notices_to_improve(
    pool: &PgPool,
    school_id: Uuid,
) -> Result<Vec<NoticeToImprove>, sqlx::Error> {
    notices_to_improve_where(pool, school_id, None).await
}

async fn notices_to_improve_where(
    pool: &PgPool,
    school_id: Uuid,
    pupil: Option<Uuid>,
) -> Result<Vec<NoticeToImprove>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: Uuid,
        pupil_id: Uuid,
        pupil_name: String,
        parent_name: String,
        issued_on: NaiveDate,
        improvement_ends_on: NaiveDate,
        support_offered: String,
        why: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "select n.id, n.pupil_id,
            coalesce(p.preferred_last_name, p.legal_last_name) || ', '
                || coalesce(p.preferred_first_name, p.legal_first_name) as pupil_name,
            n.parent_name, n.issued_on, n.improvement_ends_on, n.support_offered, n.why
         from notices_to_improve n join pupils p on p.school_id = n.school_id and p.id = n.pupil_id
         where n.school_id = $1 and ($2::uuid is null or n.pupil_id = $2)
         order by n.issued_on desc, n.created_at desc limit 500",
    )
    .bind(school_id)
    .bind(pupil)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| NoticeToImprove {
            id: row.id,
            pupil_id: row.pupil_id,
            pupil_name: row.pupil_name,
            parent_name: row.parent_name,
            issued_on: row.issued_on,
            improvement_ends_on: row.improvement_ends_on,
            support_offered: row.support_offered,
            why: row.why,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct NoticeRow {
    id: Uuid,
    pupil_id: Uuid,
    pupil_name: String,
    parent_name: String,
    issued_on: NaiveDate,
    sequence: i32,
    why: String,
    paid_on: Option<NaiveDate>,
    amount_paid_pence: Option<i32>,
    withdrawn_on: Option<NaiveDate>,
    withdrawn_reason: Option<String>,
    issued_by: Option<String>,
    created_at: DateTime<Utc>,
}

impl NoticeRow {
    fn notice(self, today: NaiveDate) -> PenaltyNotice {
        let sequence = Sequence::from_number(self.sequence);
        let (lower_until, pay_by) = penalty::deadlines(sequence, self.issued_on);
        let status = penalty::status(
            self.issued_on,
            self.paid_on.zip(self.amount_paid_pence),
            self.withdrawn_on.zip(self.withdrawn_reason),
            today,
        );
        let due_today = matches!(status, penalty::Status::Issued)
            .then(|| penalty::amount_due(sequence, self.issued_on, today))
            .flatten();
        PenaltyNotice {
            id: self.id,
            pupil_id: self.pupil_id,
            pupil_name: self.pupil_name,
            parent_name: self.parent_name,
            issued_on: self.issued_on,
            sequence,
            lower_until,
            pay_by,
            due_today,
            status,
            why: self.why,
        }
    }
}

const NOTICE_SELECT: &str = "select n.id, n.pupil_id,
        coalesce(p.preferred_last_name, p.legal_last_name) || ', '
            || coalesce(p.preferred_first_name, p.legal_first_name) as pupil_name,
        n.parent_name, n.issued_on, n.sequence, n.why, n.paid_on, n.amount_paid_pence,
        n.withdrawn_on, n.withdrawn_reason, s.display_name as issued_by, n.created_at
     from penalty_notices n
     join pupils p on p.school_id = n.school_id and p.id = n.pupil_id
     left join staff s on s.id = n.issued_by";

/// The school's penalty notices, newest first, each with where it stands on `today`.
pub async fn notices(
    pool: &PgPool,
    school_id: Uuid,
    today: NaiveDate,
) -> Result<Vec<PenaltyNotice>, sqlx::Error> {
    let rows: Vec<NoticeRow> = sqlx::query_as(&format!(
        "{NOTICE_SELECT} where n.school_id = $1 order by n.issued_on desc, n.created_at desc
         limit 500"
    ))
    .bind(school_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|row| row.notice(today)).collect())
}

/// The name of a parent or carer of a pupil on roll today, or what is wrong.
async fn check_parent(
    pool: &PgPool,
    school_id: Uuid,
    pupil_id: Uuid,
    contact_id: Uuid,
    today: NaiveDate,
) -> Result<Result<String, String>, sqlx::Error> {
    let on_roll: Option<bool> = sqlx::query_scalar(
        "select admitted_on <= $3 and (left_on is null or left_on >= $3)
         from pupils where school_id = $1 and id = $2",
    )
    .bind(school_id)
    .bind(pupil_id)
    .bind(today)
    .fetch_optional(pool)
    .await?;
    match on_roll {
        None => return Ok(Err("There is no such pupil at this school.".to_string())),
        Some(false) => return Ok(Err("The pupil is not on roll today.".to_string())),
        Some(true) => {}
    }
    let mut conn = pool.acquire().await?;
    Ok(parent_name(&mut conn, school_id, pupil_id, contact_id)
        .await?
        .ok_or_else(|| "That parent or carer is not one of this pupil's contacts.".to_string()))
}

/// The figures in words if the pupil meets the threshold on `today` (counting only sessions
/// after `after`), or why not.
async fn check_threshold(
    pool: &PgPool,
    school_id: Uuid,
    pupil_id: Uuid,
    after: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Result<String, String>, sqlx::Error> {
    let policy = policy(pool, school_id).await?;
    let met = over_threshold(pool, school_id, Some(pupil_id), after, today)
        .await?
        .remove(&pupil_id);
    Ok(match (met, after) {
        (Some((_, why)), _) => Ok(why),
        (None, None) => Err(format!(
            "The pupil does not meet the school's threshold for a penalty notice ({} \
             unauthorised sessions within {} school weeks this year). Nothing was issued.",
            policy.penalty_sessions, policy.penalty_school_weeks
        )),
        (None, Some(last)) => Err(format!(
            "Since this parent's last notice for this child ({}), the pupil's unauthorised \
             absence does not meet the school's threshold again ({} sessions within {} school \
             weeks): absence already answered by a notice cannot ground another. Nothing was \
             issued.",
            last.format("%-d %b %Y"),
            policy.penalty_sessions,
            policy.penalty_school_weeks
        )),
    })
}

/// Issues a Notice to Improve on `today` with its improvement period, audited.
pub async fn issue_notice_to_improve(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    pupil_id: Uuid,
    contact_id: Uuid,
    today: NaiveDate,
    improvement_ends_on: NaiveDate,
    support_offered: &str,
) -> Result<Result<Uuid, String>, sqlx::Error> {
    if let Err(message) = penalty::check_improvement_period(today, improvement_ends_on) {
        return Ok(Err(message));
    }
    let support_offered = support_offered.trim();
    if support_offered.is_empty() {
        return Ok(Err(
            "Say what support has been offered: the notice must set it out.".to_string(),
        ));
    }
    let parent = match check_parent(pool, school_id, pupil_id, contact_id, today).await? {
        Ok(parent) => parent,
        Err(message) => return Ok(Err(message)),
    };
    let why = match check_threshold(pool, school_id, pupil_id, None, today).await? {
        Ok(why) => why,
        Err(message) => return Ok(Err(message)),
    };
    let mut tx = pool.begin().await?;
    let id: Uuid = sqlx::query_scalar(
        "insert into notices_to_improve (school_id, pupil_id, contact_id, parent_name, issued_on,
            improvement_ends_on, support_offered, why, issued_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
    )
    .bind(school_id)
    .bind(pupil_id)
    .bind(contact_id)
    .bind(&parent)
    .bind(today)
    .bind(improvement_ends_on)
    .bind(support_offered)
    .bind(&why)
    .bind(staff_id)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "notice_to_improve_issued",
        &format!("notice_to_improve:{id}"),
        serde_json::json!({
            "pupil_id": pupil_id,
            "parent": parent,
            "issued_on": today,
            "improvement_ends_on": improvement_ends_on,
            "why": why,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Issues a penalty notice on `today` to a parent of a pupil who meets the threshold: the first
/// or second within 3 years for that parent and child, never a third. Audited; on any refusal
/// nothing is written.
pub async fn issue_penalty_notice(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    pupil_id: Uuid,
    contact_id: Uuid,
    today: NaiveDate,
) -> Result<Result<Uuid, String>, sqlx::Error> {
    let parent = match check_parent(pool, school_id, pupil_id, contact_id, today).await? {
        Ok(parent) => parent,
        Err(message) => return Ok(Err(message)),
    };
    let mut tx = pool.begin().await?;
    // Two people issuing for the same child at once wait for each other, so the second sees the
    // first's notice under the 3-year rule.
    sqlx::query("select pg_advisory_xact_lock(hashtext('penalty:' || $1::text))")
        .bind(pupil_id)
        .execute(&mut *tx)
        .await?;
    // The same parent: the same contact, or (as contacts may be re-imported) the same name.
    let earlier: Vec<(NaiveDate, bool)> = sqlx::query_as(
        "select issued_on, withdrawn_on is not null from penalty_notices
         where school_id = $1 and pupil_id = $2
           and (contact_id = $3 or lower(parent_name) = lower($4))",
    )
    .bind(school_id)
    .bind(pupil_id)
    .bind(contact_id)
    .bind(&parent)
    .fetch_all(&mut *tx)
    .await?;
    let earlier: Vec<Earlier> = earlier
        .into_iter()
        .map(|(issued_on, withdrawn)| Earlier {
            issued_on,
            withdrawn,
        })
        .collect();
    let sequence = match penalty::next_notice(&earlier, today) {
        Ok(sequence) => sequence,
        Err(message) => return Ok(Err(message)),
    };
    let last_notice = earlier
        .iter()
        .filter(|notice| !notice.withdrawn)
        .map(|notice| notice.issued_on)
        .max();
    let why = match check_threshold(pool, school_id, pupil_id, last_notice, today).await? {
        Ok(why) => why,
        Err(message) => return Ok(Err(message)),
    };
    // A Notice to Improve gives the parent its whole improvement period first.
    let notice_to_improve: Option<(Uuid, NaiveDate)> = sqlx::query_as(
        "select id, improvement_ends_on from notices_to_improve
         where school_id = $1 and pupil_id = $2
           and (contact_id = $3 or lower(parent_name) = lower($4))
         order by improvement_ends_on desc limit 1",
    )
    .bind(school_id)
    .bind(pupil_id)
    .bind(contact_id)
    .bind(&parent)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((_, ends_on)) = notice_to_improve
        && ends_on >= today
    {
        return Ok(Err(format!(
            "This parent's Notice to Improve gives them until {} to improve: a penalty notice \
             may follow only after that, if attendance has not improved enough. Nothing was \
             issued.",
            ends_on.format("%-d %b %Y")
        )));
    }
    let notice_to_improve = notice_to_improve.map(|(id, _)| id);
    let id: Uuid = sqlx::query_scalar(
        "insert into penalty_notices (school_id, pupil_id, contact_id, parent_name, issued_on,
            sequence, why, notice_to_improve_id, issued_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
    )
    .bind(school_id)
    .bind(pupil_id)
    .bind(contact_id)
    .bind(&parent)
    .bind(today)
    .bind(sequence.number())
    .bind(&why)
    .bind(notice_to_improve)
    .bind(staff_id)
    .fetch_one(&mut *tx)
    .await?;
    let (lower_until, pay_by) = penalty::deadlines(sequence, today);
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "penalty_notice_issued",
        &format!("penalty_notice:{id}"),
        serde_json::json!({
            "pupil_id": pupil_id,
            "parent": parent,
            "issued_on": today,
            "sequence": sequence.number(),
            "lower_amount_until": lower_until,
            "pay_by": pay_by,
            "why": why,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Records a payment on a notice still open, for the amount due on the day paid. Audited.
pub async fn record_payment(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    notice_id: Uuid,
    paid_on: NaiveDate,
    pence: i32,
    today: NaiveDate,
) -> Result<Result<(), String>, sqlx::Error> {
    if paid_on > today {
        return Ok(Err(
            "A payment cannot be recorded for a future date.".to_string()
        ));
    }
    let mut tx = pool.begin().await?;
    let notice: Option<(NaiveDate, i32, bool, bool)> = sqlx::query_as(
        "select issued_on, sequence, paid_on is not null, withdrawn_on is not null
         from penalty_notices where school_id = $1 and id = $2 for update",
    )
    .bind(school_id)
    .bind(notice_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((issued_on, sequence, paid, withdrawn)) = notice else {
        return Ok(Err("There is no such notice at this school.".to_string()));
    };
    if paid || withdrawn {
        return Ok(Err(format!(
            "This notice has already been {}.",
            if paid { "paid" } else { "withdrawn" }
        )));
    }
    let sequence = Sequence::from_number(sequence);
    if let Err(message) = penalty::check_payment(sequence, issued_on, paid_on, pence) {
        return Ok(Err(message));
    }
    sqlx::query(
        "update penalty_notices set paid_on = $3, amount_paid_pence = $4, payment_recorded_by = $5
         where school_id = $1 and id = $2",
    )
    .bind(school_id)
    .bind(notice_id)
    .bind(paid_on)
    .bind(pence)
    .bind(staff_id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "penalty_notice_paid",
        &format!("penalty_notice:{notice_id}"),
        serde_json::json!({ "paid_on": paid_on, "pence": pence }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Withdraws a notice not paid, with a reason. Audited. A withdrawn notice no longer counts
/// under the 3-year rule.
pub async fn withdraw(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    notice_id: Uuid,
    reason: &str,
    today: NaiveDate,
) -> Result<Result<(), String>, sqlx::Error> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Ok(Err(
            "Say why the notice is withdrawn: the reason is kept with it.".to_string(),
        ));
    }
    let mut tx = pool.begin().await?;
    let notice: Option<(bool, bool)> = sqlx::query_as(
        "select paid_on is not null, withdrawn_on is not null
         from penalty_notices where school_id = $1 and id = $2 for update",
    )
    .bind(school_id)
    .bind(notice_id)
    .fetch_optional(&mut *tx)
    .await?;
    match notice {
        None => return Ok(Err("There is no such notice at this school.".to_string())),
        Some((true, _)) => return Ok(Err("A paid notice cannot be withdrawn.".to_string())),
        Some((_, true)) => {
            return Ok(Err("This notice has already been withdrawn.".to_string()));
        }
        Some(_) => {}
    }
    sqlx::query(
        "update penalty_notices set withdrawn_on = $3, withdrawn_reason = $4, withdrawn_by = $5
         where school_id = $1 and id = $2",
    )
    .bind(school_id)
    .bind(notice_id)
    .bind(today)
    .bind(reason)
    .bind(staff_id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "penalty_notice_withdrawn",
        &format!("penalty_notice:{notice_id}"),
        serde_json::json!({ "withdrawn_on": today, "reason": reason }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// The pupil's Notices to Improve and penalty notices as entries of a case's timeline.
pub async fn timeline(
    pool: &PgPool,
    school_id: Uuid,
    pupil_id: Uuid,
    today: NaiveDate,
) -> Result<Vec<CaseEvent>, sqlx::Error> {
    let event = |kind: &str, at: DateTime<Utc>, by: Option<String>, summary: String| CaseEvent {
        id: 0,
        kind: kind.to_string(),
        at,
        by_name: by,
        summary,
        detail: serde_json::Value::Null,
        safeguarding: false,
        answered: false,
        answers_id: None,
    };
    let midday = |date: NaiveDate| date.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc();
    let mut events = Vec::new();
    for notice in notices_to_improve_where(pool, school_id, Some(pupil_id)).await? {
        events.push(event(
            "notice_to_improve",
            midday(notice.issued_on),
            None,
            format!(
                "Notice to Improve to {}: improvement period to {}. {}",
                notice.parent_name,
                notice.improvement_ends_on.format("%-d %b %Y"),
                notice.why
            ),
        ));
    }
    let rows: Vec<NoticeRow> = sqlx::query_as(&format!(
        "{NOTICE_SELECT} where n.school_id = $1 and n.pupil_id = $2"
    ))
    .bind(school_id)
    .bind(pupil_id)
    .fetch_all(pool)
    .await?;
    for row in rows {
        let at = row.created_at;
        let by = row.issued_by.clone();
        let notice = row.notice(today);
        events.push(event(
            "penalty_notice",
            at,
            by,
            format!(
                "Penalty notice ({}) to {}: {}. {}",
                if notice.sequence == Sequence::First {
                    "first"
                } else {
                    "second within 3 years"
                },
                notice.parent_name,
                notice.status.label(),
                notice.why
            ),
        ));
    }
    Ok(events)
}
