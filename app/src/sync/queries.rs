//! The server's side of the sync protocol: registering devices, applying pushed events at most
//! once, and answering pulls. Each event kind is applied by its own concept's queries (the late
//! door's `apply_arrivals`); this module owns only the protocol.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::{
    DeviceRegistration, EventResult, EventStatus, LateArrivalUndoV1, LateArrivalV1, PullResponse,
    PushRequest, PushResponse, SyncEvent,
};
use crate::{
    auth::Viewer,
    domain::roles::Permission,
    late_door::queries::{self as late_door, Capturer},
    visits::events as visit_events,
};

/// Why a whole request was refused (as opposed to one event in it).
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    Forbidden(String),
    NotFound(String),
    Invalid(String),
}

/// Registers a device to a school and the person signed in on it. Registering again (another
/// person signs in on a shared tablet) moves the device to them; a device never moves school.
pub async fn register_device(
    pool: &PgPool,
    viewer: &Viewer,
    device: &DeviceRegistration,
) -> Result<Result<(), Refused>, sqlx::Error> {
    if !viewer.can(Permission::RecordLateArrivals, device.school_id)
        && !viewer.can(Permission::RecordVisits, device.school_id)
    {
        return Ok(Err(Refused::Forbidden(
            "You do not capture arrivals or visits at this school.".to_string(),
        )));
    }
    let school: Option<Uuid> = sqlx::query_scalar(
        "insert into devices (id, school_id, staff_id, name) values ($1, $2, $3, $4)
         on conflict (id) do update set staff_id = excluded.staff_id,
             name = case when excluded.name = '' then devices.name else excluded.name end
         returning school_id",
    )
    .bind(device.id)
    .bind(device.school_id)
    .bind(viewer.staff_id)
    .bind(device.name.trim())
    .fetch_optional(pool)
    .await?;
    if school != Some(device.school_id) {
        return Ok(Err(Refused::Forbidden(
            "This device is registered to another school: it cannot be moved. Clear the \
             browser's data for Rollcall to start it again as a new device."
                .to_string(),
        )));
    }
    Ok(Ok(()))
}

fn reject(id: Option<Uuid>, reason: impl Into<String>) -> EventResult {
    EventResult {
        id,
        status: EventStatus::Rejected,
        reason: Some(reason.into()),
        note: None,
    }
}

