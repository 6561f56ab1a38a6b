//! The device's side of the sync protocol (docs/sync.md), in the browser: the device's id, the
//! outbox (one localStorage key per event, written before the screen says "saved"), the list
//! of events the server rejected, and the three calls. Pages that work offline (the late door)
//! build on this; nothing here knows what an event means.

use chrono::Utc;
use gloo_net::http::{Request, Response};
use gloo_storage::{LocalStorage, Storage};
use serde::{Deserialize, de::DeserializeOwned};
use uuid::Uuid;

use super::{
    DeviceRegistration, PullResponse, PushRequest, PushResponse, RejectedEvent, SyncEvent,
};

const OUTBOX: &str = "rollcall.outbox.";
const REJECTED: &str = "rollcall.rejected.";

/// Why a call did not go through, as the device acts on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncError {
    /// 401: the sign-in ended. Keep everything and ask the person to sign in again.
    SignedOut,
    /// 404 from the device's own endpoints: the server does not know this device.
    NotRegistered,
    /// 400 or 403: the server refused, with its reason. Trying again will not help.
    Refused(String),
    /// No answer, or a 5xx: try again later.
    Unreachable(String),
}

/// Anything the device could not write to its storage: almost always a full disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageFull;

/// This device's id at a school, made once and kept. A device belongs to one school on the
/// server, so a person who works at two schools has one id for each on the same tablet.
pub fn device_id(school_id: Uuid) -> Result<Uuid, StorageFull> {
    let key = format!("rollcall.device.{school_id}");
    if let Ok(id) = LocalStorage::get::<Uuid>(&key) {
        return Ok(id);
    }
    let id = Uuid::new_v4();
    LocalStorage::set(&key, id).map_err(|_| StorageFull)?;
    Ok(id)
}

/// Who the device registered itself to at this school, if it did.
pub fn registered_to(school_id: Uuid) -> Option<Uuid> {
    LocalStorage::get(format!("rollcall.device.{school_id}.staff")).ok()
}

fn set_registered_to(school_id: Uuid, staff_id: Option<Uuid>) {
    let key = format!("rollcall.device.{school_id}.staff");
    match staff_id {
        Some(staff_id) => {
            let _ = LocalStorage::set(key, staff_id);
        }
        None => LocalStorage::delete(key),
    }
}

/// Puts an event in the outbox. Only once this returns `Ok` may the screen say "saved".
pub fn put_event(event: &SyncEvent) -> Result<(), StorageFull> {
    LocalStorage::set(format!("{OUTBOX}{}", event.id), event).map_err(|_| StorageFull)
}

pub fn remove_event(id: Uuid) {
    LocalStorage::delete(format!("{OUTBOX}{id}"));
}

/// The events waiting in the outbox for one school, oldest first.
pub fn outbox(school_id: Uuid) -> Vec<SyncEvent> {
    let mut events: Vec<SyncEvent> = stored_under(OUTBOX)
        .into_iter()
        .filter(|event: &SyncEvent| event_school(event) == Some(school_id))
        .collect();
    events.sort_by_key(|event| event.device_time);
    events
}

/// The school an event is for: every payload names it.
pub fn event_school(event: &SyncEvent) -> Option<Uuid> {
    event
        .payload
        .get("school_id")
        .and_then(|id| id.as_str())
        .and_then(|id| Uuid::parse_str(id).ok())
}

/// Moves an event from the outbox to the rejected list, with the server's reason.
pub fn reject(event: SyncEvent, reason: String) {
    let id = event.id;
    let rejected = RejectedEvent {
        event,
        reason,
        rejected_at: Utc::now(),
    };
    // If the rejected list cannot be written, the event stays in the outbox: never lost.
    if LocalStorage::set(format!("{REJECTED}{id}"), &rejected).is_ok() {
        remove_event(id);
    }
}

