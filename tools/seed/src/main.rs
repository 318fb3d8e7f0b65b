//! `seed --dir DIR`: imports `bands.json`, `venues.json` and `concerts.json`
//! (the exercise's format) into the running system, each through the service
//! that owns it.
//!
//! Every file is checked before anything is written (each record against its
//! schema, duplicate ids, concerts pointing at bands or venues that exist
//! neither in the files nor in the services), so a bad file leaves nothing
//! half-imported. Imports are upserts: running the same files twice leaves the
//! same data, and re-running after an interruption is safe.
//!
//! Files of any size: both the check and the import stream the files record
//! by record (each file is read twice), so memory holds ids, not records.

mod dataset;
mod files;
mod services;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use bands_model::Band;
use clap::Parser;
use concerts_model::NewConcert;
use venues_model::Venue;

use crate::services::{Owner, Services};

#[derive(Parser)]
#[command(about = "Import bands.json, venues.json and concerts.json into the running services")]
struct Args {
    /// The folder holding the three files (a missing file is skipped).
    #[arg(long)]
    dir: PathBuf,
    /// Skip the import when every service already holds data (first start with demo data).
    #[arg(long)]
    if_empty: bool,
    /// Records per import request.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    batch_size: u32,
    /// Whether concerts go in as a bulk load (staged, then committed at once,
    /// sorted: much faster for millions); `auto`: from 1,000,000 concerts.
    #[arg(long, value_enum, default_value_t = Bulk::Auto)]
    bulk: Bulk,
    /// Import requests sent at the same time to one service.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=8))]
    in_flight: u8,
    #[command(flatten)]
    settings: bootstrap::settings::Seed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Bulk {
    Auto,
    Always,
    Never,
}

/// From this many concerts, `--bulk auto` loads them in bulk.
const BULK_FROM: u64 = 1_000_000;

#[tokio::main]
async fn main() -> ExitCode {
    bootstrap::settings::load_env_or_exit("seed");
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("seed: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let services = Services::new(&args.settings)?;
    if args.if_empty && !services.any_empty().await? {
        println!("seed: the stores already hold data; nothing to do");
        return Ok(());
    }
    let started = Instant::now();
    let checked = dataset::check(&args.dir, &services).await?;
    let count = |n: Option<u64>| n.unwrap_or(0);
    println!(
        "seed: {} checked in {:.1} s: {} bands, {} venues, {} concerts",
        args.dir.display(),
        started.elapsed().as_secs_f64(),
        count(checked.bands),
        count(checked.venues),
        count(checked.concerts)
    );
    let (batch, in_flight) = (args.batch_size as usize, args.in_flight as usize);
    let file = |name: &str| checked.dir.join(name);
    // Bands and venues before the concerts that point at them.
    if checked.bands.is_some() {
        services.import::<Band>(Owner::Bands, file("bands.json"), batch, in_flight).await?;
    }
    if checked.venues.is_some() {
        services.import::<Venue>(Owner::Venues, file("venues.json"), batch, in_flight).await?;
    }
    if let Some(concerts) = checked.concerts {
        let bulk = match args.bulk {
            Bulk::Auto => concerts >= BULK_FROM,
            Bulk::Always => true,
            Bulk::Never => false,
        };
        if bulk {
            services.import_staged::<NewConcert>(file("concerts.json"), batch, in_flight).await?;
        } else {
            services.import::<NewConcert>(Owner::Concerts, file("concerts.json"), batch, in_flight).await?;
        }
    }
    let records = checked.records();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "seed: imported {records} records in {seconds:.1} s ({:.0} records/s)",
        records as f64 / seconds.max(1e-9)
    );
    Ok(())
}
