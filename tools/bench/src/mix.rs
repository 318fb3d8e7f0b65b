//! The queries a run sends: a named mix of `GET /concerts` queries over the
//! data set's real band ids and venue positions, drawn from a seeded stream so
//! that two runs send the same requests.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::{Context, anyhow, ensure};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

/// Radii of geo-only queries, in km.
pub const GEO_RADII_KM: [f64; 6] = [1.0, 5.0, 10.0, 20.0, 50.0, 100.0];
/// Radius range of queries with both filters, in km.
pub const BOTH_RADIUS_KM: std::ops::RangeInclusive<u32> = 100..=1000;
/// Band ids per query with bands.
pub const BANDS_PER_QUERY: std::ops::RangeInclusive<usize> = 1..=5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mix {
    /// 40% bandIds only, 40% geo only, 20% both.
    Standard,
    /// bandIds only.
    Bands,
    /// Geo only.
    Geo,
    /// Both filters.
    Both,
    /// `GET /bands?q=`: the start of a word of a band's name, as a person types it.
    Names,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Bands,
    Geo,
    Both,
    Names,
    /// A write of one concert (`--write-share`): see [`crate::writes`].
    Writes,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Bands, Kind::Geo, Kind::Both, Kind::Names, Kind::Writes];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Bands => "bands",
            Kind::Geo => "geo",
            Kind::Both => "both",
            Kind::Names => "names",
            Kind::Writes => "writes",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub kind: Kind,
    pub band_ids: Vec<i64>,
    /// (latitude, longitude, radius in km)
    pub circle: Option<(f64, f64, f64)>,
    /// What a person typed, for a search by name.
    pub text: Option<String>,
}

impl Query {
    /// `/concerts?...`, with `&limit=N` when a limit is given; for a search
    /// by name, `/bands?q=..` (with its own default limit).
    pub fn path_and_query(&self, limit: Option<u32>) -> String {
        if let Some(text) = &self.text {
            let encoded: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
            return format!("/bands?q={encoded}");
        }
        let mut parameters = Vec::new();
        if !self.band_ids.is_empty() {
            let ids: Vec<String> = self.band_ids.iter().map(i64::to_string).collect();
            parameters.push(format!("bandIds={}", ids.join(",")));
        }
        if let Some((latitude, longitude, radius)) = self.circle {
            parameters.push(format!("latitude={latitude}&longitude={longitude}&radius={radius}"));
        }
        if let Some(limit) = limit {
            parameters.push(format!("limit={limit}"));
        }
        format!("/concerts?{}", parameters.join("&"))
    }
}

/// What the queries are made of: the existing band ids and venue positions.
pub struct Catalogue {
    pub band_ids: Vec<i64>,
    pub venues: Vec<(f64, f64)>,
    /// The venues' ids, in the order of `venues`.
    pub venue_ids: Vec<i64>,
    /// The bands' names, when the mix searches by name.
    pub band_names: Vec<String>,
}

