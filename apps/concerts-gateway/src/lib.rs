//! The concerts gateway: the public HTTP API. It validates each request
//! against one JSON Schema, asks the bands, venues and concerts services for
//! just the records the answer needs, and joins them.

pub mod answer;
pub mod clients;
pub mod config;
pub mod openapi;
pub mod paging;
pub mod query;
pub mod routes;
pub mod search;
