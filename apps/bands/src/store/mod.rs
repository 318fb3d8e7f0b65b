//! Where bands are kept. Routes see only this trait, so that another backend
//! slots in beside SQLite without touching them.

mod sqlite;

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
}
