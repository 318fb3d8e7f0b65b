//! The bands service: the only owner of the bands database. It answers
//! lookups by batches of ids and takes imports.

pub mod routes;
pub mod store;
