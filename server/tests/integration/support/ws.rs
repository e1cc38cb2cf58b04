//! A realtime client for the tests: a real WebSocket (tokio-tungstenite)
//! speaking the `tidings::protocol` frames, where every wait for a frame
//! is bounded.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tidings::protocol::{ClientFrame, Event, ServerFrame, Topic};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Longest wait for any one frame before the test fails.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(20);

/// What the server sent on connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    pub epoch: String,
    pub seq: u64,
}

/// One realtime socket.
pub struct WsClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// What came instead of a frame.
#[derive(Debug)]
pub enum NotAFrame {
    Closed(Option<CloseFrame>),
    /// The connection broke without a close (the server process died);
    /// the error is for failure messages.
    Broken(#[allow(dead_code)] String),
    TimedOut,
}

impl WsClient {
    /// Connects to `url` signed in with the access token `token` (as a
    /// Bearer header on the upgrade) and reads the `hello`.
    pub async fn connect(url: &str, token: &str) -> (Self, Hello) {
        let client = Self::open(url, Some(token)).await;
        client.hello().await
    }

    /// Connects to `url`, with `token` as a Bearer header on the upgrade
    /// if given, and reads nothing.
    pub async fn open(url: &str, token: Option<&str>) -> Self {
        let mut request = url.into_client_request().expect("a WebSocket URL");
        if let Some(token) = token {
            request.headers_mut().insert(
                "authorization",
                format!("Bearer {token}").parse().expect("a header value"),
            );
        }
        let (ws, _) =
            tokio::time::timeout(FRAME_TIMEOUT, tokio_tungstenite::connect_async(request))
                .await
                .expect("the socket connects in time")
                .expect("the socket connects");
        Self { ws }
    }

    /// Connects signed in with `token`, subscribed to every event from
    /// now on, and in sync with the server.
    pub async fn live(url: &str, token: &str) -> Self {
        let (mut ws, hello) = Self::connect(url, token).await;
        ws.subscribe(&[Topic::Users, Topic::Posts], hello.seq).await;
        ws.sync().await;
        ws
    }

    /// Connects to `url` with `headers` on the upgrade; the HTTP status
    /// when the server refuses to upgrade.
    pub async fn try_open(url: &str, headers: &[(&str, &str)]) -> Result<Self, u16> {
        let mut request = url.into_client_request().expect("a WebSocket URL");
        for (name, value) in headers {
            request.headers_mut().insert(
                tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes())
                    .expect("a header name"),
                value.parse().expect("a header value"),
            );
        }
        let connected =
            tokio::time::timeout(FRAME_TIMEOUT, tokio_tungstenite::connect_async(request))
                .await
                .expect("the upgrade is answered in time");
        match connected {
            Ok((ws, _)) => Ok(Self { ws }),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                Err(response.status().as_u16())
            }
            Err(e) => panic!("the upgrade failed: {e}"),
        }
    }

    /// Wraps a socket the test connected itself.
    pub fn from_stream(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Self {
        Self { ws }
    }

    /// Waits for the server to close the socket, skipping other frames;
    /// the close code and reason.
    pub async fn closed(&mut self, wait: Duration) -> (u16, String) {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.try_next_frame(left).await {
                Ok(_) => continue,
                Err(NotAFrame::Closed(Some(frame))) => {
                    return (frame.code.into(), frame.reason.to_string())
                }
                Err(other) => panic!("expected a close frame, got {other:?}"),
            }
        }
    }

    /// Reads until the server ends the connection (a close frame, or a
    /// connection dropped without one); the events that came before.
    /// Fails the test if nothing ends it within `wait` of the last frame.
    pub async fn events_until_dropped(mut self, wait: Duration) -> usize {
        let mut events = 0;
        loop {
            match tokio::time::timeout(wait, self.ws.next()).await {
                Err(_) => panic!("the socket stays open"),
                Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return events,
                Ok(Some(Ok(Message::Text(text)))) => {
                    if matches!(ServerFrame::parse(text.as_str()), Ok(ServerFrame::Event(_))) {
                        events += 1;
                    }
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    /// Reads the `hello` the server greets a signed-in socket with.
    pub async fn hello(mut self) -> (Self, Hello) {
        match self.next_frame().await {
            ServerFrame::Hello { epoch, seq } => (self, Hello { epoch, seq }),
            other => panic!("the first frame is hello, got {other:?}"),
        }
    }

    pub async fn send(&mut self, frame: &ClientFrame) {
        self.send_message(Message::text(frame.to_text())).await;
    }

    pub async fn send_message(&mut self, message: Message) {
        self.ws.send(message).await.expect("send a frame");
    }

    pub async fn subscribe(&mut self, topics: &[Topic], since: u64) {
        self.send(&ClientFrame::Subscribe {
            topics: topics.to_vec(),
            since,
            epoch: None,
        })
        .await;
    }

    /// The next frame, or why there is none (within `wait`).
    pub async fn try_next_frame(&mut self, wait: Duration) -> Result<ServerFrame, NotAFrame> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let message = match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return Err(NotAFrame::TimedOut),
                Ok(None) => return Err(NotAFrame::Closed(None)),
                Ok(Some(Err(e))) => return Err(NotAFrame::Broken(e.to_string())),
                Ok(Some(Ok(message))) => message,
            };
            match message {
                Message::Text(text) => {
                    return Ok(ServerFrame::parse(text.as_str())
                        .unwrap_or_else(|e| panic!("unreadable server frame {text:?}: {e}")))
                }
                Message::Close(frame) => return Err(NotAFrame::Closed(frame)),
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
                Message::Binary(b) => panic!("the server sent a binary frame: {b:?}"),
            }
        }
    }

    /// The next frame; fails the test on close or timeout.
    pub async fn next_frame(&mut self) -> ServerFrame {
        match self.try_next_frame(FRAME_TIMEOUT).await {
            Ok(frame) => frame,
            Err(e) => panic!("expected a frame, got {e:?}"),
        }
    }

    /// The next event, skipping heartbeats; fails on any other frame.
    pub async fn next_event(&mut self) -> Event {
        loop {
            match self.next_frame().await {
                ServerFrame::Event(event) => return event,
                ServerFrame::Heartbeat { .. } => continue,
                other => panic!("expected an event, got {other:?}"),
            }
        }
    }

    /// Events up to and including seq `through`, in the order received.
    pub async fn events_through(&mut self, through: u64) -> Vec<Event> {
        let mut out: Vec<Event> = Vec::new();
        while out.last().is_none_or(|e| e.seq < through) {
            out.push(self.next_event().await);
        }
        assert_eq!(out.last().unwrap().seq, through, "stream passed {through}");
        out
    }

    /// Round trip: sends `HEARTBEAT` and returns the events that arrived
    /// before the answer. Every frame sent before this one has been acted
    /// on once it returns.
    pub async fn sync(&mut self) -> (Vec<Event>, u64) {
        self.send(&ClientFrame::Heartbeat).await;
        let mut events = Vec::new();
        loop {
            match self.next_frame().await {
                ServerFrame::Heartbeat { seq } => return (events, seq),
                ServerFrame::Event(e) => events.push(e),
                other => panic!("expected events then HEARTBEAT, got {other:?}"),
            }
        }
    }

    /// Closes the socket cleanly.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
        let _ = tokio::time::timeout(FRAME_TIMEOUT, async {
            while let Some(Ok(_)) = self.ws.next().await {}
        })
        .await;
    }
}
