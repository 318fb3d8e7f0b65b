//! One behaviour, two backends: every concert store passes the same checks on
//! the same fixtures. Always against SQLite; against MongoDB when
//! `MONGODB_TEST_URI` is set (`make test-mongo`).

use std::cmp::Reverse;
use std::sync::Arc;

use bootstrap::RecordStore;
use concerts::store::{ConcertStore, Direction, MongoConcertStore, Side, SqliteConcertStore, mongo};
use concerts_model::{
    ConcertCounts, ConcertFilter, ConcertRecord, DateRange, GroupBy, NewConcert, Order, Position, Status,
};
use exceptions::WriteError;
use storage::mongo::{MongoDb, plan_stages};
use testkit::edits::Editing;
use testkit::{Backend, Place};

fn concert(band_id: i64, venue_id: i64, date: i64) -> NewConcert {
    NewConcert { band_id, venue_id, date, status: Status::Scheduled }
}

fn fixture() -> Vec<NewConcert> {
    vec![
        concert(1, 10, 1000),
        concert(1, 11, 3000),
        concert(2, 10, 2000),
        concert(2, 10, 3000),
        concert(3, 12, 3000),
        concert(1, 10, 5000),
    ]
}

/// (date, bandId, venueId) of each concert found (up to 10,000), in the order found.
async fn search(store: &dyn ConcertStore, bands: Option<&[i64]>, venues: Option<&[i64]>) -> Vec<(i64, i64, i64)> {
    page(store, bands, venues, 10_000, None).await
}

/// One page: at most `limit` concerts, right after `after`.
async fn page(
    store: &dyn ConcertStore,
    bands: Option<&[i64]>,
    venues: Option<&[i64]>,
    limit: usize,
    after: Option<(i64, i64, i64)>,
) -> Vec<(i64, i64, i64)> {
    page_of(store, &filter(bands, venues, DateRange::default()), limit, after).await
}

fn filter(bands: Option<&[i64]>, venues: Option<&[i64]>, dates: DateRange) -> ConcertFilter {
    ConcertFilter {
        band_ids: bands.map(<[i64]>::to_vec),
        venue_ids: venues.map(<[i64]>::to_vec),
        dates,
        statuses: None,
    }
}

/// One page of `filter`'s search, newest first, as (date, bandId, venueId).
async fn page_of(
    store: &dyn ConcertStore,
    filter: &ConcertFilter,
    limit: usize,
    after: Option<(i64, i64, i64)>,
) -> Vec<(i64, i64, i64)> {
    page_in(store, filter, Order::NewestFirst, limit, after).await
}

/// One page of `filter`'s search in `order`, as (date, bandId, venueId).
async fn page_in(
    store: &dyn ConcertStore,
    filter: &ConcertFilter,
    order: Order,
    limit: usize,
    after: Option<(i64, i64, i64)>,
) -> Vec<(i64, i64, i64)> {
    let after = after.map(|(date, band_id, venue_id)| Position { band_id, venue_id, date });
    let page = store.search(filter.clone(), order).page(after, limit).await.unwrap();
    page.iter().map(|c| (c.date, c.band_id, c.venue_id)).collect()
}

async fn open(backend: &Backend, check: &str) -> Arc<dyn ConcertStore> {
    match backend.place(check).await {
        Place::SqliteFile(path) => Arc::new(SqliteConcertStore::open(&path).await.unwrap()),
        Place::MongoDb(db) => Arc::new(MongoConcertStore::new(&db)),
    }
}

/// How much walking a backend's checks do. SQLite answers a page in
/// microseconds, so its run walks every answer at every page size; a page
/// from the MongoDB test server takes tens of milliseconds, so its run
/// walks smaller fixtures whole at the larger page sizes, and at one row a
/// page walks stretches that start at the beginning, in the middle (among
/// ties) and near the end. Every check is made on both.
#[derive(Clone, Copy)]
struct Walks {
    /// Concerts in the fixture of searches naming many keys.
    many_keys_fixture: i64,
    /// Concerts in the fixture of date ranges.
    dates_fixture: i64,
    /// At one concert a page: `None` walks the whole answer, `Some(n)` walks
    /// `n` pages from each of several starting points.
    one_row_stretch: Option<usize>,
}

const WHOLE: Walks = Walks { many_keys_fixture: 3000, dates_fixture: 400, one_row_stretch: None };
const STRETCHES: Walks = Walks { many_keys_fixture: 600, dates_fixture: 160, one_row_stretch: Some(12) };

