//! Checking the three files before anything is imported.
//!
//! A file is read as a stream, one record at a time: each record is validated
//! against its JSON Schema and only its ids are kept (a sorted `Vec<i64>`,
//! 16 MB for 2 million bands), so memory does not grow with the number of
//! concerts. The import reads the files a second time ([`crate::services`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};
use bands_model::{BAND_SCHEMA, Band};
use concerts_model::{CONCERT_SCHEMA, NewConcert};
use json_array::{ReadError, for_each_element};
use serde::de::DeserializeOwned;
use serde_json::Value;
use validator::Schema;
use venues_model::{VENUE_SCHEMA, Venue};

use crate::files::open;
use crate::services::{Owner, Services};

/// How many problems to list before giving up on a file.
const MAX_REPORTED: usize = 20;

/// The files that passed every check, with their record counts (`None`: no such file).
pub struct Checked {
    pub dir: PathBuf,
    pub bands: Option<u64>,
    pub venues: Option<u64>,
    pub concerts: Option<u64>,
}

impl Checked {
    pub fn records(&self) -> u64 {
        [self.bands, self.venues, self.concerts].into_iter().flatten().sum()
    }
}

/// Checks every file of `dir`: each record against its schema, unique band
/// and venue ids, and concerts pointing at bands and venues found in the
/// files or already in the services. Any problem rejects the whole folder.
pub async fn check(dir: &Path, services: &Services) -> anyhow::Result<Checked> {
    if !dir.is_dir() {
        bail!("{} is not a folder", dir.display());
    }
    let mut band_ids = Vec::new();
    let bands = scan(dir, "bands.json", BAND_SCHEMA, |index, band: Band| band_ids.push((band.id, index)))?;
    let band_ids = unique_ids("bands.json", band_ids)?;
    let mut venue_ids = Vec::new();
    let venues = scan(dir, "venues.json", VENUE_SCHEMA, |index, venue: Venue| venue_ids.push((venue.id, index)))?;
    let venue_ids = unique_ids("venues.json", venue_ids)?;

    // The first concert naming each id that neither file holds.
    let mut unknown_bands: BTreeMap<i64, u64> = BTreeMap::new();
    let mut unknown_venues: BTreeMap<i64, u64> = BTreeMap::new();
    let concerts = scan(dir, "concerts.json", CONCERT_SCHEMA, |index, concert: NewConcert| {
        if band_ids.binary_search(&concert.band_id).is_err() {
            unknown_bands.entry(concert.band_id).or_insert(index);
        }
        if venue_ids.binary_search(&concert.venue_id).is_err() {
            unknown_venues.entry(concert.venue_id).or_insert(index);
        }
    })?;
    let checked = Checked { dir: dir.to_owned(), bands, venues, concerts };
    if checked.records() == 0 {
        bail!("{} holds none of bands.json, venues.json, concerts.json", dir.display());
    }

    let mut problems = Vec::new();
    for (kind, owner, mut missing) in
        [("bandId", Owner::Bands, unknown_bands), ("venueId", Owner::Venues, unknown_venues)]
    {
        let candidates: Vec<i64> = missing.keys().copied().collect();
        for stored in services.existing_ids(owner, &candidates).await? {
            missing.remove(&stored);
        }
        problems.extend(missing.into_iter().map(|(id, index)| {
            let service = owner.name();
            (index, format!("concerts.json: record {index}: {kind} {id} does not exist (neither in the folder nor in the {service} service)"))
        }));
    }
    problems.sort();
    report("concerts.json", problems.into_iter().map(|(_, problem)| problem).collect())?;
    Ok(checked)
}

