//! Writing answers: a page's concerts as JSON items of the public shape
//! ([`ConcertView`], defined here with its writer).
//!
//! A page of a thousand concerts names each band and venue many times.
//! Each one's part of an item (its name escaped, the venue's coordinates
//! formatted) is written by `serde_json` once per page and copied into every
//! item that names it, which makes writing a large answer several times
//! cheaper than serializing each item whole. The bytes are the same as
//! `serde_json` writes for the page's views (tested below).
//!
//! Each item's local date is the concert's instant in its venue's zone. The
//! zone comes parsed with the venue (`Venue::time_zone`, read once when the
//! gateway fetched the venue), and the date is written digit by digit: no
//! zone is looked up by name and no string is made per item.

use std::ops::Range;

use chrono::{DateTime, Datelike, Offset, Timelike};
use concerts_model::Status;
use hashbrown::HashMap;
use serde::Serialize;
use utoipa::ToSchema;
use venues_model::{Tz, Venue};

use crate::plan::Page;

/// One concert as the public API shows it. The OpenAPI document shows this
/// type; [`write_items`] writes its bytes without building it (each band's
/// and venue's part once per page), and a test proves the two agree byte for
/// byte ([`views`]).
///
/// The exercise's five fields come first, as they always were; the concert's
/// identity and status follow, then its local time (clients ignore fields
/// they do not know).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "band": "Radiohead", "location": "Point Ephémère, Paris, France",
    "date": 1569531810650_i64, "latitude": 48.8814422, "longitude": 2.3684356,
    "id": 9012, "bandId": 12, "venueId": 345, "status": "scheduled",
    "timeZone": "Europe/Paris", "localDate": "2019-09-26T23:03:30+02:00"
}))]
pub struct ConcertView<'a> {
    /// The band's name.
    pub band: &'a str,
    /// The venue's name: "Venue, City, [State,] Country".
    pub location: &'a str,
    /// UNIX time in milliseconds.
    pub date: i64,
    /// The venue's latitude, in degrees.
    pub latitude: f64,
    /// The venue's longitude, in degrees.
    pub longitude: f64,
    /// The concert's id: `GET /concerts/{id}`; it stays when the concert is rescheduled.
    pub id: i64,
    /// The band's id: `GET /bands/{id}`.
    pub band_id: i64,
    /// The venue's id: `GET /venues/{id}`.
    pub venue_id: i64,
    /// Whether the concert takes place as planned; cancelled and postponed concerts are listed too.
    pub status: Status,
    /// The venue's IANA time zone ("Europe/Paris"; "UTC" while a venue's is unknown).
    pub time_zone: &'a str,
    /// The concert's date in the venue's time zone, to the second, with the
    /// zone's offset then (ISO 8601: "2019-06-01T21:00:00+02:00"); `date` is the exact instant.
    pub local_date: Option<String>,
}

/// The zone a venue's concerts are shown in.
fn zone_of(venue: &Venue) -> Tz {
    venue.time_zone.unwrap_or(Tz::UTC)
}

/// `date` (UNIX milliseconds) in `zone` as [`ConcertView::local_date`] says,
/// by chrono's formatting; `None` beyond chrono's years.
pub fn local_date(date: i64, zone: Tz) -> Option<String> {
    let local = DateTime::from_timestamp_millis(date)?.with_timezone(&zone);
    Some(local.format("%Y-%m-%dT%H:%M:%S%:z").to_string())
}

