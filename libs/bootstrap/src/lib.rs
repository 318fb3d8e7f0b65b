//! What every process of the product does the same way at start-up and
//! shutdown: read configuration, set up logging, serve HTTP, stop cleanly.
//!
//! Like NestJS's `bootstrap()`, it keeps each app's `main.rs` down to wiring.

mod config;
mod http;

pub use config::{ConfigError, ServiceConfig, env_or, listen_address, service_url};
pub use http::{serve, with_common_layers};

use tracing_subscriber::EnvFilter;

/// Loads `.env` if there is one; variables already in the environment win.
pub fn load_env() {
    if let Err(error) = dotenvy::dotenv()
        && !error.not_found()
    {
        eprintln!("warning: .env could not be read: {error}");
    }
}

/// Logs to stdout, filtered by `RUST_LOG` (default `info`); JSON lines when
/// `LOG_FORMAT=json`, readable text otherwise.
pub fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a person at a terminal, never in files or pipes.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|format| format.eq_ignore_ascii_case("json"));
    // try_init: a second call (tests) keeps the first subscriber instead of panicking.
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}
