//! Realtime in the browser: one socket per browser to `GET /api/events`
//! (held by one tab, see [`RealtimeOptions::leader_lock`]), its
//! events applied exactly once and in order into the page's
//! [`QueryClientHandle`], shared with the other tabs over
//! `BroadcastChannel("tidings")`.
//!
//! - `machine.rs`: every decision ([`Machine`]): what to send, apply, post
//!   and schedule on each frame, close, timeout and tab message; pure and
//!   clock-injected like the cache engine;
//! - `ledger.rs`: the tab's position in the log ([`Position`]) and what
//!   counts as new, duplicate or a gap;
//! - `backoff.rs`: reconnect delays ([`RECONNECT`]: the one [`Backoff`]
//!   schedule with full jitter, over an injected [`Random`]);
//! - `tabs.rs`: the messages between tabs ([`TabMessage`]) and what is and
//!   is not shared;
//! - `apply.rs`: the cache side (store, invalidation, refetch of
//!   everything);
//! - `browser.rs` (`hydrate` only): the thin web-sys glue: `WebSocket`,
//!   `BroadcastChannel`, one `setTimeout` for the machine's next deadline,
//!   the `online` event;
//! - `scripted.rs` (`hydrate` and `testing` only): a socket played by hand,
//!   for the browser tests.
//!
//! Components call [`provide_realtime`] once (below the query client) and
//! [`use_realtime`] anywhere below. On the server (and natively) the same
//! calls compile to an inert handle: status [`Status::Connecting`] (what
//! the browser shows first too, so hydration matches), no socket, no
//! channel.
//!
//! A server-rendered tab starts at the log position the render read its
//! data at ([`RenderedAt`], handed to the browser by [`rendered_at`]): its
//! socket subscribes with that `since`, so an event committed between the
//! render and `hello` is replayed and applied. A tab with no such position
//! (a page built without a server render) resumes from `hello`'s seq and
//! can ask for a refetch of what is shown on first connect
//! ([`RealtimeOptions::refetch_on_first_connect`]).

mod apply;
mod backoff;
#[cfg(feature = "hydrate")]
mod browser;
mod ledger;
mod machine;
#[cfg(all(feature = "hydrate", feature = "testing"))]
mod scripted;
mod tabs;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use leptos::prelude::*;
use serde::Serialize;
use tidings::cache::{Millis, QueryKey, Tag};
use tidings::protocol::Topic;

pub use backoff::{Random, RECONNECT};
pub use ledger::Position;
pub use machine::{Command, Config, Input, Machine, Stats, Status};
pub use tabs::{covers, TabMessage, CHANNEL};
pub use tidings::Backoff;

#[cfg(all(feature = "hydrate", feature = "testing"))]
pub use scripted::ScriptedSocket;

use crate::query::QueryClientHandle;

/// The log position a server render started at, provided by the server
/// for each page before any of its data is read: every event after it may
/// be missing from the rendered data, none before it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedAt(pub Position);

/// The position the page's server render started at, carried from the
/// server's context into the hydrating browser; `None` where nothing was
/// rendered on the server. Call it once, in the same place on both sides
/// (it takes a hydration slot).
pub fn rendered_at() -> Option<Position> {
    SharedValue::new(|| use_context::<RenderedAt>().map(|at| at.0)).into_inner()
}

/// Gives the access token to present on each (re)connect, if any.
pub type TokenSource = Arc<dyn Fn() -> Option<String> + Send + Sync>;

/// What the host does for the session: refresh its token, or act on its
/// end (see [`RealtimeOptions::on_session`]).
pub type SessionHook = Arc<dyn Fn(SessionNeed) + Send + Sync>;

/// What the socket needs of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionNeed {
    /// A fresh access token: the socket's expired, or names an old role.
    Refresh,
    /// Nothing: the session ended on the server (signed out, the user
    /// deleted); the socket stopped for good.
    Ended,
}

/// How the tab talks to the server (a choice only test builds have: the
/// `testing` feature).
#[cfg(feature = "testing")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    /// A browser `WebSocket`.
    #[default]
    WebSocket,
    /// No network: the socket is played by hand through
    /// [`RealtimeHandle::scripted`].
    Scripted,
}

/// Settings of [`provide_realtime`]; see each setter for the default.
#[derive(Clone)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub struct RealtimeOptions {
    url: Option<String>,
    token: Option<TokenSource>,
    session: Option<SessionHook>,
    channel: Option<String>,
    leader_lock: Option<String>,
    #[cfg(feature = "testing")]
    transport: Transport,
    resume_from: Option<Position>,
    config: Config,
}

