//! A venue, and the geo query the venues service answers.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// JSON Schema of one venue record, as imported (`PUT /venues`) and as in `venues.json`.
pub const VENUE_SCHEMA: &str = include_str!("../schemas/venue.schema.json");
/// JSON Schema of a venue to add (`POST /venues`).
pub const VENUE_DRAFT_SCHEMA: &str = include_str!("../schemas/venue-draft.schema.json");
/// JSON Schema of a merge patch of a venue (`PATCH /venues/{id}`).
pub const VENUE_PATCH_SCHEMA: &str = include_str!("../schemas/venue-patch.schema.json");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Venue {
    pub id: i64,
    /// "Venue, City, [State,] Country".
    pub name: String,
    pub latitude: f64,
    pub longitude: f64,
}

/// A venue to add: the venues service gives it its id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NewVenue {
    pub name: String,
    pub latitude: f64,
    pub longitude: f64,
}

impl NewVenue {
    pub fn with_id(self, id: i64) -> Venue {
        Venue { id, name: self.name, latitude: self.latitude, longitude: self.longitude }
    }
}

/// `GET /venues/within`: the venues whose great-circle distance to the centre is
/// at most `radius` kilometres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WithinRadius {
    pub latitude: f64,
    pub longitude: f64,
    pub radius: f64,
}
