//! The `write` target: bytes as the JSON body of a write, read as it is
//! read on its way: the gateway's concert create and change
//! (`validator::read_body`), then what the services read of every write,
//! a draft or a merge patch of a band, a venue or a concert
//! (`bootstrap::edits::Rules`, the patch applied to a stored record). The
//! first byte picks the body.

use std::sync::LazyLock;

use bands_model::{Band, NewBand};
use bootstrap::edits::{Kind, Rules};
use concerts_model::{ConcertRecord, NewConcert, Status};
use serde::Serialize;
use validator::read_body;
use venues_model::{NewVenue, Venue};

use super::{MAX_ID, refused_politely};
use crate::orchestrator::{ConcertCreate, Part};
use crate::routes::concert_records::ConcertEdit;

// Compiled once: a schema takes far longer to compile than a body to read.
static BAND: LazyLock<Rules<Band, NewBand>> = LazyLock::new(|| rules(&kinds::BANDS));
static VENUE: LazyLock<Rules<Venue, NewVenue>> = LazyLock::new(|| rules(&kinds::VENUES));
static CONCERT: LazyLock<Rules<ConcertRecord, NewConcert>> = LazyLock::new(|| rules(&kinds::CONCERTS));

fn rules<R, D>(kind: &Kind<R, D>) -> Rules<R, D> {
    Rules::of(kind).unwrap_or_else(|error| panic!("{error}"))
}

/// The records a patch is applied to (from the demo data).
const ID: i64 = 1;
fn stored_band() -> Band {
    Band { id: ID, name: "3 Doors Down".to_owned() }
}
fn stored_venue() -> Venue {
    Venue::new(ID, "Le Batofar, Paris, France", 48.83335, 2.3793886).placed()
}
const STORED_CONCERT: ConcertRecord = ConcertRecord {
    id: ID,
    band_id: 1,
    venue_id: 10,
    date: 1_569_531_810_650,
    status: Status::Scheduled,
    previous_date: None,
};

pub fn write(data: &[u8]) {
    let Some((&body_of, body)) = data.split_first() else { return };
    match body_of % 8 {
        0 => concert_create(body),
        1 => concert_change(body),
        2 => {
            if let Some(band) = draft(&BAND, body) {
                check_band(&band.name);
            }
        }
        3 => {
            if let Some(band) = patched(&BAND, body, &stored_band()) {
                check_band(&band.name);
            }
        }
        4 => {
            if let Some(venue) = draft(&VENUE, body) {
                check_venue(&venue.with_id(ID));
            }
        }
        5 => {
            if let Some(venue) = patched(&VENUE, body, &stored_venue()) {
                check_venue(&venue);
            }
        }
        6 => {
            if let Some(concert) = draft(&CONCERT, body) {
                check_concert(&concert.with_id(ID));
            }
        }
        _ => {
            if let Some(concert) = patched(&CONCERT, body, &STORED_CONCERT) {
                check_concert(&concert);
                let moved = concert.date != STORED_CONCERT.date;
                let previous = if moved { Some(STORED_CONCERT.date) } else { None };
                assert_eq!(concert.previous_date, previous, "{concert:?}");
            }
        }
    }
}

/// `POST /concerts` at the gateway: what it takes, the services take (it
/// sends them the new band, the new venue, then the concert).
fn concert_create(body: &[u8]) {
    let create = match read_body::<ConcertCreate>(body) {
        Ok(create) => create,
        Err(error) => return refused_politely(&error),
    };
    let band_id = match &create.band {
        Part::Existing(id) => *id,
        Part::New(band) => {
            taken(&BAND, band);
            ID
        }
    };
    let venue_id = match &create.venue {
        Part::Existing(id) => *id,
        Part::New(venue) => {
            taken(&VENUE, venue);
            ID
        }
    };
    let concert = NewConcert { band_id, venue_id, date: create.date, status: create.status };
    check_concert(&taken(&CONCERT, &concert).with_id(ID));
    let _ = create.fingerprinted();
}

/// `PATCH /concerts/{id}` at the gateway: the patch it sends on is one the
/// concerts service takes.
fn concert_change(body: &[u8]) {
    let change = match read_body::<ConcertEdit>(body) {
        Ok(change) => change,
        Err(error) => return refused_politely(&error),
    };
    let patch = serde_json::to_vec(&change.patch()).unwrap_or_else(|error| panic!("{error}"));
    if let Some(concert) = patched(&CONCERT, &patch, &STORED_CONCERT) {
        check_concert(&concert);
    }
}

/// The draft a service reads from `body`, or `None` when it refuses it (with a 400).
fn draft<R, D: serde::de::DeserializeOwned>(rules: &Rules<R, D>, body: &[u8]) -> Option<D> {
    rules.draft(body).map_err(|error| refused_politely(&error)).ok()
}

/// `draft` as the gateway sends it is taken by the service.
fn taken<R, D: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(
    rules: &Rules<R, D>,
    draft: &D,
) -> D {
    let body = serde_json::to_vec(draft).unwrap_or_else(|error| panic!("{error}"));
    let read = rules.draft(&body).unwrap_or_else(|error| panic!("the gateway took {draft:?}, a service not: {error}"));
    assert_eq!(&read, draft);
    read
}

/// `before` as the patch `body` makes it, or `None` when refused: a 400 for
/// the body, problems for the record it would make.
fn patched<R, D>(rules: &Rules<R, D>, body: &[u8], before: &R) -> Option<R>
where
    R: Serialize + serde::de::DeserializeOwned + 'static,
{
    let edit = rules.edit(ID, body).map_err(|error| refused_politely(&error)).ok()?;
    match edit(before) {
        Ok(after) => Some(after),
        Err(problems) => {
            super::each_names_its_rule(&problems);
            None
        }
    }
}

fn check_band(name: &str) {
    assert!(name.chars().any(|c| !c.is_whitespace()), "a blank name: {name:?}");
    assert!(name.chars().count() <= 500, "a name of {} characters", name.chars().count());
}

/// A venue as the venues service keeps it: in range, its place read from its name.
pub(super) fn check_venue(venue: &Venue) {
    assert!((1..=MAX_ID).contains(&venue.id), "{venue:?}");
    assert!((-90.0..=90.0).contains(&venue.latitude) && (-180.0..=180.0).contains(&venue.longitude), "{venue:?}");
    let placed = venue.clone().placed();
    assert_eq!((&placed.name, placed.latitude, placed.longitude), (&venue.name, venue.latitude, venue.longitude));
    if venue.city.is_some() {
        assert_eq!(placed.city, venue.city, "a city given is kept");
    }
}

fn check_concert(concert: &ConcertRecord) {
    assert_eq!(concert.id, ID);
    assert!((1..=MAX_ID).contains(&concert.band_id) && (1..=MAX_ID).contains(&concert.venue_id), "{concert:?}");
    assert!((-MAX_ID..=MAX_ID).contains(&concert.date), "{concert:?}");
}
