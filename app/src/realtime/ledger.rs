//! The seq/epoch bookkeeping of one tab: where in the server's event log it
//! stands, and whether an event (from its socket or from another tab) is
//! new, a duplicate, or would skip something.
//!
//! The **position** `(epoch, seq)` means: every event up to `seq` of that
//! log which matches this tab's topics has been applied, or is covered by a
//! refetch (after a `RESYNC`). It only moves forward within an epoch; it is
//! what `subscribe {since, epoch}` resumes from.
//!
//! - From the socket, events arrive in strictly increasing seq (the server
//!   guarantees it for one socket), so an event is new exactly when its seq
//!   is past the position. Seqs skip: a subscription sees only its topics.
//! - A `HEARTBEAT {seq}` says everything matching up to `seq` was sent, so
//!   the position may move to it (the machine only trusts it once the
//!   socket's subscription is known to be in force).
//! - Another tab's event comes with the position that tab had just before
//!   it (`after`) and its topics. It is applied here only if it skips
//!   nothing this tab needs: same epoch, `after <= position < seq`, and the
//!   sender's topics cover this tab's (otherwise an event only this tab
//!   wants could lie between, and moving past it would lose it for good).
//!   Anything else is left to this tab's own socket (a follower tab, which
//!   has none, refetches what it shows instead; see `machine.rs`).
//! - A tab with no position yet (its socket never said `hello`) adopts the
//!   other tab's `after` as its start, as it would adopt `hello`'s seq: its
//!   data was loaded before, and is trusted as of then.

use serde::{Deserialize, Serialize};

/// A place in the server's event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The log's identity; a new database is a new epoch.
    pub epoch: String,
    /// The last seq accounted for.
    pub seq: u64,
}

impl Position {
    /// Position `seq` of log `epoch`.
    pub fn new(epoch: impl Into<String>, seq: u64) -> Self {
        Self {
            epoch: epoch.into(),
            seq,
        }
    }
}

/// What to send in `subscribe` after `hello`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resume {
    /// The last seq applied.
    pub since: u64,
    /// The epoch `since` belongs to.
    pub epoch: Option<String>,
    /// No position was known: `hello`'s was adopted.
    pub fresh: bool,
}

/// Why another tab's event or position was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// At or before this tab's position.
    Duplicate,
    /// Of another epoch than this tab's.
    ForeignEpoch,
    /// The sender was ahead: this tab would jump over events it has not
    /// seen.
    Gap,
    /// The sender's topics do not cover this tab's.
    Narrower,
}

/// What became of another tab's event or position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TabVerdict {
    /// Taken: the position moved to its seq. `fresh` when this tab had no
    /// position before.
    Take { fresh: bool },
    /// Not taken.
    Skip(Skip),
}

/// One tab's position; see the module docs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    position: Option<Position>,
}

impl Ledger {
    /// A ledger starting at `start` (the position the tab's data reflects,
    /// when the page knows it), or with none.
    pub fn new(start: Option<Position>) -> Self {
        Self { position: start }
    }

    /// The position, if any.
    pub fn position(&self) -> Option<&Position> {
        self.position.as_ref()
    }

    /// The position's seq (0 when none).
    pub fn seq(&self) -> u64 {
        self.position.as_ref().map_or(0, |p| p.seq)
    }

    /// The position's epoch, if any.
    pub fn epoch(&self) -> Option<&str> {
        self.position.as_ref().map(|p| p.epoch.as_str())
    }

    /// After `hello {epoch, seq}`: where to resume. With no position yet,
    /// `hello`'s is adopted (the stream starts at the log's head).
    pub fn resume(&mut self, hello_epoch: &str, hello_seq: u64) -> Resume {
        match &self.position {
            Some(p) => Resume {
                since: p.seq,
                epoch: Some(p.epoch.clone()),
                fresh: false,
            },
            None => {
                self.position = Some(Position::new(hello_epoch, hello_seq));
                Resume {
                    since: hello_seq,
                    epoch: Some(hello_epoch.to_owned()),
                    fresh: true,
                }
            }
        }
    }

    /// An event from this tab's socket: `true` when it is new (the position
    /// moves to it), `false` for a duplicate or an older seq.
    pub fn socket_event(&mut self, seq: u64) -> bool {
        match &mut self.position {
            Some(p) if seq > p.seq => {
                p.seq = seq;
                true
            }
            _ => false,
        }
    }

    /// Everything matching up to `seq` has been received: moves the
    /// position there if it is further. `true` when it moved.
    pub fn advance_to(&mut self, seq: u64) -> bool {
        match &mut self.position {
            Some(p) if seq > p.seq => {
                p.seq = seq;
                true
            }
            _ => false,
        }
    }

    /// A `RESYNC {epoch, seq}`: what is shown gets refetched, and the
    /// stream continues after `seq`; the position becomes exactly that
    /// (even backwards, for a new epoch).
    pub fn resync(&mut self, epoch: &str, seq: u64) {
        self.position = Some(Position::new(epoch, seq));
    }

