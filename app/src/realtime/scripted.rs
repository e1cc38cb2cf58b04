//! A socket played by hand, for tests of the realtime manager in a real
//! browser without a server ([`Transport::Scripted`]). Built only with the
//! `testing` feature: production builds hold no trace of it.

use tidings::protocol::{ClientFrame, ServerFrame};

use super::browser::{dispatch, Driver};
use super::machine::Input;
use super::Transport;

/// What a [`Transport::Scripted`] socket was asked and told.
#[derive(Default)]
pub(super) struct Script {
    pub(super) connects: usize,
    pub(super) sent: Vec<ClientFrame>,
}

/// A socket played by hand ([`Transport::Scripted`]): what the manager
/// asked of it, and what it "receives". Every call is handled like the
/// corresponding browser event.
#[derive(Clone)]
pub struct ScriptedSocket(Driver);

impl ScriptedSocket {
    /// The hand-played socket of `driver`, if it was started scripted.
    pub(super) fn of(driver: &Driver) -> Option<Self> {
        let scripted = driver.runtime().borrow().transport == Transport::Scripted;
        scripted.then(|| Self(driver.clone()))
    }

    /// How many sockets the manager opened.
    pub fn connects(&self) -> usize {
        self.0.runtime().borrow().script.connects
    }

    /// Every frame the manager sent, oldest first.
    pub fn sent(&self) -> Vec<ClientFrame> {
        self.0.runtime().borrow().script.sent.clone()
    }

    /// The socket opens; `token` is what the token source gives.
    pub fn open(&self) {
        let source = self.0.runtime().borrow().token.clone();
        let token = source.and_then(|source| source());
        dispatch(self.0.runtime(), Input::Opened { token });
    }

    /// The server sends `frame`.
    pub fn receive(&self, frame: ServerFrame) {
        dispatch(self.0.runtime(), Input::Frame(frame));
    }

    /// The server sends raw text.
    pub fn receive_text(&self, text: &str) {
        let input = match ServerFrame::parse(text) {
            Ok(frame) => Input::Frame(frame),
            Err(e) => Input::BadFrame(format!("{e}: {text}")),
        };
        dispatch(self.0.runtime(), input);
    }

    /// The socket closes with `code`.
    pub fn close(&self, code: u16) {
        dispatch(
            self.0.runtime(),
            Input::Closed {
                code,
                reason: String::new(),
            },
        );
    }
}
