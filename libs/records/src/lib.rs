//! What the three entity stores do alike with the records they own, whatever
//! their backend: take a bulk import and say whether they hold anything.
//!
//! Each service's store trait (`BandStore`, `VenueStore`, `ConcertStore`)
//! extends [`RecordStore`] for its record type; the import and readiness
//! routes that serve all three are in `bootstrap`.

use async_trait::async_trait;
use exceptions::StoreError;

/// The most records one import request may carry.
pub const MAX_IMPORT_BATCH: usize = 10_000;

#[async_trait]
pub trait RecordStore<T>: Send + Sync {
    /// Writes `records` by their identity (a record already there is replaced,
    /// or kept where the identity is all the record holds), all or nothing.
    /// Returns how many records were taken.
    async fn upsert(&self, records: Vec<T>) -> Result<usize, StoreError>;

    /// Whether the store holds no record at all (a fresh install).
    async fn is_empty(&self) -> Result<bool, StoreError>;

    /// A name of the data's current state: it changes whenever an import
    /// may have changed a record, so that clients can tell whether an answer
    /// they hold is still the answer.
    async fn data_version(&self) -> Result<String, StoreError>;
}
