//! What the devtools panel lists, as plain data computed from the engine
//! and the API metrics, so it is tested without a browser.

use tidings::cache::{FetchStatus, Millis, QueryClient, QueryStatus};

use crate::api::EndpointMetrics;

/// One cache entry as the panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheRow {
    /// The key's canonical text, e.g. `["users",{"page":1}]`.
    pub key: String,
    /// `pending`, `success` or `error`.
    pub status: &'static str,
    /// `fetching`, `paused`, or `fresh` / `stale` when idle.
    pub freshness: &'static str,
    pub observers: usize,
    /// How long ago the data was written, `None` when never.
    pub updated_ago_ms: Option<Millis>,
}

/// Every cache entry, ordered by key.
pub fn cache_rows(client: &QueryClient) -> Vec<CacheRow> {
    let now = client.now();
    let mut rows: Vec<CacheRow> = client
        .queries()
        .map(|(key, state)| {
            let stale_time = client.options(key).map_or(0, |o| o.stale_time);
            CacheRow {
                key: key.hash().to_string(),
                status: match state.status {
                    QueryStatus::Pending => "pending",
                    QueryStatus::Success => "success",
                    QueryStatus::Error => "error",
                },
                freshness: match state.fetch_status {
                    FetchStatus::Fetching => "fetching",
                    FetchStatus::Paused => "paused",
                    FetchStatus::Idle if state.is_stale(now, stale_time) => "stale",
                    FetchStatus::Idle => "fresh",
                },
                observers: client.observer_count(key),
                updated_ago_ms: (state.data_updated_at > 0)
                    .then(|| now.saturating_sub(state.data_updated_at)),
            }
        })
        .collect();
    rows.sort_by(|a, b| a.key.cmp(&b.key));
    rows
}

/// "3 s ago", "2 min ago", "just now".
pub fn ago(ms: Option<Millis>) -> String {
    match ms {
        None => "never".into(),
        Some(ms) if ms < 1_000 => "just now".into(),
        Some(ms) if ms < 60_000 => format!("{} s ago", ms / 1_000),
        Some(ms) => format!("{} min ago", ms / 60_000),
    }
}

/// The share of calls that failed, as a percentage with one decimal.
pub fn error_rate(m: &EndpointMetrics) -> String {
    if m.count == 0 {
        return "0.0 %".into();
    }
    format!("{:.1} %", m.failures as f64 * 100.0 / m.count as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tidings::cache::{FakeClock, QueryKey, QueryOptions};

    #[test]
    fn entries_show_status_freshness_observers_and_age() {
        let clock = FakeClock::new(10_000);
        let mut client = QueryClient::new(clock.clone());
        let users = QueryKey::new("users").with(json!({"page": 1}));
        let posts = QueryKey::new("posts");
        client.observe(&users, QueryOptions::default().stale_time(5_000));
        client.set_query_data(&users, json!([1, 2]));
        client.set_query_data(&posts, json!([]));
        clock.advance(2_000);

        let rows = cache_rows(&client);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].key, r#"["posts"]"#);
        assert_eq!((rows[0].freshness, rows[0].observers), ("stale", 0));
        assert_eq!(rows[1].key, r#"["users",{"page":1}]"#);
        assert_eq!(rows[1].status, "success");
        assert_eq!((rows[1].freshness, rows[1].observers), ("fresh", 1));
        assert_eq!(rows[1].updated_ago_ms, Some(2_000));
        assert_eq!(ago(rows[1].updated_ago_ms), "2 s ago");

        clock.advance(4_000);
        assert_eq!(cache_rows(&client)[1].freshness, "stale");
    }

    #[test]
    fn ages_and_rates_read_plainly() {
        assert_eq!(ago(None), "never");
        assert_eq!(ago(Some(300)), "just now");
        assert_eq!(ago(Some(125_000)), "2 min ago");
        let m = EndpointMetrics {
            count: 8,
            failures: 1,
            ..Default::default()
        };
        assert_eq!(error_rate(&m), "12.5 %");
        assert_eq!(error_rate(&EndpointMetrics::default()), "0.0 %");
    }
}
