//! The gateway follows the concerts service's change log, so that the
//! answers it keeps change only when what they show may have changed
//! ([`crate::scopes`]): each concert created, updated or deleted moves the
//! scopes of its band and its place (before and after the change), an
//! import starts a new epoch.
//!
//! It long-polls the log in the background (a change made through another
//! gateway, or straight at the service, shows within the poll's round
//! trip), or, with `NATS_URL` set, follows the concerts' subjects of the
//! JetStream stream the service relays its log to ([`crate::events`]): the
//! service is then not polled by every gateway. A change that comes with a
//! gap before it (the relay behind, a message missed) is filled from the
//! log. A write this gateway relayed is caught up with from the log before
//! its answer leaves (the writer reads it at once). Until the log is followed
//! (at start, while the service is down or the log is read again from its
//! end), the concerts' data version is what answers depend on, as without
//! a follower: [`Follower::scope`] says which.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use changes_model::{Change, ChangeKind, ChangePage};
use exceptions::HttpError;
use serde_json::Value;

use crate::clients::{Owner, Services, Versions};
use crate::context::RequestContext;
use crate::events::{EventSource, FollowError};
use crate::query::ConcertsQuery;
use crate::scopes::ConcertScopes;

/// How long one poll of the log may wait for a change.
const POLL_WAIT: Duration = Duration::from_secs(20);
/// How long to wait before following again after a failure.
const PAUSE_AFTER_FAILURE: Duration = Duration::from_secs(1);
/// Entries read at once.
const BATCH: usize = 1000;
/// The budget of one read of the log (and of the venue lookups of its changes).
const BUDGET: Duration = Duration::from_secs(5);
/// The longest the first concert searches wait for the log's first read,
/// so that the answers of a fresh gateway are tagged by scope from the start.
const FIRST_WAIT: Duration = Duration::from_millis(500);

pub struct Follower {
    services: Arc<Services>,
    scopes: ConcertScopes,
    /// The last position applied; held while a batch is applied.
    position: tokio::sync::Mutex<Option<i64>>,
    /// Whether the scopes are up to date with the log (else answers depend
    /// on the data version).
    following: AtomicBool,
    /// Whether the log was ever read, and who waits for its first read.
    started: AtomicBool,
    first_read: tokio::sync::Notify,
    /// Whether a search already waited for the first read.
    waited: AtomicBool,
    /// The last position applied, as `/ready` tells it (-1: none yet).
    applied: AtomicI64,
    /// When the last catch-up read of the log started; held while one reads,
    /// so that writers answered meanwhile share the next read.
    catching_up: tokio::sync::Mutex<Option<Instant>>,
    /// Whether the changes come from NATS now (else from polling the log).
    from_events: AtomicBool,
}

impl Follower {
    pub fn new(services: Arc<Services>) -> Arc<Self> {
        Arc::new(Self {
            services,
            scopes: ConcertScopes::default(),
            position: tokio::sync::Mutex::new(None),
            following: AtomicBool::new(false),
            started: AtomicBool::new(false),
            first_read: tokio::sync::Notify::new(),
            waited: AtomicBool::new(false),
            catching_up: tokio::sync::Mutex::new(None),
            applied: AtomicI64::new(-1),
            from_events: AtomicBool::new(false),
        })
    }

    /// Follows the log in the background (from `events` when there are),
    /// for as long as the follower is in use (the task ends once the
    /// gateway is dropped). Without a tokio runtime nothing is followed:
    /// answers depend on the data versions.
    pub fn start(self: &Arc<Self>, events: Option<EventSource>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let follower = Arc::downgrade(self);
        runtime.spawn(follow(follower, events));
    }

