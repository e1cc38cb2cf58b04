//! One task per socket: signs it in, says `hello`, reads the client's
//! frames, and streams the log to it.
//!
//! The task keeps only a position in the log. Whenever the hub's head
//! moves past it, the task takes the events after its position from the
//! hub's in-memory tail (frames encoded once for every socket) and sends
//! those its subscription wants. A socket that fell behind the tail reads
//! the `events` table instead, a bounded batch at a time, until it is back
//! inside; if retention pruned what it needed, it is told to `RESYNC`.
//! Nothing is queued per socket, and every send has a deadline
//! ([`SocketSettings::send_timeout`]): a client that does not read its
//! frames in time is dropped (it reconnects and resumes from its seq), so
//! a client that never reads costs the server one frame's buffer.
//!
//! A socket serves one signed-in user. One authenticated at the upgrade
//! (Bearer or access cookie) arrives signed in; any other must send
//! `{"type":"auth","token":...}` first, within
//! [`SocketSettings::auth_deadline`]. Signing in checks the store (the
//! user exists with the token's role, the session was not signed out) and
//! takes a seat (see [`super::sessions`]) within the user's and the
//! server's socket limits. Refusals are an `error` frame and a close with
//! 1008. A socket lives as long as its access token: a later `auth` frame
//! with a fresh token of the same user extends it; otherwise the socket is
//! closed with `TOKEN_EXPIRED`. Sign-out, deletion and a role change close
//! it with `SESSION_ENDED` or `ROLE_CHANGED` (see
//! `tidings::protocol::close_code`).
//!
//! `subscribe` frames are rate-limited; a frame over
//! `tidings::protocol::MAX_CLIENT_FRAME` bytes closes the socket with 1009.
//! On shutdown every socket gets a close frame with code 1001 (going
//! away). A socket whose log read fails gets an `error` frame
//! (`unavailable`) and a close with 1011.

use std::time::Duration;

use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket};
use futures::stream::{SplitSink, SplitStream};
use futures::{FutureExt, SinkExt, StreamExt};
use tidings::protocol::close_code as app_close;
use tokio::sync::watch;
use tokio::time::{interval_at, sleep_until, Instant, MissedTickBehavior};

use super::counters::{Closed, Refused, SocketOpen};
use super::hub::{Hub, Shutdown};
use super::protocol::{decode, encode, error_code, ClientFrame, Incoming, ServerFrame};
use super::sessions::{Seat, SessionEnd, SocketLimits};
use super::subscription::Subscription;
use super::tail::TailRead;
use crate::auth::token::Grant;
use crate::auth::{now_secs, Auth};
use crate::config::Config;
use crate::db::Db;
use crate::error::ApiError;

/// How long a closing socket waits for the client's close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// A token bucket for `subscribe` frames: `burst` at once, then one every
/// `every`.
#[derive(Debug, Clone, Copy)]
pub struct SubscribeRate {
    pub burst: u32,
    pub every: Duration,
}

/// Tuning of the socket tasks.
#[derive(Debug, Clone, Copy)]
pub struct SocketSettings {
    /// Time between the server's `HEARTBEAT` frames.
    pub heartbeat: Duration,
    /// Most events read from the log, or sent, at once.
    pub batch: u32,
    /// Longest wait for the client to take one batch of frames.
    pub send_timeout: Duration,
    /// How long a socket not signed in at the upgrade waits for `auth`.
    pub auth_deadline: Duration,
    pub limits: SocketLimits,
    pub subscribes: SubscribeRate,
}

impl SocketSettings {
    /// The settings `config` names, the rest left at their defaults.
    pub fn from_config(config: &Config) -> Self {
        let ms = |n: u64| std::time::Duration::from_millis(n.max(1));
        Self {
            heartbeat: ms(config.heartbeat_ms),
            batch: config.events_batch.max(1),
            send_timeout: ms(config.socket_send_timeout_ms),
            auth_deadline: ms(config.socket_auth_deadline_ms),
            limits: SocketLimits {
                per_user: config.sockets_per_user.max(1),
                total: config.sockets_total.max(1),
            },
            ..Default::default()
        }
    }
}

