//! Concerts in the service's own SQLite file.
//!
//! The table is clustered on `(band_id, date, venue_id)`, what two concerts
//! never share, ordered so that a band's concerts are read newest first
//! without a sort; a second index serves venue queries the same way, a third
//! holds every concert in list order (both hold the id and status a search
//! answers, so no search reads the table for them), and a fourth finds a
//! concert by its id. How a page is read from them is in [`pages`], as a
//! merge of per-key ranges ([`merge`]) or a scan of the list order
//! ([`scan`]); how many concerts each venue holds, which decides it for geo
//! searches, in [`venue_counts`]; each venue's newest concerts, kept in
//! memory for the first pages of geo searches, in [`venue_heads`]; a bulk
//! load, staged and then taken in sorted, in [`staged`]; the writes of one
//! concert, with the service's ledger (change log, keys of creates), in [`edits`].

mod counting;
mod edits;
mod merge;
mod month_counts;
mod pages;
mod scan;
mod staged;
mod venue_counts;
mod venue_heads;
mod venue_order;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use bootstrap::RecordStore;
use bootstrap::changes::ChangeLog;
use bootstrap::edits::{Created, Edit, EditableStore, Once, Revised};
use changes_model::ChangePage;
use concerts_model::{
    Concert, ConcertCounts, ConcertFilter, ConcertRecord, DateRange, GroupBy, NewConcert, Order, Position, Status,
};
use exceptions::{StoreError, WriteError};
use storage::sqlite::{SqliteDb, ledger};

use super::{ConcertPages, ConcertStore, Direction, Side, VenueOrderPlan};
use merge::Driver;
use month_counts::VenueMonths;
use pages::PageQuery;
use venue_counts::VenueCounts;
use venue_heads::VenueHeads;

