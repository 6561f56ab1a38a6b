//! Every query of letters: the school's templates (seeded with the defaults when it has none),
//! generating letters for one case or a batch, reading them, and emailing them with a delivery
//! log. Each write is audited and each letter generated or emailed is on the case's timeline.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{
    BatchOutcome, Delivery, Letter, LetterLine, LetterTemplate,
    mail::{self, MailSettings},
    merge::{self, default_template},
};
use crate::{
    attendance::queries::pupil_figures, audit, domain::figures::Tally, domain::triggers::Step,
};

/// Gives the school the default template of every stage it has none for.
async fn seed_defaults(conn: &mut PgConnection, school_id: Uuid) -> Result<(), sqlx::Error> {
    for step in Step::ALL {
        let (subject, body) = default_template(step);
        sqlx::query(
            "insert into letter_templates (school_id, step, subject, body) values ($1, $2, $3, $4)
             on conflict (school_id, step) do nothing",
        )
        .bind(school_id)
        .bind(step.key())
        .bind(subject)
        .bind(body)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct TemplateRow {
    id: Uuid,
    step: String,
    subject: String,
    body: String,
    version: i32,
    updated_at: DateTime<Utc>,
    updated_by_name: Option<String>,
}

impl TemplateRow {
    fn template(self) -> Option<LetterTemplate> {
        Some(LetterTemplate {
            id: self.id,
            step: Step::from_key(&self.step)?,
            subject: self.subject,
            body: self.body,
            version: self.version,
            updated_at: self.updated_at,
            updated_by_name: self.updated_by_name,
        })
    }
}

const TEMPLATE_SELECT: &str = "select t.id, t.step, t.subject, t.body, t.version, t.updated_at,
        s.display_name as updated_by_name
     from letter_templates t left join staff s on s.id = t.updated_by";

/// The school's templates in the ladder's order, the defaults for stages it has not written.
pub async fn templates(pool: &PgPool, school_id: Uuid) -> Result<Vec<LetterTemplate>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    seed_defaults(&mut conn, school_id).await?;
    let rows: Vec<TemplateRow> =
        sqlx::query_as(&format!("{TEMPLATE_SELECT} where t.school_id = $1"))
            .bind(school_id)
            .fetch_all(&mut *conn)
            .await?;
    let mut templates: Vec<LetterTemplate> =
        rows.into_iter().filter_map(TemplateRow::template).collect();
    templates.sort_by_key(|t| t.step);
    Ok(templates)
}

/// Saves a stage's template if every merge field is known; otherwise nothing is saved and the
/// inner error names the field and lists the known ones. Audited with before and after.
pub async fn save_template(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    step: Step,
    subject: &str,
    body: &str,
) -> Result<Result<LetterTemplate, String>, sqlx::Error> {
    let (subject, body) = (subject.trim(), body.trim());
    for (part, text) in [("subject", subject), ("letter", body)] {
        if text.is_empty() {
            return Ok(Err(format!("Write the {part} before saving the template.")));
        }
        if let Err(error) = merge::check(text) {
            return Ok(Err(format!("In the {part}: {error}")));
        }
    }
    let mut tx = pool.begin().await?;
    seed_defaults(&mut tx, school_id).await?;
    let before: (String, String, i32) = sqlx::query_as(
        "select subject, body, version from letter_templates
         where school_id = $1 and step = $2 for update",
    )
    .bind(school_id)
    .bind(step.key())
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "update letter_templates set subject = $3, body = $4, version = version + 1,
            updated_at = now(), updated_by = $5
         where school_id = $1 and step = $2",
    )
    .bind(school_id)
    .bind(step.key())
    .bind(subject)
    .bind(body)
    .bind(staff_id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "letter_template_saved",
        &format!("letter_template:{school_id}:{}", step.key()),
        serde_json::json!({
            "step": step.key(),
            "before": { "subject": before.0, "body": before.1, "version": before.2 },
            "after": { "subject": subject, "body": body, "version": before.2 + 1 },
        }),
    )
    .await?;
    let row: TemplateRow = sqlx::query_as(&format!(
        "{TEMPLATE_SELECT} where t.school_id = $1 and t.step = $2"
    ))
    .bind(school_id)
    .bind(step.key())
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(row
        .template()
        .ok_or_else(|| "The template's stage is not known.".to_string()))
}

/// The school's postal address, for the letterhead and `{{school.address}}`.
pub async fn letterhead(pool: &PgPool, school_id: Uuid) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("select address from schools where id = $1")
        .bind(school_id)
        .fetch_one(pool)
        .await
}

