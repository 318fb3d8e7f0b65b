//! A name index beside a table of named records (`bands`, `venues`): the
//! records whose name matches what a person typed, best first, read from
//! indexes and never by scanning the records.
//!
//! Two structures, kept in step with the records by [`NameIndex::put`]:
//! - `<table>_name_starts (first, start, id)`: each folded name once per word,
//!   as the rest of the name from that word (`name_match::word_starts`), `first`
//!   telling the whole name from a later word. Whole-name, name-start and
//!   word-start matches are index ranges of it, in name order.
//! - `<table>_name_trigrams`: an FTS5 trigram index of the folded names, for
//!   text inside a word (three characters or more).
//!
//! Candidates are checked against the record's whole folded name
//! ([`crate::name_match::tier`]) before they are answered.

use std::collections::HashSet;

use crate::name_match::{INDEXED_LENGTH, fold, prefix, range_end, rank, trigrams, word_starts};
use rusqlite::{Connection, Transaction};

use super::id_list;

/// Trigram candidates looked at per name answered, at most: the trigram
/// index keeps no positions (smaller), so some candidates do not hold the text.
const CANDIDATES_PER_ANSWER: usize = 20;

/// The name index of the records of `table` (which has `id` and `name`).
#[derive(Debug, Clone, Copy)]
pub struct NameIndex {
    table: &'static str,
}

impl NameIndex {
    pub const fn new(table: &'static str) -> Self {
        Self { table }
    }

