//! A newcomer's first hour, as the README tells it, with the real tools:
//! `make` writes `.env`, the system starts from it as `make start` starts it
//! (the supervisor), the seed tool imports a generated set with the token of
//! that `.env`, with nothing exported by hand; a `.env` that cannot be read
//! stops every binary, naming the line; `docker-compose` parses the compose
//! file and checks what the README says of it.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use testkit::{Process, binary, free_port, repo_root};

/// A folder laid out as a fresh clone is, for what `make token` and `make
/// start` read: the Makefile's `.env.example`, its scripts, the demo data.
pub(crate) fn a_clone() -> tempfile::TempDir {
    let clone = tempfile::tempdir().expect("a temporary folder");
    std::fs::copy(repo_root().join(".env.example"), clone.path().join(".env.example")).expect(".env.example");
    for shared in ["scripts", "data", "Makefile"] {
        std::os::unix::fs::symlink(repo_root().join(shared), clone.path().join(shared)).expect("a link");
    }
    clone
}

/// `make token` in `dir`: the Makefile's own recipe writes `.env`.
pub(crate) fn make_token(dir: &Path) {
    let made = Command::new("make")
        .arg("token")
        .current_dir(dir)
        .env_remove("IMPORT_TOKEN")
        .env_remove("WRITE_TOKENS")
        .output()
        .expect("make");
    assert!(made.status.success(), "make token: {}", String::from_utf8_lossy(&made.stderr));
}

/// `.env` with `NAME=value` lines changed, as a person edits it.
pub(crate) fn edit_env(dir: &Path, changes: &[(&str, String)]) {
    let path = dir.join(".env");
    let text = std::fs::read_to_string(&path).expect(".env");
    let edited: Vec<String> = text
        .lines()
        .map(|line| {
            let name = line.split('=').next().unwrap_or_default();
            match changes.iter().find(|(changed, _)| *changed == name) {
                Some((_, value)) => format!("{name}={value}"),
                None => line.to_owned(),
            }
        })
        .collect();
    std::fs::write(&path, edited.join("\n") + "\n").expect(".env is written");
}

