//! Turning a failed server call into words a person can act on.

use leptos::prelude::*;

/// The message the server wrote for people, without the framework's prefix.
pub fn error_message(error: &ServerFnError) -> String {
    match error {
        ServerFnError::ServerError(message) => message.clone(),
        ServerFnError::Request(_) => {
            "Rollcall could not reach the server. Check the network and try again.".to_string()
        }
        other => other.to_string(),
    }
}

/// What a page of one school's work says to someone who holds a role at no school.
#[component]
pub fn NoSchool() -> impl IntoView {
    view! {
        <p>"You have no school yet: ask your trust administrator to give you a role at one."</p>
    }
}
