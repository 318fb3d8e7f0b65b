//! The seed tool (this crate's binary) against the real services, served
//! in-process on loopback ports: good data goes in once, bad files are
//! rejected whole with the file and the record named.

use std::path::Path;
use std::process::Output;

use reqwest::StatusCode;
use serde_json::{Value, json};
use system_tests::InProcess;
use testkit::repo_root;

/// Runs this crate's seed tool on `dir` against `system`'s services.
async fn seed(system: &InProcess, dir: &Path, options: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_seed"))
        .arg("--dir")
        .arg(dir)
        .args(options)
        // Away from the repository, so that no .env of it is read.
        .current_dir(std::env::temp_dir())
        .envs(system.seed_env())
        .output()
        .await
        .expect("the seed tool runs")
}

fn write(dir: &Path, file: &str, content: &str) {
    std::fs::write(dir.join(file), content).unwrap();
}

fn good_files(dir: &Path) {
    write(dir, "bands.json", r#"[{"id": 1, "name": "Radiohead"}, {"id": 2, "name": "Sigur Rós"}]"#);
    write(
        dir,
        "venues.json",
        r#"[{"id": 10, "name": "Olympia, Paris, France", "latitude": 48.87, "longitude": 2.3283}]"#,
    );
    write(
        dir,
        "concerts.json",
        r#"[{"bandId": 1, "venueId": 10, "date": 2000}, {"bandId": 2, "venueId": 10, "date": 1000}]"#,
    );
}

async fn assert_all_empty(system: &InProcess) {
    for (name, service) in [("bands", &system.bands), ("venues", &system.venues), ("concerts", &system.concerts)] {
        let (_, ready) = testkit::get(&format!("{}/ready", service.url)).await;
        assert_eq!(ready["empty"], true, "{name} must hold nothing: {ready}");
    }
}

#[tokio::test]
async fn seeding_the_exercise_twice_leaves_the_same_data() {
    let system = InProcess::start(|_| {}).await;
    let data = repo_root().join("data/wemaintain");
    for _ in 0..2 {
        let output = seed(&system, &data, &[]).await;
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let (status, body) = system.get("/concerts?bandIds=1,2").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body.as_array().unwrap().len(), 26);
        let (_, everything) = system.get("/concerts?latitude=0&longitude=0&radius=20100").await;
        assert_eq!(everything.as_array().unwrap().len(), 20_627, "no concert is stored twice");
    }
}

