//! Concerts in the service's own MongoDB database, one document per concert:
//! `{_id: ObjectId, bandId, venueId, date}`.
//!
//! The identity `(bandId, venueId, date)` is guarded by a unique index whose
//! key order, `{bandId: 1, date: -1, venueId: -1}`, also serves band searches
//! newest first; `{venueId: 1, date: -1, bandId: -1}` serves venue searches
//! the same way. Both hold every field a search returns, so a search reads
//! only index entries. A third index just for uniqueness would store the same
//! three numbers a third time (about 4 GB at 200 million concerts).

use async_trait::async_trait;
use bootstrap::RecordStore;
use bootstrap::changes::ChangeLog;
use bootstrap::edits::{Created, Edit, EditableStore, Once, Revised};
use changes_model::ChangePage;
use concerts_model::{Concert, ConcertFilter, ConcertRecord, DateRange, NewConcert, Order, Position};
use exceptions::{StoreError, WriteError};
use storage::mongo::bson::{Bson, Document};
use storage::mongo::{Find, IndexModel, IndexOptions, MongoCollection, MongoDb, Shape, doc, upsert_statement};

use super::{ConcertPages, ConcertStore, Direction, Side, VenueOrderPlan};

pub struct MongoConcertStore {
    concerts: MongoCollection,
}

impl MongoConcertStore {
    pub fn new(db: &MongoDb) -> Self {
        Self { concerts: db.collection("concerts", indexes()) }
    }
}

/// The identity, in the order band searches read it.
pub const BAND_INDEX: &str = "concerts_identity_by_band_newest_first";
/// The order venue searches read.
pub const VENUE_INDEX: &str = "concerts_by_venue_newest_first";

pub fn indexes() -> Vec<IndexModel> {
    let index = |keys: Document, name: &str, unique: bool| {
        let options = IndexOptions::builder().name(name.to_owned()).unique(unique).build();
        IndexModel::builder().keys(keys).options(options).build()
    };
    vec![
        index(doc! { "bandId": 1, "date": -1, "venueId": -1 }, BAND_INDEX, true),
        index(doc! { "venueId": 1, "date": -1, "bandId": -1 }, VENUE_INDEX, false),
    ]
}

/// The index a search reads: its bands' when it names bands only or fewer
/// bands than venues, else its venues'. Named to the server (a hint), as the
/// SQLite store chooses its merge's keys: the planner may otherwise pick none
/// for an `$in` beside a range (the MongoDB test server does).
pub fn serving_index(search: &ConcertFilter) -> &'static str {
    match (&search.band_ids, &search.venue_ids) {
        (Some(bands), Some(venues)) if bands.len() <= venues.len() => BAND_INDEX,
        (Some(_), None) => BAND_INDEX,
        _ => VENUE_INDEX,
    }
}

/// The search's filter: band in the list AND venue in the list, for the lists
/// given (and of one of its statuses, when it names them); `None` when no
/// list is given (nothing matches).
pub fn search_filter(search: &ConcertFilter) -> Option<Document> {
    let mut filter = Document::new();
    for (field, ids) in [("bandId", &search.band_ids), ("venueId", &search.venue_ids)] {
        if let Some(ids) = ids {
            filter.insert(field, doc! { "$in": ids });
        }
    }
    if filter.is_empty() {
        return None;
    }
    with_statuses(&mut filter, search);
    Some(filter)
}

/// Puts the search's statuses, if it names them, on `filter`.
fn with_statuses(filter: &mut Document, search: &ConcertFilter) {
    if let Some(statuses) = &search.statuses {
        let names: Vec<&str> = statuses.iter().map(|status| status.name()).collect();
        filter.insert("status", doc! { "$in": names });
    }
}

