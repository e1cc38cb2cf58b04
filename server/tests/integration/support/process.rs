//! The server binary in a process of its own, for tests that measure the
//! server alone (its resident memory), restart it or crash it: started on
//! `127.0.0.1:0` over a SQLite file (by default a fresh one) or a
//! database URL, with the tests' JWT secret so [`super::mint_token`]
//! signs for it; killed when dropped.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use tempfile::TempDir;

use super::TEST_JWT_SECRET;

pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
    _dir: Option<TempDir>,
}

impl ServerProcess {
    /// Starts `target/…/server` over a fresh database with `args` besides
    /// the database, address and the tests' secret; waits for it to say
    /// where it listens.
    pub fn start(args: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let mut server = Self::start_in(dir.path(), Some(TEST_JWT_SECRET), args);
        server._dir = Some(dir);
        server
    }

    /// Starts the server over the SQLite file `t.db` in `dir` (made by an
    /// earlier one, or new), with `secret` as `--jwt-secret` if given.
    pub fn start_in(dir: &Path, secret: Option<&str>, args: &[&str]) -> Self {
        Self::start_on(&format!("sqlite://{}/t.db", dir.display()), secret, args)
    }

    /// Starts the server over the database `url` names (SQLite or
    /// PostgreSQL), with `secret` as `--jwt-secret` if given.
    pub fn start_on(url: &str, secret: Option<&str>, args: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
        command
            .args(["--addr", "127.0.0.1:0"])
            .args(["--database-url", url])
            .env_remove("TIDINGS_JWT_SECRET");
        if let Some(secret) = secret {
            command.args(["--jwt-secret", secret]);
        }
        let mut child = command
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the server binary");
        let stdout = child.stdout.take().expect("its stdout");
        let (tx, rx) = mpsc::channel();
        // Reads the address, then keeps the pipe drained.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("Tidings listening on http://") {
                    let _ = tx.send(addr.trim().to_owned());
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server says where it listens")
            .parse()
            .expect("an address");
        Self {
            child,
            addr,
            _dir: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    /// The process's resident set, in bytes.
    pub fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server process is alive");
        let line = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .expect("VmRSS in /proc/<pid>/status");
        let kib: u64 = line
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .expect("a number of kB");
        kib * 1024
    }
}

impl ServerProcess {
    /// Ends the process with SIGKILL, as a crash would: no shutdown runs.
    pub fn crash(mut self) {
        self.child.kill().expect("kill the server process");
        self.child.wait().expect("reap the server process");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