/// Validates every record of `dir/file`, handing each valid one to `each`;
/// the record count, or `None` when there is no such file.
fn scan<T: DeserializeOwned>(
    dir: &Path,
    file: &str,
    record_schema: &str,
    mut each: impl FnMut(u64, T),
) -> anyhow::Result<Option<u64>> {
    let path = dir.join(file);
    if !path.exists() {
        println!("seed: no {file} in {}, skipped", dir.display());
        return Ok(None);
    }
    let schema = Schema::from_json_text(file, record_schema)?;
    let mut problems = Vec::new();
    let read = for_each_element(open(&path)?, |index, record: Value| {
        match schema.check(&record) {
            Err(messages) => {
                problems.extend(messages.into_iter().map(|m| format!("{file}: record {index}: {}", m.message)))
            }
            // A valid record fits its type; deserializing from the parsed value is cheap.
            Ok(()) => match T::deserialize(&record) {
                Ok(typed) => each(index, typed),
                Err(error) => problems.push(format!("{file}: record {index}: {error}")),
            },
        }
        if problems.len() >= MAX_REPORTED { Err(()) } else { Ok(()) }
    });
    match read {
        Ok(count) => report(file, problems).map(|()| Some(count)),
        Err(ReadError::Stopped(())) => Err(rejection(file, &problems)),
        Err(ReadError::NotAnArray) => bail!("{file}: expected a JSON array of records"),
        Err(ReadError::Json(error)) => Err(anyhow!(error).context(format!("{file} is not valid JSON"))),
        Err(ReadError::Io(error)) => Err(anyhow!(error).context(format!("cannot read {}", path.display()))),
    }
}

/// Sorts `(id, record index)` pairs into the file's id set, rejecting ids given twice.
fn unique_ids(file: &str, mut ids: Vec<(i64, u64)>) -> anyhow::Result<Vec<i64>> {
    ids.sort_unstable();
    let mut problems = Vec::new();
    for run in ids.chunk_by(|a, b| a.0 == b.0) {
        let (id, first) = run[0];
        problems.extend(
            run[1..]
                .iter()
                .map(|&(_, index)| (index, format!("{file}: records {first} and {index} share the id {id}"))),
        );
    }
    problems.sort();
    report(file, problems.into_iter().map(|(_, problem)| problem).collect())?;
    let mut ids: Vec<i64> = ids.into_iter().map(|(id, _)| id).collect();
    ids.dedup();
    Ok(ids)
}

fn report(file: &str, problems: Vec<String>) -> anyhow::Result<()> {
    if problems.is_empty() { Ok(()) } else { Err(rejection(file, &problems)) }
}

fn rejection(file: &str, problems: &[String]) -> anyhow::Error {
    let shown = problems.len().min(MAX_REPORTED);
    let more = if problems.len() > shown { format!("\n(and {} more)", problems.len() - shown) } else { String::new() };
    anyhow!("{file} is rejected, nothing was imported:\n{}{more}", problems[..shown].join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_given_twice_are_named_with_both_records_in_file_order() {
        let error = unique_ids("bands.json", vec![(5, 0), (1, 1), (5, 2), (1, 3), (5, 4)]).unwrap_err().to_string();
        let lines: Vec<&str> = error.lines().skip(1).collect();
        assert_eq!(
            lines,
            [
                "bands.json: records 0 and 2 share the id 5",
                "bands.json: records 1 and 3 share the id 1",
                "bands.json: records 0 and 4 share the id 5",
            ]
        );
        assert_eq!(unique_ids("bands.json", vec![(9, 0), (3, 1)]).unwrap(), vec![3, 9]);
    }

    #[test]
    fn a_file_is_read_record_by_record_with_each_problem_located() {
        let dir = tempfile::tempdir().unwrap();
        let text = r#"[{"id": 1, "name": "A"}, {"id": 2}, {"id": 0, "name": "C"}]"#;
        std::fs::write(dir.path().join("bands.json"), text).unwrap();
        let mut seen = Vec::new();
        let error = scan(dir.path(), "bands.json", BAND_SCHEMA, |index, band: Band| seen.push((index, band.id)))
            .unwrap_err()
            .to_string();
        assert!(error.contains("bands.json: record 1: name is required"), "{error}");
        assert!(error.contains("bands.json: record 2: id must be >= 1"), "{error}");
        assert_eq!(seen, vec![(0, 1)], "only valid records are handed on");
        assert_eq!(scan(dir.path(), "venues.json", VENUE_SCHEMA, |_, _: Venue| ()).unwrap(), None);
    }

    #[test]
    fn a_file_with_many_problems_lists_the_first_ones_only() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("[{}]", vec![r#"{"id": 1}"#; 100].join(","));
        std::fs::write(dir.path().join("bands.json"), text).unwrap();
        let error = scan(dir.path(), "bands.json", BAND_SCHEMA, |_, _: Band| ()).unwrap_err().to_string();
        assert_eq!(error.matches("name is required").count(), MAX_REPORTED);
    }
}
