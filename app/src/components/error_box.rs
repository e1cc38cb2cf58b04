//! How a failed API call reads on a page.

use leptos::prelude::*;

use crate::api::ApiError;

#[component]
pub fn ErrorBox(error: ApiError) -> impl IntoView {
    let detail = match &error {
        ApiError::Http { status, code, .. } => format!("{status} {code}"),
        ApiError::Network(_) => "offline?".to_owned(),
        ApiError::Timeout { .. } => "timed out".to_owned(),
        ApiError::Aborted => "cancelled".to_owned(),
        ApiError::Decode(_) => "bad answer".to_owned(),
    };
    view! {
        <div class="error-box" role="alert" data-testid="error-box">
            <strong>"Could not load this: "</strong>
            {error.to_string()}
            <small>" (" {detail} ")"</small>
        </div>
    }
}