/// Every check, each on a fresh, empty store.
async fn conformance(backend: Backend, walks: Walks) {
    by_band_newest_first_ties_by_band_then_venue(open(&backend, "bands").await).await;
    by_venue_and_by_both(open(&backend, "venues").await).await;
    a_large_search_is_in_the_total_order(open(&backend, "order").await).await;
    pages_walk_the_same_order_without_gap_or_repeat(open(&backend, "pages").await, walks).await;
    searches_naming_many_keys_walk_the_same_order(open(&backend, "many").await, walks).await;
    concerts_imported_later_take_their_place(open(&backend, "later").await).await;
    date_ranges_narrow_every_search_and_its_pages(open(&backend, "dates").await, walks).await;
    every_order_walks_its_pages_without_gap_or_repeat(open(&backend, "orders").await, walks).await;
    counts_are_the_count_of_the_answer(open(&backend, "counts").await).await;
    an_empty_store_says_so_and_finds_nothing(open(&backend, "empty").await).await;
    importing_twice_adds_nothing_twice(open(&backend, "reimport").await).await;
    let edited = open(&backend, "edits").await;
    testkit::edits::conformance(edited.clone(), edited, EDITING).await;
    a_concert_written_alone_takes_its_place_in_every_search(open(&backend, "edited").await).await;
    two_concerts_never_share_a_place(open(&backend, "unique").await).await;
    statuses_narrow_a_search(open(&backend, "statuses").await).await;
    the_concerts_of_a_band_or_venue_are_counted_and_deleted(open(&backend, "of").await).await;
    backend.clean_up().await;
}

const EDITING: Editing<ConcertRecord, NewConcert> = Editing {
    draft: |n| concert(900 + i64::from(n), 90, 1_000_000 + i64::from(n)),
    id: |concert| concert.id,
    change: |concert| ConcertRecord { date: concert.date + 7, status: Status::Rescheduled, ..*concert },
};

/// (date, bandId, venueId, status) of each concert of `filter`, in order.
async fn found(store: &dyn ConcertStore, filter: &ConcertFilter) -> Vec<(i64, i64, i64, Status)> {
    let page = store.search(filter.clone(), Order::NewestFirst).page(None, 10_000).await.unwrap();
    page.iter().map(|c| (c.date, c.band_id, c.venue_id, c.status)).collect()
}

async fn a_concert_written_alone_takes_its_place_in_every_search(store: Arc<dyn ConcertStore>) {
    store.upsert(fixture()).await.unwrap();
    let at_10 = filter(None, Some(&[10]), DateRange::default());
    let of_1 = filter(Some(&[1]), None, DateRange::default());
    let made = store.create(concert(1, 10, 4000), None).await.unwrap().revised.record;
    assert_eq!(made.id, 7, "after the six imported");
    let scheduled = Status::Scheduled;
    assert_eq!(
        found(store.as_ref(), &at_10).await,
        [
            (5000, 1, 10, scheduled),
            (4000, 1, 10, scheduled),
            (3000, 2, 10, scheduled),
            (2000, 2, 10, scheduled),
            (1000, 1, 10, scheduled)
        ]
    );
    let page = store.search(at_10.clone(), Order::NewestFirst).page(None, 2).await.unwrap();
    assert_eq!(page[1].id, made.id, "found with its id");

    // Rescheduled to another venue and date: gone from where it was, found where it is.
    let moved =
        ConcertRecord { venue_id: 11, date: 6000, status: Status::Rescheduled, previous_date: Some(4000), ..made };
    let revised = store.update(made.id, Some(1), Box::new(move |_| Ok(moved))).await.unwrap();
    assert_eq!(revised.record, moved);
    assert_eq!(store.get(made.id).await.unwrap().unwrap().record, moved);
    assert_eq!(found(store.as_ref(), &at_10).await.len(), 4);
    let at_11 = filter(None, Some(&[11]), DateRange::default());
    assert_eq!(found(store.as_ref(), &at_11).await, [(6000, 1, 11, Status::Rescheduled), (3000, 1, 11, scheduled)]);
    assert_eq!(found(store.as_ref(), &of_1).await[0], (6000, 1, 11, Status::Rescheduled));

    // Cancelled: still found, with its status; deleted: found nowhere.
    let cancelled = ConcertRecord { status: Status::Cancelled, ..moved };
    store.update(made.id, None, Box::new(move |_| Ok(cancelled))).await.unwrap();
    assert_eq!(found(store.as_ref(), &at_11).await[0], (6000, 1, 11, Status::Cancelled));
    store.delete(made.id, None).await.unwrap();
    assert_eq!(found(store.as_ref(), &at_11).await, [(3000, 1, 11, scheduled)]);
    assert_eq!(found(store.as_ref(), &of_1).await.len(), 3);
}

async fn two_concerts_never_share_a_place(store: Arc<dyn ConcertStore>) {
    store.upsert(fixture()).await.unwrap();
    let taken = store.create(concert(1, 10, 5000), None).await;
    assert!(matches!(taken, Err(WriteError::Conflict(_))), "the band already plays there then: {taken:?}");
    let made = store.create(concert(1, 10, 5001), None).await.unwrap().revised.record;
    let onto = store.update(made.id, None, Box::new(|c| Ok(ConcertRecord { date: 5000, ..*c }))).await;
    assert!(matches!(onto, Err(WriteError::Conflict(_))), "{onto:?}");
    assert_eq!(store.get(made.id).await.unwrap().unwrap().record.date, 5001, "unchanged");
    // An import of a concert already there keeps the one there, its id and status.
    let cancelled =
        store.update(made.id, None, Box::new(|c| Ok(ConcertRecord { status: Status::Cancelled, ..*c }))).await;
    cancelled.unwrap();
    store.upsert(vec![concert(1, 10, 5001)]).await.unwrap();
    let kept = store.get(made.id).await.unwrap().unwrap().record;
    assert_eq!((kept.id, kept.status), (made.id, Status::Cancelled));
}

