//! `make start`: the supervisor of the concert discovery system. It runs the
//! three services and the gateway, starts again any that dies (with a
//! growing, jittered pause), imports the demo data, and on Ctrl-C or SIGTERM
//! stops them all and exits 0.

mod backoff;
mod probe;
mod program;
mod supervise;
mod system;

use std::process::ExitCode;

use bootstrap::settings::{self, Settings};
use bootstrap::telemetry;

// One thread: the children's "die with the parent" signal (PR_SET_PDEATHSIG)
// follows the thread that started them, which must live as long as the supervisor.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let settings = settings::Supervisor::load();
    let _logs = telemetry::init_tracing(&settings.logging);
    bootstrap::exit_status("supervisor", system::run(settings).await)
}
