//! Pieces shared by several pages.

pub mod error_box;
pub mod layout;
pub mod status;
