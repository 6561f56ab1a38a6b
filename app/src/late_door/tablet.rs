//! The late door in the browser: reads the tablet's storage into the page, captures arrivals
//! into the outbox, and syncs (docs/sync.md) on start, on reconnect, after each capture and on
//! a timer that backs off while the server cannot be reached.

use std::{cell::RefCell, collections::HashSet, time::Duration};

use chrono::{DateTime, Utc};
use gloo_storage::{LocalStorage, Storage};
use leptos::{leptos_dom::helpers::TimeoutHandle, prelude::*, task::spawn_local};
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Door, DoorStaff, Outcome, roll::Roll};
use crate::{
    auth::{Viewer, use_viewer},
    domain::{
        lateness::{LatePolicy, LateReason},
        roles::Permission,
    },
    sync::{
        Arrival, DeviceRegistration, EventStatus, LateArrivalUndoV1, LateArrivalV1, MAX_BATCH,
        PushRequest, RollPupil, SyncEvent,
        device::{self, SyncError},
    },
};

/// The shortest and longest wait between syncs: 15 s after a success, doubling to 5 minutes
/// while the server cannot be reached.
const QUICK: Duration = Duration::from_secs(15);
const SLOWEST: Duration = Duration::from_secs(300);

const STAFF_KEY: &str = "rollcall.late_door.staff";

/// What the tablet keeps per school besides the roll and the outbox.
#[derive(Default, Serialize, Deserialize)]
struct Cache {
    cursor: Option<String>,
    policy: Option<LatePolicy>,
    time_zone: Option<String>,
    arrivals: Vec<Arrival>,
    last_sync: Option<DateTime<Utc>>,
    skew: i64,
}

fn cache_key(school_id: Uuid) -> String {
    format!("rollcall.late_door.{school_id}")
}

fn roll_key(school_id: Uuid) -> String {
    format!("rollcall.late_door.{school_id}.roll")
}

/// The sync loop's own state. The page has one late door at a time, in one browser thread.
#[derive(Default)]
struct SyncLoop {
    running: bool,
    again: bool,
    timer: Option<TimeoutHandle>,
    wait: Option<Duration>,
    /// Events in a push that has not been answered yet.
    in_flight: HashSet<Uuid>,
    cursor: Option<String>,
}

thread_local! {
    static SYNC: RefCell<SyncLoop> = RefCell::default();
    static DOOR: RefCell<Option<(Owner, Door)>> = const { RefCell::new(None) };
}

/// The late door of this browser tab. It outlives the page, so a sync under way finishes and
/// the outbox keeps draining while the person looks at another page.
pub(super) fn door() -> Door {
    DOOR.with_borrow_mut(|door| {
        door.get_or_insert_with(|| {
            // A root owner makes itself the current one: give the page its own back.
            let page = Owner::current();
            let owner = Owner::new_root(None);
            let door = owner.with(Door::new);
            if let Some(page) = page {
                page.set();
            }
            (owner, door)
        })
        .1
    })
}

/// Starts the late door once the page has hydrated: who is here, which school, the tablet's
/// storage, the service worker, and the sync triggers.
pub(super) fn run(door: Door) {
    let viewer = use_viewer().0;
    let query = use_query_map();
    Effect::new(move |_| {
        let Some(viewer) = viewer.get() else {
            return;
        };
        let wanted = query
            .read()
            .get("school")
            .and_then(|id| Uuid::parse_str(&id).ok());
        start(door, viewer.ok().flatten(), wanted);
    });
    Effect::new(move |_| {
        device::ask_for_persistent_storage();
        device::keep_pages_offline();
    });

    door.now.set(Some(Utc::now()));
    let clock = set_interval_with_handle(move || door.now.set(Some(Utc::now())), QUICK).ok();
    let online = window_event_listener(leptos::ev::online, move |_| request_sync(door));
    on_cleanup(move || {
        if let Some(clock) = clock {
            clock.clear();
        }
        online.remove();
    });
}

