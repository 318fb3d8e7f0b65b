//! The declarations here are the only ones: `.env.example` (read as the
//! binaries read it) and the table of `docs/configuration.md` must say the
//! same, setting by setting.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Args, Command};

use super::*;

/// One setting as declared: its variable, flag, default, and the help each
/// binary that reads it gives (a port is where a service listens, where a
/// client calls it, where the supervisor starts it).
#[derive(Debug, Clone)]
struct Declared {
    flag: String,
    default: Option<String>,
    /// `(binary, help)`, for every binary that reads it.
    helps: Vec<(String, String)>,
    /// The first binary that reads it, by its command (to try values on).
    command: Command,
}

fn commands() -> Vec<Command> {
    vec![
        Gateway::binary_command(),
        Bands::binary_command(),
        Venues::binary_command(),
        Concerts::binary_command(),
        Seed::augment_args(Command::new("seed")),
        Supervisor::binary_command(),
    ]
}

/// Every setting of every binary, by variable name.
fn declared() -> BTreeMap<String, Declared> {
    let mut all: BTreeMap<String, Declared> = BTreeMap::new();
    for command in commands() {
        for arg in command.get_arguments() {
            let Some(name) = arg.get_env().map(|name| name.to_string_lossy().into_owned()) else { continue };
            let default = arg.get_default_values().first().map(|value| value.to_string_lossy().into_owned());
            let flag = arg.get_long().expect("every setting has a flag").to_owned();
            let help = (command.get_name().to_owned(), arg.get_help().map(ToString::to_string).unwrap_or_default());
            match all.get_mut(&name) {
                Some(known) => {
                    assert_eq!((&known.flag, &known.default), (&flag, &default), "{name}: one flag, one default");
                    known.helps.push(help);
                }
                None => {
                    let command = without_environment(command.clone());
                    all.insert(name, Declared { flag, default, helps: vec![help], command });
                }
            }
        }
    }
    all
}

fn repo_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The line that starts the Docker Compose part of `.env.example`.
const COMPOSE_PART: &str = "# Docker Compose";

/// `.env.example`'s settings of the binaries: `NAME=value` (`Some`, the
/// value as dotenvy reads it, the loader of every binary), or commented out
/// as `# NAME=...` (`None`: unset unless the user sets it); and the Docker
/// Compose part's values.
fn env_example() -> (BTreeMap<String, Option<String>>, BTreeMap<String, String>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.env.example");
    let loaded: BTreeMap<String, String> = read_file(&path)
        .unwrap_or_else(|error| panic!("the binaries cannot load .env.example: {error}"))
        .into_iter()
        .collect();
    let text = repo_file(".env.example");
    let (binaries, compose) = text.split_once(COMPOSE_PART).expect(".env.example has a Docker Compose part");
    let commented_name = |line: &str| -> Option<String> {
        let (name, _) = line.trim().strip_prefix('#')?.trim().split_once('=')?;
        let is_name =
            !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        is_name.then(|| name.to_owned())
    };
    let names_in = |part: &str| -> Vec<String> {
        part.lines().filter_map(|line| line.trim().split_once('=').map(|(name, _)| name.trim().to_owned())).collect()
    };
    let mut settings = BTreeMap::new();
    for name in binaries.lines().filter_map(commented_name) {
        settings.entry(name).or_insert(None);
    }
    for name in names_in(binaries).into_iter().filter(|name| loaded.contains_key(name)) {
        settings.insert(name.clone(), Some(loaded[&name].clone()));
    }
    let compose =
        names_in(compose).into_iter().filter_map(|name| Some((name.clone(), loaded.get(&name)?.clone()))).collect();
    (settings, compose)
}

/// A row of the settings table of `docs/configuration.md`.
#[derive(Debug)]
struct Row {
    default: String,
    range: String,
    meaning: String,
}

fn docs_table() -> BTreeMap<String, Row> {
    let docs = repo_file("docs/configuration.md");
    let section = docs.split("\n## Settings\n").nth(1).expect("docs/configuration.md has a Settings section");
    let section = section.split("\n## ").next().unwrap_or_default();
    let mut rows = BTreeMap::new();
    for line in section.lines().filter(|line| line.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        assert_eq!(cells.len(), 4, "variable | default | accepts | meaning: {line}");
        let name = cells[0].trim_matches('`').to_owned();
        let row = Row { default: cells[1].to_owned(), range: cells[2].to_owned(), meaning: cells[3].to_owned() };
        assert!(rows.insert(name.clone(), row).is_none(), "{name} is in the table twice");
    }
    rows
}

#[test]
fn every_setting_is_in_env_example_with_its_default() {
    let declared = declared();
    let (example, _) = env_example();
    for (name, setting) in &declared {
        match (example.get(name), &setting.default) {
            (None, _) => panic!("{name} is not in .env.example"),
            (Some(Some(value)), Some(default)) => assert_eq!(value, default, "{name}: .env.example says {value}"),
            (Some(Some(value)), None) => panic!("{name} has no default: comment it out in .env.example, not {value}"),
            (Some(None), Some(default)) => panic!("{name} defaults to {default}: write {name}={default}"),
            (Some(None), None) => {}
        }
    }
    for name in example.keys() {
        assert!(declared.contains_key(name), ".env.example sets {name}, which no binary reads");
    }
}

