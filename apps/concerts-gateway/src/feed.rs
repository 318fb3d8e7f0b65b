//! The public change feed (`GET /changes`): the three services' change logs
//! merged into one, read page by page with a cursor.
//!
//! - **A cursor** is the position read in each log ([`FeedCursor`]): a page
//!   starts right after it, so across pages no change is missed or
//!   repeated, whatever is written meanwhile. Each change carries the
//!   cursor that starts right after it.
//! - **The order** is by commit time, bands before venues before concerts
//!   at the same millisecond. A concert names a band and a venue that its
//!   service saw committed before it was written, so no concert comes
//!   before its band or its venue: the logs are read concerts first, then
//!   venues, then bands, so that whatever a concert change read names is
//!   read too.
//! - **Compaction.** A cursor older than what a log keeps gets 410: the
//!   follower reads the catalogue again, then follows from a new cursor.
//! - **Waiting.** With `wait`, a page with nothing new is held back until a
//!   log has a change or the seconds pass: each service holds its own read
//!   (its `wait`), and the first to answer with something wakes the feed.

use std::time::Duration;

use changes_model::{Change, ChangeKind, ChangePage};
use chrono::DateTime;
use exceptions::HttpError;
use futures::future::{BoxFuture, select_all};
use serde::Serialize;
use serde_json::Value;

use crate::clients::{Owner, Services};
use crate::context::RequestContext;
use crate::paging::FeedCursor;
use crate::query::{ChangesQuery, VenuePlaces};

/// The logs in the order the feed reads them (see the module's note).
const READ_ORDER: [Owner; 3] = [Owner::Concerts, Owner::Venues, Owner::Bands];

/// One change, as the feed shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FeedChange {
    /// Where the feed stands right after this change: `since` for what comes next.
    #[schema(example = "3-2-7")]
    pub cursor: String,
    /// `bands`, `venues` or `concerts`.
    #[schema(example = "concerts")]
    pub entity: &'static str,
    /// The record's id (none for `bulk`).
    #[schema(example = 7)]
    pub id: Option<i64>,
    pub kind: ChangeKind,
    /// When the change was committed (RFC 3339, UTC).
    #[schema(example = "2026-12-02T10:15:30.123Z")]
    pub at: String,
    /// The record after the change, as `GET /{entity}/{id}` answers it;
    /// none for `deleted` (a tombstone: the id is enough) and for `bulk` (an
    /// import: read the catalogue again).
    #[schema(value_type = Option<Object>)]
    pub record: Option<Value>,
}

/// One page of the feed, and where the next one starts.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedPage {
    pub changes: Vec<FeedChange>,
    pub next: FeedCursor,
}

/// The page `query` asks for, from the services' logs.
pub async fn read(services: &Services, context: &RequestContext, query: &ChangesQuery) -> Result<FeedPage, HttpError> {
    let started = query.since.unwrap_or_default();
    let deadline = tokio::time::Instant::now() + query.wait;
    let mut page = FeedPage { changes: Vec::new(), next: started };
    loop {
        let mut logs = Vec::with_capacity(READ_ORDER.len());
        for owner in READ_ORDER.into_iter().filter(|owner| query.entities.contains(owner)) {
            let after = page.next.of(owner);
            let log = services.changes_after(owner, context, after, query.limit, Duration::ZERO).await?;
            if query.since.is_some() && log.lost_after(started.of(owner)) {
                return Err(lost(owner, &log));
            }
            logs.push((owner, log));
        }
        let places = places_of(services, context, query, &logs).await?;
        page = merge(logs, page.next, query, &places);
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if !page.changes.is_empty() || left < Duration::from_secs(1) {
            return Ok(page);
        }
        // Nothing new (or nothing the filters keep): wait for the first log that changes.
        let waiting = RequestContext::new(context.request_id.clone(), left + context.budget);
        let waits: Vec<BoxFuture<'_, Result<ChangePage, HttpError>>> = READ_ORDER
            .into_iter()
            .filter(|owner| query.entities.contains(owner))
            .map(|owner| {
                let (after, waiting) = (page.next.of(owner), &waiting);
                Box::pin(services.changes_after(owner, waiting, after, 1, left)) as BoxFuture<'_, _>
            })
            .collect();
        let (first, _, _) = select_all(waits).await;
        if first?.changes.is_empty() {
            return Ok(page); // the wait is over
        }
    }
}

