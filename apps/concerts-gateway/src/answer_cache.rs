//! Answers already made, kept by their tag (the `ETag`: the route, the
//! normalized query and the data versions it read) and the coding they were
//! sent in, so that an answer asked again is served from memory: no service
//! is called, and a compressed answer is not compressed again. Browsers
//! always accept `gzip, br`, and most answers repeat (the venues of a city,
//! a popular band), so this is what keeps compressed answers as fast as
//! plain ones.
//!
//! Bounded by bytes (`ANSWER_CACHE_BYTES`, seldom-read answers dropped
//! first). An answer made while the data changes is kept under the versions
//! it read; when the bands' or venues' data versions change, every answer kept is dropped
//! ([`AnswerCache::follow`]). Kept: the answers sent whole (a page, an
//! unpaged answer of one internal page), up to a sixteenth of the cache each,
//! in the coding they were asked in; a streamed answer (more than
//! `STREAM_PAGE_SIZE` concerts) is not kept: it is made page by page and
//! never held whole.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bootstrap::telemetry;
use http_body::Body as _;
use quick_cache::Weighter;
use quick_cache::sync::Cache;

use crate::clients::Versions;
use crate::tag::Tag;

/// How an answer's bytes are coded, as the client accepts (`Accept-Encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

/// Answers shorter than this are sent as they are: compressing them gains
/// less than the header costs (the compression layer's threshold too).
const SMALLEST_COMPRESSED: usize = 1024;

impl Coding {
    /// The coding `headers` accept best: the highest `q`, brotli before gzip
    /// on a tie, none when neither is accepted.
    pub fn accepted_by(headers: &HeaderMap) -> Self {
        let mut best = (0u16, Coding::Identity);
        for value in headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|value| value.to_str().ok()) {
            for item in value.split(',') {
                let mut parts = item.split(';');
                let coding = match parts.next().map(str::trim) {
                    Some(name) if name.eq_ignore_ascii_case("br") => Coding::Brotli,
                    Some(name) if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") => {
                        Coding::Gzip
                    }
                    _ => continue,
                };
                let q = parts.find_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")));
                // q in thousandths, 1 unless said; one that cannot be read counts as 0.
                let thousandths =
                    q.map_or(1000, |q| q.parse::<f32>().map_or(0, |q| (q.clamp(0.0, 1.0) * 1000.0) as u16));
                if thousandths > 0 && (thousandths, coding) > best {
                    best = (thousandths, coding);
                }
            }
        }
        best.1
    }

    fn header(self) -> Option<HeaderValue> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some(HeaderValue::from_static("gzip")),
            Coding::Brotli => Some(HeaderValue::from_static("br")),
        }
    }

    /// `bytes` in this coding, at its fastest level (the compression layer's).
    fn encode(self, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Coding::Identity => Ok(bytes.to_vec()),
            Coding::Gzip => {
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 4), flate2::Compression::fast());
                encoder.write_all(bytes)?;
                encoder.finish()
            }
            Coding::Brotli => {
                let mut out = Vec::with_capacity(bytes.len() / 4);
                let parameters = brotli::enc::BrotliEncoderParams { quality: 0, ..Default::default() };
                brotli::BrotliCompress(&mut &bytes[..], &mut out, &parameters)?;
                Ok(out)
            }
        }
    }
}

/// One answer as kept: its headers of content (type, link, coding) and bytes.
#[derive(Debug)]
struct Kept {
    headers: HeaderMap,
    body: Bytes,
}

impl Kept {
    fn response(&self) -> Response {
        let mut response = (StatusCode::OK, Body::from(self.body.clone())).into_response();
        response.headers_mut().extend(self.headers.clone());
        response
    }
}

#[derive(Clone)]
struct ByBytes;

/// Room for a kept answer's key and headers, beside its bytes.
const ENTRY_OVERHEAD: u64 = 256;

impl Weighter<(Tag, Coding), Arc<Kept>> for ByBytes {
    fn weight(&self, _: &(Tag, Coding), kept: &Arc<Kept>) -> u64 {
        kept.body.len() as u64 + ENTRY_OVERHEAD
    }
}

/// The answers kept; cloning shares them.
#[derive(Clone)]
pub struct AnswerCache {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    answers: Cache<(Tag, Coding), Arc<Kept>, ByBytes>,
    /// The largest answer kept.
    largest: usize,
    /// The data versions the answers kept were made under.
    versions: Mutex<Option<Arc<Versions>>>,
}

