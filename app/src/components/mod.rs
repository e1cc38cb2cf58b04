//! Pieces shared by several pages.

pub mod account_menu;
pub mod devtools;
pub mod error_box;
pub mod layout;
pub mod status;
