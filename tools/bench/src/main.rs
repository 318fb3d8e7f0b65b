//! `bench`: drives the running gateway with a seeded mix of `GET /concerts`
//! queries at a fixed number of connections, for a fixed time after a
//! warm-up, and prints throughput, latency percentiles, bytes/s and failures,
//! then the same figures as one JSON line.
//!
//! By default every connection sends its next request as soon as the
//! previous answer is read (a closed loop), so `--connections` is the
//! concurrency. With `--rate` the requests keep a schedule instead (an open
//! loop, as real clients do), and a slow system shows as latency rather than
//! as fewer requests. `--timeline` adds the run per interval and the outages
//! clients saw. `--write-share` makes that share of the requests writes of
//! one concert each (`writes`), with the editor's `--token`. The run stops by
//! itself: no request starts after the duration, and each has a timeout.

mod client;
mod mix;
mod stats;
mod timeline;
mod writes;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use rand::{RngExt, SeedableRng};
use serde_json::json;

use crate::client::{Connection, Sent, Target};
use crate::mix::{Catalogue, Kind, Mix, Queries};
use crate::stats::Recorder;
use crate::timeline::Timeline;
use crate::writes::Writes;

#[derive(Parser, Clone)]
#[command(
    about = "Load benchmark of GET /concerts (and, with --write-share, writes of concerts) on a running system (make start)"
)]
struct Args {
    /// The gateway.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    url: String,
    /// The data set the system holds: band ids and venue positions are drawn from it.
    #[arg(long, default_value = "data/wemaintain")]
    data: PathBuf,
    /// Requests in flight at once, one per keep-alive connection.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1024))]
    connections: u16,
    /// How long to measure (e.g. 30s, 500ms, 2m).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    duration: Duration,
    /// How long to send before measuring (connections, caches).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    warmup: Duration,
    /// The longest one request may take; it then counts as an error.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    timeout: Duration,
    /// The query mix.
    #[arg(long, value_enum, default_value_t = Mix::Standard)]
    mix: Mix,
    /// Seed of the queries: the same seed sends the same requests.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Adds `&limit=N` to every query (pagination).
    #[arg(long)]
    limit: Option<u32>,
    /// Stops after this many requests, warm-up included, whatever the time.
    #[arg(long, default_value_t = 10_000_000)]
    max_requests: u64,
    /// Open loop: this many requests per second, each sent at its own time
    /// whatever the answers before (latency counts from that time, waits for
    /// a free connection included). Without it: closed loop, each connection
    /// sends its next request when the last is answered.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    rate: Option<u32>,
    /// Also reports the run per interval of this length (requests, failures,
    /// p50, p99) and the outages clients saw, e.g. 1s.
    #[arg(long, value_parser = parse_duration)]
    timeline: Option<Duration>,
    /// Sends `Accept-Encoding` with this value, as browsers do (`gzip, br`); bytes are counted as received.
    #[arg(long)]
    accept_encoding: Option<String>,
    /// Prints the first N requests of the mix (path and query, one per line,
    /// those of the first connection) and exits: the same load for another
    /// load generator (wrk, scripts/compare-nginx.sh).
    #[arg(long, value_name = "N")]
    list: Option<u32>,
    /// Percent of the requests that are writes of one concert (add, change
    /// its status, delete) instead of reads of the mix; 100: writes only
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    write_share: u8,
    /// The editor's token the writes carry (a token of WRITE_TOKENS; make writes one into .env)
    #[arg(long)]
    token: Option<String>,
    /// Writes every write and what came of it to this file, one JSON object
    /// a line (method, path, body, status or null when no answer came, the
    /// answer's body): what a check of acknowledged writes reads afterwards
    #[arg(long)]
    write_log: Option<std::path::PathBuf>,
}

