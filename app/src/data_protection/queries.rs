//! Where a pupil's personal data lives, in one list (`HELD`): the subject access export reads
//! it and the retention job removes it, so neither can forget a table.
//! `data_protection::every_table_about_a_pupil_is_held` fails when a new table with a `pupil_id`
//! is not added here.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use super::{SafeguardingView, ViewedRecord};
use crate::{auth::Viewer, domain::retention, domain::roles::Permission};

/// A table holding something about a pupil or their parents and carers.
pub struct Held {
    pub table: &'static str,
    /// What it holds, in the export.
    pub what: &'static str,
    /// Which rows are this pupil's: an SQL condition on `t`, with `$1` the school and `$2` the
    /// pupil (`t.school_id = $1` is added).
    pub rows: &'static str,
    /// What in it only safeguarding staff may see.
    pub safeguarding: Safeguarding,
}

pub enum Safeguarding {
    Nothing,
    /// Whole rows, where the condition holds.
    Rows(&'static str),
    /// These columns, in rows where the condition holds.
    Columns(&'static str, &'static [&'static str]),
}

const OF_CASES: &str = "t.case_id in (select id from cases where school_id = $1 and pupil_id = $2)";
const OF_VISITS: &str =
    "t.visit_id in (select id from home_visits where school_id = $1 and pupil_id = $2)";
const VISIT_WITH_CONCERN: &str = "t.visit_id in (select id from home_visits
    where school_id = $1 and pupil_id = $2 and concern_raised_at is not null)";
const SYNC_EVENT_OF_PUPIL: &str = "(t.payload->>'pupil_id' = $2::text
    or t.payload->>'visit_id' in (select id::text from home_visits
                                  where school_id = $1 and pupil_id = $2))";
const SYNC_EVENT_OF_CONCERN: &str = "t.payload->>'visit_id' in (select id::text from home_visits
    where school_id = $1 and pupil_id = $2 and concern_raised_at is not null)";

