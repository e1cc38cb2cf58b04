//! One module per page the router shows, and the parts only pages use:
//! the feed's row logic (`feed`), a feed item with its actions
//! (`post_item`), the post form (`post_form`) and the post editor
//! (`post_editor`, with its `post_draft`).

pub mod feed;
pub mod login;
pub mod post_detail;
mod post_draft;
mod post_editor;
mod post_form;
mod post_item;
pub mod posts;
pub mod user;
pub mod users;
