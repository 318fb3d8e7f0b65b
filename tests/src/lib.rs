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
//! End-to-end tests that need the real binaries use `testkit::System`.

mod data;
mod in_process;

pub use data::{Data, PARIS, VENUE_1, answers_the_exercise, assert_same_answer, haversine_km};
pub use in_process::InProcess;