/// Sets the school's postal address, audited with before and after. Every letter's letterhead
/// shows the address as it is now; text merged from `{{school.address}}` keeps the one it had.
pub async fn save_letterhead(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    address: &str,
) -> Result<(), sqlx::Error> {
    let address = address
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let mut tx = pool.begin().await?;
    let before: String = sqlx::query_scalar("select address from schools where id = $1 for update")
        .bind(school_id)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query("update schools set address = $2 where id = $1")
        .bind(school_id)
        .bind(&address)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        "school_address_changed",
        &format!("school:{school_id}"),
        serde_json::json!({ "before": before, "after": address }),
    )
    .await?;
    tx.commit().await
}

/// What every letter of a school at one moment merges from, besides the case's own values.
struct SchoolValues {
    name: String,
    address: String,
    today: NaiveDate,
    year_start: Option<NaiveDate>,
    figures: HashMap<Uuid, Tally>,
}

fn long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

async fn school_values(pool: &PgPool, school_id: Uuid) -> Result<SchoolValues, sqlx::Error> {
    let (name, address, today): (String, String, NaiveDate) = sqlx::query_as(
        "select name, address, (now() at time zone time_zone)::date from schools where id = $1",
    )
    .bind(school_id)
    .fetch_one(pool)
    .await?;
    let year_start: Option<NaiveDate> = sqlx::query_scalar(
        "select starts_on from academic_years
         where school_id = $1 and starts_on <= $2 order by starts_on desc limit 1",
    )
    .bind(school_id)
    .bind(today)
    .fetch_optional(pool)
    .await?;
    let figures = match year_start {
        Some(start) => pupil_figures(pool, &[school_id], start, today)
            .await?
            .into_iter()
            .map(|pupil| (pupil.pupil_id, pupil.sessions))
            .collect(),
        None => HashMap::new(),
    };
    Ok(SchoolValues {
        name,
        address,
        today,
        year_start,
        figures,
    })
}

#[derive(sqlx::FromRow)]
struct CaseValues {
    pupil_id: Uuid,
    stage: String,
    latest_why: String,
    first_name: String,
    last_name: String,
    form: Option<String>,
    year: String,
    parent_name: Option<String>,
    parent_address: Option<String>,
    parent_email: Option<String>,
}

/// The open cases of the school (one, or those at a stage) with what their letters merge from.
/// The parent is the first contact by priority with parental responsibility.
async fn case_values(
    conn: &mut PgConnection,
    school_id: Uuid,
    case_id: Option<Uuid>,
    stage: Option<Step>,
) -> Result<Vec<(Uuid, CaseValues)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        case_id: Uuid,
        #[sqlx(flatten)]
        values: CaseValues,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "select c.id as case_id, c.pupil_id, c.stage, c.latest_why,
            coalesce(p.preferred_first_name, p.legal_first_name) as first_name,
            coalesce(p.preferred_last_name, p.legal_last_name) as last_name,
            f.name as form, y.name as year,
            nullif(trim(concat_ws(' ', nullif(k.title, ''), k.first_name, k.last_name)), '')
                as parent_name,
            nullif(trim(concat_ws(' ', nullif(k.address, ''), nullif(k.postcode, ''))), '')
                as parent_address,
            nullif(trim(k.email), '') as parent_email
         from cases c
         join pupils p on p.school_id = c.school_id and p.id = c.pupil_id
         join year_groups y on y.school_id = p.school_id and y.id = p.year_group_id
         left join forms f on f.school_id = p.school_id and f.id = p.form_id
         left join lateral (select * from contacts k where k.school_id = p.school_id
                and k.pupil_id = p.id and k.parental_responsibility
                order by k.priority limit 1) k on true
         where c.school_id = $1 and ($2::uuid is null or c.id = $2)
           and ($3::text is null or (c.stage = $3 and c.closed_at is null))
         order by last_name, first_name",
    )
    .bind(school_id)
    .bind(case_id)
    .bind(stage.map(Step::key))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.case_id, row.values))
        .collect())
}