    /// Where the changes come from now: `nats` or `log`.
    pub fn source(&self) -> &'static str {
        if self.from_events.load(Ordering::Acquire) { "nats" } else { "log" }
    }

    /// Waits (briefly) for the log's first read, for the first search only:
    /// a search's tag is then its scope from the start, not its version
    /// first and its scope a moment later (a miss of every answer kept
    /// meanwhile). With the service down, no later search waits.
    pub async fn started(&self) {
        if self.started.load(Ordering::Acquire) || self.waited.swap(true, Ordering::AcqRel) {
            return;
        }
        let first = self.first_read.notified();
        if !self.started.load(Ordering::Acquire) {
            let _ = tokio::time::timeout(FIRST_WAIT, first).await;
        }
    }

    /// The last position of the log applied, while it is followed.
    pub fn applied(&self) -> Option<i64> {
        let applied = self.applied.load(Ordering::Acquire);
        (self.following.load(Ordering::Acquire) && applied >= 0).then_some(applied)
    }

    /// What a concert search's answer depends on: its scope while the log
    /// is followed, else the concerts' data version.
    pub fn scope(&self, query: &ConcertsQuery, versions: &Versions) -> String {
        if self.following.load(Ordering::Acquire) { self.scopes.of(query) } else { format!("v{}", versions.concerts) }
    }

    /// Applies every change logged up to now (after a write this gateway
    /// relayed: the writer's next read must see it). One read serves every
    /// write answered before it started: under many writers, a few reads
    /// of the log catch up with all of them.
    pub async fn catch_up(&self) {
        let answered = Instant::now();
        let mut last_read = self.catching_up.lock().await;
        if last_read.is_some_and(|started| started >= answered) {
            return; // a read that started after this write was answered has applied it
        }
        *last_read = Some(Instant::now());
        if let Err(error) = self.read_on(Duration::ZERO).await {
            self.lost(&error);
        }
    }

    /// Reads the log after the last position applied (waiting up to `wait`
    /// for a change) and applies what it holds; the first read only learns
    /// where the log ends.
    async fn read_on(&self, wait: Duration) -> Result<(), HttpError> {
        let after = *self.position.lock().await;
        let context = RequestContext::new(None, BUDGET + wait);
        // A first read only learns where the log ends: one entry is enough.
        let (from, limit) = after.map_or((0, 1), |after| (after, BATCH));
        let page = self.services.followed_log_after(Owner::Concerts, &context, from, limit, wait).await?;
        let mut position = self.position.lock().await;
        match *position {
            // The log is read from where it ends: what came before is in the answers' new epoch.
            None => self.start_over(&mut position, &page),
            Some(applied) if page.lost_after(applied) || page.last < applied => {
                tracing::warn!(
                    applied,
                    last = page.last,
                    "the concerts' change log moved past this gateway: following anew"
                );
                self.start_over(&mut position, &page);
            }
            Some(applied) => {
                for change in page.changes.iter().filter(|change| change.position > applied) {
                    self.apply(&context, change).await;
                    *position = Some(change.position);
                }
            }
        }
        if let Some(position) = *position {
            self.applied_up_to(position);
        }
        self.following.store(true, Ordering::Release);
        if !self.started.swap(true, Ordering::AcqRel) {
            self.first_read.notify_waiters();
        }
        Ok(())
    }

    /// Applies a change that came from NATS: the next one is applied, one
    /// already applied is skipped, and one after a gap is applied with
    /// what the gap holds, from the log.
    async fn apply_relayed(&self, change: &Change) -> Result<(), HttpError> {
        let mut position = self.position.lock().await;
        match *position {
            Some(applied) if change.position <= applied => Ok(()),
            Some(applied) if change.position == applied + 1 => {
                self.apply(&RequestContext::new(None, BUDGET), change).await;
                *position = Some(change.position);
                self.applied_up_to(change.position);
                Ok(())
            }
            _ => {
                drop(position);
                self.read_on(Duration::ZERO).await
            }
        }
    }

    /// Says how far the log is applied: `/ready` and the metric.
    fn applied_up_to(&self, position: i64) {
        bootstrap::telemetry::record_change_log_followed("concerts", position);
        self.applied.store(position, Ordering::Release);
    }

    fn start_over(&self, position: &mut Option<i64>, page: &ChangePage) {
        self.scopes.new_epoch();
        *position = Some(page.last);
    }

    async fn apply(&self, context: &RequestContext, change: &Change) {
        if change.kind == ChangeKind::Bulk {
            self.scopes.new_epoch();
            return;
        }
        for record in [&change.record, &change.previous].into_iter().flatten() {
            match self.place_of(context, record).await {
                Some((band, place)) => self.scopes.touched(band, place),
                None => self.scopes.new_epoch(),
            }
        }
    }

    /// A concert record's band and venue position, when the venue is known.
    async fn place_of(&self, context: &RequestContext, record: &Value) -> Option<(i64, (f64, f64))> {
        let (band, venue) = (record["bandId"].as_i64()?, record["venueId"].as_i64()?);
        let venues = self.services.venues.by_ids(context, &[venue]).await.ok()?;
        venues.first().map(|venue| (band, (venue.latitude, venue.longitude)))
    }

    /// The log could not be read: answers depend on the data version until it is again.
    fn lost(&self, error: &HttpError) {
        if self.following.swap(false, Ordering::AcqRel) {
            tracing::warn!(%error, "the concerts' change log cannot be followed for now");
        }
    }
}

/// The background loop: follows while the follower is in use, from
/// `events` when there are (one round of the log after each failure of the
/// broker, so that the scopes keep up meanwhile), else from the log.
async fn follow(follower: Weak<Follower>, events: Option<EventSource>) {
    let mut broker_failing = false;
    loop {
        if let Some(events) = &events
            && follower.upgrade().is_some_and(|follower| follower.following.load(Ordering::Acquire))
        {
            let followed = follow_events(&follower, events).await;
            let Some(follower) = follower.upgrade() else { return };
            // A subscription that was up and broke is a new outage: said again.
            if follower.from_events.swap(false, Ordering::AcqRel) {
                broker_failing = false;
            }
            if let Err(error) = followed
                && !std::mem::replace(&mut broker_failing, true)
            {
                tracing::warn!(error = %exceptions::chain(&error), "the concerts' changes cannot be followed on NATS for now: polling the log meanwhile");
            }
        }
        let Some(follower) = follower.upgrade() else { return };
        let wait = if follower.following.load(Ordering::Acquire) { POLL_WAIT } else { Duration::ZERO };
        let wait = if events.is_some() { wait.min(EVENTS_RETRY) } else { wait };
        if let Err(error) = follower.read_on(wait).await {
            follower.lost(&error);
            drop(follower);
            tokio::time::sleep(PAUSE_AFTER_FAILURE).await;
        }
    }
}

/// How long the log is polled before NATS is tried again.
const EVENTS_RETRY: Duration = Duration::from_secs(1);

/// Follows the concerts' subjects on NATS until the broker fails (or the
/// follower is dropped).
async fn follow_events(follower: &Weak<Follower>, events: &EventSource) -> Result<(), FollowError> {
    let mut changes = events.follow(Owner::Concerts).await?;
    // Subscribed first, then the log read to its end: nothing falls between.
    match follower.upgrade() {
        Some(follower) => {
            follower.read_on(Duration::ZERO).await?;
            follower.from_events.store(true, Ordering::Release);
        }
        None => return Ok(()),
    }
    loop {
        let change = changes.next().await?;
        let Some(follower) = follower.upgrade() else { return Ok(()) };
        follower.apply_relayed(&change).await?;
    }
}
