//! A synthetic data set in the exercise's format, of any size, with a shape
//! close to real data:
//!
//! - venues clustered around real cities (a few km of scatter), more in the
//!   cities with a bigger music scene;
//! - band popularity skewed like Zipf's law: a few bands play thousands of
//!   concerts, most bands a handful;
//! - concert dates spread over 2008–2026, strictly increasing from one concert
//!   to the next, so that every (bandId, venueId, date) is unique by construction.
//!
//! The same seed and sizes give the same bytes: each file draws from its own
//! ChaCha8 stream (reproducible across platforms and rand versions), and float
//! maths goes through `libm` in rand_distr. Records are written one by one
//! through a buffer, so memory does not grow with the sizes.

mod cities;

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail, ensure};
use bands_model::Band;
use concerts_model::{NewConcert, Status};
use json_array::ArrayWriter;
use rand::distr::weighted::WeightedIndex;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Zipf};
use venues_model::Venue;

pub use cities::{CITIES, City};

/// Zipf exponent of band popularity. With 2M bands and 20M concerts the most
/// popular band plays about 24,000 concerts, the 100th about 1,500, the median
/// band about 6.
pub const BAND_SKEW: f64 = 0.6;
/// Venues lie at most this far from their city's centre.
pub const SCATTER_KM: f64 = 8.0;
/// 2008-01-01T00:00:00Z, in UNIX milliseconds.
pub const FIRST_DATE: i64 = 1_199_145_600_000;
/// 2027-01-01T00:00:00Z: every date lies before it.
pub const END_DATE: i64 = 1_798_761_600_000;
/// Sizes above this would make the rank-to-id shuffle repeat ids.
pub const MAX_BANDS: u64 = 1_000_000_000;

/// A prime above [`MAX_BANDS`]: multiplying by it modulo the band count visits
/// every id once, so the popular bands are spread over the id range.
const ID_STRIDE: u128 = 1_000_000_007;
const KM_PER_DEGREE: f64 = 6378.1 * std::f64::consts::PI / 180.0;

const ADJECTIVES: &[&str] = &[
    "Electric", "Silent", "Velvet", "Golden", "Broken", "Neon", "Wild", "Hollow", "Crimson", "Midnight", "Paper",
    "Atomic", "Lonely", "Glass", "Savage", "Lunar", "Rusty", "Frozen", "Burning", "Gentle", "Secret", "Northern",
    "Wicked", "Cosmic",
];
const NOUNS: &[&str] = &[
    "Owls",
    "Rivers",
    "Machines",
    "Wolves",
    "Satellites",
    "Tigers",
    "Ghosts",
    "Lanterns",
    "Hearts",
    "Pilots",
    "Mountains",
    "Strangers",
    "Foxes",
    "Engines",
    "Sparrows",
    "Kings",
    "Shadows",
    "Horses",
    "Waves",
    "Saints",
    "Comets",
    "Daughters",
    "Robots",
    "Echoes",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    pub bands: u64,
    pub venues: u64,
    pub concerts: u64,
}

/// Writes `bands.json`, `venues.json` and `concerts.json` into `out` (created
/// if missing). Each file is written under a temporary name and renamed when
/// complete, so an interrupted run never leaves a truncated file behind.
pub fn generate(out: &Path, sizes: Sizes, seed: u64) -> anyhow::Result<()> {
    ensure!(sizes.bands <= MAX_BANDS, "at most {MAX_BANDS} bands");
    if sizes.concerts > 0 && (sizes.bands == 0 || sizes.venues == 0) {
        bail!("concerts need at least one band and one venue");
    }
    ensure!(
        i64::try_from(sizes.concerts).is_ok_and(|n| n <= END_DATE - FIRST_DATE),
        "at most one concert per millisecond of 2008–2026"
    );
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    write_file(out, "bands.json", |writer| write_bands(writer, sizes.bands, rng(seed, 1)))?;
    write_file(out, "venues.json", |writer| write_venues(writer, sizes.venues, rng(seed, 2)))?;
    write_file(out, "concerts.json", |writer| write_concerts(writer, sizes, rng(seed, 3)))?;
    Ok(())
}

/// One independent, reproducible stream per file: changing one file's size
/// leaves the other files as they were.
fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

type Writer = ArrayWriter<BufWriter<File>>;

fn write_file(out: &Path, name: &str, write: impl FnOnce(&mut Writer) -> std::io::Result<()>) -> anyhow::Result<()> {
    let path = out.join(name);
    let partial = PathBuf::from(format!("{}.partial", path.display()));
    let file = File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    let mut writer = ArrayWriter::new(BufWriter::with_capacity(1 << 20, file));
    write(&mut writer).with_context(|| format!("cannot write {}", partial.display()))?;
    writer.finish().with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, &path).with_context(|| format!("cannot rename {}", partial.display()))?;
    Ok(())
}