async fn statuses_narrow_a_search(store: Arc<dyn ConcertStore>) {
    store.upsert(fixture()).await.unwrap();
    let of_2 = filter(Some(&[2]), None, DateRange::default());
    let first = store.search(of_2.clone(), Order::NewestFirst).page(None, 1).await.unwrap()[0];
    store.update(first.id, None, Box::new(|c| Ok(ConcertRecord { status: Status::Postponed, ..*c }))).await.unwrap();
    let only = |statuses: &[Status]| ConcertFilter { statuses: Some(statuses.to_vec()), ..of_2.clone() };
    assert_eq!(found(store.as_ref(), &only(&[Status::Scheduled])).await, [(2000, 2, 10, Status::Scheduled)]);
    assert_eq!(found(store.as_ref(), &only(&[Status::Postponed])).await, [(3000, 2, 10, Status::Postponed)]);
    assert_eq!(found(store.as_ref(), &only(&[Status::Cancelled, Status::Rescheduled])).await, []);
    assert_eq!(found(store.as_ref(), &of_2).await.len(), 2, "every status without the filter");
    let at_10 =
        ConcertFilter { statuses: Some(vec![Status::Scheduled]), ..filter(None, Some(&[10]), DateRange::default()) };
    assert_eq!(found(store.as_ref(), &at_10).await.len(), 3, "by venue too");
}

async fn the_concerts_of_a_band_or_venue_are_counted_and_deleted(store: Arc<dyn ConcertStore>) {
    store.upsert(fixture()).await.unwrap();
    assert_eq!(store.count_of(Side::Band(1)).await.unwrap(), 3);
    assert_eq!(store.count_of(Side::Venue(10)).await.unwrap(), 4);
    assert_eq!(store.count_of(Side::Band(99)).await.unwrap(), 0);
    assert_eq!(store.delete_all_of(Side::Venue(10)).await.unwrap(), 4);
    assert_eq!(store.count_of(Side::Band(1)).await.unwrap(), 1);
    let everything = filter(Some(&[1, 2, 3]), None, DateRange::default());
    assert_eq!(found(store.as_ref(), &everything).await.len(), 2);
    assert_eq!(found(store.as_ref(), &filter(None, Some(&[10]), DateRange::default())).await, []);
    assert_eq!(store.delete_all_of(Side::Band(1)).await.unwrap(), 1);
    assert_eq!(store.delete_all_of(Side::Band(1)).await.unwrap(), 0);
}

async fn by_band_newest_first_ties_by_band_then_venue(store: Arc<dyn ConcertStore>) {
    assert_eq!(store.upsert(fixture()).await.unwrap(), 6);
    assert_eq!(search(store.as_ref(), Some(&[1]), None).await, vec![(5000, 1, 10), (3000, 1, 11), (1000, 1, 10)]);
    assert_eq!(
        search(store.as_ref(), Some(&[3, 1, 2]), None).await,
        vec![(5000, 1, 10), (3000, 3, 12), (3000, 2, 10), (3000, 1, 11), (2000, 2, 10), (1000, 1, 10)]
    );
    assert_eq!(search(store.as_ref(), Some(&[99]), None).await, vec![]);
}

async fn by_venue_and_by_both(store: Arc<dyn ConcertStore>) {
    store.upsert(fixture()).await.unwrap();
    assert_eq!(
        search(store.as_ref(), None, Some(&[10])).await,
        vec![(5000, 1, 10), (3000, 2, 10), (2000, 2, 10), (1000, 1, 10)]
    );
    assert_eq!(
        search(store.as_ref(), None, Some(&[12, 11])).await,
        vec![(3000, 3, 12), (3000, 1, 11)],
        "same date: band descending"
    );
    // Both lists: the band is in the first AND the venue in the second.
    assert_eq!(search(store.as_ref(), Some(&[2]), Some(&[10, 12])).await, vec![(3000, 2, 10), (2000, 2, 10)]);
    assert_eq!(search(store.as_ref(), Some(&[3]), Some(&[10])).await, vec![]);
    assert_eq!(search(store.as_ref(), None, None).await, vec![]);
}

/// Hundreds of concerts with few distinct dates, so that the tie-breaks
/// decide most of the order; expected by a plain sort here.
async fn a_large_search_is_in_the_total_order(store: Arc<dyn ConcertStore>) {
    let concerts: Vec<NewConcert> = (0..600).map(|i| concert(1 + i % 7, 100 + (i * 5) % 11, 1000 * (i % 4))).collect();
    store.upsert(concerts.clone()).await.unwrap();
    let bands = [1, 3, 4, 6];
    let venues = [100, 101, 102, 103, 104, 105];
    let mut expected: Vec<(i64, i64, i64)> = concerts
        .iter()
        .filter(|c| bands.contains(&c.band_id) && venues.contains(&c.venue_id))
        .map(|c| (c.date, c.band_id, c.venue_id))
        .collect();
    expected.sort_unstable_by_key(|&key| Reverse(key));
    expected.dedup();
    assert!(expected.len() > 50, "the fixture exercises the order: {}", expected.len());
    assert_eq!(search(store.as_ref(), Some(&bands), Some(&venues)).await, expected);
}

