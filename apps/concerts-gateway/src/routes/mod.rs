//! The gateway's handlers, one module per route. They read as straight
//! lines: the extractors hand them the validated query (`Validated`), the
//! request's context (`RequestContext`) and what the client holds
//! (`Conditional`); the plan and the clients do the work. The OpenAPI
//! document is built from them ([`crate::openapi`]), never the other way.

pub mod changes;
pub mod concert_records;
pub mod concerts;
pub mod counts;
pub mod page;
pub mod probes;
pub mod record_id;
pub mod records;
pub mod suggestions;
