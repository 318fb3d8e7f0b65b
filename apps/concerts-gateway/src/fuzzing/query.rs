//! The `query` target: bytes as the raw query string of a public read, read
//! the way a request's is (`validator::read_query`: the schema, then the
//! domain type's `parse`). The first byte picks the route.

use concerts_model::Position;
use validator::name_search::{MAX_NAMES, MAX_TEXT};
use validator::read_query;

use crate::counts::CountsQuery;
use crate::paging::{After, FeedCursor};
use crate::query::{ChangesQuery, ConcertsQuery, Filter, NamesQuery, Paging};
use crate::sort::Sort;

use super::{MAX_ID, refused_politely};

pub fn query(data: &[u8]) {
    let Some((&route, raw)) = data.split_first() else { return };
    // A query string reaches the parser as text; form_urlencoded decodes what is escaped.
    let raw = String::from_utf8_lossy(raw);
    match route % 4 {
        0 => concerts(&raw),
        1 => counts(&raw),
        2 => names(&raw),
        _ => changes(&raw),
    }
}

/// `GET /concerts`: a parsed search holds only what its schema allows, and
/// its next page's query string reads back as the same search.
fn concerts(raw: &str) {
    let query = match read_query::<ConcertsQuery>(Some(raw)) {
        Ok(query) => query,
        Err(error) => return refused_politely(&error),
    };
    check_search(&query);
    let _ = query.normalized();
    if let Paging::Page { limit, after } = query.paging {
        assert!((1..=1000).contains(&limit), "limit {limit}");
        let after = after.unwrap_or_else(|| some_place(query.sort));
        assert_eq!(after.sort(), query.sort, "a cursor of another order was taken");
        let next = query.next_page(&after).expect("a paged search has a next page");
        let again = read_query::<ConcertsQuery>(Some(&next)).expect("the next page's query is taken");
        let expected = ConcertsQuery { paging: Paging::Page { limit, after: Some(after) }, ..query };
        assert_eq!(again, expected, "the next page ({next}) is another search");
    }
}

/// What every search holds, paged or counted.
fn check_search(query: &ConcertsQuery) {
    if let Some(bands) = query.bands() {
        assert!((1..=1000).contains(&bands.len()), "{} bands", bands.len());
        assert!(bands.windows(2).all(|pair| pair[0] < pair[1]), "bands not once each, ascending: {bands:?}");
        assert!(bands.iter().all(|id| (1..=MAX_ID).contains(id)), "a band id out of range: {bands:?}");
    }
    if let Some(circle) = query.circle() {
        assert!((-90.0..=90.0).contains(&circle.latitude), "{circle:?}");
        assert!((-180.0..=180.0).contains(&circle.longitude), "{circle:?}");
        assert!(circle.radius.is_finite() && circle.radius >= 0.0, "{circle:?}");
    }
    if let (Some(from), Some(to)) = (query.dates.from, query.dates.to) {
        assert!(from <= to, "from {from} after to {to}");
    }
    if let Some(statuses) = &query.statuses {
        assert!(statuses.windows(2).all(|pair| pair[0] < pair[1]), "statuses not once each: {statuses:?}");
    }
    if query.sort == Sort::Nearest {
        assert!(!matches!(query.filter, Filter::Bands(_)), "nearest first without a circle");
    }
}

/// A concert to start a page after, in `sort`'s order.
fn some_place(sort: Sort) -> After {
    let last = Position { band_id: 12, venue_id: 345, date: 1_569_531_810_650 };
    match sort {
        Sort::NewestFirst => After::NewestFirst(last),
        Sort::SoonestFirst => After::SoonestFirst(last),
        Sort::Nearest => After::Nearest { km: 3.25, last },
    }
}

/// `GET /concerts/counts`: a search, never paged, split only as it can be.
fn counts(raw: &str) {
    let query = match read_query::<CountsQuery>(Some(raw)) {
        Ok(query) => query,
        Err(error) => return refused_politely(&error),
    };
    check_search(&query.search);
    assert_eq!(query.search.paging, Paging::Everything, "a count is not paged");
    if query.by == Some(concerts_model::GroupBy::Band) {
        assert!(query.search.bands().is_some(), "by=band without bandIds");
    }
    let _ = query.normalized();
}

/// `GET /bands` and `GET /venues`: a text of 1 to 100 characters that is
/// not only spaces, or up to 1000 ids.
fn names(raw: &str) {
    match read_query::<NamesQuery>(Some(raw)) {
        Ok(NamesQuery::Text { text, limit }) => {
            assert!(text.chars().count() <= MAX_TEXT, "{text:?}");
            assert!(text.chars().any(|c| !c.is_whitespace()), "a blank text: {text:?}");
            assert!((1..=MAX_NAMES).contains(&limit), "limit {limit}");
        }
        Ok(NamesQuery::Ids(ids)) => {
            assert!((1..=1000).contains(&ids.len()), "{} ids", ids.len());
            assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "ids not once each, ascending");
            assert!(ids.iter().all(|id| (1..=MAX_ID).contains(id)), "an id out of range: {ids:?}");
        }
        Err(error) => refused_politely(&error),
    }
}

/// `GET /changes`: its ranges, and its next page reads back as the same query.
fn changes(raw: &str) {
    let query = match read_query::<ChangesQuery>(Some(raw)) {
        Ok(query) => query,
        Err(error) => return refused_politely(&error),
    };
    assert!((1..=1000).contains(&query.limit), "limit {}", query.limit);
    assert!(query.wait.as_secs() <= 60, "wait {:?}", query.wait);
    assert!(!query.entities.is_empty(), "no entity");
    if let Some(bands) = &query.bands {
        assert!(bands.windows(2).all(|pair| pair[0] < pair[1]), "bands not once each: {bands:?}");
        assert!(bands.iter().all(|id| (1..=MAX_ID).contains(id)), "a band id out of range: {bands:?}");
    }
    let since = query.since.unwrap_or(FeedCursor { bands: 1, venues: 2, concerts: 3 });
    let next = query.next_page(since);
    let again = read_query::<ChangesQuery>(Some(&next)).expect("the next page's query is taken");
    assert_eq!(again, ChangesQuery { since: Some(since), ..query }, "the next page ({next}) is another query");
}