/// One page's filters: the search's, AND after the previous page's last
/// concert in list order (keyset), newest or soonest first. "After" is an
/// `OR` (newest first: the same date and band and a lower venue, or the same
/// date and a lower band, or an older date; soonest first, higher and later);
/// it is sent as one plain conjunction per branch, each read from an index
/// range, disjoint and in list order, rather than as an `$or`, which some
/// planners answer with a collection scan (seen on the MongoDB test server).
/// A branch that the search's lists rule out is left out.
pub fn page_filters(search: &ConcertFilter, after: Option<&Position>, direction: Direction) -> Vec<Document> {
    let (bands, venues) = (search.band_ids.as_deref(), search.venue_ids.as_deref());
    if bands.is_none() && venues.is_none() {
        return Vec::new();
    }
    let Some(after) = after else {
        let mut filter = search_filter(search).unwrap_or_default();
        return within_dates(&mut filter, Bound::Any, search.dates).map(|()| filter).into_iter().collect();
    };
    let past = |value| match direction {
        Direction::NewestFirst => Bound::Below(value),
        Direction::SoonestFirst => Bound::Above(value),
    };
    let branches = [
        [Bound::Equal(after.date), Bound::Equal(after.band_id), past(after.venue_id)],
        [Bound::Equal(after.date), past(after.band_id), Bound::Any],
        [past(after.date), Bound::Any, Bound::Any],
    ];
    branches
        .into_iter()
        .filter_map(|[date, band, venue]| {
            let mut filter = Document::new();
            within_dates(&mut filter, date, search.dates)?;
            band.constrain(&mut filter, "bandId", bands)?;
            venue.constrain(&mut filter, "venueId", venues)?;
            with_statuses(&mut filter, search);
            Some(filter)
        })
        .collect()
}

/// Puts on `date` a branch's bound AND the search's date range, as one
/// condition; `None` when they leave nothing.
fn within_dates(filter: &mut Document, bound: Bound, dates: DateRange) -> Option<()> {
    let (from, to) = (dates.from.unwrap_or(i64::MIN), dates.to.unwrap_or(i64::MAX));
    let (low, high) = match bound {
        Bound::Any => (from, to),
        Bound::Equal(date) => (from.max(date), to.min(date)),
        Bound::Below(date) => (from, to.min(date.checked_sub(1)?)),
        Bound::Above(date) => (from.max(date.checked_add(1)?), to),
    };
    if low > high {
        return None;
    }
    if low == high {
        filter.insert("date", low);
        return Some(());
    }
    let mut range = Document::new();
    if low > i64::MIN {
        range.insert("$gte", low);
    }
    if high < i64::MAX {
        range.insert("$lte", high);
    }
    if !range.is_empty() {
        filter.insert("date", range);
    }
    Some(())
}

/// What one branch of a keyset asks of a field.
#[derive(Debug, Clone, Copy)]
enum Bound {
    Any,
    Equal(i64),
    Below(i64),
    Above(i64),
}

impl Bound {
    /// Puts on `field` this bound AND, when the search lists ids for it,
    /// membership in `ids`: as one condition, `None` when nothing can match.
    fn constrain(self, filter: &mut Document, field: &str, ids: Option<&[i64]>) -> Option<()> {
        let condition = match (self, ids) {
            (Bound::Any, None) => return Some(()),
            (Bound::Any, Some(ids)) => doc! { "$in": ids },
            (Bound::Equal(value), ids) if ids.is_none_or(|ids| ids.contains(&value)) => {
                filter.insert(field, value);
                return Some(());
            }
            (Bound::Equal(_), _) => return None,
            (Bound::Below(value), None) => doc! { "$lt": value },
            (Bound::Above(value), None) => doc! { "$gt": value },
            (Bound::Below(value), Some(ids)) => past_ids(ids, |id| id < value)?,
            (Bound::Above(value), Some(ids)) => past_ids(ids, |id| id > value)?,
        };
        filter.insert(field, condition);
        Some(())
    }
}

/// `$in` the ids past a bound; `None` when none is.
fn past_ids(ids: &[i64], past: impl Fn(i64) -> bool) -> Option<Document> {
    let past: Vec<i64> = ids.iter().copied().filter(|id| past(*id)).collect();
    (!past.is_empty()).then(|| doc! { "$in": past })
}

/// One page as the store asks for it: one query per filter of
/// [`page_filters`], in the direction's order, only the concerts' fields, at
/// most `limit` each; their answers, one after the other, are the page's
/// list order.
pub fn page_queries(search: &ConcertFilter, after: Option<&Position>, limit: usize, direction: Direction) -> Vec<Find> {
    let hint = Some(serving_index(search));
    page_filters(search, after, direction)
        .into_iter()
        .map(|filter| Find {
            filter,
            projection: concert_projection(),
            sort: list_order(direction),
            limit: Some(limit),
            hint,
        })
        .collect()
}

