//! `GET /concerts.ics`: a search as a calendar, read back by a parser this
//! project did not write (Python's `icalendar`, from PyPI, in a virtual
//! environment under `target/`), and compared with the same search's JSON.

use std::path::PathBuf;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::{Value, json};
use system_tests::InProcess;
use testkit::{error_messages, repo_root};

/// The version of `icalendar` the test was written against.
const ICALENDAR: &str = "icalendar==6.1.3";

/// Python with `icalendar`, or `None` after saying why the test is skipped
/// (no Python with venv here; in CI, where every test must run, it fails).
/// One test at a time: two making the same virtual environment at once
/// break each other's (seen in CI).
fn python_with_icalendar() -> Option<PathBuf> {
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INSTALLING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let venv = repo_root().join("target/test-python");
    let python = venv.join("bin/python");
    let ready = |python: &PathBuf| {
        Command::new(python).args(["-c", "import icalendar"]).output().is_ok_and(|o| o.status.success())
    };
    if ready(&python) {
        return Some(python);
    }
    let made = Command::new("python3").args(["-m", "venv"]).arg(&venv).output().is_ok_and(|o| o.status.success())
        && Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", ICALENDAR])
            .output()
            .is_ok_and(|o| o.status.success());
    if made && ready(&python) {
        return Some(python);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "Python with {ICALENDAR} cannot be installed, and CI needs every test to run"
    );
    println!("calendar (icalendar): skipped — Python 3 with venv and pip could not install {ICALENDAR} here");
    None
}

/// The events of `calendar` as the parser reads them.
fn parsed(python: &PathBuf, calendar: &str) -> Vec<Value> {
    let script = r#"
import json, sys, icalendar
calendar = icalendar.Calendar.from_ical(sys.stdin.read())
events = []
for event in calendar.walk("VEVENT"):
    geo = event.get("GEO")
    events.append({
        "uid": str(event.get("UID")),
        "summary": str(event.get("SUMMARY")),
        "location": str(event.get("LOCATION")),
        "geo": [geo.latitude, geo.longitude] if geo else None,
        "start": int(event.decoded("DTSTART").timestamp() * 1000),
        "status": str(event.get("STATUS")),
    })
print(json.dumps({"name": str(calendar.get("X-WR-CALNAME") or calendar.get("NAME")), "events": events}))
"#;
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(calendar.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "icalendar could not read it: {}", String::from_utf8_lossy(&output.stderr));
    let read: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(read["name"], "Concerts");
    read["events"].as_array().unwrap().clone()
}

async fn calendar_of(system: &InProcess, query: &str) -> (String, Option<String>) {
    let response = system.get_raw(&format!("/concerts.ics?{query}")).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    assert_eq!(response.headers()["content-type"], "text/calendar; charset=utf-8");
    let link = response.headers().get("link").map(|link| link.to_str().unwrap().to_owned());
    (response.text().await.unwrap(), link)
}

#[tokio::test]
async fn a_search_as_a_calendar_holds_each_concert_once_as_its_json_says() {
    let Some(python) = python_with_icalendar() else { return };
    let system = InProcess::seeded(|_| {}).await;
    // A concert of band 1, cancelled: its event says so.
    let concert = json!({"bandId": 1, "venueId": 1, "date": 1_900_000_000_000_i64});
    let http = testkit::http();
    let made: Value = http
        .post(format!("{}/concerts", system.gateway.url))
        .bearer_auth(testkit::WRITE_TOKEN)
        .json(&concert)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cancelled = http
        .patch(format!("{}/concerts/{}", system.gateway.url, made["id"]))
        .bearer_auth(testkit::WRITE_TOKEN)
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"status": "cancelled"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), StatusCode::OK);

    let (_, expected) = system.get("/concerts?bandIds=1,2").await;
    let (calendar, link) = calendar_of(&system, "bandIds=1,2").await;
    assert!(link.is_none(), "no limit, no next calendar");
    assert!(calendar.contains("\r\n"), "lines end in CRLF (RFC 5545)");
    let events = parsed(&python, &calendar);
    let expected = expected.as_array().unwrap();
    assert_eq!(events.len(), expected.len());
    for (event, concert) in events.iter().zip(expected) {
        assert_eq!(event["uid"], format!("concert-{}@concerts-api", concert["id"]));
        assert_eq!(event["summary"], concert["band"]);
        assert_eq!(event["location"], concert["location"]);
        assert_eq!(event["geo"], json!([concert["latitude"], concert["longitude"]]));
        // iCalendar's times are to the second.
        assert_eq!(event["start"].as_i64().unwrap(), concert["date"].as_i64().unwrap().div_euclid(1000) * 1000);
        let status = if concert["status"] == "cancelled" { "CANCELLED" } else { "CONFIRMED" };
        assert_eq!(event["status"], status, "{concert}");
    }
    assert!(events.iter().any(|event| event["status"] == "CANCELLED"));
}

#[tokio::test]
async fn a_calendar_holds_at_most_ics_max_events_and_pages_with_limit() {
    let Some(python) = python_with_icalendar() else { return };
    let system = InProcess::seeded(|gateway| gateway.ics_max_events = 5).await;
    let circle = "latitude=48.857931&longitude=2.350144&radius=50";
    let (_, all) = system.get(&format!("/concerts?{circle}")).await;
    assert!(all.as_array().unwrap().len() > 5);
    let (calendar, _) = calendar_of(&system, circle).await;
    let events = parsed(&python, &calendar);
    let first_five: Vec<String> =
        all.as_array().unwrap()[..5].iter().map(|c| format!("concert-{}@concerts-api", c["id"])).collect();
    let uids: Vec<String> = events.iter().map(|event| event["uid"].as_str().unwrap().to_owned()).collect();
    assert_eq!(uids, first_five, "the first five of the search, in its order");

    let (calendar, link) = calendar_of(&system, &format!("{circle}&limit=2")).await;
    assert_eq!(parsed(&python, &calendar).len(), 2);
    let link = link.expect("a Link to the next calendar");
    assert!(link.starts_with("</concerts.ics?") && link.contains("cursor="), "{link}");

    let (status, body) = system.get("/concerts.ics?bandIds=x").await;
    let messages = error_messages(status, &body, StatusCode::BAD_REQUEST).join(" ");
    assert!(messages.contains("bandIds"), "{messages}");
}
