//! Writing imported files: all or nothing, in one transaction, one import at a time per school.
//! Marks go through `registers::queries::write_marks`, the one way marks are written.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{
    ImportKind, ImportOutcome, ImportSummary, MappingUsed, PastImport, Phase, RowProblem,
    parse::{self, ContactRow, MarkField, PupilField},
    tasks::Tracker,
};
use crate::{
    domain::codes::{HistoricMapping, Session},
    registers::{
        Saved,
        queries::{MarkWrite, Problem, Seen, write_marks},
    },
};

/// Marks are written in chunks of this many inside the one transaction, so progress moves.
const CHUNK: usize = 20_000;

/// Imports a file of either kind. `by` is the member of staff (none from the command line).
pub async fn import(
    pool: &PgPool,
    school_id: Uuid,
    by: Option<Uuid>,
    kind: ImportKind,
    file_name: &str,
    bytes: &[u8],
    tracker: &Tracker,
) -> Result<ImportOutcome, sqlx::Error> {
    match kind {
        ImportKind::Pupils => import_pupils(pool, school_id, by, file_name, bytes, tracker).await,
        ImportKind::Marks => import_marks(pool, school_id, by, file_name, bytes, tracker).await,
    }
}

/// The file's SHA-256 in hex, as kept in `imports`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One import at a time per school, so two people importing at once cannot interleave.
async fn lock_school(conn: &mut PgConnection, school_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "select pg_advisory_xact_lock(hashtextextended('rollcall.import.' || $1::text, 0))",
    )
    .bind(school_id)
    .execute(conn)
    .await?;
    Ok(())
}

fn refused(
    kind: ImportKind,
    file_name: &str,
    rows: u64,
    mut problems: Vec<RowProblem>,
) -> ImportOutcome {
    problems.sort_by_key(|p| p.line);
    ImportOutcome::Refused {
        kind,
        file_name: file_name.to_string(),
        rows,
        problems,
    }
}

/// Records the import, its audit entry and when the same file was last imported.
#[allow(clippy::too_many_arguments)]
async fn record(
    conn: &mut PgConnection,
    school_id: Uuid,
    by: Option<Uuid>,
    kind: ImportKind,
    file_name: &str,
    sha256: &str,
    rows: u64,
    saved: &Saved,
    extra: serde_json::Value,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let before: Option<DateTime<Utc>> = sqlx::query_scalar(
        "select max(imported_at) from imports where school_id = $1 and kind = $2 and sha256 = $3",
    )
    .bind(school_id)
    .bind(kind.key())
    .bind(sha256)
    .fetch_one(&mut *conn)
    .await?;
    let count = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
    let id: Uuid = sqlx::query_scalar(
        "insert into imports (school_id, kind, file_name, sha256, rows, created, changed,
             unchanged, imported_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
    )
    .bind(school_id)
    .bind(kind.key())
    .bind(file_name)
    .bind(sha256)
    .bind(count(rows as i64))
    .bind(count(saved.created))
    .bind(count(saved.amended))
    .bind(count(saved.unchanged))
    .bind(by)
    .fetch_one(&mut *conn)
    .await?;
    let mut detail = serde_json::json!({
        "file_name": file_name,
        "sha256": sha256,
        "rows": rows,
        "created": saved.created,
        "changed": saved.amended,
        "unchanged": saved.unchanged,
    });
    if let (Some(detail), serde_json::Value::Object(extra)) = (detail.as_object_mut(), extra) {
        detail.extend(extra);
    }
    crate::audit::record(
        &mut *conn,
        by,
        Some(school_id),
        &format!("import.{}", kind.key()),
        &format!("import:{id}"),
        detail,
    )
    .await?;
    Ok(before)
}

