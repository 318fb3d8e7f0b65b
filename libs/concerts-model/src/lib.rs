//! A concert, and the search the concerts service answers.

pub mod fuzzing;
pub mod rows;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// JSON Schema of one concert as imported (`PUT /concerts`) and as in
/// `concerts.json`, and of a concert to add (`POST /concerts`).
pub const CONCERT_SCHEMA: &str = include_str!("../schemas/concert.schema.json");
/// JSON Schema of a concert whole, as kept.
pub const CONCERT_RECORD_SCHEMA: &str = include_str!("../schemas/concert-record.schema.json");
/// JSON Schema of a merge patch of a concert (`PATCH /concerts/{id}`).
pub const CONCERT_PATCH_SCHEMA: &str = include_str!("../schemas/concert-patch.schema.json");

/// Where a concert stands in every list of concerts: they come by this key,
/// descending (newest first, then band, then venue). Two concerts never share
/// it, so the order is total and a page can start right after any concert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Position {
    /// UNIX time in milliseconds.
    pub date: i64,
    pub band_id: i64,
    pub venue_id: i64,
}

impl Position {
    /// Before every concert in list order (a page starting after it starts at the newest).
    pub const FIRST: Position = Position { date: i64::MAX, band_id: i64::MAX, venue_id: i64::MAX };

    /// `(date, band, venue)`, compared as the list orders them (descending).
    pub fn key(&self) -> (i64, i64, i64) {
        (self.date, self.band_id, self.venue_id)
    }
}

/// Whether a concert takes place as planned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// As planned (the default).
    #[default]
    Scheduled,
    /// Put off to a date not known yet.
    Postponed,
    /// Moved to another date (the previous one is kept).
    Rescheduled,
    /// Called off.
    Cancelled,
}

impl Status {
    pub fn is_scheduled(&self) -> bool {
        *self == Status::Scheduled
    }

    pub const ALL: [Status; 4] = [Status::Scheduled, Status::Postponed, Status::Rescheduled, Status::Cancelled];

    /// The status as one byte (binary rows, SQLite).
    pub fn code(self) -> u8 {
        match self {
            Status::Scheduled => 0,
            Status::Postponed => 1,
            Status::Rescheduled => 2,
            Status::Cancelled => 3,
        }
    }

    /// The status of a byte of [`Self::code`]; an unknown byte is `None`.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(usize::from(code)).copied()
    }

    /// The status's name in answers and queries (`scheduled`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Status::Scheduled => "scheduled",
            Status::Postponed => "postponed",
            Status::Rescheduled => "rescheduled",
            Status::Cancelled => "cancelled",
        }
    }
}

/// A concert as searches find it: its identity (`id`, which stays when it is
/// rescheduled), where it stands in the list, and its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Concert {
    pub id: i64,
    pub band_id: i64,
    pub venue_id: i64,
    /// UNIX time in milliseconds.
    pub date: i64,
    #[serde(default)]
    pub status: Status,
}

impl Concert {
    pub fn position(&self) -> Position {
        Position { date: self.date, band_id: self.band_id, venue_id: self.venue_id }
    }

    /// `(date, band, venue)`: see [`Position`].
    pub fn list_key(&self) -> (i64, i64, i64) {
        (self.date, self.band_id, self.venue_id)
    }
}

/// A concert to add: in an import (`concerts.json`, where a concert has no
/// id: the service gives it one) or through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewConcert {
    pub band_id: i64,
    pub venue_id: i64,
    /// UNIX time in milliseconds.
    pub date: i64,
    /// Written only when not `scheduled`: a data set of scheduled concerts
    /// stays the exercise's `concerts.json` shape.
    #[serde(default, skip_serializing_if = "Status::is_scheduled")]
    pub status: Status,
}

impl NewConcert {
    pub fn position(&self) -> Position {
        Position { date: self.date, band_id: self.band_id, venue_id: self.venue_id }
    }

    pub fn with_id(self, id: i64) -> ConcertRecord {
        let NewConcert { band_id, venue_id, date, status } = self;
        ConcertRecord { id, band_id, venue_id, date, status, previous_date: None }
    }
}