/// Date, then band id, then venue id, all descending (newest first) or all
/// ascending: the SQLite store's orders, total because the three are the
/// identity. The indexes serve both: they are walked backwards for the second.
pub fn list_order(direction: Direction) -> Document {
    let way = match direction {
        Direction::NewestFirst => -1,
        Direction::SoonestFirst => 1,
    };
    doc! { "date": way, "bandId": way, "venueId": way }
}

/// A concert as a search answers it.
pub fn concert_projection() -> Document {
    doc! { "_id": 0, "id": "$_id", "bandId": 1, "venueId": 1, "date": 1, "status": 1 }
}

/// A concert whole.
fn record_projection() -> Document {
    doc! { "_id": 0, "id": "$_id", "bandId": 1, "venueId": 1, "date": 1, "status": 1, "previousDate": 1 }
}

/// A concert's stored fields (without `_id` and `revision`).
fn record_fields(record: &ConcertRecord) -> Document {
    let mut fields = doc! {
        "bandId": record.band_id, "venueId": record.venue_id, "date": record.date, "status": record.status.name(),
    };
    fields.insert("previousDate", record.previous_date.map_or(Bson::Null, Bson::Int64));
    fields
}

/// The counter concerts take their ids from, in imports and creates.
const IDS: &str = "concert_ids";

const CONCERTS: Shape<ConcertRecord> = Shape {
    id: |record| record.id,
    ids: IDS,
    fields: record_fields,
    projection: record_projection,
    conflict: "a concert of that band at that venue on that date is there already",
};

/// Inserts the concert with `id` unless one with the same band, venue and
/// date is stored: an upsert that writes nothing when it finds its match.
pub fn concert_upsert(concert: &NewConcert, id: i64) -> Document {
    let identity = doc! { "bandId": concert.band_id, "date": concert.date, "venueId": concert.venue_id };
    let mut inserted = identity.clone();
    inserted.extend(doc! { "_id": id, "status": concert.status.name(), "revision": 1_i64 });
    upsert_statement(identity, doc! { "$setOnInsert": inserted })
}

// Bulk loads are ordinary imports here (the defaults): each batch is one
// unordered update command of upserts already, and MongoDB keeps its indexes in step itself.
#[async_trait]
impl ConcertStore for MongoConcertStore {
    fn search(&self, filter: ConcertFilter, order: Order) -> Box<dyn ConcertPages> {
        let concerts = self.concerts.clone();
        match Direction::of(order) {
            Some(direction) => Box::new(MongoPages { concerts, filter, direction }),
            None => Box::new(MongoVenueOrderPages { concerts, plan: VenueOrderPlan::new(filter) }),
        }
    }

    async fn count_of(&self, side: Side) -> Result<u64, StoreError> {
        self.concerts.count(side_filter(side)).await
    }

    async fn delete_all_of(&self, side: Side) -> Result<u64, StoreError> {
        Ok(self.concerts.delete_all(&CONCERTS, side_filter(side)).await?.len() as u64)
    }

    async fn cursor(&self, log: &'static str) -> Result<i64, StoreError> {
        self.concerts.cursor(log).await
    }

    async fn keep_cursor(&self, log: &'static str, position: i64) -> Result<(), StoreError> {
        self.concerts.keep_cursor(log, position).await
    }
}

fn side_filter(side: Side) -> Document {
    match side {
        Side::Band(id) => doc! { "bandId": id },
        Side::Venue(id) => doc! { "venueId": id },
    }
}

#[async_trait]
impl EditableStore<ConcertRecord, NewConcert> for MongoConcertStore {
    async fn get(&self, id: i64) -> Result<Option<Revised<ConcertRecord>>, StoreError> {
        Ok(self.concerts.get(&CONCERTS, id).await?.map(|(record, revision)| Revised { record, revision }))
    }

    async fn create(&self, draft: NewConcert, once: Option<Once>) -> Result<Created<ConcertRecord>, WriteError> {
        let once = once.as_ref().map(|once| (once.key.as_str(), once.fingerprint.as_str()));
        let (record, revision, replayed) = self.concerts.create(&CONCERTS, &|id| draft.with_id(id), once).await??;
        Ok(Created { revised: Revised { record, revision }, replayed })
    }

