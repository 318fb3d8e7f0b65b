//! A venue, where it is (its city, its time zone), and the geo query the
//! venues service answers.

use geo::{Distance, HaversineMeasure, Point};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use chrono_tz::Tz;

mod place;

pub use place::Place;

/// JSON Schema of one venue record, as imported (`PUT /venues`) and as in `venues.json`.
pub const VENUE_SCHEMA: &str = include_str!("../schemas/venue.schema.json");
/// JSON Schema of a venue to add (`POST /venues`).
pub const VENUE_DRAFT_SCHEMA: &str = include_str!("../schemas/venue-draft.schema.json");
/// JSON Schema of a merge patch of a venue (`PATCH /venues/{id}`).
pub const VENUE_PATCH_SCHEMA: &str = include_str!("../schemas/venue-patch.schema.json");

/// A venue. Its city, region and country are given by a write or, when it
/// gives no city, read from the name; its time zone is always the one of its
/// position (the venues service sets both).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "id": 14, "name": "Le Batofar, Paris, France", "latitude": 48.83335, "longitude": 2.3793886,
    "city": "Paris", "country": "France", "timeZone": "Europe/Paris"
}))]
pub struct Venue {
    pub id: i64,
    /// "Venue, City, [State,] Country".
    pub name: String,
    pub latitude: f64,
    pub longitude: f64,
    /// The city ("Paris"); absent when neither given nor in the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// The state or province, where the name gives one ("NV" in "Paris Las Vegas, Las Vegas, NV, US").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The country as the name says it ("France", "US").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The IANA time zone of the venue's position ("Europe/Paris"), read-only.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "zone_or_none")]
    #[schema(value_type = Option<String>, example = "Europe/Paris")]
    pub time_zone: Option<Tz>,
}

/// A zone as given: the venues service sets every venue's zone from its
/// position, so a name it does not know is as good as none. Refusing it
/// answered a 400 naming no field (found by the `import` fuzz target's check).
fn zone_or_none<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Tz>, D::Error> {
    let name: Option<String> = Option::deserialize(deserializer)?;
    Ok(name.and_then(|name| name.parse().ok()))
}

impl Venue {
    /// A venue with nothing known of its place yet (an import of `venues.json`).
    pub fn new(id: i64, name: impl Into<String>, latitude: f64, longitude: f64) -> Self {
        Self { id, name: name.into(), latitude, longitude, city: None, region: None, country: None, time_zone: None }
    }

    /// The venue with its city, region and country read from its name where
    /// no city was given; with a city given, the name's country where none is
    /// (a country given is kept).
    pub fn placed(mut self) -> Self {
        let Some(place) = Place::from_name(&self.name) else { return self };
        if self.city.is_none() {
            self.city = Some(place.city);
            self.region = place.region;
        }
        self.country = self.country.or(Some(place.country));
        self
    }

    /// `after`, the venue as a patch left it, settled: a patch that renames
    /// a venue whose place was read from its name, and gives no place
    /// itself, moves the venue to the place of its new name (the store reads
    /// it again); a place given apart from the name stays.
    pub fn settled(&self, mut after: Venue) -> Venue {
        let place_kept = (&after.city, &after.region, &after.country) == (&self.city, &self.region, &self.country);
        let from_name = Place::from_name(&self.name).is_some_and(|place| self.place() == Some(place));
        if after.name != self.name && place_kept && from_name {
            (after.city, after.region, after.country) = (None, None, None);
        }
        after
    }

    /// The city, region and country the venue has, if it has a city.
    pub fn place(&self) -> Option<Place> {
        let city = self.city.clone()?;
        Some(Place { city, region: self.region.clone(), country: self.country.clone().unwrap_or_default() })
    }
}

/// A venue to add: the venues service gives it its id, its time zone and,
/// when no city is given, the city, region and country of its name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NewVenue {
    pub name: String,
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

impl NewVenue {
    /// A venue to add, its place read from its name.
    pub fn new(name: impl Into<String>, latitude: f64, longitude: f64) -> Self {
        Self { name: name.into(), latitude, longitude, city: None, region: None, country: None }
    }

    pub fn with_id(self, id: i64) -> Venue {
        Venue {
            id,
            name: self.name,
            latitude: self.latitude,
            longitude: self.longitude,
            city: self.city,
            region: self.region,
            country: self.country,
            time_zone: None,
        }
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

/// One suggestion of `GET /places`: a city (with the circle that holds its
/// venues) or a single venue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum PlaceSuggestion {
    /// A city: `label` "Paris, France", its venues' count, and a circle
    /// (centre, radius in km) that holds every one of them.
    #[serde(rename_all = "camelCase")]
    City {
        label: String,
        city: String,
        region: Option<String>,
        country: String,
        venues: usize,
        latitude: f64,
        longitude: f64,
        radius: f64,
    },
    /// A venue: its id, name (`label`) and position.
    #[serde(rename_all = "camelCase")]
    Venue { id: i64, label: String, latitude: f64, longitude: f64 },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zone_it_does_not_know_reads_as_none() {
        let venue = |zone: &str| {
            let json = format!(r#"{{"id":1,"name":"x","latitude":1,"longitude":2,"timeZone":"{zone}"}}"#);
            serde_json::from_str::<Venue>(&json).map(|venue| venue.time_zone)
        };
        assert_eq!(venue("Europe/Paris").ok(), Some(Some(chrono_tz::Europe::Paris)));
        assert_eq!(venue("Mars/Olympus").ok(), Some(None));
        let without: Venue = serde_json::from_str(r#"{"id":1,"name":"x","latitude":1,"longitude":2}"#).unwrap();
        assert_eq!(without.time_zone, None);
    }
}