impl AnswerCache {
    /// A cache of at most `bytes` of answers; 0 keeps none.
    pub fn new(bytes: u64) -> Self {
        let inner = (bytes > 0).then(|| {
            // quick_cache wants an estimate of the count: answers of about 16 KB.
            let estimated = usize::try_from(bytes / 16_384).unwrap_or(usize::MAX).max(16);
            Arc::new(Inner {
                answers: Cache::with_weighter(estimated, bytes, ByBytes),
                largest: usize::try_from(bytes / 16).unwrap_or(usize::MAX),
                versions: Mutex::new(None),
            })
        });
        Self { inner }
    }

    /// Drops every answer kept when the bands' or the venues' data version
    /// is not the one the answers were made under (a name in them may have
    /// changed). The concerts' version is not followed here: a concert
    /// search's tag holds its scope ([`crate::scopes`]), or the version when
    /// the scopes are not known; an answer whose tag no one makes any more
    /// is dropped as the least used.
    pub fn follow(&self, versions: &Arc<Versions>) {
        let Some(inner) = &self.inner else { return };
        let mut known = inner.versions.lock().unwrap_or_else(PoisonError::into_inner);
        let same =
            known.as_deref().is_some_and(|known| (&known.bands, &known.venues) == (&versions.bands, &versions.venues));
        if !same {
            if known.is_some() {
                inner.answers.clear();
            }
            *known = Some(versions.clone());
        }
    }

    /// The answer kept for `tag` in `coding`, if any.
    pub fn get(&self, tag: &Tag, coding: Coding) -> Option<Response> {
        let inner = self.inner.as_ref()?;
        let kept = inner.answers.get(&(tag.clone(), coding));
        telemetry::record_answer_cache(if kept.is_some() { "hit" } else { "miss" });
        kept.map(|kept| kept.response())
    }

    /// `response`, the answer made for `tag`, in `coding`, and kept so when
    /// it is whole (not streamed), a success and not too large; answers that
    /// are not kept pass as they are (the compression layer codes them).
    /// Only the coding asked is kept: clients mostly ask in one (browsers
    /// compressed, programs plain), and a compressed answer is a fraction of
    /// the bytes of the plain one.
    pub async fn keep(&self, tag: &Tag, coding: Coding, response: Response) -> Response {
        let Some(inner) = &self.inner else { return response };
        let whole = response.body().size_hint().exact().and_then(|length| usize::try_from(length).ok());
        let Some(length) = whole.filter(|length| *length <= inner.largest && response.status() == StatusCode::OK)
        else {
            telemetry::record_answer_cache("not_kept");
            return response;
        };
        let (parts, body) = response.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, length).await else {
            return (StatusCode::INTERNAL_SERVER_ERROR, "an answer could not be read").into_response();
        };
        let mut headers = HeaderMap::new();
        for name in [header::CONTENT_TYPE, header::LINK] {
            if let Some(value) = parts.headers.get(&name) {
                headers.insert(name, value.clone());
            }
        }
        // Every answer kept may be sent in another coding: caches must keep them apart.
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        let kept = inner.coded((tag.clone(), coding), Kept { headers, body: bytes });
        telemetry::record_answer_cache_size(inner.answers.weight(), inner.answers.len());
        kept.response()
    }
}

