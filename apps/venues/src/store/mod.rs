//! Where venues are kept: SQLite by default, MongoDB when configured. Routes
//! see only this trait, so the backend changes nothing above it.

pub mod mongo;
mod positions;
mod sqlite;

pub use mongo::MongoVenueStore;
pub use sqlite::SqliteVenueStore;

use async_trait::async_trait;
use exceptions::StoreError;
use records::RecordStore;
use venues_model::{Venue, WithinRadius};

/// Venues by id and by distance; imports (upsert by id) and emptiness come
/// from [`RecordStore`].
#[async_trait]
pub trait VenueStore: RecordStore<Venue> {
    /// The venues among `ids` that exist, in ascending id order.
    async fn by_ids(&self, ids: &[i64]) -> Result<Vec<Venue>, StoreError>;

    /// At most `limit` venues whose name (which holds the city: "Le Batofar,
    /// Paris, France") matches `text` whatever the case, accents and
    /// punctuation, best first (see `names::Tier`). Read from an index.
    async fn named(&self, text: &str, limit: usize) -> Result<Vec<Venue>, StoreError>;

    /// The venues at most `radius` km (great circle) from the centre, boundary
    /// included, in ascending id order.
    async fn within_radius(&self, query: WithinRadius) -> Result<Vec<Venue>, StoreError>;

    /// The ids of [`Self::within_radius`], without reading the rest of each venue.
    async fn ids_within_radius(&self, query: WithinRadius) -> Result<Vec<i64>, StoreError> {
        Ok(self.within_radius(query).await?.iter().map(|venue| venue.id).collect())
    }
}