/// Every table about a pupil, parents first: the export reads them in this order and the
/// retention job deletes them in the reverse, so rows go before the rows they point at.
/// The running totals and monthly counts are left out: they are counts made from the marks,
/// and go with the pupil's row.
pub const HELD: &[Held] = &[
    Held {
        table: "pupils",
        what: "The pupil's record: names, date of birth, year and form, time on roll and characteristics",
        rows: "t.id = $2",
        safeguarding: Safeguarding::Columns("true", &["safeguarding_status"]),
    },
    Held {
        table: "contacts",
        what: "Parents and carers: names, relationship, phones, email and address",
        rows: "t.pupil_id = $2",
        safeguarding: Safeguarding::Nothing,
    },
    Held {
        table: "marks",
        what: "Register marks: every entry, and every amendment with who made it and why",
        rows: "t.pupil_id = $2",
        safeguarding: Safeguarding::Nothing,
    },
    Held {
        table: "late_arrivals",
        what: "Late arrivals logged at the late door",
        rows: "t.pupil_id = $2",
        safeguarding: Safeguarding::Nothing,
    },
    Held {
        table: "contact_attempts",
        what: "First-day calling: every call, text and email to parents and carers",
        rows: "t.pupil_id = $2",
        safeguarding: Safeguarding::Nothing,
    },
    Held {
        table: "cases",
        what: "Attendance cases: stage, case worker, when opened and closed",
        rows: "t.pupil_id = $2",
        safeguarding: Safeguarding::Nothing,
    },
    Held {
        table: "case_events",
        what: "The cases' timelines: notes, decisions and steps taken",
        rows: OF_CASES,
        safeguarding: Safeguarding::Rows("t.safeguarding"),
    },
    Held {
        table: "case_tasks",
        what: "Tasks on the cases",
        rows: OF_CASES,
        safeguarding: Safeguarding::Nothing,
    },
    Held {
        table: "letters",
        what: "Letters to parents and carers, as sent",
        rows: OF_CASES,
        safeguarding: Safeguarding::Nothing,
    },
    Held {
        table: "letter_deliveries",
        what: "How each letter was delivered",
        rows: "t.letter_id in (select l.id from letters l join cases c
                 on c.school_id = l.school_id and c.id = l.case_id
                 where l.school_id = $1 and c.pupil_id = $2)",
        safeguarding: Safeguarding::Nothing,
    },
    Held {
        table: "meetings",
        what: "Attendance meetings: who was invited and came, minutes and actions",
        rows: OF_CASES,
        safeguarding: Safeguarding::Nothing,
    },
    Held {
        table: "attendance_plans",
        what: "Attendance plans: targets, support and reviews",
        rows: OF_CASES,
        safeguarding: Safeguarding::Nothing,
    },
    Held {
        table: "home_visits",
        what: "Home visits: risk assessment, what was found, and any safeguarding concern",
        rows: "t.pupil_id = $2",
        safeguarding: Safeguarding::Columns(
            "t.concern_raised_at is not null",
            &[
                "what_was_said",
                "facts",
                "opinion",
                "agreed_actions",
                "next_step",
                "concern",
                "concern_raised_at",
                "concern_raised_by",
                "concern_seen_at",
                "concern_seen_by",
                "concern_emailed_at",
                "concern_email_error",
            ],
        ),
    },
    Held {
        table: "home_visit_conflicts",
        what: "Visit records saved on two phones at once, and how they were resolved",
        rows: OF_VISITS,
        safeguarding: Safeguarding::Rows(VISIT_WITH_CONCERN),
    },
    Held {
        table: "calling_escalations",
        what: "Pupils nobody reached on the first day: alerts to the DSL and visits proposed",
        rows: "t.pupil_id = $2",
        safeguarding: Safeguarding::Nothing,
    },
    Held {
        table: "leave_requests",
        what: "Requests for leave of absence and the school's decisions",
        rows: "t.pupil_id = $2",
        safeguarding: Safeguarding::Nothing,
    },
    Held {
        table: "notices_to_improve",
        what: "Notices to improve given to parents",
        rows: "t.pupil_id = $2",
        safeguarding: Safeguarding::Nothing,
    },
    Held {
        table: "penalty_notices",
        what: "Penalty notices: issued, paid or withdrawn",
        rows: "t.pupil_id = $2",
        safeguarding: Safeguarding::Nothing,
    },
    Held {
        table: "roll_deletions",
        what: "Leaving the roll: the ground and the deletion return",
        rows: "t.pupil_id = $2",
        safeguarding: Safeguarding::Nothing,
    },
    Held {
        table: "ten_day_notices",
        what: "Notices to the local authority of a child who may be missing education",
        rows: "t.pupil_id = $2",
        safeguarding: Safeguarding::Nothing,
    },
    Held {
        table: "pupil_arrangements",
        what: "Reduced timetables and alternative provision",
        rows: "t.pupil_id = $2",
        safeguarding: Safeguarding::Nothing,
    },
    Held {
        table: "arrangement_reviews",
        what: "Reviews of the reduced timetables and alternative provision",
        rows: "t.arrangement_id in (select id from pupil_arrangements
                 where school_id = $1 and pupil_id = $2)",
        safeguarding: Safeguarding::Nothing,
    },
    Held {
        table: "sync_events",
        what: "What the late-door tablets and visit phones sent about the pupil",
        rows: SYNC_EVENT_OF_PUPIL,
        safeguarding: Safeguarding::Rows(SYNC_EVENT_OF_CONCERN),
    },
    Held {
        table: "sync_rejections",
        what: "What the tablets and phones sent about the pupil that the server refused",
        rows: SYNC_EVENT_OF_PUPIL,
        safeguarding: Safeguarding::Rows(SYNC_EVENT_OF_CONCERN),
    },
    Held {
        table: "safeguarding_views",
        what: "Who has looked at the pupil's safeguarding records, and when",
        rows: "t.pupil_id = $2",
        safeguarding: Safeguarding::Rows("true"),
    },
    // Last, so the retention job removes it first, while the records it names are still there.
    Held {
        table: "audit_log",
        what: "The audit log's entries about the pupil and their records",
        rows: "(split_part(t.subject, ':', 2) in (
                   select $2::text
                   union all select id::text from cases where school_id = $1 and pupil_id = $2
                   union all select id::text from home_visits where school_id = $1 and pupil_id = $2
                   union all select id::text from leave_requests where school_id = $1 and pupil_id = $2
                   union all select id::text from notices_to_improve where school_id = $1 and pupil_id = $2
                   union all select id::text from penalty_notices where school_id = $1 and pupil_id = $2
                   union all select l.id::text from letters l join cases c
                       on c.school_id = l.school_id and c.id = l.case_id
                       where l.school_id = $1 and c.pupil_id = $2)
               or t.detail::text like '%' || $2::text || '%')",
        safeguarding: Safeguarding::Nothing,
    },
];