/// Pages of every size, by bands, by venues and by both, walked by their last
/// concert, give the whole answer once and in order.
async fn pages_walk_the_same_order_without_gap_or_repeat(store: Arc<dyn ConcertStore>, walks: Walks) {
    let concerts: Vec<NewConcert> = (0..300).map(|i| concert(1 + i % 7, 100 + (i * 5) % 11, 1000 * (i % 4))).collect();
    store.upsert(concerts).await.unwrap();
    let bands: &[i64] = &[1, 3, 4, 6];
    let venues: &[i64] = &[100, 101, 102, 103, 104, 105];
    for (bands, venues) in [(Some(bands), None), (None, Some(venues)), (Some(bands), Some(venues))] {
        let whole = search(store.as_ref(), bands, venues).await;
        for limit in [1, 7, 50] {
            let what = format!("bands {bands:?}, venues {venues:?}, pages of {limit}");
            let filter = filter(bands, venues, DateRange::default());
            walk_and_compare(store.as_ref(), (&filter, Order::NewestFirst), limit, &whole, walks, &what).await;
        }
    }
}

/// Walks the pages of `limit` of a search and compares them with
/// `expected`, the whole answer: all of it, or for pages of one row when the
/// backend walks stretches, stretches from the start, the middle and the end.
async fn walk_and_compare(
    store: &dyn ConcertStore,
    (filter, order): (&ConcertFilter, Order),
    limit: usize,
    expected: &[(i64, i64, i64)],
    walks: Walks,
    what: &str,
) {
    let stretch = walks.one_row_stretch.filter(|_| limit == 1);
    let starts: Vec<usize> = match stretch {
        None => vec![0],
        Some(_) => vec![0, expected.len() / 3, expected.len() / 2, expected.len().saturating_sub(5)],
    };
    for start in starts {
        let mut after = start.checked_sub(1).map(|previous| expected[previous]);
        let mut walked = Vec::new();
        let most_pages = stretch.unwrap_or(expected.len() / limit + 2);
        for _ in 0..most_pages {
            let next = page_in(store, filter, order, limit, after).await;
            assert!(next.len() <= limit, "{what}");
            let done = next.len() < limit;
            after = next.last().copied();
            walked.extend(next);
            if done {
                break;
            }
        }
        let end = if stretch.is_some() { (start + walked.len()).min(expected.len()) } else { expected.len() };
        assert_eq!(walked, expected[start..end], "{what}, from concert {start}");
        if let Some(pages) = stretch {
            assert_eq!(
                walked.len(),
                pages.min(expected.len() - start),
                "{what}, from concert {start}: every page full"
            );
        }
    }
}

/// Searches naming dozens of bands or venues (a geo search names hundreds),
/// some holding many of the concerts and some few, walked in pages of every
/// size: the same answer as a plain filter and sort, whatever way the store
/// reads them.
async fn searches_naming_many_keys_walk_the_same_order(store: Arc<dyn ConcertStore>, walks: Walks) {
    let concerts: Vec<NewConcert> =
        (0..walks.many_keys_fixture).map(|i| concert(1 + i % 50, 100 + (i * 7) % 120, (i * 13) % 500)).collect();
    store.upsert(concerts.clone()).await.unwrap();
    let dense_venues: Vec<i64> = (100..150).collect();
    let sparse_venues: Vec<i64> = (100..220).step_by(6).collect();
    let some_bands: Vec<i64> = (1..=20).collect();
    let searches = [
        (None, Some(dense_venues.as_slice())),
        (None, Some(sparse_venues.as_slice())),
        (Some(some_bands.as_slice()), None),
        (Some(some_bands.as_slice()), Some(dense_venues.as_slice())),
    ];
    for (bands, venues) in searches {
        let mut expected: Vec<(i64, i64, i64)> = concerts
            .iter()
            .filter(|c| bands.is_none_or(|ids| ids.contains(&c.band_id)))
            .filter(|c| venues.is_none_or(|ids| ids.contains(&c.venue_id)))
            .map(|c| (c.date, c.band_id, c.venue_id))
            .collect();
        expected.sort_unstable_by_key(|&key| Reverse(key));
        expected.dedup();
        assert!(expected.len() > 50, "the search spans pages: {}", expected.len());
        for limit in [1, 9, 101, 1001] {
            let what = format!("bands {bands:?}, venues {venues:?}, pages of {limit}");
            let filter = filter(bands, venues, DateRange::default());
            walk_and_compare(store.as_ref(), (&filter, Order::NewestFirst), limit, &expected, walks, &what).await;
        }
    }
}