/// Puts a problem `write_marks` found back on its line and column, with how to fix it.
fn mark_problem(
    problem: Problem,
    line: u64,
    columns: Option<&parse::Columns<MarkField>>,
) -> RowProblem {
    let header = |field| columns.map(|c| c.header(field)).unwrap_or_default();
    let message = problem.message;
    let (column, fix) = if message.contains("no such pupil") {
        (
            header(MarkField::Upn),
            "import the pupils file first, or check the UPN",
        )
    } else if message.contains("not a school day") {
        (
            header(MarkField::Date),
            "only school days have sessions: check the date, or the terms and closures in School settings",
        )
    } else if message.contains("not on roll") {
        (
            header(MarkField::Date),
            "check the date, or the pupil's admission and leaving dates in the pupils file",
        )
    } else if message.contains("minutes late") {
        (header(MarkField::MinutesLate), "correct the minutes late")
    } else if message.contains("second mark") {
        (header(MarkField::Session), "keep one row per session")
    } else {
        (String::new(), "correct the row")
    };
    RowProblem {
        line,
        column,
        message: format!("{message}: {fix}"),
    }
}

/// Imports a marks file: every row checked, then written through `write_marks` in one
/// transaction, or nothing written and every problem returned.
pub async fn import_marks(
    pool: &PgPool,
    school_id: Uuid,
    by: Option<Uuid>,
    file_name: &str,
    bytes: &[u8],
    tracker: &Tracker,
) -> Result<ImportOutcome, sqlx::Error> {
    use std::sync::atomic::Ordering;
    let kind = ImportKind::Marks;
    let sha256 = sha256_hex(bytes);
    tracker.set_phase(Phase::Reading);
    let text = parse::decode(bytes);
    let parsed = parse::marks(&text, tracker);
    drop(text);
    tracker.rows.store(parsed.data_rows, Ordering::Relaxed);
    let columns = parsed.columns;
    let mut problems = parsed.problems;
    if parsed.data_rows == 0 && problems.is_empty() {
        problems.push(RowProblem {
            line: 2,
            column: String::new(),
            message: "the file has a header but no marks: export the marks again".to_string(),
        });
    }

    tracker.set_phase(Phase::Checking);
    let mut tx = pool.begin().await?;
    lock_school(&mut tx, school_id).await?;
    let pupils: HashMap<String, Uuid> =
        sqlx::query_as::<_, (String, Uuid)>("select upn, id from pupils where school_id = $1")
            .bind(school_id)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
    let upn_header = columns
        .as_ref()
        .map(|c| c.header(MarkField::Upn))
        .unwrap_or_default();
    let mut seen: HashMap<(Uuid, NaiveDate, Session), u64> = HashMap::new();
    let mut mappings: BTreeMap<&'static str, (&'static HistoricMapping, u64)> = BTreeMap::new();
    let mut corrected = 0u64;
    let mut writes: Vec<(u64, MarkWrite)> = Vec::with_capacity(parsed.rows.len());
    for row in parsed.rows {
        let Some(&pupil_id) = pupils.get(row.upn.as_str()) else {
            problems.push(RowProblem {
                line: row.line,
                column: upn_header.clone(),
                message: format!(
                    "there is no pupil with UPN {} at this school: import the pupils file first, or check the UPN (pupils of other schools cannot be marked here)",
                    row.upn
                ),
            });
            continue;
        };
        let key = (pupil_id, row.date, row.session);
        if let Some(earlier) = seen.insert(key, row.line) {
            seen.insert(key, earlier);
            problems.push(RowProblem {
                line: row.line,
                column: String::new(),
                message: format!(
                    "this is the {} {} session of {} again (also on line {earlier}): keep one row per pupil, date and session",
                    row.date, row.session, row.upn
                ),
            });
            continue;
        }
        if let Some(mapping) = row.mapping {
            mappings.entry(mapping.withdrawn).or_insert((mapping, 0)).1 += 1;
        }
        corrected += u64::from(row.present_sign_corrected);
        writes.push((
            row.line,
            MarkWrite {
                pupil_id,
                date: row.date,
                session: row.session,
                code: row.code,
                minutes_late: row.minutes_late,
                seen: Seen::Anything,
            },
        ));
    }
    // By pupil, so each chunk holds whole pupils (but one) and refreshes each pupil's running
    // totals once, however many marks the pupil already has after the file's dates.
    writes.sort_by(|(_, a), (_, b)| {
        (a.pupil_id, a.date, a.session.as_str()).cmp(&(b.pupil_id, b.date, b.session.as_str()))
    });

    tracker.set_phase(Phase::Writing);
    let reason = format!("Imported from {file_name}");
    let mut saved = Saved::default();
    for chunk in writes.chunks(CHUNK) {
        let batch: Vec<MarkWrite> = chunk.iter().map(|(_, w)| w.clone()).collect();
        match write_marks(&mut tx, school_id, by, "import", Some(&reason), &batch).await? {
            Ok(chunk_saved) => {
                saved.created += chunk_saved.created;
                saved.amended += chunk_saved.amended;
                saved.unchanged += chunk_saved.unchanged;
            }
            Err(found) => problems.extend(
                found
                    .into_iter()
                    .map(|p| mark_problem(p.clone(), chunk[p.index].0, columns.as_ref())),
            ),
        }
        tracker
            .written
            .fetch_add(chunk.len() as u64, Ordering::Relaxed);
    }
    if !problems.is_empty() {
        tx.rollback().await?;
        return Ok(refused(kind, file_name, parsed.data_rows, problems));
    }
    let mappings: Vec<MappingUsed> = mappings
        .into_values()
        .map(|(mapping, rows)| MappingUsed {
            withdrawn: mapping.withdrawn.to_string(),
            now: mapping.now.as_str().to_string(),
            why: mapping.why.to_string(),
            rows,
        })
        .collect();
    let imported_before = record(
        &mut tx,
        school_id,
        by,
        kind,
        file_name,
        &sha256,
        parsed.data_rows,
        &saved,
        serde_json::json!({
            "mappings": mappings.iter().map(|m| (m.withdrawn.clone(), m.rows)).collect::<BTreeMap<_, _>>(),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(ImportOutcome::Imported(ImportSummary {
        kind,
        file_name: file_name.to_string(),
        rows: parsed.data_rows,
        created: saved.created as u64,
        changed: saved.amended as u64,
        unchanged: saved.unchanged as u64,
        year_groups_created: Vec::new(),
        forms_created: Vec::new(),
        mappings,
        present_signs_corrected: corrected,
        ignored_columns: parsed.ignored_columns,
        imported_before,
        sha256,
    }))
}

/// A pupil's details as stored: what an import compares and writes.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
struct Details {
    upn: String,
    legal_first_name: String,
    legal_last_name: String,
    preferred_first_name: Option<String>,
    preferred_last_name: Option<String>,
    date_of_birth: NaiveDate,
    sex: String,
    year_group_id: Uuid,
    form_id: Option<Uuid>,
    admitted_on: NaiveDate,
    left_on: Option<NaiveDate>,
    sen_status: String,
    free_school_meals: bool,
    pupil_premium: bool,
    eal: bool,
    ethnicity: String,
}

#[derive(sqlx::FromRow)]
struct Existing {
    id: Uuid,
    #[sqlx(flatten)]
    details: Details,
}

#[derive(sqlx::FromRow)]
struct ExistingContact {
    pupil_id: Uuid,
    #[sqlx(flatten)]
    contact: ContactRow,
}

/// Imports a pupils file: creates missing year groups and forms, adds new pupils, updates
/// changed ones and replaces their contacts, in one transaction; or writes nothing and returns
/// every problem.
pub async fn import_pupils(
    pool: &PgPool,
    school_id: Uuid,
    by: Option<Uuid>,
    file_name: &str,
    bytes: &[u8],
    tracker: &Tracker,
) -> Result<ImportOutcome, sqlx::Error> {
    use std::sync::atomic::Ordering;
    let kind = ImportKind::Pupils;
    let sha256 = sha256_hex(bytes);
    tracker.set_phase(Phase::Reading);
    let text = parse::decode(bytes);
    let parsed = parse::pupils(&text, tracker);
    tracker.rows.store(parsed.data_rows, Ordering::Relaxed);
    let columns = parsed.columns;
    let header = |field| {
        columns
            .as_ref()
            .map(|c: &parse::Columns<PupilField>| c.header(field))
            .unwrap_or_default()
    };
    let mut problems = parsed.problems;
    if parsed.data_rows == 0 && problems.is_empty() {
        problems.push(RowProblem {
            line: 2,
            column: String::new(),
            message: "the file has a header but no pupils: export the pupils again".to_string(),
        });
    }
    if !problems.is_empty() {
        return Ok(refused(kind, file_name, parsed.data_rows, problems));
    }

    tracker.set_phase(Phase::Checking);
    let mut tx = pool.begin().await?;
    lock_school(&mut tx, school_id).await?;

    // Year groups and forms the file names that the school does not have yet.
    let mut years: HashMap<i32, Uuid> = sqlx::query_as::<_, (i32, Uuid)>(
        "select nc_year, id from year_groups where school_id = $1",
    )
    .bind(school_id)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    let mut year_groups_created = Vec::new();
    let wanted_years: std::collections::BTreeSet<i32> =
        parsed.rows.iter().map(|row| row.nc_year).collect();
    for nc_year in wanted_years {
        if years.contains_key(&nc_year) {
            continue;
        }
        let name = parse::year_group_name(nc_year);
        let id: Uuid = sqlx::query_scalar(
            "insert into year_groups (school_id, nc_year, name) values ($1, $2, $3) returning id",
        )
        .bind(school_id)
        .bind(nc_year)
        .bind(&name)
        .fetch_one(&mut *tx)
        .await?;
        years.insert(nc_year, id);
        year_groups_created.push(name);
    }
    let mut forms: HashMap<String, Uuid> =
        sqlx::query_as::<_, (String, Uuid)>("select name, id from forms where school_id = $1")
            .bind(school_id)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|(name, id)| (name.to_lowercase(), id))
            .collect();
    let mut forms_created = Vec::new();
    for row in &parsed.rows {
        let Some(Some(name)) = &row.form else {
            continue;
        };
        if forms.contains_key(&name.to_lowercase()) {
            continue;
        }
        let id: Uuid = sqlx::query_scalar(
            "insert into forms (school_id, year_group_id, name) values ($1, $2, $3) returning id",
        )
        .bind(school_id)
        .bind(years[&row.nc_year])
        .bind(name)
        .fetch_one(&mut *tx)
        .await?;
        forms.insert(name.to_lowercase(), id);
        forms_created.push(name.clone());
    }

    let existing: HashMap<String, Existing> = sqlx::query_as::<_, Existing>(
        "select id, upn, legal_first_name, legal_last_name, preferred_first_name,
                preferred_last_name, date_of_birth, sex, year_group_id, form_id, admitted_on,
                left_on, sen_status, free_school_meals, pupil_premium, eal, ethnicity
         from pupils where school_id = $1",
    )
    .bind(school_id)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|pupil| (pupil.details.upn.clone(), pupil))
    .collect();
    let mut contacts_now: HashMap<Uuid, Vec<ContactRow>> = HashMap::new();
    for row in sqlx::query_as::<_, ExistingContact>(
        "select pupil_id, priority, title, first_name, last_name, relationship,
                parental_responsibility, mobile_phone, home_phone, work_phone, email, address,
                postcode
         from contacts where school_id = $1 order by pupil_id, priority",
    )
    .bind(school_id)
    .fetch_all(&mut *tx)
    .await?
    {
        contacts_now
            .entry(row.pupil_id)
            .or_default()
            .push(row.contact);
    }

    let mut saved = Saved::default();
    let mut new_pupils: Vec<(Details, Option<Vec<ContactRow>>)> = Vec::new();
    let mut changed_pupils: Vec<(Uuid, Details)> = Vec::new();
    let mut changed_contacts: Vec<(Uuid, Vec<ContactRow>)> = Vec::new();
    for row in parsed.rows {
        let now = existing.get(row.upn.as_str());
        let keep = |f: fn(&Details) -> Option<String>| now.and_then(|e| f(&e.details));
        let details = Details {
            upn: row.upn.to_string(),
            legal_first_name: row.legal_first_name,
            legal_last_name: row.legal_last_name,
            preferred_first_name: row
                .preferred_first_name
                .unwrap_or_else(|| keep(|d| d.preferred_first_name.clone())),
            preferred_last_name: row
                .preferred_last_name
                .unwrap_or_else(|| keep(|d| d.preferred_last_name.clone())),
            date_of_birth: row.date_of_birth,
            sex: row.sex,
            year_group_id: years[&row.nc_year],
            form_id: match &row.form {
                None => now.and_then(|e| e.details.form_id),
                Some(None) => None,
                Some(Some(name)) => Some(forms[&name.to_lowercase()]),
            },
            admitted_on: row.admitted_on,
            left_on: row
                .left_on
                .unwrap_or_else(|| now.and_then(|e| e.details.left_on)),
            sen_status: row
                .sen_status
                .or_else(|| keep(|d| Some(d.sen_status.clone())))
                .unwrap_or_else(|| "N".to_string()),
            free_school_meals: row
                .free_school_meals
                .or(now.map(|e| e.details.free_school_meals))
                .unwrap_or(false),
            pupil_premium: row
                .pupil_premium
                .or(now.map(|e| e.details.pupil_premium))
                .unwrap_or(false),
            eal: row.eal.or(now.map(|e| e.details.eal)).unwrap_or(false),
            ethnicity: row
                .ethnicity
                .or_else(|| keep(|d| Some(d.ethnicity.clone())))
                .unwrap_or_else(|| "NOBT".to_string()),
        };
        if let Some(left) = details.left_on
            && left < details.admitted_on
        {
            problems.push(RowProblem {
                line: row.line,
                column: header(PupilField::Admitted),
                message: format!(
                    "Rollcall has {} leaving on {left}, before this admission date {}: add the \"Leaving Date\" column with the right date, or check the admission date",
                    row.upn, details.admitted_on
                ),
            });
            continue;
        }
        let Some(now) = now else {
            saved.created += 1;
            new_pupils.push((details, row.contacts));
            continue;
        };
        let details_changed = details != now.details;
        let contacts_changed = row.contacts.as_ref().is_some_and(|wanted| {
            let mut wanted = wanted.clone();
            wanted.sort_by_key(|c| c.priority);
            contacts_now.get(&now.id).map(Vec::as_slice).unwrap_or(&[]) != wanted.as_slice()
        });
        if details_changed {
            changed_pupils.push((now.id, details));
        }
        if contacts_changed && let Some(contacts) = row.contacts {
            changed_contacts.push((now.id, contacts));
        }
        if details_changed || contacts_changed {
            saved.amended += 1;
        } else {
            saved.unchanged += 1;
        }
    }
    if !problems.is_empty() {
        tx.rollback().await?;
        return Ok(refused(kind, file_name, parsed.data_rows, problems));
    }

    tracker.set_phase(Phase::Writing);
    if !new_pupils.is_empty() {
        let details: Vec<&Details> = new_pupils.iter().map(|(d, _)| d).collect();
        let insert = sqlx::query_as(
            "insert into pupils (school_id, upn, legal_first_name, legal_last_name,
                 preferred_first_name, preferred_last_name, date_of_birth, sex, year_group_id,
                 form_id, admitted_on, left_on, sen_status, free_school_meals, pupil_premium,
                 eal, ethnicity)
             select $1, * from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                 $7::date[], $8::text[], $9::uuid[], $10::uuid[], $11::date[], $12::date[],
                 $13::text[], $14::bool[], $15::bool[], $16::bool[], $17::text[])
             returning id, upn",
        )
        .bind(school_id)
        .bind(details.iter().map(|d| d.upn.clone()).collect::<Vec<_>>());
        let ids: Vec<(Uuid, String)> = bind_details(insert, &details).fetch_all(&mut *tx).await?;
        let ids: HashMap<String, Uuid> = ids.into_iter().map(|(id, upn)| (upn, id)).collect();
        for (details, contacts) in new_pupils {
            if let Some(contacts) = contacts.filter(|c| !c.is_empty()) {
                changed_contacts.push((ids[&details.upn], contacts));
            }
        }
    }
    if !changed_pupils.is_empty() {
        let details: Vec<&Details> = changed_pupils.iter().map(|(_, d)| d).collect();
        let update = sqlx::query_as::<_, (Uuid,)>(
            "update pupils p set legal_first_name = u.legal_first_name,
                 legal_last_name = u.legal_last_name,
                 preferred_first_name = u.preferred_first_name,
                 preferred_last_name = u.preferred_last_name, date_of_birth = u.date_of_birth,
                 sex = u.sex, year_group_id = u.year_group_id, form_id = u.form_id,
                 admitted_on = u.admitted_on, left_on = u.left_on, sen_status = u.sen_status,
                 free_school_meals = u.free_school_meals, pupil_premium = u.pupil_premium,
                 eal = u.eal, ethnicity = u.ethnicity
             from unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::date[],
                 $8::text[], $9::uuid[], $10::uuid[], $11::date[], $12::date[], $13::text[],
                 $14::bool[], $15::bool[], $16::bool[], $17::text[])
                 as u(id, legal_first_name, legal_last_name, preferred_first_name,
                      preferred_last_name, date_of_birth, sex, year_group_id, form_id,
                      admitted_on, left_on, sen_status, free_school_meals, pupil_premium, eal,
                      ethnicity)
             where p.school_id = $1 and p.id = u.id
             returning p.id",
        )
        .bind(school_id)
        .bind(changed_pupils.iter().map(|(id, _)| *id).collect::<Vec<_>>());
        bind_details(update, &details).fetch_all(&mut *tx).await?;
    }
    if !changed_contacts.is_empty() {
        write_contacts(&mut tx, school_id, &changed_contacts).await?;
    }
    tracker.written.store(parsed.data_rows, Ordering::Relaxed);

    let imported_before = record(
        &mut tx,
        school_id,
        by,
        kind,
        file_name,
        &sha256,
        parsed.data_rows,
        &saved,
        serde_json::json!({
            "year_groups_created": year_groups_created,
            "forms_created": forms_created,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(ImportOutcome::Imported(ImportSummary {
        kind,
        file_name: file_name.to_string(),
        rows: parsed.data_rows,
        created: saved.created as u64,
        changed: saved.amended as u64,
        unchanged: saved.unchanged as u64,
        year_groups_created,
        forms_created,
        mappings: Vec::new(),
        present_signs_corrected: 0,
        ignored_columns: parsed.ignored_columns,
        imported_before,
        sha256,
    }))
}

/// Makes each pupil's contacts exactly those given: others removed, the rest added or updated
/// in place by priority (so a contact keeps its id while its details change).
async fn write_contacts(
    conn: &mut PgConnection,
    school_id: Uuid,
    pupils: &[(Uuid, Vec<ContactRow>)],
) -> Result<(), sqlx::Error> {
    let rows: Vec<(Uuid, &ContactRow)> = pupils
        .iter()
        .flat_map(|(id, contacts)| contacts.iter().map(move |c| (*id, c)))
        .collect();
    let pupil_ids: Vec<Uuid> = pupils
        .iter()
        .map(|(id, _)| *id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    sqlx::query(
        "delete from contacts c
         where c.school_id = $1 and c.pupil_id = any($2)
           and not exists (select 1 from unnest($3::uuid[], $4::int[]) as k(pupil_id, priority)
                           where k.pupil_id = c.pupil_id and k.priority = c.priority)",
    )
    .bind(school_id)
    .bind(&pupil_ids)
    .bind(rows.iter().map(|(id, _)| *id).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, c)| c.priority).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    let text =
        |f: fn(&ContactRow) -> &String| rows.iter().map(|(_, c)| f(c).clone()).collect::<Vec<_>>();
    sqlx::query(
        "insert into contacts (school_id, pupil_id, priority, title, first_name, last_name,
             relationship, parental_responsibility, mobile_phone, home_phone, work_phone, email,
             address, postcode)
         select $1, * from unnest($2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[],
             $7::text[], $8::bool[], $9::text[], $10::text[], $11::text[], $12::text[],
             $13::text[], $14::text[])
         on conflict (school_id, pupil_id, priority) do update set
             title = excluded.title, first_name = excluded.first_name,
             last_name = excluded.last_name, relationship = excluded.relationship,
             parental_responsibility = excluded.parental_responsibility,
             mobile_phone = excluded.mobile_phone, home_phone = excluded.home_phone,
             work_phone = excluded.work_phone, email = excluded.email,
             address = excluded.address, postcode = excluded.postcode",
    )
    .bind(school_id)
    .bind(rows.iter().map(|(id, _)| *id).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, c)| c.priority).collect::<Vec<_>>())
    .bind(text(|c| &c.title))
    .bind(text(|c| &c.first_name))
    .bind(text(|c| &c.last_name))
    .bind(text(|c| &c.relationship))
    .bind(
        rows.iter()
            .map(|(_, c)| c.parental_responsibility)
            .collect::<Vec<_>>(),
    )
    .bind(text(|c| &c.mobile_phone))
    .bind(text(|c| &c.home_phone))
    .bind(text(|c| &c.work_phone))
    .bind(text(|c| &c.email))
    .bind(text(|c| &c.address))
    .bind(text(|c| &c.postcode))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The school's latest imports, newest first.