/// The tables with a `pupil_id` that are deliberately not in `HELD`: counts made from the marks.
pub const DERIVED: &[&str] = &["attendance_totals", "attendance_months"];

/// Everything held about a pupil and their parents and carers, as one JSON document, or `None`
/// when the school has no such pupil. Safeguarding records are in it only for safeguarding
/// staff, and their export is logged as a view.
pub async fn subject_access_export(
    pool: &PgPool,
    viewer: &Viewer,
    school_id: Uuid,
    pupil_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Value>, sqlx::Error> {
    let school: Option<(String, String)> = sqlx::query_as(
        "select s.name, s.urn from pupils p join schools s on s.id = p.school_id
         where p.school_id = $1 and p.id = $2",
    )
    .bind(school_id)
    .bind(pupil_id)
    .fetch_optional(pool)
    .await?;
    let Some((school_name, urn)) = school else {
        return Ok(None);
    };
    let with_safeguarding = viewer.can(Permission::ViewSafeguarding, school_id);
    // One snapshot, so the export is the data as it stood at one moment.
    let mut tx = pool.begin().await?;
    sqlx::query("set transaction isolation level repeatable read read only")
        .execute(&mut *tx)
        .await?;
    let mut records = Vec::with_capacity(HELD.len());
    for held in HELD {
        let rows = rows_of(&mut tx, held, school_id, pupil_id, with_safeguarding).await?;
        records.push(json!({ "table": held.table, "what": held.what, "rows": rows }));
    }
    tx.commit().await?;
    if with_safeguarding && has_safeguarding_record(pool, school_id, pupil_id).await? {
        log_view(
            pool,
            viewer,
            school_id,
            pupil_id,
            ViewedRecord::SubjectAccessExport,
            None,
        )
        .await?;
    }
    Ok(Some(json!({
        "subject_access_export": {
            "school": school_name,
            "urn": urn,
            "pupil_id": pupil_id,
            "made_at": now,
            "made_by": viewer.name,
            "safeguarding": if with_safeguarding {
                "Included: made by safeguarding staff. Review it for exemptions before it is sent."
            } else {
                "Left out, if there are any: only the designated safeguarding lead may export safeguarding records."
            },
        },
        "records": records,
    })))
}

async fn rows_of(
    tx: &mut Transaction<'_, Postgres>,
    held: &Held,
    school_id: Uuid,
    pupil_id: Uuid,
    with_safeguarding: bool,
) -> Result<Value, sqlx::Error> {
    let (row, hidden_rows) = match (&held.safeguarding, with_safeguarding) {
        (Safeguarding::Rows(condition), false) => ("to_jsonb(t)".to_string(), *condition),
        (Safeguarding::Columns(condition, columns), false) => (
            format!(
                "case when {condition} then to_jsonb(t) - array['{}'] else to_jsonb(t) end",
                columns.join("', '")
            ),
            "false",
        ),
        _ => ("to_jsonb(t)".to_string(), "false"),
    };
    let sql = format!(
        "select coalesce(jsonb_agg({row}), '[]'::jsonb) from {table} t
         where t.school_id = $1 and ({rows}) and not ({hidden_rows})",
        table = held.table,
        rows = held.rows,
    );
    sqlx::query_scalar(&sql)
        .bind(school_id)
        .bind(pupil_id)
        .fetch_one(&mut **tx)
        .await
}

/// Whether the pupil has anything only safeguarding staff may see: a child-protection status,
/// a safeguarding note on a case, or a concern from a home visit.
pub async fn has_safeguarding_record(
    pool: &PgPool,
    school_id: Uuid,
    pupil_id: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "select {SAFEGUARDING_RECORD} from pupils p where p.school_id = $1 and p.id = $2"
    ))
    .bind(school_id)
    .bind(pupil_id)
    .fetch_optional(pool)
    .await
    .map(|found| found.unwrap_or(false))
}

