//! Reacting to a form's server action.

use leptos::prelude::*;

/// Runs `then` each time `action` finishes and was saved; a refused one runs nothing. Pages
/// reload their lists and clear their forms this way, so a refusal keeps what was typed.
pub fn on_success<I, O, E>(action: Action<I, Result<O, E>>, then: impl Fn() + 'static)
where
    I: Send + Sync + 'static,
    O: Send + Sync + 'static,
    E: Send + Sync + 'static,
{
    Effect::new(move |_| {
        // Each completion bumps the version once; the value says whether it was saved.
        action.version().get();
        if action
            .value()
            .with_untracked(|value| matches!(value, Some(Ok(_))))
        {
            then();
        }
    });
}
