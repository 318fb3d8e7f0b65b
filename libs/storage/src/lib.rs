//! Where the services keep their records. Each service owns its store, its
//! schema and its queries; this crate holds what they do alike:
//!
//! - [`sqlite`]: the embedded default, one file per service (a small pool,
//!   WAL, reads in place, SQLite's failures as [`exceptions::StoreError`]),
//!   and the name index beside a table of named records;
//! - [`mongo`]: a service's own MongoDB database when one is configured (a
//!   client that fails fast, indexes made in the background, bulk upserts),
//!   and the same name index as fields of each document;
//! - [`name_match`]: names as people type them (folding, word starts,
//!   trigrams, the ranking both backends answer in).
//!
//! Below the HTTP layer: nothing here knows about requests or answers.

pub mod mongo;
pub mod name_match;
pub mod sqlite;

mod metrics;

pub use metrics::record_store_query;
