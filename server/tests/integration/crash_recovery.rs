//! A server killed with SIGKILL in the middle of a write load: every write
//! it acknowledged is there afterwards, and a realtime client that was
//! following it resumes from its last seq on the next server with every
//! event once, in order, nothing skipped. On SQLite the next server is a
//! restart over the same file; on PostgreSQL it is a second process on
//! the same database that was serving all along.

use crate::support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use support::postgres::PgSchema;
use support::process::ServerProcess;
use support::ws::{NotAFrame, WsClient};
use support::{client_with_token, mint_token, TEST_JWT_SECRET};
use tidings::protocol::{ClientFrame, Event, EventKind, ServerFrame, Topic};
use tidings::Role;

const EVENTS: &str = "/api/events";
/// Writes acknowledged before the kill.
const BEFORE_THE_KILL: usize = 40;
const WRITERS: usize = 4;

/// The ids of the users the servers acknowledged (201) creating.
type Acknowledged = Arc<Mutex<Vec<String>>>;

/// Writers creating users through the servers `targets` holds, in turn,
/// until `stop`; a write that fails (its server is gone) is simply not
/// acknowledged.
struct Load {
    targets: Arc<Mutex<Vec<String>>>,
    acknowledged: Acknowledged,
    stop: Arc<AtomicBool>,
    writers: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(targets: Vec<String>, token: &str) -> Self {
        let http = client_with_token(token);
        let targets = Arc::new(Mutex::new(targets));
        let (acknowledged, stop) = (Acknowledged::default(), Arc::new(AtomicBool::new(false)));
        let writers = (0..WRITERS)
            .map(|writer| {
                let (http, targets) = (http.clone(), targets.clone());
                let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
                tokio::spawn(async move {
                    let mut n = 0;
                    while !stop.load(Ordering::SeqCst) {
                        n += 1;
                        let base = {
                            let targets = targets.lock().unwrap();
                            targets[n % targets.len()].clone()
                        };
                        let reply = http
                            .post(format!("{base}/api/users"))
                            .json(&json!({
                                "name": format!("Load {writer}.{n}"),
                                "email": format!("load-{writer}-{n}@example.com"),
                            }))
                            .timeout(Duration::from_secs(5))
                            .send()
                            .await;
                        match reply {
                            Ok(reply) if reply.status() == StatusCode::CREATED => {
                                let user: serde_json::Value = reply.json().await.unwrap();
                                let id = user["id"].as_str().unwrap().to_owned();
                                acknowledged.lock().unwrap().push(id);
                            }
                            // The server went away mid-request.
                            _ => tokio::time::sleep(Duration::from_millis(20)).await,
                        }
                    }
                })
            })
            .collect();
        Self {
            targets,
            acknowledged,
            stop,
            writers,
        }
    }

    fn count(&self) -> usize {
        self.acknowledged.lock().unwrap().len()
    }