#[derive(Deserialize)]
struct BandId {
    id: i64,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct Position {
    id: i64,
    latitude: f64,
    longitude: f64,
}

impl Catalogue {
    /// Reads `dir/venues.json` whole (10k venues is about 1 MB) and the ids of
    /// `dir/bands.json`, streamed (2M bands would be 60 MB of JSON), and their
    /// names only `with_names`.
    pub fn load(dir: &Path, with_names: bool) -> anyhow::Result<Self> {
        let open = |name: &str| {
            let path = dir.join(name);
            File::open(&path).map(BufReader::new).with_context(|| format!("cannot read {}", path.display()))
        };
        let (mut band_ids, mut band_names) = (Vec::new(), Vec::new());
        json_array::for_each_element(open("bands.json")?, |_, band: BandId| {
            band_ids.push(band.id);
            if with_names {
                band_names.push(band.name);
            }
            Ok::<_, std::convert::Infallible>(())
        })
        .map_err(|e| anyhow!("{}: {e}", dir.join("bands.json").display()))?;
        let venues: Vec<Position> = serde_json::from_reader(open("venues.json")?)
            .with_context(|| format!("{} is not a list of venues", dir.join("venues.json").display()))?;
        let venue_ids = venues.iter().map(|v| v.id).collect();
        let venues = venues.into_iter().map(|v| (v.latitude, v.longitude)).collect();
        let catalogue = Self { band_ids, venues, venue_ids, band_names };
        ensure!(
            !catalogue.band_ids.is_empty() && !catalogue.venues.is_empty(),
            "{} needs bands and venues",
            dir.display()
        );
        ensure!(
            !with_names || catalogue.band_names.iter().any(|name| !name.trim().is_empty()),
            "{} has no band names to search for",
            dir.display()
        );
        Ok(catalogue)
    }
}

/// An endless, reproducible stream of queries: the same catalogue, mix, seed
/// and stream give the same queries in the same order.
pub struct Queries<'a> {
    catalogue: &'a Catalogue,
    mix: Mix,
    rng: ChaCha8Rng,
}

impl<'a> Queries<'a> {
    /// `stream` tells apart the connections of one run, each with its own sequence.
    pub fn new(catalogue: &'a Catalogue, mix: Mix, seed: u64, stream: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        Self { catalogue, mix, rng }
    }

    pub fn next_query(&mut self) -> Query {
        let kind = match self.mix {
            Mix::Standard => match self.rng.random_range(0..100) {
                0..40 => Kind::Bands,
                40..80 => Kind::Geo,
                _ => Kind::Both,
            },
            Mix::Bands => Kind::Bands,
            Mix::Geo => Kind::Geo,
            Mix::Both => Kind::Both,
            Mix::Names => return self.typed(),
        };
        let band_ids = if kind == Kind::Geo { Vec::new() } else { self.band_ids() };
        let radius = match kind {
            // A search by name returned above.
            Kind::Bands | Kind::Names | Kind::Writes => None,
            Kind::Geo => Some(GEO_RADII_KM[self.rng.random_range(0..GEO_RADII_KM.len())]),
            Kind::Both => Some(f64::from(self.rng.random_range(BOTH_RADIUS_KM))),
        };
        let circle = radius.map(|radius| {
            let (latitude, longitude) = self.catalogue.venues[self.rng.random_range(0..self.catalogue.venues.len())];
            (latitude, longitude, radius)
        });
        Query { kind, band_ids, circle, text: None }
    }

    /// The first 3 to 6 characters of a word of a band's name (the whole word if shorter).
    fn typed(&mut self) -> Query {
        let names = &self.catalogue.band_names;
        let name = &names[self.rng.random_range(0..names.len())];
        let words: Vec<&str> = name.split_whitespace().collect();
        let word = words.get(self.rng.random_range(0..words.len().max(1))).copied().unwrap_or("a");
        let length = self.rng.random_range(3..=6);
        let text: String = word.chars().take(length).collect();
        Query { kind: Kind::Names, band_ids: Vec::new(), circle: None, text: Some(text) }
    }

