//! Tests across the apps. The library holds what they share:
//!
//! - [`InProcess`]: the whole system in this process, each app's real router
//!   on its own loopback port, with SQLite stores in a temporary folder:
//!   fast, and no binary to build first.
//! - [`Data`]: the exercise's data set read straight from its files, and the
//!   answers computed from it independently of the system.
//! - [`answers_the_exercise`]: the exercise's checks against any gateway
//!   (in-process, the real binaries, on SQLite or MongoDB).
//!
//! End-to-end tests that need the real binaries use `testkit::System`; on
//! MongoDB, one at a time ([`ON_MONGODB`]) and with [`slow_store_waits`].

mod data;
mod in_process;

pub use data::{
    Data, Expected, PARIS, VENUE_1, answers_the_exercise, assert_same_answer, city_venues, haversine_km, without_ids,
};
pub use in_process::InProcess;

/// One system on the MongoDB test server at a time: a page from it takes
/// tens of milliseconds, and two systems seeding it at once slow both.
pub static ON_MONGODB: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The gateway's waits on a system whose stores are the MongoDB test server,
/// which answers a page of a thousand concerts in a second or more, not in
/// milliseconds as MongoDB does.
pub fn slow_store_waits() -> Vec<(&'static str, String)> {
    vec![("DOWNSTREAM_TIMEOUT_MS", "15000".to_owned()), ("REQUEST_DEADLINE_MS", "30000".to_owned())]
}
