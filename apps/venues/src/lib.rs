//! The venues service: the only owner of the venues database. It answers
//! lookups by batches of ids and geo queries (great circle, radius in km), and
//! takes imports.

pub mod geo;
pub mod routes;
pub mod store;
