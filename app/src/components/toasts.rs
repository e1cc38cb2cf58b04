//! Toasts: short notices about what just happened (a refused write, a
//! change saved), shown in one live region at the corner of every page.
//!
//! [`Toasts`] is provided in context by the app shell; any component says
//! `use_toasts().error(message)` or `.info(message)`. A toast goes away by
//! itself after a while (errors stay longer) or with its close button.
//! The region is a landmark named "Notifications" and `aria-live="polite"`;
//! each error is a `role="alert"`, so assistive technology announces it at
//! once, the rest `role="status"`.

use leptos::prelude::*;

/// How long an information stays, in milliseconds.
pub const INFO_MS: u64 = 5_000;
/// How long an error stays, in milliseconds.
pub const ERROR_MS: u64 = 10_000;
/// Most toasts shown at once; the oldest goes first.
const MAX_SHOWN: usize = 4;

/// What a toast reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Info,
    Error,
}

impl ToastKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ToastKind::Info => "info",
            ToastKind::Error => "error",
        }
    }
}

/// One notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub id: u64,
    pub kind: ToastKind,
    pub message: String,
}

/// The toasts of the page. `Copy`.
#[derive(Debug, Clone, Copy)]
pub struct Toasts {
    shown: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

impl Default for Toasts {
    fn default() -> Self {
        Self::new()
    }
}

impl Toasts {
    pub fn new() -> Self {
        Self {
            shown: RwSignal::new(Vec::new()),
            next_id: StoredValue::new(1),
        }
    }

    /// Makes these the toasts of the components below the current owner.
    pub fn provide(self) {
        provide_context(self);
    }

    /// Shows an information; returns its id.
    pub fn info(&self, message: impl Into<String>) -> u64 {
        self.push(ToastKind::Info, message.into())
    }

    /// Shows an error (say what failed and, where there is one, the
    /// server's message); returns its id.
    pub fn error(&self, message: impl Into<String>) -> u64 {
        self.push(ToastKind::Error, message.into())
    }

    /// Removes the toast `id`, if it is still shown.
    pub fn dismiss(&self, id: u64) {
        self.shown.update(|shown| shown.retain(|t| t.id != id));
    }

    /// The toasts shown, oldest first.
    pub fn shown(&self) -> Signal<Vec<Toast>> {
        self.shown.into()
    }

    fn push(&self, kind: ToastKind, message: String) -> u64 {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.shown.update(|shown| {
            shown.push(Toast { id, kind, message });
            let extra = shown.len().saturating_sub(MAX_SHOWN);
            shown.drain(..extra);
        });
        self.dismiss_later(id, kind);
        id
    }

    fn dismiss_later(&self, id: u64, kind: ToastKind) {
        #[cfg(feature = "hydrate")]
        {
            let this = *self;
            let after = match kind {
                ToastKind::Info => INFO_MS,
                ToastKind::Error => ERROR_MS,
            };
            set_timeout(
                move || this.dismiss(id),
                std::time::Duration::from_millis(after),
            );
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (id, kind);
    }
}

/// The toasts provided by the app shell.
///
/// # Panics
/// When none were provided: a wiring bug, not a runtime condition.
pub fn use_toasts() -> Toasts {
    expect_context::<Toasts>()
}

/// The region the toasts show in; mount once, in the app shell.
#[component]
pub fn ToastRegion() -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <div class="toasts" data-testid="toast-region" role="region" aria-live="polite" aria-label="Notifications">
            <For each=move || toasts.shown().get() key=|t| t.id let:toast>
                <div
                    class=format!("toast toast-{}", toast.kind.as_str())
                    role=if toast.kind == ToastKind::Error { "alert" } else { "status" }
                    data-testid="toast"
                    data-kind=toast.kind.as_str()
                >
                    <p class="toast-message" data-testid="toast-message">{toast.message.clone()}</p>
                    <button
                        type="button"
                        class="toast-close"
                        data-testid="toast-close"
                        aria-label="Dismiss"
                        title="Dismiss"
                        on:click=move |_| toasts.dismiss(toast.id)
                    >
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toasts_stack_up_to_a_limit_and_go_when_dismissed() {
        let owner = Owner::new();
        owner.set();
        {
            let toasts = Toasts::new();
            let first = toasts.error("could not save: gone");
            for n in 0..MAX_SHOWN {
                toasts.info(format!("note {n}"));
            }
            let shown = toasts.shown().get_untracked();
            assert_eq!(shown.len(), MAX_SHOWN);
            assert!(shown.iter().all(|t| t.id != first), "the oldest went first");
            let last = shown.last().unwrap().clone();
            assert_eq!(
                (last.kind, last.message.as_str()),
                (ToastKind::Info, "note 3")
            );
            toasts.dismiss(last.id);
            assert_eq!(toasts.shown().get_untracked().len(), MAX_SHOWN - 1);
        }
    }
}
