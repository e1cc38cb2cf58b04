//! One module per page the router shows.

pub mod posts;
pub mod users;
