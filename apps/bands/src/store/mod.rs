//! Where bands are kept: SQLite by default, MongoDB when configured. Routes
//! see only this trait, so the backend changes nothing above it.

pub mod mongo;
mod sqlite;

pub use mongo::MongoBandStore;
pub use sqlite::SqliteBandStore;

use bands_model::{Band, NewBand};
use bootstrap::NamedRecordStore;
use bootstrap::changes::ChangeLog;
use bootstrap::edits::EditableStore;

/// Bands by ids and by name, imports (upsert by id), emptiness and the
/// data's version, writes one at a time: what every store of named records
/// does ([`NamedRecordStore`], [`EditableStore`]), and nothing more.
pub trait BandStore: NamedRecordStore<Band> + EditableStore<Band, NewBand> + ChangeLog {}
