//! The rule for a band or a venue that goes while concerts still name it
//! (issue "A living catalogue"): through the gateway, such a delete is
//! refused (409) unless it asks `?cascade=delete`, which deletes the
//! concerts first. A delete made some other way (straight at the bands or
//! venues service) would leave concerts of a band or venue that is gone:
//! the concerts service follows the bands' and venues' change logs and
//! deletes those concerts as the delete arrives, each a change of its own
//! log, as a cascade would have.
//!
//! How far each log was applied is kept in the store ([`ConcertStore::cursor`]),
//! so that a restart resumes there; while the bands or venues service is
//! down, the follower waits and tries again, and the concerts service goes
//! on serving.

use std::sync::Arc;
use std::time::Duration;

use changes_model::{ChangeKind, ChangePage};
use thiserror::Error;

use crate::store::{ConcertStore, Side};

/// How long one read of a log may wait for a change, in seconds.
const POLL_WAIT_SECONDS: u64 = 20;
/// Entries read at once.
const BATCH: usize = 1000;
/// How long to wait before reading again after a failure.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// A log the concerts service follows.
#[derive(Debug, Clone, Copy)]
pub enum Referenced {
    Bands,
    Venues,
}

impl Referenced {
    /// The log's name, as its cursor is kept.
    pub fn log(self) -> &'static str {
        match self {
            Referenced::Bands => "bands",
            Referenced::Venues => "venues",
        }
    }

    fn side(self, id: i64) -> Side {
        match self {
            Referenced::Bands => Side::Band(id),
            Referenced::Venues => Side::Venue(id),
        }
    }
}

/// Why a round of following failed (it is tried again).
#[derive(Debug, Error)]
pub enum FollowError {
    #[error("cannot read the {log} service's change log")]
    Read {
        log: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error(transparent)]
    Store(#[from] exceptions::StoreError),
}

/// Follows the log of `referenced` at `url` (its service's base URL) in
/// the background, for as long as the process runs.
pub fn follow(store: Arc<dyn ConcertStore>, referenced: Referenced, url: String) {
    tokio::spawn(async move {
        let client =
            reqwest::Client::builder().timeout(Duration::from_secs(POLL_WAIT_SECONDS + 10)).build().unwrap_or_default();
        let (mut failing, mut cursor) = (false, None);
        loop {
            match read_on(store.as_ref(), &client, referenced, &url, &mut cursor).await {
                Ok(()) => failing = false,
                Err(error) => {
                    cursor = None; // read from the store again, as after a restart
                    if !failing {
                        tracing::warn!(log = referenced.log(), error = %exceptions::chain(&error), "cannot follow a change log for now: trying again every second");
                        failing = true;
                    }
                    tokio::time::sleep(RETRY_AFTER).await;
                }
            }
        }
    });
}

/// Reads the log after the cursor (waiting for a change), applies what it
/// holds and keeps the new cursor, in the store and in `cursor` (read from
/// the store when `None`).
async fn read_on(
    store: &dyn ConcertStore,
    client: &reqwest::Client,
    referenced: Referenced,
    url: &str,
    cursor: &mut Option<i64>,
) -> Result<(), FollowError> {
    let log = referenced.log();
    let after = match *cursor {
        Some(after) => after,
        None => store.cursor(log).await?,
    };
    *cursor = Some(after);
    let failed = |source| FollowError::Read { log, source };
    let page: ChangePage = client
        .get(format!("{url}/changes?after={after}&limit={BATCH}&wait={POLL_WAIT_SECONDS}"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(failed)?
        .json()
        .await
        .map_err(failed)?;
    if page.lost_after(after) {
        tracing::warn!(
            log,
            after,
            oldest = page.oldest,
            "deletes compacted away before they were applied: concerts of those may remain"
        );
    }
    let Some(last) = page.changes.last().map(|change| change.position) else { return Ok(()) };
    for change in &page.changes {
        let (ChangeKind::Deleted, Some(id)) = (change.kind, change.id) else { continue };
        let deleted = store.delete_all_of(referenced.side(id)).await?;
        if deleted > 0 {
            tracing::info!(log, id, deleted, "deleted the concerts of a {} that is gone", &log[..log.len() - 1]);
            bootstrap::changes::committed();
        }
    }
    store.keep_cursor(log, last).await?;
    *cursor = Some(last);
    Ok(())
}