/// The person and the school: the signed-in viewer when there is one, otherwise the person
/// who last used the door on this tablet (the sign-in ended, or the page came from the cache).
fn start(door: Door, viewer: Option<Viewer>, wanted: Option<Uuid>) {
    let staff = match viewer {
        Some(viewer) => {
            let staff = DoorStaff {
                id: viewer.staff_id,
                name: viewer.name.clone(),
                schools: viewer
                    .schools
                    .iter()
                    .filter(|school| viewer.can(Permission::RecordLateArrivals, school.id))
                    .cloned()
                    .collect(),
            };
            let _ = LocalStorage::set(STAFF_KEY, &staff);
            door.signed_out.set(false);
            Some(staff)
        }
        None => {
            door.signed_out.set(true);
            LocalStorage::get::<DoorStaff>(STAFF_KEY).ok()
        }
    };
    door.staff.set(staff.clone());
    let school = staff.and_then(|staff| {
        wanted
            .and_then(|id| staff.schools.iter().find(|school| school.id == id).cloned())
            .or_else(|| staff.schools.first().cloned())
    });
    match school {
        Some(school)
            if door
                .school
                .with_untracked(|open| open.as_ref() != Some(&school)) =>
        {
            open(door, school)
        }
        Some(_) => {}
        None => door.ready.set(true),
    }
}

/// Shows what the tablet holds for this school, then syncs it.
fn open(door: Door, school: crate::auth::SchoolRef) {
    let cache: Cache = LocalStorage::get(cache_key(school.id)).unwrap_or_default();
    let roll: Vec<RollPupil> = LocalStorage::get(roll_key(school.id)).unwrap_or_default();
    door.roll.set(Roll::new(roll));
    door.policy.set(cache.policy.map(|policy| {
        let zone = cache
            .time_zone
            .and_then(|zone| zone.parse().ok())
            .unwrap_or(chrono_tz::Europe::London);
        (policy, zone)
    }));
    door.arrivals.set(cache.arrivals);
    door.last_sync.set(cache.last_sync);
    door.skew.set(cache.skew);
    SYNC.with_borrow_mut(|sync| sync.cursor = cache.cursor);
    door.school.set(Some(school.clone()));
    read_outbox(door, school.id);
    door.ready.set(true);
    request_sync(door);
}

/// The outbox and the rejected list as the page shows them.
fn read_outbox(door: Door, school_id: Uuid) {
    door.waiting.set(
        device::outbox(school_id)
            .into_iter()
            .map(|event| event.id)
            .collect(),
    );
    door.rejected.set(device::rejected(school_id));
}

fn save_cache(door: Door) {
    let Some(school) = door.school.get_untracked() else {
        return;
    };
    let (policy, time_zone) = match door.policy.get_untracked() {
        Some((policy, zone)) => (Some(policy), Some(zone.name().to_string())),
        None => (None, None),
    };
    let cache = Cache {
        cursor: SYNC.with_borrow(|sync| sync.cursor.clone()),
        policy,
        time_zone,
        arrivals: door.arrivals.get_untracked(),
        last_sync: door.last_sync.get_untracked(),
        skew: door.skew.get_untracked(),
    };
    // Only what the server can send again lives here; the outbox has keys of its own.
    let _ = LocalStorage::set(cache_key(school.id), &cache);
}

/// Logs the arrival: decides L or U on the tablet's clock, writes the event to the outbox,
/// and only then says "saved".
pub(super) fn capture(door: Door, pupil: &RollPupil, reason: LateReason, note: String) {
    let name = format!("{} {}", pupil.first_name, pupil.last_name);
    let not_saved = |message: String| door.outcome.set(Some(Outcome::NotSaved(message)));
    let (Some(staff), Some(school), Some((policy, zone))) = (
        door.staff.get_untracked(),
        door.school.get_untracked(),
        door.policy.get_untracked(),
    ) else {
        return not_saved(
            "This tablet has not loaded the school's late policy yet: connect it to the network \
             once."
                .to_string(),
        );
    };
    let now = Utc::now();
    door.now.set(Some(now));
    let local = now.with_timezone(&zone).naive_local();
    let Some(decision) = policy.decide(local) else {
        let opens = policy.am_register_opens.format("%H:%M");
        door.outcome.set(Some(Outcome::NotLate(format!(
            "{name} is not late: the register has not opened yet (it opens at {opens}). Nothing \
             was logged."
        ))));
        return;
    };
    if let Some(arrival) = door.logged(pupil.id, &decision, local.date()) {
        return not_saved(format!(
            "{name} was already logged late this {} at {}; nothing was logged again.",
            decision.session.label().to_lowercase(),
            super::clock(arrival.arrived_at, zone)
        ));
    }
    let Ok(device_id) = device::device_id(school.id) else {
        door.storage_full.set(true);
        return not_saved(format!(
            "{name} was NOT saved: this tablet's storage is full."
        ));
    };
    let payload = LateArrivalV1 {
        school_id: school.id,
        pupil_id: pupil.id,
        arrived_at: now,
        reason: reason.key().to_string(),
        note: note.clone(),
    };
    let event = SyncEvent {
        id: Uuid::new_v4(),
        device_id,
        staff_id: staff.id,
        kind: "late_arrival".to_string(),
        schema_version: 1,
        device_time: now,
        payload: serde_json::to_value(&payload).unwrap_or_default(),
    };
    if device::put_event(&event).is_err() {
        door.storage_full.set(true);
        return not_saved(format!(
            "{name} was NOT saved: this tablet's storage is full."
        ));
    }
    door.storage_full.set(false);
    door.waiting.update(|waiting| {
        waiting.insert(event.id);
    });
    door.arrivals.update(|arrivals| {
        arrivals.push(Arrival {
            id: event.id,
            seq: 0,
            pupil_id: pupil.id,
            session_date: local.date(),
            session: decision.session,
            arrived_at: now,
            reason: reason.key().to_string(),
            note,
            code: decision.code.as_str().to_string(),
            minutes_late: decision.minutes_late,
            sanction: decision.sanction.clone(),
            conflict: None,
            recorded_by: Some(staff.name.clone()),
            undone: false,
        })
    });
    save_cache(door);
    door.outcome.set(Some(Outcome::Saved {
        arrival_id: event.id,
        pupil: name,
        decision,
    }));
    request_sync(door);
}

