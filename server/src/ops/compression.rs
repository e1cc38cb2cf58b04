//! Compression of answers on the fly: brotli or gzip, whichever the
//! request's `Accept-Encoding` prefers (brotli at quality 4, gzip at its
//! default level: fast enough per request). The WebAssembly bundle, its
//! JavaScript and CSS, pages and JSON shrink to a fraction.
//!
//! Left as they are: answers under [`MIN_SIZE`] (the saving would not pay
//! for the work), images and fonts (already compressed; SVG is text and is
//! compressed), event streams (compression would hold events back), the
//! realtime socket's upgrade, ranges, and answers that already have an
//! encoding (a `.br` or `.gz` file served as it is, see [`crate::site`]).
//! An API `ETag` names the entity's version, not the bytes, so it stays
//! as it is on a compressed answer.

use axum::body::HttpBody;
use axum::http::{Response, StatusCode};
use tower_http::compression::predicate::{
    DefaultPredicate, NotForContentType, Predicate, SizeAbove,
};
use tower_http::compression::CompressionLayer;

/// Smallest body compressed, in bytes.
pub const MIN_SIZE: u16 = 1024;

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
            && self.fonts.should_compress(response)
    }
}

/// The layer: brotli and gzip, for the answers [`WorthCompressing`] lets
/// through.
pub fn layer() -> CompressionLayer<WorthCompressing> {
    CompressionLayer::new()
        .br(true)
        .gzip(true)
        .compress_when(WorthCompressing::default())
}
