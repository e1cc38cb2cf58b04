//! The socket manager's machine, scenario by scenario, with exact time and
//! a fixed random source.

use serde_json::json;
use tidings::cache::{Millis, QueryKey, Tag};
use tidings::protocol::{ClientFrame, Event, EventKind, ServerFrame, Topic};
use tidings::Jitter;
use uuid::Uuid;

use super::{Backoff, Command, Config, Input, Machine, Position, Status, TabMessage};

/// A config with exact numbers: heartbeat 1 s, backoff 500 ms .. 4 s.
fn config() -> Config {
    Config {
        heartbeat: 1_000,
        backoff: Backoff::new(500, 4_000, Jitter::Full),
        ..Config::default()
    }
}

/// A machine whose random source always says `unit`.
fn machine_with(config: Config, unit: f64, start: Option<Position>) -> Machine {
    Machine::new(config, Box::new(move || unit), start)
}

fn machine() -> Machine {
    machine_with(config(), 0.5, None)
}

fn user(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// `USER_DELETED` of user `seq` as event `seq`.
fn event(seq: u64) -> Event {
    Event {
        kind: EventKind::UserDeleted,
        seq,
        ts: "2026-01-01T00:00:00Z".parse().unwrap(),
        actor: None,
        data: json!({"id": user(seq as u128).to_string()}),
    }
}

fn frame_event(seq: u64) -> Input {
    Input::Frame(ServerFrame::Event(event(seq)))
}

fn hello(epoch: &str, seq: u64) -> Input {
    Input::Frame(ServerFrame::Hello {
        epoch: epoch.into(),
        seq,
    })
}

fn applied(commands: &[Command]) -> Vec<u64> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Apply(e) => Some(e.seq),
            _ => None,
        })
        .collect()
}

fn sent(commands: &[Command]) -> Vec<ClientFrame> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Send(f) => Some(f.clone()),
            _ => None,
        })
        .collect()
}

