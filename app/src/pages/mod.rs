//! One module per page the router shows.

pub mod login;
pub mod posts;
pub mod users;
