//! The fuzz targets' checks (`fuzz/`, cargo-fuzz): each target is one
//! function here, fed bytes by libFuzzer, and by the tests below with every
//! input kept under `fuzz/seeds/<target>/` and `fuzz/regressions/<target>/`.
//! Each reads the bytes the way a request's are read, with the real code,
//! and panics when that code panics or when what it made breaks a rule its
//! documentation states. See docs/testing.md, Fuzzing.
//!
//! They are here because the gateway is the one library that sees every
//! kind of record without the services' stores: the services read import
//! and write bodies with `bootstrap` and the kinds of `kinds`, and so do
//! these targets. The binary rows' target is `concerts_model::fuzzing`; its
//! kept inputs are replayed here with the others'.

mod cursor;
mod import;
mod query;
mod write;

pub use cursor::cursor;
pub use import::import;
pub use query::query;
pub use write::write;

use exceptions::{Code, HttpError, Problem};

// The largest id and date the schemas allow (the targets check their ranges).
use validator::id_batch::MAX_ID;

/// Bad input is a 400 naming what is wrong, never a server error.
fn refused_politely(error: &HttpError) {
    match error {
        HttpError::BadRequest(problems) => each_names_its_rule(problems),
        other => panic!("bad input answered {}: {other}", other.status()),
    }
}

/// Each problem names its field, or speaks of the request as a whole: a
/// value problem that does neither is what the validator answers when a
/// schema lets in what its type cannot hold (`Schema::parse_json`).
fn each_names_its_rule(problems: &[Problem]) {
    assert!(!problems.is_empty(), "a refusal without a problem");
    for problem in problems {
        let named = problem.parameter.is_some() || problem.message.starts_with("request");
        assert!(problem.code != Code::InvalidValue || named, "the schema and its type disagree: {problem:?}");
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    /// Every kept input of `target` through `check`: the seeds (there must
    /// be some) and the inputs that once made it fail.
    fn replay(target: &str, check: fn(&[u8])) {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
        let mut inputs = Vec::new();
        for kept in ["seeds", "regressions"] {
            let Ok(files) = std::fs::read_dir(root.join(kept).join(target)) else { continue };
            inputs.extend(files.filter_map(Result::ok).map(|file| file.path()));
        }
        assert!(inputs.iter().any(|path| path.starts_with(root.join("seeds"))), "no seed for {target}");
        let failed: Vec<String> = inputs
            .iter()
            .filter(|path| {
                let bytes = std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
                std::panic::catch_unwind(|| check(&bytes)).is_err()
            })
            .map(|path| path.display().to_string())
            .collect();
        assert!(failed.is_empty(), "{target} fails on {failed:#?}");
    }

    #[test]
    fn the_query_targets_inputs_pass() {
        replay("query", super::query);
    }

    #[test]
    fn the_cursor_targets_inputs_pass() {
        replay("cursor", super::cursor);
    }

    #[test]
    fn the_import_targets_inputs_pass() {
        replay("import", super::import);
    }

    #[test]
    fn the_write_targets_inputs_pass() {
        replay("write", super::write);
    }

    #[test]
    fn the_rows_targets_inputs_pass() {
        replay("rows", concerts_model::fuzzing::rows);
    }
}
