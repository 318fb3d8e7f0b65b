//! The embedded database the services use by default: one SQLite file per
//! service, a small pool of connections, and queries run off the async
//! runtime (writes and long reads on a blocking thread; short reads in place,
//! [`SqliteDb::read`]).
//!
//! Each service owns its own file and schema; this module only knows how to
//! open one well (WAL, busy timeout, the `rarray` module for `IN` lists) and
//! how to turn SQLite's failures into the product's [`StoreError`].

use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

pub mod ledger;
mod name_index;
mod named_table;

pub use name_index::NameIndex;
pub use named_table::{NamedTable, Outcome};

use changes_model::ChangePage;
use deadpool_sqlite::{Config, Hook, HookError, Pool, PoolError, Runtime};
use exceptions::StoreError;

pub use deadpool_sqlite::rusqlite;
use rusqlite::types::Value;
use rusqlite::{Connection, Transaction, TransactionBehavior};

/// One service's SQLite database.
#[derive(Clone)]
pub struct SqliteDb {
    pool: Pool,
    /// SQLite has one writer at a time; writers queue here rather than in
    /// SQLite's busy loop, where a waiting writer's read snapshot keeps the WAL
    /// checkpoint from completing (the WAL then grows without bound during an import).
    writer: Arc<tokio::sync::Mutex<()>>,
    /// Which state of the data this is: see [`Self::data_version`].
    version: Arc<DataVersion>,
}

/// The writes committed since the database was opened, and a number drawn
/// at opening: together they name the data's state. Only this process
/// writes its file, so it knows every change.
#[derive(Debug)]
struct DataVersion {
    opened: u64,
    writes: std::sync::atomic::AtomicU64,
}

