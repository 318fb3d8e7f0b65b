//! Keeping one process running: start it, wait for its probes, and when it
//! dies (or never answers `/health`), log how it ended and start it again
//! after its [`Backoff`] pause, until the supervisor stops.

use std::process::ExitStatus;
use std::time::{Duration, Instant};

use tokio::process::Child;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::backoff::Backoff;
use crate::probe::Probes;
use crate::program::{self, Program};

/// A run that lasted this long was healthy: the next restart is quick again.
const HEALTHY_RUN: Duration = Duration::from_secs(10);
/// From this many early ends in a row on, the restarts are reported as an error.
const KEEPS_FAILING: u32 = 3;

/// How the supervisor restarts and stops a process.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// How long a started process may take to answer `/health`.
    pub start_timeout: Duration,
    /// How long a process may take to stop after SIGTERM.
    pub stop_grace: Duration,
}

/// How one run of a process ended.
enum Ended {
    Exited(ExitStatus),
    /// Started, but did not answer `/health` in time, so it was killed.
    NeverAlive,
    /// Could not be started at all (a missing binary, no more processes).
    NotStarted(std::io::Error),
    /// The supervisor is stopping: the process was stopped.
    Stopped,
}

/// Runs `program` until `stop` is cancelled, restarting it each time it ends.
/// `ready` says whether the current run has answered `/ready`.
pub async fn supervise(program: Program, policy: Policy, ready: watch::Sender<bool>, stop: CancellationToken) {
    let name = program.name;
    let probes = Probes::new(&program.url);
    let mut backoff = Backoff::new(policy.backoff_min, policy.backoff_max, jitter_seed(name));
    loop {
        let started = Instant::now();
        let ended = match program.spawn() {
            Ok(mut child) => run(&program, &mut child, &probes, &policy, &ready, &stop).await,
            Err(error) => Ended::NotStarted(error),
        };
        ready.send_replace(false);
        let lasted = started.elapsed();
        let how = match ended {
            Ended::Stopped => return,
            Ended::Exited(status) => format!("exited ({status}) after {}", seconds(lasted)),
            Ended::NeverAlive => {
                format!("did not answer /health within {}, so it was killed", seconds(policy.start_timeout))
            }
            Ended::NotStarted(error) => format!("cannot be started ({}: {error})", program.binary.display()),
        };
        if lasted >= HEALTHY_RUN {
            backoff.reset();
        }
        let pause = backoff.next_pause();
        let failures = backoff.failures();
        if failures >= KEEPS_FAILING {
            tracing::error!(
                "{name} keeps failing: {how}; {failures} starts in a row ended within {}; restarting in {}",
                seconds(HEALTHY_RUN),
                seconds(pause)
            );
        } else {
            tracing::warn!("{name} {how}; restarting in {} (attempt {failures})", seconds(pause));
        }
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = stop.cancelled() => return,
        }
    }
}

/// One run of a started process.
async fn run(
    program: &Program,
    child: &mut Child,
    probes: &Probes,
    policy: &Policy,
    ready: &watch::Sender<bool>,
    stop: &CancellationToken,
) -> Ended {
    let name = program.name;
    let pid = child.id().unwrap_or_default();
    tracing::info!("{name} started (pid {pid})");
    let up = async {
        if tokio::time::timeout(policy.start_timeout, probes.until_alive()).await.is_err() {
            return;
        }
        probes.until_ready().await;
        tracing::info!("{name} is ready (pid {pid})");
        ready.send_replace(true);
        // Up: from here on only its exit or the supervisor's stop ends the run.
        std::future::pending::<()>().await;
    };
    tokio::select! {
        status = child.wait() => match status {
            Ok(status) => Ended::Exited(status),
            Err(error) => Ended::NotStarted(error),
        },
        () = up => {
            let _ = child.kill().await;
            Ended::NeverAlive
        }
        () = stop.cancelled() => {
            match program::stop(child, policy.stop_grace).await {
                Ok(status) => tracing::info!("{name} stopped ({status})"),
                Err(error) => tracing::warn!("{name} could not be stopped: {error}"),
            }
            Ended::Stopped
        }
    }
}

/// Different for each process and each run of the supervisor.
fn jitter_seed(name: &str) -> u64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    name.bytes()
        .fold(now.as_nanos() as u64 ^ u64::from(std::process::id()), |seed, byte| seed.rotate_left(8) ^ u64::from(byte))
}

/// `1.5 s`, `250 ms`: a duration as people read it in a log.
fn seconds(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}
