//! Realtime (`GET /api/events`) benchmarks. Prints figures; asserts
//! nothing about time.
//!
//! 1. Fan-out: 1,000 WebSocket clients subscribed to `posts`, then 50
//!    `POST /api/posts` writes a few milliseconds apart; latency from the
//!    instant before each POST is sent to the instant each client receives
//!    the matching `POST_CREATED` (p50/p99 over all deliveries), and
//!    deliveries per second.
//! 2. Memory: server RSS at idle and with 10,000 idle sockets that signed
//!    in with an `auth` frame and subscribed, and the bytes per socket.
//!
//! The bench signs in as an admin account it creates in the fresh store;
//! every socket authenticates with that access token.
//!
//! The server runs in a child process (this executable again, told by
//! `TIDINGS_BENCH_SERVE` to serve only), so its RSS is its own and the
//! clients do not share its runtime; they still share the machine's CPUs.
//!
//! Run: `cargo bench -p server --bench realtime` (`BENCH_CLIENTS`,
//! `BENCH_WRITES` and `BENCH_SOCKETS` override 1,000, 50 and 10,000).

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use server::config::Config;
use server::AppState;
use tidings::protocol::{ClientFrame, ServerFrame, Topic};
use tidings::NewUserInput;
use tokio::net::TcpStream;
use tokio::sync::{Barrier, Semaphore};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Set in the child: the database URL to serve.
const SERVE_ENV: &str = "TIDINGS_BENCH_SERVE";
/// Longest wait for any one frame or request.
const TIMEOUT: Duration = Duration::from_secs(60);
/// Connections opened at once (the listen backlog is finite).
const CONNECT_AT_ONCE: usize = 200;
/// Descriptors kept back for the runtime, the database and HTTP.
const SPARE_FDS: u64 = 256;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Raises the soft open-files limit to the hard one; returns the new soft
/// limit.
/// The admin account the bench signs in as.
const BENCH_EMAIL: &str = "bench-admin@example.com";
const BENCH_PASSWORD: &str = "bench-password";

/// Signs in as the bench admin; the access token.
async fn sign_in(http: &reqwest::Client, server: &ServerProcess) -> String {
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
    session["accessToken"]
        .as_str()
        .expect("a session has an access token")
        .to_owned()
}

fn raise_nofile() -> u64 {
    rlimit::increase_nofile_limit(u64::MAX).expect("raise RLIMIT_NOFILE")
}

/// The child: serves `database_url` on 127.0.0.1:0, prints the address,
/// and stops when its stdin closes (the parent ended or dropped it).
fn serve(database_url: String) {
    raise_nofile();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let state = AppState::from_config(Config::for_database(database_url))
            .await
            .unwrap();
        let admin: NewUserInput = serde_json::from_value(json!({
            "name": "Bench Admin", "email": BENCH_EMAIL, "role": "admin"
        }))
        .unwrap();
        let hash = server::auth::password::hash(BENCH_PASSWORD).unwrap();
        state
            .db
            .create_account(&admin.validate().unwrap(), &hash)
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap());
        let stdin_closed = tokio::task::spawn_blocking(|| {
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
        });
        server::run(listener, state, async {
            let _ = stdin_closed.await;
        })
        .await
        .unwrap();
    });
}

