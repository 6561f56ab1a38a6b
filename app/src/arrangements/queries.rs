//! The arrangements' SQL: recorded and reviewed in one transaction each, audited, and put on the
//! pupil's open case.

use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use super::{Arrangement, Kind, NewArrangement, check_arrangement};
use crate::audit;

/// The school's arrangements not yet over, then the ones that ended, latest first.
pub async fn arrangements(
    pool: &PgPool,
    school_id: Uuid,
    today: NaiveDate,
) -> Result<Vec<Arrangement>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: Uuid,
        pupil_id: Uuid,
        pupil_name: String,
        form: Option<String>,
        kind: String,
        arranged_by: Option<String>,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
        review_on: Option<NaiveDate>,
        detail: String,
        la_notified_on: Option<NaiveDate>,
        recorded_by: String,
        recorded_at: chrono::DateTime<chrono::Utc>,
        reviewed_on: Option<NaiveDate>,
        review_note: Option<String>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "select a.id, a.pupil_id,
                coalesce(p.preferred_last_name, p.legal_last_name) || ', '
                    || coalesce(p.preferred_first_name, p.legal_first_name) as pupil_name,
                f.name as form, a.kind, a.arranged_by, a.starts_on, a.ends_on, a.review_on,
                a.detail, a.la_notified_on, s.display_name as recorded_by, a.recorded_at,
                r.reviewed_on, r.note as review_note
         from pupil_arrangements a
         join pupils p on p.school_id = a.school_id and p.id = a.pupil_id
         left join forms f on f.school_id = p.school_id and f.id = p.form_id
         join staff s on s.id = a.recorded_by
         left join lateral (
            select reviewed_on, note from arrangement_reviews
            where school_id = a.school_id and arrangement_id = a.id
            order by reviewed_at desc limit 1
         ) r on true
         where a.school_id = $1
         order by a.ends_on < $2, a.review_on nulls last, a.starts_on desc",
    )
    .bind(school_id)
    .bind(today)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Arrangement {
            id: row.id,
            pupil_id: row.pupil_id,
            pupil_name: row.pupil_name,
            form: row.form.unwrap_or_default(),
            kind: match (row.kind.as_str(), row.arranged_by.as_deref()) {
                ("alternative_provision", by) => Kind::AlternativeProvision {
                    by_local_authority: by == Some("la"),
                },
                _ => Kind::ReducedTimetable,
            },
            starts_on: row.starts_on,
            ends_on: row.ends_on,
            review_on: row.review_on,
            detail: row.detail,
            la_notified_on: row.la_notified_on,
            recorded_by: row.recorded_by,
            recorded_at: row.recorded_at,
            last_review: row.reviewed_on.zip(row.review_note),
        })
        .collect())
}

/// Records an arrangement, or says what to fix and writes nothing.
pub async fn add(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    new: &NewArrangement,
    today: NaiveDate,
) -> Result<Result<Uuid, String>, sqlx::Error> {
    if let Err(problem) = check_arrangement(new, today) {
        return Ok(Err(problem));
    }
    let on_roll: Option<bool> = sqlx::query_scalar(
        "select admitted_on <= $3 and (left_on is null or left_on >= $4)
         from pupils where school_id = $1 and id = $2",
    )
    .bind(school_id)
    .bind(new.pupil_id)
    .bind(new.starts_on)
    .bind(new.ends_on)
    .fetch_optional(pool)
    .await?;
    match on_roll {
        None => return Ok(Err("There is no such pupil at this school.".to_string())),
        Some(false) => {
            return Ok(Err(
                "The pupil is not on roll for the whole of the arrangement: check the dates."
                    .to_string(),
            ));
        }
        Some(true) => {}
    }
    let (kind, arranged_by) = match new.kind {
        Kind::ReducedTimetable => ("reduced_timetable", None),
        Kind::AlternativeProvision { by_local_authority } => (
            "alternative_provision",
            Some(if by_local_authority { "la" } else { "school" }),
        ),
    };
    let mut tx = pool.begin().await?;
    let id: Uuid = sqlx::query_scalar(
        "insert into pupil_arrangements (school_id, pupil_id, kind, starts_on, ends_on, review_on,
             detail, arranged_by, la_notified_on, recorded_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id",
    )
    .bind(school_id)
    .bind(new.pupil_id)
    .bind(kind)
    .bind(new.starts_on)
    .bind(new.ends_on)
    .bind(new.review_on)
    .bind(new.detail.trim())
    .bind(arranged_by)
    .bind(new.la_notified_on)
    .bind(staff_id)
    .fetch_one(&mut *tx)
    .await?;
    crate::cases::queries::add_event_on_open_case(
        &mut tx,
        school_id,
        new.pupil_id,
        "arrangement",
        staff_id,
        &format!(
            "{} ({}) from {} to {}: {}",
            new.kind.label(),
            new.kind.code(),
            new.starts_on.format("%-d %b %Y"),
            new.ends_on.format("%-d %b %Y"),
            new.detail.trim()
        ),
    )
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "arrangement.add",
        &format!("pupil:{}", new.pupil_id),
        serde_json::json!({
            "arrangement_id": id,
            "kind": kind,
            "arranged_by": arranged_by,
            "starts_on": new.starts_on,
            "ends_on": new.ends_on,
            "review_on": new.review_on,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Records a review and sets the next review date.
pub async fn review(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    arrangement_id: Uuid,
    note: &str,
    next_review_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Result<(), String>, sqlx::Error> {
    let note = note.trim();
    if note.is_empty() {
        return Ok(Err(
            "Say what the review decided (for example, one more afternoon a week).".to_string(),
        ));
    }
    let mut tx = pool.begin().await?;
    let arrangement: Option<(Uuid, String, NaiveDate)> = sqlx::query_as(
        "select pupil_id, kind, ends_on from pupil_arrangements
         where school_id = $1 and id = $2 for update",
    )
    .bind(school_id)
    .bind(arrangement_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((pupil_id, kind, ends_on)) = arrangement else {
        return Ok(Err(
            "There is no such arrangement at this school.".to_string()
        ));
    };
    if ends_on < today {
        return Ok(Err(format!(
            "The arrangement ended on {}: record a new one instead.",
            ends_on.format("%-d %B %Y")
        )));
    }
    match next_review_on {
        Some(next) if next <= today || next > ends_on => {
            return Ok(Err(format!(
                "The next review must come after today and by the end of the arrangement ({}).",
                ends_on.format("%-d %B %Y")
            )));
        }
        None if kind == "reduced_timetable" => {
            return Ok(Err(
                "A reduced timetable needs its next review date: it must stay under review."
                    .to_string(),
            ));
        }
        _ => {}
    }
    sqlx::query(
        "insert into arrangement_reviews (school_id, arrangement_id, reviewed_on, note,
             next_review_on, reviewed_by)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(school_id)
    .bind(arrangement_id)
    .bind(today)
    .bind(note)
    .bind(next_review_on)
    .bind(staff_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("update pupil_arrangements set review_on = $3 where school_id = $1 and id = $2")
        .bind(school_id)
        .bind(arrangement_id)
        .bind(next_review_on)
        .execute(&mut *tx)
        .await?;
    crate::cases::queries::add_event_on_open_case(
        &mut tx,
        school_id,
        pupil_id,
        "arrangement",
        staff_id,
        &format!("Arrangement reviewed: {note}"),
    )
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "arrangement.review",
        &format!("pupil:{pupil_id}"),
        serde_json::json!({ "arrangement_id": arrangement_id, "next_review_on": next_review_on }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}
