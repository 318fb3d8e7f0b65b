//! `.env`: the settings a person keeps in a file, loaded into the
//! environment before any setting is read (variables already in the
//! environment win). dotenvy reads it; what is added here is an error that a
//! person can act on: which file, which line, and why.

use std::path::{Path, PathBuf};

/// A `.env` that exists but cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum EnvFileError {
    #[error(
        "{path} line {line} cannot be read: {text:?} ({reason}); quote a value with spaces or symbols, as in \
         NAME=\"a value\""
    )]
    Line { path: PathBuf, line: usize, text: String, reason: String },
    #[error("{path} cannot be read: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: dotenvy::Error,
    },
}

/// Loads the first `.env` found in the working folder or one of its parents
/// (as dotenvy looks for it) into the environment. No `.env` is fine.
pub fn load_env() -> Result<(), EnvFileError> {
    let Some(path) = find(Path::new(".")) else { return Ok(()) };
    load_file(&path)
}

/// Loads `path` into the environment; a line dotenvy refuses is named.
pub fn load_file(path: &Path) -> Result<(), EnvFileError> {
    dotenvy::from_path(path).map_err(|error| explain(path, error))
}

/// The settings `path` holds, as the binaries would read them, without
/// touching the environment.
pub fn read_file(path: &Path) -> Result<Vec<(String, String)>, EnvFileError> {
    let items = dotenvy::from_path_iter(path).map_err(|error| explain(path, error))?;
    items.collect::<Result<Vec<_>, _>>().map_err(|error| explain(path, error))
}

fn find(start: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(start).ok()?;
    start.ancestors().map(|folder| folder.join(".env")).find(|candidate| candidate.is_file())
}

/// dotenvy says which text it could not parse and where in it; the line
/// number is found in the file.
fn explain(path: &Path, error: dotenvy::Error) -> EnvFileError {
    match error {
        dotenvy::Error::LineParse(text, at) => {
            let content = std::fs::read_to_string(path).unwrap_or_default();
            let first = text.lines().next().unwrap_or_default();
            let line = content.lines().position(|line| line.contains(first)).map_or(0, |index| index + 1);
            let reason = format!("unexpected character at position {}", at + 1);
            EnvFileError::Line { path: path.to_owned(), line, text, reason }
        }
        other => EnvFileError::File { path: path.to_owned(), source: other },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_dotenvy_refuses_is_named_with_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "# settings\nGOOD=1\nBAD=two words\nLAST=3\n").unwrap();
        let error = read_file(&path).unwrap_err();
        let said = error.to_string();
        assert!(matches!(error, EnvFileError::Line { line: 3, .. }), "{said}");
        assert!(said.contains(".env line 3") && said.contains("two words"), "{said}");
        std::fs::write(&path, "QUOTED=\"two words\"\n").unwrap();
        assert_eq!(read_file(&path).unwrap(), vec![("QUOTED".to_owned(), "two words".to_owned())]);
    }
}