fn merge_values(
    school: &SchoolValues,
    case: &CaseValues,
    staff_name: &str,
) -> BTreeMap<String, String> {
    let tally = school
        .figures
        .get(&case.pupil_id)
        .copied()
        .unwrap_or_default();
    let percent = crate::domain::figures::format_percent(tally.attendance_percent());
    let possible = tally.possible();
    let stage = Step::from_key(&case.stage).map(Step::label).unwrap_or("");
    let pairs: [(&str, Option<String>); 18] = [
        ("pupil.first_name", Some(case.first_name.clone())),
        ("pupil.last_name", Some(case.last_name.clone())),
        (
            "pupil.full_name",
            Some(format!("{} {}", case.first_name, case.last_name)),
        ),
        ("pupil.form", case.form.clone()),
        ("pupil.year", Some(case.year.clone())),
        (
            "parent.name",
            Some(
                case.parent_name
                    .clone()
                    .unwrap_or_else(|| format!("Parent or carer of {}", case.first_name)),
            ),
        ),
        ("parent.address", case.parent_address.clone()),
        (
            "figures.attendance_percent",
            (possible > 0).then_some(percent),
        ),
        (
            "figures.unauthorised_sessions",
            Some(tally.unauthorised.to_string()),
        ),
        (
            "figures.authorised_sessions",
            Some(tally.authorised.to_string()),
        ),
        ("figures.possible_sessions", Some(possible.to_string())),
        (
            "figures.period",
            school
                .year_start
                .map(|start| format!("{} and {}", long_date(start), long_date(school.today))),
        ),
        ("figures.why", Some(case.latest_why.clone())),
        ("school.name", Some(school.name.clone())),
        ("school.address", Some(school.address.clone())),
        ("today", Some(long_date(school.today))),
        ("case.stage", Some(stage.to_string())),
        ("staff.name", Some(staff_name.to_string())),
    ];
    pairs
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
        .collect()
}

/// Generates and stores one letter for a case from its stage's template, puts it on the case's
/// timeline and audits it, in the caller's transaction.
async fn generate_in(
    conn: &mut PgConnection,
    school: &SchoolValues,
    staff_id: Uuid,
    staff_name: &str,
    school_id: Uuid,
    case_id: Uuid,
    case: &CaseValues,
) -> Result<Result<Uuid, String>, sqlx::Error> {
    let Some(step) = Step::from_key(&case.stage) else {
        return Ok(Err("The case's stage has no letter.".to_string()));
    };
    let (template_id, version, subject, body): (Uuid, i32, String, String) = sqlx::query_as(
        "select id, version, subject, body from letter_templates where school_id = $1 and step = $2",
    )
    .bind(school_id)
    .bind(step.key())
    .fetch_one(&mut *conn)
    .await?;
    let values = merge_values(school, case, staff_name);
    let (subject, body) = match (
        merge::merge(&subject, &values),
        merge::merge(&body, &values),
    ) {
        (Ok(subject), Ok(body)) => (subject, body),
        (Err(error), _) | (_, Err(error)) => {
            return Ok(Err(format!(
                "The {} template cannot be used: {error}",
                step.label()
            )));
        }
    };
    let mut missing = body.missing.clone();
    missing.extend(
        subject
            .missing
            .iter()
            .filter(|m| !body.missing.contains(m))
            .cloned(),
    );
    let letter_id: Uuid = sqlx::query_scalar(
        "insert into letters (school_id, case_id, template_id, template_version, step, subject,
            body, missing, recipient_name, recipient_email, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id",
    )
    .bind(school_id)
    .bind(case_id)
    .bind(template_id)
    .bind(version)
    .bind(step.key())
    .bind(&subject.text)
    .bind(&body.text)
    .bind(&missing)
    .bind(values.get("parent.name").cloned().unwrap_or_default())
    .bind(case.parent_email.clone().unwrap_or_default())
    .bind(staff_id)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "insert into case_events (school_id, case_id, kind, by_staff_id, summary, detail, links)
         values ($1, $2, 'letter', $3, $4, $5, $6)",
    )
    .bind(school_id)
    .bind(case_id)
    .bind(staff_id)
    .bind(format!("Letter generated: {}", subject.text))
    .bind(serde_json::json!({ "step": step.key(), "template_version": version, "letter_id": letter_id }))
    .bind(serde_json::json!({ "letter_id": letter_id }))
    .execute(&mut *conn)
    .await?;
    audit::record(
        &mut *conn,
        Some(staff_id),
        Some(school_id),
        "letter_generated",
        &format!("letter:{letter_id}"),
        serde_json::json!({ "case_id": case_id, "step": step.key(), "template_version": version }),
    )
    .await?;
    Ok(Ok(letter_id))
}

async fn staff_name(pool: &PgPool, staff_id: Uuid) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("select display_name from staff where id = $1")
        .bind(staff_id)
        .fetch_one(pool)
        .await
}

