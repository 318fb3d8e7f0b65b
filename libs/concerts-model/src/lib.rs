//! A concert, and the search the concerts service answers.

pub mod rows;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// JSON Schema of one concert record, as imported (`PUT /concerts`) and as in `concerts.json`.
pub const CONCERT_SCHEMA: &str = include_str!("../schemas/concert.schema.json");

/// A concert; `(band_id, venue_id, date)` is its identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Concert {
    pub band_id: i64,
    pub venue_id: i64,
    /// UNIX time in milliseconds.
    pub date: i64,
}

impl Concert {
    /// Where the concert stands in every list of concerts: they come by this
    /// key, descending (newest first, then band, then venue). The key is the
    /// identity, so the order is total and a page can start right after any concert.
    pub fn list_key(&self) -> (i64, i64, i64) {
        (self.date, self.band_id, self.venue_id)
    }
}

/// A concert in a search answer: `[bandId, venueId, date]`. Pages carry up
/// to a thousand concerts; as arrays they are about half the bytes of objects
/// and quicker to write and read, with no key to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConcertRow(pub i64, pub i64, pub i64);

impl From<Concert> for ConcertRow {
    fn from(c: Concert) -> Self {
        Self(c.band_id, c.venue_id, c.date)
    }
}

impl From<ConcertRow> for Concert {
    fn from(ConcertRow(band_id, venue_id, date): ConcertRow) -> Self {
        Self { band_id, venue_id, date }
    }
}

/// Which concerts a search matches: those of these bands and/or at these
/// venues (both given: both must match), within `dates`. A search without
/// bands or venues matches nothing: dates narrow a search, they are not one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConcertFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band_ids: Option<Vec<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue_ids: Option<Vec<i64>>,
    #[serde(flatten)]
    pub dates: DateRange,
}

/// A range of dates, UNIX milliseconds, both ends included; an end not
/// given is open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<i64>,
}

impl DateRange {
    pub fn contains(&self, date: i64) -> bool {
        self.from.is_none_or(|from| from <= date) && self.to.is_none_or(|to| date <= to)
    }
}

/// `POST /concerts/search`: the concerts `filter` matches, in list order (see
/// [`Concert::list_key`]), starting right after `after`: at most `limit` of
/// them, or without a limit all of them, streamed.
///
/// A body rather than a query string because a geo search can name thousands
/// of venues; it is sent once per public request, however many pages its
/// answer has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConcertSearch {
    #[serde(flatten)]
    pub filter: ConcertFilter,
    /// The most concerts to return; `None`: every match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// The last concert of the previous page: the answer starts right after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Concert>,
}
