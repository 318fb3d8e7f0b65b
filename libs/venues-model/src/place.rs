//! The city of a venue as its name says it: "Venue, City, Country" or
//! "Venue, City, State, Country" (the exercise's data).

use serde::{Deserialize, Serialize};

/// Where a venue is: its city, the state or province when the name gives
/// one, and its country.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Place {
    pub city: String,
    pub region: Option<String>,
    pub country: String,
}

impl Place {
    /// The place a venue's name ends with, `None` when the name has fewer
    /// than three parts. The part before the country is a state when it is a
    /// short code in capitals ("NV", "NSW"): "Paris Las Vegas, Las Vegas, NV,
    /// US" is in Las Vegas; otherwise it is the city, so that "The Windmill,
    /// Brixton, London, UK" is in London.
    pub fn from_name(name: &str) -> Option<Self> {
        let parts: Vec<&str> = name.split(',').map(str::trim).filter(|part| !part.is_empty()).collect();
        let (city, region, country) = match parts[..] {
            [_, .., city, region, country] if parts.len() >= 4 && is_region_code(region) => {
                (city, Some(region), country)
            }
            [_, .., city, country] => (city, None, country),
            _ => return None,
        };
        Some(Self { city: city.to_owned(), region: region.map(str::to_owned), country: country.to_owned() })
    }

    /// "Paris, France", "Las Vegas, NV, US".
    pub fn label(&self) -> String {
        match &self.region {
            Some(region) => format!("{}, {region}, {}", self.city, self.country),
            None => format!("{}, {}", self.city, self.country),
        }
    }
}

/// "NV", "NSW", "ON": two or three capital letters.
fn is_region_code(part: &str) -> bool {
    (2..=3).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(city: &str, region: Option<&str>, country: &str) -> Option<Place> {
        Some(Place { city: city.into(), region: region.map(Into::into), country: country.into() })
    }

    #[test]
    fn venue_city_country() {
        assert_eq!(Place::from_name("Le Batofar, Paris, France"), place("Paris", None, "France"));
        assert_eq!(Place::from_name("Electric Ballroom, London, UK"), place("London", None, "UK"));
        assert_eq!(Place::from_name("  Zénith ,  Paris ,France "), place("Paris", None, "France"));
    }

    #[test]
    fn venue_city_state_country() {
        assert_eq!(Place::from_name("Paris Las Vegas, Las Vegas, NV, US"), place("Las Vegas", Some("NV"), "US"));
        assert_eq!(
            Place::from_name("Qudos Bank Arena, Sydney, NSW, Australia"),
            place("Sydney", Some("NSW"), "Australia")
        );
        assert_eq!(Place::from_name("Sound Academy, Toronto, ON, Canada"), place("Toronto", Some("ON"), "Canada"));
    }

    #[test]
    fn a_name_with_commas_of_its_own() {
        assert_eq!(Place::from_name("The Windmill, Brixton, London, UK"), place("London", None, "UK"));
        assert_eq!(
            Place::from_name("Rough Trade, Records, New York, NY, US"),
            place("New York", Some("NY"), "US"),
            "a venue name with a comma, then city, state, country"
        );
    }

    #[test]
    fn too_short_to_tell() {
        assert_eq!(Place::from_name("Le Batofar"), None);
        assert_eq!(Place::from_name("Le Batofar, Paris"), None);
        assert_eq!(Place::from_name(", , France"), None);
        assert_eq!(Place::from_name(""), None);
    }

    #[test]
    fn labels_name_the_state_when_there_is_one() {
        assert_eq!(place("Paris", None, "France").unwrap().label(), "Paris, France");
        assert_eq!(place("Las Vegas", Some("NV"), "US").unwrap().label(), "Las Vegas, NV, US");
    }
}
