//! Realtime (`GET /api/events`) benchmarks. Prints figures; asserts
//! nothing about time.
//!
//! Every figure is measured side by side, in one run, against Tidings and
//! against a ceiling: a bare `tokio::sync::broadcast` + WebSocket server
//! with no database (this executable again, `TIDINGS_BENCH_SERVE=ceiling`),
//! which speaks just enough of the protocol (`hello`, `HEARTBEAT`, events)
//! for the same client to measure it the same way.
//!
//! 1. Fan-out: 1,000 WebSocket clients subscribed to `posts`, then 50
//!    `POST /api/posts` writes 5 ms apart; latency from the instant before
//!    each POST is sent to the instant each client receives the matching
//!    `POST_CREATED` (p50/p99 over all deliveries). Then a burst: 200
//!    writes from 8 writers at once, and deliveries per second from the
//!    first send to the last receipt.
//! 2. `POST /api/posts` round trip with no subscriber and with the 1,000.
//! 3. Reads of the event table per write while the 1,000 sockets are in
//!    the in-memory tail (`tidings_event_log_reads_total` in `/metrics`).
//! 4. Memory: server RSS at idle and with 10,000 and 50,000 idle sockets
//!    that signed in with an `auth` frame and subscribed, and the bytes per
//!    socket. The clients connect from several loopback addresses
//!    (127.0.0.1-8) so the ports of one address do not run out, and the
//!    bench raises its file limit (it must run as root for 50,000).
//!
//! The bench signs in as an admin account it creates in the fresh store;
//! every socket authenticates with that access token (the server's socket
//! limits are raised to let one user hold them all).
//!
//! The servers run in child processes, so their RSS is their own and the
//! clients do not share their runtime; they still share the machine's
//! CPUs.
//!
//! Run: `cargo bench -p server --bench realtime` (`BENCH_CLIENTS`,
//! `BENCH_WRITES`, `BENCH_BURST` and `BENCH_SOCKETS` override 1,000, 50,
//! 200 and "10000,50000").

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message as AxumMessage, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use server::config::Config;
use server::AppState;
use tidings::protocol::{ClientFrame, Event, EventKind, ServerFrame, Topic};
use tidings::NewUserInput;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{broadcast, Barrier, Semaphore};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Set in the child: the database URL to serve, or `ceiling`.
const SERVE_ENV: &str = "TIDINGS_BENCH_SERVE";
const CEILING: &str = "ceiling";
/// Longest wait for any one frame or request.
const TIMEOUT: Duration = Duration::from_secs(60);
/// Connections opened at once (the listen backlog is finite).
const CONNECT_AT_ONCE: usize = 200;
/// Descriptors kept back for the runtime, the database and HTTP.
const SPARE_FDS: u64 = 256;
/// Loopback addresses the clients connect from.
const SOURCES: u8 = 8;
/// Each client socket's read buffer.
const CLIENT_READ_BUFFER: usize = 8 * 1024;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The admin account the bench signs in as.
const BENCH_EMAIL: &str = "bench-admin@example.com";
const BENCH_PASSWORD: &str = "bench-password";

/// Raises the open-files limit as far as this process may (as root, past
/// the hard limit); returns the soft limit.
fn raise_nofile() -> u64 {
    let _ = rlimit::setrlimit(rlimit::Resource::NOFILE, 250_000, 250_000);
    rlimit::increase_nofile_limit(u64::MAX).expect("raise RLIMIT_NOFILE")
}

/// The child: serves Tidings over `database_url` (or the ceiling) on
/// 127.0.0.1:0, prints the address, and stops when its stdin closes.
fn serve(target: String) {
    raise_nofile();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stdin_closed = tokio::task::spawn_blocking(|| {
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
        });
        let stopped = async {
            let _ = stdin_closed.await;
        };
        if target == CEILING {
            println!("{}", listener.local_addr().unwrap());
            axum::serve(listener, ceiling::router())
                .with_graceful_shutdown(stopped)
                .await
                .unwrap();
            return;
        }
        let mut config = Config::for_database(target);
        // Every socket of the bench is the one admin's.
        config.sockets_per_user = 1_000_000;
        config.sockets_total = 1_000_000;
        let state = AppState::from_config(config).await.unwrap();
        let admin: NewUserInput = serde_json::from_value(json!({
            "name": "Bench Admin", "email": BENCH_EMAIL, "role": "admin"
        }))
        .unwrap();
        let hash = server::auth::password::hash(BENCH_PASSWORD).unwrap();
        let (_, created) = state
            .db
            .create_account(&admin.validate().unwrap(), &hash)
            .await
            .unwrap();
        state.hub.announce(created);
        println!("{}", listener.local_addr().unwrap());
        server::run(listener, state, stopped).await.unwrap();
    });
}

