//! The services' change logs (`GET /changes` on each), as the public feed
//! reads them ([`crate::feed`]).

use std::time::Duration;

use changes_model::ChangePage;
use exceptions::HttpError;

use super::call::{JsonAnswer, ServiceClient};
use super::{Owner, Services};
use crate::context::RequestContext;

impl Services {
    /// `owner`'s log after `after`: at most `limit` entries, the service
    /// holding an empty answer back for up to `wait` (the call's time grows by it).
    pub async fn changes_after(
        &self,
        owner: Owner,
        context: &RequestContext,
        after: i64,
        limit: usize,
        wait: Duration,
    ) -> Result<ChangePage, HttpError> {
        read_log(self.of(owner), context, after, limit, wait).await
    }

    /// The concerts' log, as the gateway's own follower reads it
    /// ([`crate::follower`]): through a client of its own, so that its
    /// failures (the service down for a while) never open the circuit that
    /// public requests go through.
    pub async fn concerts_log_after(
        &self,
        context: &RequestContext,
        after: i64,
        limit: usize,
        wait: Duration,
    ) -> Result<ChangePage, HttpError> {
        read_log(&self.concerts_log, context, after, limit, wait).await
    }
}

async fn read_log(
    service: &ServiceClient,
    context: &RequestContext,
    after: i64,
    limit: usize,
    wait: Duration,
) -> Result<ChangePage, HttpError> {
    let service = service.waiting(wait);
    let url = format!("{}/changes?after={after}&limit={limit}&wait={}", service.base_url, wait.as_secs());
    service.call(context, |http| http.get(&url), JsonAnswer::new()).await
}
