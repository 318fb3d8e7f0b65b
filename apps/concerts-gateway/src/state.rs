//! What every handler shares (behind one `Arc`: axum clones the state per
//! request), and the parts of it the extractors take
//! ([`RequestDeadline`] for the request's context, [`Freshness`] and
//! [`AnswerCache`] for conditional reads).

use std::sync::Arc;

use axum::extract::FromRef;

use crate::answer_cache::AnswerCache;
use crate::clients::{Services, Versions};
use crate::config::MapTiles;
use crate::context::RequestDeadline;
use crate::follower::Follower;
use crate::freshness::Freshness;
use crate::query::ConcertsQuery;
use crate::tag::Tag;

pub struct Gateway {
    pub services: Arc<Services>,
    /// The concerts' change log, followed: what each concert search depends on.
    pub follower: Arc<Follower>,
    pub deadline: RequestDeadline,
    pub freshness: Freshness,
    pub answers: AnswerCache,
    /// Concerts per internal page of an answer without a limit.
    pub stream_page: usize,
    /// The most events of a calendar feed.
    pub ics_max_events: usize,
    /// The search page's map tiles.
    pub tiles: MapTiles,
}

pub type State = Arc<Gateway>;

impl Gateway {
    /// The tag of `route`'s answer to `query` (normalized) over the data
    /// versions `reads` picks, when the versions are known; the answers kept
    /// follow the versions.
    pub async fn tag(&self, route: &str, query: &str, reads: fn(&Versions) -> Vec<&str>) -> Option<Tag> {
        let versions = self.services.versions().await?;
        self.answers.follow(&versions);
        Some(Tag::of(route, query, &reads(&versions)))
    }

    /// The tag of a concert search's answer at `route` (the list, or the
    /// calendar): the names' versions, and what of the concerts it shows
    /// ([`Follower::scope`]).
    pub async fn concerts_tag(&self, route: &str, query: &ConcertsQuery) -> Option<Tag> {
        self.follower.started().await;
        let versions = self.services.versions().await?;
        self.answers.follow(&versions);
        let scope = self.follower.scope(query, &versions);
        Some(Tag::of(route, &query.normalized(), &[&versions.bands, &versions.venues, &scope]))
    }
}

impl FromRef<State> for RequestDeadline {
    fn from_ref(gateway: &State) -> Self {
        gateway.deadline
    }
}

impl FromRef<State> for AnswerCache {
    fn from_ref(gateway: &State) -> Self {
        gateway.answers.clone()
    }
}

impl FromRef<State> for Freshness {
    fn from_ref(gateway: &State) -> Self {
        gateway.freshness
    }
}