/// Generates the letter of a case's current stage. The inner error says why it cannot be.
pub async fn generate(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    case_id: Uuid,
) -> Result<Result<Uuid, String>, sqlx::Error> {
    let school = school_values(pool, school_id).await?;
    let name = staff_name(pool, staff_id).await?;
    let mut tx = pool.begin().await?;
    seed_defaults(&mut tx, school_id).await?;
    let Some((_, case)) = case_values(&mut tx, school_id, Some(case_id), None)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(Err("There is no such case at this school.".to_string()));
    };
    let letter = generate_in(&mut tx, &school, staff_id, &name, school_id, case_id, &case).await?;
    if letter.is_ok() {
        tx.commit().await?;
    }
    Ok(letter)
}

/// Generates the stage's letter for every open case at that stage that has none for it yet,
/// all or nothing. Running it again generates only for cases that reached the stage since.
pub async fn generate_batch(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    step: Step,
) -> Result<Result<BatchOutcome, String>, sqlx::Error> {
    let school = school_values(pool, school_id).await?;
    let name = staff_name(pool, staff_id).await?;
    let mut tx = pool.begin().await?;
    seed_defaults(&mut tx, school_id).await?;
    let cases = case_values(&mut tx, school_id, None, Some(step)).await?;
    let already: Vec<Uuid> = sqlx::query_scalar(
        "select distinct case_id from letters where school_id = $1 and step = $2",
    )
    .bind(school_id)
    .bind(step.key())
    .fetch_all(&mut *tx)
    .await?;
    let mut outcome = BatchOutcome {
        cases: cases.len(),
        ..BatchOutcome::default()
    };
    for (case_id, case) in &cases {
        if already.contains(case_id) {
            outcome.already += 1;
            continue;
        }
        match generate_in(&mut tx, &school, staff_id, &name, school_id, *case_id, case).await? {
            Ok(_) => outcome.generated += 1,
            Err(error) => return Ok(Err(error)),
        }
    }
    tx.commit().await?;
    Ok(Ok(outcome))
}

#[derive(sqlx::FromRow)]
struct LetterRow {
    id: Uuid,
    case_id: Uuid,
    pupil_name: String,
    step: String,
    subject: String,
    body: String,
    missing: Vec<String>,
    template_version: i32,
    recipient_name: String,
    recipient_email: String,
    created_at: DateTime<Utc>,
    created_by_name: Option<String>,
    last_delivery: Option<String>,
}

impl LetterRow {
    fn line(&self) -> LetterLine {
        LetterLine {
            id: self.id,
            case_id: self.case_id,
            pupil_name: self.pupil_name.clone(),
            step: Step::from_key(&self.step).unwrap_or(Step::FirstLetter),
            subject: self.subject.clone(),
            created_at: self.created_at,
            created_by_name: self.created_by_name.clone(),
            recipient_email: self.recipient_email.clone(),
            last_delivery: self.last_delivery.clone(),
        }
    }
}

const LETTER_SELECT: &str = "select l.id, l.case_id,
        coalesce(p.preferred_last_name, p.legal_last_name) || ', '
            || coalesce(p.preferred_first_name, p.legal_first_name) as pupil_name,
        l.step, l.subject, l.body, l.missing, l.template_version, l.recipient_name,
        l.recipient_email, l.created_at, s.display_name as created_by_name,
        (select d.status from letter_deliveries d where d.school_id = l.school_id
            and d.letter_id = l.id order by d.queued_at desc, d.id desc limit 1) as last_delivery
     from letters l
     join cases c on c.school_id = l.school_id and c.id = l.case_id
     join pupils p on p.school_id = c.school_id and p.id = c.pupil_id
     left join staff s on s.id = l.created_by";

/// The school's letters, newest first (only one case's with `case_id`), at most 200.
pub async fn letters(
    pool: &PgPool,
    school_id: Uuid,
    case_id: Option<Uuid>,
) -> Result<Vec<LetterLine>, sqlx::Error> {
    let rows: Vec<LetterRow> = sqlx::query_as(&format!(
        "{LETTER_SELECT} where l.school_id = $1 and ($2::uuid is null or l.case_id = $2)
         order by l.created_at desc, l.id limit 200"
    ))
    .bind(school_id)
    .bind(case_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(LetterRow::line).collect())
}

