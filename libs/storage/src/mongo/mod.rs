//! MongoDB as a service's store, the production choice beside the embedded
//! SQLite default: one database per service, reached through its own
//! connection string (`BANDS_MONGODB_URI`, ...).
//!
//! Each service owns its documents, queries and indexes; this module only knows
//! how to connect so that an unreachable server fails fast (a short server
//! selection timeout), how to create indexes without holding up start-up, how
//! to send a batch of upserts in one round trip, and how to turn the driver's
//! failures into the product's [`StoreError`].

mod config;
mod edits;
mod errors;
pub mod name_index;
mod writes;

pub use config::{DEFAULT_SERVER_SELECTION_TIMEOUT, InvalidUri, MongoConfig};
pub use edits::Shape;
pub use errors::{classify, classify_in};
pub use mongodb::bson;
pub use mongodb::options::{IndexOptions, Sphere2DIndexVersion};
pub use mongodb::{IndexModel, bson::doc};
pub use writes::{check_write_reply, update_command, upsert_statement};

use std::sync::Arc;
use std::time::Duration;

use exceptions::StoreError;
use futures::TryStreamExt;
use mongodb::bson::Document;
use mongodb::options::ClientOptions;
use mongodb::{Client, Collection, Database};
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;

/// The collection that counts each collection's writes (its data version).
const DATA_VERSIONS: &str = "data_versions";

/// Index creation at start-up retries this soon after a failure, doubling up to [`MAX_INDEX_RETRY`].
const FIRST_INDEX_RETRY: Duration = Duration::from_millis(500);
const MAX_INDEX_RETRY: Duration = Duration::from_secs(30);

/// One service's MongoDB database. The client connects lazily and reconnects
/// by itself, so a server that is down at start-up or later only fails the
/// requests made meanwhile.
#[derive(Clone)]
pub struct MongoDb {
    database: Database,
}

impl MongoDb {
    /// A client for `config`. Nothing is sent to the server yet: this fails only
    /// on options the driver rejects, never because the server is unreachable.
    pub async fn connect(config: &MongoConfig) -> Result<Self, StoreError> {
        let options = ClientOptions::parse(config.uri.as_str()).await.map_err(|e| invalid(config, e))?;
        // The hosts, never the URI: it may carry a password.
        let hosts: Vec<String> = options.hosts.iter().map(ToString::to_string).collect();
        tracing::info!(database = %config.database, ?hosts, "store: MongoDB");
        let client = Client::with_options(config.with_defaults(options)).map_err(|e| invalid(config, e))?;
        Ok(Self { database: client.database(&config.database) })
    }

    /// The collection `name`, whose `indexes` are created in the background
    /// now (retried until the server answers) and awaited before any write.
    pub fn collection(&self, name: &str, indexes: Vec<IndexModel>) -> MongoCollection {
        let collection = MongoCollection {
            collection: self.database.collection(name),
            database: self.database.clone(),
            indexes: Arc::new(Indexes { models: indexes, created: OnceCell::new() }),
        };
        if !collection.indexes.models.is_empty() {
            tokio::spawn(collection.clone().create_indexes_with_retry());
        }
        collection
    }

    /// Deletes the whole database (throwaway test databases).
    pub async fn drop(&self) -> Result<(), StoreError> {
        self.database.drop().await.map_err(classify)
    }
}

fn invalid(config: &MongoConfig, error: mongodb::error::Error) -> StoreError {
    StoreError::backend(format!("invalid MongoDB options for database {}", config.database), error)
}

struct Indexes {
    models: Vec<IndexModel>,
    /// Set once the server has confirmed every index (`createIndexes` is idempotent).
    created: OnceCell<()>,
}

/// A collection of a service's database, with the indexes it needs.
#[derive(Clone)]
pub struct MongoCollection {
    collection: Collection<Document>,
    database: Database,
    indexes: Arc<Indexes>,
}

impl MongoCollection {
    /// The documents `query` finds, shaped into `T`. A query that names its
    /// index waits for the collection's indexes first, as writes do: on a
    /// database the service has just created, the index may not exist yet,
    /// and the server refuses a hint of a missing one.
    pub async fn find<T>(&self, query: Find) -> Result<Vec<T>, StoreError>
    where
        T: DeserializeOwned + Unpin + Send + Sync,
    {
        if query.hint.is_some() {
            self.ensure_indexes().await?;
        }
        self.measured("find", async {
            let typed = self.collection.clone_with_type::<T>();
            let mut find = typed.find(query.filter).projection(query.projection).sort(query.sort);
            if let Some(limit) = query.limit {
                find = find.limit(i64::try_from(limit).unwrap_or(i64::MAX));
            }
            if let Some(index) = query.hint {
                find = find.hint(mongodb::options::Hint::Name(index.to_owned()));
            }
            let cursor = find.await.map_err(classify)?;
            cursor.try_collect().await.map_err(classify)
        })
        .await
    }