impl Inner {
    /// `plain` in the coding of `key`, kept under `key`. An answer too short
    /// to gain from compression is kept as it is for that coding.
    fn coded(&self, key: (Tag, Coding), plain: Kept) -> Arc<Kept> {
        let coding = key.1;
        let kept = if coding == Coding::Identity || plain.body.len() < SMALLEST_COMPRESSED {
            plain
        } else {
            match coding.encode(&plain.body) {
                Ok(encoded) => {
                    let mut headers = plain.headers;
                    if let Some(value) = coding.header() {
                        headers.insert(header::CONTENT_ENCODING, value);
                    }
                    Kept { headers, body: Bytes::from(encoded) }
                }
                Err(error) => {
                    tracing::warn!(%error, "an answer could not be compressed: sent as it is");
                    return Arc::new(plain);
                }
            }
        };
        let kept = Arc::new(kept);
        self.answers.insert(key, kept.clone());
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn accepting(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn the_coding_is_the_best_accepted() {
        assert_eq!(Coding::accepted_by(&accepting("gzip, deflate, br")), Coding::Brotli, "brotli first on a tie");
        assert_eq!(Coding::accepted_by(&accepting("gzip")), Coding::Gzip);
        assert_eq!(Coding::accepted_by(&accepting("br;q=0.5, gzip")), Coding::Gzip, "the higher q");
        assert_eq!(Coding::accepted_by(&accepting("br;q=0, gzip;q=0")), Coding::Identity, "q=0 refuses");
        assert_eq!(Coding::accepted_by(&accepting("identity, deflate")), Coding::Identity);
        assert_eq!(Coding::accepted_by(&HeaderMap::new()), Coding::Identity);
    }

    fn tag(name: &str) -> Tag {
        Tag::of("/concerts", name, &["v1"])
    }

    fn answer(bytes: Vec<u8>) -> Response {
        ([(header::CONTENT_TYPE, "application/json")], bytes).into_response()
    }

    async fn body(response: Response) -> Vec<u8> {
        axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec()
    }

    #[tokio::test]
    async fn an_answer_kept_in_a_coding_is_served_again_in_it() {
        let cache = AnswerCache::new(1 << 20);
        let json = format!("[{}]", vec!["{\"band\":\"Sigur Rós\"}"; 200].join(",")).into_bytes();
        assert!(cache.get(&tag("a"), Coding::Brotli).is_none());
        let sent = cache.keep(&tag("a"), Coding::Brotli, answer(json.clone())).await;
        assert_eq!(sent.headers()[header::CONTENT_ENCODING], "br");
        let again = cache.get(&tag("a"), Coding::Brotli).expect("kept");
        assert_eq!(again.headers()[header::VARY], "accept-encoding");
        let coded = body(again).await;
        assert!(coded.len() < json.len() / 4, "compressed: {} of {}", coded.len(), json.len());
        let mut decoded = Vec::new();
        brotli::Decompressor::new(&coded[..], 4096).read_to_end(&mut decoded).unwrap();
        assert_eq!(decoded, json);
        assert!(cache.get(&tag("a"), Coding::Identity).is_none(), "only the coding asked is kept");
        let plain = cache.keep(&tag("a"), Coding::Identity, answer(json.clone())).await;
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(body(cache.get(&tag("a"), Coding::Identity).expect("kept plain")).await, json);
        let gzipped = body(cache.keep(&tag("a"), Coding::Gzip, answer(json.clone())).await).await;
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&gzipped[..]).read_to_end(&mut decoded).unwrap();
        assert_eq!(decoded, json);
        assert!(cache.get(&tag("b"), Coding::Identity).is_none(), "another tag");
    }

    #[tokio::test]
    async fn streamed_failed_and_oversized_answers_are_not_kept() {
        let cache = AnswerCache::new(16 * 1024);
        let streamed = Body::from_stream(futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"[]"))]));
        cache.keep(&tag("stream"), Coding::Identity, streamed.into_response()).await;
        assert!(cache.get(&tag("stream"), Coding::Identity).is_none());
        let failed = (StatusCode::SERVICE_UNAVAILABLE, "no").into_response();
        assert_eq!(cache.keep(&tag("failed"), Coding::Identity, failed).await.status(), 503);
        assert!(cache.get(&tag("failed"), Coding::Identity).is_none());
        let large = cache.keep(&tag("large"), Coding::Identity, answer(vec![b' '; 2048])).await;
        assert_eq!(body(large).await.len(), 2048, "passed on whole");
        assert!(cache.get(&tag("large"), Coding::Identity).is_none(), "over a sixteenth of the cache");
        assert!(AnswerCache::new(0).get(&tag("x"), Coding::Identity).is_none(), "0 keeps none");
    }

    #[tokio::test]
    async fn new_versions_of_the_names_drop_every_answer() {
        let cache = AnswerCache::new(1 << 20);
        let versions = |bands: &str, concerts: &str| {
            Arc::new(Versions { bands: bands.into(), venues: "v".into(), concerts: concerts.into() })
        };
        cache.follow(&versions("b1", "c1"));
        cache.keep(&tag("a"), Coding::Identity, answer(b"[]".to_vec())).await;
        cache.follow(&versions("b1", "c1"));
        assert!(cache.get(&tag("a"), Coding::Identity).is_some(), "the same versions keep it");
        cache.follow(&versions("b1", "c2"));
        assert!(
            cache.get(&tag("a"), Coding::Identity).is_some(),
            "the concerts' version is in the tags, or not needed"
        );
        cache.follow(&versions("b2", "c2"));
        assert!(cache.get(&tag("a"), Coding::Identity).is_none(), "a band renamed drops it");
    }
}
