//! Pages of the public answer: the opaque cursor a page starts from, and the
//! `Link` header that leads to the next page; the change feed's cursor.
//!
//! A cursor is where the last concert of the previous page stands in the
//! list (its date, band and venue), so a page starts right after it: concerts
//! added meanwhile shift nothing, and a deep page costs what the first does.

use axum::http::HeaderValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use concerts_model::Position;
use exceptions::{Code, HttpError, Problem};

use crate::clients::Owner;
use crate::sort::Sort;

/// Where a page starts: right after the last concert of the page before, in
/// the order of its search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum After {
    NewestFirst(Position),
    SoonestFirst(Position),
    /// Nearest first: the last concert, and how far its venue was from the
    /// centre (so that a page goes on at the right distance even if that
    /// venue has moved or gone since).
    Nearest {
        km: f64,
        last: Position,
    },
}

impl After {
    /// The order the page before came in.
    pub fn sort(&self) -> Sort {
        match self {
            After::NewestFirst(_) => Sort::NewestFirst,
            After::SoonestFirst(_) => Sort::SoonestFirst,
            After::Nearest { .. } => Sort::Nearest,
        }
    }

    /// The last concert of the page before.
    pub fn last(&self) -> Position {
        match *self {
            After::NewestFirst(last) | After::SoonestFirst(last) | After::Nearest { last, .. } => last,
        }
    }
}

/// Newest-first cursors keep the form they had before there were other orders.
const NEWEST_FIRST: &str = "v1";
const OTHER_ORDERS: &str = "v2";

/// The cursor that starts the page after `after`.
pub fn cursor_after(after: &After) -> String {
    let Position { date, band_id, venue_id } = after.last();
    let text = match after {
        After::NewestFirst(_) => format!("{NEWEST_FIRST}:{date}:{band_id}:{venue_id}"),
        After::SoonestFirst(_) => format!("{OTHER_ORDERS}:date:{date}:{band_id}:{venue_id}"),
        // f64's Display is exact: the distance reads back as the same number.
        After::Nearest { km, .. } => format!("{OTHER_ORDERS}:distance:{km}:{date}:{band_id}:{venue_id}"),
    };
    URL_SAFE_NO_PAD.encode(text)
}

/// The place a cursor names.
pub fn decode_cursor(cursor: &str) -> Result<After, HttpError> {
    let invalid = || {
        let message = "cursor is not one this API gave out: take it from the previous page's Link header";
        HttpError::bad_request(Problem::at(Code::InvalidCursor, "cursor", message))
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let parts: Vec<&str> = text.split(':').collect();
    let number = |part: &str| part.parse::<i64>().map_err(|_| invalid());
    let position = |[date, band, venue]: [&str; 3]| -> Result<Position, HttpError> {
        Ok(Position { date: number(date)?, band_id: number(band)?, venue_id: number(venue)? })
    };
    match parts.as_slice() {
        [NEWEST_FIRST, date, band, venue] => Ok(After::NewestFirst(position([date, band, venue])?)),
        [OTHER_ORDERS, "date", date, band, venue] => Ok(After::SoonestFirst(position([date, band, venue])?)),
        [OTHER_ORDERS, "distance", km, date, band, venue] => {
            let km = km.parse::<f64>().ok().filter(|km| km.is_finite() && *km >= 0.0).ok_or_else(invalid)?;
            Ok(After::Nearest { km, last: position([date, band, venue])? })
        }
        _ => Err(invalid()),
    }
}

/// `Link: </concerts?...&cursor=...>; rel="next"`: the query of the page
/// after `last` (see [`crate::query::ConcertsQuery::next_page`]). Relative,
/// so it holds behind any proxy.
pub fn next_link(path: &str, query_string: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("<{path}?{query_string}>; rel=\"next\"")).ok()
}

/// Where a follower of the change feed is in each service's log,
/// `bands-venues-concerts` (`12-3-456`): its next page starts right after.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedCursor {
    pub bands: i64,
    pub venues: i64,
    pub concerts: i64,
}