/// [`local_date`] as JSON at the end of `out` (a string, or `null`), the
/// digits written one by one for the years 0 to 9999.
fn write_local_date(out: &mut Vec<u8>, date: i64, zone: Tz) {
    let Some(utc) = DateTime::from_timestamp_millis(date) else {
        out.extend_from_slice(b"null");
        return;
    };
    let local = utc.with_timezone(&zone);
    // Read once: each of a zoned date-time's fields adds the offset again.
    let (offset, local) = (local.offset().fix().local_minus_utc(), local.naive_local());
    let year = local.year();
    if !(0..=9999).contains(&year) {
        write_json(out, &local_date(date, zone));
        return;
    }
    let two = |out: &mut Vec<u8>, n: u32| out.extend_from_slice(&[b'0' + (n / 10) as u8, b'0' + (n % 10) as u8]);
    let year = year as u32;
    out.push(b'"');
    two(out, year / 100);
    two(out, year % 100);
    out.push(b'-');
    two(out, local.month());
    out.push(b'-');
    two(out, local.day());
    out.push(b'T');
    two(out, local.hour());
    out.push(b':');
    two(out, local.minute());
    out.push(b':');
    two(out, local.second());
    out.push(if offset < 0 { b'-' } else { b'+' });
    // Rounded to the minute as chrono does (local mean times before 1900 have seconds).
    let minutes = (offset.unsigned_abs() + 30) / 60;
    two(out, minutes / 60);
    out.push(b':');
    two(out, minutes % 60);
    out.push(b'"');
}

/// The page's items as the public API shows them, built with serde's types:
/// what [`write_items`] must write, byte for byte.
#[cfg(test)]
pub(crate) fn views(page: &Page) -> Vec<ConcertView<'_>> {
    page.concerts()
        .iter()
        .map(|concert| {
            // `Page::new` kept only the concerts whose band and venue are there.
            let (band, venue) = page.band_and_venue(concert).expect("the page holds its concerts' band and venue");
            ConcertView {
                band: &band.name,
                location: &venue.name,
                date: concert.date,
                latitude: venue.latitude,
                longitude: venue.longitude,
                id: concert.id,
                band_id: concert.band_id,
                venue_id: concert.venue_id,
                status: concert.status,
                time_zone: zone_of(venue).name(),
                local_date: local_date(concert.date, zone_of(venue)),
            }
        })
        .collect()
}

/// The longest a number (an `i64`) can be written: `-9223372036854775808`.
const LONGEST_NUMBER: usize = 20;
/// The longest of what follows the position: `,"id":` and the id, `,"bandId":`
/// and the id, `,"venueId":` and the id, `,"status":"rescheduled"`; the
/// local date (`"+262143-12-31T23:59:59+14:00"`) and `}`.
const LONGEST_TAIL: usize = 6 + 10 + 11 + 3 * LONGEST_NUMBER + 24 + 32;

/// Appends the page's items to `out` as comma-separated JSON objects, with a
/// comma first unless `first` (the items of one array may come in several pieces).
pub fn write_items(page: &Page, first: bool, out: &mut Vec<u8>) {
    let parts = Parts::of(page);
    // Room for every item at once: growing a buffer of a hundred kilobytes copies it each time.
    out.reserve(parts.longest + page.concerts().len());
    for (index, (concert, ([band, location, position, local], zone))) in
        page.concerts().iter().zip(&parts.items).enumerate()
    {
        if index > 0 || !first {
            out.push(b',');
        }
        // `{"band":"...","location":"...","date":` then the date, then `,"latitude":..,"longitude":..`,
        // then the ids and the status, then the zone and the local date.
        out.extend_from_slice(&parts.bytes[band.clone()]);
        out.extend_from_slice(&parts.bytes[location.clone()]);
        write_json(out, &concert.date);
        out.extend_from_slice(&parts.bytes[position.clone()]);
        out.extend_from_slice(b",\"id\":");
        write_json(out, &concert.id);
        out.extend_from_slice(b",\"bandId\":");
        write_json(out, &concert.band_id);
        out.extend_from_slice(b",\"venueId\":");
        write_json(out, &concert.venue_id);
        out.extend_from_slice(b",\"status\":\"");
        out.extend_from_slice(concert.status.name().as_bytes());
        out.push(b'"');
        out.extend_from_slice(&parts.bytes[local.clone()]);
        write_local_date(out, concert.date, *zone);
        out.push(b'}');
    }
}