impl Default for SocketSettings {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(25),
            batch: 500,
            send_timeout: Duration::from_secs(10),
            auth_deadline: Duration::from_secs(10),
            limits: SocketLimits::default(),
            subscribes: SubscribeRate {
                burst: 20,
                every: Duration::from_millis(200),
            },
        }
    }
}

/// Why a socket task stops.
enum End {
    /// The client went away (or the connection broke).
    Gone,
    /// The client sent a close frame.
    ClosedByClient,
    /// The server is shutting down.
    Shutdown,
    /// The log could not be read.
    Unavailable(ApiError),
    /// The client did not sign in, or may not; says why.
    Refused(Refused, &'static str, String),
    /// The client sent a frame over the size limit.
    TooLarge,
    /// The access token expired without a fresh `auth`.
    Expired,
    /// The session ended.
    Ended(SessionEnd),
    /// A send missed its deadline.
    TooSlow,
}

type Sink = SplitSink<WebSocket, Message>;
type Stream = SplitStream<WebSocket>;

/// The signed-in socket: its credentials and its seat.
struct Signed {
    seat: Seat,
    /// When the token it holds expires.
    expires: Instant,
}

/// The sending half of a socket with its subscription.
struct Connection {
    sink: Sink,
    db: Db,
    hub: Hub,
    auth: Auth,
    settings: SocketSettings,
    epoch: String,
    sub: Subscription,
    /// `subscribe` frames the bucket holds, and when it was last filled.
    subscribe_tokens: (f64, Instant),
    /// This socket's share of the hub's counters.
    counters: SocketOpen,
}

/// What woke the task.
enum Step {
    Shutdown,
    Ended(SessionEnd),
    Expired,
    Incoming(Option<Result<Message, axum::Error>>),
    Heartbeat,
    CatchUp,
    HeadMoved,
}

/// Signs in a socket whose upgrade carried `grant`: checks the store and
/// takes a seat. The refusal is the HTTP answer to the upgrade.
pub async fn admit_upgrade(
    db: &Db,
    hub: &Hub,
    grant: Grant,
    settings: &SocketSettings,
) -> Result<Seat, ApiError> {
    admit(db, hub, grant, settings)
        .await
        .map_err(|(why, code, message)| {
            hub.counters().refused(why);
            match code {
                error_code::TOO_MANY_SOCKETS => ApiError::TooManySockets(message),
                _ => ApiError::Unauthorized(message),
            }
        })
}

/// Checks `grant` against the store and takes a seat for it.
async fn admit(
    db: &Db,
    hub: &Hub,
    grant: Grant,
    settings: &SocketSettings,
) -> Result<Seat, (Refused, &'static str, String)> {
    let current = db
        .session_is_current(grant.actor.id, grant.actor.role, grant.session)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "checking a socket's session failed");
            (
                Refused::Unauthorized,
                error_code::UNAUTHORIZED,
                "the session could not be checked; reconnect".to_owned(),
            )
        })?;
    if !current {
        return Err((
            Refused::Unauthorized,
            error_code::UNAUTHORIZED,
            "this session has ended or the account changed: refresh the token and reconnect".into(),
        ));
    }
    hub.sessions()
        .admit(
            grant.actor.id,
            grant.actor.role,
            grant.session,
            settings.limits,
        )
        .map_err(|refusal| {
            let why = match refusal {
                super::sessions::Refusal::PerUser(_) => Refused::SocketsPerUser,
                super::sessions::Refusal::Total(_) => Refused::SocketsTotal,
            };
            (why, error_code::TOO_MANY_SOCKETS, refusal.message())
        })
}

fn expiry(expires_at: i64) -> Instant {
    let left = expires_at.saturating_sub(now_secs()).max(0) as u64;
    Instant::now() + Duration::from_secs(left)
}

