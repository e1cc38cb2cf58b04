//! One task per socket: says `hello`, reads the client's frames, and
//! streams the log to it.
//!
//! The task keeps only a position in the log. Whenever the hub says the
//! head moved past it, the task reads the `events` table after its
//! position, a bounded batch at a time, and sends what the subscription
//! wants; sending waits for the client (WebSocket backpressure), so a slow
//! reader just reads later from the table and nothing piles up in memory.
//! If retention prunes the log past a slow reader, it is told to `RESYNC`.
//! The task keeps the hub's counters (see [`super::counters`]): it is an
//! open socket for its whole life, counts the events it flushes, and
//! reports a read that came back full short of the head (more than one
//! batch behind) and a `RESYNC` sent mid-stream as lagging.
//!
//! A socket serves a signed-in user only: one authenticated at the
//! upgrade (Bearer or access cookie) is greeted at once; any other must
//! send `{"type":"auth","token":...}` first, within [`AUTH_DEADLINE`].
//! Anything else first (a bad token included) is answered with an `error`
//! frame (`unauthorized`) and a close with 1008 (policy violation). A
//! later `auth` frame with a bad token is answered `unauthorized` and
//! changes nothing. A signed-in socket may read every topic.
//!
//! On shutdown every socket gets a close frame with code 1001 (going
//! away). A socket whose log read fails gets an `error` frame
//! (`unavailable`) and a close with 1011; the client reconnects and
//! resumes from its last seq.

use std::time::Duration;

use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use tokio::sync::watch;
use tokio::time::{interval_at, Instant, MissedTickBehavior};

use super::counters::SocketOpen;
use super::hub::Shutdown;
use super::protocol::{decode, encode, error_code, ClientFrame, Incoming, ServerFrame};
use super::subscription::Subscription;
use crate::auth::Auth;
use crate::db::Db;
use crate::error::ApiError;

/// How long a closing socket waits for the client's close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// How long a socket not authenticated at the upgrade waits for its
/// `auth` frame.
pub const AUTH_DEADLINE: Duration = Duration::from_secs(10);

/// Tuning of the socket tasks.
#[derive(Debug, Clone, Copy)]
pub struct SocketSettings {
    /// Time between the server's `HEARTBEAT` frames.
    pub heartbeat: Duration,
    /// Most events read from the log at once.
    pub batch: u32,
}

impl Default for SocketSettings {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(25),
            batch: 500,
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
    /// The client did not authenticate; says why.
    Unauthorized(String),
}

type Sink = SplitSink<WebSocket, Message>;
type Stream = SplitStream<WebSocket>;

/// The sending half of a socket with its subscription.
struct Connection {
    sink: Sink,
    db: Db,
    auth: Auth,
    settings: SocketSettings,
    epoch: String,
    sub: Subscription,
    /// This socket's share of the hub's counters.
    counters: SocketOpen,
}

/// What woke the task.
enum Step {
    Shutdown,
    Incoming(Option<Result<Message, axum::Error>>),
    Heartbeat,
    CatchUp,
    HeadMoved,
}

/// Serves one upgraded socket until the client leaves or the server shuts
/// down. `signed_in`: the upgrade request was authenticated; otherwise
/// the first frame must be `auth`.
pub async fn serve(
    socket: WebSocket,
    db: Db,
    settings: SocketSettings,
    auth: Auth,
    signed_in: bool,
) {
    let hub = db.hub().clone();
    // Held until this task ends: shutdown waits for it.
    let mut shutdown = hub.shutdown_ticket();
    let mut head = hub.watch_head();
    let (sink, mut stream) = socket.split();
    let mut conn = Connection {
        sink,
        db,
        auth,
        settings,
        epoch: String::new(),
        sub: Subscription::default(),
        counters: hub.counters().socket_opened(),
    };
    let admitted = if signed_in {
        Ok(())
    } else {
        await_token(&conn.auth, &mut stream, &mut shutdown).await
    };
    let end = match admitted {
        Err(end) => end,
        Ok(()) => {
            let now = *head.borrow_and_update();
            match conn.hello(now).await {
                Err(end) => end,
                Ok(()) => serve_frames(&mut conn, &mut stream, &mut shutdown, &mut head).await,
            }
        }
    };
    match end {
        End::Gone => {}
        End::ClosedByClient => {
            // Completes the close handshake the client started.
            let _ = conn.sink.close().await;
        }
        End::Shutdown => {
            conn.close(close_code::AWAY, "server shutting down", &mut stream)
                .await;
        }
        End::Unavailable(error) => conn.fail(error, &mut stream).await,
        End::Unauthorized(message) => {
            let _ = conn
                .send(&ServerFrame::error(error_code::UNAUTHORIZED, message))
                .await;
            conn.close(close_code::POLICY, "unauthorized", &mut stream)
                .await;
        }
    }
}