/// The rejected events of one school, newest first.
pub fn rejected(school_id: Uuid) -> Vec<RejectedEvent> {
    let mut list: Vec<RejectedEvent> = stored_under(REJECTED)
        .into_iter()
        .filter(|rejected: &RejectedEvent| event_school(&rejected.event) == Some(school_id))
        .collect();
    list.sort_by_key(|rejected| std::cmp::Reverse(rejected.rejected_at));
    list
}

/// A person has seen a rejected event and dealt with it.
pub fn dismiss(id: Uuid) {
    LocalStorage::delete(format!("{REJECTED}{id}"));
}

/// Every readable value whose key starts with `prefix`. A value this version cannot read is
/// left where it is rather than deleted.
fn stored_under<T: DeserializeOwned>(prefix: &str) -> Vec<T> {
    let storage = LocalStorage::raw();
    let count = storage.length().unwrap_or(0);
    let keys: Vec<String> = (0..count)
        .filter_map(|index| storage.key(index).ok().flatten())
        .filter(|key| key.starts_with(prefix))
        .collect();
    keys.iter()
        .filter_map(|key| LocalStorage::get(key).ok())
        .collect()
}

/// Asks the browser not to clear this site's storage when space runs low, so a waiting
/// outbox is never evicted. The browser may say no; the outbox works either way.
pub fn ask_for_persistent_storage() {
    if let Some(window) = web_sys::window() {
        // The answer does not change what the tablet does, so it is not awaited.
        let _ = window.navigator().storage().persist();
    }
}

/// Installs the service worker (`public/sw.js`) that keeps the offline pages and the app's
/// code in the browser's cache, so these pages open with no network after a first visit.
pub fn keep_pages_offline() {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().service_worker().register("/sw.js");
    }
}

/// Registers the device to the school and the person signed in (again, if someone else signed
/// in on it since).
pub async fn register(registration: &DeviceRegistration, staff_id: Uuid) -> Result<(), SyncError> {
    if registered_to(registration.school_id) == Some(staff_id) {
        return Ok(());
    }
    let request = Request::post("/api/sync/devices")
        .json(registration)
        .map_err(|error| SyncError::Unreachable(error.to_string()))?;
    let response = send(request).await?;
    answer_ok(&response).await?;
    set_registered_to(registration.school_id, Some(staff_id));
    Ok(())
}

pub async fn push(request: &PushRequest) -> Result<PushResponse, SyncError> {
    let request = Request::post("/api/sync/push")
        .json(request)
        .map_err(|error| SyncError::Unreachable(error.to_string()))?;
    answer(send(request).await?).await
}

pub async fn pull(device_id: Uuid, cursor: Option<&str>) -> Result<PullResponse, SyncError> {
    let device = device_id.to_string();
    let mut query = vec![("device_id", device.as_str())];
    if let Some(cursor) = cursor {
        query.push(("cursor", cursor));
    }
    let request = Request::get("/api/sync/pull")
        .query(query)
        .build()
        .map_err(|error| SyncError::Unreachable(error.to_string()))?;
    answer(send(request).await?).await
}

/// The device is unknown to the server (its database was restored, say): register again.
pub fn forget_registration(school_id: Uuid) {
    set_registered_to(school_id, None);
}

async fn send(request: Request) -> Result<Response, SyncError> {
    request
        .send()
        .await
        .map_err(|_| SyncError::Unreachable("The server did not answer.".to_string()))
}

async fn answer<T: DeserializeOwned>(response: Response) -> Result<T, SyncError> {
    answer_ok(&response).await?;
    response.json::<T>().await.map_err(|error| {
        SyncError::Unreachable(format!("The server's answer was unreadable: {error}"))
    })
}

async fn answer_ok(response: &Response) -> Result<(), SyncError> {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: String,
    }
    let status = response.status();
    if response.ok() {
        return Ok(());
    }
    let message = match response.json::<ErrorBody>().await {
        Ok(body) => body.error,
        Err(_) => format!("The server answered {status}."),
    };
    Err(match status {
        401 => SyncError::SignedOut,
        404 => SyncError::NotRegistered,
        400..=499 => SyncError::Refused(message),
        _ => SyncError::Unreachable(message),
    })
}
