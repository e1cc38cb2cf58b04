//! Tests of the engine as a whole: the client with a fake clock, infinite
//! queries through the client, and property tests over random
//! interleavings. Unit tests of single parts sit beside them.

pub(crate) mod fixtures;

mod client_tests;
mod infinite_tests;
mod live_tests;
mod props;
