//! An answer's tag (its `ETag`): made from what the answer depends on, the
//! route, the normalized query and the data versions it read (see
//! [`crate::freshness`]). The answers kept ([`crate::answer_cache`]) are
//! found by it, and conditional reads compare it.

use std::hash::{DefaultHasher, Hash, Hasher};

use headers::ETag;

/// An answer's tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tag(String);

impl Tag {
    /// The tag of the answer of `route` to `query` (normalized: two queries
    /// that mean the same give the same text) over data at `versions`.
    /// `DefaultHasher` hashes the same way in every replica of one build; a
    /// new build may hash otherwise, which only makes clients fetch once.
    pub fn of(route: &str, query: &str, versions: &[&str]) -> Self {
        let mut hasher = DefaultHasher::new();
        (route, query, versions).hash(&mut hasher);
        Self(format!("W/\"{:016x}\"", hasher.finish()))
    }

    /// The tag's text, quotes and `W/` included.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As the `ETag` header holds it.
    pub fn etag(&self) -> Option<ETag> {
        self.0.parse().ok()
    }
}
