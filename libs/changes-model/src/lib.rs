//! The change log's wire shape: what each service answers at `GET /changes`
//! (its own log, in commit order) and what the gateway reads from the three
//! and merges into the public feed. The services write the log in the same
//! transaction as each change (`storage`); how the feed is made of it is in
//! the gateway (`changes.rs`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What happened to a record. `bulk`: an import changed any number of
/// records at once; a follower reads the catalogue again instead of getting
/// one entry per record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Created,
    Updated,
    Deleted,
    Bulk,
}

impl ChangeKind {
    /// Its name, as the log stores it.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Updated => "updated",
            ChangeKind::Deleted => "deleted",
            ChangeKind::Bulk => "bulk",
        }
    }

    /// The kind named `name` ([`Self::as_str`]).
    pub fn parse(name: &str) -> Option<Self> {
        [ChangeKind::Created, ChangeKind::Updated, ChangeKind::Deleted, ChangeKind::Bulk]
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

/// One entry of a service's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Its place in the service's log: positions grow in commit order and
    /// are never given twice.
    pub position: i64,
    /// When it was committed, UNIX ms.
    pub at: i64,
    pub kind: ChangeKind,
    /// The record's id (none for `bulk`).
    pub id: Option<i64>,
    /// The record after the change; for `deleted`, as it was last (who
    /// follows tells by it whose concert went); none for `bulk`.
    pub record: Option<Value>,
    /// For `updated`, the record before the change: a follower that keeps
    /// answers by band or place learns which ones the change left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Value>,
}

/// The entries of a service's log after a position, and what the log keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangePage {
    pub changes: Vec<Change>,
    /// The last position given (0 before any change).
    pub last: i64,
    /// The first position still kept: entries before it were compacted
    /// away. `None` when the log holds nothing.
    pub oldest: Option<i64>,
}

impl ChangePage {
    /// Whether a follower that has read up to `after` missed entries that
    /// are gone: it must read the catalogue again.
    pub fn lost_after(&self, after: i64) -> bool {
        self.oldest.is_some_and(|oldest| after + 1 < oldest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_back_as_written() {
        for kind in [ChangeKind::Created, ChangeKind::Updated, ChangeKind::Deleted, ChangeKind::Bulk] {
            assert_eq!(ChangeKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), Value::from(kind.as_str()));
        }
        assert_eq!(ChangeKind::parse("moved"), None);
    }

    #[test]
    fn a_follower_lost_entries_only_when_some_before_the_oldest_are_gone() {
        let page = |oldest| ChangePage { changes: Vec::new(), last: 10, oldest };
        assert!(!page(None).lost_after(0), "an empty log lost nothing");
        assert!(!page(Some(1)).lost_after(0), "nothing compacted");
        assert!(!page(Some(5)).lost_after(4), "it read up to the entry before the oldest");
        assert!(page(Some(5)).lost_after(3), "entry 4 is gone");
    }
}