/// Soonest first, and the venues in a given order (each venue's concerts
/// soonest first), by bands, by one venue, by many and by both, over date
/// ranges and statuses: each order against a plain filter and sort, walked
/// in pages of every size.
async fn every_order_walks_its_pages_without_gap_or_repeat(store: Arc<dyn ConcertStore>, walks: Walks) {
    let concerts: Vec<NewConcert> = (0..walks.dates_fixture * 2)
        .map(|i| {
            let status = if i % 7 == 3 { Status::Cancelled } else { Status::Scheduled };
            NewConcert { status, ..concert(1 + i % 9, 100 + (i * 7) % 40, 1000 * (i % 50)) }
        })
        .collect();
    store.upsert(concerts.clone()).await.unwrap();
    // The venues in an order of their own (as distances would give), not by id.
    let mut many_venues: Vec<i64> = (100..130).collect();
    many_venues.sort_by_key(|venue| (venue * 17) % 31);
    let searches: [Keys; 5] = [
        (Some(&[2, 5]), None),
        (None, Some(&[107])),
        (None, Some(&many_venues)),
        (Some(&[2, 5, 7]), Some(&many_venues)),
        (Some(&[2, 5, 7]), Some(&[129, 101, 120])),
    ];
    let ranges = [
        DateRange::default(),
        DateRange { from: Some(12_000), to: Some(31_000) },
        DateRange { from: Some(7000), to: Some(7000) },
        DateRange { from: None, to: Some(9000) },
    ];
    let kept_statuses = [None, Some(vec![Status::Scheduled])];
    // Statuses with every range where pages are cheap; with the whole range elsewhere.
    let limits: &[usize] = if walks.one_row_stretch.is_some() { &[7, 101] } else { &[1, 7, 101] };
    for (bands, venues) in searches {
        for dates in ranges {
            let statuses_tried = if walks.one_row_stretch.is_none() || dates == DateRange::default() { 2 } else { 1 };
            for statuses in &kept_statuses[..statuses_tried] {
                let matches: Vec<&NewConcert> = concerts
                    .iter()
                    .filter(|c| bands.is_none_or(|ids| ids.contains(&c.band_id)))
                    .filter(|c| venues.is_none_or(|ids| ids.contains(&c.venue_id)))
                    .filter(|c| dates.contains(c.date))
                    .filter(|c| statuses.as_ref().is_none_or(|kept| kept.contains(&c.status)))
                    .collect();
                let filter = ConcertFilter { statuses: statuses.clone(), ..filter(bands, venues, dates) };
                let mut soonest: Vec<(i64, i64, i64)> =
                    matches.iter().map(|c| (c.date, c.band_id, c.venue_id)).collect();
                soonest.sort_unstable();
                soonest.dedup();
                let mut orders = vec![(Order::SoonestFirst, soonest)];
                if let Some(venues) = venues {
                    let rank = |venue: i64| venues.iter().position(|v| *v == venue);
                    let mut by_venue: Vec<(Option<usize>, i64, i64, i64)> =
                        matches.iter().map(|c| (rank(c.venue_id), c.date, c.band_id, c.venue_id)).collect();
                    by_venue.sort_unstable();
                    by_venue.dedup();
                    let in_venue_order =
                        by_venue.into_iter().map(|(_, date, band, venue)| (date, band, venue)).collect();
                    orders.push((Order::VenuesInOrder, in_venue_order));
                }
                for (order, expected) in orders {
                    assert_eq!(
                        page_in(store.as_ref(), &filter, order, 10_000, None).await,
                        expected,
                        "{order:?} {filter:?}"
                    );
                    for &limit in limits {
                        let what = format!("{order:?} {filter:?}, pages of {limit}");
                        walk_and_compare(store.as_ref(), (&filter, order), limit, &expected, walks, &what).await;
                    }
                }
            }
        }
    }
}

