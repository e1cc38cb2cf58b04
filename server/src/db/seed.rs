//! Demo data for an empty database: the three demo accounts (who sign in
//! with the password `tidings-demo`, see [`DEMO_PASSWORD`]), enough users
//! across the roles to fill several pages, and a feed of posts with
//! readable text. Deterministic (a fixed-seed generator), so every fresh
//! start shows the same workspace. Seeding starts a new epoch of the event
//! log rather than writing thousands of creation events.

use chrono::{DateTime, Duration, Utc};
use tidings::{format_timestamp, Role};
use uuid::Uuid;

use super::engine::{dispatch, Engine};
use super::Db;
pub use crate::auth::password::DEMO_PASSWORD;

/// Sizes of the generated workspace.
#[derive(Debug, Clone, Copy)]
pub struct SeedPlan {
    pub users: usize,
    pub posts: usize,
}

impl Default for SeedPlan {
    fn default() -> Self {
        Self {
            users: 60,
            posts: 2_000,
        }
    }
}

/// What a seeding run inserted (zero when the store already had users).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub users: usize,
    pub posts: usize,
}

/// The demo accounts: (name, email, role).
pub const DEMO_ACCOUNTS: [(&str, &str, Role); 3] = [
    ("Avery Admin", "admin@tidings.dev", Role::Admin),
    ("Morgan Moderator", "moderator@tidings.dev", Role::Moderator),
    ("Uma User", "user@tidings.dev", Role::User),
];

const FIRST: &[&str] = &[
    "Ada",
    "Grace",
    "Alan",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Edsger",
    "Radia",
    "Tim",
    "Hedy",
    "John",
    "Katherine",
    "Donald",
    "Sophie",
    "Niklaus",
    "Annie",
    "Leslie",
    "Shafi",
    "Guido",
    "Joan",
    "Bjarne",
    "Mary",
    "Yukihiro",
    "Adele",
    "Brian",
    "Evelyn",
    "Rasmus",
];
const LAST: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Turing",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "McCarthy",
    "Johnson",
    "Knuth",
    "Wilson",
    "Wirth",
    "Easley",
    "Lamport",
    "Goldwasser",
    "van Rossum",
    "Clarke",
    "Stroustrup",
    "Keller",
    "Matsumoto",
    "Goldberg",
    "Kernighan",
    "Boyd",
    "Lerdorf",
];
const TOPICS: &[&str] = &[
    "cache invalidation",
    "the release checklist",
    "our onboarding",
    "the quarterly roadmap",
    "incident review",
    "API versioning",
    "the design system",
    "database migrations",
    "the new office",
    "on-call rotation",
    "customer interviews",
    "accessibility audit",
    "the mobile layout",
    "search relevance",
    "load testing",
    "the holiday schedule",
    "code review habits",
    "error budgets",
    "the pricing page",
    "team rituals",
];
const OPENERS: &[&str] = &[
    "Notes on",
    "Thoughts about",
    "A short update on",
    "What we learned from",
    "Questions about",
    "Proposal:",
    "Retro:",
    "Draft plan for",
    "Why we changed",
    "Looking back at",
];
const SENTENCES: &[&str] = &[
    "We spent most of the week on this and the results are encouraging.",
    "The first attempt was too clever; the second one is simpler and faster.",
    "If you have opinions, reply here before Friday so we can decide together.",
    "Numbers from staging look stable, but production traffic is spikier.",
    "I wrote down the trade-offs so nobody has to rediscover them later.",
    "The main risk is timing: two teams depend on this landing in the same sprint.",
    "Thanks to everyone who reviewed the draft and left comments.",
    "We should measure before and after, not argue from intuition.",
    "Most of the work was deleting code that nobody used any more.",
    "Customers mentioned this in three separate interviews last month.",
    "A checklist would have caught the problem before it shipped.",
    "The dashboard now shows the trend per week instead of per day.",
    "Next step: a small experiment behind a flag, then a wider rollout.",
    "Pairing on this saved us at least two days of back and forth.",
    "There is a short recording of the demo in the team folder.",
    "I am not convinced yet, but the prototype changed my mind a little.",
    "Please keep the discussion on the problem rather than the tool.",
    "The documentation is updated, including the examples.",
];

/// SplitMix64: small, fast, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn uuid(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(
            ((u128::from(self.next()) << 64) | u128::from(self.next())).to_be_bytes(),
        )
        .into_uuid()
    }
}

struct SeedUser {
    id: Uuid,
    created_at: DateTime<Utc>,
}