/// Where the venues of the concert changes read are, when a circle needs them.
async fn places_of(
    services: &Services,
    context: &RequestContext,
    query: &ChangesQuery,
    logs: &[(Owner, ChangePage)],
) -> Result<VenuePlaces, HttpError> {
    let concerts = logs.iter().filter(|(owner, _)| *owner == Owner::Concerts);
    let venues: Vec<i64> = concerts.flat_map(|(_, log)| query.venues_to_place(&log.changes)).collect();
    if venues.is_empty() {
        return Ok(VenuePlaces::new());
    }
    let found = services.venues.by_ids(context, &venues).await?;
    Ok(found.into_iter().map(|venue| (venue.id, (venue.latitude, venue.longitude))).collect())
}

fn lost(owner: Owner, log: &ChangePage) -> HttpError {
    HttpError::Gone(format!(
        "changes of {} before position {} were compacted away: read the catalogue again, then follow the feed \
         from the Link of a first page (GET /changes without since)",
        owner.name(),
        log.oldest.unwrap_or_default()
    ))
}

/// The next page from the logs read after `from`: their changes in commit
/// order (bands, venues, concerts at the same millisecond), at most the
/// query's `limit` of them read, those the filters keep shown.
fn merge(logs: Vec<(Owner, ChangePage)>, from: FeedCursor, query: &ChangesQuery, places: &VenuePlaces) -> FeedPage {
    let mut all: Vec<(Owner, Change)> =
        logs.into_iter().flat_map(|(owner, log)| log.changes.into_iter().map(move |change| (owner, change))).collect();
    all.sort_by_key(|(owner, change)| (change.at, rank(*owner), change.position));
    let mut next = from;
    let mut changes = Vec::new();
    for (owner, change) in all.into_iter().take(query.limit) {
        next.set(owner, change.position);
        if query.keeps(owner, &change, places) {
            changes.push(shown(owner, change, next));
        }
    }
    FeedPage { changes, next }
}

/// Bands before venues before concerts, at the same millisecond.
fn rank(owner: Owner) -> u8 {
    match owner {
        Owner::Bands => 0,
        Owner::Venues => 1,
        Owner::Concerts => 2,
    }
}