#[test]
fn the_docs_table_lists_every_setting_with_its_default_range_and_help() {
    let declared = declared();
    let table = docs_table();
    let names = |keys: Vec<&String>| keys.into_iter().cloned().collect::<Vec<_>>();
    assert_eq!(names(table.keys().collect()), names(declared.keys().collect()), "the settings of the docs");
    for (name, row) in &table {
        let setting = &declared[name];
        let default = setting.default.as_ref().map_or_else(|| "unset".to_owned(), |d| format!("`{d}`"));
        assert_eq!(row.default, default, "{name}: default");
        assert!(
            setting.helps.iter().any(|(_, help)| *help == row.meaning),
            "{name}: the meaning must be the help of --{} in one of the binaries reading it: {:?}",
            setting.flag,
            setting.helps
        );
        if let Some((low, high)) = numeric_range(&row.range) {
            let accepts = |value: i128| {
                let args = [setting.command.get_name().to_owned(), format!("--{}", setting.flag), value.to_string()];
                setting.command.clone().try_get_matches_from(args).is_ok()
            };
            assert!(accepts(low), "{name} accepts {low}, as the README says");
            assert!(!accepts(low - 1), "{name} refuses {}, as the README says", low - 1);
            if let Some(high) = high {
                assert!(accepts(high), "{name} accepts {high}, as the README says");
                assert!(!accepts(high + 1), "{name} refuses {}, as the README says", high + 1);
            }
        }
    }
}

/// `1–10000` is `(1, Some(10000))`, `≥ 0` is `(0, None)`; anything else is not numeric.
fn numeric_range(range: &str) -> Option<(i128, Option<i128>)> {
    if let Some(low) = range.strip_prefix("≥ ") {
        return Some((low.parse().ok()?, None));
    }
    let (low, high) = range.split_once('–')?;
    Some((low.parse().ok()?, Some(high.parse().ok()?)))
}

#[test]
fn compose_only_variables_have_their_compose_defaults() {
    let (_, compose) = env_example();
    let files = repo_file("docker-compose.yaml") + &repo_file("docker-compose.test.yaml");
    assert!(!compose.is_empty());
    for (name, value) in compose {
        assert!(files.contains(&format!("${{{name}:-{value}}}")), "{name}={value} is the compose files' default");
    }
}

/// Each binary says what a setting is to it: the services listen on their
/// ports, the gateway and the seed tool call them there, the supervisor
/// starts them there; the services check the import token, the seed tool sends it.
#[test]
fn each_binary_describes_its_settings_from_its_own_side() {
    let declared = declared();
    let help = |name: &str, binary: &str| -> String {
        let helps = &declared[name].helps;
        helps
            .iter()
            .find(|(b, _)| b == binary)
            .map(|(_, h)| h.clone())
            .unwrap_or_else(|| panic!("{binary} reads {name}"))
    };
    assert!(help("BANDS_HTTP_PORT", "bands").contains("listens on"));
    assert!(help("BANDS_HTTP_PORT", "seed").contains("called when BANDS_SERVICE_URL is unset"));
    assert!(help("BANDS_HTTP_PORT", "concerts-gateway").contains("called"));
    assert!(help("BANDS_HTTP_PORT", "supervisor").contains("starts"));
    assert!(help("GATEWAY_HTTP_PORT", "concerts-gateway").contains("listens on"));
    assert!(help("IMPORT_TOKEN", "bands").contains("must carry"));
    assert!(help("IMPORT_TOKEN", "seed").contains("sent as a bearer token"));
    for (name, setting) in &declared {
        for (binary, help) in &setting.helps {
            assert!(!help.contains("0 picks a free one") || binary != "seed", "{binary}: {name}: {help}");
        }
    }
}

#[test]
fn every_binary_lists_its_settings_in_its_help() {
    for mut command in commands() {
        let help = command.render_long_help().to_string();
        for arg in command.get_arguments().filter(|arg| arg.get_env().is_some()) {
            let name = arg.get_env().unwrap().to_string_lossy();
            assert!(help.contains(&format!("[env: {name}")), "{} --help lists {name}", command.get_name());
        }
    }
}

#[test]
fn defaults_ignore_the_environment_and_values_are_checked() {
    let gateway = Gateway::defaults();
    assert_eq!((gateway.port.port, gateway.stream_page_size), (3000, 5000));
    assert_eq!(gateway.services.bands(), "http://127.0.0.1:3001");
    let moved = Gateway::from_args(["concerts-gateway", "--bands-http-port", "4001"]).unwrap();
    assert_eq!(moved.services.bands(), "http://127.0.0.1:4001", "the URL follows the port");
    let given = Gateway::from_args(["concerts-gateway", "--bands-service-url", "http://bands:3001/"]).unwrap();
    assert_eq!(given.services.bands(), "http://bands:3001");
    let error = Gateway::from_args(["concerts-gateway", "--stream-page-size", "0"]).unwrap_err().to_string();
    assert!(error.contains("--stream-page-size"), "{error}");
}
