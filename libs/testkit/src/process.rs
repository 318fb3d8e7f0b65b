//! One of the product's binaries, running as a child process.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long a binary may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A binary of the workspace, built next to the running test (`make test`
/// builds them all first with `cargo build --bins`).
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    // target/<profile>/deps/<test> -> target/<profile>/<name>
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join(name))
        .expect("tests run from the target folder");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --bins` first (make test does)",
        path.display()
    );
    path
}

/// A running binary; killed when dropped.
pub struct Process {
    pub name: String,
    /// `http://127.0.0.1:PORT`, as the process reported it.
    pub url: String,
    child: Child,
}

impl Process {
    /// Starts `name` with `env` in `dir` (so that no `.env` of the repository
    /// is read) and waits for its `listening on http://ADDR` line.
    pub async fn start<K: AsRef<std::ffi::OsStr>>(name: &str, dir: &std::path::Path, env: &[(K, String)]) -> Process {
        let mut command = Command::new(binary(name));
        command
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .env("BIND_ADDRESS", "127.0.0.1")
            .env_remove("LOG_FORMAT")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let url = tokio::time::timeout(START_TIMEOUT, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(at) = line.find("listening on http://") {
                    let address: String = line[at + "listening on http://".len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '[' | ']'))
                        .collect();
                    return Some(format!("http://{address}"));
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("{name} did not report a listening address within {START_TIMEOUT:?}"));
        // Keep reading the log so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Process { name: name.to_owned(), url, child }
    }

    /// The port the process listens on.
    pub fn port(&self) -> u16 {
        self.url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("the url ends with a port")
    }

    /// Stops the process (SIGKILL) and waits for it to be gone.
    pub async fn kill(&mut self) {
        let _ = self.child.kill().await;
    }
}