/// `30s`, `500ms`, `2m`, `1.5s`, or a plain number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: f64 = number.trim().parse().map_err(|_| format!("{text:?} is not a duration (e.g. 30s, 500ms, 2m)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" | "min" => value * 60.0,
        _ => return Err(format!("{text:?}: the unit must be ms, s or m")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("{text:?} is not a valid duration"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let catalogue = Arc::new(Catalogue::load(&args.data, args.mix == Mix::Names)?);
    if let Some(count) = args.list {
        let mut queries = Queries::new(&catalogue, args.mix, args.seed, 0);
        let paths: Vec<String> = (0..count).map(|_| queries.next_query().path_and_query(args.limit)).collect();
        println!("{}", paths.join("\n"));
        return Ok(());
    }
    let url = args.url.trim_end_matches('/').to_owned();
    let mut target = Target::parse(&url)?;
    if let Some(codings) = &args.accept_encoding {
        target = target.accepting(codings)?;
    }
    let token = match (&args.token, args.write_share) {
        (_, 0) => None,
        (Some(token), _) => Some(hyper::header::HeaderValue::from_str(&format!("Bearer {token}"))?),
        (None, _) => bail!("--write-share needs --token: a token of WRITE_TOKENS (make writes one into .env)"),
    };
    let health = Connection::new(target.clone()).get("/health", args.timeout).await;
    if !matches!(health, Ok((200..=299, _))) {
        bail!("{url}/health does not answer: start the system first (make start)");
    }
    println!(
        "bench: {:?} mix, {} connections, {:?} after a {:?} warm-up, {url}, data {} ({} bands, {} venues), seed {}{}",
        args.mix,
        args.connections,
        args.duration,
        args.warmup,
        args.data.display(),
        catalogue.band_ids.len(),
        catalogue.venues.len(),
        args.seed,
        args.limit.map(|l| format!(", limit {l}")).unwrap_or_default()
            + &args.rate.map(|r| format!(", open loop at {r} req/s")).unwrap_or_default()
            + &args.accept_encoding.as_ref().map(|c| format!(", accepting {c}")).unwrap_or_default()
            + &(if args.write_share > 0 { format!(", {} % writes", args.write_share) } else { String::new() })
    );

    let started = Instant::now();
    let measure_from = started + args.warmup;
    let end = measure_from + args.duration;
    let sent = Arc::new(AtomicU64::new(0));
    // Only when asked: it takes a lock per request, on the generator's own CPU.
    let timeline = args.timeline.map(|step| Arc::new(Timeline::new(measure_from, step)));
    let mut workers = Vec::new();
    for connection in 0..u64::from(args.connections) {
        let (target, catalogue, sent, args) = (target.clone(), catalogue.clone(), sent.clone(), args.clone());
        let (timeline, token) = (timeline.clone(), token.clone());
        workers.push(tokio::spawn(async move {
            let mut queries = Queries::new(&catalogue, args.mix, args.seed, connection);
            let mut writes = Writes::new(args.seed, connection);
            let mut share = rand_chacha::ChaCha8Rng::seed_from_u64(args.seed ^ connection);
            let mut connection = Connection::new(target);
            let mut recorder = Recorder::default();
            let mut written = Vec::new();
            loop {
                let number = sent.fetch_add(1, Ordering::Relaxed);
                // Closed loop: now. Open loop: the request's own time on the schedule.
                let at = match args.rate {
                    None => Instant::now(),
                    Some(rate) => started + Duration::from_secs_f64(number as f64 / f64::from(rate)),
                };
                if at >= end || number >= args.max_requests {
                    break;
                }
                tokio::time::sleep_until(at.into()).await;
                let writing = token.as_ref().filter(|_| share.random_range(0..100) < args.write_share);
                let (kind, answer) = match writing {
                    Some(token) => {
                        let write = writes.next_write(&catalogue);
                        let sent = Sent {
                            method: write.method.clone(),
                            path: &write.path,
                            body: write.body.as_deref(),
                            token,
                            idempotency_key: write.idempotency_key.as_deref(),
                        };
                        let answer = connection.send(sent, args.timeout).await;
                        if let Ok((status, body)) = &answer {
                            writes.answered(&write, *status, body);
                        }
                        if args.write_log.is_some() {
                            written
                                .push(write.outcome(answer.as_ref().ok().map(|(status, body)| (*status, &body[..]))));
                        }
                        (Kind::Writes, answer.map(|(status, body)| (status, body.len() as u64)))
                    }
                    None => {
                        let query = queries.next_query();
                        (query.kind, connection.get(&query.path_and_query(args.limit), args.timeout).await)
                    }
                };
                if at < measure_from {
                    continue;
                }
                let latency = at.elapsed();
                let ok = match answer {
                    Ok((status, bytes)) => {
                        recorder.answered(kind, latency, status, bytes);
                        (200..300).contains(&status)
                    }
                    Err(_) => {
                        recorder.failed();
                        false
                    }
                };
                if let Some(timeline) = &timeline {
                    timeline.record(at, latency, ok);
                }
            }
            (recorder, Instant::now(), written)
        }));
    }
    let mut total = Recorder::default();
    let mut last = measure_from;
    let mut written = Vec::new();
    for worker in workers {
        let (recorder, finished, mine) = worker.await.context("a connection's task failed")?;
        total.merge(&recorder);
        last = last.max(finished);
        written.extend(mine);
    }
    if let Some(path) = &args.write_log {
        let lines: String = written.iter().map(|line| format!("{line}\n")).collect();
        std::fs::write(path, lines).with_context(|| format!("writing {}", path.display()))?;
    }
    let measured = last.saturating_duration_since(measure_from);
    print_report(&args, &total, measured, timeline.as_deref());
    Ok(())
}

fn print_report(args: &Args, total: &Recorder, measured: Duration, timeline: Option<&Timeline>) {
    let mut summary = total.summary(measured);
    let figure = |key: &str| summary[key].as_f64().unwrap_or(0.0);
    println!(
        "  requests     {} in {:.1} s: {:.1} req/s",
        summary["requests"],
        measured.as_secs_f64(),
        figure("requests_per_s")
    );
    println!(
        "  latency      p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        figure("p50_ms"),
        figure("p90_ms"),
        figure("p99_ms"),
        figure("max_ms")
    );
    println!("  received     {:.2} MB/s", figure("bytes_per_s") / 1e6);
    println!("  failures     {} non-2xx answers, {} transport errors", total.non_2xx, total.errors);
    if let Some(kinds) = summary["by_kind"].as_object() {
        for (kind, figures) in kinds {
            println!(
                "  {kind:<12} {} answers, p50 {} ms, p99 {} ms",
                figures["requests"], figures["p50_ms"], figures["p99_ms"]
            );
        }
    }
    let timeline = timeline.map(|timeline| (timeline.intervals(), timeline.outages()));
    if let Some((intervals, outages)) = &timeline {
        for interval in intervals {
            println!(
                "  t={:>7.1}s {:>7} requests, {:>5} failed, p50 {:>7.2} ms, p99 {:>7.2} ms",
                interval["at_s"].as_f64().unwrap_or(0.0),
                interval["requests"],
                interval["failures"],
                interval["p50_ms"].as_f64().unwrap_or(0.0),
                interval["p99_ms"].as_f64().unwrap_or(0.0)
            );
        }
        for outage in outages {
            println!(
                "  outage at {:.1} s: {} failed requests over {} ms",
                outage["from_s"].as_f64().unwrap_or(0.0),
                outage["failures"],
                outage["lasted_ms"]
            );
        }
    }
    if let Some(object) = summary.as_object_mut() {
        if let Some((intervals, outages)) = timeline {
            object.insert("timeline".into(), json!(intervals));
            object.insert("outages".into(), json!(outages));
        }
        object.insert("rate".into(), json!(args.rate));
        object.insert("mix".into(), json!(format!("{:?}", args.mix).to_lowercase()));
        object.insert("connections".into(), json!(args.connections));
        object.insert("warmup_s".into(), json!(args.warmup.as_secs_f64()));
        object.insert("seed".into(), json!(args.seed));
        object.insert("limit".into(), json!(args.limit));
        object.insert("accept_encoding".into(), json!(args.accept_encoding));
        object.insert("write_share".into(), json!(args.write_share));
        object.insert("url".into(), json!(args.url));
        object.insert("data".into(), json!(args.data.display().to_string()));
    }
    println!("{summary}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("20"), Ok(Duration::from_secs(20)));
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("fast").is_err());
    }
}
