//! Loading placeholders: grey blocks in the shape of what is coming, shown
//! while a `<Suspense>` waits, so the page does not jump when data lands.
//! Each announces itself once to screen readers as busy with a label.

use leptos::prelude::*;

/// `rows` lines of placeholder table or list rows, labelled `label`.
#[component]
pub fn Skeleton(label: &'static str, #[prop(default = 5)] rows: usize) -> impl IntoView {
    view! {
        <div class="skeleton" role="status" aria-busy="true" data-testid="skeleton">
            <span class="visually-hidden">{label}</span>
            {(0..rows)
                .map(|i| {
                    let width = format!("width: {}%", 92 - (i * 17) % 40);
                    view! { <div class="skeleton-line" aria-hidden="true" style=width></div> }
                })
                .collect_view()}
        </div>
    }
}
