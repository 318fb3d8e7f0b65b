//! Writes of one record at a time on MongoDB, each in one multi-document
//! transaction with what must change with it, as on SQLite
//! (`crate::sqlite::ledger`): the record's revision, its entry in the
//! service's change log (`changes`, positions from the counter `counters`
//! in commit order: two writes that take a position conflict, and one waits
//! for the other), and for a create its key (`idempotency`). A transaction
//! that conflicts with another is run again, a few times; SecantusDB and
//! MongoDB replica sets both run them (a lone `mongod` does not: the
//! compose file and the Kubernetes manifests run replica sets).

use futures::TryStreamExt;
use futures::future::BoxFuture;
use mongodb::ClientSession;
use mongodb::bson::{Bson, Document, doc};
use mongodb::error::{Error, TRANSIENT_TRANSACTION_ERROR, UNKNOWN_TRANSACTION_COMMIT_RESULT};
use mongodb::options::ReturnDocument;
use serde::Serialize;
use serde::de::DeserializeOwned;

use changes_model::{Change, ChangeKind, ChangePage};
use exceptions::{Problem, StoreError, WriteError};

use super::{MongoCollection, classify_in};

/// How many times a transaction that conflicted is run again.
const ATTEMPTS: usize = 20;
/// How long a create's key is remembered, in ms.
const KEY_LIFETIME_MS: i64 = 24 * 3600 * 1000;
/// The server's code for a duplicate key.
const DUPLICATE_KEY: i32 = 11000;

/// How a collection's records sit in their documents.
pub struct Shape<R> {
    /// The record's id (the document's `_id`).
    pub id: fn(&R) -> i64,
    /// The counter (of `counters`) new ids are taken from: a new id comes
    /// after every id given and every id stored (an import may give its
    /// own), so that no id is given twice, not even after a delete.
    pub ids: &'static str,
    /// The stored fields of a record (without `_id` and `revision`).
    pub fields: fn(&R) -> Document,
    /// The projection that reads a stored document back as a record.
    pub projection: fn() -> Document,
    /// Why a duplicate key is refused (another record holds what is unique).
    pub conflict: &'static str,
}

/// What a write comes to: what it made, or why it is refused.
type Outcome<T> = Result<Result<T, WriteError>, StoreError>;

/// A record with its revision, as read.
#[derive(serde::Deserialize)]
struct Revised<R> {
    #[serde(flatten)]
    record: R,
    #[serde(default = "first_revision")]
    revision: i64,
}

fn first_revision() -> i64 {
    1
}

fn now_ms() -> i64 {
    crate::sqlite::ledger::now_ms()
}

fn json(record: &impl Serialize) -> Bson {
    mongodb::bson::to_bson(record).unwrap_or(Bson::Null)
}

impl MongoCollection {
    fn client(&self) -> mongodb::Client {
        self.database.client().clone()
    }

    fn ledger(&self, name: &str) -> mongodb::Collection<Document> {
        self.database.collection(name)
    }

