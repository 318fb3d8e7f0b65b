//! A venue, and the geo query the venues service answers.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// JSON Schema of one venue record, as imported (`PUT /venues`) and as in `venues.json`.
pub const VENUE_SCHEMA: &str = include_str!("../schemas/venue.schema.json");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Venue {
    pub id: i64,
    /// "Venue, City, [State,] Country".
    pub name: String,
    pub latitude: f64,
    pub longitude: f64,
}

/// `GET /venues/within`: the venues whose great-circle distance to the centre is
/// at most `radius` kilometres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WithinRadius {
    pub latitude: f64,
    pub longitude: f64,
    pub radius: f64,
}
