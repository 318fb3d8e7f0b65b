//! The services' change logs (`GET /changes` on each), as the public feed
//! reads them ([`crate::feed`]).

use std::time::Duration;

use changes_model::ChangePage;
use exceptions::HttpError;

use super::call::JsonAnswer;
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
        let service = self.of(owner).waiting(wait);
        let url = format!("{}/changes?after={after}&limit={limit}&wait={}", service.base_url, wait.as_secs());
        service.call(context, |http| http.get(&url), JsonAnswer::new()).await
    }
}
