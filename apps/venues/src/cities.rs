//! The cities of the venues, in memory, for `GET /places`: each city with
//! its venues' count and a circle that holds them all, found by the start
//! of any word of its label as people type it.
//!
//! Cities are fewer than venues (10,000 venues at the exercise's largest
//! scale): all of them fit. The store builds the index when it opens and
//! keeps it in step with every write, so a suggestion reads only the cities
//! whose words start with the text, never every venue.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::RwLock;

use storage::name_match::{self, Tier};
use venues_model::{Place, PlaceSuggestion, Venue, distance_km};

/// How far past its farthest venue a city's circle reaches, in km: a venue
/// on the edge stays inside whatever the rounding, and a city of one venue
/// is a small circle around it rather than a point.
pub const RADIUS_MARGIN_KM: f64 = 2.0;

/// A city's identity: its label folded as names are (`paris france`,
/// `las vegas nv us`), so that "Paris, France" and "paris , FRANCE" are one city.
type CityKey = String;

/// The cities of the venues.
#[derive(Debug, Default)]
pub struct Cities {
    index: RwLock<Index>,
}

#[derive(Debug, Default)]
struct Index {
    /// The city each venue is counted in.
    venue_city: HashMap<i64, CityKey>,
    cities: HashMap<CityKey, City>,
    /// Each start of a word of a city's key, and the cities whose key has it.
    words: BTreeMap<String, BTreeSet<CityKey>>,
}

#[derive(Debug)]
struct City {
    place: Place,
    /// Its venues' positions (latitude, longitude).
    venues: HashMap<i64, (f64, f64)>,
    /// The centre and radius of its circle, kept with every change of its venues.
    circle: ((f64, f64), f64),
}

impl Cities {
    /// The cities of `venues`.
    pub fn new(venues: &[Venue]) -> Self {
        let cities = Self::default();
        cities.place(venues);
        cities
    }

    /// Takes in written venues: new ones, and new names, places and positions of known ones.
    pub fn place(&self, venues: &[Venue]) {
        let mut index = self.index.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut touched = BTreeSet::new();
        for venue in venues {
            touched.extend(index.take_out(venue.id));
            if let Some(place) = venue.place() {
                touched.insert(index.put(venue.id, place, (venue.latitude, venue.longitude)));
            }
        }
        index.settle(touched);
    }

    /// Forgets a deleted venue.
    pub fn remove(&self, id: i64) {
        let mut index = self.index.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        let touched = index.take_out(id);
        index.settle(touched.into_iter().collect());
    }

    /// At most `limit` cities whose label has a word starting with `text`,
    /// best first: by where the text stands ([`Tier`]), then the most venues, then by label.
    pub fn find(&self, text: &str, limit: usize) -> Vec<PlaceSuggestion> {
        let typed = name_match::fold(text);
        if typed.is_empty() || limit == 0 {
            return Vec::new();
        }
        let index = self.index.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let keys: BTreeSet<&CityKey> =
            index.words.range(typed.clone()..name_match::range_end(&typed)).flat_map(|(_, keys)| keys).collect();
        let mut found: Vec<(Tier, usize, &CityKey, &City)> = keys
            .into_iter()
            .filter_map(|key| {
                let city = index.cities.get(key)?;
                let tier = name_match::tier(key, &typed)?;
                Some((tier, usize::MAX - city.venues.len(), key, city))
            })
            .collect();
        found.sort_unstable_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
        found.into_iter().take(limit).map(|(_, _, _, city)| city.suggestion()).collect()
    }
}

impl Index {
    /// Takes venue `id` out of its city, if counted in one; that city.
    fn take_out(&mut self, id: i64) -> Option<CityKey> {
        let key = self.venue_city.remove(&id)?;
        if let Some(city) = self.cities.get_mut(&key) {
            city.venues.remove(&id);
        }
        Some(key)
    }

    /// Counts venue `id` in the city of `place`; that city.
    fn put(&mut self, id: i64, place: Place, position: (f64, f64)) -> CityKey {
        let key = name_match::fold(&place.label());
        let city = self.cities.entry(key.clone()).or_insert_with(|| City {
            place,
            venues: HashMap::new(),
            circle: ((0.0, 0.0), 0.0),
        });
        city.venues.insert(id, position);
        self.venue_city.insert(id, key.clone());
        key
    }

    /// The circles of the cities whose venues changed; the cities left without a venue forgotten.
    fn settle(&mut self, touched: BTreeSet<CityKey>) {
        for key in touched {
            match self.cities.get_mut(&key) {
                Some(city) if !city.venues.is_empty() => {
                    city.circle = circle(city.venues.values().copied());
                    for start in name_match::word_starts(&key) {
                        self.words.entry(start.to_owned()).or_default().insert(key.clone());
                    }
                }
                _ => {
                    self.cities.remove(&key);
                    for start in name_match::word_starts(&key) {
                        if let Some(keys) = self.words.get_mut(start) {
                            keys.remove(&key);
                            if keys.is_empty() {
                                self.words.remove(start);
                            }
                        }
                    }
                }
            }
        }
    }
}

