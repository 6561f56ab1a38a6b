//! The attendance pages: a school's figures by group, and a pupil's attendance.

use leptos::prelude::*;

#[component]
pub fn AttendancePage() -> impl IntoView {
    view! { <h1>"Attendance"</h1> }
}

#[component]
pub fn PupilAttendance() -> impl IntoView {
    view! { <h1>"Attendance"</h1> }
}