#[tokio::test]
async fn make_start_then_make_seed_works_from_the_env_make_writes() {
    let clone = a_clone();
    let dir = clone.path();
    make_token(dir);
    let env = std::fs::read_to_string(dir.join(".env")).unwrap();
    let token = env.lines().find_map(|line| line.strip_prefix("IMPORT_TOKEN=")).expect("make wrote a token").to_owned();
    assert_eq!(token.len(), 64, "256 random bits");
    // The person moves the ports (others may be taken on this machine).
    let ports = [0; 4].map(|_| free_port());
    let names = ["GATEWAY_HTTP_PORT", "BANDS_HTTP_PORT", "VENUES_HTTP_PORT", "CONCERTS_HTTP_PORT"];
    edit_env(dir, &names.iter().zip(ports).map(|(name, port)| (*name, port.to_string())).collect::<Vec<_>>());

    // make start: the supervisor, in the clone, reading .env.
    let mut system = Process::spawn_as_a_person("make start", &binary("supervisor"), &[] as &[&str], dir);
    system.wait_for_line("The concert discovery API is running", Duration::from_secs(60)).await;
    assert!(
        !system.log_lines().iter().any(|line| line.contains("IMPORT_TOKEN is not set")),
        "the token of .env is used, not a throwaway one"
    );
    let gateway = format!("http://127.0.0.1:{}", ports[0]);
    let (_, demo) = testkit::get(&format!("{gateway}/concerts?bandIds=1,2")).await;
    assert_eq!(demo.as_array().map(Vec::len), Some(26), "the demo data is in");

    // make generate, then make seed DIR=var/generated: nothing exported.
    let generated = Command::new(binary("generate"))
        .args(["--out", "var/generated", "--bands", "40", "--venues", "6", "--concerts", "120", "--seed", "5"])
        .current_dir(dir)
        .output()
        .expect("generate runs");
    assert!(generated.status.success(), "generate: {}", String::from_utf8_lossy(&generated.stderr));
    let mut seed = Process::spawn_as_a_person("make seed", &binary("seed"), &["--dir", "var/generated"], dir);
    let status = seed.wait_exit(Duration::from_secs(60)).await.expect("the seed tool ends");
    assert!(status.success(), "make seed: {status}: {:#?}", seed.log_lines());

    // The answers hold the imported concerts: every concert of a generated band.
    let read = |file: &str| -> Vec<Value> {
        serde_json::from_slice(&std::fs::read(dir.join("var/generated").join(file)).unwrap()).unwrap()
    };
    let (bands, venues, concerts) = (read("bands.json"), read("venues.json"), read("concerts.json"));
    let band = concerts[0]["bandId"].as_i64().unwrap();
    let name = bands.iter().find(|b| b["id"] == band).unwrap()["name"].clone();
    let theirs: Vec<&Value> = concerts.iter().filter(|c| c["bandId"] == band).collect();
    let all_answered = |answer: &Value| {
        theirs.iter().all(|concert| {
            let venue = venues.iter().find(|v| v["id"] == concert["venueId"]).unwrap();
            answer.as_array().into_iter().flatten().any(|item| {
                item["date"] == concert["date"] && item["band"] == name && item["location"] == venue["name"]
            })
        })
    };
    // The gateway learns of an import within its data versions' time to live
    // (DATA_VERSION_TTL_MS, 1 s): until then it may show a band's former name.
    let mut answer = Value::Null;
    for _ in 0..50 {
        answer = testkit::get(&format!("{gateway}/concerts?bandIds={band}")).await.1;
        if all_answered(&answer) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(all_answered(&answer), "every imported concert of band {band} is answered: {answer}");

    // The editor's token that make wrote writes through the API, and the write shows at once.
    let editor = env.lines().find_map(|line| line.strip_prefix("WRITE_TOKENS=editor=")).expect("make wrote an editor");
    assert_eq!(editor.len(), 64, "256 random bits");
    let concert = json!({"band": {"name": "The First Hour"}, "venueId": 1, "date": "2027-06-01T20:30:00Z"});
    let made =
        reqwest::Client::new().post(format!("{gateway}/concerts")).bearer_auth(editor).json(&concert).send().await;
    let made = made.expect("the gateway answers");
    assert_eq!(made.status(), reqwest::StatusCode::CREATED);
    let band = made.json::<Value>().await.unwrap()["bandId"].clone();
    let (_, found) = testkit::get(&format!("{gateway}/concerts?bandIds={band}")).await;
    assert_eq!(found[0]["band"], "The First Hour", "{found}");
    system.interrupt();
    let stopped = system.wait_exit(Duration::from_secs(30)).await.expect("Ctrl-C stops it");
    assert!(stopped.success());
}

/// Every binary reads `.env` before anything else: one it cannot read stops
/// it at once, with one line naming the file, the line and what to do.
#[test]
fn a_env_that_cannot_be_read_stops_every_binary_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "# mine\nRUST_LOG=info\nMAP_TILE_ATTRIBUTION=© OpenStreetMap contributors\n",
    )
    .unwrap();
    for name in ["bands", "venues", "concerts", "concerts-gateway", "seed", "supervisor"] {
        let ran = Command::new(binary(name))
            .current_dir(dir.path())
            .env_remove("MAP_TILE_ATTRIBUTION")
            .output()
            .expect("the binary runs");
        let said = String::from_utf8_lossy(&ran.stderr);
        assert_eq!(ran.status.code(), Some(2), "{name} stops: {said}");
        assert!(said.contains(".env line 3") && said.contains("OpenStreetMap"), "{name} names the line: {said}");
        assert_eq!(said.trim().lines().count(), 1, "{name}: one line: {said}");
    }
}

