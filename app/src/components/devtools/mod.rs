//! The devtools panel (development builds only): every cache entry with
//! its status, freshness, observers and age; the normalized store's
//! size and pending optimistic layers; the API client's per-endpoint
//! metrics; and the realtime connection's status and log position.
//!
//! It reads the engine and the metrics on a one-second tick while open,
//! and nothing while closed; the rows are computed in `rows.rs`.

mod rows;

use std::time::Duration;

use leptos::prelude::*;

use crate::api::ApiHandle;
use crate::query::use_query_client;
use crate::realtime::RealtimeHandle;
use rows::{ago, cache_rows, error_rate};

/// The toggle and panel; renders nothing in release builds.
#[component]
pub fn Devtools() -> impl IntoView {
    cfg!(debug_assertions).then(|| view! { <DevtoolsPanel/> })
}

#[component]
fn DevtoolsPanel() -> impl IntoView {
    let open = RwSignal::new(false);
    let tick = RwSignal::new(0u64);
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || {
                if open.get_untracked() {
                    tick.update(|t| *t += 1);
                }
            },
            Duration::from_secs(1),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    view! {
        <div class="devtools">
            <button
                type="button"
                class="devtools-toggle"
                data-testid="devtools-toggle"
                aria-expanded=move || open.get().to_string()
                aria-controls="devtools-panel"
                on:click=move |_| open.update(|o| *o = !*o)
            >
                "Devtools"
            </button>
            <Show when=move || open.get()>
                <section id="devtools-panel" class="devtools-panel" data-testid="devtools-panel" aria-label="Devtools">
                    <RealtimeSection tick/>
                    <CacheSection tick/>
                    <MetricsSection tick/>
                </section>
            </Show>
        </div>
    }
}

#[component]
fn RealtimeSection(tick: RwSignal<u64>) -> impl IntoView {
    let realtime = use_context::<RealtimeHandle>();
    let client = use_query_client();
    let status = {
        let realtime = realtime.clone();
        move || {
            realtime
                .as_ref()
                .map_or("none", |r| r.status.get().as_str())
        }
    };
    let seq = move || realtime.as_ref().map_or(0, |r| r.last_seq.get());
    let entities = move || {
        tick.track();
        client.with_store(|s| {
            format!(
                "{} users, {} posts, {} pending layers",
                s.visible().users.len(),
                s.visible().posts.len(),
                s.layers().len()
            )
        })
    };
    view! {
        <h2>"Realtime"</h2>
        <dl class="devtools-facts">
            <dt>"Status"</dt><dd data-testid="devtools-realtime-status">{status}</dd>
            <dt>"Last seq"</dt><dd data-testid="devtools-realtime-seq">{seq}</dd>
            <dt>"Store"</dt><dd data-testid="devtools-store">{entities}</dd>
        </dl>
    }
}

#[component]
fn CacheSection(tick: RwSignal<u64>) -> impl IntoView {
    let client = use_query_client();
    let rows = move || {
        tick.track();
        client.read(cache_rows)
    };
    view! {
        <h2 id="devtools-cache-title">"Cache"</h2>
        // Scrolls sideways on narrow screens: focusable, so the keyboard
        // can scroll it too.
        <div class="table-scroll" role="region" aria-labelledby="devtools-cache-title" tabindex="0">
            <table class="devtools-table" data-testid="devtools-cache">
                <thead><tr>
                    <th scope="col">"Key"</th><th scope="col">"Status"</th><th scope="col">"Freshness"</th>
                    <th scope="col">"Observers"</th><th scope="col">"Updated"</th>
                </tr></thead>
                <tbody>
                    {move || rows().into_iter().map(|row| {
                        let key = row.key.clone();
                        view! {
                        <tr data-testid="devtools-cache-row" data-key=key>
                            <td><code>{row.key}</code></td>
                            <td>{row.status}</td>
                            <td data-testid="devtools-freshness">{row.freshness}</td>
                            <td data-testid="devtools-observers">{row.observers}</td>
                            <td>{ago(row.updated_ago_ms)}</td>
                        </tr>
                    }}).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn MetricsSection(tick: RwSignal<u64>) -> impl IntoView {
    let api = use_context::<ApiHandle>();
    let endpoints = move || {
        tick.track();
        api.as_ref()
            .and_then(|api| api.0.metrics())
            .map(|m| m.endpoints)
            .unwrap_or_default()
    };
    view! {
        <h2 id="devtools-api-title">"API"</h2>
        // Scrolls sideways on narrow screens: focusable, so the keyboard
        // can scroll it too.
        <div class="table-scroll" role="region" aria-labelledby="devtools-api-title" tabindex="0">
            <table class="devtools-table" data-testid="devtools-metrics">
                <thead><tr>
                    <th scope="col">"Endpoint"</th><th scope="col">"Calls"</th><th scope="col">"Mean"</th>
                    <th scope="col">"p95"</th><th scope="col">"Errors"</th><th scope="col">"Retries"</th>
                    <th scope="col">"Cache hits"</th>
                </tr></thead>
                <tbody>
                    {move || endpoints().into_iter().map(|m| {
                        let (endpoint, rate) = (m.endpoint.clone(), error_rate(&m));
                        view! {
                        <tr data-testid="devtools-metrics-row" data-endpoint=endpoint>
                            <td><code>{m.endpoint}</code></td>
                            <td data-testid="devtools-calls">{m.count}</td>
                            <td>{format!("{:.0} ms", m.mean_ms)}</td>
                            <td>{format!("{:.0} ms", m.p95_ms)}</td>
                            <td>{rate}</td>
                            <td>{m.retries}</td>
                            <td>{m.cache_hits}</td>
                        </tr>
                    }}).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