fn paragraph(rng: &mut Rng) -> String {
    let n = 2 + rng.below(4);
    (0..n)
        .map(|_| rng.pick(SENTENCES))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Db {
    /// Seeds when the users table is empty; otherwise changes nothing.
    pub async fn seed_if_empty(
        &self,
        plan: SeedPlan,
        now: DateTime<Utc>,
    ) -> Result<SeedReport, sqlx::Error> {
        let _lock = self.write_lock.clone().lock_owned().await;
        let mut tx = self.pool().begin_write().await?;
        // Instances starting together on PostgreSQL seed once: the second
        // counts after the first has committed.
        if let Engine::Postgres(c) = tx.conn() {
            super::engine::lock_log(c).await?;
        }
        let existing: i64 = dispatch!(tx.conn(), c => {
            sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(c).await?
        });
        if existing > 0 {
            return Ok(SeedReport { users: 0, posts: 0 });
        }
        let hashes = tokio::task::spawn_blocking(|| {
            DEMO_ACCOUNTS
                .iter()
                .map(|_| crate::auth::password::hash(DEMO_PASSWORD))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("hashing the demo password: {e}")))?
        .map_err(|e| sqlx::Error::Protocol(format!("hashing the demo password: {e}")))?;
        let mut rng = Rng(0x7469_6469_6e67_7321);
        let mut users = Vec::with_capacity(plan.users);
        for i in 0..plan.users.max(DEMO_ACCOUNTS.len()) {
            let (name, email, role) = match DEMO_ACCOUNTS.get(i) {
                Some((n, e, r)) => (n.to_string(), e.to_string(), *r),
                None => {
                    let first = rng.pick(FIRST);
                    let last = rng.pick(LAST);
                    let handle = format!("{first}.{last}")
                        .to_lowercase()
                        .replace([' ', '-'], "");
                    let role = match i % 12 {
                        0 => Role::Admin,
                        1..=3 => Role::Moderator,
                        _ => Role::User,
                    };
                    (
                        format!("{first} {last}"),
                        format!("{handle}{i}@example.com"),
                        role,
                    )
                }
            };
            let created_at = now
                - Duration::days(30 + rng.below(400) as i64)
                - Duration::seconds(rng.below(86_400) as i64);
            let last_active = now - Duration::minutes(rng.below(60 * 24 * 14) as i64);
            let theme = ["light", "dark", "system"][rng.below(3)];
            let language = ["en", "en", "en", "fr", "de", "pt-BR", "ja"][rng.below(7)];
            let id = rng.uuid();
            let notifications = rng.below(4) != 0;
            dispatch!(tx.conn(), c => sqlx::query(
                "INSERT INTO users (id, name, email, role, avatar_url, last_active, theme, notifications, \
                 language, created_at, updated_at, version) VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, $8, $9, $9, 1)",
            )
            .bind(id.to_string())
            .bind(&name)
            .bind(&email)
            .bind(role.as_str())
            .bind(format_timestamp(&last_active))
            .bind(theme)
            .bind(notifications)
            .bind(language)
            .bind(format_timestamp(&created_at))
            .execute(c)
            .await
            .map(|_| ())?);
            users.push(SeedUser { id, created_at });
        }
        for ((_, email, _), hash) in DEMO_ACCOUNTS.iter().zip(&hashes) {
            dispatch!(tx.conn(), c => sqlx::query("UPDATE users SET password_hash = $1 WHERE email = $2")
                .bind(hash)
                .bind(email)
                .execute(c)
                .await
                .map(|_| ())?);
        }
        for _ in 0..plan.posts {
            let author = &users[rng.below(users.len())];
            let age = (now - author.created_at).num_seconds().max(60);
            let created_at =
                now - Duration::seconds(1 + rng.below(age.min(180 * 86_400) as usize) as i64);
            let title = format!("{} {}", rng.pick(OPENERS), rng.pick(TOPICS));
            let paragraphs = 1 + rng.below(3);
            let content = (0..paragraphs)
                .map(|_| paragraph(&mut rng))
                .collect::<Vec<_>>()
                .join("\n\n");
            let id = rng.uuid();
            dispatch!(tx.conn(), c => sqlx::query(
                "INSERT INTO posts (id, title, content, author_id, created_at, updated_at, version) \
                 VALUES ($1, $2, $3, $4, $5, $5, 1)",
            )
            .bind(id.to_string())
            .bind(&title)
            .bind(&content)
            .bind(author.id.to_string())
            .bind(format_timestamp(&created_at))
            .execute(c)
            .await
            .map(|_| ())?);
        }
        // The seed writes no events: it replaces the data wholesale, so it
        // starts a new epoch instead, and any client holding a seq of the
        // old data refetches.
        super::events::new_epoch(tx.conn()).await?;
        tx.commit().await?;
        Ok(SeedReport {
            users: users.len(),
            posts: plan.posts,
        })
    }
}
