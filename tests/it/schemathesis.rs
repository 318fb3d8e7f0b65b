//! schemathesis against the running system, writes included, as
//! docs/testing.md tells a developer to run it: `make` writes `.env`, the
//! system runs from it (the supervisor), and `scripts/schemathesis.sh` reads
//! the gateway's port and the editor's token from it, with nothing exported.
//! Its stateful phase follows the OpenAPI links (create → read → change →
//! delete); the run fails on a server error, an answer the document does not
//! describe, or bad input accepted.

use std::process::Command;
use std::time::Duration;

use testkit::{Process, binary, free_port, repo_root};

use crate::newcomer::{a_clone, edit_env, make_token};

/// Python with venv, or `None` after saying why the test is skipped (in CI,
/// where every test must run, it fails).
fn python_with_venv() -> Option<()> {
    let ready = Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .output()
        .is_ok_and(|output| output.status.success());
    if ready {
        return Some(());
    }
    assert!(std::env::var_os("CI").is_none(), "Python 3 with venv is missing, and CI needs every test to run");
    println!("schemathesis: skipped — Python 3 with venv (to install schemathesis from PyPI) is missing here");
    None
}

/// The count after `label` in schemathesis's summary (`Test cases: 2163 generated`).
fn counted(output: &str, label: &str, after: &str) -> Option<u64> {
    let line = output.lines().skip_while(|line| !line.contains(label)).find(|line| line.contains(after))?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.iter().position(|word| word.trim_end_matches(',') == after)?;
    words.get(at.checked_sub(1)?)?.parse().ok()
}

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_answer_off_the_document_writes_included() {
    if python_with_venv().is_none() {
        return;
    }
    let clone = a_clone();
    let dir = clone.path();
    make_token(dir);
    // schemathesis installs itself under target/, as in the repository (once per machine).
    std::os::unix::fs::symlink(repo_root().join("target"), dir.join("target")).expect("a link");
    let port = free_port();
    let ports = [port, free_port(), free_port(), free_port()];
    let names = ["GATEWAY_HTTP_PORT", "BANDS_HTTP_PORT", "VENUES_HTTP_PORT", "CONCERTS_HTTP_PORT"];
    let mut edits: Vec<(&str, String)> =
        names.iter().zip(ports).map(|(name, port)| (*name, port.to_string())).collect();
    edits.push(("RATE_LIMITS", "off".to_owned()));
    edit_env(dir, &edits);

    let mut system = Process::spawn_as_a_person("make start", &binary("supervisor"), &[] as &[&str], dir);
    system.wait_for_line("The concert discovery API is running", Duration::from_secs(60)).await;
    let mut run = Process::spawn_as_a_person("schemathesis", &dir.join("scripts/schemathesis.sh"), &[] as &[&str], dir);
    let status = run.wait_exit(Duration::from_secs(600)).await.expect("schemathesis ends within 10 minutes");
    let output = run.log_lines().join("\n");
    println!("{output}");
    assert!(status.success(), "schemathesis found a failure (above)");
    let cases = counted(&output, "Test cases", "generated").expect("a count of the cases");
    assert!(cases >= 1000, "schemathesis ran {cases} cases");
    let scenarios: u64 = output
        .lines()
        .find_map(|line| line.trim().strip_prefix("Scenarios:"))
        .and_then(|count| count.trim().parse().ok())
        .unwrap_or_default();
    assert!(scenarios > 0, "the stateful phase followed the links: {scenarios} scenarios");
    system.interrupt();
    system.wait_exit(Duration::from_secs(30)).await;
}
