//! What every process of the product does the same way: serve HTTP with the
//! shared middleware and probes, log error answers, and stop cleanly; and
//! for the entity services, the import and readiness routes.
//!
//! Like NestJS's `bootstrap()`, it keeps each app's `main.rs` down to wiring.

mod connections;
mod exit;
mod http;
mod imports;
mod writes;

pub use exit::exit_status;
pub use http::{REQUEST_ID, alive, listen_address, serve, serve_on, service_router, shutdown_signal};
pub use imports::{import, ready, version};
pub use writes::only_with_token;