/// A concert whole, as the record is read, written and followed: a search's
/// [`Concert`], and the date it had before it was rescheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConcertRecord {
    pub id: i64,
    pub band_id: i64,
    pub venue_id: i64,
    /// UNIX time in milliseconds.
    pub date: i64,
    pub status: Status,
    /// The date before the last reschedule, when it was rescheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_date: Option<i64>,
}

impl ConcertRecord {
    pub fn position(&self) -> Position {
        Position { date: self.date, band_id: self.band_id, venue_id: self.venue_id }
    }

    pub fn concert(&self) -> Concert {
        Concert { id: self.id, band_id: self.band_id, venue_id: self.venue_id, date: self.date, status: self.status }
    }

    /// `after`, the record as a patch left it, settled: a new date
    /// reschedules it (its status becomes `rescheduled` unless the patch
    /// changed it, and the date before is kept); the previous date is never
    /// the patch's to set.
    pub fn settled(&self, after: ConcertRecord) -> ConcertRecord {
        let moved = after.date != self.date;
        let status = if moved && after.status == self.status { Status::Rescheduled } else { after.status };
        let previous_date = if moved { Some(self.date) } else { self.previous_date };
        ConcertRecord { status, previous_date, ..after }
    }
}

/// A concert in a search answer: `[id, bandId, venueId, date, status]`.
/// Pages carry up to a thousand concerts; as arrays they are about half the
/// bytes of objects and quicker to write and read, with no key to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConcertRow(pub i64, pub i64, pub i64, pub i64, pub Status);

impl From<Concert> for ConcertRow {
    fn from(c: Concert) -> Self {
        Self(c.id, c.band_id, c.venue_id, c.date, c.status)
    }
}

impl From<ConcertRow> for Concert {
    fn from(ConcertRow(id, band_id, venue_id, date, status): ConcertRow) -> Self {
        Self { id, band_id, venue_id, date, status }
    }
}

/// Which concerts a search matches: those of these bands and/or at these
/// venues (both given: both must match), within `dates`, of these statuses
/// (any when `None`). A search without bands or venues matches nothing:
/// dates and statuses narrow a search, they are not one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConcertFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band_ids: Option<Vec<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue_ids: Option<Vec<i64>>,
    #[serde(flatten)]
    pub dates: DateRange,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statuses: Option<Vec<Status>>,
}

impl ConcertFilter {
    /// Whether `status` is one the search keeps.
    pub fn keeps(&self, status: Status) -> bool {
        self.statuses.as_ref().is_none_or(|statuses| statuses.contains(&status))
    }
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

/// The order a list of concerts comes in. Each is total, so that a page can
/// start right after any concert (keyset) with no gap and no repeat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Order {
    /// Date, then band id, then venue id, all descending: the exercise's order.
    #[default]
    NewestFirst,
    /// Date, then band id, then venue id, all ascending.
    SoonestFirst,
    /// The venues in the order the search lists them (the gateway sends the
    /// circle's venues nearest first), and each venue's concerts soonest
    /// first (date, then band id, ascending).
    VenuesInOrder,
}

impl Order {
    pub fn is_newest_first(&self) -> bool {
        *self == Order::NewestFirst
    }
}

/// `POST /concerts/search`: the concerts `filter` matches, in `order`,
/// starting right after `after`: at most `limit` of them, or without a limit
/// all of them, streamed.
///
/// A body rather than a query string because a geo search can name thousands
/// of venues; it is sent once per public request, however many pages its
/// answer has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConcertSearch {
    #[serde(flatten)]
    pub filter: ConcertFilter,
    #[serde(default, skip_serializing_if = "Order::is_newest_first")]
    pub order: Order,
    /// The most concerts to return; `None`: every match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Where the previous page ended: the answer starts right after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Position>,
}

/// How a count of concerts is split: by calendar month or year (UTC), by
/// venue or by band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GroupBy {
    Month,
    Year,
    Venue,
    Band,
}

impl GroupBy {
    /// The group `concert` falls in: its month as `yyyymm` ([`month_of`]),
    /// its year, its venue's id or its band's.
    pub fn key(self, concert: &Concert) -> i64 {
        match self {
            GroupBy::Month => month_of(concert.date),
            GroupBy::Year => year_of(month_of(concert.date)),
            GroupBy::Venue => concert.venue_id,
            GroupBy::Band => concert.band_id,
        }
    }
}