/// Waits for the first frame of a socket not authenticated at the
/// upgrade: `Ok` for an `auth` frame with a valid token.
async fn await_token(auth: &Auth, stream: &mut Stream, shutdown: &mut Shutdown) -> Result<(), End> {
    let deadline = Instant::now() + AUTH_DEADLINE;
    loop {
        let next = tokio::select! {
            biased;
            () = shutdown.requested() => return Err(End::Shutdown),
            next = tokio::time::timeout_at(deadline, stream.next()) => next,
        };
        let message = match next {
            Err(_) => {
                return Err(End::Unauthorized(
                    "no auth frame came in time; send {\"type\":\"auth\",\"token\":...} first"
                        .into(),
                ))
            }
            Ok(None | Some(Err(_))) => return Err(End::Gone),
            Ok(Some(Ok(message))) => message,
        };
        return match decode(message) {
            Incoming::Ignored => continue,
            Incoming::Closed => Err(End::ClosedByClient),
            Incoming::Frame(ClientFrame::Auth { token }) => auth
                .verify(&token)
                .map(|_| ())
                .map_err(|e| End::Unauthorized(e.info().message)),
            Incoming::Frame(_) | Incoming::Refused(_) => Err(End::Unauthorized(
                "sign in first: send {\"type\":\"auth\",\"token\":\"<access token>\"}".into(),
            )),
        };
    }
}

/// The socket's life after `hello`: returns why it ends.
async fn serve_frames(
    conn: &mut Connection,
    stream: &mut Stream,
    shutdown: &mut Shutdown,
    head: &mut watch::Receiver<u64>,
) -> End {
    let period = conn.settings.heartbeat.max(Duration::from_millis(1));
    let mut heartbeat = interval_at(Instant::now() + period, period);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let target = *head.borrow_and_update();
        let behind = conn.sub.is_behind(target);
        let step = tokio::select! {
            biased;
            () = shutdown.requested() => Step::Shutdown,
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
                Step::Incoming(None | Some(Err(_))) => Err(End::Gone),
                Step::Incoming(Some(Ok(message))) => match decode(message) {
                    Incoming::Frame(frame) => conn.handle(frame, target).await,
                    Incoming::Refused(error) => conn.send(&error).await,
                    Incoming::Closed => Err(End::ClosedByClient),
                    Incoming::Ignored => Ok(()),
                },
                Step::Heartbeat => conn.heartbeat(target).await,
                Step::CatchUp => conn.catch_up(target).await,
                Step::HeadMoved => Ok(()),
            }
        };
        // Shutdown never waits for a slow reader to take a frame.
        let outcome = tokio::select! {
            biased;
            () = shutdown.requested() => Err(End::Shutdown),
            outcome = work => outcome,
        };
        if let Err(end) = outcome {
            return end;
        }
    }
}

impl Connection {
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

    async fn send(&mut self, frame: &ServerFrame) -> Result<(), End> {
        self.sink.send(encode(frame)).await.map_err(|_| End::Gone)
    }

    /// Acts on one client frame. `head` is the newest committed seq.
    async fn handle(&mut self, frame: ClientFrame, head: u64) -> Result<(), End> {
        match frame {
            // Already signed in: a valid token changes nothing, a bad one
            // is refused and the socket stays as it was.
            ClientFrame::Auth { token } => match self.auth.verify(&token) {
                Ok(_) => Ok(()),
                Err(e) => {
                    self.send(&ServerFrame::error(
                        error_code::UNAUTHORIZED,
                        e.info().message,
                    ))
                    .await
                }
            },
            ClientFrame::Subscribe {
                topics,
                since,
                epoch,
            } => {
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

    /// `HEARTBEAT` with the stream's position (the head before the first
    /// subscribe).
    async fn heartbeat(&mut self, head: u64) -> Result<(), End> {
        let seq = self.sub.position().unwrap_or(head);
        self.send(&ServerFrame::Heartbeat { seq }).await
    }

    /// Sends one batch of the log after the position, up to `head`.
    async fn catch_up(&mut self, head: u64) -> Result<(), End> {
        let Some(position) = self.sub.position() else {
            return Ok(());
        };
        if self.sub.topics().is_empty() {
            self.sub.advance_to(head);
            self.counters.read(false);
            return Ok(());
        }
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
        let sent = batch.events.len() as u64;
        for event in batch.events {
            debug_assert!(self.sub.topics().matches(&event), "seq {}", event.seq);
            let seq = event.seq;
            self.sink
                .feed(encode(&ServerFrame::Event(event)))
                .await
                .map_err(|_| End::Gone)?;
            self.sub.advance_to(seq);
        }
        self.sink.flush().await.map_err(|_| End::Gone)?;
        self.counters.delivered(sent);
        if complete {
            // Nothing else up to `head` matches.
            self.sub.advance_to(head);
        }
        // A full batch that still ends short of the head: more than one
        // batch behind.
        self.counters.read(!complete && self.sub.is_behind(head));
        Ok(())
    }

    /// Says why, then closes with 1011.
    async fn fail(&mut self, error: ApiError, stream: &mut Stream) {
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

    /// Sends a close frame and waits, briefly, for the client's.
    async fn close(&mut self, code: u16, reason: &'static str, stream: &mut Stream) {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        if self.sink.send(Message::Close(Some(frame))).await.is_err() {
            return;
        }
        let _ = tokio::time::timeout(CLOSE_GRACE, async {
            while let Some(Ok(_)) = stream.next().await {}
        })
        .await;
    }
}
