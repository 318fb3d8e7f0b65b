//! The services' data versions, as the gateway last learned them: what its
//! answers depend on, so that an answer's tag (`ETag`) can be known before
//! the answer is made, and a client that holds it gets a `304` for a few
//! microseconds instead of a search.
//!
//! Each service names its data's state (`GET /version`); it changes with
//! every import. What the gateway knows is used for a time to live
//! (`DATA_VERSION_TTL_MS`); after it, one request starts asking again in the
//! background and the others go on with what is known, for a few times to
//! live at most: an import shows in the tags (and in the names the gateway
//! keeps) within about one time to live, and no request waits for the
//! versions, not even while a service is down. Only the very first request
//! waits, briefly, for them. Without versions an answer goes untagged.
//!
//! A change of a band or a venue made anywhere does not wait for it either:
//! the gateway follows their logs (`crate::record_logs`) and asks that
//! service's version again as the change arrives. The time to live is what
//! holds while a log cannot be followed.
//!
//! A write made through this gateway does not wait for the time to live:
//! once the owning service has answered it, the gateway asks that service
//! its version again before it answers the writer ([`KnownVersions::relearn`]),
//! so that the writer's next read, on this gateway, sees the write. A full
//! asking that started before is then not kept: it could hold the version
//! from before the write.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures::future::try_join_all;
use serde::Deserialize;

use super::call::ServiceClient;

/// Times to live after which versions not confirmed are no longer used.
const STALE_AFTER: u32 = 5;
/// The longest the first request waits for the versions.
const FIRST_WAIT: Duration = Duration::from_millis(500);

/// The data versions of the bands, venues and concerts services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions {
    pub bands: String,
    pub venues: String,
    pub concerts: String,
}

/// Which service's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Bands,
    Venues,
    Concerts,
}

impl Owner {
    /// The name of its records, as paths and the change feed say it.
    pub fn name(self) -> &'static str {
        match self {
            Owner::Bands => "bands",
            Owner::Venues => "venues",
            Owner::Concerts => "concerts",
        }
    }
}

/// Whether `candidate` is a later version than `known`. A version is a
/// name whose trailing number counts the writes since a start (`5f2c-17`,
/// `w17`): with the same name before it, the larger number is later; with
/// another (the service started again), the candidate is.
fn is_later(candidate: &str, known: &str) -> bool {
    let split = |version: &str| {
        let digits = version.len() - version.bytes().rev().take_while(u8::is_ascii_digit).count();
        (version[..digits].to_owned(), version[digits..].parse::<u64>().ok())
    };
    match (split(candidate), split(known)) {
        ((name, Some(count)), (known_name, Some(known_count))) if name == known_name => count > known_count,
        _ => candidate != known,
    }
}

impl Versions {
    fn of(&self, owner: Owner) -> &str {
        match owner {
            Owner::Bands => &self.bands,
            Owner::Venues => &self.venues,
            Owner::Concerts => &self.concerts,
        }
    }

    /// These versions with `owner`'s at `version`.
    fn with(&self, owner: Owner, version: String) -> Versions {
        let mut changed = self.clone();
        match owner {
            Owner::Bands => changed.bands = version,
            Owner::Venues => changed.venues = version,
            Owner::Concerts => changed.concerts = version,
        }
        changed
    }

    /// What an answer that reads every service depends on.
    pub fn all(&self) -> Vec<&str> {
        vec![&self.bands, &self.venues, &self.concerts]
    }

    /// What an answer that reads the bands service only depends on.
    pub fn bands(&self) -> Vec<&str> {
        vec![&self.bands]
    }

    /// What an answer that reads the venues service only depends on.
    pub fn venues(&self) -> Vec<&str> {
        vec![&self.venues]
    }
}

#[derive(Deserialize)]
struct Version {
    version: String,
}

/// What the gateway knows of the versions, and since when.
pub(crate) struct KnownVersions {
    known: RwLock<Option<(Arc<Versions>, Instant)>>,
    asking: AtomicBool,
    time_to_live: Duration,
    /// How many versions were learned after a write: an asking of all
    /// three that saw this number change meanwhile is not kept.
    relearned: AtomicU64,
}

impl KnownVersions {
    pub(crate) fn new(time_to_live: Duration) -> Self {
        Self { known: RwLock::new(None), asking: AtomicBool::new(false), time_to_live, relearned: AtomicU64::new(0) }
    }

    fn known(&self) -> Option<(Arc<Versions>, Duration)> {
        let known = self.known.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        known.as_ref().map(|(versions, learned)| (versions.clone(), learned.elapsed()))
    }

