//! `/visits` in the browser: reads the phone's storage into the page, captures the steps of a
//! visit into the outbox (the same outbox and push as the late door, docs/sync.md), and syncs
//! on start, on reconnect, after each capture and every 30 seconds. After a push it fetches my
//! visits again and keeps them on the phone for the next time there is no network.

use std::{cell::Cell, time::Duration};

use chrono::{DateTime, Utc};
use gloo_storage::{LocalStorage, Storage};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    MyVisits,
    pages::{Phone, VisitorStaff},
};
use crate::{
    auth::{Viewer, use_viewer},
    components::errors::error_message,
    domain::roles::Permission,
    sync::{
        DeviceRegistration, EventStatus, MAX_BATCH, PushRequest, SyncEvent,
        device::{self, SyncError},
    },
};

const EVERY: Duration = Duration::from_secs(30);
const STAFF_KEY: &str = "rollcall.visits.staff";

/// What the phone keeps per school besides the outbox.
#[derive(Default, Serialize, Deserialize)]
struct Cache {
    visits: Option<MyVisits>,
    last_sync: Option<DateTime<Utc>>,
}

fn cache_key(school_id: Uuid) -> String {
    format!("rollcall.visits.{school_id}")
}

pub(super) fn run(phone: Phone) {
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
        start(phone, viewer.ok().flatten(), wanted);
    });
    Effect::new(move |_| {
        device::ask_for_persistent_storage();
        device::keep_pages_offline();
    });
    let timer = set_interval_with_handle(move || request_sync(phone), EVERY).ok();
    let online = window_event_listener(leptos::ev::online, move |_| request_sync(phone));
    on_cleanup(move || {
        if let Some(timer) = timer {
            timer.clear();
        }
        online.remove();
    });
}

fn start(phone: Phone, viewer: Option<Viewer>, wanted: Option<Uuid>) {
    let staff = match viewer {
        Some(viewer) => {
            let staff = VisitorStaff {
                id: viewer.staff_id,
                name: viewer.name.clone(),
                schools: viewer
                    .schools
                    .iter()
                    .filter(|school| {
                        viewer.can(Permission::RecordVisits, school.id)
                            || super::may_watch(&viewer, school.id)
                    })
                    .cloned()
                    .collect(),
            };
            let _ = LocalStorage::set(STAFF_KEY, &staff);
            phone.signed_out.set(false);
            Some(staff)
        }
        None => {
            phone.signed_out.set(true);
            LocalStorage::get::<VisitorStaff>(STAFF_KEY).ok()
        }
    };
    phone.staff.set(staff.clone());
    let school = staff.and_then(|staff| {
        wanted
            .and_then(|id| staff.schools.iter().find(|school| school.id == id).cloned())
            .or_else(|| staff.schools.first().cloned())
    });
    let Some(school) = school else {
        phone.ready.set(true);
        return;
    };
    if phone
        .school
        .with_untracked(|open| open.as_ref() == Some(&school))
    {
        return;
    }
    let cache: Cache = LocalStorage::get(cache_key(school.id)).unwrap_or_default();
    phone.data.set(cache.visits);
    phone.last_sync.set(cache.last_sync);
    phone.school.set(Some(school.clone()));
    read_outbox(phone, school.id);
    phone.ready.set(true);
    request_sync(phone);
}

fn read_outbox(phone: Phone, school_id: Uuid) {
    phone.waiting.set(device::outbox(school_id));
    phone.rejected.set(device::rejected(school_id));
}

fn save_cache(phone: Phone) {
    let Some(school) = phone.school.get_untracked() else {
        return;
    };
    let cache = Cache {
        visits: phone.data.get_untracked(),
        last_sync: phone.last_sync.get_untracked(),
    };
    let _ = LocalStorage::set(cache_key(school.id), &cache);
}

