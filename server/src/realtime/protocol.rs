//! Frames as WebSocket messages: server frames out as JSON text, client
//! messages in as typed frames or as the `error` frame that answers them.
//! The frame types are `tidings::protocol`'s, shared with the browser.

use axum::extract::ws::Message;
pub use tidings::protocol::{
    error_code, ClientFrame, Event, ServerFrame, Topic, TopicSet, MAX_CLIENT_FRAME,
};

/// What one incoming message asks of the socket.
#[derive(Debug)]
pub enum Incoming {
    /// A frame to act on.
    Frame(ClientFrame),
    /// A frame that could not be read: send this `error` frame back.
    Refused(ServerFrame),
    /// A frame over [`MAX_CLIENT_FRAME`] bytes: the socket closes.
    TooLarge,
    /// The client closed the socket.
    Closed,
    /// Pings and pongs (answered by the WebSocket layer itself).
    Ignored,
}

/// A server frame as a text message.
pub fn encode(frame: &ServerFrame) -> Message {
    Message::text(frame.to_text())
}

/// Reads one message from the client.
pub fn decode(message: Message) -> Incoming {
    match message {
        Message::Text(text) if text.len() > MAX_CLIENT_FRAME => Incoming::TooLarge,
        Message::Binary(bytes) if bytes.len() > MAX_CLIENT_FRAME => Incoming::TooLarge,
        Message::Text(text) => match ClientFrame::parse(text.as_str()) {
            Ok(frame) => Incoming::Frame(frame),
            Err(e) => Incoming::Refused(ServerFrame::error(
                error_code::BAD_FRAME,
                format!("unreadable frame: {e}"),
            )),
        },
        Message::Binary(_) => Incoming::Refused(ServerFrame::error(
            error_code::BAD_FRAME,
            "frames are JSON text, not binary",
        )),
        Message::Close(_) => Incoming::Closed,
        Message::Ping(_) | Message::Pong(_) => Incoming::Ignored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused_code(incoming: Incoming) -> String {
        match incoming {
            Incoming::Refused(ServerFrame::Error { code, message }) => {
                assert!(!message.is_empty());
                code
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn text_frames_decode_and_bad_ones_are_refused() {
        assert!(matches!(
            decode(Message::text(r#"{"type":"HEARTBEAT"}"#)),
            Incoming::Frame(ClientFrame::Heartbeat)
        ));
        assert_eq!(refused_code(decode(Message::text("{"))), "bad_frame");
        assert_eq!(
            refused_code(decode(Message::text(
                r#"{"type":"subscribe","topics":["x"]}"#
            ))),
            "bad_frame"
        );
        assert_eq!(
            refused_code(decode(Message::binary(vec![1, 2, 3]))),
            "bad_frame"
        );
        assert!(matches!(decode(Message::Close(None)), Incoming::Closed));
        let big = format!(
            r#"{{"type":"HEARTBEAT","pad":"{}"}}"#,
            "x".repeat(MAX_CLIENT_FRAME)
        );
        assert!(matches!(decode(Message::text(big)), Incoming::TooLarge));
        assert!(matches!(
            decode(Message::Ping(Default::default())),
            Incoming::Ignored
        ));
    }

    #[test]
    fn server_frames_encode_as_text() {
        let Message::Text(text) = encode(&ServerFrame::Heartbeat { seq: 4 }) else {
            panic!("a text message");
        };
        assert_eq!(text.as_str(), r#"{"type":"HEARTBEAT","seq":4}"#);
    }
}
