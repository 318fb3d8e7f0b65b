//! The orders a search's concerts can come in (`sort`), as the public API
//! names them and as the concerts service reads them.

use concerts_model::Order;
use serde::Deserialize;

/// `sort` of `GET /concerts`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
pub enum Sort {
    /// `-date`: newest first (ties: band id, then venue id, descending), the default.
    #[default]
    #[serde(rename = "-date")]
    NewestFirst,
    /// `date`: soonest first (ties: band id, then venue id, ascending).
    #[serde(rename = "date")]
    SoonestFirst,
    /// `distance`: nearest venue first (ties: venue id), each venue's concerts
    /// soonest first (ties: band id); needs a circle.
    #[serde(rename = "distance")]
    Nearest,
}

impl Sort {
    /// The name in query strings.
    pub fn name(self) -> &'static str {
        match self {
            Sort::NewestFirst => "-date",
            Sort::SoonestFirst => "date",
            Sort::Nearest => "distance",
        }
    }

    /// The order the concerts service reads: nearest first is the circle's
    /// venues in the order the gateway lists them.
    pub fn order(self) -> Order {
        match self {
            Sort::NewestFirst => Order::NewestFirst,
            Sort::SoonestFirst => Order::SoonestFirst,
            Sort::Nearest => Order::VenuesInOrder,
        }
    }
}