/// The ceiling: what this machine can do for the same client with no
/// database, no log and no per-socket state beyond a broadcast receiver.
mod ceiling {
    use super::*;

    #[derive(Clone)]
    pub struct Ceiling {
        frames: broadcast::Sender<axum::extract::ws::Utf8Bytes>,
        seq: Arc<std::sync::atomic::AtomicU64>,
    }

    pub fn router() -> Router {
        let state = Ceiling {
            frames: broadcast::channel(4096).0,
            seq: Arc::default(),
        };
        Router::new()
            .route("/api/events", get(upgrade))
            .route("/api/posts", post(create))
            .with_state(state)
    }

    /// Encodes the post once and broadcasts it, as Tidings' tail does.
    async fn create(State(state): State<Ceiling>, Json(mut post): Json<Value>) -> Json<Value> {
        let seq = state.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        post["id"] = json!(uuid::Uuid::new_v4());
        let frame = ServerFrame::Event(Event {
            kind: EventKind::PostCreated,
            seq,
            ts: chrono::Utc::now(),
            actor: None,
            data: post.clone(),
        });
        let _ = state.frames.send(frame.to_text().into());
        Json(post)
    }

    async fn upgrade(
        State(state): State<Ceiling>,
        ws: WebSocketUpgrade,
    ) -> axum::response::Response {
        ws.on_upgrade(move |socket| serve_socket(socket, state))
    }