    /// 1 to 5 distinct existing band ids (fewer if the catalogue has fewer).
    fn band_ids(&mut self) -> Vec<i64> {
        let all = &self.catalogue.band_ids;
        let wanted = self.rng.random_range(BANDS_PER_QUERY).min(all.len());
        let mut ids = Vec::with_capacity(wanted);
        while ids.len() < wanted {
            let id = all[self.rng.random_range(0..all.len())];
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn catalogue() -> Catalogue {
        Catalogue {
            band_ids: (1..=1401).collect(),
            venues: vec![(48.857931, 2.350144), (43.6396748, -79.3535794), (-33.8688, 151.2093)],
            venue_ids: vec![1, 2, 3],
            band_names: vec!["Sigur Rós".to_owned(), "3 Doors Down".to_owned()],
        }
    }

    #[test]
    fn the_standard_mix_is_40_40_20_on_a_fixed_seed() {
        let catalogue = catalogue();
        let mut queries = Queries::new(&catalogue, Mix::Standard, 1, 0);
        let mut kinds: HashMap<Kind, u32> = HashMap::new();
        for _ in 0..10_000 {
            *kinds.entry(queries.next_query().kind).or_default() += 1;
        }
        for (kind, expected) in [(Kind::Bands, 4000), (Kind::Geo, 4000), (Kind::Both, 2000)] {
            let got = kinds[&kind];
            assert!(got.abs_diff(expected) < 200, "{kind:?}: {got} of 10,000, expected about {expected}");
        }
    }

    #[test]
    fn each_kind_follows_its_rules() {
        let catalogue = catalogue();
        let mut queries = Queries::new(&catalogue, Mix::Standard, 2, 0);
        for _ in 0..2000 {
            let query = queries.next_query();
            if query.kind != Kind::Geo {
                assert!(BANDS_PER_QUERY.contains(&query.band_ids.len()), "{query:?}");
                assert!(query.band_ids.iter().all(|id| catalogue.band_ids.contains(id)), "{query:?}");
                let mut distinct = query.band_ids.clone();
                distinct.sort_unstable();
                distinct.dedup();
                assert_eq!(distinct.len(), query.band_ids.len(), "{query:?}");
            }
            match (query.kind, query.circle) {
                (Kind::Bands, None) => {}
                (Kind::Geo, Some((lat, lon, radius))) => {
                    assert!(query.band_ids.is_empty());
                    assert!(catalogue.venues.contains(&(lat, lon)), "centred on a venue: {query:?}");
                    assert!(GEO_RADII_KM.contains(&radius), "{query:?}");
                }
                (Kind::Both, Some((lat, lon, radius))) => {
                    assert!(catalogue.venues.contains(&(lat, lon)), "centred on a venue: {query:?}");
                    assert!((100.0..=1000.0).contains(&radius), "{query:?}");
                }
                _ => panic!("a filter is missing or extra: {query:?}"),
            }
        }
    }

    #[test]
    fn the_same_seed_sends_the_same_queries_and_streams_differ() {
        let catalogue = catalogue();
        let take = |seed, stream| {
            let mut queries = Queries::new(&catalogue, Mix::Standard, seed, stream);
            (0..50).map(|_| queries.next_query()).collect::<Vec<_>>()
        };
        assert_eq!(take(7, 0), take(7, 0));
        assert_ne!(take(7, 0), take(7, 1));
        assert_ne!(take(7, 0), take(8, 0));
    }

    #[test]
    fn single_kind_mixes_and_the_query_string() {
        let catalogue = catalogue();
        let mut bands = Queries::new(&catalogue, Mix::Bands, 3, 0);
        assert!((0..100).all(|_| bands.next_query().kind == Kind::Bands));
        let query = Query { kind: Kind::Both, band_ids: vec![1, 22], circle: Some((48.5, -2.25, 100.0)), text: None };
        assert_eq!(query.path_and_query(None), "/concerts?bandIds=1,22&latitude=48.5&longitude=-2.25&radius=100");
        let geo = Query { kind: Kind::Geo, band_ids: vec![], circle: Some((1.0, 2.0, 5.0)), text: None };
        assert_eq!(geo.path_and_query(Some(50)), "/concerts?latitude=1&longitude=2&radius=5&limit=50");
        let mut names = Queries::new(&catalogue, Mix::Names, 4, 0);
        for _ in 0..50 {
            let query = names.next_query();
            let text = query.text.clone().expect("a text");
            assert!(
                catalogue.band_names.iter().any(|name| name.split_whitespace().any(|word| word.starts_with(&text)))
            );
            assert!(query.path_and_query(Some(100)).starts_with("/bands?q="), "{query:?}");
        }
    }
}
