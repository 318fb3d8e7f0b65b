//! The concerts service: the only owner of the concerts database. It finds
//! concerts by bands and/or venues, newest first, and takes imports; it
//! follows the bands' and venues' logs to delete the concerts of what goes
//! ([`references`]).

pub mod references;
pub mod routes;
pub mod store;