/// The Web Lock the app's tabs elect the socket's holder with.
pub const LEADER_LOCK: &str = "tidings.realtime";

impl Default for RealtimeOptions {
    fn default() -> Self {
        Self {
            url: None,
            token: None,
            session: None,
            channel: Some(CHANNEL.to_owned()),
            leader_lock: None,
            #[cfg(feature = "testing")]
            transport: Transport::WebSocket,
            resume_from: None,
            config: Config::default(),
        }
    }
}

impl std::fmt::Debug for RealtimeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealtimeOptions")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "<source>"))
            .field("channel", &self.channel)
            .field("leader_lock", &self.leader_lock)
            .field("resume_from", &self.resume_from)
            .field("config", &self.config)
            .finish()
    }
}

impl RealtimeOptions {
    /// The socket's URL (default: `ws://` or `wss://`, as the page's
    /// scheme, to the page's host, path `/api/events`).
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Where the access token comes from, read on each connect (default:
    /// none, no `auth` frame is sent).
    pub fn token(mut self, source: impl Fn() -> Option<String> + Send + Sync + 'static) -> Self {
        self.token = Some(Arc::new(source));
        self
    }

    /// What to do when the socket needs the session refreshed, or the
    /// session ended (default: nothing; the socket reconnects with what
    /// the browser holds).
    pub fn on_session(mut self, hook: impl Fn(SessionNeed) + Send + Sync + 'static) -> Self {
        self.session = Some(Arc::new(hook));
        self
    }

    /// The topics (default `users` and `posts`: every event).
    pub fn topics(mut self, topics: impl IntoIterator<Item = Topic>) -> Self {
        self.config.topics = topics.into_iter().collect();
        self
    }

    /// Time between the client's heartbeats (default 15 s); silence for
    /// twice this drops the socket.
    pub fn heartbeat(mut self, every: Millis) -> Self {
        self.config.heartbeat = every.max(1);
        self
    }

    /// Reconnect delays (default [`Backoff::default`]).
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.config.backoff = backoff;
        self
    }

    /// The cross-tab channel's name (default [`CHANNEL`]); `None` shares
    /// nothing with other tabs.
    pub fn channel(mut self, name: Option<&str>) -> Self {
        self.channel = name.map(str::to_owned);
        self
    }

    /// The Web Lock whose holder opens the socket (default none: this tab
    /// opens its own). The other tabs with the same lock follow the
    /// holder over the channel, and one of them takes over when it goes.
    pub fn leader_lock(mut self, name: Option<&str>) -> Self {
        self.leader_lock = name.map(str::to_owned);
        self
    }

    /// The socket (default [`Transport::WebSocket`]).
    #[cfg(feature = "testing")]
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// The position the page's data reflects, if the page knows it
    /// (default none: resume from `hello`'s seq).
    pub fn resume_from(mut self, position: Position) -> Self {
        self.resume_from = Some(position);
        self
    }

    /// Refetch what is shown when the tab first gets a position (default
    /// off).
    pub fn refetch_on_first_connect(mut self, on: bool) -> Self {
        self.config.refetch_on_first_connect = on;
        self
    }

    /// The machine's settings as set so far.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

/// The signals a driver keeps current.
#[derive(Clone)]
struct Signals {
    status: ArcRwSignal<Status>,
    last_seq: ArcRwSignal<u64>,
    retry_at: ArcRwSignal<Option<Millis>>,
}

impl Signals {
    fn new() -> Self {
        Self {
            status: ArcRwSignal::new(Status::Connecting),
            last_seq: ArcRwSignal::new(0),
            retry_at: ArcRwSignal::new(None),
        }
    }

    /// Sets each signal that changed.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn show(&self, status: Status, last_seq: u64, retry_at: Option<Millis>) {
        if self.status.get_untracked() != status {
            self.status.set(status);
        }
        if self.last_seq.get_untracked() != last_seq {
            self.last_seq.set(last_seq);
        }
        if self.retry_at.get_untracked() != retry_at {
            self.retry_at.set(retry_at);
        }
    }
}

#[cfg(feature = "hydrate")]
use browser::Driver;

/// Outside the browser: nothing to drive.
#[cfg(not(feature = "hydrate"))]
#[derive(Clone)]
struct Driver;