/// A server in a child process over a fresh database in `dir`.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    fn start(dir: &tempfile::TempDir, name: &str) -> Self {
        let url = format!("sqlite://{}/{name}.db", dir.path().display());
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(SERVE_ENV, url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the server process");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line.trim().parse().expect("the server prints its address");
        Self { child, addr }
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

/// Connects, signs in with `auth {token}`, reads `hello`, subscribes to
/// `posts` from the head, and waits for the `HEARTBEAT` answer, after
/// which the subscription is in force.
async fn subscribed_socket(url: &str, token: String) -> Ws {
    let (mut ws, _) = tokio::time::timeout(TIMEOUT, tokio_tungstenite::connect_async(url))
        .await
        .expect("the socket connects in time")
        .expect("the socket connects");
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

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q) as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn fan_out(dir: &tempfile::TempDir, clients: usize, writes: usize) {
    println!(
        "Fan-out: {clients} sockets subscribed to posts, {writes} POST /api/posts writes 5 ms apart"
    );
    let server = ServerProcess::start(dir, "fanout");
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(TIMEOUT)
        .build()
        .unwrap();
    let token = sign_in(&http, &server).await;
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
    let author = user["id"].as_str().expect("the user has an id").to_owned();

    let ws_url = format!("ws://{}/api/events", server.addr);
    let connecting = Instant::now();
    let gate = Arc::new(Semaphore::new(CONNECT_AT_ONCE));
    let ready = Arc::new(Barrier::new(clients + 1));
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (gate, ready, ws_url) = (gate.clone(), ready.clone(), ws_url.clone());
            let token = token.clone();
            tokio::spawn(async move {
                let permit = gate.acquire_owned().await.unwrap();
                let mut ws = subscribed_socket(&ws_url, token).await;
                drop(permit);
                ready.wait().await;
                // (post id, instant received), in order received.
                let mut received = Vec::with_capacity(writes);
                while received.len() < writes {
                    let (text, at) = next_text(&mut ws).await;
                    if let ServerFrame::Event(event) = ServerFrame::parse(&text).unwrap() {
                        let id = event.entity_id().expect("a post event has an id");
                        received.push((id.to_string(), at));
                    }
                }
                let _ = ws.close(None).await;
                received
            })
        })
        .collect();
    ready.wait().await;
    println!(
        "  {clients} sockets connected and subscribed in {:.2} s",
        connecting.elapsed().as_secs_f64()
    );

    // (post id, instant before sending)
    let mut sent = Vec::with_capacity(writes);
    let mut round_trips = Vec::with_capacity(writes);
    let first_send = Instant::now();
    for k in 0..writes {
        let body = json!({ "title": format!("Fan-out {k}"), "content": "Fan-out body.", "authorId": author });
        let before = Instant::now();
        let post: Value = http
            .post(server.url("/api/posts"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        round_trips.push(before.elapsed());
        sent.push((post["id"].as_str().unwrap().to_owned(), before));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let sent: std::collections::HashMap<String, Instant> = sent.into_iter().collect();

    let mut latencies = Vec::with_capacity(clients * writes);
    let mut last_receipt = first_send;
    for task in tasks {
        for (id, at) in task.await.unwrap() {
            let before = sent.get(&id).expect("an event for a post this bench wrote");
            latencies.push(at.duration_since(*before));
            last_receipt = last_receipt.max(at);
        }
    }
    server.stop();

    latencies.sort();
    round_trips.sort();
    let wall = last_receipt.duration_since(first_send);
    println!("  latency from the instant before the POST is sent to receipt by each client:");
    println!(
        "    p50 {:.2} ms   p99 {:.2} ms   max {:.2} ms   ({} deliveries)",
        ms(quantile(&latencies, 0.50)),
        ms(quantile(&latencies, 0.99)),
        ms(*latencies.last().unwrap()),
        latencies.len()
    );
    println!(
        "  POST round trip (the commit is inside it): p50 {:.2} ms   p99 {:.2} ms",
        ms(quantile(&round_trips, 0.50)),
        ms(quantile(&round_trips, 0.99))
    );
    println!(
        "  {:.0} deliveries/s ({} deliveries over {:.3} s, first send to last receipt)",
        latencies.len() as f64 / wall.as_secs_f64(),
        latencies.len(),
        wall.as_secs_f64()
    );
}

async fn memory(dir: &tempfile::TempDir, wanted: usize, fd_limit: u64) {
    let sockets = wanted.min(fd_limit.saturating_sub(SPARE_FDS) as usize);
    println!(
        "Memory: {sockets} idle sockets, each signed in (auth frame with an admin's access token) then subscribed to posts"
    );
    if sockets < wanted {
        println!("  RLIMIT_NOFILE is {fd_limit}: {sockets} sockets fit, not {wanted}");
    } else {
        println!("  RLIMIT_NOFILE raised to {fd_limit} in both processes");
    }
    let server = ServerProcess::start(dir, "memory");
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(TIMEOUT)
        .build()
        .unwrap();
    let token = sign_in(&http, &server).await;
    // Let the server finish starting up before the baseline.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = server.rss();

    let ws_url = format!("ws://{}/api/events", server.addr);
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(CONNECT_AT_ONCE));
    let tasks: Vec<_> = (0..sockets)
        .map(|_| {
            let (gate, ws_url, token) = (gate.clone(), ws_url.clone(), token.clone());
            tokio::spawn(async move {
                let _permit = gate.acquire_owned().await.unwrap();
                subscribed_socket(&ws_url, token).await
            })
        })
        .collect();
    let mut open = Vec::with_capacity(sockets);
    for task in tasks {
        open.push(task.await.unwrap());
    }
    let opened = started.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let loaded = server.rss();
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    println!(
        "  {sockets} sockets opened and subscribed in {:.2} s",
        opened.as_secs_f64()
    );
    println!("  server RSS idle:                 {:>8.1} MiB", mib(idle));
    println!(
        "  server RSS with {sockets} sockets:  {:>8.1} MiB",
        mib(loaded)
    );
    println!(
        "  per socket: {:.0} bytes",
        loaded.saturating_sub(idle) as f64 / sockets as f64
    );
    drop(open);
    server.stop();
}

fn main() {
    if let Ok(url) = std::env::var(SERVE_ENV) {
        serve(url);
        return;
    }
    let clients = env_or("BENCH_CLIENTS", 1_000);
    let writes = env_or("BENCH_WRITES", 50);
    let sockets = env_or("BENCH_SOCKETS", 10_000);
    let fd_limit = raise_nofile();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        fan_out(&dir, clients, writes).await;
        memory(&dir, sockets, fd_limit).await;
    });
}
