//! A table of named records (bands, venues), with what every write of them
//! keeps in step: the name index, each record's revision, the change log and
//! the keys of creates ([`super::ledger`]). A store describes its table
//! ([`NamedTable`]); the reads and the writes are the same for every such table.

use exceptions::{Problem, WriteError};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params_from_iter};
use serde::Serialize;

use super::{NameIndex, id_list, ledger};

/// How a store's records sit in its table.
pub struct NamedTable<R> {
    /// The table's name (`bands`).
    pub table: &'static str,
    /// The record's columns after `id`, in order (`["name"]`).
    pub columns: &'static [&'static str],
    pub names: NameIndex,
    pub id: fn(&R) -> i64,
    pub name: fn(&R) -> &str,
    /// The values of [`Self::columns`].
    pub values: fn(&R) -> Vec<Value>,
    /// A record from a row of `id, <columns>`.
    pub read: fn(&Row<'_>) -> rusqlite::Result<R>,
}

/// What a write comes to, before its transaction ends: what it made, or why
/// it is refused (then nothing of it is kept). SQLite's own failures are the
/// outer error.
pub type Outcome<T> = rusqlite::Result<Result<T, WriteError>>;

impl<R: Serialize> NamedTable<R> {
    /// The table, its name index and the ledger (idempotent).
    pub fn schema(&self) -> String {
        let columns: Vec<String> = self.columns.iter().map(|column| format!("{column} NOT NULL")).collect();
        format!(
            "CREATE TABLE IF NOT EXISTS {} (id INTEGER PRIMARY KEY, {}, revision INTEGER NOT NULL DEFAULT 1);{}{}",
            self.table,
            columns.join(", "),
            self.names.schema(),
            ledger::SCHEMA
        )
    }

    /// Brings a table made by an earlier version up to this one (a column
    /// `revision`), and indexes names not indexed yet.
    pub fn migrate(&self, transaction: &Transaction<'_>) -> rusqlite::Result<()> {
        let has_revision: bool = transaction.query_row(
            &format!("SELECT count(*) > 0 FROM pragma_table_info('{}') WHERE name = 'revision'", self.table),
            [],
            |row| row.get(0),
        )?;
        if !has_revision {
            transaction
                .execute_batch(&format!("ALTER TABLE {} ADD COLUMN revision INTEGER NOT NULL DEFAULT 1", self.table))?;
        }
        self.names.backfill(transaction)
    }

    fn select(&self) -> String {
        format!("SELECT id, {} FROM {}", self.columns.join(", "), self.table)
    }

    /// The records among `ids` that exist, ascending id.
    pub fn by_ids(&self, connection: &Connection, ids: &[i64]) -> rusqlite::Result<Vec<R>> {
        let sql = format!("{} WHERE id IN rarray(?1) ORDER BY id", self.select());
        let mut statement = connection.prepare_cached(&sql)?;
        let rows = statement.query_map([id_list(ids)], self.read)?;
        rows.collect()
    }

    /// The record `id` and its revision.
    pub fn get(&self, connection: &Connection, id: i64) -> rusqlite::Result<Option<(R, i64)>> {
        let sql = format!("SELECT id, {}, revision FROM {} WHERE id = ?1", self.columns.join(", "), self.table);
        let read = self.read;
        let revision_at = self.columns.len() + 1;
        connection.prepare_cached(&sql)?.query_row([id], |row| Ok((read(row)?, row.get(revision_at)?))).optional()
    }

    /// An import: `records` written by id (a record there is replaced, its
    /// revision moved on), and one `bulk` change in the log.
    pub fn import(&self, transaction: &Transaction<'_>, records: &[R]) -> rusqlite::Result<usize> {
        let t = self.table;
        let mut previous = transaction.prepare_cached(&format!("SELECT name FROM {t} WHERE id = ?1"))?;
        let assignments: Vec<String> = self.columns.iter().map(|c| format!("{c} = excluded.{c}")).collect();
        let placeholders: Vec<String> = (1..=self.columns.len() + 1).map(|i| format!("?{i}")).collect();
        let mut save = transaction.prepare_cached(&format!(
            "INSERT INTO {t} (id, {}) VALUES ({}) ON CONFLICT (id) DO UPDATE SET {}, revision = revision + 1",
            self.columns.join(", "),
            placeholders.join(", "),
            assignments.join(", ")
        ))?;
        for record in records {
            let id = (self.id)(record);
            let before: Option<String> = previous.query_row([id], |row| row.get(0)).optional()?;
            self.names.put(transaction, id, before.as_deref(), (self.name)(record))?;
            save.execute(params_from_iter(std::iter::once(Value::from(id)).chain((self.values)(record))))?;
        }
        ledger::log_change(transaction, "bulk", None, None)?;
        Ok(records.len())
    }