const TABLES: &str = "
    CREATE TABLE IF NOT EXISTS concerts (
        band_id       INTEGER NOT NULL,
        venue_id      INTEGER NOT NULL,
        date          INTEGER NOT NULL,
        id            INTEGER NOT NULL,
        status        INTEGER NOT NULL DEFAULT 0,
        previous_date INTEGER,
        revision      INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (band_id, date, venue_id)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS venue_concerts (
        venue_id INTEGER PRIMARY KEY,
        concerts INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS concerts_staged (
        band_id  INTEGER NOT NULL,
        venue_id INTEGER NOT NULL,
        date     INTEGER NOT NULL,
        status   INTEGER NOT NULL DEFAULT 0
    );
";

/// The secondary indexes, by name: a bulk load into an empty store builds
/// them after the table ([`staged`]), much faster than keeping them in step.
/// Those read by searches hold the id and status they answer.
const INDEXES: [(&str, &str); 4] = [
    (
        "concerts_by_venue_and_date",
        "CREATE INDEX IF NOT EXISTS concerts_by_venue_and_date ON concerts (venue_id, date, band_id, id, status)",
    ),
    (
        "concerts_in_list_order",
        "CREATE INDEX IF NOT EXISTS concerts_in_list_order ON concerts (date, band_id, venue_id, id, status)",
    ),
    ("concerts_by_id", "CREATE UNIQUE INDEX IF NOT EXISTS concerts_by_id ON concerts (id)"),
    (
        "concerts_by_band_and_venue",
        "CREATE INDEX IF NOT EXISTS concerts_by_band_and_venue ON concerts (band_id, venue_id, date, id, status)",
    ),
];

/// The whole schema: tables, then indexes; every statement idempotent.
fn schema() -> String {
    let tables = format!("{TABLES}{}{}", month_counts::TABLE, ledger::SCHEMA);
    INDEXES.iter().fold(tables, |schema, (_, index)| format!("{schema}{index};\n"))
}

/// A store made before concerts had ids (and statuses) is rewritten once,
/// each concert given an id in the table's order, its indexes built again.
fn migrate(path: &Path) -> Result<(), StoreError> {
    if !path.exists() {
        return Ok(());
    }
    let fail = |error| StoreError::backend(format!("migrating {}", path.display()), error);
    let connection = storage::sqlite::rusqlite::Connection::open(path).map_err(fail)?;
    let has_ids: bool = connection
        .query_row(
            "SELECT NOT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'concerts')
                 OR EXISTS (SELECT 1 FROM pragma_table_info('concerts') WHERE name = 'id')",
            [],
            |row| row.get(0),
        )
        .map_err(fail)?;
    // A staging table from a build that numbered concerts as they were
    // staged: the commit numbers them now, in the table's order.
    let staged_with_ids: bool = connection
        .query_row("SELECT EXISTS (SELECT 1 FROM pragma_table_info('concerts_staged') WHERE name = 'id')", [], |row| {
            row.get(0)
        })
        .map_err(fail)?;
    if staged_with_ids {
        connection.execute_batch("ALTER TABLE concerts_staged DROP COLUMN id").map_err(fail)?;
    }
    if has_ids {
        return Ok(());
    }
    tracing::info!(path = %path.display(), "giving every concert an id (a store of an earlier version)");
    connection
        .execute_batch(
            "BEGIN;
             DROP INDEX IF EXISTS concerts_by_venue_and_date;
             DROP INDEX IF EXISTS concerts_in_list_order;
             ALTER TABLE concerts RENAME TO concerts_before_ids;
             CREATE TABLE concerts (
                 band_id INTEGER NOT NULL, venue_id INTEGER NOT NULL, date INTEGER NOT NULL, id INTEGER NOT NULL,
                 status INTEGER NOT NULL DEFAULT 0, previous_date INTEGER, revision INTEGER NOT NULL DEFAULT 1,
                 PRIMARY KEY (band_id, date, venue_id)
             ) WITHOUT ROWID;
             INSERT INTO concerts (band_id, venue_id, date, id)
                 SELECT band_id, venue_id, date, row_number() OVER (ORDER BY band_id, date, venue_id)
                 FROM concerts_before_ids ORDER BY band_id, date, venue_id;
             DROP TABLE concerts_before_ids;
             DROP TABLE IF EXISTS concerts_staged;
             COMMIT;",
        )
        .map_err(fail)
}

/// Venues whose heads are read in one go at start-up, in the background.
const HEADS_PER_READ: usize = 100;

pub struct SqliteConcertStore {
    db: SqliteDb,
    venue_counts: Arc<VenueCounts>,
    venue_heads: Arc<VenueHeads>,
    venue_months: Arc<VenueMonths>,
}

impl SqliteConcertStore {
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let migrating = path.to_owned();
        tokio::task::spawn_blocking(move || migrate(&migrating))
            .await
            .map_err(|error| StoreError::backend("migrating the store", error))??;
        let db = SqliteDb::open(path, schema()).await?;
        db.write("venue_concerts_backfill", VenueCounts::backfill).await?;
        db.write("month_counts_backfill", month_counts::backfill).await?;
        let venue_counts = Arc::new(db.call("venue_concerts_load", |connection| VenueCounts::load(connection)).await?);
        let venue_months = Arc::new(db.call("month_counts_load", |connection| VenueMonths::load(connection)).await?);
        let venue_heads = Arc::new(VenueHeads::default());
        load_heads(db.clone(), venue_heads.clone(), venue_counts.venues());
        Ok(Self { db, venue_counts, venue_heads, venue_months })
    }
}

/// Reads each of `venues`' head into `heads`, in the background, a few
/// venues at a time; until a head is in, its venue is read from the file.
fn load_heads(db: SqliteDb, heads: Arc<VenueHeads>, venues: Vec<i64>) {
    let generation = heads.generation();
    tokio::spawn(async move {
        let started = Instant::now();
        let chunks: Vec<Vec<i64>> = venues.chunks(HEADS_PER_READ).map(<[i64]>::to_vec).collect();
        let last_chunk = chunks.len().saturating_sub(1);
        // No venue at all: one empty read marks the heads as all in.
        let reads = if chunks.is_empty() { vec![Vec::new()] } else { chunks };
        for (index, chunk) in reads.into_iter().enumerate() {
            let heads = heads.clone();
            let last = index == last_chunk;
            match db.read("venue_heads_load", move |c| heads.load(c, generation, &chunk, last)).await {
                Ok(true) => {}
                Ok(false) => return, // a newer load took over
                Err(error) => {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "venue heads not loaded: those venues are read from the file"
                    );
                    return;
                }
            }
        }
        tracing::info!(venues = venues.len(), "venue heads loaded in {:.1} s", started.elapsed().as_secs_f64());
    });
}

