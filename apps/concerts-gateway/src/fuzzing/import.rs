//! The `import` target: bytes as the body of an import (`PUT /bands`,
//! `/venues`, `/concerts`, `/concerts/staged`), read as the services read
//! it (`bootstrap::records::import_schema`, then `parse_json`). The first
//! byte picks the kind of record.

use std::sync::LazyLock;

use bands_model::{BAND_SCHEMA, Band};
use bootstrap::MAX_IMPORT_BATCH;
use bootstrap::records::import_schema;
use concerts_model::{CONCERT_SCHEMA, NewConcert};
use serde::Serialize;
use serde::de::DeserializeOwned;
use validator::Schema;
use venues_model::{VENUE_SCHEMA, Venue};

use super::{MAX_ID, refused_politely};

// Each service's import schema, as its routes build it (apps/*/src/routes.rs).
static BANDS: LazyLock<Schema> = LazyLock::new(|| compiled("bands import", BAND_SCHEMA));
static VENUES: LazyLock<Schema> = LazyLock::new(|| compiled("venues import", VENUE_SCHEMA));
static CONCERTS: LazyLock<Schema> = LazyLock::new(|| compiled("concerts import", CONCERT_SCHEMA));

fn compiled(name: &str, record_schema: &str) -> Schema {
    import_schema(name, record_schema).unwrap_or_else(|error| panic!("{error}"))
}

pub fn import(data: &[u8]) {
    let Some((&kind, body)) = data.split_first() else { return };
    match kind % 3 {
        0 => {
            for band in records::<Band>(&BANDS, body) {
                assert!((1..=MAX_ID).contains(&band.id), "{band:?}");
            }
        }
        1 => {
            for venue in records::<Venue>(&VENUES, body) {
                super::write::check_venue(&venue);
            }
        }
        _ => {
            for concert in records::<NewConcert>(&CONCERTS, body) {
                assert!((1..=MAX_ID).contains(&concert.band_id) && (1..=MAX_ID).contains(&concert.venue_id));
                assert!((-MAX_ID..=MAX_ID).contains(&concert.date), "{concert:?}");
            }
        }
    }
}

/// The records `body` holds, or none when it is refused (with a 400); what
/// is taken is at most a batch, and written back it is taken again, the same.
fn records<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(schema: &Schema, body: &[u8]) -> Vec<T> {
    let records: Vec<T> = match schema.parse_json(body) {
        Ok(records) => records,
        Err(error) => {
            refused_politely(&error);
            return Vec::new();
        }
    };
    assert!(records.len() <= MAX_IMPORT_BATCH, "{} records", records.len());
    let written = serde_json::to_vec(&records).unwrap_or_else(|error| panic!("{error}"));
    match schema.parse_json::<Vec<T>>(&written) {
        Ok(again) => assert_eq!(again, records, "the records written back read differently"),
        Err(error) => panic!("the records written back are refused: {error}"),
    }
    records
}