#[cfg(not(feature = "hydrate"))]
impl Driver {
    fn start(_client: QueryClientHandle, _options: RealtimeOptions, _signals: Signals) -> Self {
        Driver
    }
    fn begin(&self) {}
    fn input(&self, _input: Input) {}
    fn post(&self, _message: TabMessage) {}
    fn position(&self) -> Option<Position> {
        None
    }
    fn stats(&self) -> Stats {
        Stats::default()
    }
}

/// The tab's realtime connection, from [`use_realtime`]; cheap to clone.
#[derive(Clone)]
pub struct RealtimeHandle {
    /// The connection as the UI shows it.
    pub status: Signal<Status>,
    /// The tab's position in the log: every event up to it (for its
    /// topics) is applied or refetched. 0 before the first `hello`.
    pub last_seq: Signal<u64>,
    /// While offline, when the next connect is due (client clock, Unix
    /// milliseconds in the browser).
    pub retry_at: Signal<Option<Millis>>,
    client: QueryClientHandle,
    driver: Driver,
}

impl std::fmt::Debug for RealtimeHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealtimeHandle")
            .field("status", &self.status.get_untracked())
            .field("last_seq", &self.last_seq.get_untracked())
            .finish_non_exhaustive()
    }
}

/// Starts the tab's realtime connection feeding `client` (in the browser;
/// an inert handle elsewhere), provides it to the components below the
/// current owner and returns it. The socket and channel close when the
/// owner is cleaned up.
pub fn provide_realtime(client: QueryClientHandle, options: RealtimeOptions) -> RealtimeHandle {
    let handle = RealtimeHandle::start(client, options);
    provide_context(handle.clone());
    let stopping = handle.clone();
    on_cleanup(move || stopping.stop());
    handle
}

/// The handle provided by [`provide_realtime`].
///
/// # Panics
/// When none was provided: a wiring bug, not a runtime condition.
pub fn use_realtime() -> RealtimeHandle {
    expect_context::<RealtimeHandle>()
}

impl RealtimeHandle {
    /// Starts a connection without providing it (see [`provide_realtime`]);
    /// [`RealtimeHandle::stop`] ends it.
    pub fn start(client: QueryClientHandle, options: RealtimeOptions) -> Self {
        let signals = Signals::new();
        let handle = RealtimeHandle {
            status: signals.status.clone().into(),
            last_seq: signals.last_seq.clone().into(),
            retry_at: signals.retry_at.clone().into(),
            client: client.clone(),
            driver: Driver::start(client, options, signals),
        };
        handle.driver.begin();
        handle
    }

    /// Drops the current socket (or the wait for the next) and connects
    /// now, with the backoff restarted.
    pub fn reconnect_now(&self) {
        self.driver.input(Input::ReconnectNow);
    }

    /// The session has a fresh access token (it refreshed): the open
    /// socket presents it, so the server keeps it open past the old one's
    /// expiry.
    pub fn reauthenticate(&self, token: String) {
        self.driver.input(Input::Reauthenticate { token });
    }

    /// Closes the socket and the channel for good.
    pub fn stop(&self) {
        self.driver.input(Input::Stop);
    }

    /// The position, untracked (see [`RealtimeHandle::last_seq`]).
    pub fn position(&self) -> Option<Position> {
        self.driver.position()
    }

    /// Counters: events applied from the socket and from other tabs,
    /// duplicates dropped, refetches of everything.
    pub fn stats(&self) -> Stats {
        self.driver.stats()
    }

    /// The query client events are applied to.
    pub fn client(&self) -> &QueryClientHandle {
        &self.client
    }

    /// Writes `data` as `key`'s data here, and in every other tab that
    /// holds `key`.
    ///
    /// # Panics
    /// When `data` does not serialize to JSON.
    pub fn share_query_data<T: Serialize>(&self, key: &QueryKey, data: &T) {
        let data = serde_json::to_value(data).expect("query data serializes to JSON");
        self.client.update(|c| c.set_query_data(key, data.clone()));
        self.driver.post(TabMessage::QueryData {
            key: key.clone(),
            data,
        });
    }

    /// Invalidates `tags` here and in every other tab.
    pub fn share_invalidation(&self, tags: &[Tag]) {
        self.client.invalidate_tags(tags);
        self.driver.post(TabMessage::Invalidate {
            tags: tags.to_vec(),
        });
    }

    /// The hand-played socket, with [`Transport::Scripted`].
    #[cfg(all(feature = "hydrate", feature = "testing"))]
    pub fn scripted(&self) -> Option<ScriptedSocket> {
        ScriptedSocket::of(&self.driver)
    }
}
