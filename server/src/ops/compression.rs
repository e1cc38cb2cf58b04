//! Compression of answers on the fly: brotli or gzip, whichever the
//! request's `Accept-Encoding` prefers (brotli at quality 4, gzip at its
//! default level: fast enough per request). Pages, JSON, the bundle's
//! JavaScript and CSS shrink to a fraction.
//!
//! Left as they are: answers under [`MIN_SIZE`] (the saving would not pay
//! for the work); answers over [`MAX_SIZE`] (the WebAssembly bundle:
//! brotli takes a core for a quarter of a second per megabyte, per cold
//! visitor, so a large file travels compressed only from the `.br` / `.gz`
//! files the release build writes beside it, `cargo leptos build --release
//! --precompress`, which `make run` does); images and fonts (already compressed; SVG is text and is
//! compressed), event streams (compression would hold events back), the
//! realtime socket's upgrade, ranges, and answers that already have an
//! encoding (a `.br` or `.gz` file served as it is, see [`crate::site`]).
//! An API `ETag` names the entity's version, not the bytes, so it stays
//! as it is on a compressed answer.

use axum::body::HttpBody;
use axum::http::{header, Response, StatusCode};
use tower_http::compression::predicate::{
    DefaultPredicate, NotForContentType, Predicate, SizeAbove,
};
use tower_http::compression::CompressionLayer;

/// Smallest body compressed, in bytes.
pub const MIN_SIZE: u16 = 1024;

/// Largest body compressed on the fly, in bytes; see the module docs.
pub const MAX_SIZE: u64 = 1024 * 1024;

/// Which answers are compressed (see the module's documentation).
#[derive(Clone)]
pub struct WorthCompressing {
    kinds: DefaultPredicate,
    size: SizeAbove,
    fonts: NotForContentType,
}

impl Default for WorthCompressing {
    fn default() -> Self {
        Self {
            kinds: DefaultPredicate::new(),
            size: SizeAbove::new(MIN_SIZE),
            fonts: NotForContentType::const_new("font/woff"),
        }
    }
}

impl Predicate for WorthCompressing {
    fn should_compress<B>(&self, response: &Response<B>) -> bool
    where
        B: HttpBody,
    {
        response.status() != StatusCode::SWITCHING_PROTOCOLS
            && self.kinds.should_compress(response)
            && self.size.should_compress(response)
            && length(response).is_none_or(|len| len <= MAX_SIZE)
            && self.fonts.should_compress(response)
    }
}

/// The body's length, from `Content-Length` (a file's) or its exact size.
fn length<B: HttpBody>(response: &Response<B>) -> Option<u64> {
    let header = response.headers().get(header::CONTENT_LENGTH);
    header
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .or_else(|| response.body().size_hint().exact())
}

/// The layer: brotli and gzip, for the answers [`WorthCompressing`] lets
/// through.
pub fn layer() -> CompressionLayer<WorthCompressing> {
    CompressionLayer::new()
        .br(true)
        .gzip(true)
        .compress_when(WorthCompressing::default())
}