/// Serves one upgraded socket until the client leaves, its session ends
/// or the server shuts down. `signed_in`: the upgrade was authenticated
/// (its grant and seat); otherwise the first frame must be `auth`.
pub async fn serve(
    socket: WebSocket,
    db: Db,
    hub: Hub,
    settings: SocketSettings,
    auth: Auth,
    signed_in: Option<(Grant, Seat)>,
) {
    // Held until this task ends: shutdown waits for it.
    let mut shutdown = hub.shutdown_ticket();
    let mut head = hub.watch_head();
    let (sink, mut stream) = socket.split();
    let mut conn = Connection {
        sink,
        db,
        hub: hub.clone(),
        auth,
        settings,
        epoch: String::new(),
        sub: Subscription::default(),
        subscribe_tokens: (f64::from(settings.subscribes.burst), Instant::now()),
        counters: hub.counters().socket_opened(),
    };
    let admitted = match signed_in {
        Some((grant, seat)) => Ok(Signed {
            seat,
            expires: expiry(grant.expires_at),
        }),
        None => conn.await_token(&mut stream, &mut shutdown).await,
    };
    let end = match admitted {
        Err(end) => end,
        Ok(mut signed) => {
            let now = *head.borrow_and_update();
            match conn.hello(now).await {
                Err(end) => end,
                Ok(()) => {
                    conn.serve_frames(&mut signed, &mut stream, &mut shutdown, &mut head)
                        .await
                }
            }
        }
    };
    conn.finish(end, &mut stream).await;
}

impl Connection {
    /// Waits for the first frame of a socket not authenticated at the
    /// upgrade: signed in for an `auth` frame with a valid token whose
    /// session stands, within the limits.
    async fn await_token(
        &mut self,
        stream: &mut Stream,
        shutdown: &mut Shutdown,
    ) -> Result<Signed, End> {
        let deadline = Instant::now() + self.settings.auth_deadline;
        loop {
            let next = tokio::select! {
                biased;
                () = shutdown.requested() => return Err(End::Shutdown),
                next = tokio::time::timeout_at(deadline, stream.next()) => next,
            };
            let message =
                match next {
                    Err(_) => return Err(End::Refused(
                        Refused::AuthDeadline,
                        error_code::UNAUTHORIZED,
                        "no auth frame came in time; send {\"type\":\"auth\",\"token\":...} first"
                            .into(),
                    )),
                    Ok(None | Some(Err(_))) => return Err(End::Gone),
                    Ok(Some(Ok(message))) => message,
                };
            let not_signed_in = || {
                End::Refused(
                    Refused::Unauthorized,
                    error_code::UNAUTHORIZED,
                    "sign in first: send {\"type\":\"auth\",\"token\":\"<access token>\"}".into(),
                )
            };
            return match decode(message) {
                Incoming::Ignored => continue,
                Incoming::Closed => Err(End::ClosedByClient),
                Incoming::TooLarge => Err(End::TooLarge),
                Incoming::Frame(ClientFrame::Auth { token }) => {
                    let grant = self.auth.grant(&token).map_err(|e| {
                        End::Refused(
                            Refused::Unauthorized,
                            error_code::UNAUTHORIZED,
                            e.info().message,
                        )
                    })?;
                    let seat = admit(&self.db, &self.hub, grant, &self.settings)
                        .await
                        .map_err(|(why, code, message)| End::Refused(why, code, message))?;
                    Ok(Signed {
                        seat,
                        expires: expiry(grant.expires_at),
                    })
                }
                Incoming::Frame(_) | Incoming::Refused(_) => Err(not_signed_in()),
            };
        }
    }

