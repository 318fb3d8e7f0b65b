//! What every handler shares (behind one `Arc`: axum clones the state per
//! request), and the parts of it the extractors take
//! ([`RequestDeadline`] for the request's context, [`Freshness`] for
//! conditional reads).

use std::sync::Arc;

use axum::extract::FromRef;

use crate::clients::Services;
use crate::config::MapTiles;
use crate::context::RequestDeadline;
use crate::freshness::Freshness;

pub struct Gateway {
    pub services: Arc<Services>,
    pub deadline: RequestDeadline,
    pub freshness: Freshness,
    /// Concerts per internal page of an answer without a limit.
    pub stream_page: usize,
    /// The search page's map tiles.
    pub tiles: MapTiles,
}

pub type State = Arc<Gateway>;

impl FromRef<State> for RequestDeadline {
    fn from_ref(gateway: &State) -> Self {
        gateway.deadline
    }
}

impl FromRef<State> for Freshness {
    fn from_ref(gateway: &State) -> Self {
        gateway.freshness
    }
}
