//! Request logging for development: one line per attempt, answer and end
//! of call, written to a sink (the browser console in `hydrate` debug
//! builds). Clients built in release leave it out.

use std::rc::Rc;

use super::error::ApiError;
use super::middleware::{Attempt, Middleware, Next, Resend, Settled};
use super::request::ApiRequest;
use super::response::RawResponse;

pub struct LoggingMiddleware {
    sink: Rc<dyn Fn(&str)>,
}

impl LoggingMiddleware {
    pub fn new(sink: impl Fn(&str) + 'static) -> Self {
        Self {
            sink: Rc::new(sink),
        }
    }

    fn log(&self, line: String) {
        (self.sink)(&line);
    }
}

fn resend_note(attempt: &Attempt) -> String {
    match attempt.resent {
        None => String::new(),
        Some(Resend::Retry) => format!(" (retry {})", attempt.retries),
        Some(Resend::Replay) => " (replay)".to_owned(),
    }
}

impl Middleware for LoggingMiddleware {
    fn on_request(&self, request: &mut ApiRequest, attempt: &Attempt) {
        self.log(format!(
            "api → {} {}{}",
            request.method(),
            request.url(),
            resend_note(attempt)
        ));
    }

    fn on_response(&self, request: &ApiRequest, response: &RawResponse, attempt: &Attempt) -> Next {
        self.log(format!(
            "api ← {} {} {} in {:.0} ms",
            response.status,
            request.method(),
            request.url(),
            attempt.elapsed_ms
        ));
        Next::Continue
    }

    fn on_error(&self, request: &ApiRequest, error: &ApiError, attempt: &Attempt) -> Next {
        self.log(format!(
            "api ✗ {} {}: {error} after {:.0} ms",
            request.method(),
            request.url(),
            attempt.elapsed_ms
        ));
        Next::Continue
    }

    fn on_settled(&self, settled: &Settled<'_>) {
        let how = match settled.outcome {
            Ok(status) => status.to_string(),
            Err(error) => format!("{} ({error})", error.code()),
        };
        let shared = if settled.deduped { ", shared" } else { "" };
        self.log(format!(
            "api ■ {} {} → {how} in {:.0} ms{shared}",
            settled.endpoint.method, settled.url, settled.elapsed_ms
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::endpoint::LIST_USERS;
    use std::cell::RefCell;

    #[test]
    fn writes_one_line_per_event() {
        let lines = Rc::new(RefCell::new(Vec::<String>::new()));
        let sink = lines.clone();
        let m = LoggingMiddleware::new(move |l| sink.borrow_mut().push(l.to_owned()));
        let mut request = LIST_USERS.request().with_query(vec![("page", "2".into())]);
        let retry = Attempt {
            number: 1,
            retries: 1,
            resent: Some(Resend::Retry),
            elapsed_ms: 12.4,
            ..Attempt::default()
        };
        m.on_request(&mut request, &retry);
        assert!(m
            .on_response(&request, &RawResponse::new(200, ""), &retry)
            .is_continue());
        m.on_settled(&Settled {
            endpoint: LIST_USERS,
            url: "/api/users?page=2",
            outcome: Err(&ApiError::Aborted),
            elapsed_ms: 3.0,
            deduped: true,
        });
        assert_eq!(
            *lines.borrow(),
            [
                "api → GET /api/users?page=2 (retry 1)",
                "api ← 200 GET /api/users?page=2 in 12 ms",
                "api ■ GET /api/users?page=2 → aborted (the request was cancelled) in 3 ms, shared",
            ]
        );
    }
}