/// The counts of a search, in all and by month, year, venue and band, are
/// what counting its answer gives: by bands, by venues and by both, over
/// whole and partial months, by status, and after every kind of write.
async fn counts_are_the_count_of_the_answer(store: Arc<dyn ConcertStore>) {
    const DAY: i64 = 86_400_000;
    // 2019-01-01T00:00:00Z, then a concert every 5 days and 7 hours: about
    // six a month, over a year and a half.
    let start = 1_546_300_800_000;
    let concerts: Vec<NewConcert> = (0..110)
        .map(|i| {
            let status = if i % 6 == 1 { Status::Cancelled } else { Status::Scheduled };
            NewConcert { status, ..concert(1 + i % 5, 100 + (i * 3) % 8, start + i * (5 * DAY + 7 * 3_600_000)) }
        })
        .collect();
    store.upsert(concerts).await.unwrap();
    let june = 1_559_347_200_000; // 2019-06-01T00:00:00Z
    // Venues naming most of them too: counted as all venues less the others.
    let searches: [Keys; 5] = [
        (Some(&[1, 3]), None),
        (None, Some(&[101, 104, 106])),
        (None, Some(&[100, 101, 102, 103, 104, 106, 107])),
        (Some(&[2, 3, 4]), Some(&[100, 101, 105])),
        (Some(&[5]), None),
    ];
    let ranges = [
        DateRange::default(),
        DateRange { from: Some(june), to: None },
        DateRange { from: None, to: Some(june - 1) },
        DateRange { from: Some(june + 3 * DAY + 5), to: Some(june + 95 * DAY) },
        DateRange { from: Some(june + DAY), to: Some(june + 9 * DAY) },
    ];
    let check = |store: Arc<dyn ConcertStore>, what: &'static str| async move {
        for (bands, venues) in searches {
            for dates in ranges {
                for statuses in [None, Some(vec![Status::Scheduled])] {
                    let filter = ConcertFilter { statuses, ..filter(bands, venues, dates) };
                    let answer = store.search(filter.clone(), Order::NewestFirst).page(None, 10_000).await.unwrap();
                    let groupings =
                        [None, Some(GroupBy::Month), Some(GroupBy::Year), Some(GroupBy::Venue), Some(GroupBy::Band)];
                    for by in groupings {
                        // A venues' count split by band is not asked of the store (the gateway refuses it).
                        if by == Some(GroupBy::Band) && bands.is_none() {
                            continue;
                        }
                        let mut expected = std::collections::BTreeMap::<i64, u64>::new();
                        for concert in &answer {
                            let key = match by {
                                Some(GroupBy::Month) => {
                                    let day = chrono::DateTime::from_timestamp_millis(concert.date).unwrap();
                                    i64::from(chrono::Datelike::year(&day)) * 100
                                        + i64::from(chrono::Datelike::month(&day))
                                }
                                Some(GroupBy::Year) => i64::from(chrono::Datelike::year(
                                    &chrono::DateTime::from_timestamp_millis(concert.date).unwrap(),
                                )),
                                Some(GroupBy::Venue) => concert.venue_id,
                                Some(GroupBy::Band) => concert.band_id,
                                None => 0,
                            };
                            *expected.entry(key).or_default() += 1;
                        }
                        let expected = ConcertCounts {
                            total: answer.len() as u64,
                            groups: if by.is_some() { expected.into_iter().collect() } else { Vec::new() },
                        };
                        let counted = store.count(filter.clone(), by).await.unwrap();
                        assert_eq!(counted, expected, "{what}: {filter:?} by {by:?}");
                    }
                }
            }
        }
    };
    check(store.clone(), "imported").await;
    // Writes of every kind: made, moved to another month and venue, cancelled, deleted, a band's all deleted.
    let made = store.create(concert(3, 101, june + 2 * DAY), None).await.unwrap().revised.record;
    let moved = ConcertRecord { date: june + 40 * DAY, venue_id: 104, ..made };
    store.update(made.id, None, Box::new(move |_| Ok(moved))).await.unwrap();
    let first =
        store.search(filter(Some(&[1]), None, DateRange::default()), Order::NewestFirst).page(None, 2).await.unwrap();
    store.update(first[0].id, None, Box::new(|c| Ok(ConcertRecord { status: Status::Cancelled, ..*c }))).await.unwrap();
    store.delete(first[1].id, None).await.unwrap();
    store.delete_all_of(Side::Band(4)).await.unwrap();
    check(store.clone(), "written").await;
}

/// A venue with a long history, then concerts imported newer, older and in
/// between: every search by venue sees each where it belongs, at once.
async fn concerts_imported_later_take_their_place(store: Arc<dyn ConcertStore>) {
    let mut all: Vec<NewConcert> = (0..150).map(|i| concert(1 + i % 3, 7, 1000 + 10 * i)).collect();
    store.upsert(all.clone()).await.unwrap();
    assert_eq!(search(store.as_ref(), None, Some(&[7])).await.len(), 150);
    for batch in [
        vec![concert(9, 7, 5000)],
        vec![concert(9, 7, 1)],
        vec![concert(9, 7, 1205), concert(9, 7, 2395), concert(8, 8, 1200)],
    ] {
        store.upsert(batch.clone()).await.unwrap();
        all.extend(batch);
        let mut expected: Vec<(i64, i64, i64)> =
            all.iter().filter(|c| c.venue_id == 7).map(|c| (c.date, c.band_id, c.venue_id)).collect();
        expected.sort_unstable_by_key(|&key| Reverse(key));
        for limit in [1, 5, 100, 1000] {
            assert_eq!(
                page(store.as_ref(), None, Some(&[7]), limit, None).await,
                expected[..limit.min(expected.len())]
            );
        }
        let at_7_or_8 = all.iter().filter(|c| [7, 8].contains(&c.venue_id)).count();
        assert_eq!(page(store.as_ref(), None, Some(&[7, 8]), 1000, None).await.len(), at_7_or_8);
    }
}

/// The bands and the venues a search names.
type Keys<'a> = (Option<&'a [i64]>, Option<&'a [i64]>);

