//! An open post editor's draft: what the writer typed, the version a
//! save names, and how a draft moves onto the newer version a save was
//! refused for (412), keeping the writer's edits and no more.

use serde::Serialize;
use tidings::{Post, PostPatchInput};

/// An open editor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Draft {
    /// The post as the writer started from (or, after a conflict, the
    /// newer version): their change is what differs.
    pub original: Post,
    /// The version a save names.
    pub base: Post,
    pub title: String,
    pub content: String,
    /// The newer version the server answered a save with (412).
    pub conflict: Option<Post>,
    /// Why the last attempt was refused, if it was.
    pub error: Option<String>,
}

impl Draft {
    pub(super) fn open(post: Post) -> Self {
        Self {
            title: post.title.to_string(),
            content: post.content.to_string(),
            original: post.clone(),
            base: post,
            conflict: None,
            error: None,
        }
    }

    /// The draft over `current`, the newer version a save was refused
    /// for: the fields the writer edited keep their text, the others
    /// read as `current` does, and saving names `current`'s version.
    pub(super) fn rebased(self, current: Post) -> Self {
        let change = self.change();
        Self {
            title: change.title.unwrap_or_else(|| current.title.to_string()),
            content: change
                .content
                .unwrap_or_else(|| current.content.to_string()),
            original: current.clone(),
            base: current.clone(),
            conflict: Some(current),
            error: None,
        }
    }

    /// The writer's change: the fields they edited.
    pub(super) fn change(&self) -> PostPatchInput {
        PostPatchInput {
            title: Some(self.title.clone()).filter(|t| t != self.original.title.as_str()),
            content: Some(self.content.clone()).filter(|c| c != self.original.content.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidings::{Content, Title};
    use uuid::Uuid;

    fn post(title: &str, content: &str, version: i64) -> Post {
        let at = chrono::DateTime::from_timestamp(0, 0).unwrap();
        Post {
            id: Uuid::from_u128(1),
            title: Title::parse(title).unwrap(),
            content: Content::parse(content).unwrap(),
            author_id: Uuid::from_u128(2),
            created_at: at,
            updated_at: at,
            version,
        }
    }

    #[test]
    fn a_refused_draft_keeps_my_fields_over_the_newer_version() {
        let mut draft = Draft::open(post("Old title", "Old words", 1));
        draft.title = "My title".into();
        assert_eq!(draft.change().title.as_deref(), Some("My title"));
        assert_eq!(draft.change().content, None);

        let theirs = post("Old title", "Their words", 2);
        let again = draft.rebased(theirs.clone());
        assert_eq!(
            (again.title.as_str(), again.content.as_str()),
            ("My title", "Their words")
        );
        assert_eq!(
            (again.base.version, again.conflict.as_ref()),
            (2, Some(&theirs))
        );
        let change = again.change();
        assert_eq!(
            (change.title.as_deref(), change.content),
            (Some("My title"), None)
        );
    }
}