    /// The socket's life after `hello`: returns why it ends.
    async fn serve_frames(
        &mut self,
        signed: &mut Signed,
        stream: &mut Stream,
        shutdown: &mut Shutdown,
        head: &mut watch::Receiver<u64>,
    ) -> End {
        let period = self.settings.heartbeat.max(Duration::from_millis(1));
        let mut heartbeat = interval_at(Instant::now() + period, period);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let Signed { seat, expires } = signed;
        let seat: &Seat = seat;
        // Waits that last the socket's life are made once: registering a
        // waiter on every turn would cost every socket a lock per event.
        // Fused: the wrapper below may poll `stopping` again after the
        // first select saw it finish.
        let stopping = shutdown.requested().fuse();
        tokio::pin!(stopping);
        let ended = seat.ended().fuse();
        tokio::pin!(ended);
        // One timer for the token's life, moved when a fresh `auth` comes.
        let expiry = sleep_until(*expires);
        tokio::pin!(expiry);
        loop {
            if expiry.deadline() != *expires {
                expiry.as_mut().reset(*expires);
            }
            let target = *head.borrow_and_update();
            let behind = self.sub.is_behind(target);
            let step = tokio::select! {
                biased;
                () = &mut stopping => Step::Shutdown,
                why = &mut ended => Step::Ended(why),
                () = &mut expiry => Step::Expired,
                message = stream.next() => Step::Incoming(message),
                _ = heartbeat.tick() => Step::Heartbeat,
                () = std::future::ready(()), if behind => Step::CatchUp,
                moved = head.changed() => match moved {
                    Ok(()) => Step::HeadMoved,
                    // The store is gone: nothing more will come.
                    Err(_) => Step::Shutdown,
                },
            };
            let work = async {
                match step {
                    Step::Shutdown => Err(End::Shutdown),
                    Step::Ended(why) => Err(End::Ended(why)),
                    Step::Expired => Err(End::Expired),
                    Step::Incoming(None | Some(Err(_))) => Err(End::Gone),
                    Step::Incoming(Some(Ok(message))) => match decode(message) {
                        Incoming::Frame(frame) => self.handle(frame, target, seat, expires).await,
                        Incoming::Refused(error) => self.send(&error).await,
                        Incoming::TooLarge => Err(End::TooLarge),
                        Incoming::Closed => Err(End::ClosedByClient),
                        Incoming::Ignored => Ok(()),
                    },
                    Step::Heartbeat => self.heartbeat(target).await,
                    Step::CatchUp => self.catch_up(target).await,
                    Step::HeadMoved => Ok(()),
                }
            };
            // Shutdown never waits for a slow reader to take a frame.
            let outcome = tokio::select! {
                biased;
                () = &mut stopping => Err(End::Shutdown),
                outcome = work => outcome,
            };
            if let Err(end) = outcome {
                return end;
            }
        }
    }

    /// Reads the log's identity and says `hello`.
    async fn hello(&mut self, head: u64) -> Result<(), End> {
        let log = self
            .db
            .log_state()
            .await
            .map_err(|e| End::Unavailable(e.into()))?;
        self.epoch = log.epoch.clone();
        self.send(&ServerFrame::Hello {
            epoch: log.epoch,
            seq: head.max(log.head),
        })
        .await
    }

    /// Sends one frame within the deadline.
    async fn send(&mut self, frame: &ServerFrame) -> Result<(), End> {
        self.send_message(encode(frame)).await
    }

    async fn send_message(&mut self, message: Message) -> Result<(), End> {
        match tokio::time::timeout(self.settings.send_timeout, self.sink.send(message)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(End::Gone),
            Err(_) => Err(End::TooSlow),
        }
    }

    /// Acts on one client frame. `head` is the newest committed seq.
    async fn handle(
        &mut self,
        frame: ClientFrame,
        head: u64,
        seat: &Seat,
        expires: &mut Instant,
    ) -> Result<(), End> {
        match frame {
            ClientFrame::Auth { token } => self.reauthenticate(&token, seat, expires).await,
            ClientFrame::Subscribe {
                topics,
                since,
                epoch,
            } => {
                if !self.take_subscribe_token() {
                    self.hub.counters().refused(Refused::SubscribeRate);
                    return self
                        .send(&ServerFrame::error(
                            error_code::RATE_LIMITED,
                            "too many subscribe frames; this one changed nothing, send it again \
                             in a moment",
                        ))
                        .await;
                }
                let mut log = self
                    .db
                    .log_state()
                    .await
                    .map_err(|e| End::Unavailable(e.into()))?;
                log.head = log.head.max(head);
                match self.sub.subscribe(topics, since, epoch.as_deref(), &log) {
                    Ok(None) => Ok(()),
                    Ok(Some(resync)) => self.send(&resync).await,
                    Err(error) => self.send(&error).await,
                }
            }
            ClientFrame::Unsubscribe { topics } => {
                self.sub.unsubscribe(&topics);
                Ok(())
            }
            ClientFrame::Heartbeat => self.heartbeat(head).await,
        }
    }