    async fn until(&self, count: usize) {
        tokio::time::timeout(Duration::from_secs(60), async {
            while self.count() < count {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("the writers make progress");
    }

    /// Stops the writers; the ids of every acknowledged write.
    async fn finish(self) -> Vec<String> {
        self.stop.store(true, Ordering::SeqCst);
        for writer in self.writers {
            writer.await.unwrap();
        }
        let acknowledged = self.acknowledged.lock().unwrap().clone();
        acknowledged
    }
}

/// Reads events until the server goes away.
async fn follow_until_gone(mut socket: WsClient) -> Vec<Event> {
    let mut events = Vec::new();
    loop {
        match socket.try_next_frame(Duration::from_secs(30)).await {
            Ok(ServerFrame::Event(event)) => events.push(event),
            Ok(_) => {}
            Err(NotAFrame::Closed(_) | NotAFrame::Broken(_)) => return events,
            Err(NotAFrame::TimedOut) => panic!("the killed server's socket stays open"),
        }
    }
}

/// Subscribes on `url` from `since` in `epoch` and reads until the
/// stream reaches seq `through`.
async fn resume(url: &str, token: &str, epoch: &str, since: u64, through: u64) -> Vec<Event> {
    let (mut socket, hello) = WsClient::connect(url, token).await;
    assert_eq!(hello.epoch, epoch, "the same log, not a new one");
    socket
        .send(&ClientFrame::Subscribe {
            topics: vec![Topic::Users, Topic::Posts],
            since,
            epoch: Some(epoch.to_owned()),
        })
        .await;
    let events = if through > since {
        socket.events_through(through).await
    } else {
        Vec::new()
    };
    socket.close().await;
    events
}

/// Kills `doomed` under a write load spread over it and `others`, then
/// checks the survivor (`next`, asked for once `doomed` is dead) has
/// every acknowledged write and resumes the follower of `doomed` exactly.
async fn kill_under_load(
    doomed: ServerProcess,
    others: Vec<String>,
    next: impl FnOnce() -> ServerProcess,
) {
    let token = mint_token(support::OPERATOR_ID, Role::Admin);
    let (mut socket, hello) = WsClient::connect(&doomed.ws_url(EVENTS), &token).await;
    socket
        .subscribe(&[Topic::Users, Topic::Posts], hello.seq)
        .await;
    socket.sync().await;
    let follower = tokio::spawn(follow_until_gone(socket));

    let mut targets = vec![doomed.url("")];
    targets.extend(others);
    let load = Load::start(targets, &token);
    load.until(BEFORE_THE_KILL).await;
    doomed.crash();
    let at_kill = load.count();
    let before = follower.await.unwrap();

    let survivor = next();
    *load.targets.lock().unwrap() = vec![survivor.url("")];
    load.until(at_kill + 10).await;
    let acknowledged = load.finish().await;

    let head = {
        let (mut probe, probe_hello) = WsClient::connect(&survivor.ws_url(EVENTS), &token).await;
        probe.subscribe(&[Topic::Users], probe_hello.seq).await;
        let (_, seq) = probe.sync().await;
        probe.close().await;
        seq
    };
    let http = client_with_token(&token);
    for id in &acknowledged {
        let reply = http
            .get(survivor.url(&format!("/api/users/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            reply.status(),
            StatusCode::OK,
            "acknowledged user {id} is kept"
        );
    }

    // The follower resumes from its last seq on the survivor.
    let last = before.last().map_or(hello.seq, |e| e.seq);
    let after = resume(&survivor.ws_url(EVENTS), &token, &hello.epoch, last, head).await;
    let followed: Vec<(u64, Option<uuid::Uuid>)> = before
        .iter()
        .chain(&after)
        .map(|e| (e.seq, e.entity_id()))
        .collect();
    // Every event once, in order. The seqs need not be contiguous: on
    // PostgreSQL a transaction the kill cut off had drawn its seq from the
    // identity, which never reuses one. None skipped is what the log holds.
    assert!(
        followed.windows(2).all(|pair| pair[0].0 < pair[1].0),
        "every event once, in order: {followed:?}"
    );
    assert_eq!(followed.last().map(|(seq, _)| *seq), Some(head));
    // What it was sent before the kill, and after, is what the log kept.
    let replay = resume(
        &survivor.ws_url(EVENTS),
        &token,
        &hello.epoch,
        hello.seq,
        head,
    )
    .await;
    let logged: Vec<(u64, Option<uuid::Uuid>)> =
        replay.iter().map(|e| (e.seq, e.entity_id())).collect();
    assert_eq!(followed, logged);
    let created: Vec<String> = replay
        .iter()
        .filter(|e| e.kind == EventKind::UserCreated)
        .filter_map(|e| e.entity_id().map(|id| id.to_string()))
        .collect();
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !created.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "acknowledged creates without an event: {missing:?}"
    );
    assert!(
        acknowledged.len() > at_kill,
        "writes went on after the kill"
    );
}

#[tokio::test]
async fn sqlite_keeps_every_acknowledged_write_through_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let doomed = ServerProcess::start_in(dir.path(), Some(TEST_JWT_SECRET), &[]);
    kill_under_load(doomed, Vec::new(), || {
        ServerProcess::start_in(dir.path(), Some(TEST_JWT_SECRET), &[])
    })
    .await;
}

#[tokio::test]
async fn postgres_clients_resume_on_the_other_process_when_one_is_killed() {
    let schema = PgSchema::create().await;
    let url = schema.database_url();
    let doomed = ServerProcess::start_on(&url, Some(TEST_JWT_SECRET), &[]);
    let other = ServerProcess::start_on(&url, Some(TEST_JWT_SECRET), &[]);
    let other_url = other.url("");
    kill_under_load(doomed, vec![other_url], move || other).await;
}
