//! What every process of the product does alike, so that each app's
//! `main.rs` is wiring only (as NestJS's `bootstrap()`):
//!
//! - [`settings`]: every setting, declared once, each binary reading its own;
//! - [`telemetry`]: logs and metrics, set up once per process;
//! - serving HTTP: connections with their limits, the shared middleware (the
//!   one place error answers are logged), the probes, graceful shutdown, and
//!   how a process that cannot run says why and exits;
//! - for the entity services, their [`records`] (the store interface every
//!   one has, and the import, readiness and version routes on it) and the
//!   bearer tokens their writes need, each with its scope ([`credentials`]),
//!   and their change logs as followers read them ([`changes`]) and as
//!   they are relayed to NATS JetStream ([`relay`]).

pub mod changes;
mod connections;
pub mod credentials;
pub mod edits;
mod exit;
mod http;
pub mod records;
pub mod relay;
pub mod settings;
pub mod telemetry;

pub use credentials::{Credentials, Scope, Writer, only_for};
pub use exit::exit_status;
pub use http::{REQUEST_ID, alive, listen_address, serve, serve_on, service_router, shutdown_signal};
pub use records::{MAX_IMPORT_BATCH, NamedRecordStore, RecordStore};
