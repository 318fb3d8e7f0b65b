//! Debian's `nats-server` (with JetStream) for the tests of the relay and of
//! the followers on NATS: each test starts its own, on a free loopback port
//! with its own store, and may stop it and start it again on the same port
//! and store, as an outage would.

use std::path::PathBuf;
use std::time::Duration;

use tempfile::TempDir;

use crate::process::{Process, free_port};

/// How long a server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// One `nats-server -js` and its store.
pub struct NatsServer {
    pub url: String,
    port: u16,
    program: PathBuf,
    store: TempDir,
    process: Option<Process>,
}

impl NatsServer {
    /// A server started for `test`, or `None` after saying why the test is
    /// skipped (no `nats-server` here; in CI, where every test must run, it fails).
    pub async fn start(test: &str) -> Option<NatsServer> {
        let Some(program) = find_program() else {
            assert!(std::env::var_os("CI").is_none(), "{test}: no nats-server, and CI needs every test to run");
            println!(
                "{test} (NATS): skipped — no nats-server on this machine (apt-get install nats-server; .ci/run does)"
            );
            return None;
        };
        let port = free_port();
        let store = tempfile::tempdir().expect("a folder for the JetStream store");
        let mut server = NatsServer { url: format!("nats://127.0.0.1:{port}"), port, program, store, process: None };
        server.start_again().await;
        Some(server)
    }

    /// Stops the server at once (SIGKILL).
    pub async fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill().await;
        }
    }

    /// Starts the server again on its port, with its store.
    pub async fn start_again(&mut self) {
        self.kill().await;
        let args = [
            "-js".to_owned(),
            "-a".to_owned(),
            "127.0.0.1".to_owned(),
            "-p".to_owned(),
            self.port.to_string(),
            "-sd".to_owned(),
            self.store.path().display().to_string(),
        ];
        let process = Process::spawn("nats-server", &self.program, &args, self.store.path(), &[] as &[(&str, String)]);
        self.process = Some(process);
        let started = std::time::Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_err() {
            assert!(
                started.elapsed() < START_TIMEOUT,
                "nats-server did not listen on {} within {START_TIMEOUT:?}",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// `nats-server` on the `PATH`, or where Debian puts it.
fn find_program() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/bin".into()])
        .map(|dir| dir.join("nats-server"))
        .find(|candidate| candidate.is_file())
}