/// Applies a push. Every event gets an answer: applied, duplicate (applied before) or rejected
/// with a reason; one bad event never stops the others. The events are applied in one
/// transaction, and an event's id is stored with it, so an event is applied at most once even
/// when two pushes of the same batch race: the second waits for the first and finds its ids.
pub async fn push(
    pool: &PgPool,
    viewer: &Viewer,
    request: &PushRequest,
    now: DateTime<Utc>,
) -> Result<Result<PushResponse, Refused>, sqlx::Error> {
    let device: Option<(Uuid, Uuid)> =
        sqlx::query_as("select school_id, staff_id from devices where id = $1")
            .bind(request.device_id)
            .fetch_optional(pool)
            .await?;
    let Some((school_id, _)) = device else {
        return Ok(Err(Refused::NotFound(
            "This device is not registered: register it (POST /api/sync/devices) first."
                .to_string(),
        )));
    };
    if !viewer.can(Permission::RecordLateArrivals, school_id)
        && !viewer.can(Permission::RecordVisits, school_id)
    {
        return Ok(Err(Refused::Forbidden(
            "You do not record late arrivals or home visits at this device's school.".to_string(),
        )));
    }
    let skew = (now - request.sent_at).num_seconds();
    let by = Capturer {
        school_id,
        staff_id: viewer.staff_id,
        device_id: request.device_id,
    };

    let mut tx = pool.begin().await?;
    sqlx::query("update devices set last_push_at = $2, last_clock_skew_seconds = $3 where id = $1")
        .bind(request.device_id)
        .bind(now)
        .bind(i32::try_from(skew).unwrap_or(i32::MAX))
        .execute(&mut *tx)
        .await?;

    // Read and check each event's envelope; keep the ones that may be applied.
    let mut results: Vec<Option<EventResult>> = vec![None; request.events.len()];
    let mut events: Vec<Option<SyncEvent>> = Vec::with_capacity(request.events.len());
    let mut candidates: Vec<usize> = Vec::new();
    let mut seen_ids = std::collections::HashSet::new();
    for (index, raw) in request.events.iter().enumerate() {
        let id = raw
            .get("id")
            .and_then(|id| id.as_str())
            .and_then(|id| Uuid::parse_str(id).ok());
        if index >= super::MAX_BATCH {
            results[index] = Some(reject(
                id,
                format!(
                    "A push carries at most {} events; send this one in the next push.",
                    super::MAX_BATCH
                ),
            ));
            events.push(None);
            continue;
        }
        let event = match serde_json::from_value::<SyncEvent>(raw.clone()) {
            Ok(event) => event,
            Err(error) => {
                results[index] = Some(reject(id, format!("The event is malformed: {error}.")));
                events.push(None);
                continue;
            }
        };
        let problem = envelope_problem(&event, request, viewer);
        if let Some(problem) = problem {
            results[index] = Some(reject(Some(event.id), problem));
        } else if !seen_ids.insert(event.id) {
            results[index] = Some(EventResult {
                id: Some(event.id),
                status: EventStatus::Duplicate,
                reason: None,
                note: Some("Sent twice in this push.".to_string()),
            });
        } else {
            candidates.push(index);
        }
        events.push(Some(event));
    }
    let event = |index: usize| events[index].as_ref().expect("a candidate was read");

    // Claim the ids. An id already stored was applied before: a duplicate. A push of the same
    // ids running at the same time waits here for this one to finish, then finds them.
    let claimed: std::collections::HashSet<Uuid> = sqlx::query_scalar(
        "insert into sync_events (id, school_id, device_id, staff_id, kind, schema_version,
             payload, device_time)
         select e.id, $1, $2, $3, e.kind, e.schema_version, e.payload, e.device_time
         from unnest($4::uuid[], $5::text[], $6::int[], $7::jsonb[], $8::timestamptz[])
             as e(id, kind, schema_version, payload, device_time)
         on conflict (id) do nothing
         returning id",
    )
    .bind(school_id)
    .bind(request.device_id)
    .bind(viewer.staff_id)
    .bind(candidates.iter().map(|&i| event(i).id).collect::<Vec<_>>())
    .bind(
        candidates
            .iter()
            .map(|&i| event(i).kind.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        candidates
            .iter()
            .map(|&i| event(i).schema_version)
            .collect::<Vec<_>>(),
    )
    .bind(
        candidates
            .iter()
            .map(|&i| event(i).payload.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        candidates
            .iter()
            .map(|&i| event(i).device_time)
            .collect::<Vec<_>>(),
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();

    let mut arrivals = Vec::new();
    let mut undos = Vec::new();
    for &index in &candidates {
        let event = event(index);
        if !claimed.contains(&event.id) {
            results[index] = Some(EventResult {
                id: Some(event.id),
                status: EventStatus::Duplicate,
                reason: None,
                note: None,
            });
            continue;
        }
        // Each kind needs its own permission: a home visitor's phone pushes no arrivals.
        let allowed = if visit_events::KINDS.contains(&event.kind.as_str()) {
            viewer.can(Permission::RecordVisits, school_id)
        } else {
            viewer.can(Permission::RecordLateArrivals, school_id)
        };
        if !allowed {
            results[index] = Some(reject(
                Some(event.id),
                format!("You may not send {} events at this school.", event.kind),
            ));
            continue;
        }
        match event.kind.as_str() {
            // Visit events apply in the order sent: a check-in needs the risk assessment
            // sent just before it.
            kind if visit_events::KINDS.contains(&kind) => {
                let id = Some(event.id);
                results[index] = Some(
                    match crate::visits::queries::apply_event(
                        &mut tx,
                        viewer.staff_id,
                        school_id,
                        event,
                        now,
                    )
                    .await?
                    {
                        Ok(note) => EventResult {
                            id,
                            status: EventStatus::Applied,
                            reason: None,
                            note: Some(note),
                        },
                        Err(reason) => reject(id, reason),
                    },
                );
            }
            "late_arrival" => {
                match serde_json::from_value::<LateArrivalV1>(event.payload.clone()) {
                    Ok(payload) if payload.school_id == school_id => {
                        arrivals.push((index, (event.id, payload)))
                    }
                    Ok(_) => results[index] = Some(reject(Some(event.id), other_school())),
                    Err(error) => {
                        results[index] = Some(reject(
                            Some(event.id),
                            format!("The payload is not a late arrival: {error}."),
                        ))
                    }
                }
            }
            _ => match serde_json::from_value::<LateArrivalUndoV1>(event.payload.clone()) {
                Ok(payload) if payload.school_id == school_id => undos.push((index, payload)),
                Ok(_) => results[index] = Some(reject(Some(event.id), other_school())),
                Err(error) => {
                    results[index] = Some(reject(
                        Some(event.id),
                        format!("The payload is not an undo: {error}."),
                    ))
                }
            },
        }
    }

    let batch: Vec<_> = arrivals
        .iter()
        .map(|(_, arrival)| arrival.clone())
        .collect();
    let outcomes = late_door::apply_arrivals(&mut tx, by, &batch, now).await?;
    for ((index, _), outcome) in arrivals.iter().zip(outcomes) {
        let id = Some(event(*index).id);
        results[*index] = Some(match outcome {
            Ok(note) => EventResult {
                id,
                status: EventStatus::Applied,
                reason: None,
                note: Some(note),
            },
            Err(reason) => reject(id, reason),
        });
    }
    for (index, undo) in undos {
        let id = Some(event(index).id);
        results[index] = Some(
            match late_door::undo_arrival(&mut tx, by, undo.arrival_id).await? {
                Ok(note) => EventResult {
                    id,
                    status: EventStatus::Applied,
                    reason: None,
                    note: Some(note),
                },
                Err(reason) => reject(id, reason),
            },
        );
    }

    let results: Vec<EventResult> = results
        .into_iter()
        .map(|result| result.unwrap_or_else(|| reject(None, "Not applied.")))
        .collect();
    // A rejected event is not kept as applied, so the device can send it again once resolved;
    // the office sees what was refused.
    let rejected: Vec<&EventResult> = results
        .iter()
        .filter(|result| result.status == EventStatus::Rejected)
        .collect();
    if !rejected.is_empty() {
        // Only events this push claimed: an id applied by an earlier push is never released.
        let ids: Vec<Uuid> = rejected
            .iter()
            .filter_map(|r| r.id)
            .filter(|id| claimed.contains(id))
            .collect();
        sqlx::query("delete from sync_events where id = any($1) and school_id = $2")
            .bind(&ids)
            .bind(school_id)
            .execute(&mut *tx)
            .await?;
        let rejected_raw: Vec<(&serde_json::Value, &EventResult)> = request
            .events
            .iter()
            .zip(&results)
            .filter(|(_, result)| result.status == EventStatus::Rejected)
            .collect();
        sqlx::query(
            "insert into sync_rejections (school_id, event_id, device_id, staff_id, kind, payload, reason)
             select $1, r.event_id, $2, $3, r.kind, r.payload, r.reason
             from unnest($4::uuid[], $5::text[], $6::jsonb[], $7::text[])
                 as r(event_id, kind, payload, reason)",
        )
        .bind(school_id)
        .bind(request.device_id)
        .bind(viewer.staff_id)
        .bind(rejected_raw.iter().map(|(_, r)| r.id.unwrap_or_default()).collect::<Vec<_>>())
        .bind(
            rejected_raw
                .iter()
                .map(|(raw, _)| raw.get("kind").and_then(|k| k.as_str()).unwrap_or("").to_string())
                .collect::<Vec<_>>(),
        )
        .bind(rejected_raw.iter().map(|(raw, _)| (*raw).clone()).collect::<Vec<_>>())
        .bind(rejected_raw.iter().map(|(_, r)| r.reason.clone().unwrap_or_default()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Ok(PushResponse {
        results,
        server_time: now,
        clock_skew_seconds: skew,
    }))
}

fn other_school() -> String {
    "This event is for another school than the device's: a device pushes for its own school only."
        .to_string()
}

/// What is wrong with an event's envelope, before its payload is read.
fn envelope_problem(event: &SyncEvent, request: &PushRequest, viewer: &Viewer) -> Option<String> {
    if event.device_id != request.device_id {
        return Some(
            "The event was captured on another device than the one pushing it.".to_string(),
        );
    }
    if event.staff_id != viewer.staff_id {
        return Some(
            "The event was captured by someone else: they must sign in on this device to send it."
                .to_string(),
        );
    }
    if !matches!(event.kind.as_str(), "late_arrival" | "late_arrival_undo")
        && !visit_events::KINDS.contains(&event.kind.as_str())
    {
        return Some(format!(
            "\"{}\" is not a kind of event this server knows: late_arrival, late_arrival_undo \
             or a visit_ kind (docs/sync.md).",
            event.kind
        ));
    }
    if event.schema_version != 1 {
        return Some(format!(
            "Schema version {} of {} is not known here (only 1): update the app on this device.",
            event.schema_version, event.kind
        ));
    }
    None
}

/// Parses a pull cursor: `<last arrival seq>.<roll fingerprint>`, or nothing for a first pull.
pub fn parse_cursor(cursor: Option<&str>) -> Result<(i64, String), String> {
    match cursor.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok((0, String::new())),
        Some(cursor) => cursor
            .split_once('.')
            .and_then(|(seq, roll)| Some((seq.parse::<i64>().ok()?, roll.to_string())))
            .filter(|(seq, _)| *seq >= 0)
            .ok_or_else(|| {
                format!("\"{cursor}\" is not a cursor from this server: pull without one to start again.")
            }),
    }
}

/// What changed since the cursor: the roll (when it changed), the policy, and today's
/// arrivals at every door.
pub async fn pull(
    pool: &PgPool,
    viewer: &Viewer,
    school_id: Uuid,
    cursor: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Result<PullResponse, Refused>, sqlx::Error> {
    if !viewer.can(Permission::RecordLateArrivals, school_id) {
        return Ok(Err(Refused::Forbidden(
            "You do not record late arrivals at this school.".to_string(),
        )));
    }
    let (after, roll_seen) = match parse_cursor(cursor) {
        Ok(cursor) => cursor,
        Err(message) => return Ok(Err(Refused::Invalid(message))),
    };
    let Some((policy, zone)) = late_door::policy(pool, school_id).await? else {
        return Ok(Err(Refused::NotFound(
            "There is no such school.".to_string(),
        )));
    };
    let today = now.with_timezone(&zone).date_naive();
    let fingerprint = late_door::roll_fingerprint(pool, school_id, today).await?;
    let roll = if fingerprint == roll_seen {
        None
    } else {
        Some(late_door::roll(pool, school_id, today).await?)
    };
    let arrivals = late_door::arrivals(pool, school_id, today, after).await?;
    // The last minute's arrivals come again on every pull, so the cursor never goes back.
    let last = arrivals
        .iter()
        .map(|arrival| arrival.seq)
        .fold(after, i64::max);
    Ok(Ok(PullResponse {
        cursor: format!("{last}.{fingerprint}"),
        school_id,
        today,
        time_zone: zone.name().to_string(),
        policy,
        roll,
        arrivals,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_nonsense_is_refused() {
        assert_eq!(parse_cursor(None), Ok((0, String::new())));
        assert_eq!(parse_cursor(Some("")), Ok((0, String::new())));
        assert_eq!(parse_cursor(Some("42.abc")), Ok((42, "abc".to_string())));
        assert!(
            parse_cursor(Some("x.abc"))
                .unwrap_err()
                .contains("not a cursor")
        );
        assert!(parse_cursor(Some("-1.abc")).is_err());
    }
}
