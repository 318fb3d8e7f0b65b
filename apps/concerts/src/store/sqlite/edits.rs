//! The writes of the concerts table, each in its caller's transaction with
//! what must change with it: the count of concerts per venue
//! (`venue_concerts`), per band, venue and month (`month_counts`) and per
//! day (`day_counts`), the
//! change log and the keys of creates
//! ([`ledger`]). What a committed write changed ([`Written`]) is then taken
//! into memory by the store (counts, venue heads).

use concerts_model::{Concert, ConcertRecord, NewConcert, Status};
use exceptions::{Problem, WriteError};
use storage::sqlite::rusqlite::{self, Connection, OptionalExtension, Row, Transaction, params};
use storage::sqlite::{Outcome, ledger};

use super::month_counts;
use super::venue_counts::{self, Added};
use crate::store::Side;

/// What a committed write added to the searches, and took out of them.
#[derive(Debug, Default)]
pub struct Written {
    pub added: Vec<Concert>,
    pub removed: Vec<Concert>,
}

const COLUMNS: &str = "band_id, venue_id, date, id, status, previous_date, revision";

fn record(row: &Row<'_>) -> rusqlite::Result<(ConcertRecord, i64)> {
    let status = Status::from_code(row.get(4)?).unwrap_or_default();
    let record = ConcertRecord {
        band_id: row.get(0)?,
        venue_id: row.get(1)?,
        date: row.get(2)?,
        id: row.get(3)?,
        status,
        previous_date: row.get(5)?,
    };
    Ok((record, row.get(6)?))
}

fn json(record: &ConcertRecord) -> String {
    serde_json::to_string(record).unwrap_or_else(|_| "null".to_owned())
}

/// The concert `id` and its revision.
pub fn get(connection: &Connection, id: i64) -> rusqlite::Result<Option<(ConcertRecord, i64)>> {
    connection
        .prepare_cached(&format!("SELECT {COLUMNS} FROM concerts WHERE id = ?1"))?
        .query_row([id], record)
        .optional()
}

/// The id of the concert at `(band, date, venue)`, if one is there.
fn id_at(connection: &Connection, band_id: i64, date: i64, venue_id: i64) -> rusqlite::Result<Option<i64>> {
    connection
        .prepare_cached("SELECT id FROM concerts WHERE band_id = ?1 AND date = ?2 AND venue_id = ?3")?
        .query_row((band_id, date, venue_id), |row| row.get(0))
        .optional()
}

/// The first of `count` new ids: never given before (see `ledger::take_ids`).
pub fn take_ids(transaction: &Transaction<'_>, count: i64) -> rusqlite::Result<i64> {
    let largest = transaction.query_row("SELECT coalesce(max(id), 0) FROM concerts", [], |row| row.get(0))?;
    ledger::take_ids(transaction, "concerts", largest, count)
}

fn insert(transaction: &Transaction<'_>, record: &ConcertRecord, revision: i64) -> rusqlite::Result<()> {
    transaction
        .prepare_cached(&format!("INSERT INTO concerts ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"))?
        .execute(params![
            record.band_id,
            record.venue_id,
            record.date,
            record.id,
            record.status.code(),
            record.previous_date,
            revision
        ])?;
    Ok(())
}

fn remove(transaction: &Transaction<'_>, record: &ConcertRecord) -> rusqlite::Result<()> {
    transaction
        .prepare_cached("DELETE FROM concerts WHERE band_id = ?1 AND date = ?2 AND venue_id = ?3")?
        .execute((record.band_id, record.date, record.venue_id))?;
    Ok(())
}