    /// The versions to tag answers with, if known recently enough. When they
    /// are older than the time to live, `ask` (which asks the services and
    /// calls [`Self::learn`]) is started in the background, once at a time.
    pub(crate) async fn current<F>(&self, ask: impl FnOnce() -> F) -> Option<Arc<Versions>>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        match self.known() {
            Some((versions, age)) if age < self.time_to_live => Some(versions),
            Some((versions, age)) => {
                if !self.asking.swap(true, Ordering::AcqRel) {
                    tokio::spawn(ask());
                }
                (age < self.time_to_live * STALE_AFTER).then_some(versions)
            }
            None => {
                let _ = tokio::time::timeout(FIRST_WAIT, ask()).await;
                self.known().map(|(versions, _)| versions)
            }
        }
    }

    /// Asks `services` (bands, venues, concerts) for their versions and keeps
    /// them; `changed` is told of the versions before and after.
    pub(crate) async fn learn(&self, services: [&ServiceClient; 3], changed: impl FnOnce(&Versions, &Versions)) {
        let relearned = self.relearned.load(Ordering::Acquire);
        let asked = self.ask(services).await;
        self.asking.store(false, Ordering::Release);
        let learned = match asked {
            Ok(versions) => Arc::new(versions),
            Err(error) => {
                tracing::warn!(%error, "the services' data versions are not known: answers go untagged meanwhile");
                return;
            }
        };
        let mut known = self.known.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.relearned.load(Ordering::Acquire) != relearned {
            return;
        }
        if let Some((before, _)) = known.as_ref() {
            changed(before, &learned);
        }
        *known = Some((learned, Instant::now()));
    }

    /// Asks `owner`'s service (`service`) its version again, after a write
    /// it answered, and keeps it ([`Self::keep`]).
    pub(crate) async fn relearn(
        &self,
        service: &ServiceClient,
        owner: Owner,
        changed: impl FnOnce(&Versions, &Versions),
    ) {
        match Self::version_of(service, self.time_to_live.max(FIRST_WAIT)).await {
            Ok(version) => self.keep(owner, version, changed),
            Err(error) => {
                // The versions kept may be from before the write: forgotten, asked again by the next request.
                tracing::warn!(%error, "a data version is not known after a write: asking them all again");
                *self.known.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
                self.relearned.fetch_add(1, Ordering::AcqRel);
            }
        }
    }

    /// Keeps `version` as `owner`'s, as a write's answer gave it, unless the
    /// one known is later (the answers of two writes may arrive in either
    /// order); `changed` as for [`Self::learn`]. Nothing known yet: the next
    /// request asks them all.
    pub(crate) fn keep(&self, owner: Owner, version: String, changed: impl FnOnce(&Versions, &Versions)) {
        let mut known = self.known.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        self.relearned.fetch_add(1, Ordering::AcqRel);
        if let Some((before, since)) = known.as_ref() {
            if !is_later(&version, before.of(owner)) {
                return;
            }
            let learned = Arc::new(before.with(owner, version));
            changed(before, &learned);
            // The others are as old as they were: they are asked again on time.
            *known = Some((learned, *since));
        }
    }

    /// Each service's version, asked directly, as readiness is: no retry and
    /// no circuit breaker, so that asking a service that is down changes
    /// nothing for the requests that call it.
    async fn ask(&self, services: [&ServiceClient; 3]) -> Result<Versions, String> {
        let within = self.time_to_live.max(FIRST_WAIT);
        let asked = services.map(|service| Self::version_of(service, within));
        let mut versions = try_join_all(asked).await?.into_iter();
        let mut next = || versions.next().ok_or_else(|| "a version is missing".to_owned());
        Ok(Versions { bands: next()?, venues: next()?, concerts: next()? })
    }

    async fn version_of(service: &ServiceClient, within: Duration) -> Result<String, String> {
        let answer = service.http.get(format!("{}/version", service.base_url)).timeout(within).send().await;
        let version: Version = match answer {
            Ok(response) if response.status().is_success() => response.json().await,
            Ok(response) => return Err(format!("the {} service answered {}", service.name, response.status())),
            Err(error) => Err(error),
        }
        .map_err(|error| format!("the {} service: {error}", service.name))?;
        Ok(version.version)
    }
}

#[cfg(test)]
mod tests {
    use super::is_later;

    #[test]
    fn a_version_is_later_by_its_count_of_writes_or_by_a_new_start() {
        assert!(is_later("5f2c-18", "5f2c-17"));
        assert!(!is_later("5f2c-17", "5f2c-18"), "an answer that arrives late does not go back");
        assert!(!is_later("5f2c-17", "5f2c-17"));
        assert!(!is_later("w9", "w10"));
        assert!(is_later("w11", "w10"), "the count, not the text: w11 after w10");
        assert!(is_later("61aa-1", "5f2c-17"), "the service started again");
    }
}