#[tokio::test]
async fn a_bad_file_is_rejected_by_name_and_record_and_nothing_is_imported() {
    let system = InProcess::start(|_| {}).await;
    let cases: [(&str, &str, &[&str]); 5] = [
        ("venues.json", r#"[{"id": 10, "name": "Olympia""#, &["venues.json is not valid JSON"]),
        ("bands.json", r#"[{"id": 1, "name": "Radiohead"}, {"id": 2}]"#, &["bands.json: record 1: name is required"]),
        (
            "venues.json",
            r#"[{"id": 10, "name": "Olympia", "latitude": 148.87, "longitude": 2.3}]"#,
            &["venues.json: record 0: latitude must be <= 90"],
        ),
        (
            "bands.json",
            r#"[{"id": 1, "name": "Radiohead"}, {"id": 2, "name": "Sigur Rós"}, {"id": 1, "name": "Muse"}]"#,
            &["bands.json: records 0 and 2 share the id 1"],
        ),
        (
            "concerts.json",
            r#"[{"bandId": 1, "venueId": 10, "date": 2000}, {"bandId": 7, "venueId": 10, "date": 1}, {"bandId": 1, "venueId": 99, "date": 5}]"#,
            &["concerts.json: record 1: bandId 7 does not exist", "concerts.json: record 2: venueId 99 does not exist"],
        ),
    ];
    for (file, content, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        good_files(dir.path());
        write(dir.path(), file, content);
        let output = seed(&system, dir.path(), &[]).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{file} must be rejected");
        for message in expected {
            assert!(stderr.contains(message), "{file}: expected {message:?} in:\n{stderr}");
        }
        assert_all_empty(&system).await;
    }
}

#[tokio::test]
async fn concerts_may_refer_to_bands_and_venues_already_stored() {
    let system = InProcess::start(|_| {}).await;
    let first = tempfile::tempdir().unwrap();
    good_files(first.path());
    assert!(seed(&system, first.path(), &[]).await.status.success());

    // A later folder with concerts only: their band and venue are in the services.
    let later = tempfile::tempdir().unwrap();
    write(later.path(), "concerts.json", r#"[{"bandId": 2, "venueId": 10, "date": 3000}]"#);
    let output = seed(&system, later.path(), &[]).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let (_, body) = system.get("/concerts?bandIds=2").await;
    let dates: Vec<Value> = body.as_array().unwrap().iter().map(|c| c["date"].clone()).collect();
    assert_eq!(dates, vec![json!(3000), json!(1000)]);
}

/// A generated set (see `tools/generate`) is consistent, and goes in whole
/// with small batches, several in flight: concurrent imports into every service.
#[tokio::test]
async fn a_generated_set_imports_with_small_batches_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    generate::generate(dir.path(), generate::Sizes { bands: 300, venues: 40, concerts: 3000 }, 42).unwrap();
    let system = InProcess::start(|_| {}).await;
    let output = seed(&system, dir.path(), &["--batch-size", "25", "--in-flight", "4"]).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    // A radius of 20,100 km covers the whole planet: every concert, each once.
    let (status, everything) = system.get("/concerts?latitude=0&longitude=0&radius=20100").await;
    assert!(status.is_success(), "{everything}");
    assert_eq!(everything.as_array().map(Vec::len), Some(3000));
    let concerts: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.path().join("concerts.json")).unwrap()).unwrap();
    let expected = concerts.iter().filter(|c| c["bandId"] == 1).count();
    let (_, band_one) = system.get("/concerts?bandIds=1").await;
    assert_eq!(band_one.as_array().map(Vec::len), Some(expected));
}

#[tokio::test]
async fn a_bulk_load_imports_everything_once_and_a_bad_record_after_many_good_ones_stages_nothing() {
    let dir = tempfile::tempdir().unwrap();
    generate::generate(dir.path(), generate::Sizes { bands: 300, venues: 40, concerts: 3000 }, 7).unwrap();
    let system = InProcess::start(|_| {}).await;

    // A bad concert at the very end of 3,000 good ones: the check finds it
    // before any batch is staged, so a commit then has nothing to take in.
    let good = std::fs::read_to_string(dir.path().join("concerts.json")).unwrap();
    let bad_dir = tempfile::tempdir().unwrap();
    for file in ["bands.json", "venues.json"] {
        std::fs::copy(dir.path().join(file), bad_dir.path().join(file)).unwrap();
    }
    let end = good.rfind(']').unwrap();
    write(
        bad_dir.path(),
        "concerts.json",
        &format!("{}, {{\"bandId\": 1, \"venueId\": 1, \"date\": \"soon\"}}]", &good[..end]),
    );
    let output = seed(&system, bad_dir.path(), &["--bulk", "always"]).await;
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("concerts.json: record 3000: date must be an integer"),
        "names the file and the record: {said}"
    );
    let commit = testkit::http()
        .post(format!("{}/concerts/staged/commit", system.concerts.url))
        .bearer_auth(testkit::IMPORT_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(commit.json::<Value>().await.unwrap(), json!({"committed": 0}), "nothing was staged");
    assert_all_empty(&system).await;

    // The good set, twice: the same 3,000 concerts, each once.
    for _ in 0..2 {
        let output = seed(&system, dir.path(), &["--bulk", "always", "--batch-size", "500"]).await;
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let said = String::from_utf8_lossy(&output.stdout);
        assert!(said.contains("committed in"), "{said}");
        let (status, everything) = system.get("/concerts?latitude=0&longitude=0&radius=20100").await;
        assert!(status.is_success(), "{everything}");
        assert_eq!(everything.as_array().map(Vec::len), Some(3000));
    }
}
