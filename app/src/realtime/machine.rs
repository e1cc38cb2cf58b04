//! The socket manager's decisions, with no I/O: what to do on each socket
//! frame, close, timeout and message from another tab.
//!
//! The host (the browser glue, or a test) feeds [`Input`]s with the current
//! time and performs the [`Command`]s that come back, in order; it arms one
//! timer for [`Machine::next_deadline`] and feeds [`Input::Tick`] when it
//! fires. Time enters only as `now`, randomness only through the injected
//! [`Random`], so every path is exact in tests.
//!
//! A connection's life:
//!
//! 1. `Connect`: the host opens a socket. Status `Connecting`.
//! 2. Opened: `auth` is sent when there is a token.
//! 3. `hello {epoch, seq}`: `subscribe {topics, since, epoch}` is sent,
//!    `since` being the tab's position (or `hello`'s seq on a fresh start,
//!    see [`Ledger`]). Status `Live`.
//! 4. Events: each one past the position is applied (`Apply`: the engine
//!    patches its store and cached lists, refetching only what it cannot
//!    decide) and posted to the other tabs. Older seqs and duplicates are
//!    dropped.
//! 5. `HEARTBEAT {seq}` moves the position to `seq` once the subscription
//!    is known to be in force (an event or `RESYNC` came on this socket:
//!    a heartbeat sent before the server read `subscribe` carries the
//!    log's head, not this stream's position).
//! 6. `RESYNC {epoch, seq}`: every query is invalidated (observed ones
//!    refetch), the store's last seq is reset and the position becomes
//!    `(epoch, seq)`. Status `Resyncing` until the host reports the
//!    refetch settled.
//! 7. A fresh access token (after the session refreshed) is sent as an
//!    `auth` frame on the open socket, so the server keeps it past the old
//!    token's expiry. A socket the server closed because its token expired
//!    or the user's role changed asks the host to refresh the session
//!    ([`Command::RefreshSession`]) and reconnects; one closed because the
//!    session ended (signed out, the user deleted) stops for good and tells
//!    the host ([`Command::SessionEnded`]).
//! 8. The client sends `HEARTBEAT` every [`Config::heartbeat`]; with nothing
//!    heard for twice that, the socket is taken as dead. A dead or closed
//!    socket goes `Offline` and a retry is scheduled after
//!    [`Backoff::delay`]; the attempt count restarts after a connection
//!    that stayed live for one heartbeat interval.
//!
//! A tab that does not hold the browser's socket follows the one that does
//! (`Follow`): it opens none, shows the leader's status, and applies the
//! events the leader relays. One that finds itself behind the leader (it
//! started from an older render, or missed a relay) refetches what it
//! shows and takes the leader's position, as on a `RESYNC`. When it
//! becomes the leader (`Start`), it connects and subscribes from its own
//! position: the server replays whatever came after, nothing twice.

use serde_json::Value;
use tidings::cache::{Millis, QueryKey, Tag};
use tidings::protocol::{close_code, ClientFrame, Event, ServerFrame, Topic};
use tidings::Backoff;

use super::backoff::{Random, RECONNECT};
use super::ledger::{Ledger, Position, Skip, TabVerdict};
use super::tabs::{covers, TabMessage};
use crate::query::LayerChange;

/// The connection as the UI shows it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// A socket is being opened, or waits for `hello`.
    #[default]
    Connecting,
    /// Subscribed: events arrive as they commit.
    Live,
    /// No socket; a retry is scheduled.
    Offline,
    /// Subscribed, and refetching what is shown after a `RESYNC`.
    Resyncing,
}

