//! The realtime socket `GET /api/events` against real servers, with a real
//! WebSocket client: the hello, replay and live events in seq order, topic
//! filtering, heartbeats, RESYNC, bad frames, shutdown, and the gap-free
//! property under concurrent writers and random disconnects.
//!
//! Nothing here sleeps to synchronize: a test waits for frames (each wait
//! bounded), and orders its own writes against the socket with a
//! `HEARTBEAT` round trip where it must.

use crate::support;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::writers::{assert_versions_rise_with_seq, write_many};
use support::ws::{NotAFrame, WsClient};
use support::{assert_error, etag, id_of, TestServer};
use tidings::protocol::{ClientFrame, Event, EventKind, ServerFrame, Topic};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

const EVENTS: &str = "/api/events";

async fn connect(server: &TestServer) -> (WsClient, support::ws::Hello) {
    WsClient::connect(&server.ws_url(EVENTS), &server.admin_token).await
}

/// The newest seq in the server's log.
async fn head(server: &TestServer) -> u64 {
    server.db.log_state().await.expect("read the log").head
}

fn uuid(entity: &Value) -> Uuid {
    id_of(entity).parse().expect("a uuid id")
}

fn kinds(events: &[Event]) -> Vec<EventKind> {
    events.iter().map(|e| e.kind).collect()
}

fn seqs(events: &[Event]) -> Vec<u64> {
    events.iter().map(|e| e.seq).collect()
}

#[tokio::test]
async fn hello_carries_the_epoch_and_the_newest_seq() {
    let server = TestServer::start().await;
    let (first, hello) = connect(&server).await;
    assert_eq!(hello.seq, 0, "a new log is empty");
    assert_eq!(hello.epoch.len(), 32, "epoch {:?}", hello.epoch);
    assert!(hello.epoch.chars().all(|c| c.is_ascii_hexdigit()));
    server.create_user("Ada", "ada@example.com").await;
    server.create_user("Grace", "grace@example.com").await;
    let (second, again) = connect(&server).await;
    assert_eq!(again.seq, 2);
    assert_eq!(again.epoch, hello.epoch, "one database, one epoch");

    let other = TestServer::start().await;
    let (third, theirs) = connect(&other).await;
    assert_ne!(theirs.epoch, hello.epoch, "a new database is a new epoch");
    for client in [first, second, third] {
        client.close().await;
    }
    server.stop().await;
    other.stop().await;
}

#[tokio::test]
async fn a_plain_request_is_told_to_upgrade() {
    let server = TestServer::start().await;
    let reply = server.get(EVENTS).await;
    assert_error(&reply, StatusCode::UPGRADE_REQUIRED, "upgrade_required");
    server.stop().await;
}

#[tokio::test]
async fn subscribe_since_zero_replays_every_event_in_order() {
    let server = TestServer::start().await;
    let user = server.create_user("Ada", "ada@example.com").await;
    let post = server
        .create_post(&id_of(&user), "Hello", "First post")
        .await;
    let patched = server
        .patch_if(
            &format!("/api/posts/{}", id_of(&post)),
            &etag(&post),
            &json!({"title": "Hello again"}),
        )
        .await
        .json();
    let renamed = server
        .patch_if(
            &format!("/api/users/{}", id_of(&user)),
            &etag(&user),
            &json!({"name": "Ada L."}),
        )
        .await
        .json();
    // Payloads are the entities as the REST API answered them.
    let (mut client, hello) = connect(&server).await;
    assert_eq!(hello.seq, 4);
    client.subscribe(&[Topic::Users, Topic::Posts], 0).await;
    let written = client.events_through(4).await;
    assert_eq!(
        written.iter().map(|e| &e.data).collect::<Vec<_>>(),
        [&user, &post, &patched, &renamed]
    );
    client.close().await;
    assert_eq!(
        server
            .delete_if(&format!("/api/users/{}", id_of(&user)), &etag(&renamed))
            .await
            .status,
        StatusCode::NO_CONTENT
    );

    let (mut client, hello) = connect(&server).await;
    assert_eq!(hello.seq, 6);
    client.subscribe(&[Topic::Users, Topic::Posts], 0).await;
    let events = client.events_through(6).await;
    assert_eq!(seqs(&events), [1, 2, 3, 4, 5, 6]);
    use EventKind::*;
    assert_eq!(
        kinds(&events),
        [
            UserCreated,
            PostCreated,
            PostUpdated,
            UserUpdated,
            // The cascade: the user's posts go first, then the user.
            PostDeleted,
            UserDeleted
        ]
    );
    // The deletion forgot the user: what the log said of them and their
    // post is now their ids alone.
    let (user_id, post_id) = (id_of(&user).parse().unwrap(), id_of(&post).parse().unwrap());
    assert_eq!(
        events.iter().map(|e| &e.data).collect::<Vec<_>>(),
        [
            &tidings::protocol::redacted(user_id),
            &tidings::protocol::redacted(post_id),
            &tidings::protocol::redacted(post_id),
            &tidings::protocol::redacted(user_id),
            &json!({"id": id_of(&post), "authorId": id_of(&user)}),
            &json!({"id": id_of(&user)}),
        ]
    );
    // Each names who made the change: the admin the client signs in as.
    assert!(events.iter().all(|e| e.actor == Some(server.admin_id)));
    assert!(events.windows(2).all(|w| w[0].ts <= w[1].ts));
    // What the socket sent is the log.
    assert_eq!(events, server.db.all_events_after(0).await.unwrap());
    client.close().await;
    server.stop().await;
}