    /// Runs `query`, recording its latency as `<collection>_<operation>`.
    async fn measured<R>(
        &self,
        operation: &str,
        query: impl Future<Output = Result<R, StoreError>>,
    ) -> Result<R, StoreError> {
        let started = std::time::Instant::now();
        let result = query.await;
        let name = format!("{}_{operation}", self.collection.name());
        crate::metrics::record_store_query("mongodb", &name, started.elapsed(), result.is_ok());
        result
    }

    /// The documents whose `_id` is among `ids`, shaped by `projection`, in ascending `_id` order.
    pub async fn by_ids<T>(&self, ids: &[i64], projection: Document) -> Result<Vec<T>, StoreError>
    where
        T: DeserializeOwned + Unpin + Send + Sync,
    {
        self.find(Find { filter: id_in(ids), projection, sort: doc! { "_id": 1 }, limit: None, hint: None }).await
    }

    /// Runs `statements` (see [`upsert_statement`]) unordered, a thousand per
    /// round trip, once the collection's indexes exist (so that a unique index
    /// guards the very first import). Returns how many statements were sent.
    ///
    /// Not a transaction: a failure can leave part of a batch written. The
    /// statements are idempotent upserts, so sending the batch again completes it.
    pub async fn upsert_all(&self, statements: Vec<Document>) -> Result<usize, StoreError> {
        const STATEMENTS_PER_COMMAND: usize = 1000;
        self.ensure_indexes().await?;
        let write_concern = match self.database.write_concern() {
            Some(concern) => Some(bson::to_bson(concern).map_err(|e| StoreError::backend("the write concern", e))?),
            None => None,
        };
        let name = self.collection.name();
        let written = self
            .measured("upsert", async {
                for chunk in statements.chunks(STATEMENTS_PER_COMMAND) {
                    let mut command = update_command(name, chunk.to_vec());
                    if let Some(concern) = &write_concern {
                        command.insert("writeConcern", concern.clone());
                    }
                    let reply = self.database.run_command(command).await.map_err(classify)?;
                    check_write_reply(&reply)?;
                }
                Ok(statements.len())
            })
            .await;
        // Counted whatever the outcome: a batch that failed half-way may have written some.
        let counted = self.count_write().await;
        let written = written?;
        counted.map(|()| written)
    }

    /// The writes of this collection ever counted (in the database's
    /// `data_versions` collection, so that every replica of the service
    /// reads the same): what [`Self::data_version`] names.
    async fn count_write(&self) -> Result<(), StoreError> {
        let versions = self.database.collection::<Document>(DATA_VERSIONS);
        let filter = doc! { "_id": self.collection.name() };
        let increment = doc! { "$inc": { "writes": 1_i64 } };
        versions.update_one(filter, increment).upsert(true).await.map_err(|e| classify_in("counting a write", e))?;
        Ok(())
    }

    /// A name of the collection's data state: the count of its writes.
    pub async fn data_version(&self) -> Result<String, StoreError> {
        let versions = self.database.collection::<Document>(DATA_VERSIONS);
        let found = versions
            .find_one(doc! { "_id": self.collection.name() })
            .await
            .map_err(|e| classify_in("reading the data version", e))?;
        let writes = found.and_then(|counted| counted.get_i64("writes").ok()).unwrap_or(0);
        Ok(format!("w{writes}"))
    }

    /// How the server would run `query`: the winning plan of `explain`
    /// (`queryPlanner`), to check which index serves a query.
    pub async fn explain(&self, query: Find) -> Result<Document, StoreError> {
        let Find { filter, projection, sort, limit, hint } = query;
        let mut find =
            doc! { "find": self.collection.name(), "filter": filter, "projection": projection, "sort": sort };
        if let Some(limit) = limit {
            find.insert("limit", i64::try_from(limit).unwrap_or(i64::MAX));
        }
        if let Some(index) = hint {
            find.insert("hint", index);
        }
        let command = doc! { "explain": find, "verbosity": "queryPlanner" };
        let reply = self.database.run_command(command).await.map_err(|e| classify_in("explain", e))?;
        let plan = reply.get_document("queryPlanner").and_then(|planner| planner.get_document("winningPlan"));
        plan.cloned().map_err(|e| StoreError::backend("explain answered no winning plan", e))
    }

    /// How many documents `filter` finds.
    pub async fn count(&self, filter: Document) -> Result<u64, StoreError> {
        self.measured("count", async { self.collection.count_documents(filter).await.map_err(classify) }).await
    }

