//! Where the store conformance suites put the stores they check: SQLite files
//! in a temporary folder, or throwaway databases on a MongoDB server.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use storage::mongo::{MongoConfig, MongoDb};
use tempfile::TempDir;

/// The variable that points the suites at a MongoDB server (`make test` sets it).
pub const MONGODB_TEST_URI: &str = "MONGODB_TEST_URI";

/// `MONGODB_TEST_URI`, or `None` after printing the one line that says the
/// MongoDB run of `suite` was skipped, and why.
pub fn mongodb_test_uri(suite: &str) -> Option<String> {
    let uri = std::env::var(MONGODB_TEST_URI).unwrap_or_default();
    if uri.trim().is_empty() {
        // Straight to stdout: the test harness swallows `println!` of passing tests.
        let _ = writeln!(
            std::io::stdout().lock(),
            "{suite} (MongoDB): skipped — {MONGODB_TEST_URI} is not set (make test sets it to the MongoDB \
             test server it starts, scripts/mongo-test-server.sh; make test-mongo to a mongo:7 in Docker)"
        );
        return None;
    }
    Some(uri.trim().to_owned())
}

/// One backend under test.
pub enum Backend {
    Sqlite(TempDir),
    /// The server at `MONGODB_TEST_URI`; `run` names this run's databases so
    /// that runs never see each other's data.
    MongoDb {
        uri: String,
        run: String,
        made: Mutex<Vec<MongoDb>>,
    },
}

/// Where one check's fresh, empty store lives.
pub enum Place {
    SqliteFile(PathBuf),
    MongoDb(MongoDb),
}

impl Backend {
    pub fn sqlite() -> Self {
        Self::Sqlite(tempfile::tempdir().expect("a temporary folder"))
    }

    /// The server at `MONGODB_TEST_URI`, or `None` after saying why not (see [`mongodb_test_uri`]).
    pub fn mongodb(suite: &str) -> Option<Self> {
        let uri = mongodb_test_uri(suite)?;
        let started = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or_default();
        let run = format!("{}_{started}", std::process::id());
        Some(Self::MongoDb { uri, run, made: Mutex::default() })
    }

    /// A fresh, empty place for the store of one `check`.
    pub async fn place(&self, check: &str) -> Place {
        match self {
            Self::Sqlite(dir) => Place::SqliteFile(dir.path().join(format!("{check}.sqlite3"))),
            Self::MongoDb { uri, run, made } => {
                // MongoDB allows 63 bytes in a database name.
                let mut name = format!("t{run}_{check}");
                name.truncate(63);
                let config = MongoConfig::new(uri, Some(&name), "test")
                    .unwrap_or_else(|e| panic!("{MONGODB_TEST_URI} is not a MongoDB URI: {e}"));
                let db = MongoDb::connect(&config).await.expect("a MongoDB client");
                db.drop().await.unwrap_or_else(|e| panic!("the MongoDB at {MONGODB_TEST_URI} does not answer: {e}"));
                made.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(db.clone());
                Place::MongoDb(db)
            }
        }
    }

    /// Drops every MongoDB database the checks made (the SQLite folder goes with `self`).
    pub async fn clean_up(self) {
        if let Self::MongoDb { made, .. } = self {
            for db in made.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
                db.drop().await.expect("dropping a test database");
            }
        }
    }
}