/// Takes back an arrival logged by mistake: forgotten at once if it never left the tablet,
/// otherwise undone on the server by an undo event.
pub(super) fn undo(door: Door, arrival_id: Uuid) {
    door.outcome.set(None);
    let sent = SYNC.with_borrow(|sync| sync.in_flight.contains(&arrival_id))
        || !door
            .waiting
            .with_untracked(|waiting| waiting.contains(&arrival_id));
    if !sent {
        device::remove_event(arrival_id);
        door.waiting.update(|waiting| {
            waiting.remove(&arrival_id);
        });
        door.arrivals
            .update(|arrivals| arrivals.retain(|arrival| arrival.id != arrival_id));
        save_cache(door);
        return;
    }
    let (Some(staff), Some(school)) = (door.staff.get_untracked(), door.school.get_untracked())
    else {
        return;
    };
    let event = device::device_id(school.id).map(|device_id| SyncEvent {
        id: Uuid::new_v4(),
        device_id,
        staff_id: staff.id,
        kind: "late_arrival_undo".to_string(),
        schema_version: 1,
        device_time: Utc::now(),
        payload: serde_json::to_value(LateArrivalUndoV1 {
            school_id: school.id,
            arrival_id,
        })
        .unwrap_or_default(),
    });
    match event {
        Ok(event) if device::put_event(&event).is_ok() => {
            door.waiting.update(|waiting| {
                waiting.insert(event.id);
            });
            door.arrivals.update(|arrivals| {
                for arrival in arrivals
                    .iter_mut()
                    .filter(|arrival| arrival.id == arrival_id)
                {
                    arrival.undone = true;
                }
            });
            save_cache(door);
            request_sync(door);
        }
        _ => {
            door.storage_full.set(true);
            door.outcome.set(Some(Outcome::NotSaved(
                "The undo was NOT saved: this tablet's storage is full.".to_string(),
            )));
        }
    }
}

/// A person has dealt with a rejected event.
pub(super) fn dismiss(door: Door, id: Uuid) {
    device::dismiss(id);
    door.rejected
        .update(|rejected| rejected.retain(|rejected| rejected.event.id != id));
}

/// Syncs now, or right after the sync under way.
pub(super) fn request_sync(door: Door) {
    let start = SYNC.with_borrow_mut(|sync| {
        if let Some(timer) = sync.timer.take() {
            timer.clear();
        }
        if sync.running {
            sync.again = true;
            false
        } else {
            sync.running = true;
            true
        }
    });
    if !start {
        return;
    }
    door.syncing.set(true);
    spawn_local(async move {
        let outcome = loop {
            let outcome = sync_once(door).await;
            let again = SYNC.with_borrow_mut(|sync| std::mem::take(&mut sync.again));
            if !again || outcome.is_err() {
                break outcome;
            }
        };
        let wait = SYNC.with_borrow_mut(|sync| {
            sync.running = false;
            let wait = match outcome {
                Ok(()) => QUICK,
                Err(_) => sync.wait.map_or(QUICK * 2, |wait| (wait * 2).min(SLOWEST)),
            };
            sync.wait = Some(wait);
            wait
        });
        door.syncing.set(false);
        let handle = set_timeout_with_handle(move || request_sync(door), wait).ok();
        SYNC.with_borrow_mut(|sync| sync.timer = handle);
    });
}

