//! What every process of the product does the same way: read configuration,
//! set up logs and metrics, serve HTTP with the shared middleware and probes,
//! and stop cleanly.
//!
//! Like NestJS's `bootstrap()`, it keeps each app's `main.rs` down to wiring.

mod config;
mod http;
mod limits;
mod telemetry;

pub use config::{ConfigError, ServiceConfig, env_or, listen_address, service_url};
pub use http::{REQUEST_ID, alive, serve, service_router};
pub use limits::Limits;
pub use telemetry::{init_metrics, init_tracing, render_metrics};

// Every process serves many small requests, each allocating short-lived
// buffers (bodies, JSON, rows); mimalloc serves them faster than the system
// allocator, whose locks showed in profiles of the services under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Loads `.env` if there is one; variables already in the environment win.
pub fn load_env() {
    if let Err(error) = dotenvy::dotenv()
        && !error.not_found()
    {
        eprintln!("warning: .env could not be read: {error}");
    }
}
