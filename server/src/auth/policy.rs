//! Who may do what: every role rule of the API, as pure functions of the
//! caller and the entity concerned. Reading anything takes only a
//! signed-in caller; the writes:
//!
//! - users: create, delete, batch patch: admin only. Patch: an admin any
//!   user, anyone else only themself, and only an admin may change a
//!   role. Avatar upload: an admin or the user themself.
//! - posts: create: anyone, as themself (only an admin may name another
//!   author). Patch and delete: an admin any post, a moderator any post
//!   whose author is not an admin, a user only their own.

use tidings::{Role, User};
use uuid::Uuid;

use super::Actor;
use crate::error::ApiError;

fn refuse(message: &str) -> Result<(), ApiError> {
    Err(ApiError::Forbidden(message.to_owned()))
}

/// Creating or deleting users, and batch changes.
pub fn manage_users(actor: &Actor) -> Result<(), ApiError> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        refuse("only an admin may create, delete or batch-change users")
    }
}

/// Patching `target`, setting its role to `new_role` if given.
pub fn patch_user(actor: &Actor, target: &User, new_role: Option<Role>) -> Result<(), ApiError> {
    if actor.role == Role::Admin {
        return Ok(());
    }
    if actor.id != target.id {
        return refuse("you may change only your own account");
    }
    match new_role {
        Some(role) if role != target.role => refuse("only an admin may change a role"),
        _ => Ok(()),
    }
}

/// Replacing the avatar of the user `target`.
pub fn upload_avatar(actor: &Actor, target: Uuid) -> Result<(), ApiError> {
    if actor.role == Role::Admin || actor.id == target {
        Ok(())
    } else {
        refuse("you may change only your own avatar")
    }
}

/// Creating a post by `author`.
pub fn create_post(actor: &Actor, author: Uuid) -> Result<(), ApiError> {
    if actor.role == Role::Admin || actor.id == author {
        Ok(())
    } else {
        refuse("you may post only as yourself")
    }
}

/// Patching or deleting a post by `author`, whose role is `author_role`
/// (`None` if the author is unknown).
pub fn edit_post(actor: &Actor, author: Uuid, author_role: Option<Role>) -> Result<(), ApiError> {
    let allowed = match actor.role {
        Role::Admin => true,
        Role::Moderator => actor.id == author || author_role != Some(Role::Admin),
        Role::User => actor.id == author,
    };
    if allowed {
        Ok(())
    } else {
        refuse("your role does not allow changing this post")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_role(role: Role, n: u128) -> Actor {
        Actor {
            id: Uuid::from_u128(n),
            role,
        }
    }

    fn user(n: u128, role: Role) -> User {
        let at = chrono::DateTime::from_timestamp(0, 0).unwrap();
        User {
            id: Uuid::from_u128(n),
            name: tidings::Name::parse("Some One").unwrap(),
            email: tidings::Email::parse(format!("u{n}@example.com")).unwrap(),
            role,
            avatar_url: None,
            last_active: at,
            preferences: tidings::Preferences::default(),
            created_at: at,
            updated_at: at,
            version: 1,
        }
    }

    #[test]
    fn only_admins_manage_users() {
        assert!(manage_users(&as_role(Role::Admin, 1)).is_ok());
        assert!(manage_users(&as_role(Role::Moderator, 1)).is_err());
        assert!(manage_users(&as_role(Role::User, 1)).is_err());
    }

    #[test]
    fn users_patch_themselves_but_not_their_role() {
        let me = as_role(Role::User, 1);
        let mine = user(1, Role::User);
        let other = user(2, Role::User);
        assert!(patch_user(&me, &mine, None).is_ok());
        assert!(
            patch_user(&me, &mine, Some(Role::User)).is_ok(),
            "unchanged"
        );
        assert!(patch_user(&me, &mine, Some(Role::Admin)).is_err());
        assert!(patch_user(&me, &other, None).is_err());
        let moderator = as_role(Role::Moderator, 3);
        assert!(patch_user(&moderator, &other, None).is_err());
        let admin = as_role(Role::Admin, 4);
        assert!(patch_user(&admin, &other, Some(Role::Admin)).is_ok());
        assert!(upload_avatar(&me, mine.id).is_ok());
        assert!(upload_avatar(&me, other.id).is_err());
        assert!(upload_avatar(&admin, other.id).is_ok());
    }

    #[test]
    fn posts_follow_the_author_and_their_role() {
        let (admin, moderator, member) = (
            as_role(Role::Admin, 1),
            as_role(Role::Moderator, 2),
            as_role(Role::User, 3),
        );
        let cases = [
            // (actor, author, author's role, allowed)
            (admin, 9, Some(Role::Admin), true),
            (moderator, 9, Some(Role::User), true),
            (moderator, 9, Some(Role::Moderator), true),
            (moderator, 9, Some(Role::Admin), false),
            (moderator, 2, Some(Role::Moderator), true),
            (member, 3, Some(Role::User), true),
            (member, 9, Some(Role::User), false),
        ];
        for (actor, author, role, allowed) in cases {
            let got = edit_post(&actor, Uuid::from_u128(author), role).is_ok();
            assert_eq!(got, allowed, "{actor:?} on a post by {author} ({role:?})");
        }
        assert!(create_post(&member, member.id).is_ok());
        assert!(create_post(&member, admin.id).is_err());
        assert!(create_post(&moderator, member.id).is_err());
        assert!(create_post(&admin, member.id).is_ok());
    }
}