    async fn update(
        &self,
        id: i64,
        expected: Option<i64>,
        edit: Edit<ConcertRecord>,
    ) -> Result<Revised<ConcertRecord>, WriteError> {
        let (_, record, revision) = self.concerts.update(&CONCERTS, id, expected, edit.as_ref()).await??;
        Ok(Revised { record, revision })
    }

    async fn delete(&self, id: i64, expected: Option<i64>) -> Result<ConcertRecord, WriteError> {
        Ok(self.concerts.delete(&CONCERTS, id, expected).await??)
    }

    async fn version_now(&self) -> Result<String, StoreError> {
        self.concerts.data_version().await
    }
}

struct MongoPages {
    concerts: MongoCollection,
    filter: ConcertFilter,
    direction: Direction,
}

#[async_trait]
impl ConcertPages for MongoPages {
    async fn page(&self, after: Option<Position>, limit: usize) -> Result<Vec<Concert>, StoreError> {
        let queries = page_queries(&self.filter, after.as_ref(), limit, self.direction)
            .into_iter()
            .map(|query| self.concerts.find(query));
        let answers: Vec<Vec<Concert>> = futures::future::try_join_all(queries).await?;
        Ok(answers.into_iter().flatten().take(limit).collect())
    }
}

/// Venues asked at once while walking a search in venue order: a sparse
/// search (a narrow date range) passes many venues with nothing to read.
const VENUES_AT_ONCE: usize = 8;

struct MongoVenueOrderPages {
    concerts: MongoCollection,
    plan: VenueOrderPlan,
}

#[async_trait]
impl ConcertPages for MongoVenueOrderPages {
    async fn page(&self, after: Option<Position>, limit: usize) -> Result<Vec<Concert>, StoreError> {
        let plan = &self.plan;
        if let Some(bands) = &plan.bands {
            let search = ConcertFilter {
                band_ids: Some(bands.clone()),
                venue_ids: Some(plan.venues.clone()),
                dates: plan.dates,
                statuses: plan.statuses.clone(),
            };
            let mut every = page_queries(&search, None, usize::MAX, Direction::NewestFirst);
            every.iter_mut().for_each(|query| query.limit = None);
            let answers: Vec<Vec<Concert>> =
                futures::future::try_join_all(every.into_iter().map(|query| self.concerts.find(query))).await?;
            return Ok(plan.arrange(answers.into_iter().flatten().collect(), after.as_ref(), limit));
        }
        let walk: Vec<(i64, (i64, i64))> = plan.walk(after.as_ref()).collect();
        let mut found = Vec::with_capacity(limit.min(1024));
        for venues in walk.chunks(VENUES_AT_ONCE) {
            let wanted = limit - found.len();
            let reads = venues.iter().map(|&(venue, (date, band_id))| {
                let filter = ConcertFilter {
                    venue_ids: Some(vec![venue]),
                    dates: plan.dates,
                    statuses: plan.statuses.clone(),
                    ..ConcertFilter::default()
                };
                // A venue read from the range's start needs no keyset branches.
                let start = (band_id != i64::MAX).then_some(Position { date, band_id, venue_id: venue });
                let queries = page_queries(&filter, start.as_ref(), wanted, Direction::SoonestFirst);
                async move {
                    let answers =
                        futures::future::try_join_all(queries.into_iter().map(|q| self.concerts.find(q))).await?;
                    Ok::<_, StoreError>(answers.into_iter().flatten().collect::<Vec<Concert>>())
                }
            });
            for rows in futures::future::try_join_all(reads).await? {
                found.extend(rows.into_iter().take(limit - found.len()));
            }
            if found.len() == limit {
                break;
            }
        }
        Ok(found)
    }
}

#[async_trait]
impl RecordStore<NewConcert> for MongoConcertStore {
    /// Each concert with an id of its own, taken from the counter before
    /// the batch: a concert already stored keeps its id (the one taken for
    /// it stays unused).
    async fn upsert(&self, concerts: Vec<NewConcert>) -> Result<usize, StoreError> {
        let count = i64::try_from(concerts.len()).unwrap_or(i64::MAX);
        let first = self.concerts.reserve_ids(IDS, count).await?;
        let statements = concerts.iter().zip(first..).map(|(concert, id)| concert_upsert(concert, id)).collect();
        let imported = self.concerts.upsert_all(statements).await?;
        self.concerts.log_bulk().await?;
        Ok(imported)
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.concerts.is_empty().await
    }

