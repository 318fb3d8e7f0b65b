//! The IANA time zone of a position, from the zone boundaries built into the
//! binary (`tzf-rs`): a venue's local time needs no service of its own.

use std::sync::LazyLock;

use venues_model::{Tz, Venue};

// Loading the boundaries takes about 70 ms: once per process, on first use
// (`warm_up` at start, so that no request pays it).
static FINDER: LazyLock<tzf_rs::DefaultFinder> = LazyLock::new(tzf_rs::DefaultFinder::new);

/// Loads the zone boundaries now.
pub fn warm_up() {
    LazyLock::force(&FINDER);
}

/// The zone at (latitude, longitude); `None` where the boundaries name none
/// that chrono-tz knows (never seen on land or sea, but the data could change).
pub fn zone_at(latitude: f64, longitude: f64) -> Option<Tz> {
    // tzf-rs takes the longitude first.
    FINDER.get_tz_name(longitude, latitude).parse().ok()
}

/// The venue as the store keeps it: its place read from its name where none
/// was given, its time zone the one of its position (whatever was given).
pub fn located(venue: Venue) -> Venue {
    let time_zone = zone_at(venue.latitude, venue.longitude);
    Venue { time_zone, ..venue.placed() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_on_every_continent() {
        // Expected names written by hand from the IANA database, not from the finder.
        let cases = [
            ((48.8566, 2.3522), "Europe/Paris"),
            ((35.6762, 139.6503), "Asia/Tokyo"),
            ((-33.8688, 151.2093), "Australia/Sydney"),
            ((40.7128, -74.0060), "America/New_York"),
            ((34.0522, -118.2437), "America/Los_Angeles"),
            ((-23.5505, -46.6333), "America/Sao_Paulo"),
            ((-26.2041, 28.0473), "Africa/Johannesburg"),
            ((19.0760, 72.8777), "Asia/Kolkata"),
            ((64.1466, -21.9426), "Atlantic/Reykjavik"),
            ((-36.8485, 174.7633), "Pacific/Auckland"),
            ((19.4326, -99.1332), "America/Mexico_City"),
            ((30.0444, 31.2357), "Africa/Cairo"),
        ];
        for ((latitude, longitude), expected) in cases {
            assert_eq!(zone_at(latitude, longitude).map(|zone| zone.name()), Some(expected), "{latitude}, {longitude}");
        }
    }

    #[test]
    fn a_located_venue_has_its_city_from_its_name_and_its_zone_from_its_position() {
        let venue = located(Venue::new(1, "Paris Las Vegas, Las Vegas, NV, US", 36.1125, -115.1707));
        assert_eq!(
            (venue.city.as_deref(), venue.region.as_deref(), venue.country.as_deref()),
            (Some("Las Vegas"), Some("NV"), Some("US"))
        );
        assert_eq!(venue.time_zone, Some(Tz::America__Los_Angeles));
        let given = Venue {
            city: Some("Brooklyn".into()),
            time_zone: Some(Tz::Asia__Tokyo),
            ..Venue::new(2, "Paris Las Vegas, Las Vegas, NV, US", 36.1125, -115.1707)
        };
        let kept = located(given);
        assert_eq!(
            (kept.city.as_deref(), kept.country.as_deref()),
            (Some("Brooklyn"), Some("US")),
            "a given city is kept, the country read from the name"
        );
        assert_eq!(kept.time_zone, Some(Tz::America__Los_Angeles), "the zone is the position's");
    }
}