fn write_bands(writer: &mut Writer, count: u64, mut rng: ChaCha8Rng) -> std::io::Result<()> {
    for id in 1..=count {
        let adjective = ADJECTIVES[rng.random_range(0..ADJECTIVES.len())];
        let noun = NOUNS[rng.random_range(0..NOUNS.len())];
        // The id keeps names unique, as they are in the exercise's data.
        writer.push(&Band { id: id as i64, name: format!("{adjective} {noun} {id}") })?;
    }
    Ok(())
}

fn write_venues(writer: &mut Writer, count: u64, mut rng: ChaCha8Rng) -> std::io::Result<()> {
    let cities = WeightedIndex::new(CITIES.iter().map(|c| c.weight)).map_err(std::io::Error::other)?;
    for id in 1..=count {
        let city = &CITIES[cities.sample(&mut rng)];
        let (latitude, longitude) = scatter(city, rng.random::<f64>() * SCATTER_KM, rng.random::<f64>());
        let name = format!("Venue {id}, {}, {}", city.name, city.country);
        writer.push(&Venue::new(id as i64, name, latitude, longitude))?;
    }
    Ok(())
}

/// A point `distance_km` from the city's centre in the direction `turn` (a
/// fraction of a full turn), rounded to 7 decimals (about 1 cm) as geocoders do.
fn scatter(city: &City, distance_km: f64, turn: f64) -> (f64, f64) {
    let bearing = turn * std::f64::consts::TAU;
    let latitude = (city.latitude + distance_km * bearing.cos() / KM_PER_DEGREE).clamp(-90.0, 90.0);
    let degree_east = KM_PER_DEGREE * latitude.to_radians().cos().max(1e-6);
    let mut longitude = city.longitude + distance_km * bearing.sin() / degree_east;
    if longitude > 180.0 {
        longitude -= 360.0;
    } else if longitude < -180.0 {
        longitude += 360.0;
    }
    (round7(latitude), round7(longitude))
}

fn round7(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}

fn write_concerts(writer: &mut Writer, sizes: Sizes, mut rng: ChaCha8Rng) -> std::io::Result<()> {
    if sizes.concerts == 0 {
        return Ok(());
    }
    let popularity = Zipf::new(sizes.bands as f64, BAND_SKEW).map_err(|e| std::io::Error::other(e.to_string()))?;
    // Each concert gets its own slice of time, so dates strictly increase.
    let step = (END_DATE - FIRST_DATE) / sizes.concerts as i64;
    for index in 0..sizes.concerts as i64 {
        let rank = popularity.sample(&mut rng) as u64;
        let band_id = band_of_rank(rank, sizes.bands);
        let venue_id = rng.random_range(1..=sizes.venues) as i64;
        let date = FIRST_DATE + index * step + rng.random_range(0..step);
        writer.push(&NewConcert { band_id, venue_id, date, status: Status::Scheduled })?;
    }
    Ok(())
}

/// The id of the band with popularity rank `rank` (1 = the most popular), a
/// bijection of 1..=bands onto itself.
pub fn band_of_rank(rank: u64, bands: u64) -> i64 {
    let rank = rank.clamp(1, bands) as u128;
    (((rank - 1) * ID_STRIDE) % bands as u128 + 1) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_map_onto_every_band_id_once() {
        for bands in [1, 2, 7, 1000, 1401] {
            let mut ids: Vec<i64> = (1..=bands).map(|rank| band_of_rank(rank, bands)).collect();
            ids.sort_unstable();
            assert_eq!(ids, (1..=bands as i64).collect::<Vec<_>>(), "{bands} bands");
        }
    }

    #[test]
    fn venues_stay_near_their_city_even_across_the_antimeridian() {
        let Some(taveuni) = CITIES.iter().find(|c| c.longitude > 179.9) else {
            panic!("the table has a city on the antimeridian")
        };
        let (latitude, east) = scatter(taveuni, SCATTER_KM, 0.25);
        assert!((latitude - taveuni.latitude).abs() < 1e-6, "due east keeps the latitude");
        assert!(east < -179.9, "past 180° east comes back at -180°: {east}");
        let (north, longitude) = scatter(taveuni, 1.0, 0.0);
        assert!((north - taveuni.latitude - 1.0 / KM_PER_DEGREE).abs() < 1e-6);
        assert!((longitude - taveuni.longitude).abs() < 1e-6);
    }

    #[test]
    fn city_coordinates_are_valid() {
        assert!(CITIES.len() >= 50);
        for city in CITIES {
            assert!((-90.0..=90.0).contains(&city.latitude), "{}", city.name);
            assert!((-180.0..=180.0).contains(&city.longitude), "{}", city.name);
            assert!(city.weight > 0, "{}", city.name);
        }
    }

    #[test]
    fn impossible_sizes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let no_venue = Sizes { bands: 1, venues: 0, concerts: 1 };
        assert!(generate(dir.path(), no_venue, 1).is_err());
        assert!(!dir.path().join("concerts.json").exists());
    }
}
