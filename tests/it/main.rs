//! Tests across the apps, one binary. In-process (every app's real router on
//! a loopback port): the exercise, paging, discovery (names, dates, CORS,
//! compression, tags), the search page in Chromium, abuse, rate limits and
//! security headers. With the real binaries
//! (built by `make test` first): end to end on SQLite and MongoDB, faults,
//! operations, staying up (slow connections, the import token, crashes, bad
//! data folders, a full disk), schemathesis's stateful run.

mod abuse;
mod browser;
mod calendar;
mod catalogue;
mod changes;
mod counts;
mod crash;
mod deploy;
mod discovery;
mod end_to_end;
mod events;
mod exercise;
mod faults;
mod limits;
mod newcomer;
mod operations;
mod paging;
mod places;
mod schemathesis;
mod stays_up;
