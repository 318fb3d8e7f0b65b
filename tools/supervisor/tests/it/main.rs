//! The supervisor (`make start`) running the real binaries on loopback
//! ports: a process that dies is started again while the rest keeps
//! answering, a restart loop is slowed down and reported, and Ctrl-C or
//! SIGTERM stops everything with status 0. Every wait here is bounded.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use testkit::{Process, error_messages};

/// The longest a whole start (four processes, demo data imported) may take.
const START: Duration = Duration::from_secs(60);

/// A supervisor on four free ports, importing the demo data.
struct Supervised {
    process: Process,
    gateway: String,
    _data: tempfile::TempDir,
}

impl Supervised {
    /// Spawns the supervisor with `extra` settings and returns at once.
    fn spawn(extra: &[(&str, &str)]) -> Supervised {
        let data = tempfile::tempdir().unwrap();
        let ports = [0; 4].map(|_| testkit::free_port());
        let mut env = testkit::supervisor_env(ports, &data.path().join("data"));
        // Short stops, so that the tests that stop the system stay short.
        env.push(("SHUTDOWN_GRACE_MS".into(), "2000".into()));
        env.extend(extra.iter().map(|(key, value)| (key.to_string(), value.to_string())));
        let process = Process::spawn("supervisor", &testkit::binary("supervisor"), &[] as &[&str], data.path(), &env);
        Supervised { process, gateway: format!("http://127.0.0.1:{}", ports[0]), _data: data }
    }

    /// Spawns the supervisor and waits for its "running" banner.
    async fn start(extra: &[(&str, &str)]) -> Supervised {
        let mut supervised = Self::spawn(extra);
        supervised.process.wait_for_line("The concert discovery API is running", START).await;
        supervised
    }

    /// The pids the supervisor logged for `name`, oldest first.
    fn pids(&self, name: &str) -> Vec<u32> {
        let marker = format!(" {name} started (pid ");
        self.process
            .log_lines()
            .iter()
            .filter_map(|line| {
                let rest = &line[line.find(&marker)? + marker.len()..];
                rest.split(')').next()?.parse().ok()
            })
            .collect()
    }

    /// How many log lines contain `needle`.
    fn count(&self, needle: &str) -> usize {
        self.process.log_lines().iter().filter(|line| line.contains(needle)).count()
    }

