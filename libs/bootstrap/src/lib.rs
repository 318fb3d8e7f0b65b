//! What every process of the product does the same way: serve HTTP with the
//! shared middleware and probes, log error answers, and stop cleanly; and
//! for the entity services, the import and readiness routes.
//!
//! Like NestJS's `bootstrap()`, it keeps each app's `main.rs` down to wiring.

mod http;
mod imports;

pub use http::{REQUEST_ID, alive, listen_address, serve, service_router};
pub use imports::{import, ready, version};
