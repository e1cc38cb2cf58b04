//! One module per page the router shows, and the parts only pages use:
//! the feed's row logic (`feed`) and the post form (`post_form`).

pub mod feed;
pub mod login;
pub mod post_detail;
mod post_form;
pub mod posts;
pub mod user;
pub mod users;
