//! A user's picture: the uploaded avatar when there is one, else their
//! initials on a colour picked from their id (stable across pages).

use leptos::prelude::*;
use tidings::User;

/// Up to two initials of `name`.
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// `size` is `small` (table rows) or `large` (the user page).
#[component]
pub fn UserAvatar(user: User, #[prop(default = "small")] size: &'static str) -> impl IntoView {
    let class = format!("users-avatar users-avatar-{size}");
    match user.avatar_url {
        Some(url) => view! {
            <img
                class=class
                src=url
                alt=format!("{}'s avatar", user.name)
                data-testid="user-avatar"
                loading="lazy"
            />
        }
        .into_any(),
        None => {
            let hue = user.id.as_bytes()[15] as u32 * 360 / 256;
            view! {
                <span
                    class=class
                    style=format!("--avatar-hue: {hue}")
                    aria-hidden="true"
                    data-testid="user-avatar-initials"
                >
                    {initials(user.name.as_str())}
                </span>
            }
            .into_any()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::initials;

    #[test]
    fn two_initials_at_most() {
        assert_eq!(initials("ada lovelace king"), "AL");
        assert_eq!(initials("Zoë"), "Z");
        assert_eq!(initials("  "), "");
    }
}
