//! The concerts gateway: the public HTTP API. It validates each request
//! against one JSON Schema, asks the bands, venues and concerts services for
//! just the records the answer needs, and joins them.
//!
//! - [`app`] builds the whole router from a [`config::Config`] (which comes
//!   from the `settings` crate): `main` serves it, tests serve it in-process.
//! - [`routes`] holds the handlers; [`openapi`] documents them.
//! - [`query`] is the public query and its schema; [`search`] the query plan
//!   (which service, in which order); [`paging`] the cursors and `Link`s;
//!   [`answer`] writes the JSON.
//! - [`freshness`] tags answers (`ETag`, `304`); [`clients`] calls the
//!   services, resiliently, and knows their data versions.
//!
//! Dependencies point down this list: `app` → `routes`, `openapi` →
//! `search`, `paging`, `answer`, `query` → `clients`.

pub mod answer;
pub mod app;
pub mod clients;
pub mod config;
pub mod freshness;
pub mod openapi;
pub mod paging;
pub mod query;
pub mod routes;
pub mod search;
