//! Where venues are kept: SQLite by default, MongoDB when configured. Routes
//! see only this trait, so the backend changes nothing above it.

pub mod mongo;
mod positions;
mod sqlite;

pub use mongo::MongoVenueStore;
pub use sqlite::SqliteVenueStore;

use async_trait::async_trait;
use bootstrap::NamedRecordStore;
use bootstrap::changes::ChangeLog;
use bootstrap::edits::EditableStore;
use exceptions::StoreError;
use venues_model::{NewVenue, PlaceSuggestion, Venue, WithinRadius};

/// Every venue written is [`crate::zones::located`] first: its place read
/// from its name when none is given, its time zone from its position.
///
/// Venues by distance; cities by name; by ids and by name (which holds the city: "Le
/// Batofar, Paris, France"), imports (upsert by id), emptiness and the
/// data's version as every store of named records ([`NamedRecordStore`]),
/// and written one at a time ([`EditableStore`]).
#[async_trait]
pub trait VenueStore: NamedRecordStore<Venue> + EditableStore<Venue, NewVenue> + ChangeLog {
    /// The venues at most `radius` km (great circle) from the centre,
    /// boundary included, each with its distance, by ascending id.
    async fn within_radius(&self, query: WithinRadius) -> Result<Vec<Nearby>, StoreError>;

    /// At most `limit` cities with a word of their label starting with
    /// `text` (folded as names are), best first, each with its venues'
    /// count and the circle that holds them: from an index kept with the
    /// writes, never every venue.
    async fn cities(&self, text: &str, limit: usize) -> Result<Vec<PlaceSuggestion>, StoreError>;
}

/// A venue in a circle, and how far from its centre.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nearby {
    pub id: i64,
    pub km: f64,
}

impl Nearby {
    /// The venue `id` at `place`, if it is within `radius` km of `centre`
    /// (boundary included: the same test on both backends).
    pub fn within(centre: (f64, f64), radius: f64, id: i64, place: (f64, f64)) -> Option<Self> {
        let km = venues_model::distance_km(centre, place);
        (km <= radius + venues_model::TOLERANCE_KM).then_some(Self { id, km })
    }
}
