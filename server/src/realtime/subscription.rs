//! A socket's subscription: which topics it wants and how far into the log
//! its stream has gone. Pure decisions, no I/O; the socket task does what
//! they say.
//!
//! The position only moves forward: every matching event up to it has
//! been sent, so the socket's stream is strictly increasing in seq. The
//! first subscribe sets it (to `since`, or to the head with a `RESYNC`
//! when `since` cannot be resumed from); later subscribes add topics at
//! the current position.

use tidings::protocol::{error_code, ServerFrame, Topic, TopicSet, MAX_TOPICS};

use crate::db::LogState;

#[derive(Debug, Clone, Default)]
pub struct Subscription {
    topics: TopicSet,
    /// `None` until the first subscribe.
    position: Option<u64>,
}

impl Subscription {
    pub fn topics(&self) -> &TopicSet {
        &self.topics
    }

    /// Every matching event up to here has been sent.
    pub fn position(&self) -> Option<u64> {
        self.position
    }

    /// Whether events up to `head` remain to be read for this socket.
    pub fn is_behind(&self, head: u64) -> bool {
        matches!(self.position, Some(p) if p < head)
    }

    /// Records that everything matching up to `seq` has been sent.
    pub fn advance_to(&mut self, seq: u64) {
        if let Some(p) = &mut self.position {
            *p = (*p).max(seq);
        }
    }

    /// The log was pruned past this socket: jump to `head`, and the client
    /// must refetch.
    pub fn resync_to(&mut self, head: u64, epoch: &str) -> ServerFrame {
        self.position = Some(self.position.unwrap_or(0).max(head));
        ServerFrame::Resync {
            epoch: epoch.to_owned(),
            seq: head,
        }
    }

    /// Applies a `subscribe` against the log as it is (`log`, whose head
    /// is the newest seq this process knows committed). `Ok(Some(resync))`
    /// when the client must refetch; `Err(error)` (nothing changed) when
    /// the subscription would grow too large.
    pub fn subscribe(
        &mut self,
        topics: Vec<Topic>,
        since: u64,
        epoch: Option<&str>,
        log: &LogState,
    ) -> Result<Option<ServerFrame>, ServerFrame> {
        let mut grown = self.topics.clone();
        if grown.insert(topics) > MAX_TOPICS {
            return Err(ServerFrame::error(
                error_code::TOO_MANY_TOPICS,
                format!("a socket may subscribe to at most {MAX_TOPICS} topics"),
            ));
        }
        self.topics = grown;
        let foreign_epoch = epoch.is_some_and(|e| e != log.epoch);
        match self.position {
            // Later subscribes join at the current position.
            Some(position) => Ok(foreign_epoch.then(|| ServerFrame::Resync {
                epoch: log.epoch.clone(),
                seq: position,
            })),
            None if foreign_epoch || !log.can_resume(since) => {
                Ok(Some(self.resync_to(log.head, &log.epoch)))
            }
            None => {
                self.position = Some(since);
                Ok(None)
            }
        }
    }

    /// Applies an `unsubscribe`: exactly these topics go.
    pub fn unsubscribe(&mut self, topics: &[Topic]) {
        self.topics.remove(topics);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn log(floor: u64, head: u64) -> LogState {
        LogState {
            epoch: "e1".into(),
            floor,
            head,
        }
    }

    fn resync_seq(frame: Option<ServerFrame>) -> u64 {
        match frame {
            Some(ServerFrame::Resync { epoch, seq }) => {
                assert_eq!(epoch, "e1");
                seq
            }
            other => panic!("expected RESYNC, got {other:?}"),
        }
    }

    #[test]
    fn the_first_subscribe_positions_the_stream_at_since() {
        let mut sub = Subscription::default();
        assert!(!sub.is_behind(10));
        let answer = sub.subscribe(vec![Topic::Users], 4, Some("e1"), &log(1, 10));
        assert_eq!(answer, Ok(None));
        assert_eq!(sub.position(), Some(4));
        assert!(sub.is_behind(10));
        sub.advance_to(10);
        assert!(!sub.is_behind(10));
        sub.advance_to(3);
        assert_eq!(sub.position(), Some(10));
    }

    #[test]
    fn history_that_is_gone_or_foreign_earns_a_resync_at_the_head() {
        for (since, epoch) in [
            (3, None),       // seq 4 was pruned (floor 5)
            (11, None),      // beyond the head
            (7, Some("e0")), // another epoch
        ] {
            let mut sub = Subscription::default();
            let answer = sub.subscribe(vec![Topic::Posts], since, epoch, &log(5, 10));
            assert_eq!(resync_seq(answer.unwrap()), 10, "since {since}");
            assert_eq!(sub.position(), Some(10));
        }
        // The floor itself minus one is still resumable.
        let mut sub = Subscription::default();
        assert_eq!(
            sub.subscribe(vec![Topic::Posts], 4, None, &log(5, 10)),
            Ok(None)
        );
    }

    #[test]
    fn later_subscribes_add_topics_at_the_current_position() {
        let mut sub = Subscription::default();
        sub.subscribe(vec![Topic::Users], 2, None, &log(1, 10))
            .unwrap();
        sub.advance_to(6);
        let post = Topic::Post(Uuid::from_u128(1));
        assert_eq!(sub.subscribe(vec![post], 0, None, &log(1, 10)), Ok(None));
        assert_eq!(sub.position(), Some(6));
        assert!(sub.topics().contains(&post));
        let answer = sub.subscribe(vec![], 0, Some("other"), &log(1, 10));
        assert_eq!(resync_seq(answer.unwrap()), 6);
        sub.unsubscribe(&[Topic::Users]);
        assert!(!sub.topics().contains(&Topic::Users));
        assert!(sub.topics().contains(&post));
    }

    #[test]
    fn a_subscription_has_a_size_limit() {
        let mut sub = Subscription::default();
        let many: Vec<Topic> = (0..=MAX_TOPICS as u128)
            .map(|n| Topic::User(Uuid::from_u128(n)))
            .collect();
        let answer = sub.subscribe(many, 0, None, &log(1, 0));
        assert!(matches!(
            answer,
            Err(ServerFrame::Error { ref code, .. }) if code == "too_many_topics"
        ));
        assert!(sub.topics().is_empty());
        assert_eq!(sub.position(), None);
    }

    #[test]
    fn pruning_past_a_reader_moves_it_to_the_head() {
        let mut sub = Subscription::default();
        sub.subscribe(vec![Topic::Users], 0, None, &log(1, 3))
            .unwrap();
        let frame = sub.resync_to(40, "e1");
        assert_eq!(resync_seq(Some(frame)), 40);
        assert_eq!(sub.position(), Some(40));
    }
}
