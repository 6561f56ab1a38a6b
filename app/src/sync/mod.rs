//! The sync protocol of devices that work offline (the late-door tablets, the home visitors'
//! phones), as `docs/sync.md` describes it for any client. These types are the wire format,
//! shared by the server and the browser's sync client.

#[cfg(feature = "hydrate")]
pub mod device;
#[cfg(feature = "ssr")]
pub mod queries;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{codes::Session, lateness::LatePolicy};

/// The most events one push may carry.
pub const MAX_BATCH: usize = 1000;

/// One captured event, as the device stored it in its outbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SyncEvent {
    /// Made by the device when the event was captured; the key of "at most once".
    pub id: Uuid,
    pub device_id: Uuid,
    /// The member of staff who captured it: must be the one signed in to push it.
    pub staff_id: Uuid,
    /// `late_arrival` or `late_arrival_undo`.
    pub kind: String,
    pub schema_version: i32,
    /// The device's clock when the event was captured.
    pub device_time: DateTime<Utc>,
    /// The event itself; its shape depends on `kind` and `schema_version`.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub payload: serde_json::Value,
}

/// `POST /api/sync/push`. Each event is read on its own, so one malformed event is rejected
/// alone and the rest still apply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PushRequest {
    pub device_id: Uuid,
    /// The device's clock as it sent the push, to measure the skew.
    pub sent_at: DateTime<Utc>,
    /// At most [`MAX_BATCH`] events, each a [`SyncEvent`].
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<SyncEvent>))]
    pub events: Vec<serde_json::Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    /// Applied now. The device may forget it.
    Applied,
    /// Applied by an earlier push. The device may forget it.
    Duplicate,
    /// Not applied, for the reason given. The device keeps it for a person to resolve.
    Rejected,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EventResult {
    /// The event's id; null only when the event was too malformed to have one.
    pub id: Option<Uuid>,
    pub status: EventStatus,
    /// Why it was rejected, in words for the person holding the device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the server made of it, for an applied late arrival: "L, 12 minutes late", or the
    /// conflict with a mark the office had already set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PushResponse {
    /// One per event, in the order sent.
    pub results: Vec<EventResult>,
    pub server_time: DateTime<Utc>,
    /// The server's clock minus the device's, in seconds. Over two minutes either way, the
    /// device should tell its user to correct its clock.
    pub clock_skew_seconds: i64,
}

/// Skew past which the device tells its user the clock is wrong.
pub const LARGE_SKEW_SECONDS: i64 = 120;

/// An event the server rejected, kept on the device for a person to see and resolve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RejectedEvent {
    pub event: SyncEvent,
    pub reason: String,
    pub rejected_at: DateTime<Utc>,
}

/// The payload of a `late_arrival` event, schema version 1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LateArrivalV1 {
    pub school_id: Uuid,
    pub pupil_id: Uuid,
    /// When the pupil arrived, by the device's clock.
    pub arrived_at: DateTime<Utc>,
    /// transport, medical, overslept, caring or other.
    pub reason: String,
    #[serde(default)]
    pub note: String,
}

/// The payload of a `late_arrival_undo` event, schema version 1: takes back an arrival logged
/// by mistake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LateArrivalUndoV1 {
    pub school_id: Uuid,
    /// The id of the `late_arrival` event.
    pub arrival_id: Uuid,
}

/// `POST /api/sync/devices`: registers this device to a school and the signed-in person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeviceRegistration {
    pub id: Uuid,
    pub school_id: Uuid,
    #[serde(default)]
    pub name: String,
}

/// A pupil as the device's roll cache holds them: enough to find and name them, no more.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RollPupil {
    pub id: Uuid,
    /// The name the pupil is known by: preferred names first.
    pub first_name: String,
    pub last_name: String,
    pub form: String,
    pub year: String,
}

/// An arrival at any door of the school today.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Arrival {
    pub id: Uuid,
    pub seq: i64,
    pub pupil_id: Uuid,
    pub session_date: NaiveDate,
    pub session: Session,
    pub arrived_at: DateTime<Utc>,
    pub reason: String,
    pub note: String,
    pub code: String,
    pub minutes_late: i32,
    pub sanction: String,
    /// Why the arrival did not change the register, when the office had set another code.
    pub conflict: Option<String>,
    pub recorded_by: Option<String>,
    pub undone: bool,
}

/// `GET /api/sync/pull`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PullResponse {
    /// Send this back as `cursor` next time.
    pub cursor: String,
    pub school_id: Uuid,
    /// The school's date now.
    pub today: NaiveDate,
    /// The school's time zone (IANA name), in which the device reads its clock against the
    /// policy's register times.
    pub time_zone: String,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub policy: LatePolicy,
    /// The whole roll, when it changed since the cursor (or there was none); otherwise null.
    pub roll: Option<Vec<RollPupil>>,
    /// Today's arrivals at every door since the cursor, in the server's order.
    pub arrivals: Vec<Arrival>,
}
