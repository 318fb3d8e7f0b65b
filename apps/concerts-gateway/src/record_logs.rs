//! The gateway follows the bands' and venues' change logs (or, with
//! `NATS_URL` set, their subjects on NATS): when a band or a venue changes,
//! the service's data version is asked again at once, which drops the names
//! kept of it and the answers that show them (`Services::written`), instead
//! of waiting out `DATA_VERSION_TTL_MS`. (The concerts' log is followed
//! apart, finer: [`crate::follower`].)

use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::clients::{Owner, Services};
use crate::context::RequestContext;
use crate::events::{EventSource, FollowError};

/// How long one poll of a log may wait for a change.
const POLL_WAIT: Duration = Duration::from_secs(20);
/// The budget of one read of a log.
const BUDGET: Duration = Duration::from_secs(5);
/// How long to wait before following again after a failure.
const PAUSE_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// Follows the bands' and venues' logs in the background, for as long as
/// `services` are in use.
pub fn follow(services: &Arc<Services>, events: Option<EventSource>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    for owner in [Owner::Bands, Owner::Venues] {
        runtime.spawn(follow_log(Arc::downgrade(services), owner, events.clone()));
    }
}

async fn follow_log(services: Weak<Services>, owner: Owner, events: Option<EventSource>) {
    let mut position = None;
    let mut failing = false;
    loop {
        let followed = match &events {
            Some(events) => follow_events(&services, owner, events).await,
            None => poll(&services, owner, &mut position).await,
        };
        if services.strong_count() == 0 {
            return;
        }
        if let Err(error) = followed {
            if !std::mem::replace(&mut failing, true) {
                tracing::warn!(log = owner.name(), error = %exceptions::chain(&error), "a change log cannot be followed for now: names are kept for DATA_VERSION_TTL_MS meanwhile");
            }
            position = None;
            tokio::time::sleep(PAUSE_AFTER_FAILURE).await;
        } else {
            failing = false;
        }
    }
}

/// One long poll of `owner`'s log; a change (after the first read, which
/// only learns where the log ends) has the version asked again.
async fn poll(services: &Weak<Services>, owner: Owner, position: &mut Option<i64>) -> Result<(), FollowError> {
    let Some(services) = services.upgrade() else { return Ok(()) };
    let wait = if position.is_some() { POLL_WAIT } else { Duration::ZERO };
    let context = RequestContext::new(None, BUDGET + wait);
    let after = position.unwrap_or(0);
    let limit = if position.is_some() { 1000 } else { 1 };
    let page = services.followed_log_after(owner, &context, after, limit, wait).await?;
    if position.is_some_and(|position| page.last != position) {
        services.written(owner, None).await;
    }
    *position = Some(page.last);
    Ok(())
}

/// Follows `owner`'s subjects on NATS until the broker fails; the changes
/// that came together have the version asked again once.
async fn follow_events(services: &Weak<Services>, owner: Owner, events: &EventSource) -> Result<(), FollowError> {
    let mut changes = events.follow(owner).await?;
    loop {
        changes.next().await?;
        changes.ready()?;
        let Some(services) = services.upgrade() else { return Ok(()) };
        services.written(owner, None).await;
    }
}