impl City {
    fn suggestion(&self) -> PlaceSuggestion {
        let ((latitude, longitude), radius) = self.circle;
        PlaceSuggestion::City {
            label: self.place.label(),
            city: self.place.city.clone(),
            region: self.place.region.clone(),
            country: self.place.country.clone(),
            venues: self.venues.len(),
            latitude,
            longitude,
            radius,
        }
    }
}

/// The centre of the positions (their mean on the sphere, which holds
/// across the antimeridian) and the radius in km that holds them all, with
/// [`RADIUS_MARGIN_KM`] to spare, rounded up to 10 m.
fn circle(positions: impl Iterator<Item = (f64, f64)> + Clone) -> ((f64, f64), f64) {
    let (mut x, mut y, mut z) = (0.0, 0.0, 0.0);
    for (latitude, longitude) in positions.clone() {
        let (lat, lon) = (latitude.to_radians(), longitude.to_radians());
        x += lat.cos() * lon.cos();
        y += lat.cos() * lon.sin();
        z += lat.sin();
    }
    let centre = (z.atan2(x.hypot(y)).to_degrees(), y.atan2(x).to_degrees());
    let farthest = positions.map(|position| distance_km(centre, position)).fold(0.0, f64::max);
    let radius = ((farthest + RADIUS_MARGIN_KM) * 100.0).ceil() / 100.0;
    (centre, radius)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn venue(id: i64, name: &str, latitude: f64, longitude: f64) -> Venue {
        Venue::new(id, name, latitude, longitude).placed()
    }

    fn labels(found: &[PlaceSuggestion]) -> Vec<(String, usize)> {
        found
            .iter()
            .map(|suggestion| match suggestion {
                PlaceSuggestion::City { label, venues, .. } => (label.clone(), *venues),
                PlaceSuggestion::Venue { label, .. } => (label.clone(), 0),
            })
            .collect()
    }

    fn city_venues() -> Vec<Venue> {
        vec![
            venue(1, "Olympia, Paris, France", 48.8700, 2.3283),
            venue(2, "Zénith, Paris, France", 48.8939, 2.3930),
            venue(3, "Paris Las Vegas, Las Vegas, NV, US", 36.1125, -115.1707),
            venue(4, "Le Pré, Parisot, France", 44.26, 1.86),
            venue(5, "Bataclan, PARIS , France", 48.8631, 2.3708),
            venue(6, "Bar, Paris, TX, US", 33.66, -95.55),
            venue(7, "Le Batofar", 48.8333, 2.3794),
        ]
    }

    #[test]
    fn a_city_is_found_by_its_words_with_its_venues_counted() {
        let cities = Cities::new(&city_venues());
        assert_eq!(
            labels(&cities.find("paris", 10)),
            vec![("Paris, France".into(), 3), ("Paris, TX, US".into(), 1), ("Parisot, France".into(), 1)],
            "the whole word before a longer one, the bigger city first; Las Vegas is not named by 'paris'"
        );
        assert_eq!(labels(&cities.find("Las", 10)), vec![("Las Vegas, NV, US".into(), 1)]);
        assert_eq!(labels(&cities.find("fr", 1)), vec![("Paris, France".into(), 3)]);
        assert_eq!(cities.find("aris", 10), vec![], "inside a word is not a city's name");
        assert_eq!(cities.find(" ", 10), vec![]);
    }

    #[test]
    fn the_circle_holds_every_venue_of_the_city() {
        let venues = city_venues();
        let cities = Cities::new(&venues);
        let PlaceSuggestion::City { latitude, longitude, radius, .. } = cities.find("paris france", 1)[0].clone()
        else {
            panic!("a city")
        };
        for venue in venues.iter().filter(|v| [1, 2, 5].contains(&v.id)) {
            let d = distance_km((latitude, longitude), (venue.latitude, venue.longitude));
            assert!(d + RADIUS_MARGIN_KM <= radius + 1e-9, "{} at {d} km of the centre, radius {radius}", venue.name);
        }
        assert!(radius < 5.0 + RADIUS_MARGIN_KM, "a tight circle: {radius}");
    }

    #[test]
    fn moves_renames_and_deletions_keep_the_cities_in_step() {
        let cities = Cities::new(&city_venues());
        cities.place(&[venue(1, "Olympia, Lyon, France", 45.76, 4.83)]);
        assert_eq!(labels(&cities.find("paris france", 10)), vec![("Paris, France".into(), 2)]);
        assert_eq!(labels(&cities.find("lyon", 10)), vec![("Lyon, France".into(), 1)]);
        cities.remove(1);
        assert_eq!(cities.find("lyon", 10), vec![], "a city without venues is gone");
        cities.remove(42);
        cities.place(&[venue(3, "Paris Las Vegas, Las Vegas, NV, US", 36.2, -115.1707)]);
        let PlaceSuggestion::City { latitude, venues, .. } = cities.find("las vegas", 1)[0].clone() else { panic!() };
        assert_eq!((venues, (latitude * 10.0).round()), (1, 362.0), "moved, counted once");
    }

    #[test]
    fn a_city_across_the_antimeridian_is_centred_on_it() {
        let ((latitude, longitude), radius) = circle([(-16.5, 179.9), (-16.5, -179.9)].into_iter());
        assert!((latitude + 16.5).abs() < 1e-3 && longitude.abs() > 179.99, "{latitude}, {longitude}");
        assert!(radius < 20.0, "{radius}");
    }
}