impl SqliteDb {
    /// Opens (or creates) the database at `path` and applies `schema`, which
    /// must be idempotent (`CREATE ... IF NOT EXISTS`).
    pub async fn open(path: &Path, schema: impl Into<String>) -> Result<Self, StoreError> {
        let schema = schema.into();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::unavailable(format!("cannot create {}", parent.display()), e))?;
            can_write_in(parent)?;
        }
        let pool = Config::new(path)
            .builder(Runtime::Tokio1)
            .map_err(|e| StoreError::unavailable(format!("cannot open {}", path.display()), e))?
            .post_create(Hook::async_fn(|connection, _| {
                Box::pin(async move {
                    connection
                        .interact(configure)
                        .await
                        .map_err(|e| HookError::Message(e.to_string().into()))?
                        .map_err(HookError::Backend)
                })
            }))
            .build()
            .map_err(|e| StoreError::unavailable(format!("cannot open {}", path.display()), e))?;
        let version = DataVersion { opened: fastrand::u64(..), writes: Default::default() };
        let db = Self { pool, writer: Arc::default(), version: Arc::new(version) };
        // The first statement on the file: a file that is no database, or one
        // that cannot be written, shows here, named.
        let opened = db
            .call("migrate", move |connection| {
                connection.execute_batch(&schema)?;
                ledger::add_missing_columns(connection)
            })
            .await;
        opened.map_err(|error| in_file(path, error))?;
        Ok(db)
    }

    /// Runs `query` on a pooled connection, on a blocking thread; its latency
    /// is recorded under `operation`.
    pub async fn call<R, F>(&self, operation: &'static str, query: F) -> Result<R, StoreError>
    where
        F: FnOnce(&mut Connection) -> rusqlite::Result<R> + Send + 'static,
        R: Send + 'static,
    {
        measured(operation, async {
            self.connection()
                .await?
                .interact(query)
                .await
                .map_err(|e| StoreError::backend_because(format!("{operation} did not complete: {e}")))?
                .map_err(|e| classify(operation, e))
        })
        .await
    }

    /// Runs a read `query` on a pooled connection on this very thread, the
    /// runtime moving this worker's other tasks elsewhere meanwhile
    /// ([`tokio::task::block_in_place`]). A search reads a few index ranges,
    /// often in less time than sending it to a blocking thread and its answer
    /// back (measured: about a tenth of the concerts service's CPU on band
    /// searches). A runtime of one thread (tests) cannot do that: there, [`Self::call`].
    pub async fn read<R, F>(&self, operation: &'static str, query: F) -> Result<R, StoreError>
    where
        F: FnOnce(&mut Connection) -> rusqlite::Result<R> + Send + 'static,
        R: Send + 'static,
    {
        use tokio::runtime::{Handle, RuntimeFlavor};
        if Handle::current().runtime_flavor() != RuntimeFlavor::MultiThread {
            return self.call(operation, query).await;
        }
        measured(operation, async {
            let connection = self.connection().await?;
            tokio::task::block_in_place(|| {
                let mut guard = connection
                    .lock()
                    .map_err(|_| StoreError::backend_because(format!("{operation}: a connection was poisoned")))?;
                query(&mut guard).map_err(|e| classify(operation, e))
            })
        })
        .await
    }

    async fn connection(&self) -> Result<deadpool_sqlite::Object, StoreError> {
        self.pool.get().await.map_err(|error| match error {
            PoolError::Backend(e) | PoolError::PostCreateHook(HookError::Backend(e)) => {
                classify("opening a connection", e)
            }
            other => StoreError::unavailable("no connection to the database", other),
        })
    }

    /// Runs `write` in one transaction: all of it is committed, or none.
    pub async fn write<R, F>(&self, operation: &'static str, write: F) -> Result<R, StoreError>
    where
        F: FnOnce(&Transaction<'_>) -> rusqlite::Result<R> + Send + 'static,
        R: Send + 'static,
    {
        self.transact(operation, false, write).await
    }

    /// [`Self::write`] for a transaction that sorts or rewrites most of the
    /// file (a step of a bulk load): its connection sorts on disk for it,
    /// then goes back to the settings of queries (SQLite takes those settings
    /// only outside a transaction), and the WAL is checkpointed and emptied.
    pub async fn bulk_write<R, F>(&self, operation: &'static str, write: F) -> Result<R, StoreError>
    where
        F: FnOnce(&Transaction<'_>) -> rusqlite::Result<R> + Send + 'static,
        R: Send + 'static,
    {
        self.transact(operation, true, write).await
    }

    async fn transact<R, F>(&self, operation: &'static str, bulk: bool, write: F) -> Result<R, StoreError>
    where
        F: FnOnce(&Transaction<'_>) -> rusqlite::Result<R> + Send + 'static,
        R: Send + 'static,
    {
        let _writing = self.writer.lock().await;
        self.call(operation, move |connection| {
            if bulk {
                connection.execute_batch(FOR_BULK_WRITES)?;
            }
            // IMMEDIATE takes the write lock up front, under the busy timeout: a deferred
            // transaction that reads first (an upsert that looks before it writes)
            // fails at once with "database is locked" when another connection is writing.
            let result = connection.transaction_with_behavior(TransactionBehavior::Immediate).and_then(|transaction| {
                let result = write(&transaction)?;
                transaction.commit()?;
                Ok(result)
            });
            if bulk {
                connection.execute_batch(FOR_QUERIES)?;
                // The WAL holds every page the transaction wrote: copy them into
                // the file now and give the WAL's space back, rather than keep a
                // WAL the size of the store.
                connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            }
            result
        })
        .await
        .inspect(|_| {
            self.version.writes.fetch_add(1, std::sync::atomic::Ordering::Release);
        })
    }

    /// Runs `edit` in one transaction, committed when it comes to `Ok(Ok(..))`:
    /// a refusal (`Ok(Err(..))`, nothing of it kept) rolls it back, as an
    /// error of SQLite's does (then the store's error).
    pub async fn edit<R, F>(
        &self,
        operation: &'static str,
        edit: F,
    ) -> Result<Result<R, exceptions::WriteError>, StoreError>
    where
        F: FnOnce(&Transaction<'_>) -> Outcome<R> + Send + 'static,
        R: Send + 'static,
    {
        let _writing = self.writer.lock().await;
        let outcome = self
            .call(operation, move |connection| {
                let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let outcome = edit(&transaction)?;
                if outcome.is_ok() {
                    transaction.commit()?;
                }
                Ok(outcome)
            })
            .await?;
        if outcome.is_ok() {
            self.version.writes.fetch_add(1, std::sync::atomic::Ordering::Release);
        }
        Ok(outcome)
    }

    /// A name of the data's current state, which changes with every committed
    /// write (and when the file is opened again): what answers depend on.
    pub fn data_version(&self) -> String {
        let writes = self.version.writes.load(std::sync::atomic::Ordering::Acquire);
        format!("{:x}-{writes}", self.version.opened)
    }

    /// The change log after `position`: at most `limit` entries, in order
    /// ([`ledger::changes_after`]).
    pub async fn changes_after(&self, position: i64, limit: usize) -> Result<ChangePage, StoreError> {
        self.call("changes", move |connection| ledger::changes_after(connection, position, limit)).await
    }

    /// The last position of another service's log applied here ([`ledger::cursor`]).
    pub async fn cursor(&self, log: &'static str) -> Result<i64, StoreError> {
        self.call("cursor", move |connection| ledger::cursor(connection, log)).await
    }

    /// Keeps `position` as the last applied of `log`. Not a write of the
    /// data: its version stays.
    pub async fn keep_cursor(&self, log: &'static str, position: i64) -> Result<(), StoreError> {
        let _writing = self.writer.lock().await;
        self.call("keep_cursor", move |connection| {
            let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            ledger::keep_cursor(&transaction, log, position)?;
            transaction.commit()
        })
        .await
    }

    /// Drops the change log's entries committed before `before` (UNIX ms),
    /// the newest kept ([`ledger::compact`]); how many. Not a write of the
    /// data: its version stays.
    pub async fn compact_changes(&self, before: i64) -> Result<u64, StoreError> {
        let _writing = self.writer.lock().await;
        self.call("compact_changes", move |connection| {
            let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let dropped = ledger::compact(&transaction, before)?;
            transaction.commit()?;
            Ok(dropped as u64)
        })
        .await
    }

    /// Whether `table` has no row (`table` is a name from the service's own schema).
    pub async fn is_empty(&self, table: &'static str) -> Result<bool, StoreError> {
        self.call("is_empty", move |connection| {
            connection.query_row(&format!("SELECT NOT EXISTS (SELECT 1 FROM {table})"), [], |row| row.get(0))
        })
        .await
    }
}

/// Runs `query`, recording its latency and outcome under `operation`.
async fn measured<R>(
    operation: &'static str,
    query: impl Future<Output = Result<R, StoreError>>,
) -> Result<R, StoreError> {
    let started = Instant::now();
    let result = query.await;
    crate::metrics::record_store_query("sqlite", operation, started.elapsed(), result.is_ok());
    result
}

/// Per-connection settings: WAL lets readers run beside the one writer.
fn configure(connection: &mut Connection) -> rusqlite::Result<()> {
    connection.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;")?;
    connection.execute_batch(FOR_QUERIES)?;
    rusqlite::vtab::array::load_module(connection)
}

/// What queries and ordinary writes run with: 32 MiB of page cache, and
/// temporary B-trees (ids lists, small sorts) in memory.
const FOR_QUERIES: &str = "PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY; PRAGMA threads = 0;";
/// What a bulk write runs with: sorts of hundreds of millions of rows spill
/// to temporary files (not to memory), on two threads, with 256 MiB of cache.
const FOR_BULK_WRITES: &str = "PRAGMA cache_size = -262144; PRAGMA temp_store = FILE; PRAGMA threads = 2;";

/// Whether files can be made in `folder`, as SQLite must (its WAL and shared
/// memory files sit beside the database); SQLite's own error for a folder it
/// cannot write says only "unable to open database file".
fn can_write_in(folder: &Path) -> Result<(), StoreError> {
    let probe = folder.join(".write-check");
    let made = std::fs::OpenOptions::new().write(true).create(true).truncate(true).open(&probe);
    made.map_err(|e| {
        StoreError::unavailable(format!("cannot write in {}, where the database lives", folder.display()), e)
    })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// `error`, as met opening the file at `path`.
fn in_file(path: &Path, error: StoreError) -> StoreError {
    let context = format!("cannot open {} as this service's database", path.display());
    let source: exceptions::Source = Box::new(error);
    match source.downcast_ref::<StoreError>() {
        Some(StoreError::Full { .. }) => StoreError::Full { context, source: Some(source) },
        Some(StoreError::Unavailable { .. }) => StoreError::Unavailable { context, source: Some(source) },
        _ => StoreError::Backend { context, source: Some(source) },
    }
}

/// A list of ids for `IN rarray(?)`: one bound parameter, whatever the list's length.
pub fn id_list(ids: &[i64]) -> Rc<Vec<Value>> {
    Rc::new(ids.iter().copied().map(Value::from).collect())
}

/// A full disk is said as such (nothing of the write was kept); what
/// retrying later may fix (the file cannot be opened or written now, it is
/// locked) is unavailable; anything else is a failure.
fn classify(operation: &str, error: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode::{CannotOpen, DatabaseBusy, DatabaseLocked, DiskFull, ReadOnly};
    match error.sqlite_error_code() {
        Some(DiskFull) => StoreError::full(operation, error),
        Some(CannotOpen | DatabaseBusy | DatabaseLocked | ReadOnly) => StoreError::unavailable(operation, error),
        _ => StoreError::backend(operation, error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opens_applies_schema_and_binds_id_lists() {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteDb::open(
            &dir.path().join("nested/test.sqlite3"),
            "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY);",
        )
        .await
        .unwrap();
        let found: Vec<i64> = db
            .call("test", |c| {
                c.execute_batch("INSERT INTO t VALUES (1), (2), (3);")?;
                let mut statement = c.prepare("SELECT id FROM t WHERE id IN rarray(?1) ORDER BY id")?;
                statement.query_map([id_list(&[3, 1, 7])], |row| row.get(0))?.collect()
            })
            .await
            .unwrap();
        assert_eq!(found, vec![1, 3]);
        let mode: String = db.call("test", |c| c.query_row("PRAGMA journal_mode", [], |row| row.get(0))).await.unwrap();
        assert_eq!(mode, "wal");
    }

    #[tokio::test]
    async fn concurrent_writes_that_read_first_run_one_at_a_time_and_all_commit() {
        use std::sync::atomic::{AtomicUsize, Ordering};

        let dir = tempfile::tempdir().unwrap();
        let db =
            SqliteDb::open(&dir.path().join("t.sqlite3"), "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY);")
                .await
                .unwrap();
        let (active, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let writers: Vec<_> = (0..4_i64)
            .map(|writer| {
                let (db, active, most) = (db.clone(), active.clone(), most.clone());
                tokio::spawn(async move {
                    db.write("test", move |t| {
                        most.fetch_max(active.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                        // A read before the first write, as an upsert that looks first does.
                        let _: i64 = t.query_row("SELECT count(*) FROM t", [], |row| row.get(0))?;
                        for id in 0..2000 {
                            t.execute("INSERT INTO t VALUES (?1)", [writer * 10_000 + id])?;
                        }
                        active.fetch_sub(1, Ordering::SeqCst);
                        Ok(())
                    })
                    .await
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1, "writers never overlap");
        let rows: i64 = db.call("test", |c| c.query_row("SELECT count(*) FROM t", [], |row| row.get(0))).await.unwrap();
        assert_eq!(rows, 8000);
    }

    #[tokio::test]
    async fn the_data_version_changes_with_each_committed_write_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite3");
        let db = SqliteDb::open(&path, "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY);").await.unwrap();
        let first = db.data_version();
        db.read("test", |c| c.query_row("SELECT count(*) FROM t", [], |row| row.get::<_, i64>(0))).await.unwrap();
        assert_eq!(db.data_version(), first, "reading changes nothing");
        db.write("test", |t| t.execute_batch("INSERT INTO t VALUES (1)")).await.unwrap();
        let second = db.data_version();
        assert_ne!(second, first);
        let failed = db.write("test", |t| t.execute_batch("INSERT INTO t VALUES (1)")).await;
        assert!(failed.is_err(), "the same id twice");
        assert_eq!(db.data_version(), second, "a write rolled back changes nothing");
        drop(db);
        let reopened = SqliteDb::open(&path, "").await.unwrap();
        assert_ne!(reopened.data_version(), second, "opened again: another version");
    }

    #[tokio::test]
    async fn sql_errors_are_backend_failures() {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteDb::open(&dir.path().join("t.sqlite3"), "").await.unwrap();
        let error = db.call("test", |c| c.execute_batch("SELECT * FROM missing")).await.unwrap_err();
        assert!(matches!(error, StoreError::Backend { source: Some(_), .. }), "{error:?}");
        assert!(exceptions::chain(&error).contains("no such table: missing"), "the cause is kept: {error}");
    }

    #[tokio::test]
    async fn a_file_that_is_no_database_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite3");
        std::fs::write(&path, b"this is not a database, just bytes where one should be".repeat(100)).unwrap();
        let Err(error) = SqliteDb::open(&path, "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY);").await else {
            panic!("a file of other bytes opened as a database");
        };
        let detail = exceptions::chain(&error);
        assert!(matches!(error, StoreError::Backend { .. }), "{error:?}");
        assert!(detail.contains(&path.display().to_string()) && detail.contains("file is not a database"), "{detail}");
    }

    /// SQLite's `max_page_count` makes a full disk of the file's own: the
    /// write that does not fit is refused as such, and nothing of it is kept.
    #[tokio::test]
    async fn a_write_that_does_not_fit_is_a_full_store_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteDb::open(&dir.path().join("t.sqlite3"), "CREATE TABLE IF NOT EXISTS t (v TEXT);").await.unwrap();
        db.write("test", |t| t.execute_batch("INSERT INTO t VALUES ('kept')")).await.unwrap();
        let error = db
            .write("test", |t| {
                t.execute_batch("PRAGMA max_page_count = 16;")?;
                let mut insert = t.prepare("INSERT INTO t VALUES (?1)")?;
                for _ in 0..1000 {
                    insert.execute(["x".repeat(1000)])?;
                }
                Ok(())
            })
            .await
            .unwrap_err();
        assert!(matches!(error, StoreError::Full { .. }), "{error:?}");
        let rows =
            db.read("test", |c| c.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))).await.unwrap();
        assert_eq!(rows, 1, "the write that did not fit left nothing");
    }

    /// On the services' runtime (several threads), a read runs in place and
    /// answers as `call` does, errors included; many at once all complete.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_in_place_answer_as_calls_do() {
        let dir = tempfile::tempdir().unwrap();
        let db =
            SqliteDb::open(&dir.path().join("t.sqlite3"), "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY);")
                .await
                .unwrap();
        db.write("test", |t| t.execute_batch("INSERT INTO t VALUES (1), (2), (3);")).await.unwrap();
        let readers: Vec<_> = (0..16)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move {
                    db.read("test", |c| c.query_row("SELECT sum(id) FROM t", [], |row| row.get::<_, i64>(0))).await
                })
            })
            .collect();
        for reader in readers {
            assert_eq!(reader.await.unwrap().unwrap(), 6);
        }
        let error = db.read("test", |c| c.execute_batch("SELECT * FROM missing")).await.unwrap_err();
        assert!(matches!(error, StoreError::Backend { .. }), "{error:?}");
    }
}
