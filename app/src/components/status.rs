//! What the header says about the connection: the realtime socket's
//! status, and while writes wait for the server, an offline banner with
//! how many are pending and what the server refused on replay.

use leptos::prelude::*;

use crate::offline::{use_offline, PendingMutation, QueuedWrite};
use crate::realtime::use_realtime;

/// The realtime status (`connecting`, `live`, `offline`, `resyncing`).
#[component]
pub fn ConnectionBadge() -> impl IntoView {
    let status = use_realtime().status;
    view! {
        <span
            class=move || format!("connection connection-{}", status.get().as_str())
            data-testid="connection-status"
            data-status=move || status.get().as_str()
            role="status"
        >
            {move || status.get().as_str()}
        </span>
    }
}

/// Shown while offline or while writes are pending.
#[component]
pub fn OfflineBanner() -> impl IntoView {
    let offline = use_offline();
    let online = offline.connectivity().online();
    let pending = offline.pending();
    let refusals = offline.refusals();
    let count = move || pending.with(Vec::len);
    view! {
        <Show when=move || { !online.get() || count() > 0 }>
            <div class="offline-banner" role="status" data-testid="offline-banner">
                {move || if online.get() { "Sending your changes…" } else { "You are offline." }}
                " "
                <span data-testid="pending-count" data-count=move || count().to_string()>
                    {move || match count() {
                        0 => String::new(),
                        1 => "1 change waits for the server.".to_owned(),
                        n => format!("{n} changes wait for the server."),
                    }}
                </span>
                <ul class="pending-list" data-testid="pending-list">
                    {move || pending.with(|p| p.iter().map(describe).collect::<Vec<_>>())
                        .into_iter()
                        .map(|what| view! { <li data-testid="pending-item">{what}</li> })
                        .collect_view()}
                </ul>
            </div>
        </Show>
        {move || refusals.with(|r| r.last().map(|r| r.message())).map(|reason| view! {
            <div class="form-error" role="alert" data-testid="outbox-refused">
                "A change made offline was refused: " {reason}
            </div>
        })}
    }
}

/// A pending write as the list names it.
fn describe(pending: &PendingMutation) -> String {
    QueuedWrite::of(&pending.request)
        .map(|w| w.describe())
        .unwrap_or_else(|_| format!("{} {}", pending.request.method, pending.request.path))
}