/// An import: the concerts not stored yet, each with the next id (a concert
/// already there keeps its id, status and history), and one `bulk` change.
pub fn import(transaction: &Transaction<'_>, concerts: &[NewConcert]) -> rusqlite::Result<Written> {
    let mut next = take_ids(transaction, concerts.len() as i64)?;
    let mut statement = transaction.prepare_cached(
        "INSERT OR IGNORE INTO concerts (band_id, venue_id, date, id, status) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut counts = Added::new();
    let mut added = Vec::new();
    for c in concerts {
        if statement.execute((c.band_id, c.venue_id, c.date, next, c.status.code()))? == 1 {
            venue_counts::count(&mut counts, c.venue_id, 1);
            added.push(Concert { id: next, band_id: c.band_id, venue_id: c.venue_id, date: c.date, status: c.status });
            next += 1;
        }
    }
    venue_counts::record(transaction, &counts)?;
    month_counts::record(transaction, &month_counts::deltas(&[], &added))?;
    ledger::log_change(transaction, "bulk", None, None)?;
    Ok(Written { added, removed: Vec::new() })
}

/// A new concert; with `once`, made once per key. `(record, revision, replayed)`.
pub fn create(
    transaction: &Transaction<'_>,
    draft: NewConcert,
    once: Option<bootstrap::edits::Once>,
) -> Outcome<(ConcertRecord, i64, bool)> {
    if let Some(once) = &once
        && let Some((given_for, id)) = ledger::remembered(transaction, &once.key)?
    {
        if given_for != once.fingerprint {
            return Ok(Err(WriteError::KeyReused));
        }
        if let Some((record, revision)) = get(transaction, id)? {
            return Ok(Ok((record, revision, true)));
        }
    }
    if let Some(taken) = id_at(transaction, draft.band_id, draft.date, draft.venue_id)? {
        return Ok(Err(taken_by(taken)));
    }
    let record = draft.with_id(take_ids(transaction, 1)?);
    insert(transaction, &record, 1)?;
    venue_counts::record(transaction, &Added::from([(record.venue_id, 1)]))?;
    month_counts::record(transaction, &month_counts::deltas(&[], &[record.concert()]))?;
    ledger::log_change(transaction, "created", Some(record.id), Some(&json(&record)))?;
    if let Some(once) = &once {
        ledger::remember(transaction, &once.key, &once.fingerprint, record.id)?;
    }
    Ok(Ok((record, 1, false)))
}

fn taken_by(id: i64) -> WriteError {
    WriteError::Conflict(format!("concert {id} is that band at that venue on that date already"))
}

/// The concert `id` as `edit` makes it, if at revision `expected`. `(before, after, revision)`.
pub fn update(
    transaction: &Transaction<'_>,
    id: i64,
    expected: Option<i64>,
    edit: impl FnOnce(&ConcertRecord) -> Result<ConcertRecord, Vec<Problem>>,
) -> Outcome<(ConcertRecord, ConcertRecord, i64)> {
    let Some((before, revision)) = get(transaction, id)? else { return Ok(Err(WriteError::NotFound)) };
    if expected.is_some_and(|expected| expected != revision) {
        return Ok(Err(WriteError::Stale { current: revision }));
    }
    let after = match edit(&before) {
        Ok(after) => after,
        Err(problems) => return Ok(Err(WriteError::Invalid(problems))),
    };
    if after.position() != before.position()
        && let Some(taken) = id_at(transaction, after.band_id, after.date, after.venue_id)?
    {
        return Ok(Err(taken_by(taken)));
    }
    // The table is ordered by (band, date, venue): a concert that moves is written anew.
    remove(transaction, &before)?;
    insert(transaction, &after, revision + 1)?;
    if after.venue_id != before.venue_id {
        venue_counts::record(transaction, &Added::from([(before.venue_id, -1), (after.venue_id, 1)]))?;
    }
    month_counts::record(transaction, &month_counts::deltas(&[before.concert()], &[after.concert()]))?;
    ledger::log_update(transaction, id, &json(&after), &json(&before))?;
    Ok(Ok((before, after, revision + 1)))
}

/// Deletes the concert `id`, if at revision `expected`; what it was.
pub fn delete(transaction: &Transaction<'_>, id: i64, expected: Option<i64>) -> Outcome<ConcertRecord> {
    let Some((before, revision)) = get(transaction, id)? else { return Ok(Err(WriteError::NotFound)) };
    if expected.is_some_and(|expected| expected != revision) {
        return Ok(Err(WriteError::Stale { current: revision }));
    }
    remove(transaction, &before)?;
    venue_counts::record(transaction, &Added::from([(before.venue_id, -1)]))?;
    month_counts::record(transaction, &month_counts::deltas(&[before.concert()], &[]))?;
    ledger::forget(transaction, id)?;
    ledger::log_change(transaction, "deleted", Some(id), Some(&json(&before)))?;
    Ok(Ok(before))
}

/// How many concerts the band or venue has.
pub fn count_of(connection: &Connection, side: Side) -> rusqlite::Result<u64> {
    let (sql, id) = match side {
        Side::Band(id) => ("SELECT count(*) FROM concerts WHERE band_id = ?1", id),
        Side::Venue(id) => ("SELECT count(*) FROM concerts WHERE venue_id = ?1", id),
    };
    connection.prepare_cached(sql)?.query_row([id], |row| row.get::<_, i64>(0)).map(i64::unsigned_abs)
}

/// Deletes every concert of the band or venue, each a change in the log.
pub fn delete_all_of(transaction: &Transaction<'_>, side: Side) -> rusqlite::Result<Written> {
    let (sql, id) = match side {
        Side::Band(id) => (format!("SELECT {COLUMNS} FROM concerts WHERE band_id = ?1"), id),
        Side::Venue(id) => (format!("SELECT {COLUMNS} FROM concerts WHERE venue_id = ?1"), id),
    };
    let doomed: Vec<ConcertRecord> = transaction
        .prepare(&sql)?
        .query_map([id], record)?
        .map(|found| found.map(|(r, _)| r))
        .collect::<rusqlite::Result<_>>()?;
    let mut counts = Added::new();
    for concert in &doomed {
        remove(transaction, concert)?;
        ledger::forget(transaction, concert.id)?;
        ledger::log_change(transaction, "deleted", Some(concert.id), Some(&json(concert)))?;
        venue_counts::count(&mut counts, concert.venue_id, -1);
    }
    venue_counts::record(transaction, &counts)?;
    let removed: Vec<Concert> = doomed.iter().map(ConcertRecord::concert).collect();
    month_counts::record(transaction, &month_counts::deltas(&removed, &[]))?;
    Ok(Written { added: Vec::new(), removed })
}