    /// Whether the collection holds no document.
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        self.measured("is_empty", async {
            let any = self.collection.find_one(doc! {}).projection(doc! { "_id": 1 }).await.map_err(classify)?;
            Ok(any.is_none())
        })
        .await
    }

    /// Creates the collection's indexes, unless that already succeeded.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        if self.indexes.models.is_empty() {
            return Ok(());
        }
        let models = &self.indexes.models;
        self.indexes
            .created
            .get_or_try_init(|| async {
                self.collection.create_indexes(models.clone()).await.map(|_| ()).map_err(classify)
            })
            .await
            .map(|_| ())
    }

    /// Start-up must not wait for the server: retry in the background with a
    /// bounded backoff while it is unreachable; give up (and say so) on an
    /// error that retrying cannot fix, such as an index that conflicts with the data.
    async fn create_indexes_with_retry(self) {
        let name = self.collection.name().to_owned();
        let mut delay = FIRST_INDEX_RETRY;
        loop {
            match self.ensure_indexes().await {
                Ok(()) => {
                    tracing::info!(collection = %name, "MongoDB indexes are in place");
                    return;
                }
                Err(error @ StoreError::Unavailable { .. }) => {
                    let detail = exceptions::chain(&error);
                    tracing::warn!(collection = %name, %detail, retry_in = ?delay, "cannot create MongoDB indexes yet");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(MAX_INDEX_RETRY);
                }
                Err(error @ (StoreError::Backend { .. } | StoreError::Full { .. })) => {
                    let detail = exceptions::chain(&error);
                    tracing::error!(collection = %name, %detail, "cannot create MongoDB indexes; writes will fail until this is fixed");
                    return;
                }
            }
        }
    }
}

/// A `find`: which documents, shaped how, in which order, how many. A store
/// builds it once and both runs it and, in tests, explains it.
#[derive(Debug, Clone, PartialEq)]
pub struct Find {
    pub filter: Document,
    pub projection: Document,
    pub sort: Document,
    pub limit: Option<usize>,
    /// The index to read, by name, where the store knows which one serves
    /// the query: the planner then cannot pick another, or none.
    pub hint: Option<&'static str>,
}

/// The stages of a query plan (as [`MongoCollection::explain`] gives
/// it), outermost first, each with the index it scans if any: `("IXSCAN",
/// Some("venues_by_location"))`, `("COLLSCAN", None)`.
pub fn plan_stages(plan: &Document) -> Vec<(String, Option<String>)> {
    let mut stages = Vec::new();
    let mut pending = vec![plan];
    while let Some(stage) = pending.pop() {
        let name = stage.get_str("stage").unwrap_or_default().to_owned();
        stages.push((name, stage.get_str("indexName").ok().map(str::to_owned)));
        pending.extend(stage.get_document("inputStage").ok());
        if let Ok(inputs) = stage.get_array("inputStages") {
            pending.extend(inputs.iter().filter_map(|input| input.as_document()));
        }
    }
    stages
}

/// `{_id: {$in: ids}}`: a batch lookup by the records' own ids, kept as `_id`.
pub fn id_in(ids: &[i64]) -> Document {
    doc! { "_id": { "$in": ids } }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_plans_stages_are_listed_with_their_indexes() {
        let plan = doc! {
            "stage": "PROJECTION_SIMPLE",
            "inputStage": { "stage": "SORT_MERGE", "inputStages": [
                { "stage": "IXSCAN", "indexName": "by_band" },
                { "stage": "IXSCAN", "indexName": "by_band" },
            ] },
        };
        let stages = plan_stages(&plan);
        assert_eq!(stages[0], ("PROJECTION_SIMPLE".to_owned(), None));
        assert_eq!(stages.iter().filter(|(_, index)| index.as_deref() == Some("by_band")).count(), 2);
        assert_eq!(plan_stages(&doc! { "stage": "COLLSCAN" }), vec![("COLLSCAN".to_owned(), None)]);
    }

    #[test]
    fn id_lookups_match_on_underscore_id() {
        assert_eq!(id_in(&[3, 1]), doc! { "_id": { "$in": [3_i64, 1_i64] } });
    }

    /// Nothing listens on port 9 of the loopback: the driver must give up after
    /// the URI's server selection timeout, and the store must call it unavailable.
    #[tokio::test]
    async fn an_unreachable_server_is_unavailable_within_the_selection_timeout() {
        let config = MongoConfig::new("mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=200", None, "test").unwrap();
        let started = Instant::now();
        let db = MongoDb::connect(&config).await.expect("connecting is lazy");
        let bands = db.collection("bands", Vec::new());
        let error = bands.is_empty().await.unwrap_err();
        assert!(matches!(error, StoreError::Unavailable { .. }), "{error:?}");
        let error = bands.upsert_all(vec![upsert_statement(doc! { "_id": 1 }, doc! { "name": "x" })]).await;
        assert!(matches!(error, Err(StoreError::Unavailable { .. })), "{error:?}");
        assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    }
}