    async fn data_version(&self) -> Result<String, StoreError> {
        self.concerts.data_version().await
    }
}

#[async_trait]
impl ChangeLog for MongoConcertStore {
    async fn changes_after(&self, position: i64, limit: usize) -> Result<ChangePage, StoreError> {
        self.concerts.changes_after(position, limit).await
    }

    async fn compact(&self, before: i64) -> Result<u64, StoreError> {
        self.concerts.compact_changes(before).await
    }
}

#[cfg(test)]
mod tests {
    use concerts_model::Status;

    use super::*;

    #[test]
    fn filters_are_the_and_of_the_lists_given() {
        let search = |bands: Option<Vec<i64>>, venues: Option<Vec<i64>>| {
            search_filter(&ConcertFilter { band_ids: bands, venue_ids: venues, ..ConcertFilter::default() })
        };
        assert_eq!(search(Some(vec![1, 2]), None), Some(doc! { "bandId": { "$in": [1_i64, 2_i64] } }));
        assert_eq!(search(None, Some(vec![10])), Some(doc! { "venueId": { "$in": [10_i64] } }));
        assert_eq!(
            search(Some(vec![1]), Some(vec![10, 11])),
            Some(doc! { "bandId": { "$in": [1_i64] }, "venueId": { "$in": [10_i64, 11_i64] } })
        );
        assert_eq!(search(None, None), None);
    }

    #[test]
    fn a_page_starts_right_after_the_previous_pages_last_concert() {
        let after = Position { band_id: 7, venue_id: 30, date: 5000 };
        let bands = ConcertFilter { band_ids: Some(vec![5, 7, 8]), ..ConcertFilter::default() };
        assert_eq!(
            page_filters(&bands, None, Direction::NewestFirst),
            vec![search_filter(&bands).unwrap()],
            "the first page: the search's"
        );
        assert_eq!(
            page_filters(&bands, Some(&after), Direction::NewestFirst),
            vec![
                doc! { "date": 5000_i64, "bandId": 7_i64, "venueId": { "$lt": 30_i64 } },
                doc! { "date": 5000_i64, "bandId": { "$in": [5_i64] } },
                doc! { "date": { "$lte": 4999_i64 }, "bandId": { "$in": [5_i64, 7_i64, 8_i64] } },
            ],
            "same date and band, lower venue; same date, lower band; older: in list order"
        );
        let both = ConcertFilter { band_ids: Some(vec![9]), venue_ids: Some(vec![40, 41]), ..ConcertFilter::default() };
        assert_eq!(
            page_filters(&both, Some(&after), Direction::NewestFirst),
            vec![
                doc! { "date": { "$lte": 4999_i64 }, "bandId": { "$in": [9_i64] }, "venueId": { "$in": [40_i64, 41_i64] } }
            ],
            "branches the lists rule out are left out"
        );
        assert!(
            page_filters(&ConcertFilter::default(), None, Direction::NewestFirst).is_empty(),
            "no list, nothing to ask"
        );
    }

    #[test]
    fn soonest_first_a_page_starts_right_after_in_the_other_direction() {
        let after = Position { band_id: 7, venue_id: 30, date: 2000 };
        let june = DateRange { from: Some(1000), to: Some(4000) };
        let bands = ConcertFilter { band_ids: Some(vec![5, 7, 8]), dates: june, ..ConcertFilter::default() };
        assert_eq!(
            page_filters(&bands, Some(&after), Direction::SoonestFirst),
            vec![
                doc! { "date": 2000_i64, "bandId": 7_i64, "venueId": { "$gt": 30_i64 } },
                doc! { "date": 2000_i64, "bandId": { "$in": [8_i64] } },
                doc! { "date": { "$gte": 2001_i64, "$lte": 4000_i64 }, "bandId": { "$in": [5_i64, 7_i64, 8_i64] } },
            ],
            "same date and band, higher venue; same date, higher band; later, within the range"
        );
        let past_it = Position { band_id: 7, venue_id: 30, date: 4100 };
        assert!(page_filters(&bands, Some(&past_it), Direction::SoonestFirst).is_empty(), "past the range");
    }

