//! The gateway process: settings, logs and metrics, the app, serve.

use std::process::ExitCode;

use bootstrap::settings::{self, Settings};
use bootstrap::telemetry;
use concerts_gateway::app;
use concerts_gateway::config::Config;

// Answers are written into many short-lived buffers; mimalloc serves them
// faster than the system allocator, whose locks showed in profiles under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let settings = settings::Gateway::load();
    let _logs = telemetry::init_tracing(&settings.logging);
    telemetry::init_metrics();
    bootstrap::exit_status("concerts-gateway", run(settings).await)
}

async fn run(settings: settings::Gateway) -> anyhow::Result<()> {
    let config = Config::from(&settings);
    let router = app::router(&config)?;
    bootstrap::serve("concerts-gateway", config.address, router, &config.limits).await?;
    Ok(())
}
