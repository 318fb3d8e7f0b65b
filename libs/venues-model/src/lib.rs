//! A venue, and the geo query the venues service answers.

use geo::{Distance, HaversineMeasure, Point};
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

impl WithinRadius {
    /// Whether the point (latitude, longitude) is in the circle, its edge included.
    pub fn contains(&self, point: (f64, f64)) -> bool {
        is_within((self.latitude, self.longitude), point, self.radius)
    }
}

/// The sphere of the product's distances, in kilometres: the contract is
/// MongoDB's `$centerSphere` (great-circle distance on a sphere of radius
/// 6378.1 km, and a venue exactly at `radius` is inside).
pub const EARTH_RADIUS_KM: f64 = 6378.1;

const SPHERE: HaversineMeasure = HaversineMeasure::new(EARTH_RADIUS_KM);

/// Room for floating-point error, so that "exactly at the radius" stays inside: 1 mm.
pub const TOLERANCE_KM: f64 = 1e-6;

/// Great-circle distance in km between two (latitude, longitude) points in degrees.
// Inlined into the venues service's radius scan, which calls it for every venue of the box.
#[inline]
pub fn distance_km(from: (f64, f64), to: (f64, f64)) -> f64 {
    SPHERE.distance(Point::new(from.1, from.0), Point::new(to.1, to.0))
}

/// Whether `point` lies within `radius_km` of `centre`, boundary included.
#[inline]
pub fn is_within(centre: (f64, f64), point: (f64, f64), radius_km: f64) -> bool {
    distance_km(centre, point) <= radius_km + TOLERANCE_KM
}
