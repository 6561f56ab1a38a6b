//! Tells the person whether the device is online, since the late door and home visits are
//! often used without a network.

use leptos::prelude::*;

#[component]
pub fn NetworkIndicator() -> impl IntoView {
    // The server only renders pages it was asked for over the network, so "online" is true at
    // first; the browser corrects it as soon as it hydrates.
    let (online, set_online) = signal(true);

    #[cfg(feature = "hydrate")]
    {
        Effect::new(move |_| {
            if let Some(window) = web_sys::window() {
                set_online.set(window.navigator().on_line());
            }
        });
        let on = window_event_listener(leptos::ev::online, move |_| set_online.set(true));
        let off = window_event_listener(leptos::ev::offline, move |_| set_online.set(false));
        on_cleanup(move || {
            on.remove();
            off.remove();
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = set_online;

    view! {
        <p class="network" class:offline=move || !online.get() role="status" aria-live="polite">
            <span class="dot" aria-hidden="true"></span>
            {move || if online.get() { "Online" } else { "Offline" }}
        </p>
    }
}