impl Status {
    /// `connecting`, `live`, `offline` or `resyncing`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Connecting => "connecting",
            Status::Live => "live",
            Status::Offline => "offline",
            Status::Resyncing => "resyncing",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The machine's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// What to subscribe to.
    pub topics: Vec<Topic>,
    /// Time between the client's `HEARTBEAT`s; silence for twice this
    /// means the socket is dead.
    pub heartbeat: Millis,
    /// Delays between reconnects.
    pub backoff: Backoff,
    /// Refetch every query when the tab first gets a position (its data
    /// was loaded before the socket said `hello`, and events committed in
    /// between would otherwise show only when the data goes stale).
    pub refetch_on_first_connect: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            topics: vec![Topic::Users, Topic::Posts],
            heartbeat: 15_000,
            backoff: RECONNECT,
            refetch_on_first_connect: false,
        }
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Begin: open the first socket (or, following, take over).
    Start,
    /// Begin as a follower of the tab that holds the socket.
    Follow,
    /// The socket opened; `token` is the access token to present, if any.
    Opened { token: Option<String> },
    /// The session has a fresh access token: present it on the socket.
    Reauthenticate { token: String },
    /// The socket delivered a frame.
    Frame(ServerFrame),
    /// The socket delivered something that is not a server frame.
    BadFrame(String),
    /// The socket closed (or failed to open).
    Closed { code: u16, reason: String },
    /// The timer armed for [`Machine::next_deadline`] fired.
    Tick,
    /// The user (or the app) asks to reconnect at once.
    ReconnectNow,
    /// The browser says the network is back.
    Online,
    /// Another tab said something.
    Tab(TabMessage),
    /// The store could not read event `seq`'s payload.
    Unapplied { seq: u64 },
    /// The refetch of round `round` (see [`Command::RefetchAll`]) settled.
    RefetchSettled { round: u64 },
    /// Close for good: nothing happens after this.
    Stop,
}

/// What the host must do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Open a socket (dropping any other).
    Connect,
    /// Send a frame on the open socket.
    Send(ClientFrame),
    /// Close the socket, if any, and ignore anything it still says.
    Disconnect,
    /// Apply the event to the store (exactly once: the store ignores seqs
    /// it has passed); report [`Input::Unapplied`] if it cannot be read.
    Apply(Event),
    /// Invalidate these tags (observed queries refetch).
    Invalidate(Vec<Tag>),
    /// Set the store's last applied seq (a `RESYNC` may go backwards).
    ResetSeq(u64),
    /// Invalidate every query; report [`Input::RefetchSettled`] with
    /// `round` once the refetches it started have settled.
    RefetchAll { round: u64 },
    /// Post to the other tabs.
    Post(TabMessage),
    /// Show or settle another tab's optimistic layer.
    ForeignLayer { tab: String, change: LayerChange },
    /// Write `data` as `key`'s data, if this tab holds `key`.
    WriteQueryData { key: QueryKey, data: Value },
    /// Refresh the session's access token (the socket's expired or names
    /// an old role); the reconnect that follows signs in with the new one.
    RefreshSession,
    /// The session ended on the server (signed out, the user deleted):
    /// nothing more will come; send the user to sign in.
    SessionEnded,
    /// Log a warning.
    Warn(String),
}

/// Counters, for devtools and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Sockets opened.
    pub connects: u64,
    /// Events applied from this tab's socket.
    pub from_socket: u64,
    /// Events applied from other tabs.
    pub from_tabs: u64,
    /// Events dropped as duplicates or older seqs (either path).
    pub duplicates: u64,
    /// Other tabs' events left to this tab's socket (gap, epoch, topics).
    pub deferred: u64,
    /// Refetches of everything (`RESYNC`, unreadable events, first
    /// connect).
    pub resyncs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Not started.
    Idle,
    /// A socket is opening.
    Connecting,
    /// Open; `subscribed` once `hello` came and `subscribe` went.
    Open { subscribed: bool },
    /// No socket; the next one at `retry_at`.
    Waiting { retry_at: Millis },
    /// Following the leader tab, whose status is `leader` once heard.
    Following { leader: Option<Status> },
    /// Stopped for good.
    Stopped,
}

/// The socket manager's state; see the module docs.
pub struct Machine {
    config: Config,
    random: Box<dyn Random>,
    ledger: Ledger,
    phase: Phase,
    /// Failed attempts since the last stable connection.
    attempt: u32,
    /// When the current socket last said anything (or was asked for).
    heard_at: Millis,
    /// When the next client `HEARTBEAT` is due.
    ping_at: Millis,
    /// When the current socket subscribed.
    live_since: Option<Millis>,
    /// The current socket's subscription is known to be in force.
    proven: bool,
    /// The refetch round in progress, if any.
    refetching: Option<u64>,
    rounds: u64,
    stats: Stats,
    /// The socket's holder is elected among the tabs (this one began by
    /// following): as the holder, it tells the others its status.
    elected: bool,
}

