//! Reading and checking the three files before anything is imported.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{Context, bail};
use bands_model::{BAND_SCHEMA, Band};
use concerts_model::{CONCERT_SCHEMA, Concert};
use serde::de::DeserializeOwned;
use serde_json::Value;
use validator::Schema;
use venues_model::{VENUE_SCHEMA, Venue};

use crate::services::Services;

/// How many problems to list before giving up on a file.
const MAX_REPORTED: usize = 20;

pub struct Dataset {
    pub bands: Vec<Band>,
    pub venues: Vec<Venue>,
    pub concerts: Vec<Concert>,
}

impl Dataset {
    /// Reads and checks each file; a missing file counts as empty.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        if !dir.is_dir() {
            bail!("{} is not a folder", dir.display());
        }
        let bands: Vec<Band> = read_records(dir, "bands.json", BAND_SCHEMA)?;
        let venues: Vec<Venue> = read_records(dir, "venues.json", VENUE_SCHEMA)?;
        let concerts: Vec<Concert> = read_records(dir, "concerts.json", CONCERT_SCHEMA)?;
        if bands.is_empty() && venues.is_empty() && concerts.is_empty() {
            bail!("{} holds none of bands.json, venues.json, concerts.json", dir.display());
        }
        unique_ids("bands.json", bands.iter().map(|b| b.id))?;
        unique_ids("venues.json", venues.iter().map(|v| v.id))?;
        Ok(Self { bands, venues, concerts })
    }

    /// Every concert must point at a band and a venue that exist, in these
    /// files or already in the services.
    pub async fn check_references(&self, services: &Services) -> anyhow::Result<()> {
        let band_ids: std::collections::HashSet<i64> = self.bands.iter().map(|b| b.id).collect();
        let venue_ids: std::collections::HashSet<i64> = self.venues.iter().map(|v| v.id).collect();
        let unknown = |ids: &std::collections::HashSet<i64>, id: fn(&Concert) -> i64| {
            let mut first_use: BTreeMap<i64, usize> = BTreeMap::new();
            for (index, concert) in self.concerts.iter().enumerate() {
                if !ids.contains(&id(concert)) {
                    first_use.entry(id(concert)).or_insert(index);
                }
            }
            first_use
        };
        let mut problems = Vec::new();
        for (kind, path, mut missing) in [
            ("bandId", "/bands", unknown(&band_ids, |c| c.band_id)),
            ("venueId", "/venues", unknown(&venue_ids, |c| c.venue_id)),
        ] {
            let candidates: Vec<i64> = missing.keys().copied().collect();
            for stored in services.existing_ids(path, &candidates).await? {
                missing.remove(&stored);
            }
            problems.extend(missing.into_iter().map(|(id, index)| {
                format!("concerts.json: record {index}: {kind} {id} does not exist (neither in the folder nor in the {} service)", &path[1..])
            }));
        }
        report("concerts.json", problems)
    }
}

fn read_records<T: DeserializeOwned>(dir: &Path, file: &str, record_schema: &str) -> anyhow::Result<Vec<T>> {
    let path = dir.join(file);
    if !path.exists() {
        println!("seed: no {file} in {}, skipped", dir.display());
        return Ok(Vec::new());
    }
    let text = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let document: Value = serde_json::from_slice(&text).with_context(|| format!("{file} is not valid JSON"))?;
    let Value::Array(records) = document else {
        bail!("{file}: expected a JSON array of records");
    };
    let schema = Schema::from_json_text(file, record_schema)?;
    let mut problems = Vec::new();
    for (index, record) in records.iter().enumerate() {
        if let Err(messages) = schema.check(record) {
            problems.extend(messages.into_iter().map(|m| format!("{file}: record {index}: {m}")));
        }
        if problems.len() >= MAX_REPORTED {
            break;
        }
    }
    report(file, problems)?;
    records
        .into_iter()
        .enumerate()
        .map(|(index, record)| serde_json::from_value(record).with_context(|| format!("{file}: record {index}")))
        .collect()
}

fn unique_ids(file: &str, ids: impl Iterator<Item = i64>) -> anyhow::Result<()> {
    let mut seen: HashMap<i64, usize> = HashMap::new();
    let mut problems = Vec::new();
    for (index, id) in ids.enumerate() {
        if let Some(first) = seen.insert(id, index) {
            problems.push(format!("{file}: records {first} and {index} share the id {id}"));
        }
    }
    report(file, problems)
}

fn report(file: &str, problems: Vec<String>) -> anyhow::Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    let shown = problems.len().min(MAX_REPORTED);
    let more = if problems.len() > shown { format!("\n(and {} more)", problems.len() - shown) } else { String::new() };
    bail!("{file} is rejected, nothing was imported:\n{}{more}", problems[..shown].join("\n"))
}
