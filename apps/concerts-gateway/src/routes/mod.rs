//! The gateway's handlers, one module per route. They depend on the query
//! plan ([`crate::search`]) and the clients, never on the OpenAPI document,
//! which is built from them ([`crate::openapi`]).

pub mod concerts;
pub mod names;
pub mod page;
pub mod probes;