    #[test]
    fn a_date_range_narrows_every_branch() {
        let june = DateRange { from: Some(1000), to: Some(4000) };
        let in_june = ConcertFilter { band_ids: Some(vec![7]), dates: june, ..ConcertFilter::default() };
        assert_eq!(
            page_filters(&in_june, None, Direction::NewestFirst),
            vec![doc! { "bandId": { "$in": [7_i64] }, "date": { "$gte": 1000_i64, "$lte": 4000_i64 } }],
        );
        assert_eq!(
            page_filters(&in_june, Some(&Position { band_id: 7, venue_id: 30, date: 2000 }), Direction::NewestFirst),
            vec![
                doc! { "date": 2000_i64, "bandId": 7_i64, "venueId": { "$lt": 30_i64 } },
                doc! { "date": { "$gte": 1000_i64, "$lte": 1999_i64 }, "bandId": { "$in": [7_i64] } },
            ],
            "the same date, and the older dates of the range"
        );
        let past_it = Position { band_id: 7, venue_id: 30, date: 900 };
        assert_eq!(
            page_filters(&in_june, Some(&past_it), Direction::NewestFirst),
            Vec::<Document>::new(),
            "past the range: nothing to ask"
        );
    }

    #[test]
    fn the_sort_is_the_sqlite_order_and_each_index_serves_it_for_one_fixed_id() {
        assert_eq!(list_order(Direction::NewestFirst), doc! { "date": -1, "bandId": -1, "venueId": -1 });
        assert_eq!(list_order(Direction::SoonestFirst), doc! { "date": 1, "bandId": 1, "venueId": 1 });
        // With the band (or venue) fixed by the filter, the index order after it
        // must be the sort order without that field, so that no sort stage is needed.
        let models = indexes();
        let keys: Vec<Vec<(&str, i32)>> =
            models.iter().map(|m| m.keys.iter().map(|(k, v)| (k.as_str(), v.as_i32().unwrap())).collect()).collect();
        let sort: Vec<(&str, i32)> = vec![("date", -1), ("bandId", -1), ("venueId", -1)];
        for index in &keys {
            let (fixed, rest) = index.split_first().unwrap();
            let expected: Vec<(&str, i32)> = sort.iter().copied().filter(|(field, _)| *field != fixed.0).collect();
            assert_eq!(rest, expected.as_slice(), "{index:?}");
        }
        assert_eq!(keys[0].first().map(|k| k.0), Some("bandId"));
        assert_eq!(keys[1].first().map(|k| k.0), Some("venueId"));
    }

    #[test]
    fn what_two_concerts_never_share_is_unique() {
        let models = indexes();
        let unique: Vec<&IndexModel> =
            models.iter().filter(|m| m.options.as_ref().and_then(|o| o.unique) == Some(true)).collect();
        assert_eq!(unique.len(), 1);
        let mut fields: Vec<&str> = unique[0].keys.keys().map(String::as_str).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["bandId", "date", "venueId"]);
    }

    #[test]
    fn an_import_inserts_the_concert_with_its_id_or_leaves_the_stored_one() {
        let concert = NewConcert { band_id: 1, venue_id: 10, date: 1_569_531_810_650, status: Status::Cancelled };
        let identity = doc! { "bandId": 1_i64, "date": 1_569_531_810_650_i64, "venueId": 10_i64 };
        let mut inserted = identity.clone();
        inserted.extend(doc! { "_id": 77_i64, "status": "cancelled", "revision": 1_i64 });
        assert_eq!(
            concert_upsert(&concert, 77),
            doc! { "q": identity, "u": { "$setOnInsert": inserted }, "upsert": true, "multi": false }
        );
    }

    #[test]
    fn a_status_filter_narrows_every_page() {
        let cancelled = ConcertFilter {
            band_ids: Some(vec![7]),
            statuses: Some(vec![Status::Scheduled, Status::Rescheduled]),
            ..ConcertFilter::default()
        };
        for filter in
            page_filters(&cancelled, Some(&Position { band_id: 7, venue_id: 30, date: 2000 }), Direction::NewestFirst)
        {
            assert_eq!(filter.get_document("status").unwrap(), &doc! { "$in": ["scheduled", "rescheduled"] });
        }
    }
}
