//! Where bands are kept: SQLite by default, MongoDB when configured. Routes
//! see only this trait, so the backend changes nothing above it.

pub mod mongo;
mod sqlite;

pub use mongo::MongoBandStore;
pub use sqlite::SqliteBandStore;

use async_trait::async_trait;
use bands_model::Band;
use exceptions::StoreError;
use records::RecordStore;

/// Bands by id; imports (upsert by id) and emptiness come from [`RecordStore`].
#[async_trait]
pub trait BandStore: RecordStore<Band> {
    /// The bands among `ids` that exist, in ascending id order.
    async fn by_ids(&self, ids: &[i64]) -> Result<Vec<Band>, StoreError>;

    /// At most `limit` bands whose name matches `text` whatever the case,
    /// accents and punctuation, best first (see `names::Tier`): the whole
    /// name, its start, a later word's start, inside a word. Read from an
    /// index: never every band.
    async fn named(&self, text: &str, limit: usize) -> Result<Vec<Band>, StoreError>;
}