/// A date range (either end, both, one day, none at all) narrows searches by
/// bands, by one venue, by many venues and by both; their pages walk the
/// range without gap or repeat.
async fn date_ranges_narrow_every_search_and_its_pages(store: Arc<dyn ConcertStore>, walks: Walks) {
    let concerts: Vec<NewConcert> =
        (0..walks.dates_fixture).map(|i| concert(1 + i % 9, 100 + (i * 7) % 40, 1000 * (i % 50))).collect();
    store.upsert(concerts.clone()).await.unwrap();
    let many_venues: Vec<i64> = (100..130).collect();
    let searches: [Keys; 4] = [
        (Some(&[2, 5]), None),
        (None, Some(&[107])),
        (None, Some(&many_venues)),
        (Some(&[2, 5, 7]), Some(&many_venues)),
    ];
    let ranges = [
        DateRange { from: Some(10_000), to: None },
        DateRange { from: None, to: Some(20_000) },
        DateRange { from: Some(12_000), to: Some(31_000) },
        DateRange { from: Some(7000), to: Some(7000) },
        DateRange { from: Some(7001), to: Some(7999) },
    ];
    for (bands, venues) in searches {
        for dates in ranges {
            let mut expected: Vec<(i64, i64, i64)> = concerts
                .iter()
                .filter(|c| bands.is_none_or(|ids| ids.contains(&c.band_id)))
                .filter(|c| venues.is_none_or(|ids| ids.contains(&c.venue_id)))
                .filter(|c| dates.contains(c.date))
                .map(|c| (c.date, c.band_id, c.venue_id))
                .collect();
            expected.sort_unstable_by_key(|&key| Reverse(key));
            expected.dedup();
            let filter = filter(bands, venues, dates);
            assert_eq!(page_of(store.as_ref(), &filter, 10_000, None).await, expected, "{filter:?}");
            for limit in [1, 7] {
                let what = format!("{filter:?}, pages of {limit}");
                walk_and_compare(store.as_ref(), (&filter, Order::NewestFirst), limit, &expected, walks, &what).await;
            }
        }
    }
    let none = filter(None, None, DateRange { from: Some(0), to: Some(50_000) });
    assert_eq!(page_of(store.as_ref(), &none, 100, None).await, vec![], "a date range is not a search on its own");
}

async fn an_empty_store_says_so_and_finds_nothing(store: Arc<dyn ConcertStore>) {
    assert!(store.is_empty().await.unwrap());
    assert_eq!(search(store.as_ref(), Some(&[1]), None).await, vec![]);
    assert_eq!(search(store.as_ref(), None, Some(&[10])).await, vec![]);
    store.upsert(vec![concert(1, 10, 1000)]).await.unwrap();
    assert!(!store.is_empty().await.unwrap());
}

async fn importing_twice_adds_nothing_twice(store: Arc<dyn ConcertStore>) {
    let before = store.data_version().await.unwrap();
    store.upsert(fixture()).await.unwrap();
    assert_ne!(store.data_version().await.unwrap(), before, "an import changes the data's version");
    let before = search(store.as_ref(), Some(&[1, 2, 3]), None).await;
    store.upsert(fixture()).await.unwrap();
    // The same concert twice in one batch is kept once too.
    store.upsert(vec![concert(3, 12, 3000), concert(3, 12, 3000)]).await.unwrap();
    assert_eq!(search(store.as_ref(), Some(&[1, 2, 3]), None).await, before);
    // Same band and venue on another date is another concert.
    store.upsert(vec![concert(3, 12, 4000)]).await.unwrap();
    assert_eq!(search(store.as_ref(), Some(&[3]), None).await, vec![(4000, 3, 12), (3000, 3, 12)]);
}

#[tokio::test]
async fn the_sqlite_store_conforms() {
    conformance(Backend::sqlite(), WHOLE).await;
}

#[tokio::test]
async fn the_mongodb_store_conforms() {
    if let Some(backend) = Backend::mongodb("concerts store conformance") {
        let db = match backend.place("explain").await {
            Place::MongoDb(db) => db,
            Place::SqliteFile(_) => panic!("a MongoDB backend gives MongoDB places"),
        };
        searches_are_served_by_their_compound_indexes(&db).await;
        conformance(backend, STRETCHES).await;
    }
}

/// The pages the store asks for, explained by the server: a band search
/// scans the identity index (band, date, venue), a venue search the venue
/// index (venue, date, band), first pages and later ones alike, newest and
/// soonest first; never a collection scan.
async fn searches_are_served_by_their_compound_indexes(db: &MongoDb) {
    let store = MongoConcertStore::new(db);
    store.upsert((0..500).map(|i| concert(1 + i % 40, 100 + i % 30, i * 7)).collect()).await.unwrap();
    let concerts = db.collection("concerts", Vec::new());
    let after = concert(3, 110, 2000).position();
    let searches = [
        (ConcertFilter { band_ids: Some(vec![3, 7]), ..ConcertFilter::default() }, mongo::BAND_INDEX),
        (ConcertFilter { venue_ids: Some(vec![110, 111, 112]), ..ConcertFilter::default() }, mongo::VENUE_INDEX),
        (
            ConcertFilter {
                band_ids: Some(vec![3]),
                dates: DateRange { from: Some(700), to: Some(2100) },
                ..ConcertFilter::default()
            },
            mongo::BAND_INDEX,
        ),
    ];
    let directions = [Direction::NewestFirst, Direction::SoonestFirst];
    for (filter, index) in searches {
        for (after, direction) in [None, Some(&after)].into_iter().flat_map(|after| directions.map(|d| (after, d))) {
            for query in mongo::page_queries(&filter, after, 10, direction) {
                let what = format!("{:?}", query.filter);
                let stages = plan_stages(&concerts.explain(query).await.unwrap());
                assert!(stages.contains(&("IXSCAN".to_owned(), Some(index.to_owned()))), "{what}: {stages:?}");
                assert!(!stages.iter().any(|(stage, _)| stage == "COLLSCAN"), "{what}: {stages:?}");
            }
        }
    }
}

