//! The concerts gateway: the public HTTP API. It validates each request
//! against its JSON Schema, asks the bands, venues and concerts services for
//! just the records the answer needs, and joins them.
//!
//! - [`app`] builds the whole router from a [`config::Config`] (which comes
//!   from the settings): `main` serves it, tests serve it in-process.
//! - [`routes`] holds the handlers, which share [`state`]; [`openapi`]
//!   documents them.
//! - [`query`] is each public query parsed once into a domain value;
//!   [`plan`] the plan of a search (which service, in which order, pages
//!   joined with names); [`sort`] the orders a search can come in;
//!   [`paging`] the cursors and `Link`s; [`answer`] the public item shape
//!   and its writer; [`calendar`] a search as an `.ics`; [`counts`] a
//!   search counted.
//! - [`freshness`] tags answers ([`tag`], `ETag`, `304`) and serves them through
//!   [`answer_cache`] (answers already made, in each coding); [`context`] is what a
//!   request carries to its calls; [`clients`] calls the services,
//!   resiliently, and knows their data versions.
//! - [`feed`] merges the services' change logs into the public change
//!   feed, page by page; [`follower`] follows the concerts' log so that a
//!   kept answer changes only when its [`scopes`] (bands, places) do, and
//!   [`record_logs`] the bands' and venues' so that names kept change at
//!   once; with NATS, they follow its stream instead ([`events`]).
//! - [`writes`] is what every write shares (who writes, the service's answer
//!   relayed, the versions asked again after it); [`orchestrator`] makes a
//!   concert with its new band and venue, all or nothing.
//! - [`rate_limits`] holds each client to its share; [`security_headers`]
//!   tells browsers what each answer may do.
//!
//! Dependencies point one way: `app` → `openapi` → `routes` → `answer`,
//! `state` → `plan`, `config` → `query`, `clients` → `paging`, `freshness`,
//! `context`.

pub mod answer;
pub mod answer_cache;
pub mod app;
pub mod calendar;
pub mod clients;
pub mod config;
pub mod context;
pub mod counts;
pub mod events;
pub mod feed;
pub mod follower;
pub mod freshness;
pub mod fuzzing;
pub mod openapi;
pub mod orchestrator;
pub mod paging;
pub mod plan;
pub mod query;
pub mod rate_limits;
pub mod record_logs;
pub mod routes;
pub mod scopes;
pub mod security_headers;
pub mod sort;
pub mod state;
pub mod tag;
pub mod writes;
