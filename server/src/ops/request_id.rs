//! `x-request-id`: every request carries one. A client's own id is kept
//! when it is reasonable (1 to 128 visible ASCII characters); otherwise the
//! server makes one (a UUIDv7, so ids sort by time). The id is put on the
//! request, where the trace span reads it, and echoed on the response.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The header carrying the id both ways.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest id accepted from a client.
const MAX_LEN: usize = 128;

/// Middleware: assigns the id and echoes it.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = match request.headers().get(&X_REQUEST_ID) {
        Some(given) if acceptable(given) => given.clone(),
        _ => fresh(),
    };
    request.headers_mut().insert(X_REQUEST_ID, id.clone());
    let mut response = next.run(request).await;
    response.headers_mut().insert(X_REQUEST_ID, id);
    response
}

/// The id of a request that went through [`assign`].
pub fn of<B>(request: &axum::http::Request<B>) -> &str {
    request
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn acceptable(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    (1..=MAX_LEN).contains(&bytes.len()) && bytes.iter().all(|b| b.is_ascii_graphic())
}

fn fresh() -> HeaderValue {
    let mut buffer = uuid::Uuid::encode_buffer();
    let text = uuid::Uuid::now_v7().hyphenated().encode_lower(&mut buffer);
    HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static("unknown"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasonable_ids_are_kept_and_others_replaced() {
        assert!(acceptable(&HeaderValue::from_static("abc-123_X.y")));
        assert!(!acceptable(&HeaderValue::from_static("")));
        assert!(!acceptable(&HeaderValue::from_static("has space")));
        let long = "x".repeat(MAX_LEN + 1);
        assert!(!acceptable(&HeaderValue::from_str(&long).unwrap()));
        let made = fresh();
        assert!(acceptable(&made));
        assert_eq!(made.len(), 36);
        assert_ne!(fresh(), made);
    }
}
