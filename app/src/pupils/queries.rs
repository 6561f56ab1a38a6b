//! Every query about the roll and pupils' records. Each one is bounded by `school_id`, so a
//! pupil of one school is never found through another.

use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use super::{Contact, PupilRecord, RollEntry};

/// Pupils on roll today (admitted, not yet left) whose names, UPN or form contain `query`.
pub async fn search(
    pool: &PgPool,
    school_id: Uuid,
    query: &str,
    limit: i64,
) -> Result<Vec<RollEntry>, sqlx::Error> {
    let pattern = format!(
        "%{}%",
        query
            .trim()
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    sqlx::query_as(
        "select p.id,
                coalesce(p.preferred_first_name, p.legal_first_name) as first_name,
                coalesce(p.preferred_last_name, p.legal_last_name) as last_name,
                f.name as form, y.name as year
         from pupils p
         join year_groups y on y.school_id = p.school_id and y.id = p.year_group_id
         left join forms f on f.school_id = p.school_id and f.id = p.form_id
         where p.school_id = $1
           and p.admitted_on <= current_date and (p.left_on is null or p.left_on >= current_date)
           and ($2 = '%%'
                or lower(p.legal_first_name || ' ' || p.legal_last_name) like $2
                or lower(coalesce(p.preferred_first_name, '') || ' ' || coalesce(p.preferred_last_name, '')) like $2
                or lower(p.legal_last_name || ' ' || p.legal_first_name) like $2
                or lower(f.name) like $2
                or lower(p.upn) like $2)
         order by lower(coalesce(p.preferred_last_name, p.legal_last_name)),
                  lower(coalesce(p.preferred_first_name, p.legal_first_name))
         limit $3",
    )
    .bind(school_id)
    .bind(pattern)
    .bind(limit)
    .fetch_all(pool)
    .await
}

#[derive(sqlx::FromRow)]
struct PupilRow {
    id: Uuid,
    upn: String,
    legal_first_name: String,
    legal_last_name: String,
    preferred_first_name: Option<String>,
    preferred_last_name: Option<String>,
    date_of_birth: NaiveDate,
    sex: String,
    year: String,
    form: Option<String>,
    admitted_on: NaiveDate,
    left_on: Option<NaiveDate>,
    sen_status: String,
    free_school_meals: bool,
    pupil_premium: bool,
    eal: bool,
    ethnicity: String,
    safeguarding_status: String,
}

/// A pupil's record with contacts in priority order. The safeguarding status is read only when
/// the caller may see it.
pub async fn record(
    pool: &PgPool,
    school_id: Uuid,
    pupil_id: Uuid,
    with_safeguarding: bool,
) -> Result<Option<PupilRecord>, sqlx::Error> {
    let row: Option<PupilRow> = sqlx::query_as(
        "select p.id, p.upn, p.legal_first_name, p.legal_last_name, p.preferred_first_name,
                p.preferred_last_name, p.date_of_birth, p.sex, y.name as year, f.name as form,
                p.admitted_on, p.left_on, p.sen_status, p.free_school_meals, p.pupil_premium,
                p.eal, p.ethnicity, p.safeguarding_status
         from pupils p
         join year_groups y on y.school_id = p.school_id and y.id = p.year_group_id
         left join forms f on f.school_id = p.school_id and f.id = p.form_id
         where p.school_id = $1 and p.id = $2",
    )
    .bind(school_id)
    .bind(pupil_id)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let contacts: Vec<Contact> = sqlx::query_as(
        "select priority, title, first_name, last_name, relationship, parental_responsibility,
                mobile_phone, home_phone, work_phone, email, address, postcode, preferred_contact
         from contacts where school_id = $1 and pupil_id = $2 order by priority",
    )
    .bind(school_id)
    .bind(pupil_id)
    .fetch_all(pool)
    .await?;
    Ok(Some(PupilRecord {
        id: row.id,
        upn: row.upn,
        legal_first_name: row.legal_first_name,
        legal_last_name: row.legal_last_name,
        preferred_first_name: row.preferred_first_name,
        preferred_last_name: row.preferred_last_name,
        date_of_birth: row.date_of_birth,
        sex: row.sex,
        year: row.year,
        form: row.form,
        admitted_on: row.admitted_on,
        left_on: row.left_on,
        sen_status: row.sen_status,
        free_school_meals: row.free_school_meals,
        pupil_premium: row.pupil_premium,
        eal: row.eal,
        ethnicity: row.ethnicity,
        safeguarding_status: with_safeguarding.then_some(row.safeguarding_status),
        contacts,
    }))
}