#[async_trait]
impl ConcertStore for SqliteConcertStore {
    fn search(&self, filter: ConcertFilter, order: Order) -> Box<dyn ConcertPages> {
        let Some(direction) = Direction::of(order) else {
            let search = VenueOrderPlan::new(filter);
            let share = self.venue_counts.share(&search.venues);
            return Box::new(VenueOrderPages { db: self.db.clone(), search: Arc::new(search), share });
        };
        Box::new(SqlitePages {
            db: self.db.clone(),
            venue_counts: self.venue_counts.clone(),
            venue_heads: self.venue_heads.clone(),
            search: Arc::new(ReadPlan::new(filter, direction)),
        })
    }

    async fn stage(&self, concerts: Vec<NewConcert>) -> Result<usize, StoreError> {
        let staged = concerts.len();
        self.db.write("concerts_stage", move |transaction| staged::stage(transaction, &concerts)).await?;
        Ok(staged)
    }

    async fn commit_staged(&self) -> Result<u64, StoreError> {
        // The store changes wholesale: from here on searches read the file,
        // not heads that would miss the new concerts, until they are read again.
        self.venue_heads.reset();
        let mut added = 0;
        let mut failed = None;
        for (step, run) in staged::STEPS {
            let started = Instant::now();
            match self.db.bulk_write(step, run).await {
                Ok(n) => added += n,
                Err(error) => {
                    failed = Some(error);
                    break;
                }
            }
            tracing::info!(step, "bulk load: step done in {:.1} s", started.elapsed().as_secs_f64());
        }
        let counts = self.db.call("venue_concerts_load", |connection| VenueCounts::load(connection)).await?;
        self.venue_counts.replace(counts);
        let months = self.db.call("month_counts_load", |connection| VenueMonths::load(connection)).await?;
        self.venue_months.replace(months);
        load_heads(self.db.clone(), self.venue_heads.clone(), self.venue_counts.venues());
        if let Some(error) = failed {
            return Err(error);
        }
        tracing::info!(added, "staged concerts committed");
        Ok(added)
    }

    async fn count(&self, filter: ConcertFilter, by: Option<GroupBy>) -> Result<ConcertCounts, StoreError> {
        let venue_months = self.venue_months.clone();
        self.db.read("concerts_count", move |connection| counting::count(connection, &venue_months, &filter, by)).await
    }

    async fn count_of(&self, side: Side) -> Result<u64, StoreError> {
        self.db.read("concerts_count_of", move |connection| edits::count_of(connection, side)).await
    }

    async fn delete_all_of(&self, side: Side) -> Result<u64, StoreError> {
        let written =
            self.db.write("concerts_delete_all_of", move |transaction| edits::delete_all_of(transaction, side)).await?;
        self.taken_in(&written);
        Ok(written.removed.len() as u64)
    }

    async fn cursor(&self, log: &'static str) -> Result<i64, StoreError> {
        self.db.cursor(log).await
    }

    async fn keep_cursor(&self, log: &'static str, position: i64) -> Result<(), StoreError> {
        self.db.keep_cursor(log, position).await
    }
}