/// One round: register the tablet if need be, push the outbox in batches, pull what changed.
async fn sync_once(door: Door) -> Result<(), SyncError> {
    let result = exchange(door).await;
    match &result {
        Ok(()) => {
            door.trouble.set(None);
            door.signed_out.set(false);
        }
        Err(SyncError::SignedOut) => door.signed_out.set(true),
        Err(SyncError::Refused(reason)) => door
            .trouble
            .set(Some(format!("The server refused: {reason}"))),
        Err(SyncError::Unreachable(_)) => door
            .trouble
            .set(Some("The server cannot be reached.".to_string())),
        Err(SyncError::NotRegistered) => {}
    }
    result
}

async fn exchange(door: Door) -> Result<(), SyncError> {
    let (Some(staff), Some(school)) = (door.staff.get_untracked(), door.school.get_untracked())
    else {
        return Ok(());
    };
    let device_id = device::device_id(school.id)
        .map_err(|_| SyncError::Refused("this tablet's storage is full.".to_string()))?;
    let registration = DeviceRegistration {
        id: device_id,
        school_id: school.id,
        name: "Late door".to_string(),
    };
    device::register(&registration, staff.id).await?;

    loop {
        let batch: Vec<SyncEvent> = device::outbox(school.id)
            .into_iter()
            .take(MAX_BATCH)
            .collect();
        if batch.is_empty() {
            break;
        }
        let request = PushRequest {
            device_id,
            sent_at: Utc::now(),
            events: batch
                .iter()
                .filter_map(|event| serde_json::to_value(event).ok())
                .collect(),
        };
        SYNC.with_borrow_mut(|sync| sync.in_flight = batch.iter().map(|event| event.id).collect());
        let answer = device::push(&request).await;
        SYNC.with_borrow_mut(|sync| sync.in_flight.clear());
        let response = match answer {
            Err(SyncError::NotRegistered) => {
                device::forget_registration(school.id);
                return Err(SyncError::NotRegistered);
            }
            other => other?,
        };
        let mut settled = 0;
        for (event, result) in batch.iter().zip(&response.results) {
            if result.id != Some(event.id) {
                continue;
            }
            match result.status {
                EventStatus::Applied | EventStatus::Duplicate => {
                    device::remove_event(event.id);
                    settled += 1;
                }
                EventStatus::Rejected => {
                    let reason = result
                        .reason
                        .clone()
                        .unwrap_or_else(|| "No reason given.".to_string());
                    device::reject(event.clone(), reason.clone());
                    if event.kind == "late_arrival" {
                        door.arrivals
                            .update(|arrivals| arrivals.retain(|arrival| arrival.id != event.id));
                    }
                    // "Saved" on screen must not outlive the server's no.
                    door.outcome.update(|outcome| {
                        if let Some(Outcome::Saved {
                            arrival_id, pupil, ..
                        }) = outcome
                            && *arrival_id == event.id
                        {
                            *outcome = Some(Outcome::NotSaved(format!(
                                "The server did not accept {pupil}'s arrival: {reason}"
                            )));
                        }
                    });
                    settled += 1;
                }
            }
        }
        door.skew.set(response.clock_skew_seconds);
        read_outbox(door, school.id);
        save_cache(door);
        if batch.len() < MAX_BATCH || settled == 0 {
            break;
        }
    }

    let cursor = SYNC.with_borrow(|sync| sync.cursor.clone());
    let pulled = match device::pull(device_id, cursor.as_deref()).await {
        // A cursor the server no longer knows (its database was replaced): start again.
        Err(SyncError::Refused(_)) if cursor.is_some() => device::pull(device_id, None).await?,
        Err(SyncError::NotRegistered) => {
            device::forget_registration(school.id);
            return Err(SyncError::NotRegistered);
        }
        other => other?,
    };
    let zone = pulled
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Europe::London);
    if let Some(roll) = pulled.roll {
        let _ = LocalStorage::set(roll_key(school.id), &roll);
        door.roll.set(Roll::new(roll));
    }
    let device_today = Utc::now().with_timezone(&zone).date_naive();
    let oldest_kept = device_today.min(pulled.today);
    door.arrivals.update(|arrivals| {
        for arrival in pulled.arrivals {
            match arrivals.iter_mut().find(|known| known.id == arrival.id) {
                Some(known) => *known = arrival,
                None => arrivals.push(arrival),
            }
        }
        arrivals.retain(|arrival| arrival.session_date >= oldest_kept);
    });
    door.policy.set(Some((pulled.policy, zone)));
    SYNC.with_borrow_mut(|sync| sync.cursor = Some(pulled.cursor));
    door.last_sync.set(Some(Utc::now()));
    save_cache(door);
    Ok(())
}