/// The whole answer of one page: a JSON array.
pub fn array(page: &Page) -> Vec<u8> {
    let mut out = vec![b'['];
    write_items(page, true, &mut out);
    out.push(b']');
    out
}

/// The band and venue parts of a page's items. Each band's and venue's is
/// written once, side by side in one buffer (a page names hundreds of bands:
/// one allocation, not hundreds), and each item is given its four.
struct Parts {
    bytes: Vec<u8>,
    /// Per concert: its band's `{"band":"..."`, its venue's
    /// `,"location":"...","date":`, `,"latitude":..,"longitude":..` and
    /// `,"timeZone":"...","localDate":`; and the venue's zone.
    items: Vec<([Range<usize>; 4], Tz)>,
    /// The most bytes the items can take.
    longest: usize,
}

impl Parts {
    fn of(page: &Page) -> Self {
        let mut bytes = Vec::with_capacity(4096);
        let bands: HashMap<i64, Range<usize>> = page
            .bands()
            .map(|band| {
                let part = part(&mut bytes, |out| {
                    out.extend_from_slice(b"{\"band\":");
                    write_json(out, &band.name);
                });
                (band.id, part)
            })
            .collect();
        let venues: HashMap<i64, ([Range<usize>; 3], Tz)> = page
            .venues()
            .map(|venue| {
                let location = part(&mut bytes, |out| {
                    out.extend_from_slice(b",\"location\":");
                    write_json(out, &venue.name);
                    out.extend_from_slice(b",\"date\":");
                });
                let position = part(&mut bytes, |out| {
                    out.extend_from_slice(b",\"latitude\":");
                    write_json(out, &venue.latitude);
                    out.extend_from_slice(b",\"longitude\":");
                    write_json(out, &venue.longitude);
                });
                let zone = zone_of(venue);
                let local = part(&mut bytes, |out| {
                    out.extend_from_slice(b",\"timeZone\":");
                    write_json(out, &zone.name());
                    out.extend_from_slice(b",\"localDate\":");
                });
                (venue.id, ([location, position, local], zone))
            })
            .collect();
        let mut longest = 0;
        let items = page
            .concerts()
            .iter()
            .map(|concert| {
                // A page holds the band and venue of each of its concerts.
                let band = bands.get(&concert.band_id).cloned().unwrap_or_default();
                let ([location, position, local], zone) =
                    venues.get(&concert.venue_id).cloned().unwrap_or((Default::default(), Tz::UTC));
                longest += band.len() + location.len() + LONGEST_NUMBER + position.len() + local.len() + LONGEST_TAIL;
                ([band, location, position, local], zone)
            })
            .collect();
        Parts { bytes, items, longest }
    }
}

/// Writes one part at the end of `bytes`; where it lies.
fn part(bytes: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) -> Range<usize> {
    let start = bytes.len();
    write(bytes);
    start..bytes.len()
}

