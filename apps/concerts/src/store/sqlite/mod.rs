//! Concerts in the service's own SQLite file.
//!
//! The table is clustered on `(band_id, date, venue_id)`, the concert's
//! identity ordered so that a band's concerts are read newest first without a
//! sort; a second index serves venue queries the same way, and a third holds
//! every concert in list order. How a page is read from them is in
//! [`pages`], as a merge of per-key ranges ([`merge`]) or a scan of the list
//! order ([`scan`]); how many concerts each venue holds, which decides it for
//! geo searches, in [`venue_counts`]; each venue's newest concerts, kept in
//! memory for the first pages of geo searches, in [`venue_heads`]; a bulk
//! load, staged and then taken in sorted, in [`staged`].

mod merge;
mod pages;
mod scan;
mod staged;
mod venue_counts;
mod venue_heads;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use bootstrap::RecordStore;
use concerts_model::{Concert, ConcertFilter, DateRange};
use exceptions::StoreError;
use storage::sqlite::SqliteDb;

use super::{ConcertPages, ConcertStore};
use merge::Driver;
use pages::PageQuery;
use venue_counts::VenueCounts;
use venue_heads::VenueHeads;

const TABLES: &str = "
    CREATE TABLE IF NOT EXISTS concerts (
        band_id  INTEGER NOT NULL,
        venue_id INTEGER NOT NULL,
        date     INTEGER NOT NULL,
        PRIMARY KEY (band_id, date, venue_id)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS venue_concerts (
        venue_id INTEGER PRIMARY KEY,
        concerts INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS concerts_staged (
        band_id  INTEGER NOT NULL,
        venue_id INTEGER NOT NULL,
        date     INTEGER NOT NULL
    );
";

/// The secondary indexes, by name: a bulk load into an empty store builds
/// them after the table ([`staged`]), much faster than keeping them in step.
const INDEXES: [(&str, &str); 2] = [
    (
        "concerts_by_venue_and_date",
        "CREATE INDEX IF NOT EXISTS concerts_by_venue_and_date ON concerts (venue_id, date)",
    ),
    (
        "concerts_in_list_order",
        "CREATE INDEX IF NOT EXISTS concerts_in_list_order ON concerts (date, band_id, venue_id)",
    ),
];

/// The whole schema: tables, then indexes; every statement idempotent.
fn schema() -> String {
    INDEXES.iter().fold(TABLES.to_owned(), |schema, (_, index)| format!("{schema}{index};\n"))
}

/// Venues whose heads are read in one go at start-up, in the background.
const HEADS_PER_READ: usize = 100;

pub struct SqliteConcertStore {
    db: SqliteDb,
    venue_counts: Arc<VenueCounts>,
    venue_heads: Arc<VenueHeads>,
}

impl SqliteConcertStore {
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let db = SqliteDb::open(path, schema()).await?;
        db.write("venue_concerts_backfill", VenueCounts::backfill).await?;
        let venue_counts = Arc::new(db.call("venue_concerts_load", |connection| VenueCounts::load(connection)).await?);
        let venue_heads = Arc::new(VenueHeads::default());
        load_heads(db.clone(), venue_heads.clone(), venue_counts.venues());
        Ok(Self { db, venue_counts, venue_heads })
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
    fn search(&self, filter: ConcertFilter) -> Box<dyn ConcertPages> {
        Box::new(SqlitePages {
            db: self.db.clone(),
            venue_counts: self.venue_counts.clone(),
            venue_heads: self.venue_heads.clone(),
            search: Arc::new(ReadPlan::new(filter)),
        })
    }

    async fn stage(&self, concerts: Vec<Concert>) -> Result<usize, StoreError> {
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
        load_heads(self.db.clone(), self.venue_heads.clone(), self.venue_counts.venues());
        if let Some(error) = failed {
            return Err(error);
        }
        tracing::info!(added, "staged concerts committed");
        Ok(added)
    }
}

/// A filter as the pages read it: the shorter list drives the merge (its
/// ids are the keys) and the other one, as a set, filters the rows.
struct ReadPlan {
    driver: Driver,
    keys: Vec<i64>,
    filter: Option<HashSet<i64>>,
    dates: DateRange,
}

impl ReadPlan {
    fn new(filter: ConcertFilter) -> Self {
        let dates = filter.dates;
        let (driver, keys, filter) = match (filter.band_ids, filter.venue_ids) {
            (Some(bands), Some(venues)) if bands.len() <= venues.len() => (Driver::Bands, bands, Some(venues)),
            (Some(bands), Some(venues)) => (Driver::Venues, venues, Some(bands)),
            (Some(bands), None) => (Driver::Bands, bands, None),
            (None, Some(venues)) => (Driver::Venues, venues, None),
            // Nothing to merge: every page is empty.
            (None, None) => (Driver::Bands, Vec::new(), None),
        };
        Self { driver, keys, filter: filter.map(|ids| ids.into_iter().collect()), dates }
    }

    /// Where a page starts: right after `after`, and never before the end of
    /// the date range (a page starts after a concert past `to`, with ids
    /// below every real one).
    fn start(&self, after: Option<Concert>) -> Option<Concert> {
        let end = self.dates.to.and_then(|to| to.checked_add(1));
        let past_the_range = end.map(|date| Concert { band_id: i64::MIN, venue_id: i64::MIN, date });
        match (after, past_the_range) {
            (Some(after), Some(past)) => Some(if after.list_key() < past.list_key() { after } else { past }),
            (after, past) => after.or(past),
        }
    }

    /// What one page is read for: `share` of all concerts the keys hold, when known.
    fn page_query<'a>(&'a self, share: Option<f64>, heads: Option<venue_heads::HeadsView<'a>>) -> PageQuery<'a> {
        let from = self.dates.from.unwrap_or(i64::MIN);
        PageQuery { driver: self.driver, keys: &self.keys, filter: self.filter.as_ref(), share, heads, from }
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
    async fn page(&self, after: Option<Concert>, limit: usize) -> Result<Vec<Concert>, StoreError> {
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
impl RecordStore<Concert> for SqliteConcertStore {
    async fn upsert(&self, concerts: Vec<Concert>) -> Result<usize, StoreError> {
        let (imported, added, new_concerts) = self
            .db
            .write("concerts_upsert", move |transaction| {
                let mut statement = transaction
                    .prepare_cached("INSERT OR IGNORE INTO concerts (band_id, venue_id, date) VALUES (?1, ?2, ?3)")?;
                let mut added = venue_counts::Added::new();
                let mut new_concerts = Vec::new();
                for c in &concerts {
                    if statement.execute((c.band_id, c.venue_id, c.date))? == 1 {
                        venue_counts::count(&mut added, c);
                        new_concerts.push(*c);
                    }
                }
                venue_counts::record(transaction, &added)?;
                Ok((concerts.len(), added, new_concerts))
            })
            .await?;
        // Only once committed: searches never see concerts the file may not keep.
        self.venue_counts.add(&added);
        self.venue_heads.add(&new_concerts);
        Ok(imported)
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.db.is_empty("concerts").await
    }

    async fn data_version(&self) -> Result<String, StoreError> {
        Ok(self.db.data_version())
    }
}