    /// Runs `work` in a transaction, again when it conflicts with another;
    /// committed when it comes to `Ok(Ok(..))`, rolled back otherwise. The
    /// session goes into `work` and comes back with its result, so that the
    /// work may borrow what the caller holds.
    async fn transaction<'a, T>(
        &'a self,
        operation: &str,
        mut work: impl FnMut(ClientSession) -> Work<'a, T>,
    ) -> Outcome<T> {
        self.ensure_indexes().await?;
        let mut last = None;
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(fastrand::u64(1..=10 * attempt as u64))).await;
            }
            let mut session = self.client().start_session().await.map_err(|e| classify_in(operation, e))?;
            session.start_transaction().await.map_err(|e| classify_in(operation, e))?;
            let (mut session, worked) = work(session).await;
            let outcome = match worked {
                Ok(Ok(value)) => {
                    let mut committed = session.commit_transaction().await;
                    while matches!(&committed, Err(e) if e.contains_label(UNKNOWN_TRANSACTION_COMMIT_RESULT)) {
                        committed = session.commit_transaction().await;
                    }
                    committed.map(|()| Ok(value))
                }
                Ok(Err(refusal)) => {
                    let _ = session.abort_transaction().await;
                    return Ok(Err(refusal));
                }
                Err(error) => Err(error),
            };
            match outcome {
                Ok(value) => {
                    self.count_write().await?;
                    return Ok(value);
                }
                Err(error) if error.contains_label(TRANSIENT_TRANSACTION_ERROR) => last = Some(error),
                Err(error) => return Err(classify_in(operation, error)),
            }
        }
        Err(last.map_or_else(|| StoreError::unavailable_because(operation), |e| classify_in(operation, e)))
    }

    /// Takes the next position of the change log and logs a change there.
    async fn log(
        &self,
        session: &mut ClientSession,
        kind: &str,
        id: Option<i64>,
        record: Option<Bson>,
        previous: Option<Bson>,
    ) -> Result<i64, Error> {
        let counted = self
            .ledger("counters")
            .find_one_and_update(doc! { "_id": "changes" }, doc! { "$inc": { "seq": 1_i64 } })
            .upsert(true)
            .return_document(ReturnDocument::After)
            .session(&mut *session)
            .await?;
        let position = counted.and_then(|counted| counted.get_i64("seq").ok()).unwrap_or(1);
        let mut change = doc! {
            "_id": position, "at": now_ms(), "kind": kind,
            "id": id.map_or(Bson::Null, Bson::Int64), "record": record.unwrap_or(Bson::Null),
        };
        if let Some(previous) = previous {
            change.insert("previous", previous);
        }
        self.ledger("changes").insert_one(change).session(&mut *session).await?;
        Ok(position)
    }

    /// The change log after `position`: at most `limit` entries, in order,
    /// and what the log keeps (as on SQLite: `crate::sqlite::ledger::changes_after`).
    pub async fn changes_after(&self, position: i64, limit: usize) -> Result<ChangePage, StoreError> {
        const OPERATION: &str = "reading the change log";
        let fail = |error| classify_in(OPERATION, error);
        let log = self.ledger("changes");
        let documents: Vec<Document> = log
            .find(doc! { "_id": { "$gt": position } })
            .sort(doc! { "_id": 1 })
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .await
            .map_err(fail)?
            .try_collect()
            .await
            .map_err(fail)?;
        let changes = documents.into_iter().map(change_of).collect::<Result<_, _>>()?;
        let counter = self.ledger("counters").find_one(doc! { "_id": "changes" }).await.map_err(fail)?;
        let last = counter.and_then(|counter| counter.get_i64("seq").ok()).unwrap_or(0);
        let oldest = log.find_one(doc! {}).sort(doc! { "_id": 1 }).await.map_err(fail)?;
        Ok(ChangePage { changes, last, oldest: oldest.and_then(|entry| entry.get_i64("_id").ok()) })
    }

    /// Drops the change log's entries committed before `before` (UNIX ms),
    /// the newest kept; how many.
    pub async fn compact_changes(&self, before: i64) -> Result<u64, StoreError> {
        const OPERATION: &str = "compacting the change log";
        let log = self.ledger("changes");
        let newest = log.find_one(doc! {}).sort(doc! { "_id": -1 }).await.map_err(|e| classify_in(OPERATION, e))?;
        let Some(newest) = newest.and_then(|entry| entry.get_i64("_id").ok()) else { return Ok(0) };
        let dropped = log
            .delete_many(doc! { "at": { "$lt": before }, "_id": { "$lt": newest } })
            .await
            .map_err(|e| classify_in(OPERATION, e))?;
        Ok(dropped.deleted_count)
    }

    /// The last position of another service's log that this one applied
    /// (0: none), kept in the ledger's `cursors`.
    pub async fn cursor(&self, log: &str) -> Result<i64, StoreError> {
        let kept = self
            .ledger("cursors")
            .find_one(doc! { "_id": log })
            .await
            .map_err(|e| classify_in("reading a cursor", e))?;
        Ok(kept.and_then(|kept| kept.get_i64("position").ok()).unwrap_or(0))
    }

    /// Keeps `position` as the last applied of `log`.
    pub async fn keep_cursor(&self, log: &str, position: i64) -> Result<(), StoreError> {
        self.ledger("cursors")
            .update_one(doc! { "_id": log }, doc! { "$set": { "position": position } })
            .upsert(true)
            .await
            .map_err(|e| classify_in("keeping a cursor", e))?;
        Ok(())
    }

    /// Takes `count` ids from `counter`; the first.
    async fn next_ids(&self, session: &mut ClientSession, counter: &str, count: i64) -> Result<i64, Error> {
        let counted = self
            .ledger("counters")
            .find_one_and_update(doc! { "_id": counter }, doc! { "$inc": { "seq": count } })
            .upsert(true)
            .return_document(ReturnDocument::After)
            .session(session)
            .await?;
        Ok(counted.and_then(|counted| counted.get_i64("seq").ok()).unwrap_or(count) - count + 1)
    }

    /// Takes `count` ids from `counter` for an import; the first.
    pub async fn reserve_ids(&self, counter: &'static str, count: i64) -> Result<i64, StoreError> {
        let reserved = self
            .transaction("taking ids", |mut session| {
                Box::pin(async move {
                    let taken = self.next_ids(&mut session, counter, count).await.map(Ok);
                    (session, taken)
                })
            })
            .await?;
        reserved.map_err(|_| StoreError::backend_because("taking ids was refused"))
    }

    /// An import's one change (`bulk`): followers read again.
    pub async fn log_bulk(&self) -> Result<(), StoreError> {
        let logged = self
            .transaction("logging an import", |mut session| {
                Box::pin(async move {
                    let logged = self.log(&mut session, "bulk", None, None, None).await.map(Ok);
                    (session, logged)
                })
            })
            .await?;
        logged.map(|_| ()).map_err(|_| StoreError::backend_because("logging an import was refused"))
    }

    /// The record `id` and its revision.
    pub async fn get<R: DeserializeOwned + Unpin + Send + Sync>(
        &self,
        shape: &Shape<R>,
        id: i64,
    ) -> Result<Option<(R, i64)>, StoreError> {
        let found = self
            .collection
            .clone_with_type::<Revised<R>>()
            .find_one(doc! { "_id": id })
            .projection(revised_projection(shape))
            .await
            .map_err(|e| classify_in("reading a record", e))?;
        Ok(found.map(|revised| (revised.record, revised.revision)))
    }

    async fn get_in<R: DeserializeOwned + Unpin + Send + Sync>(
        &self,
        session: &mut ClientSession,
        shape: &Shape<R>,
        id: i64,
    ) -> Result<Option<(R, i64)>, Error> {
        let found = self
            .collection
            .clone_with_type::<Revised<R>>()
            .find_one(doc! { "_id": id })
            .projection(revised_projection(shape))
            .session(session)
            .await?;
        Ok(found.map(|revised| (revised.record, revised.revision)))
    }

    /// A new record, made by `make` from the next free id; with `once`
    /// (key, fingerprint), made once per key. `(record, revision, replayed)`.
    pub async fn create<R>(
        &self,
        shape: &Shape<R>,
        make: &(dyn Fn(i64) -> R + Send + Sync),
        once: Option<(&str, &str)>,
    ) -> Outcome<(R, i64, bool)>
    where
        R: Serialize + DeserializeOwned + Unpin + Send + Sync,
    {
        if once.is_some() {
            // Keys older than a day are forgotten (best effort: a key a day old matters to no one).
            let expired = doc! { "at": { "$lt": now_ms() - KEY_LIFETIME_MS } };
            let _ = self.ledger("idempotency").delete_many(expired).await;
        }
        self.transaction("creating a record", |mut session| {
            Box::pin(async move {
                let created = self.create_in(&mut session, shape, make, once).await;
                (session, created)
            })
        })
        .await
    }

    async fn create_in<R>(
        &self,
        session: &mut ClientSession,
        shape: &Shape<R>,
        make: &(dyn Fn(i64) -> R + Send + Sync),
        once: Option<(&str, &str)>,
    ) -> Result<Result<(R, i64, bool), WriteError>, Error>
    where
        R: Serialize + DeserializeOwned + Unpin + Send + Sync,
    {
        if let Some((key, fingerprint)) = once
            && let Some(given) = self.ledger("idempotency").find_one(doc! { "_id": key }).session(&mut *session).await?
        {
            if given.get_str("fingerprint").unwrap_or_default() != fingerprint {
                return Ok(Err(WriteError::KeyReused));
            }
            let id = given.get_i64("recordId").unwrap_or_default();
            if let Some((record, revision)) = self.get_in(session, shape, id).await? {
                return Ok(Ok((record, revision, true)));
            }
        }
        let largest = self
            .collection
            .find_one(doc! {})
            .sort(doc! { "_id": -1 })
            .projection(doc! { "_id": 1 })
            .session(&mut *session)
            .await?
            .and_then(|document| document.get_i64("_id").ok())
            .unwrap_or(0);
        self.ledger("counters")
            .update_one(doc! { "_id": shape.ids }, doc! { "$max": { "seq": largest } })
            .upsert(true)
            .session(&mut *session)
            .await?;
        let next = self.next_ids(session, shape.ids, 1).await?;
        let record = make(next);
        let mut document = (shape.fields)(&record);
        document.insert("_id", next);
        document.insert("revision", 1_i64);
        match self.collection.insert_one(document).session(&mut *session).await {
            Err(error) if duplicate(&error) => return Ok(Err(WriteError::Conflict(shape.conflict.to_owned()))),
            inserted => inserted?,
        };
        self.log(session, "created", Some(next), Some(json(&record)), None).await?;
        if let Some((key, fingerprint)) = once {
            let remembered = doc! { "_id": key, "fingerprint": fingerprint, "recordId": next, "at": now_ms() };
            self.ledger("idempotency").insert_one(remembered).session(&mut *session).await?;
        }
        Ok(Ok((record, 1, false)))
    }

    /// The record `id` as `edit` makes it, if at revision `expected` (any
    /// when `None`). `(before, after, revision)`.
    pub async fn update<R>(
        &self,
        shape: &Shape<R>,
        id: i64,
        expected: Option<i64>,
        edit: &(dyn Fn(&R) -> Result<R, Vec<Problem>> + Send + Sync),
    ) -> Outcome<(R, R, i64)>
    where
        R: Serialize + DeserializeOwned + Unpin + Send + Sync,
    {
        self.transaction("updating a record", |mut session| {
            Box::pin(async move {
                let updated = self.update_in(&mut session, shape, id, expected, edit).await;
                (session, updated)
            })
        })
        .await
    }

    async fn update_in<R>(
        &self,
        session: &mut ClientSession,
        shape: &Shape<R>,
        id: i64,
        expected: Option<i64>,
        edit: &(dyn Fn(&R) -> Result<R, Vec<Problem>> + Send + Sync),
    ) -> Result<Result<(R, R, i64), WriteError>, Error>
    where
        R: Serialize + DeserializeOwned + Unpin + Send + Sync,
    {
        let Some((before, revision)) = self.get_in(session, shape, id).await? else {
            return Ok(Err(WriteError::NotFound));
        };
        if expected.is_some_and(|expected| expected != revision) {
            return Ok(Err(WriteError::Stale { current: revision }));
        }
        let after = match edit(&before) {
            Ok(after) => after,
            Err(problems) => return Ok(Err(WriteError::Invalid(problems))),
        };
        let mut document = (shape.fields)(&after);
        document.insert("revision", revision + 1);
        let replaced = self
            .collection
            .update_one(doc! { "_id": id, "revision": revision }, doc! { "$set": document })
            .session(&mut *session)
            .await;
        match replaced {
            Err(error) if duplicate(&error) => return Ok(Err(WriteError::Conflict(shape.conflict.to_owned()))),
            replaced => replaced?,
        };
        self.log(session, "updated", Some(id), Some(json(&after)), Some(json(&before))).await?;
        Ok(Ok((before, after, revision + 1)))
    }

    /// Deletes the record `id`, if at revision `expected` (any when `None`); what it was.
    pub async fn delete<R>(&self, shape: &Shape<R>, id: i64, expected: Option<i64>) -> Outcome<R>
    where
        R: Serialize + DeserializeOwned + Unpin + Send + Sync,
    {
        self.transaction("deleting a record", |mut session| {
            Box::pin(async move {
                let deleted = self.delete_in(&mut session, shape, id, expected).await;
                (session, deleted)
            })
        })
        .await
    }

    async fn delete_in<R>(
        &self,
        session: &mut ClientSession,
        shape: &Shape<R>,
        id: i64,
        expected: Option<i64>,
    ) -> Result<Result<R, WriteError>, Error>
    where
        R: Serialize + DeserializeOwned + Unpin + Send + Sync,
    {
        let Some((before, revision)) = self.get_in(session, shape, id).await? else {
            return Ok(Err(WriteError::NotFound));
        };
        if expected.is_some_and(|expected| expected != revision) {
            return Ok(Err(WriteError::Stale { current: revision }));
        }
        self.forget(session, id, json(&before)).await?;
        Ok(Ok(before))
    }

    /// Removes the record `id`, its creation keys, and logs it gone (with
    /// `last`, what it was: followers tell by it whose record went).
    async fn forget(&self, session: &mut ClientSession, id: i64, last: Bson) -> Result<(), Error> {
        self.collection.delete_one(doc! { "_id": id }).session(&mut *session).await?;
        self.ledger("idempotency").delete_many(doc! { "recordId": id }).session(&mut *session).await?;
        self.log(session, "deleted", Some(id), Some(last), None).await?;
        Ok(())
    }

    /// Deletes every record `filter` finds (each a change in the log); what they were.
    pub async fn delete_all<R>(&self, shape: &Shape<R>, filter: Document) -> Result<Vec<R>, StoreError>
    where
        R: Serialize + DeserializeOwned + Unpin + Send + Sync,
    {
        let filter = &filter;
        let deleted = self
            .transaction("deleting records", |mut session| {
                Box::pin(async move {
                    let deleted = self.delete_all_in(&mut session, shape, filter).await;
                    (session, deleted)
                })
            })
            .await?;
        deleted.map_err(|_| StoreError::backend_because("deleting records was refused"))
    }

    async fn delete_all_in<R>(
        &self,
        session: &mut ClientSession,
        shape: &Shape<R>,
        filter: &Document,
    ) -> Result<Result<Vec<R>, WriteError>, Error>
    where
        R: Serialize + DeserializeOwned + Unpin + Send + Sync,
    {
        let found: Vec<R> = self
            .collection
            .clone_with_type::<R>()
            .find(filter.clone())
            .projection((shape.projection)())
            .session(&mut *session)
            .await?
            .stream(&mut *session)
            .try_collect()
            .await?;
        for record in &found {
            self.forget(session, (shape.id)(record), json(record)).await?;
        }
        Ok(Ok(found))
    }
}

