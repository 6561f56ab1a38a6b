//! Every query of the late door: the school's late policy, the roll a tablet caches, today's
//! arrivals, and applying arrivals that devices pushed.
//!
//! Precedence between the late door and the register (docs/sync.md): an arrival writes L or U
//! when the session is unmarked, marked N (no reason yet: the arrival is the reason), or marked
//! by the late door before. Any other code was set by the office on purpose (a present mark
//! taken at registration, an authorised absence, a closure): it is never replaced by the door.
//! The arrival is still kept, with a conflict note that office staff see and resolve.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{
    domain::{
        codes::{Code, Session},
        lateness::{LatePolicy, LateReason},
    },
    registers::queries::{self as registers, MarkWrite, Seen},
    sync::{Arrival, LateArrivalV1, RollPupil},
};

pub async fn policy<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Postgres>,
    school_id: Uuid,
) -> Result<Option<(LatePolicy, chrono_tz::Tz)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        am_register_opens: chrono::NaiveTime,
        pm_register_opens: chrono::NaiveTime,
        register_open_minutes: i32,
        late_sanction_before_close: String,
        late_sanction_after_close: String,
        lateness_concern_after: i32,
        time_zone: String,
    }
    let row: Option<Row> = sqlx::query_as(
        "select am_register_opens, pm_register_opens, register_open_minutes,
                late_sanction_before_close, late_sanction_after_close, lateness_concern_after,
                time_zone
         from schools where id = $1",
    )
    .bind(school_id)
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|row| {
        (
            LatePolicy {
                am_register_opens: row.am_register_opens,
                pm_register_opens: row.pm_register_opens,
                register_open_minutes: row.register_open_minutes,
                sanction_before_close: row.late_sanction_before_close,
                sanction_after_close: row.late_sanction_after_close,
                concern_after: row.lateness_concern_after,
            },
            row.time_zone.parse().unwrap_or(chrono_tz::Europe::London),
        )
    }))
}

/// The pupils on roll on `date`, for the tablet's search.
pub async fn roll(
    pool: &PgPool,
    school_id: Uuid,
    date: NaiveDate,
) -> Result<Vec<RollPupil>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: Uuid,
        first_name: String,
        last_name: String,
        form: Option<String>,
        year: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "select p.id, coalesce(p.preferred_first_name, p.legal_first_name) as first_name,
                coalesce(p.preferred_last_name, p.legal_last_name) as last_name,
                f.name as form, y.name as year
         from pupils p
         join year_groups y on y.school_id = p.school_id and y.id = p.year_group_id
         left join forms f on f.school_id = p.school_id and f.id = p.form_id
         where p.school_id = $1 and p.admitted_on <= $2 and (p.left_on is null or p.left_on >= $2)
         order by last_name, first_name",
    )
    .bind(school_id)
    .bind(date)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| RollPupil {
            id: row.id,
            first_name: row.first_name,
            last_name: row.last_name,
            form: row.form.unwrap_or_default(),
            year: row.year,
        })
        .collect())
}

/// A fingerprint of the roll on `date`: it changes whenever a pupil the tablet would show (or
/// how it would show them) changes, so a pull sends the roll only then.
pub async fn roll_fingerprint(
    pool: &PgPool,
    school_id: Uuid,
    date: NaiveDate,
) -> Result<String, sqlx::Error> {
    sqlx::query_scalar(
        "select coalesce(md5(string_agg(p.id::text || coalesce(p.preferred_first_name, p.legal_first_name)
                    || coalesce(p.preferred_last_name, p.legal_last_name)
                    || coalesce(p.form_id::text, '') || p.year_group_id::text, ',' order by p.id)), '')
         from pupils p
         where p.school_id = $1 and p.admitted_on <= $2 and (p.left_on is null or p.left_on >= $2)",
    )
    .bind(school_id)
    .bind(date)
    .fetch_one(pool)
    .await
}

