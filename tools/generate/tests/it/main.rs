//! The generated files: reproducible to the byte, in the exercise's format,
//! and consistent (the seed tool's tests import one into the real services).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use generate::{END_DATE, FIRST_DATE, Sizes, generate};
use serde_json::Value;

const TINY: Sizes = Sizes { bands: 300, venues: 40, concerts: 3000 };

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn records(dir: &Path, file: &str) -> Vec<Value> {
    serde_json::from_slice(&read(dir, file)).unwrap_or_else(|e| panic!("{file} is a JSON array: {e}"))
}

#[test]
fn the_same_seed_and_sizes_give_the_same_bytes() {
    let (first, second, other) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    generate(first.path(), TINY, 7).unwrap();
    generate(second.path(), TINY, 7).unwrap();
    generate(other.path(), TINY, 8).unwrap();
    for file in ["bands.json", "venues.json", "concerts.json"] {
        assert_eq!(read(first.path(), file), read(second.path(), file), "{file} differs for the same seed");
        assert_ne!(read(first.path(), file), read(other.path(), file), "{file} ignores the seed");
    }
    assert!(!first.path().join("concerts.json.partial").exists(), "no temporary file is left");
}

#[test]
fn a_generated_set_is_consistent_and_shaped_like_real_data() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), TINY, 42).unwrap();
    let bands = records(dir.path(), "bands.json");
    let venues = records(dir.path(), "venues.json");
    let concerts = records(dir.path(), "concerts.json");
    assert_eq!((bands.len(), venues.len(), concerts.len()), (300, 40, 3000));

    let names: HashSet<&str> = bands.iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), bands.len(), "band names are unique");
    for venue in &venues {
        let name = venue["name"].as_str().unwrap();
        assert!(name.starts_with(&format!("Venue {}, ", venue["id"])), "{name}");
        assert!(name.matches(", ").count() >= 2, "Venue N, City, Country: {name}");
    }

    let mut per_band: HashMap<i64, usize> = HashMap::new();
    let mut previous_date = i64::MIN;
    for concert in &concerts {
        let band = concert["bandId"].as_i64().unwrap();
        let venue = concert["venueId"].as_i64().unwrap();
        let date = concert["date"].as_i64().unwrap();
        assert!((1..=300).contains(&band) && (1..=40).contains(&venue), "{concert}");
        assert!((FIRST_DATE..END_DATE).contains(&date), "{concert}");
        assert!(date > previous_date, "dates strictly increase, so identities are unique");
        previous_date = date;
        *per_band.entry(band).or_default() += 1;
    }
    // Skewed popularity: the busiest band plays far more than the median one.
    let mut counts: Vec<usize> = per_band.into_values().collect();
    counts.sort_unstable();
    let (median, busiest) = (counts[counts.len() / 2], counts[counts.len() - 1]);
    assert!(busiest >= 8 * median, "busiest {busiest}, median {median}");
}