/// What a transaction's work gives back: its session, and its result.
type Work<'a, T> = BoxFuture<'a, (ClientSession, Result<Result<T, WriteError>, Error>)>;

fn revised_projection<R>(shape: &Shape<R>) -> Document {
    let mut projection = (shape.projection)();
    projection.insert("revision", 1);
    projection
}

fn duplicate(error: &Error) -> bool {
    use mongodb::error::{ErrorKind, WriteFailure};
    match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(failure)) => failure.code == DUPLICATE_KEY,
        ErrorKind::Command(command) => command.code == DUPLICATE_KEY,
        _ => false,
    }
}

/// An entry of the change log as [`MongoCollection::log`] wrote it.
fn change_of(entry: Document) -> Result<Change, StoreError> {
    let unreadable = || StoreError::backend_because(format!("a change log entry that cannot be read: {entry}"));
    let kind = entry.get_str("kind").ok().and_then(ChangeKind::parse).ok_or_else(unreadable)?;
    Ok(Change {
        position: entry.get_i64("_id").map_err(|_| unreadable())?,
        at: entry.get_i64("at").map_err(|_| unreadable())?,
        kind,
        id: entry.get_i64("id").ok(),
        record: json_of(entry.get("record")),
        previous: json_of(entry.get("previous")),
    })
}

/// A record of the log as JSON (a document: none for anything else).
fn json_of(record: Option<&Bson>) -> Option<serde_json::Value> {
    match record {
        Some(Bson::Document(record)) => Some(Bson::Document(record.clone()).into_relaxed_extjson()),
        _ => None,
    }
}
