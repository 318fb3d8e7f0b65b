//! Where concerts are kept: SQLite by default, MongoDB when configured. Routes
//! see only these traits, so the backend changes nothing above them.

pub mod mongo;
mod sqlite;

pub use mongo::MongoConcertStore;
pub use sqlite::SqliteConcertStore;

use async_trait::async_trait;
use bootstrap::RecordStore;
use concerts_model::{Concert, ConcertFilter};
use exceptions::StoreError;

/// Concert search and bulk loads; imports (a concert already stored is kept
/// once) and emptiness come from [`RecordStore`].
#[async_trait]
pub trait ConcertStore: RecordStore<Concert> {
    /// The concerts `filter` matches, ready to be read page by page: what a
    /// search needs from its filter is worked out once, whatever the number
    /// of pages.
    fn search(&self, filter: ConcertFilter) -> Box<dyn ConcertPages>;

    /// Sets `concerts` aside for [`Self::commit_staged`], for a bulk load:
    /// durable, but not seen by searches before the commit. By default (a
    /// store with no cheaper way) they are simply imported.
    async fn stage(&self, concerts: Vec<Concert>) -> Result<usize, StoreError> {
        self.upsert(concerts).await
    }

    /// Takes in every concert staged so far, each once, and returns how many
    /// were new. By default nothing was set aside, so nothing is new.
    async fn commit_staged(&self) -> Result<u64, StoreError> {
        Ok(0)
    }
}

/// The pages of one search.
#[async_trait]
pub trait ConcertPages: Send + Sync {
    /// At most `limit` concerts, those right after `after` (from the newest
    /// when `None`), in list order: date, then band id, then venue id, all
    /// descending (a total order, the three being the identity).
    async fn page(&self, after: Option<Concert>, limit: usize) -> Result<Vec<Concert>, StoreError>;
}