    /// A fresh `auth` frame: a valid token of the same user whose session
    /// stands extends the socket's life; anything else is refused and
    /// changes nothing.
    async fn reauthenticate(
        &mut self,
        token: &str,
        seat: &Seat,
        expires: &mut Instant,
    ) -> Result<(), End> {
        let grant = match self.auth.grant(token) {
            Ok(grant) if grant.actor.id == seat.user() => grant,
            Ok(_) => {
                return self
                    .send(&ServerFrame::error(
                        error_code::UNAUTHORIZED,
                        "this socket serves the user it signed in as; open another for \
                         another user",
                    ))
                    .await
            }
            Err(e) => {
                return self
                    .send(&ServerFrame::error(
                        error_code::UNAUTHORIZED,
                        e.info().message,
                    ))
                    .await
            }
        };
        let current = self
            .db
            .session_is_current(grant.actor.id, grant.actor.role, grant.session)
            .await
            .map_err(End::Unavailable)?;
        if !current {
            return self
                .send(&ServerFrame::error(
                    error_code::UNAUTHORIZED,
                    "this session has ended or the account changed",
                ))
                .await;
        }
        seat.renew(grant.actor.role, grant.session);
        *expires = expiry(grant.expires_at);
        Ok(())
    }

    /// Takes one token from the `subscribe` bucket, if it holds one.
    fn take_subscribe_token(&mut self) -> bool {
        let rate = self.settings.subscribes;
        let (tokens, filled) = &mut self.subscribe_tokens;
        let now = Instant::now();
        let every = rate.every.as_secs_f64().max(f64::EPSILON);
        *tokens = (*tokens + now.duration_since(*filled).as_secs_f64() / every)
            .min(f64::from(rate.burst));
        *filled = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// `HEARTBEAT` with the stream's position (the head before the first
    /// subscribe).
    async fn heartbeat(&mut self, head: u64) -> Result<(), End> {
        let seq = self.sub.position().unwrap_or(head);
        self.send(&ServerFrame::Heartbeat { seq }).await
    }

    /// Sends the next events after the position, up to `head`: from the
    /// tail, or from the table when the position is behind it.
    async fn catch_up(&mut self, head: u64) -> Result<(), End> {
        let Some(position) = self.sub.position() else {
            return Ok(());
        };
        if self.sub.topics().is_empty() {
            self.sub.advance_to(head);
            return Ok(());
        }
        let read = self
            .hub
            .tail()
            .read_after(position, self.settings.batch as usize);
        match read {
            TailRead::Served { events, through } => {
                let full = events.len() >= self.settings.batch as usize;
                let frames: Vec<Message> = events
                    .iter()
                    .filter(|e| e.wanted_by(self.sub.topics()))
                    .map(|e| Message::Text(e.frame()))
                    .collect();
                self.send_batch(frames).await?;
                self.sub.advance_to(through);
                // A full batch that still ends short of the head: more
                // than one batch behind.
                self.counters.read(full && self.sub.is_behind(head));
                Ok(())
            }
            TailRead::Behind => self.catch_up_from_table(position, head).await,
        }
    }

    /// Sends `frames` and flushes them, all within one deadline.
    async fn send_batch(&mut self, frames: Vec<Message>) -> Result<(), End> {
        if frames.is_empty() {
            return Ok(());
        }
        let sent = frames.len() as u64;
        let sink = &mut self.sink;
        let sending = async move {
            for frame in frames {
                sink.feed(frame).await?;
            }
            sink.flush().await
        };
        match tokio::time::timeout(self.settings.send_timeout, sending).await {
            Ok(Ok(())) => {
                self.counters.delivered(sent);
                Ok(())
            }
            Ok(Err(_)) => Err(End::Gone),
            Err(_) => Err(End::TooSlow),
        }
    }

    /// One batch of the table after `position`, up to `head`.
    async fn catch_up_from_table(&mut self, position: u64, head: u64) -> Result<(), End> {
        self.counters.table_read();
        let batch = self
            .db
            .read_events(position, head, self.sub.topics(), self.settings.batch)
            .await
            .map_err(End::Unavailable)?;
        if batch.floor > position + 1 {
            // Retention removed events this socket had not read yet.
            let resync = self.sub.resync_to(head, &self.epoch);
            self.counters.resynced();
            return self.send(&resync).await;
        }
        let complete = batch.events.len() < self.settings.batch as usize;
        let last = batch.events.last().map(|e| e.seq);
        let frames = batch
            .events
            .into_iter()
            .inspect(|e| debug_assert!(self.sub.topics().matches(e), "seq {}", e.seq))
            .map(|e| encode(&ServerFrame::Event(e)))
            .collect();
        self.send_batch(frames).await?;
        if let Some(last) = last {
            self.sub.advance_to(last);
        }
        if complete {
            // Nothing else up to `head` matches.
            self.sub.advance_to(head);
        }
        // A full batch that still ends short of the head: more than one
        // batch behind.
        self.counters.read(!complete && self.sub.is_behind(head));
        Ok(())
    }

    /// Says why the socket ends, as the protocol documents, and closes it.
    async fn finish(&mut self, end: End, stream: &mut Stream) {
        let counters = self.hub.counters().clone();
        match end {
            End::Gone => {}
            End::ClosedByClient => {
                // Completes the close handshake the client started.
                let _ = self.sink.close().await;
            }
            End::Shutdown => {
                self.close(close_code::AWAY, "server shutting down", stream)
                    .await
            }
            End::Unavailable(error) => {
                tracing::error!(%error, "realtime socket cannot read the event log");
                let _ = self
                    .send(&ServerFrame::error(
                        error_code::UNAVAILABLE,
                        "the event log cannot be read; reconnect and resume",
                    ))
                    .await;
                self.close(close_code::ERROR, "event log unavailable", stream)
                    .await;
            }
            End::Refused(why, code, message) => {
                counters.refused(why);
                let _ = self.send(&ServerFrame::error(code, message)).await;
                let reason = if code == error_code::TOO_MANY_SOCKETS {
                    "too many sockets"
                } else {
                    "unauthorized"
                };
                self.close(close_code::POLICY, reason, stream).await;
            }
            End::TooLarge => {
                counters.refused(Refused::FrameTooLarge);
                let _ = self
                    .send(&ServerFrame::error(
                        error_code::FRAME_TOO_LARGE,
                        format!(
                            "frames may be at most {} bytes",
                            tidings::protocol::MAX_CLIENT_FRAME
                        ),
                    ))
                    .await;
                self.close(close_code::SIZE, "frame too large", stream)
                    .await;
            }
            End::Expired => {
                counters.closed(Closed::TokenExpired);
                self.close(
                    app_close::TOKEN_EXPIRED,
                    "access token expired: refresh, reconnect and resume",
                    stream,
                )
                .await;
            }
            End::Ended(why) => {
                let (closed, code, reason) = match why {
                    SessionEnd::SignedOut => {
                        (Closed::SignedOut, app_close::SESSION_ENDED, "signed out")
                    }
                    SessionEnd::Deleted => {
                        (Closed::Deleted, app_close::SESSION_ENDED, "account deleted")
                    }
                    SessionEnd::RoleChanged => (
                        Closed::RoleChanged,
                        app_close::ROLE_CHANGED,
                        "role changed: refresh, reconnect and resume",
                    ),
                };
                counters.closed(closed);
                self.close(code, reason, stream).await;
            }
            End::TooSlow => {
                // The client is not reading: a close frame would wait
                // behind what it has not read. Dropping the socket ends
                // the connection.
                counters.closed(Closed::TooSlow);
            }
        }
    }

    /// Sends a close frame and waits, briefly, for the client's.
    async fn close(&mut self, code: u16, reason: &'static str, stream: &mut Stream) {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        if self
            .send_message(Message::Close(Some(frame)))
            .await
            .is_err()
        {
            return;
        }
        let _ = tokio::time::timeout(CLOSE_GRACE, async {
            while let Some(Ok(_)) = stream.next().await {}
        })
        .await;
    }
}
