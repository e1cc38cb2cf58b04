//! Entities (users, posts), their validated field types, the inputs that
//! create or change them, and the page shapes lists answer with.

mod errors;
mod fields;
mod filter;
#[cfg(any(test, feature = "testing"))]
pub mod fixtures;
mod integral;
mod page;
mod post;
mod query;
#[cfg(feature = "openapi")]
mod schemas;
#[cfg(feature = "openapi")]
pub use schemas::search_text_pattern;
mod stats;
mod time;
mod user;
mod wire_error;

pub use errors::FieldErrors;
pub use fields::{parse_user_id, Content, Email, Language, Name, Title};
pub use filter::{
    active_within, contains_ascii_ci, SortOrder, UserFilter, UserSort, ACTIVE_WINDOW,
};
pub use page::{CursorPage, Page, Pagination};
pub use post::{NewPost, NewPostInput, Post, PostPatch, PostPatchInput};
pub use query::{
    PostListQuery, UserListQuery, UserSearchQuery, DEFAULT_LIMIT, DEFAULT_SEARCH_LIMIT, MAX_LIMIT,
    MAX_SEARCH_LEN, MAX_SEARCH_LIMIT,
};
pub use stats::{RoleCounts, UserStats};
pub use time::{format_timestamp, Timestamp};
pub use user::{
    NewUser, NewUserInput, Preferences, PreferencesInput, PreferencesPatch, Role, Theme, User,
    UserBatchInput, UserBatchUpdate, UserBatchUpdateInput, UserPatch, UserPatchInput,
    MAX_BATCH_UPDATES,
};
pub use wire_error::{ErrorBody, ErrorInfo};