    async fn serve_socket(socket: WebSocket, state: Ceiling) {
        let (mut sink, mut stream) = socket.split();
        let mut frames = state.frames.subscribe();
        let text = |f: &ServerFrame| AxumMessage::Text(f.to_text().into());
        loop {
            tokio::select! {
                incoming = stream.next() => {
                    let Some(Ok(AxumMessage::Text(incoming))) = incoming else { return };
                    let reply = match ClientFrame::parse(incoming.as_str()) {
                        Ok(ClientFrame::Auth { .. }) => ServerFrame::Hello { epoch: "ceiling".into(), seq: 0 },
                        Ok(ClientFrame::Heartbeat) => ServerFrame::Heartbeat { seq: 0 },
                        _ => continue,
                    };
                    if sink.send(text(&reply)).await.is_err() { return }
                }
                frame = frames.recv() => match frame {
                    Ok(frame) => if sink.send(AxumMessage::Text(frame)).await.is_err() { return },
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    }
}

/// A server in a child process: Tidings over a fresh database in `dir`,
/// or the ceiling.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    name: &'static str,
}

impl ServerProcess {
    fn tidings(dir: &tempfile::TempDir, db: &str) -> Self {
        Self::start(
            format!("sqlite://{}/{db}.db", dir.path().display()),
            "Tidings",
        )
    }

    fn ceiling() -> Self {
        Self::start(CEILING.into(), "ceiling")
    }

    fn start(target: String, name: &'static str) -> Self {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(SERVE_ENV, target)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the server process");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line.trim().parse().expect("the server prints its address");
        Self { child, addr, name }
    }

    fn is_ceiling(&self) -> bool {
        self.name == "ceiling"
    }

    /// The server's resident set, in bytes.
    fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .expect("VmRSS in /proc/<pid>/status");
        let kib: u64 = line
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap();
        kib * 1024
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn ws_url(&self) -> String {
        format!("ws://{}/api/events", self.addr)
    }

    fn stop(mut self) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A signed-in HTTP client for one server: its access token and a post
/// author.
struct Writer {
    http: reqwest::Client,
    token: String,
    author: String,
    posts: String,
}

impl Writer {
    async fn new(server: &ServerProcess) -> Self {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(TIMEOUT)
            .build()
            .unwrap();
        if server.is_ceiling() {
            let author = uuid::Uuid::new_v4().to_string();
            return Self {
                http,
                token: "ceiling".into(),
                author,
                posts: server.url("/api/posts"),
            };
        }
        let session: Value = http
            .post(server.url("/api/auth/login"))
            .json(&json!({ "email": BENCH_EMAIL, "password": BENCH_PASSWORD }))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = session["accessToken"].as_str().unwrap().to_owned();
        let user: Value = http
            .post(server.url("/api/users"))
            .bearer_auth(&token)
            .json(&json!({ "name": "Bench Author", "email": "author@example.com", "role": "user" }))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        let author = user["id"].as_str().unwrap().to_owned();
        Self {
            http,
            token,
            author,
            posts: server.url("/api/posts"),
        }
    }

    /// Writes post `k`; its id, the instant before sending, and the round
    /// trip.
    async fn post(&self, k: usize) -> (String, Instant, Duration) {
        let body = json!({ "title": format!("Fan-out {k}"), "content": "Fan-out body.", "authorId": self.author });
        let before = Instant::now();
        let post: Value = self
            .http
            .post(&self.posts)
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            post["id"].as_str().unwrap().to_owned(),
            before,
            before.elapsed(),
        )
    }

    /// The event-table reads `/metrics` counts (sockets and listener).
    async fn table_reads(&self, server: &ServerProcess) -> f64 {
        let text = self
            .http
            .get(server.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .filter(|l| l.starts_with("tidings_event_log_reads_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }
}

async fn send(ws: &mut Ws, frame: &ClientFrame) {
    ws.send(Message::text(frame.to_text())).await.unwrap();
}

/// The next text frame and the instant it was read, skipping control
/// frames.
async fn next_text(ws: &mut Ws) -> (String, Instant) {
    loop {
        let message = tokio::time::timeout(TIMEOUT, ws.next())
            .await
            .expect("a frame in time")
            .expect("the socket stays open")
            .expect("no socket error");
        let at = Instant::now();
        match message {
            Message::Text(text) => return (text.as_str().to_owned(), at),
            Message::Close(frame) => panic!("the server closed the socket: {frame:?}"),
            _ => continue,
        }
    }
}

async fn next_frame(ws: &mut Ws) -> (ServerFrame, Instant) {
    let (text, at) = next_text(ws).await;
    let frame = ServerFrame::parse(&text).unwrap_or_else(|e| panic!("bad frame {text:?}: {e}"));
    (frame, at)
}

/// Connects from loopback address `127.0.0.<source>`, signs in with
/// `auth {token}`, reads `hello`, subscribes to `posts` from the head, and
/// waits for the `HEARTBEAT` answer, after which the subscription is in
/// force.
async fn subscribed_socket(addr: SocketAddr, url: &str, token: String, source: u8) -> Ws {
    let connect = async {
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, source)),
            0,
        ))?;
        socket.connect(addr).await
    };
    let stream = connect.await.expect("connect over loopback");
    // The default 128 KiB read buffer is zeroed on every read: the clients
    // would spend more time clearing memory than the servers spend
    // sending.
    let config = WebSocketConfig::default().read_buffer_size(CLIENT_READ_BUFFER);
    let (mut ws, _) = tokio::time::timeout(
        TIMEOUT,
        tokio_tungstenite::client_async_with_config(
            url,
            MaybeTlsStream::Plain(stream),
            Some(config),
        ),
    )
    .await
    .expect("the socket upgrades in time")
    .expect("the socket upgrades");
    send(&mut ws, &ClientFrame::Auth { token }).await;
    let since = match next_frame(&mut ws).await.0 {
        ServerFrame::Hello { seq, .. } => seq,
        other => panic!("expected hello, got {other:?}"),
    };
    let subscribe = ClientFrame::Subscribe {
        topics: vec![Topic::Posts],
        since,
        epoch: None,
    };
    send(&mut ws, &subscribe).await;
    send(&mut ws, &ClientFrame::Heartbeat).await;
    loop {
        match next_frame(&mut ws).await.0 {
            ServerFrame::Heartbeat { .. } => return ws,
            ServerFrame::Event(_) => continue,
            other => panic!("expected HEARTBEAT, got {other:?}"),
        }
    }
}

/// `count` subscribed sockets, opened a few hundred at a time.
async fn open_sockets(server: &ServerProcess, token: &str, count: usize) -> Vec<Ws> {
    let gate = Arc::new(Semaphore::new(CONNECT_AT_ONCE));
    let tasks: Vec<_> = (0..count)
        .map(|n| {
            let (gate, url, token, addr) =
                (gate.clone(), server.ws_url(), token.to_owned(), server.addr);
            tokio::spawn(async move {
                let _permit = gate.acquire_owned().await.unwrap();
                subscribed_socket(addr, &url, token, 1 + (n % SOURCES as usize) as u8).await
            })
        })
        .collect();
    let mut open = Vec::with_capacity(count);
    for task in tasks {
        open.push(task.await.unwrap());
    }
    open
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q) as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// What one fan-out run measured.
struct FanOut {
    p50: Duration,
    p99: Duration,
    paced_rate: f64,
    burst_rate: f64,
    round_trip_alone: Duration,
    round_trip_loaded: Duration,
    reads_per_write: Option<f64>,
}

/// A socket reading its deliveries: the socket back, and (post id, instant
/// received) in the order received.
type Reader = tokio::task::JoinHandle<(Ws, Vec<(String, Instant)>)>;

/// Each socket reads until it has `expected` post events.
fn collect(sockets: Vec<Ws>, expected: usize, ready: Arc<Barrier>) -> Vec<Reader> {
    sockets
        .into_iter()
        .map(|mut ws| {
            let ready = ready.clone();
            tokio::spawn(async move {
                ready.wait().await;
                let mut received = Vec::with_capacity(expected);
                while received.len() < expected {
                    let (text, at) = next_text(&mut ws).await;
                    if let ServerFrame::Event(event) = ServerFrame::parse(&text).unwrap() {
                        let id = event.entity_id().expect("a post event has an id");
                        received.push((id.to_string(), at));
                    }
                }
                (ws, received)
            })
        })
        .collect()
}

/// Latencies of every delivery, and the instant of the last one.
async fn gather(
    tasks: Vec<Reader>,
    sent: &HashMap<String, Instant>,
    first: Instant,
) -> (Vec<Ws>, Vec<Duration>, Instant) {
    let mut latencies = Vec::new();
    let mut last = first;
    let mut sockets = Vec::new();
    for task in tasks {
        let (ws, received) = task.await.unwrap();
        for (id, at) in received {
            let before = sent.get(&id).expect("an event for a post this bench wrote");
            latencies.push(at.duration_since(*before));
            last = last.max(at);
        }
        sockets.push(ws);
    }
    latencies.sort();
    (sockets, latencies, last)
}

async fn fan_out(server: &ServerProcess, clients: usize, writes: usize, burst: usize) -> FanOut {
    let writer = Writer::new(server).await;
    // Round trips with nobody listening.
    let mut alone = Vec::with_capacity(writes);
    for k in 0..writes {
        alone.push(writer.post(k).await.2);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    alone.sort();

    let sockets = open_sockets(server, &writer.token, clients).await;
    let reads_before = writer.table_reads(server).await;

    // Paced writes.
    let ready = Arc::new(Barrier::new(clients + 1));
    let tasks = collect(sockets, writes, ready.clone());
    ready.wait().await;
    let mut sent = HashMap::with_capacity(writes);
    let mut loaded = Vec::with_capacity(writes);
    let first = Instant::now();
    for k in 0..writes {
        let (id, before, round_trip) = writer.post(k).await;
        sent.insert(id, before);
        loaded.push(round_trip);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    loaded.sort();
    let (sockets, latencies, last) = gather(tasks, &sent, first).await;
    let paced_rate = latencies.len() as f64 / last.duration_since(first).as_secs_f64();

    // A burst from 8 writers at once.
    let ready = Arc::new(Barrier::new(clients + 1));
    let tasks = collect(sockets, burst, ready.clone());
    ready.wait().await;
    let writer = Arc::new(writer);
    let first = Instant::now();
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let writer = writer.clone();
            tokio::spawn(async move {
                let mut sent = Vec::new();
                for k in (w..burst).step_by(8) {
                    let (id, before, _) = writer.post(writes + k).await;
                    sent.push((id, before));
                }
                sent
            })
        })
        .collect();
    let mut sent = HashMap::with_capacity(burst);
    for w in writers {
        sent.extend(w.await.unwrap());
    }
    let (sockets, burst_latencies, last) = gather(tasks, &sent, first).await;
    let burst_rate = burst_latencies.len() as f64 / last.duration_since(first).as_secs_f64();

    let reads_per_write = if server.is_ceiling() {
        None
    } else {
        let reads = writer.table_reads(server).await - reads_before;
        Some(reads / (writes + burst) as f64)
    };
    drop(sockets);
    FanOut {
        p50: quantile(&latencies, 0.50),
        p99: quantile(&latencies, 0.99),
        paced_rate,
        burst_rate,
        round_trip_alone: quantile(&alone, 0.50),
        round_trip_loaded: quantile(&loaded, 0.50),
        reads_per_write,
    }
}

async fn memory(dir: &tempfile::TempDir, counts: &[usize], fd_limit: u64) {
    let fit = fd_limit.saturating_sub(SPARE_FDS) as usize;
    println!("Memory: idle sockets, each signed in (auth frame with an admin's access token) then subscribed to posts");
    println!("  RLIMIT_NOFILE {fd_limit} in both processes");
    for &wanted in counts {
        let count = wanted.min(fit);
        if count < wanted {
            println!("  {wanted} sockets do not fit in RLIMIT_NOFILE {fd_limit}: {count} instead");
        }
        let server = ServerProcess::tidings(dir, &format!("memory-{count}"));
        let writer = Writer::new(&server).await;
        // Let the server finish starting up before the baseline.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let idle = server.rss();
        let started = Instant::now();
        let open = open_sockets(&server, &writer.token, count).await;
        let opened = started.elapsed();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let loaded = server.rss();
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        println!(
            "  {count:>6} sockets (opened in {:.1} s): RSS {:.1} MiB idle, {:.1} MiB with them, {:.0} bytes per socket",
            opened.as_secs_f64(),
            mib(idle),
            mib(loaded),
            loaded.saturating_sub(idle) as f64 / count as f64
        );
        drop(open);
        server.stop();
    }
}

fn main() {
    if let Ok(target) = std::env::var(SERVE_ENV) {
        serve(target);
        return;
    }
    let clients = env_or("BENCH_CLIENTS", 1_000);
    let writes = env_or("BENCH_WRITES", 50);
    let burst = env_or("BENCH_BURST", 200);
    let counts: Vec<usize> = std::env::var("BENCH_SOCKETS")
        .unwrap_or_else(|_| "10000,50000".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let fd_limit = raise_nofile();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        println!(
            "Fan-out: {clients} sockets subscribed to posts; {writes} POST /api/posts 5 ms apart, then a burst of {burst} from 8 writers"
        );
        let tidings = ServerProcess::tidings(&dir, "fanout");
        let ours = fan_out(&tidings, clients, writes, burst).await;
        tidings.stop();
        let ceiling = ServerProcess::ceiling();
        let bare = fan_out(&ceiling, clients, writes, burst).await;
        ceiling.stop();
        println!("  {:<46} {:>12} {:>12} {:>8}", "", "Tidings", "ceiling", "ratio");
        let row = |what: &str, a: f64, b: f64, unit: &str| {
            println!("  {what:<46} {a:>9.2} {unit:<2} {b:>9.2} {unit:<2} {:>7.2}x", a / b);
        };
        row("write to receipt p50", ms(ours.p50), ms(bare.p50), "ms");
        row("write to receipt p99", ms(ours.p99), ms(bare.p99), "ms");
        row("deliveries/s, paced writes", ours.paced_rate, bare.paced_rate, "/s");
        row("deliveries/s, burst", ours.burst_rate, bare.burst_rate, "/s");
        row("POST round trip p50, no subscriber", ms(ours.round_trip_alone), ms(bare.round_trip_alone), "ms");
        row(&format!("POST round trip p50, {clients} subscribers"), ms(ours.round_trip_loaded), ms(bare.round_trip_loaded), "ms");
        println!(
            "  POST round trip with {clients} subscribers / none: Tidings {:.2}x, ceiling {:.2}x",
            ours.round_trip_loaded.as_secs_f64() / ours.round_trip_alone.as_secs_f64(),
            bare.round_trip_loaded.as_secs_f64() / bare.round_trip_alone.as_secs_f64()
        );
        if let Some(reads) = ours.reads_per_write {
            println!("  event-table reads per write with {clients} sockets in the tail: {reads:.2}");
        }
        memory(&dir, &counts, fd_limit).await;
    });
}