    /// Waits up to `timeout` until `needle` has been logged `times` times.
    async fn wait_for_count(&self, needle: &str, times: usize, timeout: Duration) {
        let started = Instant::now();
        while self.count(needle) < times {
            assert!(
                started.elapsed() < timeout,
                "{needle:?} was not logged {times} times within {timeout:?}: {:#?}",
                self.process.log_lines()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        testkit::get(&format!("{}{path}", self.gateway)).await
    }

    /// Waits up to `timeout` until `path` answers `status`.
    async fn wait_for_status(&self, path: &str, status: StatusCode, timeout: Duration) -> Value {
        let started = Instant::now();
        loop {
            let (got, body) = self.get(path).await;
            if got == status {
                return body;
            }
            assert!(started.elapsed() < timeout, "{path} still answers {got} after {timeout:?}: {body}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn kill(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill").args([signal, &pid.to_string()]).status().unwrap();
    assert!(status.success(), "kill {signal} {pid}");
}

/// Whether `pid` is a live process (a zombie that nobody reaped counts as gone).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat.rsplit(')').next().map(|rest| rest.trim_start().starts_with(['R', 'S', 'D', 'T', 't'])))
        .unwrap_or(false)
}

async fn wait_gone(pid: u32, timeout: Duration) {
    let started = Instant::now();
    while alive(pid) {
        assert!(started.elapsed() < timeout, "process {pid} still runs after {timeout:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_killed_service_is_started_again_and_the_gateway_answers_the_rest_meanwhile() {
    // A restart pause of 1.5-3 s: long enough to look at the system without bands.
    let system = Supervised::start(&[("RESTART_BACKOFF_MIN_MS", "3000")]).await;
    let (status, before) = system.get("/concerts?bandIds=1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!before.as_array().unwrap().is_empty());
    let bands = system.pids("bands")[0];
    let gateway = system.pids("concerts-gateway");

    kill(bands, "-KILL");
    system.wait_for_count("bands exited (signal: 9 (SIGKILL))", 1, Duration::from_secs(5)).await;
    // (The gateway's cache of band names would still answer bandIds=1.)
    let (status, body) = system.get("/bands?q=muse").await;
    let messages = error_messages(status, &body, StatusCode::SERVICE_UNAVAILABLE);
    assert!(messages.iter().any(|m| m.contains("bands")), "the 503 names the missing service: {messages:?}");
    let (status, venues) = system.get("/venues?q=paris").await;
    assert_eq!(status, StatusCode::OK, "what needs no bands is answered: {venues}");
    let (status, ready) = system.get("/ready").await;
    let problems = error_messages(status, &ready, StatusCode::SERVICE_UNAVAILABLE);
    assert!(problems.iter().any(|p| p.contains("bands")), "not ready, because of bands: {problems:?}");

    system.wait_for_count("bands is ready", 2, Duration::from_secs(15)).await;
    let after = system.wait_for_status("/concerts?bandIds=1", StatusCode::OK, Duration::from_secs(10)).await;
    assert_eq!(after, before, "the restarted service serves the same data");
    system.wait_for_status("/ready", StatusCode::OK, Duration::from_secs(10)).await;
    assert_eq!(system.pids("bands").len(), 2);
    assert_ne!(system.pids("bands")[1], bands);
    assert_eq!(system.pids("concerts-gateway"), gateway, "the gateway recovers without a restart");
}

#[tokio::test]
async fn the_gateway_killed_under_load_is_started_again_and_the_services_are_untouched() {
    // The load comes from one client at up to 400 searches a second: past its rate limit.
    let system = Supervised::start(&[("RATE_LIMITS", "off")]).await;
    let services: Vec<u32> = ["bands", "venues", "concerts"].iter().map(|name| system.pids(name)[0]).collect();
    let gateway = system.pids("concerts-gateway")[0];

    // Four clients, 300 requests each at most, for 20 s at most.
    let url = format!("{}/concerts?latitude=48.857931&longitude=2.350144&radius=20", system.gateway);
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let load: Vec<_> = (0..4)
        .map(|_| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move {
                let (started, mut ok, mut failed) = (Instant::now(), 0, 0);
                for _ in 0..300 {
                    if started.elapsed() > Duration::from_secs(20) {
                        break;
                    }
                    match client.get(&url).send().await {
                        Ok(response) if response.status() == StatusCode::OK => ok += 1,
                        _ => failed += 1,
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                (ok, failed)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    kill(gateway, "-KILL");
    system.wait_for_count("concerts-gateway is ready", 2, Duration::from_secs(20)).await;
    let mut ok = 0;
    for task in load {
        ok += task.await.unwrap().0;
    }
    assert!(ok > 0, "the load was answered before and after the kill");

    let (status, body) = system.get("/concerts?latitude=48.857931&longitude=2.350144&radius=20").await;
    assert_eq!(status, StatusCode::OK, "the restarted gateway serves: {body}");
    assert!(!body.as_array().unwrap().is_empty());
    for (name, pid) in ["bands", "venues", "concerts"].iter().zip(&services) {
        assert_eq!(system.pids(name), vec![*pid], "{name} was not restarted");
        assert!(alive(*pid), "{name} still runs");
    }
    assert_eq!(system.count("exited"), 1, "only the gateway exited: {:#?}", system.process.log_lines());
}

#[tokio::test]
async fn a_process_that_keeps_failing_is_slowed_down_reported_and_started_once_it_can() {
    // Something else holds the bands port: bands exits at each start.
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = squatter.local_addr().unwrap().port().to_string();
    let system = Supervised::spawn(&[
        ("BANDS_HTTP_PORT", port.as_str()),
        ("RESTART_BACKOFF_MIN_MS", "100"),
        ("RESTART_BACKOFF_MAX_MS", "800"),
    ]);
    system.wait_for_count("bands keeps failing", 1, Duration::from_secs(30)).await;
    let reported_at = Instant::now();
    let starts_then = system.count(" bands started (pid ");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let starts = system.count(" bands started (pid ") - starts_then;
    // Pauses of 400-800 ms once the backoff is at its maximum: at most 10
    // starts in 4 s (a loop that spins would start hundreds), and at least 4.
    assert!((4..=11).contains(&starts), "{starts} starts of bands in {:?}", reported_at.elapsed());
    let exits =
        system.count("bands exited (exit status: 1)") + system.count("bands keeps failing: exited (exit status: 1)");
    assert!(exits >= 3, "each failed start is logged with its exit status: {:#?}", system.process.log_lines());
    assert!(system.count("restarting in") >= 3);

    drop(squatter);
    system.wait_for_count("bands is ready", 1, Duration::from_secs(10)).await;
    system.wait_for_status("/ready", StatusCode::OK, Duration::from_secs(20)).await;
    let mut system = system;
    system.process.wait_for_line("The concert discovery API is running", START).await;
    let (status, body) = system.get("/concerts?bandIds=1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn ctrl_c_and_sigterm_stop_every_process_and_exit_0() {
    for signal in ["-INT", "-TERM"] {
        let mut system = Supervised::start(&[]).await;
        let children: Vec<u32> =
            ["bands", "venues", "concerts", "concerts-gateway"].iter().map(|name| system.pids(name)[0]).collect();
        kill(system.process.id(), signal);
        let status = system.process.wait_exit(Duration::from_secs(30)).await.expect("the supervisor exits");
        assert!(status.success(), "{signal}: exit status {status}");
        for pid in children {
            assert!(!alive(pid), "{signal}: child {pid} outlived the supervisor");
        }
        assert_eq!(system.count("restarting in"), 0, "{signal}: a stop restarts nothing");
        let gateway_stopped = system.process.log_lines().iter().position(|l| l.contains("concerts-gateway stopped"));
        let bands_stopped = system.process.log_lines().iter().position(|l| l.contains("bands stopped ("));
        assert!(gateway_stopped < bands_stopped && gateway_stopped.is_some(), "{signal}: the gateway stops first");
    }
}

#[tokio::test]
async fn the_processes_die_with_the_supervisor_even_when_it_is_killed() {
    let mut system = Supervised::start(&[]).await;
    let children: Vec<u32> =
        ["bands", "venues", "concerts", "concerts-gateway"].iter().map(|name| system.pids(name)[0]).collect();
    system.process.kill().await;
    for pid in children {
        wait_gone(pid, Duration::from_secs(20)).await;
    }
}

#[tokio::test]
async fn a_port_of_0_is_refused_with_the_setting_named() {
    let mut system = Supervised::spawn(&[("VENUES_HTTP_PORT", "0")]);
    let status = system.process.wait_exit(Duration::from_secs(10)).await.expect("the supervisor exits");
    assert!(!status.success());
    let logs = system.process.log_lines().join("\n");
    assert!(logs.contains("VENUES_HTTP_PORT is 0"), "{logs}");
    assert!(!logs.contains("started (pid"), "nothing was started: {logs}");
}
