//! One of the four processes the supervisor runs: how it is started (in its
//! own process group, dying with the supervisor) and how it is stopped
//! (SIGTERM, then SIGKILL once its grace period is over).

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

/// A binary to run, and where it answers its probes.
pub struct Program {
    pub name: &'static str,
    pub binary: PathBuf,
    /// `http://HOST:PORT`, for `/health` and `/ready`.
    pub url: String,
    /// Settings the supervisor passes on, on top of its own environment.
    pub env: Vec<(&'static str, String)>,
}

impl Program {
    /// Starts the program. Its output goes where the supervisor's goes.
    pub fn spawn(&self) -> io::Result<Child> {
        let mut command = Command::new(&self.binary);
        command
            .envs(self.env.iter().map(|(key, value)| (key, value)))
            // Its own group: Ctrl-C in the terminal reaches the supervisor
            // only, which then stops the processes in order (gateway first).
            .process_group(0)
            .kill_on_drop(true);
        // SAFETY: between fork and exec only prctl(2) is called, which is
        // async-signal-safe; it touches no memory of the parent.
        unsafe {
            command.pre_exec(|| {
                // The child gets SIGTERM when the supervisor dies, even by
                // SIGKILL, so that nothing outlives `make start`. (The
                // supervisor runs on one thread, the one that forks.)
                nix::sys::prctl::set_pdeathsig(Signal::SIGTERM).map_err(io::Error::from)
            });
        }
        command.spawn()
    }
}

/// Asks `child` to stop (SIGTERM) and waits up to `grace` for it, then kills
/// it (SIGKILL). Returns how it ended.
pub async fn stop(child: &mut Child, grace: Duration) -> io::Result<ExitStatus> {
    if let Some(pid) = child.id().and_then(|pid| i32::try_from(pid).ok()) {
        // ESRCH (already gone) is fine: wait() below collects it.
        let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        if let Ok(status) = tokio::time::timeout(grace, child.wait()).await {
            return status;
        }
        tracing::warn!(pid, ?grace, "still running after its grace period, killing it");
    }
    child.kill().await?;
    child.wait().await
}
