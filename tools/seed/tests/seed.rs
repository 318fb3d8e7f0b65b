//! The seed tool against the real services: good data goes in once, bad files
//! are rejected whole with the file and the record named.

use std::path::Path;

use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::{System, SystemOptions, repo_root};

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

async fn assert_all_empty(system: &System) {
    for service in [&system.bands, &system.venues, &system.concerts] {
        let (_, ready) = system.get_from(service, "/ready").await;
        assert_eq!(ready["empty"], true, "{} must hold nothing: {ready}", service.name);
    }
}

#[tokio::test]
async fn seeding_the_exercise_twice_leaves_the_same_data() {
    let system = System::start(SystemOptions::default()).await;
    let data = repo_root().join("data/wemaintain");
    for _ in 0..2 {
        let output = system.seed(&data).await;
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
    let system = System::start(SystemOptions::default()).await;
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
        let output = system.seed(dir.path()).await;
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
    let system = System::start(SystemOptions::default()).await;
    let first = tempfile::tempdir().unwrap();
    good_files(first.path());
    assert!(system.seed(first.path()).await.status.success());

    // A later folder with concerts only: their band and venue are in the services.
    let later = tempfile::tempdir().unwrap();
    write(later.path(), "concerts.json", r#"[{"bandId": 2, "venueId": 10, "date": 3000}]"#);
    let output = system.seed(later.path()).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let (_, body) = system.get("/concerts?bandIds=2").await;
    let dates: Vec<Value> = body.as_array().unwrap().iter().map(|c| c["date"].clone()).collect();
    assert_eq!(dates, vec![json!(3000), json!(1000)]);
}