/// One letter of the school with its delivery log, or `None` (whatever other schools hold).
pub async fn letter(
    pool: &PgPool,
    school_id: Uuid,
    letter_id: Uuid,
) -> Result<Option<Letter>, sqlx::Error> {
    let Some(row): Option<LetterRow> = sqlx::query_as(&format!(
        "{LETTER_SELECT} where l.school_id = $1 and l.id = $2"
    ))
    .bind(school_id)
    .bind(letter_id)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let (school_name, school_address): (String, String) =
        sqlx::query_as("select name, address from schools where id = $1")
            .bind(school_id)
            .fetch_one(pool)
            .await?;
    let deliveries: Vec<Delivery> = sqlx::query_as(
        "select d.to_address, d.status, d.error, d.queued_at, d.finished_at,
            s.display_name as by_name
         from letter_deliveries d left join staff s on s.id = d.by_staff_id
         where d.school_id = $1 and d.letter_id = $2 order by d.queued_at, d.id",
    )
    .bind(school_id)
    .bind(letter_id)
    .fetch_all(pool)
    .await?;
    Ok(Some(Letter {
        line: row.line(),
        body: row.body,
        missing: row.missing,
        template_version: row.template_version,
        recipient_name: row.recipient_name,
        school_name,
        school_address,
        deliveries,
    }))
}

/// Emails a letter of the school to its recipient: the attempt is logged as queued before the
/// relay is spoken to, then as sent or failed with the relay's answer. A sent letter goes on the
/// case's timeline; every attempt is audited. The inner error is what the person sees.
pub async fn email(
    pool: &PgPool,
    settings: &MailSettings,
    staff_id: Uuid,
    school_id: Uuid,
    letter_id: Uuid,
) -> Result<Result<Delivery, String>, sqlx::Error> {
    let Some(letter) = letter(pool, school_id, letter_id).await? else {
        return Ok(Err("There is no such letter at this school.".to_string()));
    };
    let Some(relay) = &settings.smtp else {
        return Ok(Err(mail::NOT_CONFIGURED.to_string()));
    };
    let to = letter.line.recipient_email.trim().to_string();
    if to.is_empty() {
        return Ok(Err(format!(
            "There is no email address for {} among the pupil's contacts with parental \
             responsibility. Print the letter or download the PDF to post it.",
            letter.recipient_name
        )));
    }
    let delivery_id: i64 = sqlx::query_scalar(
        "insert into letter_deliveries (school_id, letter_id, to_address, status, by_staff_id)
         values ($1, $2, $3, 'queued', $4) returning id",
    )
    .bind(school_id)
    .bind(letter_id)
    .bind(&to)
    .bind(staff_id)
    .fetch_one(pool)
    .await?;
    // The letter as written; its letterhead's address goes below, as a signature would.
    let body = format!("{}\n\n{}", letter.body.trim_end(), letter.school_address);
    let sent = mail::send(
        relay,
        &letter.recipient_name,
        &to,
        &letter.line.subject,
        body.trim_end(),
    )
    .await;
    let mut tx = pool.begin().await?;
    let (status, error) = match &sent {
        Ok(()) => ("sent", None),
        Err(error) => ("failed", Some(error.clone())),
    };
    let delivery: Delivery = sqlx::query_as(
        "update letter_deliveries d set status = $3, error = $4, finished_at = now()
         where d.school_id = $1 and d.id = $2
         returning d.to_address, d.status, d.error, d.queued_at, d.finished_at,
            (select display_name from staff where id = d.by_staff_id) as by_name",
    )
    .bind(school_id)
    .bind(delivery_id)
    .bind(status)
    .bind(&error)
    .fetch_one(&mut *tx)
    .await?;
    if sent.is_ok() {
        sqlx::query(
            "insert into case_events (school_id, case_id, kind, by_staff_id, summary, detail,
                links)
             values ($1, $2, 'letter_emailed', $3, $4, $5, $6)",
        )
        .bind(school_id)
        .bind(letter.line.case_id)
        .bind(staff_id)
        .bind(format!("Letter emailed to {to}: {}", letter.line.subject))
        .bind(serde_json::json!({ "to": to, "letter_id": letter_id }))
        .bind(serde_json::json!({ "letter_id": letter_id }))
        .execute(&mut *tx)
        .await?;
    }
    audit::record(
        &mut *tx,
        Some(staff_id),
        Some(school_id),
        if sent.is_ok() {
            "letter_emailed"
        } else {
            "letter_email_failed"
        },
        &format!("letter:{letter_id}"),
        serde_json::json!({ "to": to, "error": error }),
    )
    .await?;
    tx.commit().await?;
    match sent {
        Ok(()) => Ok(Ok(delivery)),
        Err(error) => Ok(Err(format!("The letter was not sent: {error}"))),
    }
}