fn write_json(out: &mut Vec<u8>, value: &impl serde::Serialize) {
    // Strings and numbers always serialize; a non-finite float (never stored) would write `null`.
    let _ = serde_json::to_writer(out, value);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bands_model::Band;
    use concerts_model::Concert;
    use venues_model::Venue;

    use super::*;

    fn page(concerts: &[(i64, i64, i64)]) -> Page {
        let bands =
            [Band { id: 1, name: "Sigur Rós".into() }, Band { id: 2, name: "The \"Quoted\" \\ Band\n\t\u{1}".into() }];
        let venues = [
            Venue {
                time_zone: Some(Tz::Europe__Paris),
                ..Venue::new(10, "Point Ephémère, Paris, France", 48.8814422, 2.3684356)
            },
            Venue {
                time_zone: Some(Tz::Antarctica__South_Pole), ..Venue::new(11, "Südpol 🎸", -90.0, -0.000_000_1)
            },
            Venue::new(12, "", 1e-7, 179.99999999),
        ];
        // Ids and statuses of every kind, the same for a concert in any page.
        let concerts = concerts
            .iter()
            .map(|&(band_id, venue_id, date)| Concert {
                id: band_id * 1_000_000_007 + venue_id,
                band_id,
                venue_id,
                date,
                status: concerts_model::Status::ALL[(venue_id % 4) as usize],
            })
            .collect();
        let bands = bands.into_iter().map(|b| (b.id, Arc::new(b))).collect();
        let venues = venues.into_iter().map(|v| (v.id, Arc::new(v))).collect();
        Page::new(concerts, bands, venues, None)
    }

    const CONCERTS: [(i64, i64, i64); 5] =
        [(1, 10, 1569531810650), (2, 11, 0), (1, 12, -1), (2, 10, i64::MAX), (1, 11, i64::MIN)];

    #[test]
    fn an_answer_is_byte_for_byte_what_serde_writes_for_the_views() {
        let page = page(&CONCERTS);
        let views = views(&page);
        assert_eq!(views.len(), CONCERTS.len());
        assert_eq!(String::from_utf8(array(&page)).unwrap(), serde_json::to_string(&views).unwrap());
        assert_eq!(array(&Page::default()), b"[]");
    }

    #[test]
    fn pieces_written_one_after_another_make_one_array() {
        let mut out = vec![b'['];
        write_items(&page(&CONCERTS[..2]), true, &mut out);
        write_items(&page(&CONCERTS[2..]), false, &mut out);
        out.push(b']');
        assert_eq!(out, array(&page(&CONCERTS)));
    }

    #[test]
    fn the_public_item_has_the_exercise_shape_then_its_identity_and_status() {
        let view = ConcertView {
            band: "Radiohead",
            location: "Point Ephémère, Paris, France",
            date: 1569531810650,
            latitude: 48.8814422,
            longitude: 2.3684356,
            id: 9012,
            band_id: 12,
            venue_id: 345,
            status: Status::Cancelled,
            time_zone: "Europe/Paris",
            local_date: Some("2019-09-26T23:03:30+02:00".into()),
        };
        let written = serde_json::to_string(&view).unwrap();
        assert_eq!(
            written,
            r#"{"band":"Radiohead","location":"Point Ephémère, Paris, France","date":1569531810650,"latitude":48.8814422,"longitude":2.3684356,"id":9012,"bandId":12,"venueId":345,"status":"cancelled","timeZone":"Europe/Paris","localDate":"2019-09-26T23:03:30+02:00"}"#
        );
    }

    #[test]
    fn local_dates_follow_the_zone_across_daylight_saving() {
        // Written by hand: 21:00 in Paris the evening before the change (UTC+1), and the evening after (UTC+2).
        assert_eq!(local_date(1553976000000, Tz::Europe__Paris).as_deref(), Some("2019-03-30T21:00:00+01:00"));
        assert_eq!(local_date(1554058800000, Tz::Europe__Paris).as_deref(), Some("2019-03-31T21:00:00+02:00"));
        assert_eq!(local_date(1569531810650, Tz::Pacific__Chatham).as_deref(), Some("2019-09-27T09:48:30+12:45"));
        assert_eq!(local_date(-1, Tz::America__St_Johns).as_deref(), Some("1969-12-31T20:29:59-03:30"));
        assert_eq!(local_date(i64::MIN, Tz::UTC), None);
    }

    #[test]
    fn local_dates_written_by_hand_are_chronos() {
        let zones = [Tz::UTC, Tz::Europe__Paris, Tz::Asia__Kolkata, Tz::America__St_Johns, Tz::Pacific__Chatham];
        let dates =
            [0, -1, 1553976000000, 1554058800000, 253402300799999, 253402300800000, -62167219200000, -62167219200001];
        for zone in zones {
            for date in dates {
                let mut out = Vec::new();
                write_local_date(&mut out, date, zone);
                assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&local_date(date, zone)).unwrap());
            }
        }
    }
}
