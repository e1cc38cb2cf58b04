//! Pieces shared by several pages.

pub mod account_menu;
pub mod devtools;
pub mod error_box;
pub mod focus;
pub mod layout;
pub mod scroll_anchor;
pub mod search;
mod search_results;
pub mod sentinel;
pub mod skeleton;
pub mod status;
pub mod toasts;
pub mod users_avatar;
