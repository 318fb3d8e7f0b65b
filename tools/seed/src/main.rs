//! `seed --dir DIR`: imports `bands.json`, `venues.json` and `concerts.json`
//! (the exercise's format) into the running system, each through the service
//! that owns it.
//!
//! Every file is checked before anything is written (each record against its
//! schema, duplicate ids, concerts pointing at bands or venues that exist
//! neither in the files nor in the services), so a bad file leaves nothing
//! half-imported. Imports are upserts: running the same files twice leaves the
//! same data, and re-running after an interruption is safe.

mod dataset;
mod services;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use crate::dataset::Dataset;
use crate::services::Services;

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
}

#[tokio::main]
async fn main() -> ExitCode {
    bootstrap::load_env();
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("seed: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let services = Services::from_env()?;
    if args.if_empty && !services.any_empty().await? {
        println!("seed: the stores already hold data; nothing to do");
        return Ok(());
    }
    let started = Instant::now();
    let dataset = Dataset::load(&args.dir)?;
    dataset.check_references(&services).await?;
    println!(
        "seed: {} checked: {} bands, {} venues, {} concerts",
        args.dir.display(),
        dataset.bands.len(),
        dataset.venues.len(),
        dataset.concerts.len()
    );
    let batch = args.batch_size as usize;
    services.import("bands", "/bands", &dataset.bands, batch).await?;
    services.import("venues", "/venues", &dataset.venues, batch).await?;
    services.import("concerts", "/concerts", &dataset.concerts, batch).await?;
    let records = dataset.bands.len() + dataset.venues.len() + dataset.concerts.len();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "seed: imported {records} records in {seconds:.1} s ({:.0} records/s)",
        records as f64 / seconds.max(1e-9)
    );
    Ok(())
}