/// A store made before counts were kept counts its concerts when it opens;
/// a bulk load counts again what it took in.
#[tokio::test]
async fn counts_are_made_for_an_older_store_and_after_a_bulk_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("concerts.sqlite3");
    let june = 1_559_347_200_000;
    let store = SqliteConcertStore::open(&path).await.unwrap();
    store.upsert((0..40).map(|i| concert(1 + i % 3, 7 + i % 2, june + i * 86_400_000)).collect()).await.unwrap();
    drop(store);
    let connection = storage::sqlite::rusqlite::Connection::open(&path).unwrap();
    connection.execute_batch("DROP TABLE month_counts").unwrap();
    drop(connection);
    let reopened = SqliteConcertStore::open(&path).await.unwrap();
    let by_month = |bands: Option<&[i64]>, venues: Option<&[i64]>| filter(bands, venues, DateRange::default());
    let june_and_july = |total| ConcertCounts { total, groups: vec![(201906, total - 10), (201907, 10)] };
    // 30 days of June, then 10 of July.
    assert_eq!(
        reopened.count(by_month(Some(&[1, 2, 3]), None), Some(GroupBy::Month)).await.unwrap(),
        june_and_july(40)
    );
    assert_eq!(reopened.count(by_month(None, Some(&[7, 8])), Some(GroupBy::Month)).await.unwrap(), june_and_july(40));

    reopened.stage((0..10).map(|i| concert(5, 7, june + (40 + i) * 86_400_000)).collect()).await.unwrap();
    assert_eq!(reopened.commit_staged().await.unwrap(), 10);
    let counted = reopened.count(by_month(None, Some(&[7])), Some(GroupBy::Month)).await.unwrap();
    assert_eq!(
        counted,
        ConcertCounts { total: 30, groups: vec![(201906, 15), (201907, 15)] },
        "every other day, then 10"
    );
    let counted = reopened.count(by_month(Some(&[5]), None), None).await.unwrap();
    assert_eq!(counted, ConcertCounts { total: 10, groups: vec![] });
    drop(reopened);

    // A store with month counts but no day counts yet counts its days at open:
    // all venues from a moment inside a month, its whole days from them.
    let connection = storage::sqlite::rusqlite::Connection::open(&path).unwrap();
    connection.execute_batch("DROP TABLE day_counts").unwrap();
    drop(connection);
    let reopened = SqliteConcertStore::open(&path).await.unwrap();
    let from_june_10 = DateRange { from: Some(june + 9 * 86_400_000 + 5), to: None };
    let counted = reopened.count(filter(None, Some(&[7, 8]), from_june_10), Some(GroupBy::Month)).await.unwrap();
    assert_eq!(
        counted,
        ConcertCounts { total: 40, groups: vec![(201906, 20), (201907, 20)] },
        "June 11 to 30, then July's 10 and the bulk load's 10"
    );
}

/// Counts and each venue's newest concerts are rebuilt in memory when the
/// store opens: a restarted service must answer venue searches as before.
#[tokio::test]
async fn a_reopened_sqlite_store_answers_venue_searches_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("concerts.sqlite3");
    let mut all: Vec<NewConcert> = (0..40).map(|i| concert(1 + i % 3, 7, 1000 + 10 * i)).collect();
    all.extend((0..20).map(|i| concert(4, 100 + i, 500 + i)));
    let store = SqliteConcertStore::open(&path).await.unwrap();
    store.upsert(all.clone()).await.unwrap();
    drop(store);
    let reopened = SqliteConcertStore::open(&path).await.unwrap();
    // One venue (read venue by venue) and many (read along the dates).
    let many: Vec<i64> = std::iter::once(7).chain(100..120).collect();
    for venues in [vec![7], many] {
        let mut expected: Vec<(i64, i64, i64)> =
            all.iter().filter(|c| venues.contains(&c.venue_id)).map(|c| (c.date, c.band_id, c.venue_id)).collect();
        expected.sort_unstable_by_key(|&key| Reverse(key));
        for limit in [1, 5, 100] {
            let got = page(&reopened, None, Some(&venues), limit, None).await;
            assert_eq!(got, expected[..limit.min(expected.len())], "venues {venues:?}, pages of {limit}");
        }
    }
}

/// A staging table left by a build that numbered concerts as they were
/// staged (one id column more) still takes an import in, its rows included.
#[tokio::test]
async fn a_staging_table_of_the_earlier_layout_still_takes_an_import() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("concerts.sqlite3");
    drop(SqliteConcertStore::open(&path).await.unwrap());
    let connection = storage::sqlite::rusqlite::Connection::open(&path).unwrap();
    connection
        .execute_batch(
            "DROP TABLE concerts_staged;
             CREATE TABLE concerts_staged (id INTEGER NOT NULL, band_id INTEGER NOT NULL, venue_id INTEGER NOT NULL,
                                           date INTEGER NOT NULL, status INTEGER NOT NULL DEFAULT 0);
             INSERT INTO concerts_staged VALUES (1, 1, 7, 1000, 0);",
        )
        .unwrap();
    drop(connection);
    let store = SqliteConcertStore::open(&path).await.unwrap();
    store.stage(vec![concert(2, 7, 2000)]).await.unwrap();
    assert_eq!(store.commit_staged().await.unwrap(), 2);
    assert_eq!(search(&store, None, Some(&[7])).await, vec![(2000, 2, 7), (1000, 1, 7)]);
}
