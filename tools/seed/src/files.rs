//! The folder's files, read as streams: the check and the import each read
//! them once, record by record.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::Context;

/// Opens a file of the folder for a streaming read.
pub fn open(path: &Path) -> anyhow::Result<BufReader<File>> {
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(BufReader::with_capacity(1 << 20, file))
}