fn posted(commands: &[Command]) -> Vec<TabMessage> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Post(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

fn subscribe(since: u64, epoch: &str) -> ClientFrame {
    ClientFrame::Subscribe {
        topics: vec![Topic::Users, Topic::Posts],
        since,
        epoch: Some(epoch.into()),
    }
}

/// Start, open, `hello`: returns everything commanded.
fn go_live(m: &mut Machine, now: Millis, epoch: &str, head: u64) -> Vec<Command> {
    let mut out = m.handle(now, Input::Start);
    out.extend(m.handle(now, Input::Opened { token: None }));
    out.extend(m.handle(now, hello(epoch, head)));
    out
}

#[test]
fn a_fresh_tab_authenticates_and_subscribes_from_hello() {
    let mut m = machine();
    assert_eq!(m.status(), Status::Offline, "not started");
    assert_eq!(m.next_deadline(), None);
    assert_eq!(m.handle(0, Input::Start), [Command::Connect]);
    assert_eq!(m.status(), Status::Connecting);
    let out = m.handle(
        10,
        Input::Opened {
            token: Some("t".into()),
        },
    );
    assert_eq!(sent(&out), [ClientFrame::Auth { token: "t".into() }]);
    assert_eq!(m.status(), Status::Connecting, "until hello");
    let out = m.handle(20, hello("e1", 40));
    assert_eq!(sent(&out), [subscribe(40, "e1")]);
    assert_eq!(m.status(), Status::Live);
    assert_eq!(m.position(), Some(&Position::new("e1", 40)));
    assert_eq!(m.last_seq(), 40);

    // Without a token no auth frame goes.
    let mut m = machine();
    m.handle(0, Input::Start);
    assert!(sent(&m.handle(0, Input::Opened { token: None })).is_empty());
}

#[test]
fn every_event_is_applied_once_in_order_across_reconnects() {
    let mut m = machine();
    let mut all = Vec::new();
    go_live(&mut m, 0, "e1", 0);
    for input in [
        frame_event(1),
        frame_event(2),
        frame_event(2),
        frame_event(1),
        frame_event(3),
    ] {
        all.extend(applied(&m.handle(5, input)));
    }
    assert_eq!(all, [1, 2, 3]);
    assert_eq!(m.stats().duplicates, 2);

    // The socket drops; the retry resumes from 3.
    let out = m.handle(
        100,
        Input::Closed {
            code: 1006,
            reason: String::new(),
        },
    );
    assert!(out.contains(&Command::Disconnect));
    assert_eq!(m.status(), Status::Offline);
    let retry = m.retry_at().expect("a retry is scheduled");
    assert_eq!(m.next_deadline(), Some(retry));
    assert!(m.handle(retry - 1, Input::Tick).is_empty(), "not yet");
    assert_eq!(m.handle(retry, Input::Tick), [Command::Connect]);
    m.handle(retry, Input::Opened { token: None });
    let out = m.handle(retry, hello("e1", 9));
    assert_eq!(sent(&out), [subscribe(3, "e1")]);
    // The server replays after 3 (a duplicate 3 would be dropped too).
    for seq in [3, 4, 5, 5, 9] {
        all.extend(applied(&m.handle(retry, frame_event(seq))));
    }
    assert_eq!(all, [1, 2, 3, 4, 5, 9]);
    assert_eq!(m.last_seq(), 9);
    assert_eq!(m.stats().from_socket, 6);
    assert_eq!(m.stats().connects, 2);
}

#[test]
fn each_applied_event_is_posted_and_nothing_invalidated() {
    let mut m = machine();
    go_live(&mut m, 0, "e1", 4);
    let out = m.handle(1, frame_event(5));
    assert_eq!(
        out,
        [
            Command::Apply(event(5)),
            Command::Post(TabMessage::Event {
                epoch: "e1".into(),
                after: 4,
                topics: vec![Topic::Users, Topic::Posts],
                event: event(5),
            }),
        ]
    );
}

#[test]
fn resync_refetches_everything_and_adopts_the_new_epoch_and_seq() {
    let mut m = machine_with(config(), 0.5, Some(Position::new("e1", 10)));
    m.handle(0, Input::Start);
    m.handle(0, Input::Opened { token: None });
    let out = m.handle(0, hello("e2", 3));
    assert_eq!(sent(&out), [subscribe(10, "e1")], "the server judges");
    let out = m.handle(
        1,
        Input::Frame(ServerFrame::Resync {
            epoch: "e2".into(),
            seq: 3,
        }),
    );
    assert_eq!(
        out,
        [
            Command::ResetSeq(3),
            Command::RefetchAll { round: 1 },
            Command::Post(TabMessage::Resync {
                epoch: "e2".into(),
                seq: 3
            }),
        ]
    );
    assert_eq!(m.status(), Status::Resyncing);
    assert_eq!(m.position(), Some(&Position::new("e2", 3)));
    assert_eq!(m.last_seq(), 3, "backwards: a new epoch");
    // The stream goes on after 3.
    assert_eq!(applied(&m.handle(2, frame_event(4))), [4]);
    assert_eq!(applied(&m.handle(2, frame_event(3))), [] as [u64; 0]);
    // A second RESYNC supersedes the first round.
    m.handle(
        3,
        Input::Frame(ServerFrame::Resync {
            epoch: "e2".into(),
            seq: 8,
        }),
    );
    m.handle(4, Input::RefetchSettled { round: 1 });
    assert_eq!(m.status(), Status::Resyncing, "round 1 is old news");
    m.handle(5, Input::RefetchSettled { round: 2 });
    assert_eq!(m.status(), Status::Live);
    assert_eq!(m.stats().resyncs, 2);
}

#[test]
fn an_unreadable_event_refetches_everything() {
    let mut m = machine();
    go_live(&mut m, 0, "e1", 0);
    assert_eq!(m.status(), Status::Live);
    m.handle(1, frame_event(1));
    let out = m.handle(1, Input::Unapplied { seq: 1 });
    assert!(out.contains(&Command::RefetchAll { round: 1 }));
    assert_eq!(m.status(), Status::Resyncing);
    assert_eq!(m.last_seq(), 1, "covered by the refetch");
}

#[test]
fn heartbeats_are_sent_and_a_silent_socket_is_dropped() {
    let mut m = machine();
    go_live(&mut m, 0, "e1", 0);
    assert_eq!(m.next_deadline(), Some(1_000), "first ping");
    assert_eq!(
        sent(&m.handle(1_000, Input::Tick)),
        [ClientFrame::Heartbeat]
    );
    m.handle(1_100, Input::Frame(ServerFrame::Heartbeat { seq: 0 }));
    assert_eq!(m.next_deadline(), Some(2_000));
    assert_eq!(
        sent(&m.handle(2_000, Input::Tick)),
        [ClientFrame::Heartbeat]
    );
    // Nothing answers: silence since 1 100 for 2 x 1 000 ms.
    assert_eq!(m.next_deadline(), Some(3_000));
    assert_eq!(
        sent(&m.handle(3_000, Input::Tick)),
        [ClientFrame::Heartbeat]
    );
    assert_eq!(m.next_deadline(), Some(3_100));
    let out = m.handle(3_100, Input::Tick);
    assert_eq!(out[0], Command::Disconnect);
    assert_eq!(m.status(), Status::Offline);
    let retry = m.retry_at().unwrap();
    assert!((3_100..=3_600).contains(&retry), "{retry}");
    // A close reported after that changes nothing.
    assert!(m
        .handle(
            3_200,
            Input::Closed {
                code: 1000,
                reason: String::new()
            }
        )
        .is_empty());
    assert_eq!(m.retry_at(), Some(retry));
}

#[test]
fn a_socket_that_never_opens_times_out() {
    let mut m = machine();
    m.handle(0, Input::Start);
    assert_eq!(m.next_deadline(), Some(2_000));
    assert!(m.handle(1_999, Input::Tick).is_empty());
    assert_eq!(m.handle(2_000, Input::Tick)[0], Command::Disconnect);
    assert_eq!(m.status(), Status::Offline);
}

#[test]
fn heartbeats_move_the_position_once_the_stream_is_proven() {
    let mut m = machine();
    go_live(&mut m, 0, "e1", 5);
    // May have been sent before the server read `subscribe`: its seq is
    // the log's head, not this stream's position.
    let out = m.handle(1, Input::Frame(ServerFrame::Heartbeat { seq: 20 }));
    assert!(out.is_empty());
    assert_eq!(m.last_seq(), 5);
    m.handle(2, frame_event(6));
    let out = m.handle(3, Input::Frame(ServerFrame::Heartbeat { seq: 20 }));
    assert_eq!(
        posted(&out),
        [TabMessage::Position {
            epoch: "e1".into(),
            after: 6,
            seq: 20,
            topics: vec![Topic::Users, Topic::Posts],
        }]
    );
    assert_eq!(m.last_seq(), 20);
    assert!(m
        .handle(4, Input::Frame(ServerFrame::Heartbeat { seq: 20 }))
        .is_empty());
    // After a reconnect the proof is needed again.
    m.handle(
        5,
        Input::Closed {
            code: 1006,
            reason: String::new(),
        },
    );
    m.handle(5, Input::ReconnectNow);
    m.handle(5, Input::Opened { token: None });
    let out = m.handle(5, hello("e1", 30));
    assert_eq!(sent(&out), [subscribe(20, "e1")]);
    m.handle(6, Input::Frame(ServerFrame::Heartbeat { seq: 30 }));
    assert_eq!(m.last_seq(), 20);
}

#[test]
fn backoff_grows_to_its_cap_and_restarts_after_a_stable_connection() {
    // The random source always gives the top of the window.
    let mut m = machine_with(config(), 0.999_999_9, None);
    let mut now = 0;
    m.handle(now, Input::Start);
    let mut delays = Vec::new();
    for _ in 0..6 {
        m.handle(
            now,
            Input::Closed {
                code: 1006,
                reason: String::new(),
            },
        );
        let retry = m.retry_at().unwrap();
        delays.push(retry - now);
        now = retry;
        assert_eq!(m.handle(now, Input::Tick), [Command::Connect]);
    }
    assert_eq!(delays, [500, 1_000, 2_000, 4_000, 4_000, 4_000]);
    assert_eq!(m.attempt(), 6);

    // Live for less than a heartbeat interval: still failing.
    m.handle(now, Input::Opened { token: None });
    m.handle(now, hello("e1", 0));
    m.handle(
        now + 999,
        Input::Closed {
            code: 1006,
            reason: String::new(),
        },
    );
    assert_eq!(m.retry_at(), Some(now + 999 + 4_000));
    now += 999 + 4_000;
    m.handle(now, Input::Tick);
    // Live for a full interval: a fresh start.
    m.handle(now, Input::Opened { token: None });
    m.handle(now, hello("e1", 0));
    m.handle(
        now + 1_000,
        Input::Closed {
            code: 1001,
            reason: "server shutting down".into(),
        },
    );
    assert_eq!(m.retry_at(), Some(now + 1_000 + 500));
    assert_eq!(m.attempt(), 1);

    // The bottom of the window is a retry at once.
    let mut low = machine_with(config(), 0.0, None);
    low.handle(7, Input::Start);
    low.handle(
        7,
        Input::Closed {
            code: 1006,
            reason: String::new(),
        },
    );
    assert_eq!(low.retry_at(), Some(7));
}

#[test]
fn reconnect_now_and_online_skip_the_wait() {
    let mut m = machine();
    m.handle(0, Input::Start);
    m.handle(
        0,
        Input::Closed {
            code: 1006,
            reason: String::new(),
        },
    );
    m.handle(
        0,
        Input::Closed {
            code: 1006,
            reason: String::new(),
        },
    );
    assert_eq!(m.attempt(), 1, "a close while waiting is not a failure");
    assert_eq!(m.handle(1, Input::Online), [Command::Connect]);
    assert_eq!(m.status(), Status::Connecting);
    assert!(m.handle(1, Input::Online).is_empty(), "already connecting");
    m.handle(1, Input::Opened { token: None });
    m.handle(1, hello("e1", 0));
    assert_eq!(
        m.handle(2, Input::ReconnectNow),
        [Command::Disconnect, Command::Connect]
    );
    assert_eq!(m.attempt(), 0);
    assert_eq!(m.status(), Status::Connecting);
}

#[test]
fn frames_out_of_place_are_ignored() {
    let mut m = machine();
    assert!(m.handle(0, frame_event(1)).is_empty(), "no socket");
    m.handle(0, Input::Start);
    m.handle(0, Input::Opened { token: None });
    assert!(m.handle(0, frame_event(1)).is_empty(), "before hello");
    m.handle(0, hello("e1", 0));
    let out = m.handle(0, hello("e1", 0));
    assert!(sent(&out).is_empty(), "one subscribe per socket");
    let out = m.handle(0, Input::BadFrame("nope".into()));
    assert!(matches!(out.as_slice(), [Command::Warn(_)]));
    let out = m.handle(
        0,
        Input::Frame(ServerFrame::error("bad_frame", "what was that")),
    );
    assert!(matches!(out.as_slice(), [Command::Warn(_)]));
    assert_eq!(m.status(), Status::Live, "errors keep the socket");
}

#[test]
fn stop_is_final() {
    let mut m = machine();
    go_live(&mut m, 0, "e1", 0);
    assert_eq!(m.handle(1, Input::Stop), [Command::Disconnect]);
    assert!(m.is_stopped());
    assert_eq!(m.status(), Status::Offline);
    assert_eq!(m.next_deadline(), None);
    for input in [
        Input::ReconnectNow,
        Input::Start,
        Input::Tick,
        frame_event(1),
    ] {
        assert!(m.handle(2, input).is_empty());
    }
}

/// What tab `from` posts, handed to tab `to`: returns `to`'s commands.
fn relay(from: &[Command], to: &mut Machine, now: Millis) -> Vec<Command> {
    posted(from)
        .into_iter()
        .flat_map(|m| to.handle(now, Input::Tab(m)))
        .collect()
}

#[test]
fn an_event_from_another_tab_and_from_the_socket_is_applied_once() {
    let (mut a, mut b) = (machine(), machine());
    go_live(&mut a, 0, "e1", 5);
    go_live(&mut b, 0, "e1", 5);

    // A's socket is quicker: B takes 6 from A, then from its socket.
    let from_a = a.handle(1, frame_event(6));
    assert_eq!(applied(&relay(&from_a, &mut b, 1)), [6]);
    assert!(applied(&b.handle(2, frame_event(6))).is_empty());
    // B's socket is quicker for 7.
    let from_b = b.handle(3, frame_event(7));
    assert_eq!(applied(&from_b), [7]);
    assert_eq!(applied(&relay(&from_b, &mut a, 3)), [7]);
    let from_a = a.handle(4, frame_event(7));
    assert!(
        from_a.is_empty(),
        "a duplicate is neither applied nor posted"
    );
    assert_eq!((a.last_seq(), b.last_seq()), (7, 7));
    assert_eq!(b.stats().from_socket + b.stats().from_tabs, 2);
    assert_eq!(a.stats().from_socket + a.stats().from_tabs, 2);
    // Receivers never re-post.
    assert!(posted(&relay(&from_b, &mut a, 5)).is_empty());
}

#[test]
fn a_tab_whose_socket_is_down_follows_another() {
    let (mut a, mut b) = (machine(), machine());
    go_live(&mut a, 0, "e1", 5);
    go_live(&mut b, 0, "e1", 5);
    b.handle(
        1,
        Input::Closed {
            code: 1006,
            reason: String::new(),
        },
    );
    assert_eq!(b.status(), Status::Offline);
    let mut got = Vec::new();
    for seq in [6, 8, 9] {
        let from_a = a.handle(2, frame_event(seq));
        got.extend(applied(&relay(&from_a, &mut b, 2)));
    }
    assert_eq!(got, [6, 8, 9]);
    // A heartbeat of A moves B too, so B resumes from there.
    a.handle(3, Input::Frame(ServerFrame::Heartbeat { seq: 12 }))
        .into_iter()
        .for_each(|c| {
            if let Command::Post(m) = c {
                b.handle(3, Input::Tab(m));
            }
        });
    assert_eq!(b.last_seq(), 12);
    let retry = b.retry_at().unwrap();
    b.handle(retry, Input::Tick);
    b.handle(retry, Input::Opened { token: None });
    assert_eq!(
        sent(&b.handle(retry, hello("e1", 12))),
        [subscribe(12, "e1")]
    );
    assert_eq!(b.stats().from_tabs, 3);
}

#[test]
fn another_tabs_event_that_would_skip_something_is_left_to_the_socket() {
    let (mut a, mut b) = (machine(), machine());
    go_live(&mut a, 0, "e1", 5);
    go_live(&mut b, 0, "e1", 2);
    // B is at 2, A was at 5: B has not seen 3..5 yet.
    let from_a = a.handle(1, frame_event(6));
    assert!(applied(&relay(&from_a, &mut b, 1)).is_empty());
    assert_eq!(b.stats().deferred, 1);
    let mut got = Vec::new();
    for seq in [3, 4, 6] {
        got.extend(applied(&b.handle(2, frame_event(seq))));
    }
    assert_eq!(got, [3, 4, 6]);

    // A narrower sender: its stream says nothing about B's other topics.
    let mut narrow = machine_with(
        Config {
            topics: vec![Topic::User(user(7))],
            ..config()
        },
        0.5,
        None,
    );
    go_live(&mut narrow, 0, "e1", 6);
    let from_narrow = narrow.handle(1, frame_event(7));
    assert_eq!(applied(&from_narrow), [7]);
    assert!(applied(&relay(&from_narrow, &mut b, 1)).is_empty());
    // ...but a wide sender covers the narrow tab.
    let from_b = b.handle(3, frame_event(8));
    let mut narrow_b = machine_with(
        Config {
            topics: vec![Topic::User(user(8))],
            ..config()
        },
        0.5,
        Some(Position::new("e1", 6)),
    );
    assert_eq!(applied(&relay(&from_b, &mut narrow_b, 3)), [8]);

    // Another epoch is never mixed in.
    let mut other = machine();
    go_live(&mut other, 0, "e0", 6);
    let from_other = other.handle(4, frame_event(9));
    assert!(applied(&relay(&from_other, &mut b, 4)).is_empty());
}

#[test]
fn a_tab_that_never_connected_starts_from_another_tabs_stream() {
    let mut a = machine();
    go_live(&mut a, 0, "e1", 5);
    let mut b = machine();
    b.handle(0, Input::Start);
    let from_a = a.handle(1, frame_event(6));
    assert_eq!(applied(&relay(&from_a, &mut b, 1)), [6]);
    assert_eq!(b.position(), Some(&Position::new("e1", 6)));
    b.handle(2, Input::Opened { token: None });
    assert_eq!(sent(&b.handle(2, hello("e1", 9))), [subscribe(6, "e1")]);

    // With refetch_on_first_connect, taking a first position refetches.
    let mut c = machine_with(
        Config {
            refetch_on_first_connect: true,
            ..config()
        },
        0.5,
        None,
    );
    let out = relay(&from_a, &mut c, 1);
    assert!(out.contains(&Command::RefetchAll { round: 1 }));
    let mut d = machine_with(
        Config {
            refetch_on_first_connect: true,
            ..config()
        },
        0.5,
        None,
    );
    let out = go_live(&mut d, 0, "e1", 5);
    assert!(out.contains(&Command::RefetchAll { round: 1 }));
    assert_eq!(d.status(), Status::Resyncing);
}

#[test]
fn another_tabs_resync_is_followed_only_by_a_tab_that_is_not_live() {
    let mut a = machine();
    go_live(&mut a, 0, "e1", 5);
    let from_a = a.handle(
        1,
        Input::Frame(ServerFrame::Resync {
            epoch: "e2".into(),
            seq: 40,
        }),
    );
    let mut live = machine();
    go_live(&mut live, 0, "e1", 5);
    assert!(relay(&from_a, &mut live, 1).is_empty());
    assert_eq!(live.last_seq(), 5);

    let mut down = machine();
    down.handle(0, Input::Start);
    let out = relay(&from_a, &mut down, 1);
    assert_eq!(
        out,
        [Command::ResetSeq(40), Command::RefetchAll { round: 1 }]
    );
    assert_eq!(down.position(), Some(&Position::new("e2", 40)));
    assert!(relay(&from_a, &mut down, 2).is_empty(), "once");
}

#[test]
fn shared_cache_writes_become_commands() {
    let mut m = machine();
    let key = QueryKey::new("users");
    let out = m.handle(
        0,
        Input::Tab(TabMessage::QueryData {
            key: key.clone(),
            data: json!([1]),
        }),
    );
    assert_eq!(
        out,
        [Command::WriteQueryData {
            key,
            data: json!([1])
        }]
    );
    let out = m.handle(
        0,
        Input::Tab(TabMessage::Invalidate {
            tags: vec![Tag::Posts],
        }),
    );
    assert_eq!(out, [Command::Invalidate(vec![Tag::Posts])]);
}

#[test]
fn a_fresh_token_is_presented_on_the_open_socket_only() {
    let mut m = machine();
    m.handle(0, Input::Start);
    let token = || Input::Reauthenticate { token: "t2".into() };
    assert!(sent(&m.handle(1, token())).is_empty(), "still connecting");
    go_live(&mut m, 2, "e1", 5);
    assert_eq!(
        sent(&m.handle(3, token())),
        [ClientFrame::Auth { token: "t2".into() }]
    );
    m.handle(
        4,
        Input::Closed {
            code: 1006,
            reason: String::new(),
        },
    );
    assert!(sent(&m.handle(5, token())).is_empty(), "offline");
}

#[test]
fn an_expired_token_or_an_old_role_refreshes_the_session_and_reconnects() {
    use tidings::protocol::close_code;
    for code in [close_code::TOKEN_EXPIRED, close_code::ROLE_CHANGED] {
        let mut m = machine();
        go_live(&mut m, 0, "e1", 5);
        let out = m.handle(
            10,
            Input::Closed {
                code,
                reason: "expired".into(),
            },
        );
        assert_eq!(out.first(), Some(&Command::RefreshSession), "{code}");
        assert_eq!(m.status(), Status::Offline);
        let retry = m.next_deadline().expect("a reconnect is scheduled");
        assert_eq!(m.handle(retry, Input::Tick), [Command::Connect]);
        // It resumes where it was.
        m.handle(
            retry,
            Input::Opened {
                token: Some("fresh".into()),
            },
        );
        assert_eq!(sent(&m.handle(retry, hello("e1", 9))), [subscribe(5, "e1")]);
    }
}

#[test]
fn an_ended_session_stops_the_socket_for_good() {
    let mut m = machine();
    go_live(&mut m, 0, "e1", 5);
    let code = tidings::protocol::close_code::SESSION_ENDED;
    let out = m.handle(
        10,
        Input::Closed {
            code,
            reason: "signed out".into(),
        },
    );
    assert!(out.contains(&Command::SessionEnded), "{out:?}");
    assert!(!out.contains(&Command::Connect));
    assert_eq!(m.next_deadline(), None, "no reconnect");
    assert!(m.handle(60_000, Input::Online).is_empty());
    assert!(m.handle(60_000, Input::Tick).is_empty());
}

/// The leader's relay of event `seq`, which it applied after `after`.
fn relayed(after: u64, seq: u64) -> Input {
    Input::Tab(TabMessage::Event {
        epoch: "e1".into(),
        after,
        topics: vec![Topic::Users, Topic::Posts],
        event: event(seq),
    })
}

fn leader(status: Status, seq: u64) -> Input {
    Input::Tab(TabMessage::Leader {
        status,
        epoch: Some("e1".into()),
        seq,
    })
}

#[test]
fn a_follower_opens_no_socket_shows_the_leaders_status_and_applies_its_events() {
    let mut m = machine_with(config(), 0.5, Some(Position::new("e1", 10)));
    let out = m.handle(0, Input::Follow);
    assert_eq!(out, [Command::Post(TabMessage::Join)], "asks who leads");
    assert_eq!(m.status(), Status::Connecting);
    assert_eq!(m.next_deadline(), None, "no socket to watch");

    assert!(
        m.handle(1, leader(Status::Live, 10)).is_empty(),
        "level: nothing to refetch"
    );
    assert_eq!(m.status(), Status::Live);
    assert_eq!(applied(&m.handle(2, relayed(10, 11))), [11]);
    assert!(
        applied(&m.handle(3, relayed(10, 11))).is_empty(),
        "never twice"
    );
    // Asking to reconnect, or the network coming back, opens no socket.
    assert!(m.handle(4, Input::ReconnectNow).is_empty());
    assert!(m.handle(4, Input::Online).is_empty());
    assert_eq!(m.stats().connects, 0);

    assert!(m.handle(5, leader(Status::Offline, 11)).is_empty());
    assert_eq!(m.status(), Status::Offline, "the leader's socket is down");
}

#[test]
fn a_follower_behind_the_leader_refetches_once_and_stands_where_it_stands() {
    let mut m = machine_with(config(), 0.5, Some(Position::new("e1", 10)));
    m.handle(0, Input::Follow);
    let out = m.handle(1, leader(Status::Live, 14));
    assert!(out.contains(&Command::ResetSeq(14)));
    assert!(matches!(out.last(), Some(Command::RefetchAll { .. })));
    assert_eq!(m.position(), Some(&Position::new("e1", 14)));

    // A relay it missed (15) shows as a gap: refetch again, then go on.
    let out = m.handle(2, relayed(15, 16));
    assert!(applied(&out).is_empty());
    assert!(out.contains(&Command::ResetSeq(16)));
    assert_eq!(applied(&m.handle(3, relayed(16, 17))), [17]);
}

#[test]
fn a_follower_that_takes_over_resumes_from_its_own_position() {
    let mut m = machine_with(config(), 0.5, Some(Position::new("e1", 10)));
    m.handle(0, Input::Follow);
    m.handle(1, leader(Status::Live, 10));
    m.handle(2, relayed(10, 11));
    // The leader tab closed; the lock is this tab's now.
    let out = m.handle(3, Input::Start);
    assert_eq!(out[0], Command::Connect);
    assert_eq!(
        posted(&out),
        [TabMessage::Leader {
            status: Status::Connecting,
            epoch: Some("e1".into()),
            seq: 11,
        }]
    );
    m.handle(4, Input::Opened { token: None });
    let out = m.handle(5, hello("e1", 30));
    assert_eq!(
        sent(&out),
        [subscribe(11, "e1")],
        "the server replays 12..=30"
    );
    assert_eq!(m.status(), Status::Live);
    assert!(
        posted(&out).contains(&TabMessage::Leader {
            status: Status::Live,
            epoch: Some("e1".into()),
            seq: 11,
        }),
        "tells the other tabs it leads, live"
    );
    assert!(
        applied(&m.handle(6, frame_event(11))).is_empty(),
        "applied already"
    );
    assert_eq!(applied(&m.handle(7, frame_event(12))), [12]);
    // A tab that joins now hears the leader at once.
    let out = m.handle(8, Input::Tab(TabMessage::Join));
    assert_eq!(
        posted(&out),
        [TabMessage::Leader {
            status: Status::Live,
            epoch: Some("e1".into()),
            seq: 12,
        }]
    );
}