/// The condition on a pupil `p` that they have a safeguarding record.
const SAFEGUARDING_RECORD: &str = "(p.safeguarding_status <> 'none'
    or exists (select 1 from case_events e join cases c on c.school_id = e.school_id and c.id = e.case_id
               where c.school_id = p.school_id and c.pupil_id = p.id and e.safeguarding)
    or exists (select 1 from home_visits v
               where v.school_id = p.school_id and v.pupil_id = p.id
                 and v.concern_raised_at is not null))";

/// Logs that the viewer was shown a safeguarding record of a pupil. Only safeguarding staff are
/// ever shown one, so anyone else is not logged.
pub async fn log_view(
    pool: &PgPool,
    viewer: &Viewer,
    school_id: Uuid,
    pupil_id: Uuid,
    record: ViewedRecord,
    record_id: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    log_views(pool, viewer, school_id, &[pupil_id], record, record_id).await
}

/// As `log_view`, for a list that showed several pupils' records at once.
pub async fn log_views(
    pool: &PgPool,
    viewer: &Viewer,
    school_id: Uuid,
    pupil_ids: &[Uuid],
    record: ViewedRecord,
    record_id: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    if pupil_ids.is_empty() || !viewer.can(Permission::ViewSafeguarding, school_id) {
        return Ok(());
    }
    sqlx::query(
        "insert into safeguarding_views (school_id, pupil_id, staff_id, record, record_id)
         select $1, pupil_id, $3, $4, $5 from unnest($2::uuid[]) as pupil_id",
    )
    .bind(school_id)
    .bind(pupil_ids)
    .bind(viewer.staff_id)
    .bind(record.key())
    .bind(record_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// The log of views of a pupil's safeguarding records, newest first. Views by the same person
/// of the same kind of record in the same minute (a page and its refreshes) are one line with
/// their count.
pub async fn safeguarding_views(
    pool: &PgPool,
    school_id: Uuid,
    pupil_id: Uuid,
) -> Result<Vec<SafeguardingView>, sqlx::Error> {
    let rows: Vec<(chrono::NaiveDateTime, String, String, i64)> = sqlx::query_as(
        "select date_trunc('minute', v.viewed_at at time zone sc.time_zone) as minute,
            s.display_name, v.record, count(*)
         from safeguarding_views v join staff s on s.id = v.staff_id
         join schools sc on sc.id = v.school_id
         where v.school_id = $1 and v.pupil_id = $2
         group by minute, s.id, s.display_name, v.record
         order by minute desc, max(v.id) desc
         limit 500",
    )
    .bind(school_id)
    .bind(pupil_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(viewed_at, staff_name, record, times)| SafeguardingView {
            viewed_at,
            staff_name,
            record: ViewedRecord::from_key(&record),
            times,
        })
        .collect())
}

/// What one run of the retention job removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetentionRun {
    /// Pupils whose whole record went, with their parents' and carers'.
    pub pupils_removed: u64,
    /// Rows removed with them, every table together.
    pub rows_removed: u64,
    /// Register marks past their 6 years (with the late arrivals that made them).
    pub marks_removed: u64,
    /// Audit log entries past their 6 years.
    pub audit_entries_removed: u64,
}