    /// A new record, made by `make` from the next free id; with `once`, made
    /// once per key: the same key and fingerprint again give the record it
    /// made (`true`: replayed), another fingerprint is refused.
    pub fn create(
        &self,
        transaction: &Transaction<'_>,
        make: impl FnOnce(i64) -> R,
        once: Option<(&str, &str)>,
    ) -> Outcome<(R, i64, bool)> {
        if let Some((key, fingerprint)) = once
            && let Some((given_for, id)) = ledger::remembered(transaction, key)?
        {
            if given_for != fingerprint {
                return Ok(Err(WriteError::KeyReused));
            }
            if let Some((record, revision)) = self.get(transaction, id)? {
                return Ok(Ok((record, revision, true)));
            }
        }
        let largest: i64 =
            transaction.query_row(&format!("SELECT coalesce(max(id), 0) FROM {}", self.table), [], |row| row.get(0))?;
        let next = ledger::take_ids(transaction, self.table, largest, 1)?;
        let record = make(next);
        self.write_new(transaction, &record)?;
        if let Some((key, fingerprint)) = once {
            ledger::remember(transaction, key, fingerprint, next)?;
        }
        Ok(Ok((record, 1, false)))
    }

    fn write_new(&self, transaction: &Transaction<'_>, record: &R) -> rusqlite::Result<()> {
        let id = (self.id)(record);
        let placeholders: Vec<String> = (1..=self.columns.len() + 1).map(|i| format!("?{i}")).collect();
        transaction
            .prepare_cached(&format!(
                "INSERT INTO {} (id, {}, revision) VALUES ({}, 1)",
                self.table,
                self.columns.join(", "),
                placeholders.join(", ")
            ))?
            .execute(params_from_iter(std::iter::once(Value::from(id)).chain((self.values)(record))))?;
        self.names.put(transaction, id, None, (self.name)(record))?;
        ledger::log_change(transaction, "created", Some(id), Some(&json(record)))?;
        Ok(())
    }

    /// The record `id` as `edit` makes it, if at revision `expected` (any when `None`).
    pub fn update(
        &self,
        transaction: &Transaction<'_>,
        id: i64,
        expected: Option<i64>,
        edit: impl FnOnce(&R) -> Result<R, Vec<Problem>>,
    ) -> Outcome<(R, R, i64)> {
        let Some((before, revision)) = self.get(transaction, id)? else { return Ok(Err(WriteError::NotFound)) };
        if expected.is_some_and(|expected| expected != revision) {
            return Ok(Err(WriteError::Stale { current: revision }));
        }
        let after = match edit(&before) {
            Ok(after) => after,
            Err(problems) => return Ok(Err(WriteError::Invalid(problems))),
        };
        let assignments: Vec<String> =
            self.columns.iter().enumerate().map(|(i, c)| format!("{c} = ?{}", i + 2)).collect();
        transaction
            .prepare_cached(&format!(
                "UPDATE {} SET {}, revision = revision + 1 WHERE id = ?1",
                self.table,
                assignments.join(", ")
            ))?
            .execute(params_from_iter(std::iter::once(Value::from(id)).chain((self.values)(&after))))?;
        self.names.put(transaction, id, Some((self.name)(&before)), (self.name)(&after))?;
        ledger::log_update(transaction, id, &json(&after), &json(&before))?;
        Ok(Ok((before, after, revision + 1)))
    }

    /// Deletes the record `id`, if at revision `expected` (any when `None`); what it was.
    pub fn delete(&self, transaction: &Transaction<'_>, id: i64, expected: Option<i64>) -> Outcome<R> {
        let Some((before, revision)) = self.get(transaction, id)? else { return Ok(Err(WriteError::NotFound)) };
        if expected.is_some_and(|expected| expected != revision) {
            return Ok(Err(WriteError::Stale { current: revision }));
        }
        transaction.execute(&format!("DELETE FROM {} WHERE id = ?1", self.table), [id])?;
        self.names.forget(transaction, id, (self.name)(&before))?;
        ledger::forget(transaction, id)?;
        ledger::log_change(transaction, "deleted", Some(id), Some(&json(&before)))?;
        Ok(Ok(before))
    }
}

fn json(record: &impl Serialize) -> String {
    serde_json::to_string(record).unwrap_or_else(|_| "null".to_owned())
}