#[derive(sqlx::FromRow)]
struct ArrivalRow {
    id: Uuid,
    seq: i64,
    pupil_id: Uuid,
    session_date: NaiveDate,
    session: String,
    arrived_at: DateTime<Utc>,
    reason: String,
    note: String,
    code: String,
    minutes_late: i32,
    sanction: String,
    conflict: Option<String>,
    recorded_by: Option<String>,
    undone: bool,
}

/// The arrivals of a day at every door changed after `after_seq`, in the server's order. A
/// transaction that took its number earlier may commit a moment later than one with a higher
/// number, so the last minute's changes are sent again too: clients merge arrivals by id.
pub async fn arrivals(
    pool: &PgPool,
    school_id: Uuid,
    date: NaiveDate,
    after_seq: i64,
) -> Result<Vec<Arrival>, sqlx::Error> {
    let rows: Vec<ArrivalRow> = sqlx::query_as(
        "select a.id, a.seq, a.pupil_id, a.session_date, a.session, a.arrived_at, a.reason, a.note,
                a.code, a.minutes_late, a.sanction, a.conflict, s.display_name as recorded_by,
                a.undone_at is not null as undone
         from late_arrivals a left join staff s on s.id = a.recorded_by
         where a.school_id = $1 and a.session_date = $2
           and (a.seq > $3 or a.changed_at > now() - interval '1 minute')
         order by a.seq",
    )
    .bind(school_id)
    .bind(date)
    .bind(after_seq)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Arrival {
            id: row.id,
            seq: row.seq,
            pupil_id: row.pupil_id,
            session_date: row.session_date,
            session: Session::parse(&row.session).unwrap_or(Session::Am),
            arrived_at: row.arrived_at,
            reason: row.reason,
            note: row.note,
            code: row.code,
            minutes_late: row.minutes_late,
            sanction: row.sanction,
            conflict: row.conflict,
            recorded_by: row.recorded_by,
            undone: row.undone,
        })
        .collect())
}

/// How an arrival came out: applied (with what happened) or refused (with why).
pub type Outcome = Result<String, String>;

/// Who pushed the arrivals.
#[derive(Clone, Copy, Debug)]
pub struct Capturer {
    pub school_id: Uuid,
    pub staff_id: Uuid,
    pub device_id: Uuid,
}

