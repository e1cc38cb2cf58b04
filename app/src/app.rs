//! The document shell, the router (its pages in `routes`), and the data
//! layer every page reads through, provided in context: the query client,
//! the tab's realtime connection feeding it (and the client's state kept
//! for the next page load), the offline outbox (and the posts this tab
//! wrote), and the toasts.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::Router;
use serde::Deserialize;
use tidings::cache::QueryOptions;
use tidings::Post;
use uuid::Uuid;

use crate::api::{ApiError, ApiHandle};
use crate::components::devtools::Devtools;
use crate::components::focus::{FocusMainOnNavigation, MAIN_ID};
use crate::components::layout::Header;
use crate::components::toasts::{ToastRegion, Toasts};
use crate::offline::{Connectivity, OfflineSync};
use crate::pages::feed::OwnPosts;
use crate::query::QueryClientHandle;
use crate::realtime::{provide_realtime, rendered_at, RealtimeOptions, Status, LEADER_LOCK};
use crate::routes::{PageHydrated, PageRoutes};

/// How long fetched data counts as fresh unless a query says otherwise.
const FRESH_MS: u64 = 30_000;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // The stylesheet's name carries its content hash when the
                // build hashes file names (see `hash-files` in Cargo.toml).
                <HashedStylesheet id="leptos" options=options.clone()/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Data the server rendered stays fresh a while: focus and reconnect
    // refetch only what is older (realtime events invalidate sooner).
    let client = QueryClientHandle::builder()
        .defaults(QueryOptions::default().stale_time(FRESH_MS))
        .window_events(true)
        .shapes(crate::keys::shape_of)
        .build();
    client.provide();
    // What waits for the page to be hydrated (its code loaded, see
    // `routes`): the engine's kept state and the outbox, which must not
    // reach the cache before the page has taken over its server HTML.
    let hydrated = PageHydrated::provide();
    // One socket per browser (the tab holding the leader lock opens it, the
    // others follow), following the session's tokens, from where the
    // server render read its data: nothing committed since is missed.
    let options = RealtimeOptions::default().leader_lock(Some(LEADER_LOCK));
    let options = match rendered_at() {
        Some(position) => options.resume_from(position),
        None => options,
    };
    let user = crate::session::signed_in();
    let realtime = provide_realtime(client.clone(), crate::session::wire_realtime(options));
    crate::session::follow_refreshes(&realtime);
    Toasts::new().provide();
    let own = OwnPosts::provide();
    // What the next page load may show: this page and its bundle (the
    // service worker) and the engine's state, for the user it was
    // rendered for; a page rendered for nobody forgets both.
    #[cfg(feature = "hydrate")]
    {
        let client = client.clone();
        Effect::new(move |_| {
            if !hydrated.get() {
                return;
            }
            crate::offline::shell::keep_for_offline(user.is_some());
            match user {
                Some(user) => crate::offline::persisted_cache::keep_cache(client.clone(), user),
                None => crate::offline::persisted_cache::forget_all(),
            }
        });
    }
    let offline = provide_offline(client, own, user, hydrated);
    // A live socket means the server is back: replay what waits.
    let status = realtime.status;
    Effect::new(move |_| {
        if status.get() == Status::Live {
            offline.drain();
        }
    });
    view! {
        <Title text="Tidings"/>
        <Router>
            <Header/>
            <FocusMainOnNavigation/>
            // Not in the Tab order; focused on a new page (see `focus`).
            <main class="page" id=MAIN_ID tabindex="-1">
                <PageRoutes/>
            </main>
            <ToastRegion/>
            <Devtools/>
        </Router>
    }
}

/// Provides the offline outbox: it follows the browser's connectivity,
/// shows and settles its writes in the cache, replays through the page's
/// API (a post it created counts as this tab's). In the browser it loads
/// what `user`'s earlier pages left pending, and follows the other tabs'
/// changes to it; a page rendered for nobody has no outbox to load.
fn provide_offline(
    client: QueryClientHandle,
    own: OwnPosts,
    user: Option<Uuid>,
    hydrated: PageHydrated,
) -> OfflineSync {
    let connectivity = Connectivity::new();
    connectivity.listen();
    // Absent only while the server lists the routes (nothing is sent then).
    let api = use_context::<ApiHandle>();
    let offline = OfflineSync::new(
        connectivity,
        client,
        move |pending| match &api {
            Some(api) => crate::offline::requests::replay(&api.0, pending),
            None => Box::pin(std::future::ready(Err(ApiError::Aborted))),
        },
        move |_, answer| {
            if let Ok(post) = Post::deserialize(answer) {
                own.add(post.id);
            }
        },
    );
    offline.provide();
    #[cfg(feature = "hydrate")]
    if let Some(user) = user {
        let offline = offline.clone();
        Effect::new(move |_| {
            if !hydrated.get() {
                return;
            }
            let (offline, owner) = (offline.clone(), Owner::current());
            crate::offline::storage::forget_shared_outbox(crate::offline::SHARED_OUTBOX_KEY);
            leptos::task::spawn_local(async move {
                let name = crate::offline::outbox_key(user);
                match crate::offline::IndexedDbStorage::open(&name).await {
                    Ok(storage) => {
                        storage.on_change({
                            let offline = offline.clone();
                            move || {
                                offline.reload();
                                offline.drain();
                            }
                        });
                        let again = storage.clone();
                        offline.replay_under(format!("{name}.replay"), move || {
                            let again = again.clone();
                            Box::pin(async move {
                                if let Err(e) = again.refresh().await {
                                    leptos::logging::warn!("could not read the outbox: {e:?}");
                                }
                            })
                        });
                        match owner {
                            Some(owner) => owner.with(|| offline.load(storage)),
                            None => offline.load(storage),
                        }
                    }
                    Err(e) => leptos::logging::warn!(
                        "the offline outbox could not be opened ({e:?}): writes made offline last until the page closes"
                    ),
                }
            });
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (user, hydrated);
    offline
}
