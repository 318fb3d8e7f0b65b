//! A search as an RFC 5545 calendar (`GET /concerts.ics`), for calendar apps
//! to subscribe to: one event per concert, its UID made from the concert's
//! id (so that an app updates the event when the concert changes), the band
//! as the summary, the venue as the location with its position (`GEO`),
//! and the status (`STATUS:CANCELLED` for a cancelled concert, tentative
//! for a postponed one). Concerts have a start and no announced end: an
//! event has no `DTEND`.

use chrono::{DateTime, Utc};
use concerts_model::Status;
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};

use crate::plan::Page;

/// The calendar's name, as apps show it.
const NAME: &str = "Concerts";

/// The page's concerts as a calendar.
pub fn of(page: &Page) -> String {
    let mut calendar = Calendar::new();
    calendar.name(NAME);
    for concert in page.concerts() {
        // `Page::new` kept only the concerts whose band and venue are there.
        let Some((band, venue)) = page.band_and_venue(concert) else { continue };
        let Some(starts) = DateTime::<Utc>::from_timestamp_millis(concert.date) else { continue };
        let event = Event::new()
            .uid(&uid(concert.id))
            .summary(&band.name)
            .location(&venue.name)
            .add_property("GEO", format!("{};{}", venue.latitude, venue.longitude))
            .starts(starts)
            .status(status(concert.status))
            .done();
        calendar.push(event);
    }
    calendar.done().to_string()
}

/// The event's UID: the same concert, the same event, whatever changes.
fn uid(id: i64) -> String {
    format!("concert-{id}@concerts-api")
}

fn status(status: Status) -> EventStatus {
    match status {
        Status::Cancelled => EventStatus::Cancelled,
        Status::Postponed => EventStatus::Tentative,
        Status::Scheduled | Status::Rescheduled => EventStatus::Confirmed,
    }
}
