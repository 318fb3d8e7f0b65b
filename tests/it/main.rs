//! Tests across the apps, one binary. In-process (every app's real router on
//! a loopback port): the exercise, paging, abuse. With the real binaries
//! (built by `make test` first): end to end on SQLite and MongoDB, faults,
//! operations.

mod abuse;
mod end_to_end;
mod exercise;
mod faults;
mod operations;
mod paging;