impl std::fmt::Debug for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Machine")
            .field("phase", &self.phase)
            .field("position", &self.ledger.position())
            .field("attempt", &self.attempt)
            .field("refetching", &self.refetching)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Machine {
    /// A machine that has not started, at position `start` if the page
    /// knows the one its data reflects.
    pub fn new(config: Config, random: Box<dyn Random>, start: Option<Position>) -> Self {
        Self {
            config,
            random,
            ledger: Ledger::new(start),
            phase: Phase::Idle,
            attempt: 0,
            heard_at: 0,
            ping_at: 0,
            live_since: None,
            proven: false,
            refetching: None,
            rounds: 0,
            stats: Stats::default(),
            elected: false,
        }
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The status to show.
    pub fn status(&self) -> Status {
        match self.phase {
            Phase::Connecting | Phase::Open { subscribed: false } => Status::Connecting,
            Phase::Open { subscribed: true } if self.refetching.is_some() => Status::Resyncing,
            Phase::Open { subscribed: true } => Status::Live,
            Phase::Following { leader } => leader.unwrap_or(Status::Connecting),
            Phase::Idle | Phase::Waiting { .. } | Phase::Stopped => Status::Offline,
        }
    }

    /// Whether this tab holds (or is after) the browser's socket.
    fn leads(&self) -> bool {
        matches!(
            self.phase,
            Phase::Connecting | Phase::Open { .. } | Phase::Waiting { .. }
        )
    }

    /// The position: every event up to it (for this tab's topics) is
    /// applied or refetched.
    pub fn position(&self) -> Option<&Position> {
        self.ledger.position()
    }

    /// The position's seq (0 when none).
    pub fn last_seq(&self) -> u64 {
        self.ledger.seq()
    }

    /// When the next connect is scheduled, while offline.
    pub fn retry_at(&self) -> Option<Millis> {
        match self.phase {
            Phase::Waiting { retry_at } => Some(retry_at),
            _ => None,
        }
    }

    /// Failed attempts since the last stable connection.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Whether the machine was stopped.
    pub fn is_stopped(&self) -> bool {
        self.phase == Phase::Stopped
    }

    /// The earliest time [`Input::Tick`] has work, if any.
    pub fn next_deadline(&self) -> Option<Millis> {
        let silence = self.heard_at.saturating_add(self.dead_after());
        match self.phase {
            Phase::Waiting { retry_at } => Some(retry_at),
            Phase::Connecting => Some(silence),
            Phase::Open { .. } => Some(silence.min(self.ping_at)),
            Phase::Idle | Phase::Following { .. } | Phase::Stopped => None,
        }
    }

    fn dead_after(&self) -> Millis {
        self.config.heartbeat.saturating_mul(2)
    }

    /// Takes in `input` at time `now`; returns what to do, in order.
    pub fn handle(&mut self, now: Millis, input: Input) -> Vec<Command> {
        let mut out = Vec::new();
        if self.phase == Phase::Stopped {
            return out;
        }
        let shown = self.status();
        self.input(now, input, &mut out);
        if self.elected && self.leads() && self.status() != shown {
            self.announce(&mut out);
        }
        out
    }

    fn input(&mut self, now: Millis, input: Input, out: &mut Vec<Command>) {
        match input {
            Input::Start => {
                if matches!(
                    self.phase,
                    Phase::Idle | Phase::Waiting { .. } | Phase::Following { .. }
                ) {
                    self.connect(now, out);
                }
            }
            Input::Follow => {
                if self.phase == Phase::Idle {
                    self.elected = true;
                    self.phase = Phase::Following { leader: None };
                    out.push(Command::Post(TabMessage::Join));
                }
            }
            Input::Opened { token } => {
                if self.phase == Phase::Connecting {
                    self.phase = Phase::Open { subscribed: false };
                    self.heard_at = now;
                    self.ping_at = now.saturating_add(self.config.heartbeat);
                    if let Some(token) = token {
                        out.push(Command::Send(ClientFrame::Auth { token }));
                    }
                }
            }
            Input::Reauthenticate { token } => {
                if matches!(self.phase, Phase::Open { .. }) {
                    out.push(Command::Send(ClientFrame::Auth { token }));
                }
            }
            Input::Frame(frame) => self.frame(now, frame, out),
            Input::BadFrame(text) => {
                if matches!(self.phase, Phase::Open { .. }) {
                    self.heard_at = now;
                    out.push(Command::Warn(format!("unreadable realtime frame: {text}")));
                }
            }
            Input::Closed { code, reason } => {
                if matches!(self.phase, Phase::Connecting | Phase::Open { .. }) {
                    let why = format!("realtime socket closed ({code} {reason})");
                    match code {
                        close_code::SESSION_ENDED => {
                            out.push(Command::Disconnect);
                            out.push(Command::Warn(why));
                            out.push(Command::SessionEnded);
                            self.phase = Phase::Stopped;
                        }
                        close_code::TOKEN_EXPIRED | close_code::ROLE_CHANGED => {
                            out.push(Command::RefreshSession);
                            self.fail(now, why, out);
                        }
                        _ => self.fail(now, why, out),
                    }
                }
            }
            Input::Tick => self.tick(now, out),
            Input::ReconnectNow if matches!(self.phase, Phase::Following { .. }) => {}
            Input::ReconnectNow => {
                if matches!(self.phase, Phase::Connecting | Phase::Open { .. }) {
                    out.push(Command::Disconnect);
                }
                self.attempt = 0;
                self.connect(now, out);
            }
            Input::Online => {
                if matches!(self.phase, Phase::Waiting { .. }) {
                    self.connect(now, out);
                }
            }
            Input::Tab(message) => self.tab(message, out),
            Input::Unapplied { seq } => {
                out.push(Command::Warn(format!(
                    "event {seq} could not be applied; refetching what is shown"
                )));
                self.refetch_all(out);
            }
            Input::RefetchSettled { round } => {
                if self.refetching == Some(round) {
                    self.refetching = None;
                }
            }
            Input::Stop => {
                if matches!(self.phase, Phase::Connecting | Phase::Open { .. }) {
                    out.push(Command::Disconnect);
                }
                self.phase = Phase::Stopped;
            }
        }
    }

    /// Tells the followers this tab's status and position.
    fn announce(&self, out: &mut Vec<Command>) {
        out.push(Command::Post(TabMessage::Leader {
            status: self.status(),
            epoch: self.ledger.epoch().map(str::to_owned),
            seq: self.ledger.seq(),
        }));
    }

    fn connect(&mut self, now: Millis, out: &mut Vec<Command>) {
        self.phase = Phase::Connecting;
        self.heard_at = now;
        self.live_since = None;
        self.proven = false;
        self.stats.connects += 1;
        out.push(Command::Connect);
    }

    /// The socket is gone or taken as dead: schedule the next one.
    fn fail(&mut self, now: Millis, why: String, out: &mut Vec<Command>) {
        let stable = self
            .live_since
            .is_some_and(|since| now.saturating_sub(since) >= self.config.heartbeat);
        if stable {
            self.attempt = 0;
        }
        let delay = self
            .config
            .backoff
            .delay(self.attempt, self.random.next_unit());
        self.attempt = self.attempt.saturating_add(1);
        self.phase = Phase::Waiting {
            retry_at: now.saturating_add(delay),
        };
        self.live_since = None;
        self.proven = false;
        out.push(Command::Disconnect);
        out.push(Command::Warn(format!("{why}; retrying in {delay} ms")));
    }

    fn tick(&mut self, now: Millis, out: &mut Vec<Command>) {
        match self.phase {
            Phase::Waiting { retry_at } if retry_at <= now => self.connect(now, out),
            Phase::Connecting | Phase::Open { .. }
                if self.heard_at.saturating_add(self.dead_after()) <= now =>
            {
                let why = format!("no realtime frame for {} ms", now - self.heard_at);
                self.fail(now, why, out);
            }
            Phase::Open { .. } if self.ping_at <= now => {
                self.ping_at = now.saturating_add(self.config.heartbeat);
                out.push(Command::Send(ClientFrame::Heartbeat));
            }
            _ => {}
        }
    }

    fn frame(&mut self, now: Millis, frame: ServerFrame, out: &mut Vec<Command>) {
        let Phase::Open { subscribed } = self.phase else {
            return;
        };
        self.heard_at = now;
        match frame {
            ServerFrame::Hello { epoch, seq } => {
                if subscribed {
                    out.push(Command::Warn("a second hello was ignored".into()));
                    return;
                }
                let resume = self.ledger.resume(&epoch, seq);
                out.push(Command::Send(ClientFrame::Subscribe {
                    topics: self.config.topics.clone(),
                    since: resume.since,
                    epoch: resume.epoch,
                }));
                self.phase = Phase::Open { subscribed: true };
                self.live_since = Some(now);
                if resume.fresh && self.config.refetch_on_first_connect {
                    self.refetch_all(out);
                }
            }
            ServerFrame::Event(event) if subscribed => {
                self.proven = true;
                let after = self.ledger.seq();
                if !self.ledger.socket_event(event.seq) {
                    self.stats.duplicates += 1;
                    return;
                }
                self.stats.from_socket += 1;
                let epoch = self.ledger.epoch().unwrap_or_default().to_owned();
                self.apply(event.clone(), out);
                out.push(Command::Post(TabMessage::Event {
                    epoch,
                    after,
                    topics: self.config.topics.clone(),
                    event,
                }));
            }
            ServerFrame::Heartbeat { seq } if subscribed && self.proven => {
                let after = self.ledger.seq();
                if self.ledger.advance_to(seq) {
                    out.push(Command::Post(TabMessage::Position {
                        epoch: self.ledger.epoch().unwrap_or_default().to_owned(),
                        after,
                        seq,
                        topics: self.config.topics.clone(),
                    }));
                }
            }
            ServerFrame::Resync { epoch, seq } if subscribed => {
                self.proven = true;
                self.resync(&epoch, seq, out);
                out.push(Command::Post(TabMessage::Resync { epoch, seq }));
            }
            ServerFrame::Error { code, message } => {
                out.push(Command::Warn(format!("realtime error {code}: {message}")));
            }
            // Before `subscribe` nothing is of this stream yet; a heartbeat
            // before the stream is proven may carry the log's head.
            ServerFrame::Event(_) | ServerFrame::Heartbeat { .. } | ServerFrame::Resync { .. } => {}
        }
    }

    fn tab(&mut self, message: TabMessage, out: &mut Vec<Command>) {
        match message {
            TabMessage::Event {
                epoch,
                after,
                topics,
                event,
            } => {
                let covered = covers(&topics, &self.config.topics);
                match self.ledger.take_from_tab(&epoch, after, event.seq, covered) {
                    TabVerdict::Take { fresh } => {
                        self.stats.from_tabs += 1;
                        self.apply(event, out);
                        self.first_position(fresh, out);
                    }
                    TabVerdict::Skip(Skip::Duplicate) => self.stats.duplicates += 1,
                    TabVerdict::Skip(Skip::Gap | Skip::ForeignEpoch) if self.follows() => {
                        self.catch_up(&epoch, event.seq, out)
                    }
                    TabVerdict::Skip(_) => self.stats.deferred += 1,
                }
            }
            TabMessage::Position {
                epoch,
                after,
                seq,
                topics,
            } => {
                let covered = covers(&topics, &self.config.topics);
                match self.ledger.take_from_tab(&epoch, after, seq, covered) {
                    TabVerdict::Take { fresh } => self.first_position(fresh, out),
                    TabVerdict::Skip(Skip::Gap | Skip::ForeignEpoch) if self.follows() => {
                        self.catch_up(&epoch, seq, out)
                    }
                    TabVerdict::Skip(_) => {}
                }
            }
            TabMessage::Resync { epoch, seq } => {
                // A live tab follows its own socket.
                let live = self.phase == Phase::Open { subscribed: true };
                if !live && self.ledger.is_before(&epoch, seq) {
                    self.resync(&epoch, seq, out);
                }
            }
            TabMessage::QueryData { key, data } => {
                out.push(Command::WriteQueryData { key, data });
            }
            TabMessage::Invalidate { tags } => out.push(Command::Invalidate(tags)),
            TabMessage::Layer { tab, change } => out.push(Command::ForeignLayer { tab, change }),
            TabMessage::Join => {
                if self.elected && self.leads() {
                    self.announce(out);
                }
            }
            TabMessage::Leader { status, epoch, seq } => {
                if let Phase::Following { leader } = &mut self.phase {
                    *leader = Some(status);
                    if let Some(epoch) = epoch {
                        self.catch_up(&epoch, seq, out);
                    }
                }
            }
        }
    }

    fn follows(&self) -> bool {
        matches!(self.phase, Phase::Following { .. })
    }

    /// A follower behind the leader's `(epoch, seq)` refetches what it
    /// shows and stands there.
    fn catch_up(&mut self, epoch: &str, seq: u64, out: &mut Vec<Command>) {
        if self.ledger.is_before(epoch, seq) {
            self.resync(epoch, seq, out);
        }
    }

    fn first_position(&mut self, fresh: bool, out: &mut Vec<Command>) {
        if fresh && self.config.refetch_on_first_connect {
            self.refetch_all(out);
        }
    }

    fn apply(&mut self, event: Event, out: &mut Vec<Command>) {
        out.push(Command::Apply(event));
    }

    fn resync(&mut self, epoch: &str, seq: u64, out: &mut Vec<Command>) {
        self.ledger.resync(epoch, seq);
        out.push(Command::ResetSeq(seq));
        self.refetch_all(out);
    }

    fn refetch_all(&mut self, out: &mut Vec<Command>) {
        self.rounds += 1;
        self.refetching = Some(self.rounds);
        self.stats.resyncs += 1;
        out.push(Command::RefetchAll { round: self.rounds });
    }
}
