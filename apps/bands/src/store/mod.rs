//! Where bands are kept: SQLite by default, MongoDB when configured. Routes
//! see only this trait, so the backend changes nothing above it.

pub mod mongo;
mod sqlite;

pub use mongo::MongoBandStore;
pub use sqlite::SqliteBandStore;

use bands_model::Band;
use bootstrap::NamedRecordStore;

/// Bands by ids and by name, imports (upsert by id), emptiness and the
/// data's version: what every store of named records does
/// ([`NamedRecordStore`]), and nothing more.
pub trait BandStore: NamedRecordStore<Band> {}
