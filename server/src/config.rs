//! Server configuration from command-line flags and the environment.
//!
//! The site settings (where the compiled WASM and CSS live) come from
//! `Leptos.toml` when the server runs on its own, and from the `LEPTOS_*`
//! variables that cargo-leptos sets, which win.

use std::net::SocketAddr;

use clap::Parser;
use leptos::config::LeptosOptions;

/// Events the in-memory tail keeps unless configured otherwise.
pub const DEFAULT_EVENTS_TAIL: usize = 10_000;

/// A secret from the command line or the environment; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<hidden>)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_owned())
    }
}

#[derive(Debug, Clone, Parser)]
#[command(
    name = "server",
    about = "Tidings server: REST API, realtime and the web app"
)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port). Defaults to the
    /// site address of the Leptos configuration, 127.0.0.1:3000.
    #[arg(long, env = "TIDINGS_ADDR")]
    pub addr: Option<SocketAddr>,

    /// Database to use: a SQLite URL (the file is created on first start)
    /// or a `postgres://` URL, which several instances may share.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://tidings.db")]
    pub database_url: String,

    /// Fill an empty database with demo users and posts, and the demo
    /// accounts whose password is published (`make run` and `make dev` ask
    /// for it; a deployment should not).
    #[arg(long, env = "TIDINGS_SEED", default_value_t = false, action = clap::ArgAction::Set)]
    pub seed: bool,

    /// Milliseconds between the realtime socket's `HEARTBEAT` frames.
    #[arg(long, env = "TIDINGS_HEARTBEAT_MS", default_value_t = 25_000)]
    pub heartbeat_ms: u64,

    /// How many of the newest events the log keeps; older ones are pruned
    /// every few minutes (clients further behind resynchronize).
    #[arg(long, env = "TIDINGS_EVENTS_KEEP", default_value_t = 100_000)]
    pub events_keep: u64,

    /// Most events a realtime socket reads from the log at once; a reader
    /// further behind than this counts as lagging in the metrics.
    #[arg(long, env = "TIDINGS_EVENTS_BATCH", default_value_t = 500)]
    pub events_batch: u32,

    /// How many of the newest events are kept in memory for the realtime
    /// sockets; a socket further behind reads the table.
    #[arg(long, env = "TIDINGS_EVENTS_TAIL", default_value_t = DEFAULT_EVENTS_TAIL)]
    pub events_tail: usize,

    /// Milliseconds a realtime client has to take a batch of frames before
    /// its socket is dropped (it reconnects and resumes).
    #[arg(long, env = "TIDINGS_SOCKET_SEND_TIMEOUT_MS", default_value_t = 10_000)]
    pub socket_send_timeout_ms: u64,

    /// Milliseconds a socket not signed in at the upgrade has to send its
    /// `auth` frame.
    #[arg(
        long,
        env = "TIDINGS_SOCKET_AUTH_DEADLINE_MS",
        default_value_t = 10_000
    )]
    pub socket_auth_deadline_ms: u64,

    /// Realtime sockets one user may hold at once.
    #[arg(long, env = "TIDINGS_SOCKETS_PER_USER", default_value_t = 16)]
    pub sockets_per_user: usize,

    /// Realtime sockets the server holds at most.
    #[arg(long, env = "TIDINGS_SOCKETS_TOTAL", default_value_t = 100_000)]
    pub sockets_total: usize,

    /// Milliseconds a request may take before it is answered 503
    /// (`timeout`); 0 disables the limit. The realtime socket is exempt.
    #[arg(long, env = "TIDINGS_REQUEST_TIMEOUT_MS", default_value_t = 30_000)]
    pub request_timeout_ms: u64,

    /// Milliseconds a page a browser navigated to may take to render before
    /// it is answered with a short 503 page; at most the request timeout.
    #[arg(long, env = "TIDINGS_PAGE_TIMEOUT_MS", default_value_t = 10_000)]
    pub page_timeout_ms: u64,

    /// Largest request body, in bytes, that any route reads; routes have
    /// lower limits of their own (64 KiB for JSON).
    #[arg(long, env = "TIDINGS_MAX_BODY_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// An origin (`https://admin.example.com`) whose pages may call the API
    /// across origins (CORS). Repeat the flag, or separate origins with
    /// commas in the variable. None by default: same-origin only, and
    /// cross-origin preflights are refused.
    #[arg(
        long = "cors-origin",
        env = "TIDINGS_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,

    /// Directory the uploaded avatars are stored in and served from
    /// (`/uploads/<name>`). Defaults to `uploads` next to the SQLite file
    /// (in the working directory for PostgreSQL).
    #[arg(long, env = "TIDINGS_UPLOAD_DIR")]
    pub upload_dir: Option<std::path::PathBuf>,

    /// Secret (at least 32 bytes) that signs the access tokens. Every
    /// instance serving one site must share it. Unset: the first start
    /// makes a random one and keeps it in the database, where every
    /// restart and every instance on that database finds it.
    #[arg(long, env = "TIDINGS_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,

    /// Mark the auth cookies `Secure` (sent over HTTPS only).
    #[arg(long, env = "TIDINGS_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// Seconds an access token is valid.
    #[arg(long, env = "TIDINGS_ACCESS_TOKEN_TTL", default_value_t = 900)]
    pub access_token_ttl_secs: u64,

    /// Seconds a refresh token is valid (30 days).
    #[arg(long, env = "TIDINGS_REFRESH_TOKEN_TTL", default_value_t = 2_592_000)]
    pub refresh_token_ttl_secs: u64,

    /// Seconds a rotated refresh token is still accepted, answered with
    /// the token that replaced it (an answer lost on the way, two tabs
    /// refreshing at once) instead of revoking its family; 0 turns the
    /// grace off.
    #[arg(long, env = "TIDINGS_REFRESH_GRACE_SECS", default_value_t = 10)]
    pub refresh_grace_secs: u64,

    /// Sign-in attempts one client address may make per
    /// `--login-ip-window-secs`.
    #[arg(long, env = "TIDINGS_LOGIN_ATTEMPTS_PER_IP", default_value_t = 10)]
    pub login_attempts_per_ip: u32,

    #[arg(long, env = "TIDINGS_LOGIN_IP_WINDOW_SECS", default_value_t = 60)]
    pub login_ip_window_secs: u64,

    /// Failed sign-ins one account may have per
    /// `--login-account-window-secs` before it must wait.
    #[arg(long, env = "TIDINGS_LOGIN_FAILURES_PER_ACCOUNT", default_value_t = 5)]
    pub login_failures_per_account: u32,

    #[arg(long, env = "TIDINGS_LOGIN_ACCOUNT_WINDOW_SECS", default_value_t = 900)]
    pub login_account_window_secs: u64,

    /// Addresses of reverse proxies in front of the server: from these,
    /// the client is the address `X-Forwarded-For` names (the rightmost
    /// that is not a proxy), for the sign-in limits. Repeat the flag, or
    /// separate with commas.
    #[arg(
        long = "trusted-proxy",
        env = "TIDINGS_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// Password hashes (sign-in, new accounts) computed at once; each takes
    /// about 19 MiB.
    #[arg(long, env = "TIDINGS_MAX_CONCURRENT_HASHES", default_value_t = 4)]
    pub max_concurrent_hashes: usize,

    /// Milliseconds a sign-in waits for a hashing turn before it is
    /// answered 503 `busy` with `Retry-After`.
    #[arg(long, env = "TIDINGS_HASH_WAIT_MS", default_value_t = 2_000)]
    pub hash_wait_ms: u64,

    /// Site configuration used when the `LEPTOS_*` variables are not set.
    #[arg(long, env = "TIDINGS_LEPTOS_CONFIG", default_value = "Leptos.toml")]
    pub leptos_config: String,

    #[arg(skip)]
    pub leptos: Option<LeptosOptions>,
}