/// Applies a batch of late arrivals in the caller's transaction. Each gets its own outcome; a
/// refused arrival changes nothing and the others still apply.
pub async fn apply_arrivals(
    conn: &mut PgConnection,
    by: Capturer,
    arrivals: &[(Uuid, LateArrivalV1)],
    now: DateTime<Utc>,
) -> Result<Vec<Outcome>, sqlx::Error> {
    let mut outcomes: Vec<Option<Outcome>> = vec![None; arrivals.len()];
    let Some((policy, zone)) = policy(&mut *conn, by.school_id).await? else {
        return Ok(vec![
            Err("There is no such school.".to_string());
            arrivals.len()
        ]);
    };
    let today = now.with_timezone(&zone).date_naive();

    // What each arrival means by the school's policy, or why it cannot be taken.
    struct Planned {
        index: usize,
        date: NaiveDate,
        decision: crate::domain::lateness::ArrivalDecision,
        reason: LateReason,
    }
    let mut planned = Vec::new();
    let mut in_batch = HashSet::new();
    for (index, (_, arrival)) in arrivals.iter().enumerate() {
        let local = arrival.arrived_at.with_timezone(&zone).naive_local();
        let refuse = |why: String| Some(Err(why));
        if arrival.arrived_at > now + chrono::Duration::minutes(5) {
            outcomes[index] = refuse(format!(
                "It says the pupil arrived at {}, which is later than now ({}): check the device's clock and log the arrival again.",
                local.format("%H:%M on %-d %b"),
                now.with_timezone(&zone).format("%H:%M")
            ));
            continue;
        }
        if local.date() < today - chrono::Duration::days(7) {
            outcomes[index] = refuse(format!(
                "The arrival on {} is more than a week old: the office can amend the register instead.",
                local.date().format("%-d %b %Y")
            ));
            continue;
        }
        let Some(reason) = LateReason::from_key(&arrival.reason) else {
            outcomes[index] = refuse(format!(
                "\"{}\" is not a late reason: use transport, medical, overslept, caring or other.",
                arrival.reason
            ));
            continue;
        };
        if reason == LateReason::Other && arrival.note.trim().is_empty() {
            outcomes[index] = refuse("A late reason of \"other\" needs a note.".to_string());
            continue;
        }
        let Some(decision) = policy.decide(local) else {
            outcomes[index] = refuse(format!(
                "Arrived at {}, before the register opened: not late.",
                local.format("%H:%M")
            ));
            continue;
        };
        if !in_batch.insert((arrival.pupil_id, local.date(), decision.session)) {
            outcomes[index] = refuse(
                "This pupil is logged twice for the same session in one batch; the first was kept."
                    .to_string(),
            );
            continue;
        }
        planned.push(Planned {
            index,
            date: local.date(),
            decision,
            reason,
        });
    }

    // Arrivals already logged at any door for the same sessions, and the current marks.
    let keys = |p: &Vec<Planned>| {
        (
            p.iter()
                .map(|p| arrivals[p.index].1.pupil_id)
                .collect::<Vec<_>>(),
            p.iter().map(|p| p.date).collect::<Vec<_>>(),
            p.iter()
                .map(|p| p.decision.session.as_str())
                .collect::<Vec<_>>(),
        )
    };
    let (pupils, dates, sessions) = keys(&planned);
    type SessionKey = (Uuid, NaiveDate, String);
    let earlier: HashMap<SessionKey, (DateTime<Utc>, Option<String>)> =
        sqlx::query_as::<_, (Uuid, NaiveDate, String, DateTime<Utc>, Option<String>)>(
            "select a.pupil_id, a.session_date, a.session, a.arrived_at, s.display_name
             from late_arrivals a
             join unnest($2::uuid[], $3::date[], $4::text[]) as k(pupil_id, session_date, session)
               on a.pupil_id = k.pupil_id and a.session_date = k.session_date and a.session = k.session
             left join staff s on s.id = a.recorded_by
             where a.school_id = $1 and a.undone_at is null",
        )
        .bind(by.school_id)
        .bind(&pupils)
        .bind(&dates)
        .bind(&sessions)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(pupil, date, session, at, who)| ((pupil, date, session), (at, who)))
        .collect();
    planned.retain(|p| {
        let key = (
            arrivals[p.index].1.pupil_id,
            p.date,
            p.decision.session.as_str().to_string(),
        );
        match earlier.get(&key) {
            Some((at, who)) => {
                outcomes[p.index] = Some(Err(format!(
                    "Already logged late at {}{}; nothing changed.",
                    at.with_timezone(&zone).format("%H:%M"),
                    who.as_deref()
                        .map(|who| format!(" by {who}"))
                        .unwrap_or_default()
                )));
                false
            }
            None => true,
        }
    });
    let (pupils, dates, sessions) = keys(&planned);
    let current: HashMap<(Uuid, NaiveDate, String), (i64, String, String)> =
        sqlx::query_as::<_, (Uuid, NaiveDate, String, i64, String, String)>(
            "select m.pupil_id, m.session_date, m.session, m.id, m.code, m.source
             from marks m
             join unnest($2::uuid[], $3::date[], $4::text[]) as k(pupil_id, session_date, session)
               on m.pupil_id = k.pupil_id and m.session_date = k.session_date and m.session = k.session
             where m.school_id = $1 and m.is_current
             for update of m",
        )
        .bind(by.school_id)
        .bind(&pupils)
        .bind(&dates)
        .bind(&sessions)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(pupil, date, session, id, code, source)| ((pupil, date, session), (id, code, source)))
        .collect();

    // The marks the door may write, by the precedence above; the rest are kept as conflicts.
    let mut conflicts: HashMap<usize, String> = HashMap::new();
    let mut writes: Vec<(usize, MarkWrite)> = Vec::new();
    for p in &planned {
        let arrival = &arrivals[p.index].1;
        let key = (
            arrival.pupil_id,
            p.date,
            p.decision.session.as_str().to_string(),
        );
        let seen = match current.get(&key) {
            None => None,
            Some((id, code, source))
                if code == Code::NoReasonYet.as_str() || source == "late_door" =>
            {
                Some(*id)
            }
            Some((_, code, _)) => {
                let meaning = Code::parse(code).map(|c| c.meaning()).unwrap_or("");
                conflicts.insert(
                    p.index,
                    format!(
                        "The register already has {code} ({meaning}) for this session, set by the office; the late door did not change it"
                    ),
                );
                continue;
            }
        };
        writes.push((
            p.index,
            MarkWrite {
                pupil_id: arrival.pupil_id,
                date: p.date,
                session: p.decision.session,
                code: p.decision.code,
                minutes_late: Some(p.decision.minutes_late),
                seen: Seen::Mark(seen),
            },
        ));
    }
    // Marks that cannot be written at all (not on roll, not a school day, not at this school)
    // refuse their arrival; the rest are written in one go.
    loop {
        let batch: Vec<MarkWrite> = writes.iter().map(|(_, w)| w.clone()).collect();
        match registers::write_marks(
            conn,
            by.school_id,
            Some(by.staff_id),
            "late_door",
            Some("Arrived late: logged at the late door"),
            &batch,
        )
        .await?
        {
            Ok(_) => break,
            Err(problems) => {
                let bad: HashSet<usize> = problems.iter().map(|p| p.index).collect();
                for problem in problems {
                    let index = writes[problem.index].0;
                    outcomes[index] = Some(Err(capitalise(&problem.message) + "."));
                }
                let mut position = 0;
                writes.retain(|_| {
                    let keep = !bad.contains(&position);
                    position += 1;
                    keep
                });
                planned.retain(|p| outcomes[p.index].is_none());
            }
        }
    }

    // Keep every arrival that was not refused, with the mark it wrote or its conflict.
    let written: HashSet<usize> = writes.iter().map(|(index, _)| *index).collect();
    let mut rows = Vec::new();
    for p in &planned {
        if outcomes[p.index].is_some() {
            continue;
        }
        let (event_id, arrival) = &arrivals[p.index];
        let conflict = conflicts.get(&p.index).cloned();
        let note = match &conflict {
            Some(conflict) => format!("Logged; {conflict}."),
            None => format!(
                "{}, {} minutes late{}",
                p.decision.code,
                p.decision.minutes_late,
                if p.decision.sanction.is_empty() {
                    String::new()
                } else {
                    format!(": {}", p.decision.sanction)
                }
            ),
        };
        outcomes[p.index] = Some(Ok(note));
        rows.push((event_id, arrival, p, conflict, written.contains(&p.index)));
    }
    if !rows.is_empty() {
        sqlx::query(
            "insert into late_arrivals (school_id, id, pupil_id, session_date, session, arrived_at,
                 reason, note, code, minutes_late, sanction, mark_id, conflict, recorded_by, device_id)
             select $1, r.id, r.pupil_id, r.session_date, r.session, r.arrived_at, r.reason,
                 r.note, r.code, r.minutes_late, r.sanction,
                 case when r.wrote then (select m.id from marks m where m.school_id = $1
                     and m.pupil_id = r.pupil_id and m.session_date = r.session_date
                     and m.session = r.session and m.is_current) end,
                 r.conflict, $2, $3
             from unnest($4::uuid[], $5::uuid[], $6::date[], $7::text[], $8::timestamptz[],
                 $9::text[], $10::text[], $11::text[], $12::int[], $13::text[], $14::text[],
                 $15::bool[])
                 as r(id, pupil_id, session_date, session, arrived_at, reason, note, code,
                      minutes_late, sanction, conflict, wrote)",
        )
        .bind(by.school_id)
        .bind(by.staff_id)
        .bind(by.device_id)
        .bind(rows.iter().map(|r| *r.0).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.1.pupil_id).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.2.date).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.2.decision.session.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.1.arrived_at).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.2.reason.key()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.1.note.trim()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.2.decision.code.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.2.decision.minutes_late).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.2.decision.sanction.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.3.clone()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.4).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    }
    Ok(outcomes
        .into_iter()
        .map(|outcome| outcome.unwrap_or_else(|| Err("Not applied.".to_string())))
        .collect())
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Takes back an arrival logged by mistake: its mark is withdrawn (or the N it replaced comes
/// back), and the arrival stays on record as undone.
pub async fn undo_arrival(
    conn: &mut PgConnection,
    by: Capturer,
    arrival_id: Uuid,
) -> Result<Outcome, sqlx::Error> {
    let arrival: Option<(Option<i64>, bool)> = sqlx::query_as(
        "select mark_id, undone_at is not null from late_arrivals
         where school_id = $1 and id = $2 for update",
    )
    .bind(by.school_id)
    .bind(arrival_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((mark_id, undone)) = arrival else {
        return Ok(Err(
            "There is no such arrival at this school to undo.".to_string()
        ));
    };
    if undone {
        return Ok(Ok("Already undone.".to_string()));
    }
    sqlx::query(
        "update late_arrivals set undone_at = now(), changed_at = now(),
             seq = nextval(pg_get_serial_sequence('late_arrivals', 'seq'))
         where school_id = $1 and id = $2",
    )
    .bind(by.school_id)
    .bind(arrival_id)
    .execute(&mut *conn)
    .await?;
    let Some(mark_id) = mark_id else {
        return Ok(Ok("Undone; the register was not changed by it.".to_string()));
    };
    Ok(Ok(
        match registers::withdraw_mark(conn, by.school_id, Some(by.staff_id), mark_id, "late_door")
            .await?
        {
            true => "Undone; the register mark is back as it was.".to_string(),
            false => "Undone; the register has been changed since, so its mark stays.".to_string(),
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// The office's side (`late_door::office`): the day's arrivals with their conflicts and
// sanctions, and the punctuality concerns of the half term.
// ---------------------------------------------------------------------------------------------

use super::office::{
    HalfTerm, LateArrivalsDay, LateCounts, OfficeArrival, PunctualityConcern, PunctualityConcerns,
};

/// A day's late arrivals at a school for the office, on `date` or today at the school. `None`
/// when there is no such school.
pub async fn late_arrivals_day(
    pool: &PgPool,
    school_id: Uuid,
    date: Option<NaiveDate>,
) -> Result<Option<LateArrivalsDay>, sqlx::Error> {
    let Some((policy, zone)) = policy(pool, school_id).await? else {
        return Ok(None);
    };
    let date = date.unwrap_or_else(|| Utc::now().with_timezone(&zone).date_naive());
    let school_name: String = sqlx::query_scalar("select name from schools where id = $1")
        .bind(school_id)
        .fetch_one(pool)
        .await?;
    let kind = crate::school::queries::day_kind(pool, school_id, date).await?;
    let not_a_school_day = (!matches!(kind, crate::school::DayKind::SchoolDay { .. }))
        .then(|| format!("{} is {}.", date.format("%A %-d %B %Y"), kind.describe()));
    let arrivals = office_arrivals(pool, school_id, date, zone).await?;
    let counting = || arrivals.iter().filter(|a| !a.undone);
    let counts = LateCounts {
        late: counting().filter(|a| a.code == Code::Late.as_str()).count() as i64,
        late_after_close: counting()
            .filter(|a| a.code == Code::LateAfterClose.as_str())
            .count() as i64,
        total: counting().count() as i64,
        undone: arrivals.iter().filter(|a| a.undone).count() as i64,
    };
    let conflicts = counting()
        .filter(|a| a.conflict.is_some())
        .cloned()
        .collect();
    let mut sanctions: Vec<OfficeArrival> = counting()
        .filter(|a| !a.sanction.trim().is_empty())
        .cloned()
        .collect();
    sanctions.sort_by(|a, b| {
        (&a.sanction, &a.pupil_name, a.arrived_at).cmp(&(&b.sanction, &b.pupil_name, b.arrived_at))
    });
    let concerns = punctuality_concerns(pool, school_id, date).await?;
    Ok(Some(LateArrivalsDay {
        school_id,
        school_name,
        date,
        not_a_school_day,
        sanction_before_close: policy.sanction_before_close,
        sanction_after_close: policy.sanction_after_close,
        counts,
        arrivals,
        conflicts,
        sanctions,
        concerns,
    }))
}

/// Every arrival of a day at every door, undone ones too, in order of arrival, with the mark
/// each session has now and, for a conflict, the code that stood.
pub async fn office_arrivals(
    pool: &PgPool,
    school_id: Uuid,
    date: NaiveDate,
    zone: chrono_tz::Tz,
) -> Result<Vec<OfficeArrival>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: Uuid,
        pupil_id: Uuid,
        pupil_name: String,
        form: Option<String>,
        form_id: Option<Uuid>,
        session_date: NaiveDate,
        session: String,
        arrived_at: DateTime<Utc>,
        code: String,
        minutes_late: i32,
        reason: String,
        note: String,
        sanction: String,
        conflict: Option<String>,
        stood_code: Option<String>,
        register_code: Option<String>,
        changed_since: Option<bool>,
        recorded_by: Option<String>,
        undone: bool,
    }
    // The code that stood is the session's mark as it was when the arrival was logged; the
    // office resolved the conflict when it changed the mark after that.
    let rows: Vec<Row> = sqlx::query_as(
        "select a.id, a.pupil_id,
                coalesce(p.preferred_last_name, p.legal_last_name) || ', '
                    || coalesce(p.preferred_first_name, p.legal_first_name) as pupil_name,
                f.name as form, p.form_id, a.session_date, a.session, a.arrived_at, a.code,
                a.minutes_late, a.reason, a.note, a.sanction, a.conflict,
                case when a.conflict is not null then
                    (select o.code from (
                        select code, recorded_at, id from marks
                        where school_id = a.school_id and pupil_id = a.pupil_id
                          and session_date = a.session_date and session = a.session
                          and is_current
                        union all
                        select code, recorded_at, id from marks
                        where school_id = a.school_id and pupil_id = a.pupil_id
                          and session_date = a.session_date and session = a.session
                          and not is_current
                     ) o
                     where o.recorded_at <= a.recorded_at
                     order by o.recorded_at desc, o.id desc limit 1)
                end as stood_code,
                m.code as register_code, m.recorded_at > a.recorded_at as changed_since,
                s.display_name as recorded_by, a.undone_at is not null as undone
         from late_arrivals a
         join pupils p on p.school_id = a.school_id and p.id = a.pupil_id
         left join forms f on f.school_id = p.school_id and f.id = p.form_id
         left join staff s on s.id = a.recorded_by
         left join marks m on m.school_id = a.school_id and m.pupil_id = a.pupil_id
             and m.session_date = a.session_date and m.session = a.session and m.is_current
         where a.school_id = $1 and a.session_date = $2
         order by a.arrived_at, a.seq",
    )
    .bind(school_id)
    .bind(date)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| OfficeArrival {
            id: row.id,
            pupil_id: row.pupil_id,
            pupil_name: row.pupil_name,
            form: row.form.unwrap_or_default(),
            form_id: row.form_id,
            session_date: row.session_date,
            session: Session::parse(&row.session).unwrap_or(Session::Am),
            arrived_at: row.arrived_at,
            arrived_time: row.arrived_at.with_timezone(&zone).time(),
            code: row.code,
            minutes_late: row.minutes_late,
            reason: row.reason,
            note: row.note,
            sanction: row.sanction,
            resolved: row.conflict.is_some() && row.changed_since.unwrap_or(false),
            conflict: row.conflict,
            stood_code: row.stood_code,
            register_code: row.register_code,
            recorded_by: row.recorded_by,
            undone: row.undone,
        })
        .collect())
}

/// The pupils late often enough to be a punctuality concern on `date`: at least the school's
/// `lateness_concern_after` sessions marked late (L or U) in the half term `date` is in (or, in
/// a holiday, the last half term before it), counted from its first day up to `date`. The case
/// workflow calls this to open punctuality concerns; `/late-arrivals` and its JSON show it.
///
/// The count is of the register's current marks, whoever wrote them (the late door, a register
/// taken with L and minutes, an import), so a session counts once however many doors logged
/// it. An arrival undone at the door withdrew its mark and does not count; a conflict counts once
/// the office resolves it as L or U on the register. Pupils who left before `date` are not
/// listed.
pub async fn punctuality_concerns(
    pool: &PgPool,
    school_id: Uuid,
    date: NaiveDate,
) -> Result<PunctualityConcerns, sqlx::Error> {
    let concern_after: i32 =
        sqlx::query_scalar("select lateness_concern_after from schools where id = $1")
            .bind(school_id)
            .fetch_optional(pool)
            .await?
            .unwrap_or(3);
    let half_term: Option<(String, NaiveDate, NaiveDate)> = sqlx::query_as(
        "select name, starts_on, ends_on from terms
         where school_id = $1 and starts_on <= $2
         order by starts_on desc limit 1",
    )
    .bind(school_id)
    .bind(date)
    .fetch_optional(pool)
    .await?;
    let Some((name, starts_on, ends_on)) = half_term else {
        return Ok(PunctualityConcerns {
            half_term: None,
            concern_after,
            pupils: Vec::new(),
        });
    };
    let rows: Vec<(Uuid, String, Option<String>, i64, NaiveDate)> = sqlx::query_as(
        "select m.pupil_id,
                coalesce(p.preferred_last_name, p.legal_last_name) || ', '
                    || coalesce(p.preferred_first_name, p.legal_first_name) as pupil_name,
                f.name as form, count(*) as times_late, max(m.session_date) as last_late_on
         from marks m
         join pupils p on p.school_id = m.school_id and p.id = m.pupil_id
         left join forms f on f.school_id = p.school_id and f.id = p.form_id
         where m.school_id = $1 and m.is_current and m.code in ('L', 'U')
           and m.session_date between $2 and least($3, $4)
           and (p.left_on is null or p.left_on >= $4)
         group by m.pupil_id, pupil_name, f.name
         having count(*) >= $5
         order by times_late desc, pupil_name",
    )
    .bind(school_id)
    .bind(starts_on)
    .bind(ends_on)
    .bind(date)
    .bind(i64::from(concern_after))
    .fetch_all(pool)
    .await?;
    Ok(PunctualityConcerns {
        half_term: Some(HalfTerm {
            name,
            starts_on,
            ends_on,
        }),
        concern_after,
        pupils: rows
            .into_iter()
            .map(
                |(pupil_id, pupil_name, form, times_late, last_late_on)| PunctualityConcern {
                    pupil_id,
                    pupil_name,
                    form: form.unwrap_or_default(),
                    times_late,
                    last_late_on,
                },
            )
            .collect(),
    })
}