/// A filter as the pages read it: the shorter list drives the merge (its
/// ids are the keys) and the other one, as a set, filters the rows.
struct ReadPlan {
    direction: Direction,
    driver: Driver,
    keys: Vec<i64>,
    filter: Option<HashSet<i64>>,
    dates: DateRange,
    statuses: Option<Vec<Status>>,
}

impl ReadPlan {
    fn new(filter: ConcertFilter, direction: Direction) -> Self {
        let (dates, statuses) = (filter.dates, filter.statuses);
        let (driver, keys, filter) = match (filter.band_ids, filter.venue_ids) {
            (Some(bands), Some(venues)) if bands.len() <= venues.len() => (Driver::Bands, bands, Some(venues)),
            (Some(bands), Some(venues)) => (Driver::Venues, venues, Some(bands)),
            (Some(bands), None) => (Driver::Bands, bands, None),
            (None, Some(venues)) => (Driver::Venues, venues, None),
            // Nothing to merge: every page is empty.
            (None, None) => (Driver::Bands, Vec::new(), None),
        };
        Self { direction, driver, keys, filter: filter.map(|ids| ids.into_iter().collect()), dates, statuses }
    }

    /// Where a page starts: right after `after`, and never before the date
    /// range begins in the reading direction (a page starts after a position
    /// just outside the range, with ids past every real one).
    fn start(&self, after: Option<Position>) -> Option<Position> {
        let outside = match self.direction {
            Direction::NewestFirst => self.dates.to.and_then(|to| to.checked_add(1)).map(|date| Position {
                date,
                band_id: i64::MIN,
                venue_id: i64::MIN,
            }),
            Direction::SoonestFirst => self.dates.from.and_then(|from| from.checked_sub(1)).map(|date| Position {
                date,
                band_id: i64::MAX,
                venue_id: i64::MAX,
            }),
        };
        match (after, outside) {
            (Some(after), Some(outside)) => Some(self.direction.further(after, outside)),
            (after, outside) => after.or(outside),
        }
    }

    /// What one page is read for: `share` of all concerts the keys hold, when known.
    fn page_query<'a>(&'a self, share: Option<f64>, heads: Option<venue_heads::HeadsView<'a>>) -> PageQuery<'a> {
        let until = match self.direction {
            Direction::NewestFirst => self.dates.from.unwrap_or(i64::MIN),
            Direction::SoonestFirst => self.dates.to.unwrap_or(i64::MAX),
        };
        PageQuery {
            direction: self.direction,
            driver: self.driver,
            keys: &self.keys,
            filter: self.filter.as_ref(),
            share,
            heads,
            until,
            statuses: self.statuses.as_deref(),
        }
    }
}

struct VenueOrderPages {
    db: SqliteDb,
    search: Arc<VenueOrderPlan>,
    /// The share of all concerts the search's venues hold.
    share: f64,
}

#[async_trait]
impl ConcertPages for VenueOrderPages {
    async fn page(&self, after: Option<Position>, limit: usize) -> Result<Vec<Concert>, StoreError> {
        let (search, share) = (self.search.clone(), self.share);
        self.db
            .read("concerts_search_venue_order", move |connection| {
                venue_order::read(connection, &search, share, after.as_ref(), limit)
            })
            .await
    }
}

struct SqlitePages {
    db: SqliteDb,
    venue_counts: Arc<VenueCounts>,
    venue_heads: Arc<VenueHeads>,
    search: Arc<ReadPlan>,
}

#[async_trait]
impl ConcertPages for SqlitePages {
    async fn page(&self, after: Option<Position>, limit: usize) -> Result<Vec<Concert>, StoreError> {
        let search = &self.search;
        if search.keys.is_empty() {
            return Ok(Vec::new());
        }
        let after = search.start(after);
        let share = (search.driver == Driver::Venues).then(|| self.venue_counts.share(&search.keys));
        // Most venue searches start where the heads hold every row they need.
        let started = Instant::now();
        let from_memory = {
            let query = search.page_query(share, Some(self.venue_heads.view()));
            pages::read_from_memory(&query, after.as_ref(), limit)
        };
        if let Some(page) = from_memory {
            storage::record_store_query("memory", "concerts_search", started.elapsed(), true);
            return Ok(page);
        }
        let (search, venue_heads) = (self.search.clone(), self.venue_heads.clone());
        self.db
            .read("concerts_search", move |connection| {
                let query = search.page_query(share, Some(venue_heads.view()));
                pages::read(connection, &query, after.as_ref(), limit)
            })
            .await
    }
}

