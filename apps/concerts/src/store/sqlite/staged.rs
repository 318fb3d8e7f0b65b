//! A bulk load: concerts staged as they arrive, appended to a table with no
//! index (as fast as SQLite writes rows), then taken in at once by a commit,
//! sorted in the table's own order so that its B-tree is written from left
//! to right instead of one random page per concert. Into an empty store the
//! commit builds the secondary indexes afterwards, each from one sort.
//!
//! Staged concerts are durable but not visible: searches see them once the
//! commit is done. Staging the same concerts twice (an import run again
//! after a kill) is harmless: the commit keeps each concert once. The commit
//! gives each new concert its id, in the table's order after the largest id
//! stored, and enters the change log as one `bulk` change.
//!
//! The commit is a few transactions ([`STEPS`]), each followed by a
//! checkpoint that empties the WAL, so that the WAL never holds more than
//! one step's pages (the table, or one index): a single transaction would
//! keep a copy of the whole store in it. The staged rows are deleted only by
//! the last step, so a commit cut off at any point is simply asked again:
//! the rows already taken in are skipped. (A service started again between
//! the steps builds the missing indexes as it opens.)

use storage::sqlite::ledger;
use storage::sqlite::rusqlite::{self, Transaction};

use concerts_model::NewConcert;

use super::{INDEXES, edits, month_counts};

/// Appends `concerts` to the staging table.
pub fn stage(transaction: &Transaction<'_>, concerts: &[NewConcert]) -> rusqlite::Result<()> {
    let mut statement = transaction
        .prepare_cached("INSERT INTO concerts_staged (band_id, venue_id, date, status) VALUES (?1, ?2, ?3, ?4)")?;
    for c in concerts {
        statement.execute((c.band_id, c.venue_id, c.date, c.status.code()))?;
    }
    Ok(())
}

/// One step of a commit: its name (for the log and metrics) and its work,
/// returning the concerts it added.
pub type Step = (&'static str, fn(&Transaction<'_>) -> rusqlite::Result<u64>);

/// The steps of a commit, in order, each run by
/// [`storage::sqlite::SqliteDb::bulk_write`] (whose connection sorts on disk).
pub const STEPS: [Step; 7] = [
    ("concerts_commit_rows", take_in_rows),
    ("concerts_commit_venue_index", |transaction| build_index(transaction, 0)),
    ("concerts_commit_list_index", |transaction| build_index(transaction, 1)),
    ("concerts_commit_id_index", |transaction| build_index(transaction, 2)),
    ("concerts_commit_band_venue_index", |transaction| build_index(transaction, 3)),
    ("concerts_commit_month_counts", |transaction| month_counts::rebuild(transaction).map(|()| 0)),
    ("concerts_commit_counts", recount_and_clear),
];

/// Inserts every staged concert not yet stored, in the table's order, each
/// with the next id. Into an empty store, the secondary indexes are dropped
/// first (the next steps build them).
fn take_in_rows(transaction: &Transaction<'_>) -> rusqlite::Result<u64> {
    let empty: bool = transaction.query_row("SELECT NOT EXISTS (SELECT 1 FROM concerts)", [], |row| row.get(0))?;
    if empty {
        for (index, _) in INDEXES {
            transaction.execute_batch(&format!("DROP INDEX IF EXISTS {index}"))?;
        }
    }
    // The ids after every one given; a staged concert already stored (or
    // staged twice) is ignored, and its id left unused.
    let first = edits::take_ids(transaction, 0)?;
    let added = transaction.execute(
        "INSERT OR IGNORE INTO concerts (band_id, venue_id, date, id, status)
             SELECT band_id, venue_id, date, ?1 - 1 + row_number() OVER (ORDER BY band_id, date, venue_id), status
             FROM concerts_staged ORDER BY band_id, date, venue_id",
        [first],
    )?;
    edits::take_ids(transaction, 0)?;
    Ok(added as u64)
}

/// Builds the `which`th secondary index, if it is missing (one sort of the table).
fn build_index(transaction: &Transaction<'_>, which: usize) -> rusqlite::Result<u64> {
    if let Some((_, statement)) = INDEXES.get(which) {
        transaction.execute_batch(statement)?;
    }
    Ok(0)
}

/// Counts each venue's concerts again, empties the staging table, and logs
/// the load as one change.
fn recount_and_clear(transaction: &Transaction<'_>) -> rusqlite::Result<u64> {
    transaction.execute_batch(
        "DELETE FROM venue_concerts;
         INSERT INTO venue_concerts (venue_id, concerts) SELECT venue_id, count(*) FROM concerts GROUP BY venue_id;
         DELETE FROM concerts_staged;",
    )?;
    ledger::log_change(transaction, "bulk", None, None)?;
    Ok(0)
}