fn shown(owner: Owner, change: Change, cursor: FeedCursor) -> FeedChange {
    let at = DateTime::from_timestamp_millis(change.at)
        .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default();
    let record = if change.kind == ChangeKind::Deleted { None } else { change.record };
    FeedChange { cursor: cursor.to_string(), entity: owner.name(), id: change.id, kind: change.kind, at, record }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use venues_model::WithinRadius;

    fn change(position: i64, at: i64, kind: ChangeKind, record: Value) -> Change {
        Change { position, at, kind, id: record["id"].as_i64(), record: Some(record), previous: None }
    }

    fn log(changes: Vec<Change>) -> ChangePage {
        let last = changes.last().map_or(0, |change| change.position);
        ChangePage { changes, last, oldest: Some(1) }
    }

    fn query(limit: usize, bands: Option<Vec<i64>>) -> ChangesQuery {
        ChangesQuery { since: None, limit, wait: Duration::ZERO, entities: READ_ORDER.to_vec(), bands, circle: None }
    }

    fn merged(logs: Vec<(Owner, ChangePage)>, from: FeedCursor, query: &ChangesQuery) -> FeedPage {
        merge(logs, from, query, &VenuePlaces::new())
    }

    #[test]
    fn changes_come_in_commit_order_a_band_before_its_concert_at_the_same_millisecond() {
        let logs = vec![
            (Owner::Concerts, log(vec![change(1, 100, ChangeKind::Created, json!({"id": 9, "bandId": 5}))])),
            (Owner::Venues, log(vec![change(4, 90, ChangeKind::Updated, json!({"id": 2}))])),
            (Owner::Bands, log(vec![change(7, 100, ChangeKind::Created, json!({"id": 5}))])),
        ];
        let page = merged(logs, FeedCursor { bands: 6, venues: 3, concerts: 0 }, &query(10, None));
        let order: Vec<(&str, Option<i64>, &str)> =
            page.changes.iter().map(|c| (c.entity, c.id, c.cursor.as_str())).collect();
        assert_eq!(order, [("venues", Some(2), "6-4-0"), ("bands", Some(5), "7-4-0"), ("concerts", Some(9), "7-4-1")]);
        assert_eq!(page.next, FeedCursor { bands: 7, venues: 4, concerts: 1 });
        assert_eq!(page.changes[0].at, "1970-01-01T00:00:00.090Z");
    }

    #[test]
    fn a_page_stops_at_its_limit_and_the_cursor_after_what_it_read() {
        let concerts = (1..=5).map(|n| change(n, n * 10, ChangeKind::Created, json!({"id": n}))).collect();
        let bands = vec![change(1, 25, ChangeKind::Created, json!({"id": 1}))];
        let logs = vec![(Owner::Concerts, log(concerts)), (Owner::Bands, log(bands))];
        let page = merged(logs, FeedCursor::default(), &query(3, None));
        assert_eq!(page.changes.len(), 3);
        assert_eq!(page.next, FeedCursor { bands: 1, venues: 0, concerts: 2 }, "concerts 1, 2 and band 1 read");
    }

    #[test]
    fn a_tombstone_shows_no_record_and_filters_read_what_it_was() {
        let concerts = vec![
            change(1, 10, ChangeKind::Deleted, json!({"id": 1, "bandId": 5})),
            change(2, 20, ChangeKind::Created, json!({"id": 2, "bandId": 6})),
        ];
        let page = merged(vec![(Owner::Concerts, log(concerts))], FeedCursor::default(), &query(10, Some(vec![5])));
        assert_eq!(page.changes.len(), 1, "band 6's concert is not kept");
        assert_eq!((page.changes[0].id, page.changes[0].record.clone()), (Some(1), None));
        assert_eq!(page.next.concerts, 2, "what the filters drop is read past all the same");
    }

    #[test]
    fn a_circle_keeps_its_venues_the_concerts_at_them_and_every_band() {
        // Venue 1 in Paris, venue 2 in Lyon (392 km away); a 20 km circle around Paris.
        let places = VenuePlaces::from([(1, (48.8566, 2.3522)), (2, (45.764, 4.8357))]);
        let concert = |position, venue| {
            change(position, position * 10, ChangeKind::Created, json!({"id": position, "bandId": 5, "venueId": venue}))
        };
        let mut moved = change(3, 30, ChangeKind::Updated, json!({"id": 1, "bandId": 5, "venueId": 2}));
        moved.previous = Some(json!({"id": 1, "bandId": 5, "venueId": 1}));
        let concerts = vec![concert(1, 1), concert(2, 2), moved, concert(4, 99)];
        let venues = vec![
            change(1, 5, ChangeKind::Created, json!({"id": 1, "latitude": 48.8566, "longitude": 2.3522})),
            change(2, 6, ChangeKind::Created, json!({"id": 2, "latitude": 45.764, "longitude": 4.8357})),
        ];
        let bands = vec![change(1, 1, ChangeKind::Created, json!({"id": 5}))];
        let mut query = query(100, None);
        query.circle = Some(WithinRadius { latitude: 48.857931, longitude: 2.350144, radius: 20.0 });
        let logs = vec![(Owner::Concerts, log(concerts)), (Owner::Venues, log(venues)), (Owner::Bands, log(bands))];
        let page = merge(logs, FeedCursor::default(), &query, &places);
        let kept: Vec<(&str, Option<i64>)> = page.changes.iter().map(|c| (c.entity, c.id)).collect();
        assert_eq!(
            kept,
            [
                ("bands", Some(5)),
                ("venues", Some(1)),
                ("concerts", Some(1)),
                ("concerts", Some(1)),
                ("concerts", Some(4))
            ],
            "the Lyon venue and the concert there go; the one that moved to Lyon shows (leaving), the one whose venue is unknown too"
        );
        assert_eq!(query.venues_to_place(&[concert(7, 2), concert(8, 1), concert(9, 2)]), [1, 2]);
    }
}
