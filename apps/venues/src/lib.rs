//! The venues service: the only owner of the venues database. It answers
//! lookups by batches of ids, searches by name (which holds the city), the
//! venues within a circle (great circle, radius in km, as ids: what a concert
//! search needs), says its data's version (`/version`), and takes imports.

pub mod cities;
pub mod geo;
pub mod routes;
pub mod store;
pub mod zones;