impl FeedCursor {
    /// The cursor `text` names (the schema has checked its form: three numbers).
    pub fn parse(text: &str) -> Result<Self, HttpError> {
        let invalid = || {
            let message = "since is not a cursor this API gave out: take it from a change or from the previous page's Link header";
            HttpError::bad_request(Problem::at(Code::InvalidCursor, "since", message))
        };
        let mut numbers = text.split('-').map(|part| part.parse::<i64>().map_err(|_| invalid()));
        let cursor = Self {
            bands: numbers.next().ok_or_else(invalid)??,
            venues: numbers.next().ok_or_else(invalid)??,
            concerts: numbers.next().ok_or_else(invalid)??,
        };
        if numbers.next().is_some() {
            return Err(invalid());
        }
        Ok(cursor)
    }

    /// The position read in `owner`'s log.
    pub fn of(&self, owner: Owner) -> i64 {
        match owner {
            Owner::Bands => self.bands,
            Owner::Venues => self.venues,
            Owner::Concerts => self.concerts,
        }
    }

    /// Records that `owner`'s log was read up to `position`.
    pub fn set(&mut self, owner: Owner, position: i64) {
        match owner {
            Owner::Bands => self.bands = position,
            Owner::Venues => self.venues = position,
            Owner::Concerts => self.concerts = position,
        }
    }
}

impl std::fmt::Display for FeedCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}-{}", self.bands, self.venues, self.concerts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAST: Position = Position { band_id: 12, venue_id: 345, date: 1_569_531_810_650 };

    #[test]
    fn a_cursor_names_the_concert_it_was_made_from_in_its_order() {
        let negative = Position { band_id: 1, venue_id: 1, date: -5 };
        for after in [
            After::NewestFirst(LAST),
            After::NewestFirst(negative),
            After::SoonestFirst(LAST),
            After::Nearest { km: 12.345678901234567, last: LAST },
            After::Nearest { km: 0.0, last: negative },
        ] {
            let cursor = cursor_after(&after);
            assert!(cursor.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{cursor}");
            assert_eq!(decode_cursor(&cursor).unwrap(), after);
        }
        // A cursor given out before there were other orders still reads the same.
        assert_eq!(
            decode_cursor(&URL_SAFE_NO_PAD.encode("v1:1569531810650:12:345")).unwrap(),
            After::NewestFirst(LAST)
        );
    }

    #[test]
    fn anything_else_is_refused() {
        let forged = |text: &str| URL_SAFE_NO_PAD.encode(text);
        for cursor in [
            "abc".to_owned(),
            forged("v2:1:2:3"),
            forged("v1:1:2"),
            forged("v1:1:2:3:4"),
            forged("v1:a:2:3"),
            forged("v2:date:1:2"),
            forged("v2:distance:1:2:3"),
            forged("v2:distance:-1:1:2:3"),
            forged("v2:distance:NaN:1:2:3"),
            forged("v2:distance:inf:1:2:3"),
            forged("v2:nearest:1:2:3"),
            URL_SAFE_NO_PAD.encode([0xff, 0xfe]),
        ] {
            let error = decode_cursor(&cursor).unwrap_err();
            assert_eq!(error.status().as_u16(), 400, "{cursor}");
        }
    }

    #[test]
    fn the_next_link_is_relative_and_rel_next() {
        let link = next_link("/concerts", "bandIds=1&limit=5&cursor=abc").unwrap();
        assert_eq!(link.to_str().unwrap(), "</concerts?bandIds=1&limit=5&cursor=abc>; rel=\"next\"");
    }

    #[test]
    fn cursors_read_back_as_written_and_nothing_else_is_taken() {
        let cursor = FeedCursor { bands: 12, venues: 3, concerts: 456 };
        assert_eq!(cursor.to_string(), "12-3-456");
        assert_eq!(FeedCursor::parse("12-3-456").unwrap(), cursor);
        for forged in ["12-3", "12-3-456-7", "a-b-c", "99999999999999999999-1-1"] {
            assert_eq!(FeedCursor::parse(forged).unwrap_err().status().as_u16(), 400, "{forged}");
        }
    }
}
