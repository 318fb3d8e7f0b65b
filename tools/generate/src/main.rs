//! `generate`: a synthetic bands.json, venues.json and concerts.json of any
//! size (see the library for the shape), for import and load tests at scale.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use generate::{MAX_BANDS, Sizes, generate};

#[derive(Parser)]
#[command(about = "Write a synthetic data set in the exercise's format; the same seed gives the same bytes")]
struct Args {
    /// Folder to write bands.json, venues.json and concerts.json into (created if missing).
    #[arg(long, default_value = "var/generated")]
    out: PathBuf,
    #[arg(long, default_value_t = 2_000_000, value_parser = clap::value_parser!(u64).range(0..=MAX_BANDS))]
    bands: u64,
    #[arg(long, default_value_t = 10_000)]
    venues: u64,
    #[arg(long, default_value_t = 20_000_000)]
    concerts: u64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let sizes = Sizes { bands: args.bands, venues: args.venues, concerts: args.concerts };
    let started = Instant::now();
    generate(&args.out, sizes, args.seed)?;
    let mut bytes = 0;
    for file in ["bands.json", "venues.json", "concerts.json"] {
        bytes += std::fs::metadata(args.out.join(file))?.len();
    }
    println!(
        "generate: {} bands, {} venues, {} concerts (seed {}) in {}: {:.1} MB in {:.1} s",
        sizes.bands,
        sizes.venues,
        sizes.concerts,
        args.seed,
        args.out.display(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
