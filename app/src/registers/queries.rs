//! Every query that reads or writes register marks. `write_marks` is the one way marks are
//! written (registers, amendments, closures, imports, the late door): it checks each mark
//! against the calendar and the roll, never changes a mark in place, and refreshes the
//! figures' running totals in the same transaction.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{
    DayRegisters, MarkChange, OverdueN, Register, RegisterEntry, RegisterLine, RegisterStatus,
    Saved, SessionMark,
};
use crate::{
    attendance::queries::refresh_totals,
    domain::codes::{Code, Session},
    exports,
    school::queries as school,
};

/// Why a write was refused. Nothing of it was written.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The input is wrong: the message says what to fix.
    Invalid(String),
    /// Someone changed the marks since they were read: reload and try again.
    Conflict(String),
}

impl Refused {
    /// The server functions' answer: 422 with what to fix, or 409 to reload.
    pub fn into_error(self) -> leptos::prelude::ServerFnError {
        use crate::auth::server;
        match self {
            Refused::Invalid(message) => server::invalid(message),
            Refused::Conflict(message) => server::conflict(message),
        }
    }
}

/// What the writer saw before writing, so a change made meanwhile is not overwritten.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// The writer replaces whatever is there (an import, a closure), as an amendment.
    Anything,
    /// The current mark the person saw, or `None` when they saw the session unmarked.
    Mark(Option<i64>),
}

/// One mark to write.
#[derive(Clone, Debug)]
pub struct MarkWrite {
    pub pupil_id: Uuid,
    pub date: NaiveDate,
    pub session: Session,
    pub code: Code,
    pub minutes_late: Option<i32>,
    pub seen: Seen,
}

/// A write that cannot be made, by its index in the batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub index: usize,
    pub message: String,
    pub conflict: bool,
}

/// The longest a pupil can be late for a session and still have arrived in it.
const MOST_MINUTES_LATE: i32 = 300;

/// Checks a mark's minutes late on its own: L and U need them, other codes have none.
pub fn check_minutes_late(code: Code, minutes_late: Option<i32>) -> Result<Option<i32>, String> {
    match (code.is_late(), minutes_late) {
        (true, Some(minutes)) if (1..=MOST_MINUTES_LATE).contains(&minutes) => Ok(Some(minutes)),
        (true, Some(minutes)) => Err(format!(
            "{minutes} is not a number of minutes late: give 1 to {MOST_MINUTES_LATE}"
        )),
        (true, None) => Err(format!("{code} needs the minutes late")),
        (false, None | Some(0)) => Ok(None),
        (false, Some(_)) => Err(format!("minutes late only go with L or U, not {code}")),
    }
}

#[derive(sqlx::FromRow)]
struct OnRoll {
    id: Uuid,
    name: String,
    admitted_on: NaiveDate,
    left_on: Option<NaiveDate>,
}

#[derive(sqlx::FromRow)]
struct Current {
    id: i64,
    pupil_id: Uuid,
    session_date: NaiveDate,
    session: String,
    code: String,
    minutes_late: Option<i32>,
    recorded_by: Option<String>,
    recorded_at: DateTime<Utc>,
}