/// The month of every date before the year 0 (the calendar counts know the years 0 to 9999).
pub const BEFORE_CALENDAR: i64 = 0;
/// The month of every date after the year 9999.
pub const AFTER_CALENDAR: i64 = 999_999;

/// The UTC calendar month of a date (UNIX ms) as `yyyymm` (201906); dates
/// outside the years 0 to 9999 fall in [`BEFORE_CALENDAR`] or [`AFTER_CALENDAR`].
pub fn month_of(date: i64) -> i64 {
    use chrono::Datelike;
    let outside = if date < 0 { BEFORE_CALENDAR } else { AFTER_CALENDAR };
    let Some(moment) = chrono::DateTime::from_timestamp_millis(date) else { return outside };
    match i64::from(moment.year()) {
        year @ 0..=9999 => year * 100 + i64::from(moment.month()),
        _ => outside,
    }
}

/// The year of a month of [`month_of`] (10000 for every date after 9999).
pub fn year_of(month: i64) -> i64 {
    if month == AFTER_CALENDAR { 10_000 } else { month / 100 }
}

/// `POST /concerts/counts`: how many concerts `filter` matches, in all and,
/// with `by`, per group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountSearch {
    #[serde(flatten)]
    pub filter: ConcertFilter,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<GroupBy>,
}

/// The answer to a [`CountSearch`]: the total and each group's count, by
/// ascending key (months as `yyyymm`, years, venue or band ids); a group
/// with no concert is left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConcertCounts {
    pub total: u64,
    pub groups: Vec<(i64, u64)>,
}

impl ConcertCounts {
    /// The counts of `tally` (group → concerts; `None`: no groups asked).
    pub fn of(tally: std::collections::BTreeMap<i64, u64>, grouped: bool) -> Self {
        let total = tally.values().sum();
        let groups = if grouped { tally.into_iter().filter(|(_, count)| *count > 0).collect() } else { Vec::new() };
        Self { total, groups }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_the_utc_calendar_month_as_yyyymm() {
        // 2019-06-01T00:00:00Z and the millisecond before it.
        assert_eq!(month_of(1_559_347_200_000), 201906);
        assert_eq!(month_of(1_559_347_199_999), 201905);
        assert_eq!(month_of(0), 197001);
        assert_eq!(month_of(-1), 196912);
        assert_eq!(month_of(i64::MAX), AFTER_CALENDAR, "outside the calendar");
        assert_eq!(month_of(253_402_300_800_000), AFTER_CALENDAR, "10000-01-01");
        assert_eq!(month_of(253_402_300_799_999), 999_912);
        assert_eq!(month_of(-70_000_000_000_000), BEFORE_CALENDAR, "before year 0");
        assert_eq!(month_of(i64::MIN), BEFORE_CALENDAR);
        assert_eq!((year_of(201906), year_of(AFTER_CALENDAR), year_of(BEFORE_CALENDAR)), (2019, 10_000, 0));
        let concert = Concert { id: 1, band_id: 2, venue_id: 3, date: 1_559_347_200_000, status: Status::Scheduled };
        let keys = [GroupBy::Month, GroupBy::Year, GroupBy::Venue, GroupBy::Band].map(|by| by.key(&concert));
        assert_eq!(keys, [201906, 2019, 3, 2]);
    }

    #[test]
    fn a_new_date_reschedules_and_keeps_the_date_before() {
        let booked = NewConcert { band_id: 1, venue_id: 2, date: 1000, status: Status::Scheduled }.with_id(7);
        let moved = booked.settled(ConcertRecord { date: 2000, ..booked });
        assert_eq!((moved.status, moved.previous_date), (Status::Rescheduled, Some(1000)));
        let cancelled = moved.settled(ConcertRecord { status: Status::Cancelled, ..moved });
        assert_eq!(
            (cancelled.status, cancelled.previous_date),
            (Status::Cancelled, Some(1000)),
            "the date before stays"
        );
        let postponed = booked.settled(ConcertRecord { date: 3000, status: Status::Postponed, ..booked });
        assert_eq!(
            (postponed.status, postponed.previous_date),
            (Status::Postponed, Some(1000)),
            "the status given wins"
        );
        let forged = booked.settled(ConcertRecord { previous_date: Some(5), ..booked });
        assert_eq!(forged.previous_date, None, "not the patch's to set");
    }
}
