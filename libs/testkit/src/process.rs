//! One of the product's binaries (or scripts), running as a child process.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long a binary may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The folder of the workspace's binaries, next to the running test
/// (`make test` builds them all first with `cargo build --bins`).
pub fn binary_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    // target/<profile>/deps/<test> -> target/<profile>
    exe.parent().and_then(Path::parent).map(Path::to_path_buf).expect("tests run from the target folder")
}

/// A binary of the workspace, built next to the running test.
pub fn binary(name: &str) -> PathBuf {
    let path = binary_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: this test starts the real binaries; build them first with \
         `cargo build --workspace --bins` (make test does)",
        path.display()
    );
    path
}

/// A port of the loopback that was free a moment ago (for a process that
/// must be told its port before it starts).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    listener.local_addr().expect("a bound address").port()
}

/// The environment of a supervisor (`make start`) on `ports` (gateway,
/// bands, venues, concerts) with its data in `data_dir`, importing the demo
/// data, with the tests' import token.
pub fn supervisor_env(ports: [u16; 4], data_dir: &Path) -> Vec<(String, String)> {
    let [gateway, bands, venues, concerts] = ports.map(|port| port.to_string());
    vec![
        ("GATEWAY_HTTP_PORT".into(), gateway),
        ("BANDS_HTTP_PORT".into(), bands),
        ("VENUES_HTTP_PORT".into(), venues),
        ("CONCERTS_HTTP_PORT".into(), concerts),
        ("DATA_DIR".into(), data_dir.display().to_string()),
        ("DEMO_DATA_DIR".into(), repo_root().join("data/wemaintain").display().to_string()),
        ("IMPORT_TOKEN".into(), crate::IMPORT_TOKEN.into()),
        ("WRITE_TOKENS".into(), crate::write_tokens()),
    ]
}

/// How long an exited process's output may take to be read to its end.
const OUTPUT_END: Duration = Duration::from_secs(5);

/// How many log lines a test keeps from each process (the newest ones).
const KEPT_LOG_LINES: usize = 10_000;

/// A running child process; killed when dropped.
pub struct Process {
    pub name: String,
    /// `http://127.0.0.1:PORT`, as the process reported it (empty for one that serves nothing).
    pub url: String,
    child: Child,
    log: Arc<Mutex<VecDeque<String>>>,
    /// Reads the output into `log` until its end.
    reader: Option<tokio::task::JoinHandle<()>>,
}

impl Process {
    /// Starts the binary `name` with `env` in `dir` (so that no `.env` of the
    /// repository is read) and waits for its `listening on http://ADDR` line.
    pub async fn start<K: AsRef<std::ffi::OsStr>>(name: &str, dir: &Path, env: &[(K, String)]) -> Process {
        let mut process = Self::spawn(name, &binary(name), &[] as &[&str], dir, env);
        let line = process.wait_for_line("listening on http://", START_TIMEOUT).await;
        let at = line.find("listening on http://").unwrap_or_default() + "listening on http://".len();
        let address: String = line[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '[' | ']'))
            .collect();
        process.url = format!("http://{address}");
        process
    }

    /// Starts `program` with `args` and `env` in `dir`, its output kept (see
    /// [`Self::log_lines`]), and returns at once.
    pub fn spawn<K, A>(name: &str, program: &Path, args: &[A], dir: &Path, env: &[(K, String)]) -> Process
    where
        K: AsRef<std::ffi::OsStr>,
        A: AsRef<std::ffi::OsStr>,
    {
        let mut command = Command::new(program);
        command.env("RUST_LOG", "info").env("BIND_ADDRESS", "127.0.0.1").env_remove("LOG_FORMAT");
        Self::spawn_command(name, command, args, dir, env)
    }

    /// Starts `program` as a person at a terminal does: with nothing of this
    /// test's environment (no setting exported), only `PATH` and `HOME`, so
    /// that what it reads comes from the `.env` of `dir` and its defaults.
    pub fn spawn_as_a_person<A: AsRef<std::ffi::OsStr>>(name: &str, program: &Path, args: &[A], dir: &Path) -> Process {
        let mut command = Command::new(program);
        command.env_clear();
        for kept in ["PATH", "HOME"] {
            if let Some(value) = std::env::var_os(kept) {
                command.env(kept, value);
            }
        }
        Self::spawn_command(name, command, args, dir, &[] as &[(&str, String)])
    }

    fn spawn_command<K, A>(name: &str, mut command: Command, args: &[A], dir: &Path, env: &[(K, String)]) -> Process
    where
        K: AsRef<std::ffi::OsStr>,
        A: AsRef<std::ffi::OsStr>,
    {
        let program = PathBuf::from(command.as_std().get_program());
        command
            .args(args)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let stdout = child.stdout.take().expect("stdout is piped");
        // Keep reading the output, so that the child never blocks on a full pipe and tests can read it.
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let kept = log.clone();
        let reader = tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut kept = kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                if kept.len() == KEPT_LOG_LINES {
                    kept.pop_front();
                }
                kept.push_back(line);
            }
        });
        Process { name: name.to_owned(), url: String::new(), child, log, reader: Some(reader) }
    }

    /// The first kept line that contains `needle`, waiting up to `timeout` for it.
    pub async fn wait_for_line(&mut self, needle: &str, timeout: Duration) -> String {
        let started = std::time::Instant::now();
        loop {
            if let Some(line) = self.log_lines().into_iter().find(|line| line.contains(needle)) {
                return line;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited ({status}) before printing {needle:?}: {:#?}", self.name, self.log_lines());
            }
            assert!(
                started.elapsed() < timeout,
                "{} did not print {needle:?} within {timeout:?}: {:#?}",
                self.name,
                self.log_lines()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The lines the process wrote to its standard output (the newest 10,000).
    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).iter().cloned().collect()
    }

    /// The port the process listens on.
    pub fn port(&self) -> u16 {
        self.url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("the url ends with a port")
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id().expect("the process is running")
    }

    /// Stops the process (SIGKILL) and waits for it to be gone.
    pub async fn kill(&mut self) {
        let _ = self.child.kill().await;
    }

    /// Asks the process to stop (SIGTERM), as an orchestrator would.
    pub fn terminate(&self) {
        self.signal("-TERM");
    }

    /// Interrupts the process (SIGINT), as Ctrl-C in its terminal would.
    pub fn interrupt(&self) {
        self.signal("-INT");
    }

    fn signal(&self, signal: &str) {
        let pid = self.id();
        let status = std::process::Command::new("kill").args([signal, &pid.to_string()]).status();
        assert!(status.is_ok_and(|s| s.success()), "kill {signal} {pid} failed");
    }

    /// Waits up to `timeout` for the process to exit; its status, or None if
    /// it still runs. Once it has exited, its last lines are in [`Self::log_lines`].
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let status = tokio::time::timeout(timeout, self.child.wait()).await.ok().and_then(Result::ok)?;
        // The output may still be in the pipe: read it to its end (bounded,
        // for children of the process that may hold the pipe a moment longer).
        if let Some(reader) = self.reader.take() {
            let _ = tokio::time::timeout(OUTPUT_END, reader).await;
        }
        Some(status)
    }
}
