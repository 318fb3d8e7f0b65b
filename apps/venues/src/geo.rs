//! Distances on the product's sphere, and the boxes that pre-filter a radius query.
//!
//! The contract is MongoDB's `$centerSphere`: great-circle distance on a sphere
//! of radius 6378.1 km, and a venue exactly at `radius` is inside.

// The sphere and the distance on it are the venues model's: the gateway's
// change feed tells venues in a circle by the same rule.
pub use venues_model::{EARTH_RADIUS_KM, TOLERANCE_KM, distance_km, is_within};

/// The angle in radians (MongoDB's `$centerSphere` radius) of the spherical cap
/// that holds every point [`is_within`] accepts: the radius with the same
/// tolerance, at most π (a cap of π is the whole sphere; larger is meaningless).
pub fn cap_angle(radius_km: f64) -> f64 {
    ((radius_km + TOLERANCE_KM) / EARTH_RADIUS_KM).min(std::f64::consts::PI)
}

/// A latitude/longitude rectangle in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    pub min_lat: f64,
    pub max_lat: f64,
    pub min_lon: f64,
    pub max_lon: f64,
}

/// Rectangles that together contain every point within `radius_km` of
/// `centre`: one, or two when the circle crosses the antimeridian. They may
/// hold more than the circle; the exact test is [`is_within`].
pub fn bounding_boxes(centre: (f64, f64), radius_km: f64) -> Vec<BoundingBox> {
    const MARGIN_DEG: f64 = 1e-6;
    let (lat, lon) = centre;
    let angle = radius_km / EARTH_RADIUS_KM; // radians
    let whole_world = BoundingBox { min_lat: -90.0, max_lat: 90.0, min_lon: -180.0, max_lon: 180.0 };
    if angle >= std::f64::consts::PI {
        return vec![whole_world];
    }
    let angle_deg = angle.to_degrees() + MARGIN_DEG;
    let min_lat = (lat - angle_deg).max(-90.0);
    let max_lat = (lat + angle_deg).min(90.0);
    // A circle that reaches a pole spans every longitude.
    let reaches_pole = lat + angle_deg >= 90.0 || lat - angle_deg <= -90.0;
    let spread = angle.sin() / lat.to_radians().cos();
    if reaches_pole || spread >= 1.0 {
        return vec![BoundingBox { min_lat, max_lat, ..whole_world }];
    }
    let half_width = spread.asin().to_degrees() + MARGIN_DEG;
    let (west, east) = (lon - half_width, lon + half_width);
    let boxed = |min_lon: f64, max_lon: f64| BoundingBox { min_lat, max_lat, min_lon, max_lon };
    if west < -180.0 {
        vec![boxed(west + 360.0, 180.0), boxed(-180.0, east)]
    } else if east > 180.0 {
        vec![boxed(west, 180.0), boxed(-180.0, east - 360.0)]
    } else {
        vec![boxed(west, east)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARIS: (f64, f64) = (48.857931, 2.350144);
    const LONDON: (f64, f64) = (51.5073509, -0.1277583);

    fn inside_any(boxes: &[BoundingBox], (lat, lon): (f64, f64)) -> bool {
        boxes.iter().any(|b| b.min_lat <= lat && lat <= b.max_lat && b.min_lon <= lon && lon <= b.max_lon)
    }

    #[test]
    fn distance_matches_known_values() {
        // Paris–London, by an independent haversine on the 6378.1 km sphere: 343.729 km.
        let d = distance_km(PARIS, LONDON);
        assert!((d - 343.729).abs() < 0.001, "{d}");
        // A quarter of a meridian is a quarter of the circumference.
        let quarter = distance_km((0.0, 0.0), (90.0, 0.0));
        assert!((quarter - EARTH_RADIUS_KM * std::f64::consts::FRAC_PI_2).abs() < 1e-6, "{quarter}");
        // One degree of longitude on the equator.
        let degree = distance_km((0.0, 179.5), (0.0, -179.5));
        assert!((degree - EARTH_RADIUS_KM.to_radians()).abs() < 1e-6, "{degree}");
        assert_eq!(distance_km(PARIS, PARIS), 0.0);
    }

    #[test]
    fn the_boundary_is_inside() {
        let d = distance_km(PARIS, LONDON);
        assert!(is_within(PARIS, LONDON, d));
        assert!(!is_within(PARIS, LONDON, d - 0.001));
        assert!(is_within(PARIS, PARIS, 0.0));
        assert!(!is_within(PARIS, (48.857931, 2.3502), 0.0));
    }

    #[test]
    fn the_cap_holds_the_boundary_and_stops_at_the_whole_sphere() {
        let d = distance_km(PARIS, LONDON);
        assert!(cap_angle(d) * EARTH_RADIUS_KM >= d);
        assert!(cap_angle(0.0) > 0.0, "radius 0 still holds the centre itself");
        assert_eq!(cap_angle(30_000.0), std::f64::consts::PI);
    }

    #[test]
    fn boxes_contain_the_circle() {
        // Points on the circle's rim in many directions must be inside the boxes.
        let cases = [
            (PARIS, 20.0),
            ((0.0, 179.9), 50.0),
            ((-33.9, -179.95), 500.0),
            ((89.0, 10.0), 300.0),
            ((60.0, 0.0), 3000.0),
        ];
        for (centre, radius) in cases {
            let boxes = bounding_boxes(centre, radius);
            let angle = radius / EARTH_RADIUS_KM;
            for step in 0..360 {
                let bearing = f64::from(step).to_radians();
                let (lat1, lon1) = (centre.0.to_radians(), centre.1.to_radians());
                let lat2 = (lat1.sin() * angle.cos() + lat1.cos() * angle.sin() * bearing.cos()).asin();
                let lon2 =
                    lon1 + (bearing.sin() * angle.sin() * lat1.cos()).atan2(angle.cos() - lat1.sin() * lat2.sin());
                let mut lon2 = lon2.to_degrees();
                if lon2 > 180.0 {
                    lon2 -= 360.0;
                } else if lon2 < -180.0 {
                    lon2 += 360.0;
                }
                let rim = (lat2.to_degrees(), lon2);
                assert!(inside_any(&boxes, rim), "{centre:?} r={radius}: rim point {rim:?} outside {boxes:?}");
            }
        }
    }

    #[test]
    fn boxes_split_at_the_antimeridian_and_open_at_the_poles() {
        assert_eq!(bounding_boxes((0.0, 179.9), 50.0).len(), 2);
        assert_eq!(bounding_boxes(PARIS, 20.0).len(), 1);
        let polar = bounding_boxes((89.5, 0.0), 100.0);
        assert_eq!((polar[0].min_lon, polar[0].max_lon, polar[0].max_lat), (-180.0, 180.0, 90.0));
        assert_eq!(bounding_boxes(PARIS, 30_000.0)[0].min_lat, -90.0);
    }
}
