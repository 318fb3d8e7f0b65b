//! Whether a client's copy of an answer is still the answer: every public
//! answer carries an `ETag` and a `Cache-Control`, and a request whose
//! `If-None-Match` holds the current tag gets `304 Not Modified` with no body.
//!
//! The tag is made from what the answer depends on (the route, the
//! normalized query and the data versions of the services it reads,
//! [`crate::clients::Versions`]), not from the answer's bytes: it is known
//! before any search is made, so a `304` costs a validation and a hash, and
//! a streamed answer can carry a tag too. It is weak (`W/`): the bytes differ
//! by content coding, the answer does not.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use exceptions::HttpError;
use headers::{HeaderMapExt, IfNoneMatch};

use crate::answer_cache::{AnswerCache, Coding};
use crate::tag::Tag;

/// How long clients and caches may keep an answer.
#[derive(Debug, Clone, Copy)]
pub struct Freshness {
    max_age_seconds: u32,
}

impl Freshness {
    pub const fn new(max_age_seconds: u32) -> Self {
        Self { max_age_seconds }
    }

    /// A `304 Not Modified` when the request's `If-None-Match` holds `tag`
    /// (an answer without a tag, its data versions unknown, is never unchanged).
    pub fn unchanged(&self, request: &HeaderMap, tag: Option<&Tag>) -> Option<Response> {
        let asked: IfNoneMatch = request.typed_get()?;
        let etag = tag?.etag()?;
        if asked.precondition_passes(&etag) {
            return None;
        }
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        self.stamp(&mut response, tag);
        Some(response)
    }

    /// Puts the answer's `ETag` (when it has one) and `Cache-Control` on `response`.
    pub fn stamp(&self, response: &mut Response, tag: Option<&Tag>) {
        let headers = response.headers_mut();
        if let Some(value) = tag.and_then(|tag| HeaderValue::from_str(tag.as_str()).ok()) {
            headers.insert(header::ETAG, value);
        }
        if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={}", self.max_age_seconds)) {
            headers.insert(header::CACHE_CONTROL, value);
        }
    }
}

/// A read as a conditional request: what the client holds (its
/// `If-None-Match`) and the coding it accepts; how long answers may be kept,
/// and the answers already made. Every read route answers through
/// [`Conditional::answer`].
pub struct Conditional {
    held: HeaderMap,
    coding: Coding,
    freshness: Freshness,
    answers: AnswerCache,
}

impl<S: Send + Sync> FromRequestParts<S> for Conditional
where
    Freshness: FromRef<S>,
    AnswerCache: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let mut held = HeaderMap::new();
        if let Some(tags) = parts.headers.get(header::IF_NONE_MATCH) {
            held.insert(header::IF_NONE_MATCH, tags.clone());
        }
        let coding = Coding::accepted_by(&parts.headers);
        Ok(Self { held, coding, freshness: Freshness::from_ref(state), answers: AnswerCache::from_ref(state) })
    }
}

impl Conditional {
    /// A `304` when the client holds `tag`; else the answer kept for `tag`
    /// in the client's coding, or the response `answer` makes (made only
    /// then: a future does nothing until awaited), kept for the next time;
    /// tagged and with its `Cache-Control`. An answer without a tag (the
    /// data versions unknown) is neither kept nor taken from what is kept.
    pub async fn answer(
        self,
        tag: Option<Tag>,
        answer: impl Future<Output = Result<Response, HttpError>>,
    ) -> Result<Response, HttpError> {
        if let Some(unchanged) = self.freshness.unchanged(&self.held, tag.as_ref()) {
            return Ok(unchanged);
        }
        let mut response = match &tag {
            Some(tag) => match self.answers.get(tag, self.coding) {
                Some(kept) => kept,
                None => self.answers.keep(tag, self.coding, answer.await?).await,
            },
            None => answer.await?,
        };
        self.freshness.stamp(&mut response, tag.as_ref());
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking(tags: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(tags).unwrap());
        headers
    }

    #[test]
    fn a_tag_follows_the_query_and_the_data() {
        let tag = Tag::of("/concerts", "bands=[1]", &["b1", "v1", "c1"]);
        assert_eq!(tag, Tag::of("/concerts", "bands=[1]", &["b1", "v1", "c1"]));
        assert_ne!(tag, Tag::of("/concerts", "bands=[2]", &["b1", "v1", "c1"]), "another query");
        assert_ne!(tag, Tag::of("/concerts", "bands=[1]", &["b1", "v1", "c2"]), "an import");
        assert_ne!(tag, Tag::of("/bands", "bands=[1]", &["b1", "v1", "c1"]), "another route");
        assert!(tag.as_str().starts_with("W/\"") && tag.as_str().ends_with('"'), "{tag:?}");
    }

    #[test]
    fn the_current_tag_gets_a_304_with_the_tag_and_any_other_the_answer() {
        let freshness = Freshness::new(60);
        let made = Tag::of("/concerts", "q", &[]);
        let current = made.as_str();
        let tag = Some(&made);
        let unchanged = freshness.unchanged(&asking(current), tag).expect("a 304");
        assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(unchanged.headers()[header::ETAG], current);
        assert_eq!(unchanged.headers()[header::CACHE_CONTROL], "public, max-age=60");
        let strong = current.trim_start_matches("W/");
        assert!(freshness.unchanged(&asking(strong), tag).is_some(), "compared weakly");
        assert!(freshness.unchanged(&asking(&format!("\"other\", {current}")), tag).is_some(), "one of a list");
        assert!(freshness.unchanged(&asking("*"), tag).is_some());
        assert!(freshness.unchanged(&asking("W/\"other\""), tag).is_none());
        assert!(freshness.unchanged(&HeaderMap::new(), tag).is_none());
        assert!(freshness.unchanged(&asking("*"), None).is_none(), "no tag, no 304");
    }
}