    /// Whether this tab stands before `(epoch, seq)`: no position, another
    /// epoch, or an older seq.
    pub fn is_before(&self, epoch: &str, seq: u64) -> bool {
        match &self.position {
            None => true,
            Some(p) => p.epoch != epoch || p.seq < seq,
        }
    }

    /// Another tab, whose topics `cover` this tab's (or not), went from
    /// `after` to `seq` in log `epoch` (applying the event `seq`, or
    /// hearing that nothing matched up to it). Takes it when that skips
    /// nothing here; see the module docs.
    pub fn take_from_tab(&mut self, epoch: &str, after: u64, seq: u64, covers: bool) -> TabVerdict {
        if after >= seq {
            return TabVerdict::Skip(Skip::Duplicate);
        }
        let fresh = self.position.is_none();
        let position = self
            .position
            .get_or_insert_with(|| Position::new(epoch, after));
        if position.epoch != epoch {
            return TabVerdict::Skip(Skip::ForeignEpoch);
        }
        if seq <= position.seq {
            return TabVerdict::Skip(Skip::Duplicate);
        }
        if !covers {
            if fresh {
                self.position = None;
            }
            return TabVerdict::Skip(Skip::Narrower);
        }
        if after > position.seq {
            return TabVerdict::Skip(Skip::Gap);
        }
        position.seq = seq;
        TabVerdict::Take { fresh }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seq: u64) -> Ledger {
        Ledger::new(Some(Position::new("e1", seq)))
    }

    #[test]
    fn hello_is_adopted_only_without_a_position() {
        let mut fresh = Ledger::default();
        assert_eq!(fresh.seq(), 0);
        assert_eq!(
            fresh.resume("e1", 40),
            Resume {
                since: 40,
                epoch: Some("e1".into()),
                fresh: true
            }
        );
        assert_eq!(fresh.position(), Some(&Position::new("e1", 40)));
        let mut known = at(7);
        assert_eq!(
            known.resume("e2", 40),
            Resume {
                since: 7,
                epoch: Some("e1".into()),
                fresh: false
            },
            "another epoch is the server's to judge (it answers RESYNC)"
        );
    }

    #[test]
    fn socket_events_are_taken_once_and_never_backwards() {
        let mut l = at(3);
        assert!(!l.socket_event(3));
        assert!(!l.socket_event(1));
        assert!(l.socket_event(4));
        assert!(l.socket_event(9), "seqs may skip");
        assert!(!l.socket_event(9));
        assert!(!l.socket_event(5));
        assert_eq!(l.seq(), 9);
        assert!(!Ledger::default().socket_event(1), "no position, no stream");
    }

    #[test]
    fn heartbeats_and_resyncs_move_the_position() {
        let mut l = at(3);
        assert!(l.advance_to(8));
        assert!(!l.advance_to(8));
        assert!(!l.advance_to(2));
        assert_eq!(l.seq(), 8);
        l.resync("e2", 2);
        assert_eq!(l.position(), Some(&Position::new("e2", 2)));
        assert!(l.socket_event(3));
        assert!(l.is_before("e2", 4));
        assert!(!l.is_before("e2", 3));
        assert!(l.is_before("e3", 1));
        assert!(Ledger::default().is_before("e1", 0));
    }

    #[test]
    fn another_tabs_event_is_taken_only_when_it_skips_nothing() {
        let mut l = at(5);
        assert_eq!(
            l.take_from_tab("e1", 5, 6, true),
            TabVerdict::Take { fresh: false }
        );
        assert_eq!(l.seq(), 6);
        assert_eq!(
            l.take_from_tab("e1", 5, 6, true),
            TabVerdict::Skip(Skip::Duplicate)
        );
        assert_eq!(
            l.take_from_tab("e1", 3, 6, true),
            TabVerdict::Skip(Skip::Duplicate)
        );
        // The sender was at 4 and applied 9: nothing between 4 and 9
        // matched its topics, and this tab is at 6, so 9 follows.
        assert_eq!(
            l.take_from_tab("e1", 4, 9, true),
            TabVerdict::Take { fresh: false }
        );
        assert_eq!(
            l.take_from_tab("e1", 12, 13, true),
            TabVerdict::Skip(Skip::Gap)
        );
        assert_eq!(
            l.take_from_tab("e1", 9, 10, false),
            TabVerdict::Skip(Skip::Narrower)
        );
        assert_eq!(
            l.take_from_tab("e0", 9, 10, true),
            TabVerdict::Skip(Skip::ForeignEpoch)
        );
        assert_eq!(
            l.take_from_tab("e1", 10, 10, true),
            TabVerdict::Skip(Skip::Duplicate),
            "malformed: nothing happened between"
        );
        assert_eq!(l.seq(), 9);
    }

    #[test]
    fn a_tab_without_a_position_starts_where_the_sender_was() {
        let mut l = Ledger::default();
        assert_eq!(
            l.take_from_tab("e1", 9, 10, false),
            TabVerdict::Skip(Skip::Narrower)
        );
        assert_eq!(l.position(), None, "nothing adopted when not taken");
        assert_eq!(
            l.take_from_tab("e1", 9, 10, true),
            TabVerdict::Take { fresh: true }
        );
        assert_eq!(l.position(), Some(&Position::new("e1", 10)));
    }
}
