//! `GET /changes?after=N&limit=M&wait=S`: a service's change log, as every
//! entity service serves it to the gateway, which merges the three into the
//! public feed. Entries come in commit order, each with its position; a
//! follower asks again after the last position it read, and sees every
//! change once. The answer says which entries the log still keeps: one whose
//! position is older lost entries to compaction ([`ChangePage::lost_after`])
//! and must read the catalogue again (the gateway's feed answers it 410).
//! `wait` holds an empty answer back until a change comes or the seconds
//! pass, so that a follower keeps up without asking over and over: the
//! write routes say when they committed ([`committed`]), which wakes the
//! waiting followers (and the relay) at once; the log is also looked at
//! again every [`WAIT_STEP`], for what was committed otherwise.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::Json;
use axum::extract::State;
use axum::routing::{MethodRouter, get};
use changes_model::ChangePage;
use exceptions::{HttpError, StoreError};
use serde::Deserialize;
use serde_json::json;
use validator::{CompiledSchema, FromQuery, Schema, SchemaError, Validated};

/// The most entries one answer holds.
pub const MAX_CHANGES: usize = 1000;
/// The longest a follower may be held waiting, in seconds.
pub const MAX_WAIT_SECONDS: u64 = 60;
/// How often a waiting follower's log is looked at again when no commit
/// was announced: a commit of this process wakes it at once, so this is
/// for commits of other processes on the same database (replicas of a
/// service on MongoDB). Each look is a read of the log: every 50 ms, the
/// idle services spent 2 % of a core on their followers.
const WAIT_STEP: Duration = Duration::from_millis(250);

/// What waits for this process's next commit.
static COMMITS: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Says that this process committed a change: whoever waits for the log
/// ([`next_commit`]) reads it now.
pub fn committed() {
    COMMITS.notify_waiters();
}

/// This process's next commit ([`committed`]), as a future that counts
/// from the moment it is made (not from its first poll): made before the
/// log is read, it misses no commit that comes after the read.
pub fn next_commit() -> std::pin::Pin<Box<tokio::sync::futures::Notified<'static>>> {
    let mut next = Box::pin(COMMITS.notified());
    next.as_mut().enable();
    next
}

/// A store that logs its changes ([`ChangePage`]).
#[async_trait]
pub trait ChangeLog: Send + Sync {
    /// The entries after `position`, at most `limit`, in order.
    async fn changes_after(&self, position: i64, limit: usize) -> Result<ChangePage, StoreError>;

    /// Drops the entries committed before `before` (UNIX ms), but never the
    /// newest (the last position stays known); how many were dropped.
    async fn compact(&self, before: i64) -> Result<u64, StoreError>;
}

/// How often a service's log is compacted.
const COMPACTION_INTERVAL: Duration = Duration::from_secs(3600);

/// Keeps `log` compacted to `retention` in the background: now (a service
/// started after a long stop drops what aged meanwhile), then every hour.
pub fn keep_compacted(log: Arc<dyn ChangeLog>, retention: Duration) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(COMPACTION_INTERVAL);
        loop {
            every.tick().await;
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            let before = i64::try_from(now.saturating_sub(retention).as_millis()).unwrap_or(i64::MAX);
            match log.compact(before).await {
                Ok(0) => {}
                Ok(dropped) => tracing::info!(dropped, "change log compacted"),
                // The next round tries again; the log only grows meanwhile.
                Err(error) => tracing::warn!(%error, "change log not compacted"),
            }
        }
    });
}

/// What a follower asks.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LogQuery {
    /// The last position it read (0: from the start).
    #[serde(default)]
    pub after: i64,
    #[serde(default = "default_limit")]
    pub limit: usize,
    /// Seconds to wait for a change when there is none.
    #[serde(default)]
    pub wait: u64,
}

fn default_limit() -> usize {
    100
}

static SCHEMA: CompiledSchema = CompiledSchema::new(|| {
    Schema::new(
        "LogQuery",
        json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "after": {"type": "integer", "minimum": 0},
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_CHANGES},
                "wait": {"type": "integer", "minimum": 0, "maximum": MAX_WAIT_SECONDS}
            }
        }),
    )
});

impl FromQuery for LogQuery {
    type Params = Self;

    fn schema() -> Result<&'static Schema, &'static SchemaError> {
        SCHEMA.as_ref()
    }

    fn parse(query: Self) -> Result<Self, HttpError> {
        Ok(query)
    }
}

/// `GET /changes` on `log`.
pub fn route<S>(log: Arc<dyn ChangeLog>) -> Result<MethodRouter<S>, SchemaError>
where
    S: Clone + Send + Sync + 'static,
{
    LogQuery::schema().map_err(Clone::clone)?;
    Ok(get(changes).with_state(log))
}

async fn changes(
    State(log): State<Arc<dyn ChangeLog>>,
    Validated(query): Validated<LogQuery>,
) -> Result<Json<ChangePage>, HttpError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(query.wait);
    loop {
        let next = next_commit();
        let page = log.changes_after(query.after, query.limit).await?;
        let nothing_to_wait_for = !page.changes.is_empty() || page.lost_after(query.after);
        if nothing_to_wait_for || tokio::time::Instant::now() + WAIT_STEP > deadline {
            return Ok(Json(page));
        }
        let _ = tokio::time::timeout(WAIT_STEP, next).await;
    }
}