pub async fn recent(pool: &PgPool, school_id: Uuid) -> Result<Vec<PastImport>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        kind: String,
        file_name: String,
        rows: i32,
        created: i32,
        changed: i32,
        unchanged: i32,
        imported_by: Option<String>,
        imported_at: DateTime<Utc>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "select i.kind, i.file_name, i.rows, i.created, i.changed, i.unchanged,
                s.display_name as imported_by, i.imported_at
         from imports i left join staff s on s.id = i.imported_by
         where i.school_id = $1
         order by i.imported_at desc
         limit 10",
    )
    .bind(school_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| PastImport {
            kind: ImportKind::parse(&row.kind).unwrap_or(ImportKind::Marks),
            file_name: row.file_name,
            rows: row.rows,
            created: row.created,
            changed: row.changed,
            unchanged: row.unchanged,
            imported_by: row.imported_by,
            imported_at: row.imported_at,
        })
        .collect())
}

/// Binds the pupil details as arrays, in the order both the insert and the update of pupils
/// unnest them: names, date of birth, sex, year, form, roll dates and flags.
fn bind_details<'q, O>(
    query: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    details: &[&Details],
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    fn column<T>(details: &[&Details], field: impl Fn(&Details) -> T) -> Vec<T> {
        details.iter().map(|d| field(d)).collect()
    }
    query
        .bind(column(details, |d| d.legal_first_name.clone()))
        .bind(column(details, |d| d.legal_last_name.clone()))
        .bind(column(details, |d| d.preferred_first_name.clone()))
        .bind(column(details, |d| d.preferred_last_name.clone()))
        .bind(column(details, |d| d.date_of_birth))
        .bind(column(details, |d| d.sex.clone()))
        .bind(column(details, |d| d.year_group_id))
        .bind(column(details, |d| d.form_id))
        .bind(column(details, |d| d.admitted_on))
        .bind(column(details, |d| d.left_on))
        .bind(column(details, |d| d.sen_status.clone()))
        .bind(column(details, |d| d.free_school_meals))
        .bind(column(details, |d| d.pupil_premium))
        .bind(column(details, |d| d.eal))
        .bind(column(details, |d| d.ethnicity.clone()))
}
