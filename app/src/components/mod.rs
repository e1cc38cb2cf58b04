//! Pieces shared by several pages.

pub mod account_menu;
pub mod error_box;
pub mod layout;
pub mod status;
pub mod users_avatar;