/// Writes marks in the caller's transaction. Every mark is checked first; when any is wrong
/// nothing is written and every problem comes back, so the caller can roll back and say all
/// that needs fixing at once. A mark equal to the current one is left alone, which makes
/// writing the same marks twice harmless. Replacing a mark needs `reason`.
pub async fn write_marks(
    conn: &mut PgConnection,
    school_id: Uuid,
    by: Option<Uuid>,
    source: &str,
    reason: Option<&str>,
    writes: &[MarkWrite],
) -> Result<Result<Saved, Vec<Problem>>, sqlx::Error> {
    let mut problems = Vec::new();
    let mut saved = Saved::default();
    let Some(first) = writes.iter().map(|w| w.date).min() else {
        return Ok(Ok(saved));
    };
    let last = writes.iter().map(|w| w.date).max().unwrap_or(first);

    let pupil_ids: Vec<Uuid> = writes
        .iter()
        .map(|w| w.pupil_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let pupils: HashMap<Uuid, OnRoll> = sqlx::query_as::<_, OnRoll>(
        "select id, legal_last_name || ', ' || legal_first_name as name, admitted_on, left_on
         from pupils where school_id = $1 and id = any($2)",
    )
    .bind(school_id)
    .bind(&pupil_ids)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|pupil| (pupil.id, pupil))
    .collect();
    let school_days: HashSet<NaiveDate> = school::school_days(&mut *conn, school_id, first, last)
        .await?
        .into_iter()
        .collect();

    let mut seen_keys = HashMap::new();
    for (index, write) in writes.iter().enumerate() {
        let mut problem = |message: String| {
            problems.push(Problem {
                index,
                message,
                conflict: false,
            })
        };
        let Some(pupil) = pupils.get(&write.pupil_id) else {
            problem("there is no such pupil at this school".to_string());
            continue;
        };
        let key = (write.pupil_id, write.date, write.session);
        if let Some(earlier) = seen_keys.insert(key, index) {
            seen_keys.insert(key, earlier);
            problem(format!(
                "{} has a second mark for {} {}: each session has one mark",
                pupil.name, write.date, write.session
            ));
            continue;
        }
        if !school_days.contains(&write.date) {
            problem(format!(
                "{} {} is not a school day, so it has no sessions",
                write.date.format("%a %-d %b %Y"),
                write.session
            ));
            continue;
        }
        if write.date < pupil.admitted_on || pupil.left_on.is_some_and(|left| write.date > left) {
            problem(format!(
                "{} was not on roll on {} (admitted {}{})",
                pupil.name,
                write.date,
                pupil.admitted_on,
                pupil
                    .left_on
                    .map(|left| format!(", left {left}"))
                    .unwrap_or_default()
            ));
            continue;
        }
        if let Err(message) = check_minutes_late(write.code, write.minutes_late) {
            problem(format!("{}: {message}", pupil.name));
        }
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }

    let currents: Vec<Current> = sqlx::query_as(
        "select m.id, m.pupil_id, m.session_date, m.session, m.code, m.minutes_late,
                s.display_name as recorded_by, m.recorded_at
         from marks m
         join unnest($2::uuid[], $3::date[], $4::text[]) as w(pupil_id, session_date, session)
           on m.pupil_id = w.pupil_id and m.session_date = w.session_date and m.session = w.session
         left join staff s on s.id = m.recorded_by
         where m.school_id = $1 and m.is_current
         for update of m",
    )
    .bind(school_id)
    .bind(writes.iter().map(|w| w.pupil_id).collect::<Vec<_>>())
    .bind(writes.iter().map(|w| w.date).collect::<Vec<_>>())
    .bind(
        writes
            .iter()
            .map(|w| w.session.as_str())
            .collect::<Vec<_>>(),
    )
    .fetch_all(&mut *conn)
    .await?;
    let currents: HashMap<(Uuid, NaiveDate, &str), &Current> = currents
        .iter()
        .map(|c| ((c.pupil_id, c.session_date, c.session.as_str()), c))
        .collect();

    let reason = reason.map(str::trim).filter(|reason| !reason.is_empty());
    let mut replaced = Vec::new();
    let mut new_marks = Vec::new();
    for (index, write) in writes.iter().enumerate() {
        let name = &pupils[&write.pupil_id].name;
        let minutes_late = write.minutes_late.filter(|_| write.code.is_late());
        let current = currents.get(&(write.pupil_id, write.date, write.session.as_str()));
        if let Some(current) = current
            && current.code == write.code.as_str()
            && current.minutes_late == minutes_late
        {
            saved.unchanged += 1;
            continue;
        }
        if let Seen::Mark(seen) = write.seen
            && seen != current.map(|c| c.id)
        {
            let now = match current {
                Some(c) => format!(
                    "{}, set by {} at {}",
                    c.code,
                    c.recorded_by.as_deref().unwrap_or("an import"),
                    crate::uk_time::local(c.recorded_at).format("%H:%M on %-d %b")
                ),
                None => "unmarked".to_string(),
            };
            problems.push(Problem {
                index,
                message: format!(
                    "{name}'s {} mark changed after you opened it (now {now})",
                    write.session
                ),
                conflict: true,
            });
            continue;
        }
        if let Some(current) = current {
            if reason.is_none() {
                problems.push(Problem {
                    index,
                    message: format!(
                        "{name}'s {} mark is already {}: give a reason for changing it",
                        write.session, current.code
                    ),
                    conflict: false,
                });
                continue;
            }
            replaced.push(current.id);
            saved.amended += 1;
        } else {
            saved.created += 1;
        }
        new_marks.push((write, minutes_late, current.map(|c| c.id)));
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    if new_marks.is_empty() {
        return Ok(Ok(saved));
    }

    // A first save replaces nothing: no round trip for it.
    if !replaced.is_empty() {
        sqlx::query("update marks set is_current = false where school_id = $1 and id = any($2)")
            .bind(school_id)
            .bind(&replaced)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query(
        "insert into marks (school_id, pupil_id, session_date, session, code, minutes_late,
             recorded_by, source, replaces_id, amendment_reason)
         select $1, w.pupil_id, w.session_date, w.session, w.code, w.minutes_late, $2, $3,
             w.replaces_id, case when w.replaces_id is null then null else $4 end
         from unnest($5::uuid[], $6::date[], $7::text[], $8::text[], $9::int[], $10::bigint[])
             as w(pupil_id, session_date, session, code, minutes_late, replaces_id)",
    )
    .bind(school_id)
    .bind(by)
    .bind(source)
    .bind(reason)
    .bind(
        new_marks
            .iter()
            .map(|(w, _, _)| w.pupil_id)
            .collect::<Vec<_>>(),
    )
    .bind(new_marks.iter().map(|(w, _, _)| w.date).collect::<Vec<_>>())
    .bind(
        new_marks
            .iter()
            .map(|(w, _, _)| w.session.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        new_marks
            .iter()
            .map(|(w, _, _)| w.code.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(new_marks.iter().map(|(_, m, _)| *m).collect::<Vec<_>>())
    .bind(new_marks.iter().map(|(_, _, r)| *r).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;

    let changed: Vec<Uuid> = new_marks
        .iter()
        .map(|(w, _, _)| w.pupil_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let from = new_marks
        .iter()
        .map(|(w, _, _)| w.date)
        .min()
        .unwrap_or(first);
    refresh_totals(conn, school_id, &changed, from).await?;
    Ok(Ok(saved))
}

/// Takes back a mark entered by mistake moments ago (an arrival undone at the late door): the
/// mark it replaced comes back as a new entry, or, when the session was unmarked before, the
/// mark stops being current and stays in the history. `false` when the mark is no longer
/// current, because someone has changed the session since.
pub async fn withdraw_mark(
    conn: &mut PgConnection,
    school_id: Uuid,
    by: Option<Uuid>,
    mark_id: i64,
    source: &str,
) -> Result<bool, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Withdrawn {
        pupil_id: Uuid,
        session_date: NaiveDate,
        session: String,
        is_current: bool,
        before: Option<String>,
        minutes_late: Option<i32>,
    }
    let mark: Option<Withdrawn> = sqlx::query_as(
        "select m.pupil_id, m.session_date, m.session, m.is_current, r.code as before,
                    r.minutes_late
             from marks m left join marks r on r.school_id = m.school_id and r.id = m.replaces_id
             where m.school_id = $1 and m.id = $2 for update of m",
    )
    .bind(school_id)
    .bind(mark_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(Withdrawn {
        pupil_id,
        session_date: date,
        session,
        is_current: true,
        before,
        minutes_late,
    }) = mark
    else {
        return Ok(false);
    };
    match before.as_deref().map(Code::parse) {
        Some(Ok(code)) => {
            let write = MarkWrite {
                pupil_id,
                date,
                session: Session::parse(&session).unwrap_or(Session::Am),
                code,
                minutes_late,
                seen: Seen::Mark(Some(mark_id)),
            };
            let written = write_marks(
                conn,
                school_id,
                by,
                source,
                Some("Entered by mistake: undone"),
                std::slice::from_ref(&write),
            )
            .await?;
            Ok(written.is_ok())
        }
        _ => {
            sqlx::query("update marks set is_current = false where school_id = $1 and id = $2")
                .bind(school_id)
                .bind(mark_id)
                .execute(&mut *conn)
                .await?;
            refresh_totals(conn, school_id, &[pupil_id], date).await?;
            Ok(true)
        }
    }
}

/// Joins problems into one message a person can act on, and says whether any was a conflict.
pub fn refusal(problems: Vec<Problem>) -> Refused {
    let conflict = problems.iter().any(|p| p.conflict);
    let message = problems
        .iter()
        .filter(|p| p.conflict == conflict)
        .map(|p| p.message.clone())
        .collect::<Vec<_>>()
        .join("; ");
    if conflict {
        Refused::Conflict(format!(
            "Someone else changed this register after you opened it: {message}. Nothing was \
             saved; reload to see their changes and enter yours again."
        ))
    } else {
        Refused::Invalid(format!("Nothing was saved: {message}."))
    }
}

/// Runs `write_marks` in its own transaction, committed only when every mark was right.
async fn write_in_transaction(
    pool: &PgPool,
    school_id: Uuid,
    by: Uuid,
    source: &str,
    reason: Option<&str>,
    writes: &[MarkWrite],
    after: impl AsyncFnOnce(&mut PgConnection, &Saved) -> Result<(), sqlx::Error>,
) -> Result<Result<Saved, Refused>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    match write_marks(&mut tx, school_id, Some(by), source, reason, writes).await {
        Ok(Ok(saved)) => {
            after(&mut tx, &saved).await?;
            tx.commit().await?;
            Ok(Ok(saved))
        }
        Ok(Err(problems)) => Ok(Err(refusal(problems))),
        // Two people saving the same session's first mark at the same moment: the second is
        // told to reload, like any other change made meanwhile.
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Ok(Err(Refused::Conflict(
            "Someone else saved marks for the same pupils at the same moment. Nothing was \
             saved; reload to see their marks and enter yours again."
                .to_string(),
        ))),
        Err(error) => Err(error),
    }
}

#[derive(sqlx::FromRow)]
struct MarkRow {
    pupil_id: Uuid,
    id: i64,
    code: String,
    minutes_late: Option<i32>,
    source: String,
    recorded_by: Option<String>,
    recorded_at: DateTime<Utc>,
    amended: bool,
}

impl MarkRow {
    fn into_mark(self) -> SessionMark {
        SessionMark {
            mark_id: self.id,
            code: self.code,
            minutes_late: self.minutes_late,
            source: self.source,
            recorded_by: self.recorded_by,
            recorded_at: self.recorded_at,
            amended: self.amended,
        }
    }
}

/// The pupils of a form on roll on a date, by name.
async fn form_pupils(
    pool: &PgPool,
    school_id: Uuid,
    form_id: Uuid,
    date: NaiveDate,
) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    sqlx::query_as(
        "select id, coalesce(preferred_last_name, legal_last_name) || ', '
                || coalesce(preferred_first_name, legal_first_name) as name
         from pupils
         where school_id = $1 and form_id = $2 and admitted_on <= $3
           and (left_on is null or left_on >= $3)
         order by lower(coalesce(preferred_last_name, legal_last_name)),
                  lower(coalesce(preferred_first_name, legal_first_name))",
    )
    .bind(school_id)
    .bind(form_id)
    .bind(date)
    .fetch_all(pool)
    .await
}

/// A form's register for a session. `Err` says why there is none (not a school day).
pub async fn register(
    pool: &PgPool,
    school_id: Uuid,
    form_id: Uuid,
    date: NaiveDate,
    session: Session,
) -> Result<Result<Option<Register>, String>, sqlx::Error> {
    let Some(form) =
        sqlx::query_scalar::<_, String>("select name from forms where school_id = $1 and id = $2")
            .bind(school_id)
            .bind(form_id)
            .fetch_optional(pool)
            .await?
    else {
        return Ok(Ok(None));
    };
    let kind = school::day_kind(pool, school_id, date).await?;
    if !matches!(kind, crate::school::DayKind::SchoolDay { .. }) {
        return Ok(Err(format!(
            "{} is {}, so there is no register to take.",
            date.format("%A %-d %B %Y"),
            kind.describe()
        )));
    }
    let times = school::session_times(pool, school_id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let (opens, closes) = match session {
        Session::Am => (times.am_register_opens, times.am_register_closes()),
        Session::Pm => (times.pm_register_opens, times.pm_register_closes()),
    };
    let now = school::now_at(pool, school_id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let is_open = now.date() == date && now.time() >= opens && now.time() < closes;

    let pupils = form_pupils(pool, school_id, form_id, date).await?;
    let ids: Vec<Uuid> = pupils.iter().map(|(id, _)| *id).collect();
    let mut marks: HashMap<Uuid, SessionMark> = sqlx::query_as::<_, MarkRow>(
        "select m.pupil_id, m.id, m.code, m.minutes_late, m.source,
                s.display_name as recorded_by, m.recorded_at, m.replaces_id is not null as amended
         from marks m left join staff s on s.id = m.recorded_by
         where m.school_id = $1 and m.pupil_id = any($2) and m.session_date = $3
           and m.session = $4 and m.is_current",
    )
    .bind(school_id)
    .bind(&ids)
    .bind(date)
    .bind(session.as_str())
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|row| (row.pupil_id, row.into_mark()))
    .collect();
    let taken: Option<(DateTime<Utc>, Option<String>)> = sqlx::query_as(
        "select r.first_taken_at, s.display_name
         from registers_taken r left join staff s on s.id = r.first_taken_by
         where r.school_id = $1 and r.session_date = $2 and r.session = $3 and r.form_id = $4",
    )
    .bind(school_id)
    .bind(date)
    .bind(session.as_str())
    .bind(form_id)
    .fetch_optional(pool)
    .await?;
    Ok(Ok(Some(Register {
        school_id,
        form_id,
        form,
        date,
        session,
        opens,
        closes,
        is_open,
        taken_at: taken.as_ref().map(|(at, _)| *at),
        taken_by: taken.and_then(|(_, by)| by),
        lines: pupils
            .into_iter()
            .map(|(pupil_id, name)| RegisterLine {
                pupil_id,
                name,
                mark: marks.remove(&pupil_id),
            })
            .collect(),
    })))
}

/// Saves a form's register: one transaction, every mark checked against what the person saw.
#[allow(clippy::too_many_arguments)]
pub async fn save_register(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    form_id: Uuid,
    date: NaiveDate,
    session: Session,
    entries: &[RegisterEntry],
    reason: Option<&str>,
) -> Result<Result<Saved, Refused>, sqlx::Error> {
    let members: HashMap<Uuid, String> = form_pupils(pool, school_id, form_id, date)
        .await?
        .into_iter()
        .collect();
    let mut writes = Vec::with_capacity(entries.len());
    let mut wrong = Vec::new();
    for entry in entries {
        let Some(name) = members.get(&entry.pupil_id) else {
            wrong.push("a pupil who is not on this register".to_string());
            continue;
        };
        match Code::parse(&entry.code) {
            Ok(code) => writes.push(MarkWrite {
                pupil_id: entry.pupil_id,
                date,
                session,
                code,
                minutes_late: entry.minutes_late,
                seen: Seen::Mark(entry.seen_mark_id),
            }),
            Err(unknown) => wrong.push(format!("{name}: {unknown}")),
        }
    }
    if !wrong.is_empty() {
        return Ok(Err(Refused::Invalid(format!(
            "Nothing was saved: {}.",
            wrong.join("; ")
        ))));
    }
    write_in_transaction(
        pool,
        school_id,
        staff_id,
        "register",
        reason,
        &writes,
        async |conn: &mut PgConnection, _saved: &Saved| {
            sqlx::query(
                "insert into registers_taken (school_id, form_id, session_date, session,
                     first_taken_by, last_saved_by)
                 values ($1, $2, $3, $4, $5, $5)
                 on conflict (school_id, session_date, session, form_id)
                 do update set last_saved_at = now(), last_saved_by = excluded.last_saved_by",
            )
            .bind(school_id)
            .bind(form_id)
            .bind(date)
            .bind(session.as_str())
            .bind(staff_id)
            .execute(conn)
            .await
            .map(|_| ())
        },
    )
    .await
}

/// Changes one saved mark with a reason. The mark must still be current: a mark someone else
/// changed meanwhile is a conflict.
pub async fn amend_mark(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    mark_id: i64,
    code: &str,
    minutes_late: Option<i32>,
    reason: &str,
) -> Result<Result<(), Refused>, sqlx::Error> {
    let code = match Code::parse(code) {
        Ok(code) => code,
        Err(unknown) => return Ok(Err(Refused::Invalid(format!("{unknown}.")))),
    };
    if reason.trim().is_empty() {
        return Ok(Err(Refused::Invalid(
            "Give a reason for the change: the register keeps it with the original mark."
                .to_string(),
        )));
    }
    let mark: Option<(Uuid, NaiveDate, String)> = sqlx::query_as(
        "select pupil_id, session_date, session from marks where school_id = $1 and id = $2",
    )
    .bind(school_id)
    .bind(mark_id)
    .fetch_optional(pool)
    .await?;
    let Some((pupil_id, date, session)) = mark else {
        return Ok(Err(Refused::Invalid(
            "There is no such mark at this school.".to_string(),
        )));
    };
    let write = MarkWrite {
        pupil_id,
        date,
        session: Session::parse(&session).unwrap_or(Session::Am),
        code,
        minutes_late,
        seen: Seen::Mark(Some(mark_id)),
    };
    let outcome = write_in_transaction(
        pool,
        school_id,
        staff_id,
        "register",
        Some(reason),
        std::slice::from_ref(&write),
        async |_: &mut PgConnection, _: &Saved| Ok(()),
    )
    .await?;
    Ok(outcome.map(|_| ()))
}

/// Marks every pupil on roll (or of one year group) unable to attend for the sessions of a day
/// the school closed unexpectedly: Y4 for the whole site, Y3 for part of it.
pub async fn unexpected_closure(
    pool: &PgPool,
    staff_id: Uuid,
    school_id: Uuid,
    date: NaiveDate,
    sessions: &[Session],
    year_group_id: Option<Uuid>,
    reason: &str,
) -> Result<Result<Saved, Refused>, sqlx::Error> {
    if sessions.is_empty() {
        return Ok(Err(Refused::Invalid(
            "Choose the morning, the afternoon or both.".to_string(),
        )));
    }
    if reason.trim().is_empty() {
        return Ok(Err(Refused::Invalid(
            "Say why the school closed: it is kept with every mark.".to_string(),
        )));
    }
    let pupils: Vec<Uuid> = sqlx::query_scalar(
        "select id from pupils
         where school_id = $1 and ($2::uuid is null or year_group_id = $2)
           and admitted_on <= $3 and (left_on is null or left_on >= $3)",
    )
    .bind(school_id)
    .bind(year_group_id)
    .bind(date)
    .fetch_all(pool)
    .await?;
    if pupils.is_empty() {
        return Ok(Err(Refused::Invalid(
            "No pupils were on roll there on that day.".to_string(),
        )));
    }
    let code = if year_group_id.is_some() {
        Code::PartClosed
    } else {
        Code::SiteClosed
    };
    let writes: Vec<MarkWrite> = pupils
        .iter()
        .flat_map(|pupil_id| {
            sessions.iter().map(move |session| MarkWrite {
                pupil_id: *pupil_id,
                date,
                session: *session,
                code,
                minutes_late: None,
                seen: Seen::Anything,
            })
        })
        .collect();
    write_in_transaction(
        pool,
        school_id,
        staff_id,
        "register",
        Some(reason),
        &writes,
        async |conn: &mut PgConnection, saved: &Saved| {
            crate::audit::record(
                conn,
                Some(staff_id),
                Some(school_id),
                "registers.unexpected_closure",
                &format!("date:{date}"),
                serde_json::json!({
                    "code": code.as_str(),
                    "sessions": sessions.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                    "year_group_id": year_group_id,
                    "reason": reason.trim(),
                    "marks": saved.created + saved.amended,
                }),
            )
            .await
        },
    )
    .await
}

/// The school's year groups, youngest first.
pub async fn year_groups(
    pool: &PgPool,
    school_id: Uuid,
) -> Result<Vec<super::YearGroup>, sqlx::Error> {
    let rows: Vec<(Uuid, String)> =
        sqlx::query_as("select id, name from year_groups where school_id = $1 order by nc_year")
            .bind(school_id)
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| super::YearGroup { id, name })
        .collect())
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    id: i64,
    pupil_id: Uuid,
    session_date: NaiveDate,
    session: String,
    code: String,
    minutes_late: Option<i32>,
    source: String,
    recorded_by: Option<String>,
    recorded_at: DateTime<Utc>,
    replaced_code: Option<String>,
    amendment_reason: Option<String>,
    is_current: bool,
}

const CHANGE_COLUMNS: &str = "select m.id, m.pupil_id, m.session_date, m.session, m.code,
        m.minutes_late, m.source, s.display_name as recorded_by, m.recorded_at,
        r.code as replaced_code, m.amendment_reason, m.is_current
     from marks m
     left join staff s on s.id = m.recorded_by
     left join marks r on r.school_id = m.school_id and r.id = m.replaces_id";

fn into_changes(rows: Vec<ChangeRow>) -> Vec<MarkChange> {
    rows.into_iter()
        .map(|row| MarkChange {
            mark_id: row.id,
            pupil_id: row.pupil_id,
            session_date: row.session_date,
            session: Session::parse(&row.session).unwrap_or(Session::Am),
            code: row.code,
            minutes_late: row.minutes_late,
            source: row.source,
            recorded_by: row.recorded_by,
            recorded_at: row.recorded_at,
            replaced_code: row.replaced_code,
            reason: row.amendment_reason,
            is_current: row.is_current,
        })
        .collect()
}

/// One session's mark for a pupil: the original and every change, oldest first.
pub async fn session_history(
    pool: &PgPool,
    school_id: Uuid,
    pupil_id: Uuid,
    date: NaiveDate,
    session: Session,
) -> Result<Vec<MarkChange>, sqlx::Error> {
    let rows: Vec<ChangeRow> = sqlx::query_as(&format!(
        "{CHANGE_COLUMNS}
         where m.school_id = $1 and m.pupil_id = $2 and m.session_date = $3 and m.session = $4
         order by m.id"
    ))
    .bind(school_id)
    .bind(pupil_id)
    .bind(date)
    .bind(session.as_str())
    .fetch_all(pool)
    .await?;
    Ok(into_changes(rows))
}

/// Every amendment of a pupil's marks, newest first.
pub async fn amendments(
    pool: &PgPool,
    school_id: Uuid,
    pupil_id: Uuid,
) -> Result<Vec<MarkChange>, sqlx::Error> {
    let rows: Vec<ChangeRow> = sqlx::query_as(&format!(
        "{CHANGE_COLUMNS}
         where m.school_id = $1 and m.pupil_id = $2 and m.replaces_id is not null
         order by m.id desc"
    ))
    .bind(school_id)
    .bind(pupil_id)
    .fetch_all(pool)
    .await?;
    Ok(into_changes(rows))
}

/// How many school days have passed since `date`, up to and including `today`.
fn school_days_since(days: &[NaiveDate], date: NaiveDate, today: NaiveDate) -> i64 {
    days.iter().filter(|d| **d > date && **d <= today).count() as i64
}

/// N marks still without a reason more than five school days after the session.
pub async fn overdue_n(pool: &PgPool, school_id: Uuid) -> Result<Vec<OverdueN>, sqlx::Error> {
    let Some(today) = school::today_at(pool, school_id).await? else {
        return Ok(Vec::new());
    };
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        pupil_id: Uuid,
        name: String,
        form: Option<String>,
        session_date: NaiveDate,
        session: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "select m.id, m.pupil_id,
                coalesce(p.preferred_last_name, p.legal_last_name) || ', '
                    || coalesce(p.preferred_first_name, p.legal_first_name) as name,
                f.name as form, m.session_date, m.session
         from marks m
         join pupils p on p.school_id = m.school_id and p.id = m.pupil_id
         left join forms f on f.school_id = p.school_id and f.id = p.form_id
         where m.school_id = $1 and m.is_current and m.code = $2 and m.session_date < $3
         order by m.session_date, name, m.session",
    )
    .bind(school_id)
    .bind(Code::NoReasonYet.as_str())
    .bind(today)
    .fetch_all(pool)
    .await?;
    let Some(oldest) = rows.first().map(|row| row.session_date) else {
        return Ok(Vec::new());
    };
    let days = school::school_days(pool, school_id, oldest, today).await?;
    Ok(rows
        .into_iter()
        .map(|row| OverdueN {
            school_days_old: school_days_since(&days, row.session_date, today),
            mark_id: row.id,
            pupil_id: row.pupil_id,
            name: row.name,
            form: row.form.unwrap_or_default(),
            session_date: row.session_date,
            session: Session::parse(&row.session).unwrap_or(Session::Am),
        })
        .filter(|n| n.school_days_old > 5)
        .collect())
}

/// The registers of a day: every form, each session, and whether it has been taken.
pub async fn day_registers(
    pool: &PgPool,
    school_id: Uuid,
    date: Option<NaiveDate>,
) -> Result<Option<DayRegisters>, sqlx::Error> {
    let Some(date) = (match date {
        Some(date) => Some(date),
        None => school::today_at(pool, school_id).await?,
    }) else {
        return Ok(None);
    };
    let Some(times) = school::session_times(pool, school_id).await? else {
        return Ok(None);
    };
    let kind = school::day_kind(pool, school_id, date).await?;
    let not_a_school_day = (!matches!(kind, crate::school::DayKind::SchoolDay { .. }))
        .then(|| format!("{} is {}.", date.format("%A %-d %B %Y"), kind.describe()));
    #[derive(sqlx::FromRow)]
    struct Row {
        form_id: Uuid,
        form: String,
        session: String,
        pupils: i64,
        marked: i64,
        taken_at: Option<DateTime<Utc>>,
        taken_by: Option<String>,
    }
    let rows: Vec<Row> = if not_a_school_day.is_some() {
        Vec::new()
    } else {
        sqlx::query_as(
            "select f.id as form_id, f.name as form, s.session,
                (select count(*) from pupils p where p.school_id = f.school_id
                    and p.form_id = f.id and p.admitted_on <= $2
                    and (p.left_on is null or p.left_on >= $2)) as pupils,
                (select count(*) from marks m join pupils p
                    on p.school_id = m.school_id and p.id = m.pupil_id
                    where m.school_id = f.school_id and p.form_id = f.id
                    and m.session_date = $2 and m.session = s.session and m.is_current) as marked,
                r.first_taken_at as taken_at, st.display_name as taken_by
             from forms f
             join year_groups y on y.school_id = f.school_id and y.id = f.year_group_id
             cross join (values ('AM'), ('PM')) as s(session)
             left join registers_taken r on r.school_id = f.school_id and r.form_id = f.id
                 and r.session_date = $2 and r.session = s.session
             left join staff st on st.id = r.first_taken_by
             where f.school_id = $1
             order by s.session, y.nc_year, f.name",
        )
        .bind(school_id)
        .bind(date)
        .fetch_all(pool)
        .await?
    };
    Ok(Some(DayRegisters {
        date,
        not_a_school_day,
        am_opens: times.am_register_opens,
        am_closes: times.am_register_closes(),
        pm_opens: times.pm_register_opens,
        pm_closes: times.pm_register_closes(),
        registers: rows
            .into_iter()
            .map(|row| RegisterStatus {
                form_id: row.form_id,
                form: row.form,
                session: Session::parse(&row.session).unwrap_or(Session::Am),
                pupils: row.pupils,
                marked: row.marked,
                taken_at: row.taken_at,
                taken_by: row.taken_by,
            })
            .collect(),
    }))
}

/// Every current mark of a period as CSV: `upn,date,session,code,minutes_late`.
pub async fn marks_csv(
    pool: &PgPool,
    school_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<u8>, sqlx::Error> {
    let rows: Vec<(String, NaiveDate, String, String, Option<i32>)> = sqlx::query_as(
        "select p.upn, m.session_date, m.session, m.code, m.minutes_late
         from marks m join pupils p on p.school_id = m.school_id and p.id = m.pupil_id
         where m.school_id = $1 and m.is_current and m.session_date between $2 and $3
         order by m.session_date, m.session, p.upn",
    )
    .bind(school_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    let mut out = exports::csv_with_header(&["upn", "date", "session", "code", "minutes_late"]);
    for (upn, date, session, code, minutes_late) in rows {
        let date = date.to_string();
        let minutes = minutes_late.map(|m| m.to_string()).unwrap_or_default();
        let _ = out.write_record([upn.as_str(), &date, &session, &code, &minutes]);
    }
    Ok(exports::finish(out))
}

/// The statutory copy of the register for a period: every entry, original and amendment, with
/// who made it, when and why, by date, session and pupil.
pub async fn register_copy_csv(
    pool: &PgPool,
    school_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<u8>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        upn: String,
        name: String,
        session_date: NaiveDate,
        session: String,
        code: String,
        minutes_late: Option<i32>,
        recorded_at: DateTime<Utc>,
        recorded_by: Option<String>,
        source: String,
        replaced_code: Option<String>,
        amendment_reason: Option<String>,
        is_current: bool,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "select p.upn, p.legal_last_name || ', ' || p.legal_first_name as name,
                m.session_date, m.session, m.code, m.minutes_late, m.recorded_at,
                s.display_name as recorded_by, m.source, r.code as replaced_code,
                m.amendment_reason, m.is_current
         from marks m
         join pupils p on p.school_id = m.school_id and p.id = m.pupil_id
         left join staff s on s.id = m.recorded_by
         left join marks r on r.school_id = m.school_id and r.id = m.replaces_id
         where m.school_id = $1 and m.session_date between $2 and $3
         order by m.session_date, m.session, p.legal_last_name, p.legal_first_name, m.id",
    )
    .bind(school_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    let mut out = exports::csv_with_header(&[
        "upn",
        "pupil",
        "date",
        "session",
        "code",
        "minutes_late",
        "entered_at",
        "entered_by",
        "source",
        "replaces",
        "reason",
        "current",
    ]);
    for row in rows {
        let _ = out.write_record([
            row.upn.as_str(),
            &exports::cell(&row.name),
            &row.session_date.to_string(),
            &row.session,
            &row.code,
            &row.minutes_late.map(|m| m.to_string()).unwrap_or_default(),
            &row.recorded_at.to_rfc3339(),
            &exports::cell(row.recorded_by.as_deref().unwrap_or("")),
            &row.source,
            row.replaced_code.as_deref().unwrap_or(""),
            &exports::cell(row.amendment_reason.as_deref().unwrap_or("")),
            if row.is_current { "yes" } else { "no" },
        ]);
    }
    Ok(exports::finish(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_late_go_with_l_and_u_only() {
        assert_eq!(check_minutes_late(Code::Late, Some(12)), Ok(Some(12)));
        assert!(
            check_minutes_late(Code::Late, None)
                .unwrap_err()
                .contains("L needs")
        );
        assert!(check_minutes_late(Code::LateAfterClose, Some(0)).is_err());
        assert_eq!(check_minutes_late(Code::Illness, None), Ok(None));
        assert!(check_minutes_late(Code::Illness, Some(5)).is_err());
    }

    #[test]
    fn school_days_since_counts_only_school_days_after_the_session() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
        let days = [d(2), d(3), d(4), d(5), d(6), d(9), d(10)];
        assert_eq!(school_days_since(&days, d(2), d(9)), 5);
        assert_eq!(school_days_since(&days, d(2), d(10)), 6);
    }
}
