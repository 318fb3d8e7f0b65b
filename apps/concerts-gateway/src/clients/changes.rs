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

    /// `owner`'s log, as the gateway's own followers read it
    /// ([`crate::follower`], [`crate::record_logs`]): through clients of
    /// their own, so that their failures (a service down for a while) never
    /// open the circuits that public requests go through.
    pub async fn followed_log_after(
        &self,
        owner: Owner,
        context: &RequestContext,
        after: i64,
        limit: usize,
        wait: Duration,
    ) -> Result<ChangePage, HttpError> {
        read_log(self.log_of(owner), context, after, limit, wait).await
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