impl Config {
    /// A configuration for tests and embedding: the given database, no
    /// seeding, default site options, a free port on loopback.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Self {
            addr: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            database_url: database_url.into(),
            seed: false,
            heartbeat_ms: 25_000,
            events_keep: 100_000,
            events_batch: 500,
            events_tail: DEFAULT_EVENTS_TAIL,
            socket_send_timeout_ms: 10_000,
            socket_auth_deadline_ms: 10_000,
            sockets_per_user: 16,
            sockets_total: 100_000,
            request_timeout_ms: 30_000,
            page_timeout_ms: 10_000,
            max_body_bytes: 8 * 1024 * 1024,
            cors_origins: Vec::new(),
            upload_dir: None,
            jwt_secret: None,
            secure_cookies: false,
            access_token_ttl_secs: 900,
            refresh_token_ttl_secs: 2_592_000,
            refresh_grace_secs: 10,
            login_attempts_per_ip: 10,
            login_ip_window_secs: 60,
            login_failures_per_account: 5,
            login_account_window_secs: 900,
            trusted_proxies: Vec::new(),
            max_concurrent_hashes: 4,
            hash_wait_ms: 2_000,
            leptos_config: "Leptos.toml".into(),
            leptos: Some(LeptosOptions::builder().output_name("tidings").build()),
        }
    }

    /// Reads the site options: `Leptos.toml` (with `LEPTOS_*` on top) if
    /// present, otherwise the `LEPTOS_*` variables and built-in defaults.
    pub fn leptos_options(&self) -> Result<LeptosOptions, String> {
        if let Some(options) = &self.leptos {
            return Ok(options.clone());
        }
        let from_cargo_leptos = std::env::var_os("LEPTOS_OUTPUT_NAME").is_some();
        let path = std::path::Path::new(&self.leptos_config);
        let file = (!from_cargo_leptos && path.exists()).then_some(self.leptos_config.as_str());
        leptos::config::get_configuration(file)
            .map(|conf| conf.leptos_options)
            .map_err(|e| format!("reading the site configuration: {e}"))
    }

    /// Where to listen: the flag, else the site address.
    pub fn bind_addr(&self) -> SocketAddr {
        self.addr.unwrap_or_else(|| {
            self.leptos
                .as_ref()
                .map(|o| o.site_addr)
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 3000)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jwt_secret_is_read_and_never_printed() {
        let config = Config::try_parse_from(["server", "--jwt-secret", "s3cret-value"]).unwrap();
        assert_eq!(
            config.jwt_secret.as_ref().map(Secret::expose),
            Some("s3cret-value")
        );
        assert!(!format!("{config:?}").contains("s3cret-value"));
    }

    #[test]
    fn demo_accounts_are_seeded_only_when_asked() {
        assert!(!Config::try_parse_from(["server"]).unwrap().seed);
        let asked = Config::try_parse_from(["server", "--seed", "true"]).unwrap();
        assert!(asked.seed);
    }
}