#[tokio::test]
async fn live_events_arrive_after_subscribing() {
    let server = TestServer::start().await;
    server.create_user("Old", "old@example.com").await;
    let (mut client, hello) = connect(&server).await;
    client
        .subscribe(&[Topic::Users, Topic::Posts], hello.seq)
        .await;
    let (replayed, position) = client.sync().await;
    assert!(replayed.is_empty(), "nothing after since: {replayed:?}");
    assert_eq!(position, 1);

    let user = server.create_user("Ada", "ada@example.com").await;
    let event = client.next_event().await;
    assert_eq!((event.kind, event.seq), (EventKind::UserCreated, 2));
    assert_eq!(event.data, user);

    let post = server.create_post(&id_of(&user), "Live", "Now").await;
    let event = client.next_event().await;
    assert_eq!((event.kind, event.seq), (EventKind::PostCreated, 3));
    assert_eq!(event.data, post);
    assert_eq!(
        server
            .delete_if(&format!("/api/posts/{}", id_of(&post)), &etag(&post))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let event = client.next_event().await;
    assert_eq!((event.kind, event.seq), (EventKind::PostDeleted, 4));
    assert_eq!(event.entity_id(), Some(uuid(&post)));
    client.close().await;
    server.stop().await;
}

#[tokio::test]
async fn a_single_entity_topic_gets_only_that_entitys_events() {
    let server = TestServer::start().await;
    let a = server.create_user("Ada", "ada@example.com").await;
    let b = server.create_user("Bob", "bob@example.com").await;
    let (mut client, hello) = connect(&server).await;
    client.subscribe(&[Topic::User(uuid(&a))], hello.seq).await;
    client.sync().await;

    let patch = |who: &Value, name: &str| {
        (
            format!("/api/users/{}", id_of(who)),
            json!({ "name": name }),
        )
    };
    let (path, body) = patch(&b, "Bob B.");
    assert_eq!(
        server.patch_if(&path, "*", &body).await.status,
        StatusCode::OK
    );
    let (path, body) = patch(&a, "Ada A.");
    assert_eq!(
        server.patch_if(&path, "*", &body).await.status,
        StatusCode::OK
    );
    let a_renamed = head(&server).await;
    // Neither a post by Ada nor Bob's deletion is Ada's user event.
    server.create_post(&id_of(&a), "By Ada", "text").await;
    let path = format!("/api/users/{}", id_of(&b));
    assert_eq!(
        server.delete_if(&path, "*").await.status,
        StatusCode::NO_CONTENT
    );
    let (path, body) = patch(&a, "Ada B.");
    assert_eq!(
        server.patch_if(&path, "*", &body).await.status,
        StatusCode::OK
    );
    let last = head(&server).await;
    assert_eq!(last, 7);

    let events = client.events_through(last).await;
    assert_eq!(seqs(&events), [a_renamed, last]);
    assert!(events
        .iter()
        .all(|e| e.kind == EventKind::UserUpdated && e.entity_id() == Some(uuid(&a))));
    assert_eq!(events[1].data["name"], "Ada B.");
    client.close().await;
    server.stop().await;
}

#[tokio::test]
async fn a_post_topic_follows_one_post_to_its_cascaded_deletion() {
    let server = TestServer::start().await;
    let author = server.create_user("Ada", "ada@example.com").await;
    let watched = server.create_post(&id_of(&author), "Watched", "text").await;
    let other = server.create_post(&id_of(&author), "Other", "text").await;
    let (mut client, hello) = connect(&server).await;
    client
        .subscribe(&[Topic::Post(uuid(&watched))], hello.seq)
        .await;
    client.sync().await;

    for post in [&other, &watched] {
        let reply = server
            .patch_if(
                &format!("/api/posts/{}", id_of(post)),
                &etag(post),
                &json!({"content": "edited"}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    }
    // Deleting the author deletes both posts: only the watched one's
    // deletion reaches this socket.
    let reply = server
        .delete_if(&format!("/api/users/{}", id_of(&author)), &etag(&author))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text);
    let log = server.db.all_events_after(hello.seq).await.unwrap();
    let wanted: Vec<u64> = log
        .iter()
        .filter(|e| e.entity_id() == Some(uuid(&watched)))
        .map(|e| e.seq)
        .collect();
    assert_eq!(wanted.len(), 2);
    let events = client.events_through(*wanted.last().unwrap()).await;
    assert_eq!(seqs(&events), wanted);
    assert_eq!(
        kinds(&events),
        [EventKind::PostUpdated, EventKind::PostDeleted]
    );
    assert_eq!(
        events[1].data,
        json!({"id": id_of(&watched), "authorId": id_of(&author)})
    );
    client.close().await;
    server.stop().await;
}

#[tokio::test]
async fn unsubscribe_stops_delivery_and_later_subscribes_add_topics() {
    let server = TestServer::start().await;
    let user = server.create_user("Ada", "ada@example.com").await;
    let (mut client, hello) = connect(&server).await;
    client
        .subscribe(&[Topic::Users, Topic::Posts], hello.seq)
        .await;
    client.sync().await;
    client
        .send(&ClientFrame::Unsubscribe {
            topics: vec![Topic::Posts],
        })
        .await;
    client.sync().await;

    server.create_post(&id_of(&user), "Unseen", "text").await;
    let skipped = head(&server).await;
    server.create_user("Bob", "bob@example.com").await;
    let event = client.next_event().await;
    assert_eq!(event.kind, EventKind::UserCreated);
    assert_eq!(event.seq, skipped + 1, "the post event was not sent");

    // A later subscribe adds its topics from the stream's position on.
    client.subscribe(&[Topic::Posts], 0).await;
    let (replayed, _) = client.sync().await;
    assert!(replayed.is_empty(), "no replay: {replayed:?}");
    let post = server.create_post(&id_of(&user), "Seen", "text").await;
    let event = client.next_event().await;
    assert_eq!(event.kind, EventKind::PostCreated);
    assert_eq!(event.data, post);
    client.close().await;
    server.stop().await;
}

#[tokio::test]
async fn heartbeats_arrive_on_their_own_and_answer_the_clients() {
    let server = TestServer::start_with(|c| c.heartbeat_ms = 50).await;
    server.create_user("Ada", "ada@example.com").await;
    let (mut client, hello) = connect(&server).await;
    assert_eq!(client.next_frame().await, ServerFrame::Heartbeat { seq: 1 });
    client.subscribe(&[Topic::Posts], hello.seq).await;
    server.create_user("Bob", "bob@example.com").await;
    // Not subscribed to users: the position still moves past seq 2.
    loop {
        match client.next_frame().await {
            ServerFrame::Heartbeat { seq: 2 } => break,
            ServerFrame::Heartbeat { seq: 1 } => continue,
            other => panic!("expected heartbeats, got {other:?}"),
        }
    }
    client.send(&ClientFrame::Heartbeat).await;
    assert_eq!(client.next_frame().await, ServerFrame::Heartbeat { seq: 2 });
    client.close().await;
    server.stop().await;
}

#[tokio::test]
async fn resync_when_history_is_pruned_or_of_another_epoch() {
    let server = TestServer::start().await;
    for n in 0..5 {
        server
            .create_user(&format!("User {n}"), &format!("u{n}@example.com"))
            .await;
    }
    assert_eq!(server.prune_events(2).await, 4, "seqs 4, 5 kept");
    assert_eq!(server.prune_events(3).await, 4, "never lowered");
    assert_eq!(seqs(&server.db.all_events_after(0).await.unwrap()), [4, 5]);

    // Seq 2 is gone: a client that applied only seq 1 must refetch.
    let (mut behind, hello) = connect(&server).await;
    behind.subscribe(&[Topic::Users], 1).await;
    assert_eq!(
        behind.next_frame().await,
        ServerFrame::Resync {
            epoch: hello.epoch.clone(),
            seq: 5
        }
    );
    // After the RESYNC the stream goes on from its seq.
    server.create_user("After", "after@example.com").await;
    assert_eq!(behind.next_event().await.seq, 6);

    // A client that applied seq 3 needs only 4 on: no resync.
    let (mut close_enough, _) = connect(&server).await;
    close_enough.subscribe(&[Topic::Users], 3).await;
    assert_eq!(seqs(&close_enough.events_through(6).await), [4, 5, 6]);

    // Another epoch, or a seq the log never reached: refetch.
    for (since, epoch) in [(6, "0123456789abcdef0123456789abcdef"), (99, "")] {
        let (mut stranger, hello) = connect(&server).await;
        stranger
            .send(&ClientFrame::Subscribe {
                topics: vec![Topic::Users],
                since,
                epoch: (!epoch.is_empty()).then(|| epoch.to_owned()),
            })
            .await;
        assert_eq!(
            stranger.next_frame().await,
            ServerFrame::Resync {
                epoch: hello.epoch,
                seq: 6
            },
            "since {since}, epoch {epoch:?}"
        );
        stranger.close().await;
    }
    // The right epoch is fine.
    let (mut same, hello) = connect(&server).await;
    same.send(&ClientFrame::Subscribe {
        topics: vec![Topic::Users],
        since: 5,
        epoch: Some(hello.epoch),
    })
    .await;
    assert_eq!(same.next_event().await.seq, 6);
    for client in [behind, close_enough, same] {
        client.close().await;
    }
    server.stop().await;
}

#[tokio::test]
async fn a_bad_frame_gets_an_error_and_the_socket_stays_usable() {
    let server = TestServer::start().await;
    let (mut client, _) = connect(&server).await;
    let bad = [
        Message::text("not json"),
        Message::text("[1, 2]"),
        Message::text(r#"{"type":"dance"}"#),
        Message::text(r#"{"type":"subscribe","topics":["people"]}"#),
        Message::text(r#"{"type":"subscribe","topics":["user:not-a-uuid"]}"#),
        Message::text(r#"{"type":"subscribe","topics":["users"],"since":-4}"#),
        Message::binary(vec![0xde, 0xad]),
    ];
    for message in bad {
        let shown = format!("{message:?}");
        client.send_message(message).await;
        match client.next_frame().await {
            ServerFrame::Error { code, message } => {
                assert_eq!(code, "bad_frame", "{shown}");
                assert!(!message.is_empty());
            }
            other => panic!("{shown}: expected an error frame, got {other:?}"),
        }
    }
    // Too many topics is refused as a whole.
    let many: Vec<Topic> = (0..=tidings::protocol::MAX_TOPICS as u128)
        .map(|n| Topic::Post(Uuid::from_u128(n)))
        .collect();
    client.subscribe(&many, 0).await;
    assert!(matches!(
        client.next_frame().await,
        ServerFrame::Error { code, .. } if code == "too_many_topics"
    ));
    // On a signed-in socket, a bad token is refused and changes nothing;
    // a good one is accepted silently.
    client
        .send(&ClientFrame::Auth {
            token: "anything".into(),
        })
        .await;
    assert!(matches!(
        client.next_frame().await,
        ServerFrame::Error { code, .. } if code == "unauthorized"
    ));
    client
        .send(&ClientFrame::Auth {
            token: server.admin_token.clone(),
        })
        .await;
    client.subscribe(&[Topic::Users], 0).await;
    let user = server.create_user("Ada", "ada@example.com").await;
    let event = client.next_event().await;
    assert_eq!((event.seq, event.data), (1, user));
    client.close().await;
    server.stop().await;
}

#[tokio::test]
async fn graceful_shutdown_closes_sockets_with_going_away() {
    let server = TestServer::start().await;
    let (mut idle, _) = connect(&server).await;
    let (mut subscribed, hello) = connect(&server).await;
    subscribed.subscribe(&[Topic::Users], hello.seq).await;
    subscribed.sync().await;
    let stopping = tokio::spawn(server.stop());
    for client in [&mut idle, &mut subscribed] {
        match client.try_next_frame(Duration::from_secs(10)).await {
            Err(NotAFrame::Closed(Some(frame))) => {
                assert_eq!(frame.code, CloseCode::Away);
                assert!(!frame.reason.is_empty());
            }
            other => panic!("expected close 1001, got {other:?}"),
        }
    }
    // Going away completes the close handshake.
    drop((idle, subscribed));
    stopping.await.expect("the server stops cleanly");
}

// --- concurrency ---------------------------------------------------------

/// SplitMix64: a small seeded generator, so every run disconnects at the
/// same points in the stream.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_get_contiguous_seqs_in_commit_order() {
    const WRITERS: usize = 8;
    const OPS: usize = 100;
    let server = TestServer::start().await;
    let (mut tail, hello) = connect(&server).await;
    tail.subscribe(&[Topic::Users, Topic::Posts], hello.seq)
        .await;
    tail.sync().await;

    let writers: Vec<_> = (0..WRITERS)
        .map(|w| tokio::spawn(write_many(server.writes.clone(), w, OPS)))
        .collect();
    let mut written = 0;
    for writer in writers {
        written += writer.await.expect("the writer finished");
    }
    let deletes = (1..OPS).filter(|op| op % 8 == 7).count() * WRITERS;
    let expected = (written + deletes) as u64;
    assert_eq!(head(&server).await, expected);

    // The tail saw every seq, each one more than the last: it never
    // skipped one that committed later.
    let mut previous = 0;
    let mut seen = Vec::new();
    while previous < expected {
        let event = tail.next_event().await;
        assert_eq!(event.seq, previous + 1, "no gap after {previous}");
        previous = event.seq;
        seen.push(event);
    }
    let log = server.db.all_events_after(0).await.unwrap();
    assert_eq!(seqs(&log), (1..=expected).collect::<Vec<_>>());
    assert_eq!(seen, log);
    assert_versions_rise_with_seq(&log);
    tail.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_disconnected_at_random_gets_every_event_once_in_order() {
    const WRITERS: usize = 8;
    const OPS: usize = 260;
    let server = TestServer::start().await;
    let url = server.ws_url(EVENTS);
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| tokio::spawn(write_many(server.writes.clone(), w, OPS)))
        .collect();

    let mut rng = Rng(0x7469_6469_6e67_7322);
    let mut received: Vec<Event> = Vec::new();
    let mut epoch: Option<String> = None;
    let mut final_head: Option<u64> = None;
    let mut connections = 0;
    let last = |received: &Vec<Event>| received.last().map_or(0, |e| e.seq);
    while final_head.is_none_or(|h| last(&received) < h) {
        let (mut client, hello) = WsClient::connect(&url, &server.admin_token).await;
        connections += 1;
        assert!(
            epoch.get_or_insert_with(|| hello.epoch.clone()) == &hello.epoch,
            "the epoch never changes"
        );
        client
            .send(&ClientFrame::Subscribe {
                topics: vec![Topic::Users, Topic::Posts],
                since: last(&received),
                epoch: epoch.clone(),
            })
            .await;
        // Read a random number of frames, then drop the connection.
        let budget = rng.below(48);
        let mut read = 0;
        while read < budget && final_head.is_none_or(|h| last(&received) < h) {
            match client.try_next_frame(Duration::from_millis(200)).await {
                Ok(ServerFrame::Event(event)) => {
                    assert!(
                        event.seq > last(&received),
                        "seq {} after {}: duplicate or out of order",
                        event.seq,
                        last(&received)
                    );
                    received.push(event);
                    read += 1;
                }
                Ok(ServerFrame::Heartbeat { .. }) => {}
                Ok(other) => panic!("expected events, got {other:?}"),
                Err(NotAFrame::TimedOut) => {
                    // Caught up for now; done once every writer is.
                    if final_head.is_none() && writers.iter().all(|w| w.is_finished()) {
                        final_head = Some(head(&server).await);
                    }
                }
                Err(other) => panic!("the server ended the stream: {other:?}"),
            }
        }
        if rng.below(2) == 0 {
            client.close().await;
        } else {
            drop(client);
        }
        if final_head.is_none() && writers.iter().all(|w| w.is_finished()) {
            final_head = Some(head(&server).await);
        }
    }
    let mut written = 0;
    for writer in writers {
        written += writer.await.expect("the writer finished");
    }
    assert!(written >= 2_000, "{written} writes");
    assert!(connections >= 40, "only {connections} connections");

    let log = server.db.all_events_after(0).await.unwrap();
    assert!(log.len() >= 2_000);
    assert_eq!(seqs(&log), (1..=log.len() as u64).collect::<Vec<_>>());
    assert_eq!(received.len(), log.len(), "every event exactly once");
    assert_eq!(received, log, "in seq order, as logged");
    server.stop().await;
}
