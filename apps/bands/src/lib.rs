//! The bands service: the only owner of the bands database. It answers
//! lookups by batches of ids and searches by name (as people type it), says
//! its data's version (`/version`, which the gateway tags answers with), and
//! takes imports.

pub mod routes;
pub mod store;