    /// The index's tables, to append to the service's schema (idempotent).
    pub fn schema(&self) -> String {
        let t = self.table;
        format!(
            "CREATE TABLE IF NOT EXISTS {t}_name_starts (
                 first INTEGER NOT NULL,
                 start TEXT NOT NULL,
                 id    INTEGER NOT NULL,
                 PRIMARY KEY (first, start, id)
             ) WITHOUT ROWID;
             CREATE VIRTUAL TABLE IF NOT EXISTS {t}_name_trigrams
                 USING fts5(folded, content='', contentless_delete=1, tokenize='trigram', detail='none');"
        )
    }

    /// Indexes record `id` under `name`, in place of `previous` (its name
    /// before this write, if it had one).
    pub fn put(
        &self,
        transaction: &Transaction<'_>,
        id: i64,
        previous: Option<&str>,
        name: &str,
    ) -> rusqlite::Result<()> {
        let folded = fold(name);
        let previous = previous.map(fold);
        if previous.as_deref() == Some(folded.as_str()) {
            return Ok(());
        }
        let t = self.table;
        if let Some(previous) = &previous {
            let mut forget = transaction
                .prepare_cached(&format!("DELETE FROM {t}_name_starts WHERE first = ?1 AND start = ?2 AND id = ?3"))?;
            for (index, start) in word_starts(previous).into_iter().enumerate() {
                forget.execute((index == 0, start, id))?;
            }
            transaction.prepare_cached(&format!("DELETE FROM {t}_name_trigrams WHERE rowid = ?1"))?.execute([id])?;
        }
        let mut keep = transaction
            .prepare_cached(&format!("INSERT OR IGNORE INTO {t}_name_starts (first, start, id) VALUES (?1, ?2, ?3)"))?;
        for (index, start) in word_starts(&folded).into_iter().enumerate() {
            keep.execute((index == 0, start, id))?;
        }
        transaction
            .prepare_cached(&format!("INSERT INTO {t}_name_trigrams (rowid, folded) VALUES (?1, ?2)"))?
            .execute((id, &folded))?;
        Ok(())
    }

    /// Forgets record `id`, indexed under `name` (it is deleted).
    pub fn forget(&self, transaction: &Transaction<'_>, id: i64, name: &str) -> rusqlite::Result<()> {
        let t = self.table;
        let mut forget = transaction
            .prepare_cached(&format!("DELETE FROM {t}_name_starts WHERE first = ?1 AND start = ?2 AND id = ?3"))?;
        for (index, start) in word_starts(&fold(name)).into_iter().enumerate() {
            forget.execute((index == 0, start, id))?;
        }
        transaction.prepare_cached(&format!("DELETE FROM {t}_name_trigrams WHERE rowid = ?1"))?.execute([id])?;
        Ok(())
    }

    /// Indexes every record of a table that has records but no index yet (a
    /// store made before the index existed); once, in one transaction.
    pub fn backfill(&self, transaction: &Transaction<'_>) -> rusqlite::Result<()> {
        let t = self.table;
        let indexed: bool =
            transaction.query_row(&format!("SELECT EXISTS (SELECT 1 FROM {t}_name_starts)"), [], |r| r.get(0))?;
        if indexed {
            return Ok(());
        }
        let records: Vec<(i64, String)> = transaction
            .prepare(&format!("SELECT id, name FROM {t}"))?
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (id, name) in records {
            self.put(transaction, id, None, &name)?;
        }
        Ok(())
    }

    /// The ids of at most `limit` records whose name matches `text`, best
    /// first ([`crate::name_match::rank`]): the whole name, then names that start with
    /// it, then names with a later word that starts with it, then names
    /// holding it inside a word.
    pub fn search(&self, connection: &Connection, text: &str, limit: usize) -> rusqlite::Result<Vec<i64>> {
        let typed = fold(text);
        if typed.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let key = prefix(&typed, INDEXED_LENGTH);
        let end = range_end(key);
        let t = self.table;
        let mut candidates: Vec<i64> = Vec::new();
        let mut seen = HashSet::new();
        // The whole name and the name's start, then a later word's start: index ranges, in name order.
        for first in [true, false] {
            let mut range = connection.prepare_cached(&format!(
                "SELECT id FROM {t}_name_starts WHERE first = ?1 AND start >= ?2 AND start < ?3 ORDER BY start, id"
            ))?;
            for id in range.query_map((first, key, &end), |row| row.get::<_, i64>(0))? {
                let id = id?;
                if seen.insert(id) {
                    candidates.push(id);
                }
                if candidates.len() >= limit * 2 {
                    break;
                }
            }
        }
        // Inside a word: the trigram index, when the text is long enough to have
        // trigrams and the better tiers leave room (their matches are certain
        // unless the text is longer than what is indexed).
        if key.len() >= 3 && (candidates.len() < limit || typed.len() > INDEXED_LENGTH) {
            let mut inside = connection
                .prepare_cached(&format!("SELECT rowid FROM {t}_name_trigrams WHERE {t}_name_trigrams MATCH ?1"))?;
            // Every trigram of the text, each a one-token phrase: the index keeps no
            // positions, so a longer phrase cannot be asked; the names are checked after.
            let every_trigram: Vec<String> = trigrams(key).iter().map(|trigram| format!("\"{trigram}\"")).collect();
            let wanted = every_trigram.join(" AND ");
            for id in inside.query_map([wanted], |row| row.get::<_, i64>(0))?.take(limit * CANDIDATES_PER_ANSWER) {
                let id = id?;
                if seen.insert(id) {
                    candidates.push(id);
                }
            }
        }
        self.ranked(connection, &typed, candidates, limit)
    }

    /// The candidates that match `typed` on their whole folded name, ranked
    /// ([`crate::name_match::rank`]), at most `limit`.
    fn ranked(
        &self,
        connection: &Connection,
        typed: &str,
        candidates: Vec<i64>,
        limit: usize,
    ) -> rusqlite::Result<Vec<i64>> {
        let t = self.table;
        let mut names = connection.prepare_cached(&format!("SELECT id, name FROM {t} WHERE id IN rarray(?1)"))?;
        let folded: Vec<(i64, String)> = names
            .query_map([id_list(&candidates)], |row| Ok((row.get::<_, i64>(0)?, fold(&row.get::<_, String>(1)?))))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rank(folded, typed, limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BANDS: NameIndex = NameIndex::new("bands");

    fn store(names: &[(i64, &str)]) -> Connection {
        let mut connection = Connection::open_in_memory().unwrap();
        rusqlite::vtab::array::load_module(&connection).unwrap();
        connection.execute_batch("CREATE TABLE bands (id INTEGER PRIMARY KEY, name TEXT NOT NULL);").unwrap();
        connection.execute_batch(&BANDS.schema()).unwrap();
        let transaction = connection.transaction().unwrap();
        for (id, name) in names {
            transaction.execute("INSERT INTO bands VALUES (?1, ?2)", (id, name)).unwrap();
            BANDS.put(&transaction, *id, None, name).unwrap();
        }
        transaction.commit().unwrap();
        connection
    }

    fn found(connection: &Connection, text: &str, limit: usize) -> Vec<i64> {
        BANDS.search(connection, text, limit).unwrap()
    }

    #[test]
    fn accents_case_and_punctuation_do_not_matter() {
        let connection = store(&[(1, "Sigur Rós"), (2, "Hüsker Dü"), (3, "Sinéad O'Connor"), (4, "Sinéad Lohan")]);
        assert_eq!(found(&connection, "sigur ros", 10), vec![1]);
        assert_eq!(found(&connection, "SIGUR RÓS!", 10), vec![1]);
        assert_eq!(found(&connection, "husker", 10), vec![2]);
        assert_eq!(found(&connection, "sinead", 10), vec![4, 3], "both Sinéads, by name");
        assert_eq!(found(&connection, "o'connor", 10), vec![3]);
        assert_eq!(found(&connection, "radiohead", 10), Vec::<i64>::new());
        assert_eq!(found(&connection, " !! ", 10), Vec::<i64>::new(), "nothing to look for");
    }

    #[test]
    fn the_whole_name_comes_first_then_its_start_then_a_words_then_inside_a_word() {
        let connection = store(&[
            (1, "Doorsmen"),
            (2, "The Doors"),
            (3, "3 Doors Down"),
            (4, "Doors"),
            (5, "Backdoors"),
            (6, "Doors of Perception"),
        ]);
        // doors; doors of perception, doorsmen; (the) doors, (3) doors down; backdoors.
        assert_eq!(found(&connection, "doors", 10), vec![4, 6, 1, 2, 3, 5]);
        assert_eq!(found(&connection, "doors", 2), vec![4, 6], "the best ones, whatever the limit");
        assert_eq!(found(&connection, "3 Doors", 10), vec![3]);
        assert_eq!(found(&connection, "oor", 10), vec![1, 2, 3, 4, 5, 6], "inside a word, by id");
        assert_eq!(found(&connection, "do", 10), vec![4, 6, 1, 2, 3], "too short for trigrams: word starts only");
    }

    #[test]
    fn a_renamed_record_is_found_by_its_new_name_only() {
        let mut connection = store(&[(1, "Muse")]);
        let transaction = connection.transaction().unwrap();
        transaction.execute("UPDATE bands SET name = 'Radiohead' WHERE id = 1", []).unwrap();
        BANDS.put(&transaction, 1, Some("Muse"), "Radiohead").unwrap();
        transaction.commit().unwrap();
        assert_eq!(found(&connection, "muse", 10), Vec::<i64>::new());
        assert_eq!(found(&connection, "radio", 10), vec![1]);
        assert_eq!(found(&connection, "dioh", 10), vec![1]);
    }

    #[test]
    fn records_stored_before_the_index_are_indexed_once() {
        let mut connection = Connection::open_in_memory().unwrap();
        rusqlite::vtab::array::load_module(&connection).unwrap();
        connection.execute_batch("CREATE TABLE bands (id INTEGER PRIMARY KEY, name TEXT NOT NULL);").unwrap();
        connection.execute_batch("INSERT INTO bands VALUES (1, 'Sigur Rós'), (2, 'Muse');").unwrap();
        connection.execute_batch(&BANDS.schema()).unwrap();
        for _ in 0..2 {
            let transaction = connection.transaction().unwrap();
            BANDS.backfill(&transaction).unwrap();
            transaction.commit().unwrap();
        }
        assert_eq!(found(&connection, "ros", 10), vec![1]);
        let starts: i64 = connection.query_row("SELECT count(*) FROM bands_name_starts", [], |r| r.get(0)).unwrap();
        assert_eq!(starts, 3, "sigur ros, ros, muse: indexed once");
    }

    /// The ranges are read from the index in name order, never by scanning
    /// the records or sorting them.
    #[test]
    fn the_ranges_are_index_ranges_without_a_sort() {
        let connection = store(&[(1, "Muse")]);
        let sql = "EXPLAIN QUERY PLAN SELECT id FROM bands_name_starts WHERE first = ?1 AND start >= ?2 AND start < ?3 ORDER BY start, id";
        let plan: Vec<String> = connection
            .prepare(sql)
            .unwrap()
            .query_map((true, "m", "m\u{7f}"), |row| row.get(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let plan = plan.join("; ");
        assert!(plan.contains("SEARCH bands_name_starts USING PRIMARY KEY"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }
}
