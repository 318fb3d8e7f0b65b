//! The concerts service: the only owner of the concerts database. It finds
//! concerts by bands and/or venues, newest first, and takes imports.

pub mod routes;
pub mod store;
