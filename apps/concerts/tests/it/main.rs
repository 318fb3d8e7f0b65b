//! The concerts service's tests: its routes in-process, and its store's
//! conformance on every backend. One test binary for the crate.

mod conformance;
mod routes;
