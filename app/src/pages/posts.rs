//! The posts page: a form to write a post, and the newest-first feed, one
//! keyset page at a time ("Load more").

use std::collections::HashMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use tidings::{
    CursorPage, NewPostInput, Post, PostListQuery, SortOrder, User, UserFilter, UserListQuery,
    UserSort,
};
use uuid::Uuid;

use crate::api::{use_api, ApiError, IdempotencyKey};
use crate::components::error_box::ErrorBox;

#[component]
pub fn PostsPage() -> impl IntoView {
    let api = use_api();
    let posts = Resource::new(|| (), {
        let api = api.clone();
        move |_| api.list_posts(PostListQuery::default())
    });
    // Authors for the form's select and the bylines.
    let authors = Resource::new(
        || (),
        move |_| {
            api.list_users(UserListQuery {
                filter: UserFilter {
                    sort: UserSort::Name,
                    order: SortOrder::Asc,
                    ..Default::default()
                },
                page: 1,
                limit: tidings::MAX_LIMIT,
            })
        },
    );
    view! {
        <section class="posts" data-testid="posts-page">
            <h1>"Posts"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading posts…"</p> }>
                {move || Suspend::new(async move {
                    match (posts.await, authors.await) {
                        (Ok(first), Ok(users)) => view! { <Feed first authors=users.data/> }.into_any(),
                        (Err(error), _) | (_, Err(error)) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Feed(first: CursorPage<Post>, authors: Vec<User>) -> impl IntoView {
    let names: HashMap<Uuid, String> = authors.iter().map(|u| (u.id, u.name.to_string())).collect();
    let names = StoredValue::new(names);
    let posts = RwSignal::new(first.data);
    let cursor = RwSignal::new(first.next_cursor);
    let loading = RwSignal::new(false);
    let load_error = RwSignal::new(None::<ApiError>);
    let api = StoredValue::new(use_api());

    let load_more = move |_| {
        let Some(next) = cursor.get_untracked() else {
            return;
        };
        loading.set(true);
        let call = api.with_value(|api| {
            api.list_posts(PostListQuery {
                cursor: Some(next),
                ..Default::default()
            })
        });
        spawn_local(async move {
            match call.await {
                Ok(page) => {
                    posts.update(|list| {
                        let seen: std::collections::HashSet<Uuid> =
                            list.iter().map(|p| p.id).collect();
                        list.extend(page.data.into_iter().filter(|p| !seen.contains(&p.id)));
                    });
                    cursor.set(page.next_cursor);
                    load_error.set(None);
                }
                Err(e) => load_error.set(Some(e)),
            }
            loading.set(false);
        });
    };
    let on_created = move |post: Post| posts.update(|list| list.insert(0, post));

    view! {
        <PostForm authors on_created/>
        <ol class="post-list" data-testid="posts-list">
            <For each=move || posts.get() key=|p| (p.id, p.version) let:post>
                <PostItem author=names.with_value(|n| n.get(&post.author_id).cloned()) post/>
            </For>
        </ol>
        {move || load_error.get().map(|error| view! { <ErrorBox error/> })}
        <Show when=move || cursor.with(Option::is_some)>
            <button
                class="load-more"
                data-testid="posts-load-more"
                on:click=load_more
                disabled=move || loading.get()
            >
                {move || if loading.get() { "Loading…" } else { "Load more" }}
            </button>
        </Show>
    }
}

#[component]
fn PostItem(post: Post, author: Option<String>) -> impl IntoView {
    let author = author.unwrap_or_else(|| "a former member".to_owned());
    view! {
        <li class="post" data-testid="post-item" data-post-id=post.id.to_string()>
            <h2 data-testid="post-title-text">{post.title.to_string()}</h2>
            <p class="byline">
                <span data-testid="post-author-name">{author}</span>
                " · "
                <time datetime=tidings::format_timestamp(&post.created_at)>
                    {post.created_at.format("%b %-d, %Y").to_string()}
                </time>
            </p>
            <p class="content" data-testid="post-content-text">{post.content.to_string()}</p>
        </li>
    }
}

#[component]
fn PostForm(
    authors: Vec<User>,
    on_created: impl Fn(Post) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let api = StoredValue::new(use_api());
    let title = RwSignal::new(String::new());
    let content = RwSignal::new(String::new());
    let author = RwSignal::new(
        authors
            .first()
            .map(|u| u.id.to_string())
            .unwrap_or_default(),
    );
    let error = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = NewPostInput {
            title: Some(title.get_untracked()),
            content: Some(content.get_untracked()),
            author_id: Some(author.get_untracked()).filter(|a| !a.is_empty()),
        };
        if let Err(fields) = input.validate() {
            error.set(Some(fields.to_string()));
            return;
        }
        error.set(None);
        saving.set(true);
        // One key per submission: a retried request is not a second post.
        let key = IdempotencyKey::random();
        let call = api.with_value(|api| api.create_post(input, Some(key)));
        spawn_local(async move {
            match call.await {
                Ok(post) => {
                    on_created(post);
                    title.set(String::new());
                    content.set(String::new());
                }
                Err(e) => error.set(Some(match e.field_errors() {
                    Some(fields) => fields.to_string(),
                    None => e.to_string(),
                })),
            }
            saving.set(false);
        });
    };

    view! {
        <form class="post-form" data-testid="post-form" on:submit=submit novalidate>
            <h2>"Write a post"</h2>
            <label>
                "Title"
                <input type="text" data-testid="post-title" maxlength="200" bind:value=title/>
            </label>
            <label>
                "Content"
                <textarea data-testid="post-content" rows="4" bind:value=content></textarea>
            </label>
            <label>
                "Author"
                <select data-testid="post-author" bind:value=author>
                    {authors
                        .into_iter()
                        .map(|u| view! { <option value=u.id.to_string()>{u.name.to_string()}</option> })
                        .collect_view()}
                </select>
            </label>
            {move || error.get().map(|e| view! {
                <p class="form-error" role="alert" data-testid="post-form-error">{e}</p>
            })}
            <button type="submit" data-testid="post-submit" disabled=move || saving.get()>
                {move || if saving.get() { "Publishing…" } else { "Publish" }}
            </button>
        </form>
    }
}