/// Applies `docs/retention.md` at one school on `today` (the school's date), in one
/// transaction: whatever fails, nothing is half removed. With `dry_run` it says what would go
/// and removes nothing.
pub async fn apply_retention(
    pool: &PgPool,
    school_id: Uuid,
    today: NaiveDate,
    dry_run: bool,
) -> Result<RetentionRun, sqlx::Error> {
    let mut tx = pool.begin().await?;
    // The audit log and the view log refuse deletes except from this job.
    sqlx::query("set local rollcall.retention = 'on'")
        .execute(&mut *tx)
        .await?;
    let mut run = RetentionRun::default();
    // Register entries: a session's entries go together once the latest of them is 6 years
    // old, with the late arrivals that made them.
    let expired_marks = "select m.id from marks m
        where m.school_id = $1 and m.session_date < $2
          and not exists (select 1 from marks later
                          where later.school_id = m.school_id and later.pupil_id = m.pupil_id
                            and later.session_date = m.session_date
                            and later.session = m.session
                            and later.recorded_at >= $2::timestamp at time zone 'UTC')";
    let cutoff = retention::kept_from(today, retention::YEARS_KEPT);
    // Every session with entries has a current one, so the index of current marks says
    // cheaply whether any are old enough; most days none are, and the marks are not read.
    let oldest: Option<NaiveDate> = sqlx::query_scalar(
        "select min(session_date) from marks where school_id = $1 and is_current",
    )
    .bind(school_id)
    .fetch_one(&mut *tx)
    .await?;
    if oldest.is_some_and(|oldest| oldest < cutoff) {
        sqlx::query(&format!(
            "delete from late_arrivals where school_id = $1 and mark_id in ({expired_marks})"
        ))
        .bind(school_id)
        .bind(cutoff)
        .execute(&mut *tx)
        .await?;
        run.marks_removed = sqlx::query(&format!(
            "delete from marks where school_id = $1 and id in ({expired_marks})"
        ))
        .bind(school_id)
        .bind(cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    run.audit_entries_removed = sqlx::query(
        "delete from audit_log where school_id = $1 and at < $2::timestamp at time zone 'UTC'",
    )
    .bind(school_id)
    .bind(cutoff)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let leavers: Vec<(Uuid, Option<NaiveDate>, NaiveDate, bool, bool)> = sqlx::query_as(&format!(
        "select p.id, p.left_on, p.date_of_birth, {SAFEGUARDING_RECORD},
                exists (select 1 from cases c where c.school_id = p.school_id
                        and c.pupil_id = p.id and c.closed_at is null)
             from pupils p where p.school_id = $1 and p.left_on < $2"
    ))
    .bind(school_id)
    .bind(cutoff)
    .fetch_all(&mut *tx)
    .await?;
    for (pupil_id, left_on, date_of_birth, has_safeguarding_record, has_open_case) in leavers {
        let leaver = retention::Leaver {
            left_on,
            date_of_birth,
            has_safeguarding_record,
            has_open_case,
        };
        if !retention::record_expired(&leaver, today) {
            continue;
        }
        let mut rows = 0;
        for held in HELD.iter().rev() {
            rows += sqlx::query(&format!(
                "delete from {} t where t.school_id = $1 and ({})",
                held.table, held.rows
            ))
            .bind(school_id)
            .bind(pupil_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        run.pupils_removed += 1;
        run.rows_removed += rows;
        crate::audit::record(
            &mut *tx,
            None,
            Some(school_id),
            "retention.pupil_removed",
            &format!("pupil:{pupil_id}"),
            json!({ "left_on": left_on, "rows": rows }),
        )
        .await?;
    }
    if run != RetentionRun::default() {
        crate::audit::record(
            &mut *tx,
            None,
            Some(school_id),
            "retention.applied",
            &format!("school:{school_id}"),
            json!({
                "today": today,
                "pupils_removed": run.pupils_removed,
                "rows_removed": run.rows_removed,
                "marks_removed": run.marks_removed,
                "audit_entries_removed": run.audit_entries_removed,
            }),
        )
        .await?;
    }
    if dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(run)
}

/// `apply_retention` at every school, each on its own date, with the school's name.
pub async fn apply_retention_everywhere(
    pool: &PgPool,
    dry_run: bool,
) -> Result<Vec<(String, RetentionRun)>, sqlx::Error> {
    let schools: Vec<(Uuid, String, NaiveDate)> = sqlx::query_as(
        "select id, name, (now() at time zone time_zone)::date from schools order by urn",
    )
    .fetch_all(pool)
    .await?;
    let mut runs = Vec::with_capacity(schools.len());
    for (school_id, name, today) in schools {
        runs.push((
            name,
            apply_retention(pool, school_id, today, dry_run).await?,
        ));
    }
    Ok(runs)
}