/// `docker-compose config` parses the compose file on a fresh clone (no
/// `.env`: the tokens resolve empty, which the processes take as "refuse
/// every import and edit") and as `make start-docker` gives it the tokens;
/// and the file holds what the README says: the four apps each on their own
/// MongoDB (a replica set, for transactions), only the gateway published,
/// health checks on `/ready`, the tokens given to who checks them.
#[test]
fn docker_compose_parses_the_compose_file_and_wires_what_the_readme_says() {
    let Some(compose) = compose_tool() else { return };
    let empty = tempfile::tempdir().unwrap();
    let env_file = empty.path().join("none.env");
    std::fs::write(&env_file, "").unwrap();
    let config = |tokens: &[(&str, &str)]| {
        let mut command = Command::new(&compose.command[0]);
        command.args(&compose.command[1..]).arg("-f").arg(repo_root().join("docker-compose.yaml"));
        command.arg("--env-file").arg(&env_file).arg("config").args(compose.as_json);
        command.env_remove("IMPORT_TOKEN").env_remove("WRITE_TOKENS").envs(tokens.iter().copied());
        command.output().expect("the compose tool runs")
    };
    let import = ("IMPORT_TOKEN", "compose-check-token");
    let write = ("WRITE_TOKENS", "editor=compose-editor-token");
    let bare = config(&[]);
    assert!(bare.status.success(), "a fresh clone's compose file parses: {}", String::from_utf8_lossy(&bare.stderr));
    let bare = compose.read(&bare.stdout);
    for service in ["bands", "venues", "concerts", "concerts-gateway"] {
        let env = &bare["services"][service]["environment"];
        for token in ["IMPORT_TOKEN", "WRITE_TOKENS"] {
            assert!(env[token].as_str().is_none_or(str::is_empty), "{service}: {token} unset, not made up: {env}");
        }
    }

    let resolved = config(&[import, write]);
    assert!(resolved.status.success(), "{}", String::from_utf8_lossy(&resolved.stderr));
    let file = compose.read(&resolved.stdout);
    let services = file["services"].as_object().expect("services");
    let mut names: Vec<&str> = services.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "bands",
            "bands-mongo",
            "concerts",
            "concerts-gateway",
            "concerts-mongo",
            "nats",
            "seed",
            "venues",
            "venues-mongo"
        ]
    );
    for (name, service) in services {
        let published = service.get("ports").is_some();
        assert_eq!(published, name == "concerts-gateway", "{name}: only the gateway is published");
    }
    for service in ["bands", "venues", "concerts"] {
        let env = &services[service]["environment"];
        assert_eq!(env["IMPORT_TOKEN"], "compose-check-token", "{service} checks the import token");
        assert_eq!(env["WRITE_TOKENS"], "editor=compose-editor-token", "{service} checks the editors' tokens");
        let uri = env[format!("{}_MONGODB_URI", service.to_uppercase())].as_str().unwrap_or_default();
        assert!(uri.starts_with(&format!("mongodb://{service}-mongo:27017/")), "{service} owns its MongoDB: {uri}");
        assert!(uri.contains("directConnection=true"), "{service} connects to its member directly: {uri}");
        let mongo = services[&format!("{service}-mongo")]["command"].to_string();
        assert!(mongo.contains("--replSet"), "{service}'s MongoDB is a replica set (transactions): {mongo}");
        let initiated = services[&format!("{service}-mongo")]["healthcheck"]["test"].to_string();
        assert!(initiated.contains("rs.initiate()"), "its healthcheck initiates the set: {initiated}");
    }
    assert_eq!(services["seed"]["environment"]["IMPORT_TOKEN"], "compose-check-token", "the seed sends it");
    assert!(services["seed"]["environment"].get("WRITE_TOKENS").is_none(), "the seed edits nothing");
    let gateway = &services["concerts-gateway"]["environment"];
    assert_eq!(gateway["WRITE_TOKENS"], "editor=compose-editor-token", "the gateway checks the editors' tokens");
    for app in ["bands", "venues", "concerts", "concerts-gateway"] {
        let check = services[app]["healthcheck"]["test"].to_string();
        assert!(check.contains("GET /ready"), "{app} is healthy once ready: {check}");
    }
    for (service, url) in
        [("bands", "http://bands:3001"), ("venues", "http://venues:3002"), ("concerts", "http://concerts:3003")]
    {
        let variable = format!("{}_SERVICE_URL", service.to_uppercase());
        assert_eq!(services["concerts-gateway"]["environment"][&variable], url);
        assert_eq!(services["concerts-gateway"]["depends_on"][service]["condition"], "service_healthy");
    }
}

/// A compose tool, and how to read what its `config` prints.
struct Compose {
    command: Vec<String>,
    /// `--format json` where the tool has it (the compose plugin).
    as_json: &'static [&'static str],
    /// Else the Python that runs the tool (Debian's docker-compose), whose
    /// YAML parser reads it.
    python: Option<Vec<String>>,
}

impl Compose {
    fn read(&self, printed: &[u8]) -> Value {
        let Some(python) = &self.python else { return serde_json::from_slice(printed).expect("JSON") };
        use std::io::Write;
        let mut reader = Command::new(&python[0])
            .args(&python[1..])
            .args(["-c", "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the compose tool's Python runs");
        reader.stdin.take().expect("stdin").write_all(printed).expect("the YAML is written");
        let output = reader.wait_with_output().expect("it ends");
        assert!(output.status.success(), "{python:?} reads the compose tool's YAML");
        serde_json::from_slice(&output.stdout).expect("JSON")
    }
}

/// The compose tool (the `docker compose` plugin, or Debian's
/// `docker-compose`), or `None` after saying why the test is skipped
/// (`.ci/run` installs it).
fn compose_tool() -> Option<Compose> {
    let works = |tool: &[&str]| {
        Command::new(tool[0]).args(&tool[1..]).arg("version").output().is_ok_and(|o| o.status.success())
    };
    if works(&["docker", "compose"]) {
        let command = vec!["docker".to_owned(), "compose".to_owned()];
        return Some(Compose { command, as_json: &["--format", "json"], python: None });
    }
    if works(&["docker-compose"]) {
        let path =
            String::from_utf8(Command::new("sh").args(["-c", "command -v docker-compose"]).output().ok()?.stdout)
                .ok()?;
        let script = std::fs::read_to_string(path.trim()).unwrap_or_default();
        let shebang = script.lines().next().and_then(|line| line.strip_prefix("#!"));
        let python = shebang.map(|line| line.split_whitespace().map(str::to_owned).collect());
        return Some(Compose { command: vec!["docker-compose".to_owned()], as_json: &[], python });
    }
    assert!(std::env::var_os("CI").is_none(), "no compose tool, and CI needs every test to run");
    println!("docker-compose.yaml: skipped — no compose tool (apt-get install docker-compose; .ci/run does)");
    None
}
