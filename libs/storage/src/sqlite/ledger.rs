//! What a service writes beside each change of its records, in the same
//! transaction:
//!
//! - `changes`: the service's change log (a transactional outbox). Every
//!   create, update and delete gets the next position, in commit order, with
//!   the record as it is after the change (a deleted one as it was last); an
//!   import gets one entry, `bulk`, telling followers to read again rather
//!   than one entry per record. A
//!   position is never given twice (`AUTOINCREMENT`), even after old entries
//!   are compacted away.
//! - `idempotency`: the keys of creates (`Idempotency-Key`), so that a create
//!   sent again (a client's retry, an orchestrator resuming after a crash) is
//!   answered with the record it made, not made twice; a key sent with
//!   another body is refused. A key stays a day.
//! - `cursors`: how far this service applied another service's log (the
//!   concerts service follows the bands' and venues'), so that it resumes
//!   there after a restart.
//! - `ids`: the highest id each table ever gave, so that an id is never
//!   given twice, not even after its record is deleted (a client holding
//!   `/bands/7` never finds another band there).

use changes_model::{Change, ChangeKind, ChangePage};
use rusqlite::{OptionalExtension, Transaction, params};

/// The ledger's tables, to append to the service's schema (idempotent).
pub const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS changes (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        at       INTEGER NOT NULL,
        kind     TEXT NOT NULL,
        id       INTEGER,
        record   TEXT,
        previous TEXT
    );
    CREATE TABLE IF NOT EXISTS idempotency (
        key         TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        record_id   INTEGER NOT NULL,
        at          INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS idempotency_by_record ON idempotency (record_id);
    CREATE INDEX IF NOT EXISTS idempotency_by_age ON idempotency (at);
    CREATE TABLE IF NOT EXISTS cursors (
        log      TEXT PRIMARY KEY,
        position INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ids (
        name    TEXT PRIMARY KEY,
        highest INTEGER NOT NULL
    ) WITHOUT ROWID;
";

/// How long a create's key is remembered, in ms.
pub const KEY_LIFETIME_MS: i64 = 24 * 3600 * 1000;

/// Now, in UNIX ms.
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// Takes `count` new ids of `table` (whose largest stored id is `largest`);
/// the first. Ids come after every id given before and every id stored (an
/// import may store its own).
pub fn take_ids(transaction: &Transaction<'_>, table: &str, largest: i64, count: i64) -> rusqlite::Result<i64> {
    let given: Option<i64> =
        transaction.query_row("SELECT highest FROM ids WHERE name = ?1", [table], |row| row.get(0)).optional()?;
    let first = given.unwrap_or(0).max(largest) + 1;
    transaction.execute(
        "INSERT INTO ids (name, highest) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET highest = excluded.highest",
        params![table, first + count - 1],
    )?;
    Ok(first)
}

/// Logs a change of record `id` (`record`: its JSON after the change); its position.
pub fn log_change(
    transaction: &Transaction<'_>,
    kind: &str,
    id: Option<i64>,
    record: Option<&str>,
) -> rusqlite::Result<i64> {
    transaction
        .prepare_cached("INSERT INTO changes (at, kind, id, record) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![now_ms(), kind, id, record])?;
    Ok(transaction.last_insert_rowid())
}

/// Logs the update of record `id` (`record`: its JSON after the change,
/// `previous`: before it); its position.
pub fn log_update(transaction: &Transaction<'_>, id: i64, record: &str, previous: &str) -> rusqlite::Result<i64> {
    transaction
        .prepare_cached("INSERT INTO changes (at, kind, id, record, previous) VALUES (?1, 'updated', ?2, ?3, ?4)")?
        .execute(params![now_ms(), id, record, previous])?;
    Ok(transaction.last_insert_rowid())
}

/// The last position of `log` applied (0: none).
pub fn cursor(connection: &rusqlite::Connection, log: &str) -> rusqlite::Result<i64> {
    let kept =
        connection.query_row("SELECT position FROM cursors WHERE log = ?1", [log], |row| row.get(0)).optional()?;
    Ok(kept.unwrap_or(0))
}

/// Keeps `position` as the last applied of `log`.
pub fn keep_cursor(transaction: &Transaction<'_>, log: &str, position: i64) -> rusqlite::Result<()> {
    transaction.execute(
        "INSERT INTO cursors (log, position) VALUES (?1, ?2) ON CONFLICT (log) DO UPDATE SET position = excluded.position",
        params![log, position],
    )?;
    Ok(())
}

/// Adds to a log made by an earlier version the columns it lacks (the
/// record before an update).
pub fn add_missing_columns(connection: &rusqlite::Connection) -> rusqlite::Result<()> {
    let lacks_previous: bool = connection.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'changes')
             AND NOT EXISTS (SELECT 1 FROM pragma_table_info('changes') WHERE name = 'previous')",
        [],
        |row| row.get(0),
    )?;
    if lacks_previous {
        connection.execute_batch("ALTER TABLE changes ADD COLUMN previous TEXT")?;
    }
    Ok(())
}

/// The changes after `position`, at most `limit`, in order, and what the
/// log keeps ([`ChangePage`]).
pub fn changes_after(connection: &rusqlite::Connection, position: i64, limit: usize) -> rusqlite::Result<ChangePage> {
    let mut statement = connection.prepare_cached(
        "SELECT position, at, kind, id, record, previous FROM changes WHERE position > ?1 ORDER BY position LIMIT ?2",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = statement.query_map(params![position, limit], |row| {
        let unreadable = |column, error: Box<dyn std::error::Error + Send + Sync>| {
            rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, error)
        };
        let kind: String = row.get(2)?;
        let json = |column: usize| -> rusqlite::Result<Option<serde_json::Value>> {
            let text: Option<String> = row.get(column)?;
            text.map(|text| serde_json::from_str(&text)).transpose().map_err(|e| unreadable(column, e.into()))
        };
        Ok(Change {
            position: row.get(0)?,
            at: row.get(1)?,
            kind: ChangeKind::parse(&kind).ok_or_else(|| unreadable(2, format!("no change is {kind:?}").into()))?,
            id: row.get(3)?,
            record: json(4)?,
            previous: json(5)?,
        })
    })?;
    let changes = rows.collect::<rusqlite::Result<_>>()?;
    let (last, oldest) = bounds(connection)?;
    Ok(ChangePage { changes, last, oldest })
}

/// The last position given (0 before any change), and the first one still
/// kept (after a compaction, older ones are gone: `None` when the log is empty).
fn bounds(connection: &rusqlite::Connection) -> rusqlite::Result<(i64, Option<i64>)> {
    let last: i64 = connection.query_row(
        "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0)",
        [],
        |row| row.get(0),
    )?;
    let first: Option<i64> = connection.query_row("SELECT min(position) FROM changes", [], |row| row.get(0))?;
    Ok((last, first))
}

/// Drops the changes older than `before` (UNIX ms), keeping the newest one
/// so that the last position stays known; how many were dropped.
pub fn compact(transaction: &Transaction<'_>, before: i64) -> rusqlite::Result<usize> {
    transaction
        .execute("DELETE FROM changes WHERE at < ?1 AND position < (SELECT max(position) FROM changes)", [before])
}

/// What a create's key was given for before: the fingerprint of its body and
/// the record it made (keys older than a day are forgotten first).
pub fn remembered(transaction: &Transaction<'_>, key: &str) -> rusqlite::Result<Option<(String, i64)>> {
    transaction.prepare_cached("DELETE FROM idempotency WHERE at < ?1")?.execute([now_ms() - KEY_LIFETIME_MS])?;
    transaction
        .prepare_cached("SELECT fingerprint, record_id FROM idempotency WHERE key = ?1")?
        .query_row([key], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()
}

/// Remembers that `key`, with a body of `fingerprint`, made record `id`.
pub fn remember(transaction: &Transaction<'_>, key: &str, fingerprint: &str, id: i64) -> rusqlite::Result<()> {
    transaction
        .prepare_cached("INSERT OR REPLACE INTO idempotency (key, fingerprint, record_id, at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![key, fingerprint, id, now_ms()])?;
    Ok(())
}

/// Forgets the keys that made record `id` (it is deleted: a create sent
/// again with its key makes it anew, as an orchestrator undoing a step needs).
pub fn forget(transaction: &Transaction<'_>, id: i64) -> rusqlite::Result<()> {
    transaction.prepare_cached("DELETE FROM idempotency WHERE record_id = ?1")?.execute([id])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    fn ledger() -> Connection {
        let connection = Connection::open_in_memory().unwrap();
        connection.execute_batch(SCHEMA).unwrap();
        connection
    }

    #[test]
    fn changes_take_positions_in_order_and_positions_are_never_given_twice() {
        let mut connection = ledger();
        let transaction = connection.transaction().unwrap();
        assert_eq!(log_change(&transaction, "created", Some(7), Some("{\"id\":7}")).unwrap(), 1);
        assert_eq!(log_change(&transaction, "bulk", None, None).unwrap(), 2);
        assert_eq!(log_change(&transaction, "deleted", Some(7), None).unwrap(), 3);
        transaction.commit().unwrap();
        let after_one = changes_after(&connection, 1, 10).unwrap();
        assert_eq!(
            after_one.changes.iter().map(|c| (c.position, c.kind, c.id)).collect::<Vec<_>>(),
            [(2, ChangeKind::Bulk, None), (3, ChangeKind::Deleted, Some(7))]
        );
        assert_eq!(changes_after(&connection, 0, 1).unwrap().changes[0].record, Some(serde_json::json!({"id": 7})));
        assert_eq!(bounds(&connection).unwrap(), (3, Some(1)));
        let transaction = connection.transaction().unwrap();
        assert_eq!(compact(&transaction, i64::MAX).unwrap(), 2, "all but the newest");
        assert_eq!(log_change(&transaction, "created", Some(8), None).unwrap(), 4, "never 1 again");
        transaction.commit().unwrap();
        assert_eq!(bounds(&connection).unwrap(), (4, Some(3)));
    }

    #[test]
    fn an_update_keeps_the_record_before_it_and_an_older_log_gains_the_column() {
        let mut connection = Connection::open_in_memory().unwrap();
        let before_updates = SCHEMA.replace(",\n        previous TEXT", "");
        connection.execute_batch(&before_updates).unwrap();
        add_missing_columns(&connection).unwrap();
        add_missing_columns(&connection).unwrap();
        let transaction = connection.transaction().unwrap();
        log_update(&transaction, 7, r#"{"id":7,"n":2}"#, r#"{"id":7,"n":1}"#).unwrap();
        transaction.commit().unwrap();
        let updated = changes_after(&connection, 0, 1).unwrap().changes.remove(0);
        assert_eq!(updated.kind, ChangeKind::Updated);
        assert_eq!(updated.record, Some(serde_json::json!({"id": 7, "n": 2})));
        assert_eq!(updated.previous, Some(serde_json::json!({"id": 7, "n": 1})));
    }

    #[test]
    fn a_key_is_remembered_with_its_record_until_the_record_goes() {
        let mut connection = ledger();
        let transaction = connection.transaction().unwrap();
        assert_eq!(remembered(&transaction, "k").unwrap(), None);
        remember(&transaction, "k", "f1", 42).unwrap();
        assert_eq!(remembered(&transaction, "k").unwrap(), Some(("f1".to_owned(), 42)));
        forget(&transaction, 42).unwrap();
        assert_eq!(remembered(&transaction, "k").unwrap(), None);
        transaction.execute("INSERT INTO idempotency VALUES ('old', 'f', 1, 0)", []).unwrap();
        assert_eq!(remembered(&transaction, "old").unwrap(), None, "a day old: forgotten");
    }
}