/// Writes the event to the outbox and only then says "saved". A record edited again before it
/// was sent replaces the waiting one, so the phone never conflicts with itself.
pub(super) fn capture(phone: Phone, kind: &str, payload: serde_json::Value) -> bool {
    let (Some(staff), Some(school)) = (phone.staff.get_untracked(), phone.school.get_untracked())
    else {
        return false;
    };
    let not_saved = || {
        phone.message.set(Some((
            false,
            "NOT saved: this phone's storage is full. Write it down and sync to make room."
                .to_string(),
        )));
        false
    };
    let Ok(device_id) = device::device_id(school.id) else {
        return not_saved();
    };
    let event = SyncEvent {
        id: Uuid::new_v4(),
        device_id,
        staff_id: staff.id,
        kind: kind.to_string(),
        schema_version: 1,
        device_time: Utc::now(),
        payload,
    };
    let visit = super::pages::event_visit(&event);
    let replaced: Vec<Uuid> = if kind == super::events::RECORD && !phone.syncing.get_untracked() {
        phone.waiting.with_untracked(|waiting| {
            waiting
                .iter()
                .filter(|e| e.kind == kind && super::pages::event_visit(e) == visit)
                .map(|e| e.id)
                .collect()
        })
    } else {
        Vec::new()
    };
    if device::put_event(&event).is_err() {
        return not_saved();
    }
    for id in replaced {
        device::remove_event(id);
    }
    read_outbox(phone, school.id);
    phone.message.set(Some((
        true,
        format!(
            "Saved on this phone: {}.",
            super::pages::kind_label(kind).to_lowercase()
        ),
    )));
    request_sync(phone);
    true
}

pub(super) fn dismiss(phone: Phone, id: Uuid) {
    device::dismiss(id);
    phone
        .rejected
        .update(|list| list.retain(|r| r.event.id != id));
}

thread_local! {
    /// Asked to sync while a sync was under way: go round once more when it ends.
    static AGAIN: Cell<bool> = const { Cell::new(false) };
}

/// Syncs now, or right after the sync under way.
pub(super) fn request_sync(phone: Phone) {
    if phone.school.get_untracked().is_none() {
        return;
    }
    if phone.syncing.get_untracked() {
        AGAIN.with(|again| again.set(true));
        return;
    }
    phone.syncing.set(true);
    spawn_local(async move {
        let result = loop {
            let result = exchange(phone).await;
            if !AGAIN.with(|again| again.replace(false)) || result.is_err() {
                break result;
            }
        };
        match &result {
            Ok(()) => {
                phone.trouble.set(None);
                phone.signed_out.set(false);
            }
            Err(SyncError::SignedOut) => phone.signed_out.set(true),
            Err(SyncError::Refused(reason)) => phone
                .trouble
                .set(Some(format!("The server refused: {reason}"))),
            Err(SyncError::Unreachable(_)) => phone
                .trouble
                .set(Some("The server cannot be reached.".to_string())),
            Err(SyncError::NotRegistered) => {}
        }
        phone.syncing.set(false);
    });
}

async fn exchange(phone: Phone) -> Result<(), SyncError> {
    let (Some(staff), Some(school)) = (phone.staff.get_untracked(), phone.school.get_untracked())
    else {
        return Ok(());
    };
    let device_id = device::device_id(school.id)
        .map_err(|_| SyncError::Refused("this phone's storage is full.".to_string()))?;
    if !device::outbox(school.id).is_empty() {
        let registration = DeviceRegistration {
            id: device_id,
            school_id: school.id,
            name: "Home visits phone".to_string(),
        };
        device::register(&registration, staff.id).await?;
    }
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
        let response = match device::push(&request).await {
            Err(SyncError::NotRegistered) => {
                device::forget_registration(school.id);
                return Err(SyncError::NotRegistered);
            }
            other => other?,
        };
        for (event, result) in batch.iter().zip(&response.results) {
            if result.id != Some(event.id) {
                continue;
            }
            match result.status {
                EventStatus::Applied | EventStatus::Duplicate => device::remove_event(event.id),
                EventStatus::Rejected => device::reject(
                    event.clone(),
                    result
                        .reason
                        .clone()
                        .unwrap_or_else(|| "No reason given.".to_string()),
                ),
            }
        }
        read_outbox(phone, school.id);
        if batch.len() < MAX_BATCH {
            break;
        }
    }
    match super::load_my_visits(school.id).await {
        Ok(mut visits) => {
            // Redraw only when something changed, so a form being filled in is left alone.
            let fetched_at = visits.fetched_at;
            let changed = phone.data.with_untracked(|old| match old {
                Some(old) => {
                    visits.fetched_at = old.fetched_at;
                    visits != *old
                }
                None => true,
            });
            visits.fetched_at = fetched_at;
            if changed {
                phone.data.set(Some(visits));
            }
            phone.last_sync.set(Some(Utc::now()));
            save_cache(phone);
            Ok(())
        }
        Err(error) => {
            let message = error_message(&error);
            if message.starts_with("Sign in first") {
                Err(SyncError::SignedOut)
            } else if matches!(error, ServerFnError::Request(_)) {
                Err(SyncError::Unreachable(message))
            } else {
                Err(SyncError::Refused(message))
            }
        }
    }
}