#[async_trait]
impl RecordStore<NewConcert> for SqliteConcertStore {
    async fn upsert(&self, concerts: Vec<NewConcert>) -> Result<usize, StoreError> {
        let imported = concerts.len();
        let written =
            self.db.write("concerts_upsert", move |transaction| edits::import(transaction, &concerts)).await?;
        // Only once committed: searches never see concerts the file may not keep.
        self.taken_in(&written);
        Ok(imported)
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.db.is_empty("concerts").await
    }

    async fn data_version(&self) -> Result<String, StoreError> {
        Ok(self.db.data_version())
    }
}

#[async_trait]
impl EditableStore<ConcertRecord, NewConcert> for SqliteConcertStore {
    async fn get(&self, id: i64) -> Result<Option<Revised<ConcertRecord>>, StoreError> {
        let found = self.db.read("concerts_get", move |connection| edits::get(connection, id)).await?;
        Ok(found.map(|(record, revision)| Revised { record, revision }))
    }

    async fn create(&self, draft: NewConcert, once: Option<Once>) -> Result<Created<ConcertRecord>, WriteError> {
        let (record, revision, replayed) =
            self.db.edit("concerts_create", move |transaction| edits::create(transaction, draft, once)).await??;
        if !replayed {
            self.taken_in(&edits::Written { added: vec![record.concert()], removed: Vec::new() });
        }
        Ok(Created { revised: Revised { record, revision }, replayed })
    }

    async fn update(
        &self,
        id: i64,
        expected: Option<i64>,
        edit: Edit<ConcertRecord>,
    ) -> Result<Revised<ConcertRecord>, WriteError> {
        let (before, record, revision) = self
            .db
            .edit("concerts_update", move |transaction| edits::update(transaction, id, expected, edit))
            .await??;
        self.taken_in(&edits::Written { added: vec![record.concert()], removed: vec![before.concert()] });
        Ok(Revised { record, revision })
    }

    async fn delete(&self, id: i64, expected: Option<i64>) -> Result<ConcertRecord, WriteError> {
        let before =
            self.db.edit("concerts_delete", move |transaction| edits::delete(transaction, id, expected)).await??;
        self.taken_in(&edits::Written { added: Vec::new(), removed: vec![before.concert()] });
        Ok(before)
    }

    async fn version_now(&self) -> Result<String, StoreError> {
        Ok(self.db.data_version())
    }
}

impl SqliteConcertStore {
    /// Takes a committed write into what is kept in memory: the counts per
    /// venue and the venues' newest concerts.
    fn taken_in(&self, written: &edits::Written) {
        let mut added = venue_counts::Added::new();
        for concert in &written.removed {
            venue_counts::count(&mut added, concert.venue_id, -1);
        }
        for concert in &written.added {
            venue_counts::count(&mut added, concert.venue_id, 1);
        }
        self.venue_counts.add(&added);
        self.venue_months.add(&month_counts::deltas(&written.removed, &written.added));
        self.venue_heads.remove(&written.removed);
        self.venue_heads.add(&written.added);
    }
}

#[async_trait]
impl ChangeLog for SqliteConcertStore {
    async fn changes_after(&self, position: i64, limit: usize) -> Result<ChangePage, StoreError> {
        self.db.changes_after(position, limit).await
    }

    async fn compact(&self, before: i64) -> Result<u64, StoreError> {
        self.db.compact_changes(before).await
    }
}
