//! One user at `/users/:id`: their profile (avatar, name, email, role,
//! joined, last active), their newest posts, and the avatar upload
//! (`avatar.rs`, with `upload.rs` sending the file). Both queries are
//! also what a link to the page prefetches on hover ([`use_prefetch_user`]),
//! so the page opens from the cache without a spinner.

mod avatar;
#[cfg(feature = "hydrate")]
mod upload;

use std::sync::Arc;

use crate::keys;
use crate::pages::use_id_param;
use leptos::prelude::*;
use tidings::cache::{QueryOptions, Tag};
use tidings::{CursorPage, Post, PostListQuery, User};
use uuid::Uuid;

use crate::api::{use_api, Api, ApiError, ApiFuture};
use crate::components::error_box::ErrorBox;
use crate::components::layout::NotFound;
use crate::components::skeleton::Skeleton;
use crate::components::users_avatar::UserAvatar;
use crate::query::{use_query, use_query_client, QueryResult};

/// How long a user's page data counts as fresh.
const USER_STALE_MS: u64 = 30_000;

/// Posts shown on a user's page.
const POSTS_SHOWN: u32 = 20;

fn user_options(id: Uuid) -> QueryOptions {
    QueryOptions::default()
        .stale_time(USER_STALE_MS)
        .tags([Tag::User(id)])
}

fn posts_options(id: Uuid) -> QueryOptions {
    QueryOptions::default()
        .stale_time(USER_STALE_MS)
        .tags([Tag::UserPosts(id)])
}

fn posts_query() -> PostListQuery {
    PostListQuery {
        limit: POSTS_SHOWN,
        ..Default::default()
    }
}

fn fetch_user(
    api: Arc<dyn Api>,
) -> impl Fn((&'static str, &'static str, Uuid)) -> ApiFuture<User> + Send + Sync + 'static {
    move |(_, _, id)| api.get_user(id)
}

fn fetch_posts(
    api: Arc<dyn Api>,
) -> impl Fn((&'static str, &'static str, Uuid)) -> ApiFuture<CursorPage<Post>> + Send + Sync + 'static
{
    move |(_, _, id)| api.list_user_posts(id, posts_query())
}

/// A function that loads user `id`'s page data into the cache unless it
/// is fresh there ([`keys::users::detail`] and [`keys::users::posts`]).
pub fn use_prefetch_user() -> impl Fn(Uuid) + Clone + Send + Sync + 'static {
    let client = use_query_client();
    let api = use_api();
    move |id: Uuid| {
        client.prefetch_query(
            keys::users::detail(id),
            fetch_user(api.clone()),
            user_options(id),
        );
        client.prefetch_query(
            keys::users::posts(id),
            fetch_posts(api.clone()),
            posts_options(id),
        );
    }
}

#[component]
pub fn UserPage() -> impl IntoView {
    let id = use_id_param();
    move || match id.get() {
        Some(id) => view! { <UserDetail id/> }.into_any(),
        None => view! { <NotFound/> }.into_any(),
    }
}

#[component]
fn UserDetail(id: Uuid) -> impl IntoView {
    let api = use_api();
    let user = use_query(
        move || keys::users::detail(id),
        fetch_user(api.clone()),
        user_options(id),
    );
    let posts = use_query(
        move || keys::users::posts(id),
        fetch_posts(api),
        posts_options(id),
    );
    let shown = user.data();
    let loaded = Memo::new(move |_| (shown.with(Option::is_some), user.error().get()));
    view! {
        <Suspense fallback=|| view! { <Skeleton label="Loading the user…" rows=4/> }>
            {move || {
                untrack(|| {
                    user.data().with(|_| ());
                    posts.data().with(|_| ());
                });
                match loaded.get() {
                    (true, _) => view! {
                        <article class="user-page" data-testid="user-page" data-user-id=id.to_string()>
                            <Profile user=shown id/>
                            <UserPosts posts/>
                            <p><a href="/users">"← All users"</a></p>
                        </article>
                    }
                    .into_any(),
                    (false, Some(ApiError::Http { status: 404, .. })) => view! { <NotFound/> }.into_any(),
                    (false, Some(error)) => view! { <ErrorBox error/> }.into_any(),
                    (false, None) => view! { <Skeleton label="Loading the user…" rows=4/> }.into_any(),
                }
            }}
        </Suspense>
    }
    .into_any()
}

#[component]
fn Profile(user: Signal<Option<User>>, id: Uuid) -> impl IntoView {
    let field =
        move |f: fn(&User) -> String| move || user.with(|u| u.as_ref().map(f).unwrap_or_default());
    view! {
        <section class="user-profile" data-testid="user-profile">
            <div class="user-profile-avatar">
                {move || user.get().map(|u| view! { <UserAvatar user=u size="large"/> })}
                <avatar::AvatarUpload id/>
            </div>
            <div class="user-profile-text">
                <h1 data-testid="user-page-name">{field(|u| u.name.to_string())}</h1>
                <p class="user-profile-email" data-testid="user-page-email">{field(|u| u.email.to_string())}</p>
                <dl class="user-profile-facts">
                    <div>
                        <dt>"Role"</dt>
                        <dd>
                            <span class=move || format!("role role-{}", field(|u| u.role.to_string())())
                                data-testid="user-page-role">
                                {field(|u| u.role.to_string())}
                            </span>
                        </dd>
                    </div>
                    <div>
                        <dt>"Joined"</dt>
                        <dd data-testid="user-page-created">{field(|u| u.created_at.format("%b %-d, %Y").to_string())}</dd>
                    </div>
                    <div>
                        <dt>"Last active"</dt>
                        <dd data-testid="user-page-last-active">{field(|u| u.last_active.format("%Y-%m-%d %H:%M UTC").to_string())}</dd>
                    </div>
                </dl>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn UserPosts(posts: QueryResult<CursorPage<Post>>) -> impl IntoView {
    let list = Memo::new(move |_| posts.data().get().map(|p| (p.data, p.has_more)));
    view! {
        <section class="user-posts" data-testid="user-posts" aria-labelledby="user-posts-title">
            <h2 id="user-posts-title">"Posts"</h2>
            {move || match (list.get(), posts.error().get()) {
                (Some((items, more)), _) if !items.is_empty() => view! {
                    <ol class="user-post-list">
                        {items.into_iter().map(|post| view! {
                            <li class="user-post" data-testid="user-post" data-post-id=post.id.to_string()>
                                <a href=format!("/posts/{}", post.id) data-testid="user-post-title">{post.title.to_string()}</a>
                                <time datetime=tidings::format_timestamp(&post.created_at)>
                                    {post.created_at.format("%b %-d, %Y").to_string()}
                                </time>
                            </li>
                        }).collect_view()}
                    </ol>
                    {more.then(|| view! { <p class="user-posts-more">{format!("The newest {POSTS_SHOWN} posts are shown.")}</p> })}
                }
                .into_any(),
                (Some(_), _) => view! { <p class="empty" data-testid="user-posts-empty">"No posts yet."</p> }.into_any(),
                (None, Some(error)) => view! { <ErrorBox error/> }.into_any(),
                (None, None) => view! { <Skeleton label="Loading posts…" rows=3/> }.into_any(),
            }}
        </section>
    }
    .into_any()
}
