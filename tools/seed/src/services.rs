//! The services the seed tool writes to, found the way the gateway finds them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use json_array::{ReadError, for_each_element};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::files;

/// Print progress every this many records.
const PROGRESS_EVERY: u64 = 1_000_000;
/// How long a bulk load's commit may take (it sorts every staged concert:
/// minutes for hundreds of millions).
const COMMIT_TIMEOUT: Duration = Duration::from_secs(6 * 3600);

pub struct Services {
    http: reqwest::Client,
    /// The services' IMPORT_TOKEN, sent as a bearer token with every write.
    token: Option<String>,
    bands: String,
    venues: String,
    concerts: String,
}

/// The service that owns a kind of record, and the path its records live at.
#[derive(Debug, Clone, Copy)]
pub enum Owner {
    Bands,
    Venues,
    Concerts,
}

impl Owner {
    pub fn name(self) -> &'static str {
        match self {
            Owner::Bands => "bands",
            Owner::Venues => "venues",
            Owner::Concerts => "concerts",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Owner::Bands => "/bands",
            Owner::Venues => "/venues",
            Owner::Concerts => "/concerts",
        }
    }
}

/// One import request, ready to send.
struct Batch {
    number: usize,
    records: u64,
    body: Vec<u8>,
}

impl Services {
    pub fn new(settings: &bootstrap::settings::Seed) -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder().timeout(Duration::from_secs(120)).build()?,
            token: settings.import.token().map(str::to_owned),
            bands: settings.services.bands(),
            venues: settings.services.venues(),
            concerts: settings.services.concerts(),
        })
    }

    fn base(&self, owner: Owner) -> &str {
        match owner {
            Owner::Bands => &self.bands,
            Owner::Venues => &self.venues,
            Owner::Concerts => &self.concerts,
        }
    }

    /// Whether at least one service holds no record yet.
    pub async fn any_empty(&self) -> anyhow::Result<bool> {
        for base in [&self.bands, &self.venues, &self.concerts] {
            let ready: Value = checked(self.http.get(format!("{base}/ready")), base).await?;
            if ready["empty"].as_bool().unwrap_or(true) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Those of `ids` that `owner` already stores.
    pub async fn existing_ids(&self, owner: Owner, ids: &[i64]) -> anyhow::Result<Vec<i64>> {
        let (base, path) = (self.base(owner), owner.path());
        let mut found = Vec::new();
        for batch in ids.chunks(validator::id_batch::MAX_IDS_PER_LOOKUP) {
            let list: Vec<String> = batch.iter().map(i64::to_string).collect();
            let url = format!("{base}{path}?ids={}", list.join(","));
            let records: Vec<Value> = checked(self.http.get(url), base).await?;
            found.extend(records.iter().filter_map(|r| r["id"].as_i64()));
        }
        Ok(found)
    }

    /// Streams the records of `file` (already checked) to `owner` with `PUT`s
    /// of `batch` records, at most `in_flight` at a time.
    /// A blocking thread reads and serializes the batches while earlier ones
    /// are being sent, so reading, sending and storing overlap.
    pub async fn import<T>(&self, owner: Owner, file: PathBuf, batch: usize, in_flight: usize) -> anyhow::Result<u64>
    where
        T: DeserializeOwned + Serialize + Send + 'static,
    {
        self.send::<T>(owner, owner.path(), file, batch, in_flight).await
    }

    /// [`Self::import`] of concerts as a bulk load: the batches are staged
    /// (`PUT /concerts/staged`), then committed at once, sorted
    /// (`POST /concerts/staged/commit`). Returns the concerts sent.
    pub async fn import_staged<T>(&self, file: PathBuf, batch: usize, in_flight: usize) -> anyhow::Result<u64>
    where
        T: DeserializeOwned + Serialize + Send + 'static,
    {
        let sent = self.send::<T>(Owner::Concerts, "/concerts/staged", file, batch, in_flight).await?;
        let started = std::time::Instant::now();
        println!("seed: concerts: committing the {sent} staged concerts (sorting them into the store)...");
        let mut request = self.http.post(format!("{}/concerts/staged/commit", self.concerts)).timeout(COMMIT_TIMEOUT);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let answer: Value = checked(request, &self.concerts).await.context("committing the staged concerts")?;
        println!(
            "seed: concerts: committed in {:.1} s, {} new to the store",
            started.elapsed().as_secs_f64(),
            answer["committed"]
        );
        Ok(sent)
    }

    async fn send<T>(
        &self,
        owner: Owner,
        path: &str,
        file: PathBuf,
        batch: usize,
        in_flight: usize,
    ) -> anyhow::Result<u64>
    where
        T: DeserializeOwned + Serialize + Send + 'static,
    {
        let (name, base) = (owner.name(), self.base(owner).to_owned());
        let url = format!("{base}{path}");
        let (ready, mut batches) = mpsc::channel::<Batch>(in_flight);
        let reader = tokio::task::spawn_blocking(move || read_batches::<T>(&file, batch, ready));
        let mut sending: JoinSet<anyhow::Result<u64>> = JoinSet::new();
        let mut imported = 0;
        let started = std::time::Instant::now();
        let mut report = |done: u64| {
            if (imported + done) / PROGRESS_EVERY > imported / PROGRESS_EVERY {
                let seconds = started.elapsed().as_secs_f64();
                println!(
                    "seed: {name}: {} records sent to {path} in {seconds:.1} s ({:.0} records/s)",
                    imported + done,
                    (imported + done) as f64 / seconds.max(1e-9)
                );
            }
            imported += done;
        };
        while let Some(Batch { number, records, body }) = batches.recv().await {
            if sending.len() >= in_flight {
                report(joined(sending.join_next().await)?);
            }
            let mut request = self.http.put(&url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
            if let Some(token) = &self.token {
                request = request.bearer_auth(token);
            }
            let base = base.clone();
            let name = name.to_owned();
            sending.spawn(async move {
                let _: Value =
                    checked(request, &base).await.with_context(|| format!("importing {name}, batch {number}"))?;
                Ok(records)
            });
        }
        while let Some(done) = sending.join_next().await {
            report(joined(Some(done))?);
        }
        reader.await.context("the file reader stopped")??;
        println!("seed: {name}: {imported} records sent to {base}{path}");
        Ok(imported)
    }
}

fn joined(done: Option<Result<anyhow::Result<u64>, tokio::task::JoinError>>) -> anyhow::Result<u64> {
    match done {
        Some(result) => result.context("an import request stopped")?,
        None => Ok(0),
    }
}

/// Reads `path` record by record into batches of `size`, serialized for the wire.
fn read_batches<T: DeserializeOwned + Serialize>(
    path: &Path,
    size: usize,
    ready: mpsc::Sender<Batch>,
) -> anyhow::Result<()> {
    let mut pending: Vec<T> = Vec::with_capacity(size);
    let mut number = 0;
    let mut hand_over = |pending: &mut Vec<T>| -> anyhow::Result<()> {
        let body = serde_json::to_vec(pending)?;
        let batch = Batch { number, records: pending.len() as u64, body };
        // Fails only when the sending side has stopped on an error of its own, which it reports.
        ready.blocking_send(batch).map_err(|_| anyhow!("the import was stopped"))?;
        number += 1;
        pending.clear();
        Ok(())
    };
    let read = for_each_element(files::open(path)?, |_, record: T| {
        pending.push(record);
        if pending.len() == size { hand_over(&mut pending) } else { Ok(()) }
    });
    match read {
        Ok(_) if pending.is_empty() => Ok(()),
        Ok(_) => hand_over(&mut pending),
        Err(ReadError::Stopped(error)) => Err(error),
        // The check read this file whole a moment ago: it changed since.
        Err(error) => Err(anyhow!("{error}").context(format!("{} changed during the import", path.display()))),
    }
}

async fn checked<T: DeserializeOwned>(request: reqwest::RequestBuilder, base: &str) -> anyhow::Result<T> {
    let response =
        request.send().await.with_context(|| format!("cannot reach {base}; is the system running (make start)?"))?;
    let status = response.status();
    if status == reqwest::StatusCode::UNAUTHORIZED {
        let body = response.text().await.unwrap_or_default();
        bail!(
            "{base} refused the write ({status}: {body}): IMPORT_TOKEN must be the services' token (make writes one into .env)"
        );
    }
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        bail!("{base} answered {status}: {body}");
    }
    response.json().await.with_context(|| format!("{base} answered an unreadable body"))
}
