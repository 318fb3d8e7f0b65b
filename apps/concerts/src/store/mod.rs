//! Where concerts are kept: SQLite by default, MongoDB when configured. Routes
//! see only this trait, so the backend changes nothing above it.

mod merge;
mod mongo;
mod scan;
mod sqlite;

pub use mongo::MongoConcertStore;
pub use sqlite::SqliteConcertStore;

use async_trait::async_trait;
use concerts_model::{Concert, ConcertSearch};
use exceptions::StoreError;
use records::RecordStore;

/// Concert search; imports (a concert already stored is kept once) and
/// emptiness come from [`RecordStore`].
#[async_trait]
pub trait ConcertStore: RecordStore<Concert> {
    /// One page of the concerts matching `search`: at most `search.limit`,
    /// those right after `search.after`, in list order (date, then band id,
    /// then venue id, all descending: a total order, the three being the identity).
    async fn search(&self, search: ConcertSearch) -> Result<Vec<Concert>, StoreError>;
}
