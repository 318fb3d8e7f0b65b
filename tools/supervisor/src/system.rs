//! The whole system under one supervisor: which programs, with which
//! settings; the start (services and gateway supervised, the demo data
//! imported once all are ready, the URLs printed); and the stop, gateway
//! first so that no request reaches a service that is already gone.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::program::Program;
use crate::supervise::{Policy, supervise};

/// A process is given this long on top of its own shutdown grace to exit.
const EXIT_MARGIN: Duration = Duration::from_secs(5);

/// Runs the system until Ctrl-C or SIGTERM, then stops it.
pub async fn run(settings: bootstrap::settings::Supervisor) -> anyhow::Result<()> {
    let bin_dir = bin_dir(settings.bin_dir.as_deref())?;
    let host = probe_host(settings.listen.bind_address);
    let mut env = vec![("BIND_ADDRESS", settings.listen.bind_address.to_string())];
    let ports = [
        ("GATEWAY_HTTP_PORT", settings.gateway_port.port),
        ("BANDS_HTTP_PORT", settings.bands_port.port),
        ("VENUES_HTTP_PORT", settings.venues_port.port),
        ("CONCERTS_HTTP_PORT", settings.concerts_port.port),
    ];
    for (variable, port) in ports {
        if port == 0 {
            bail!("{variable} is 0: the supervisor probes each process on its port, so every port must be given");
        }
        env.push((variable, port.to_string()));
    }
    if settings.import.token().is_none() {
        tracing::warn!(
            "IMPORT_TOKEN is not set: this run uses a random one, forgotten when it stops \
             (make creates a lasting one in .env)"
        );
        env.push(("IMPORT_TOKEN", random_token()?));
    }
    let binary = |name: &str| -> anyhow::Result<PathBuf> {
        let binary = bin_dir.join(name);
        if !binary.is_file() {
            bail!("{} is missing: build the binaries first (make does)", binary.display());
        }
        Ok(binary)
    };
    let program = |name: &'static str, port: u16| -> anyhow::Result<Program> {
        Ok(Program { name, binary: binary(name)?, url: format!("http://{host}:{port}"), env: env.clone() })
    };
    let services = [
        program("bands", settings.bands_port.port)?,
        program("venues", settings.venues_port.port)?,
        program("concerts", settings.concerts_port.port)?,
    ];
    let gateway = program("concerts-gateway", settings.gateway_port.port)?;
    let seed = binary("seed")?;

    let policy = Policy {
        backoff_min: Duration::from_millis(settings.restart_backoff_min_ms),
        backoff_max: Duration::from_millis(settings.restart_backoff_max_ms),
        start_timeout: Duration::from_millis(settings.start_timeout_ms),
        stop_grace: settings.limits.shutdown_grace() + EXIT_MARGIN,
    };
    let stop_services = CancellationToken::new();
    let stop_gateway = CancellationToken::new();
    let mut ready = Vec::new();
    let mut start = |program: Program, stop: &CancellationToken| -> JoinHandle<()> {
        let (is_ready, watch_ready) = watch::channel(false);
        ready.push(watch_ready);
        tokio::spawn(supervise(program, policy, is_ready, stop.clone()))
    };
    let service_tasks: Vec<JoinHandle<()>> =
        services.into_iter().map(|service| start(service, &stop_services)).collect();
    let gateway_task = start(gateway, &stop_gateway);

    let started = async {
        for mut process in ready {
            let _ = process.wait_for(|ready| *ready).await;
        }
        import_demo_data(&seed, &env, &settings.demo_data_dir).await;
        print_urls(&host, &settings);
        std::future::pending::<()>().await;
    };
    tokio::select! {
        () = bootstrap::shutdown_signal() => {},
        () = started => {},
    }

    tracing::info!("stopping the gateway, then the services");
    stop_gateway.cancel();
    let _ = gateway_task.await;
    stop_services.cancel();
    for task in service_tasks {
        let _ = task.await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// Where the binaries are: as given, else the supervisor's own folder.
fn bin_dir(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = given {
        return Ok(dir.to_path_buf());
    }
    let exe = std::env::current_exe().context("cannot find the supervisor's own path")?;
    exe.parent().map(Path::to_path_buf).context("the supervisor's path has no folder")
}

/// The address to probe a process listening on `bind`.
fn probe_host(bind: IpAddr) -> String {
    match bind {
        IpAddr::V4(address) if address.is_unspecified() => "127.0.0.1".into(),
        IpAddr::V6(address) if address.is_unspecified() => "[::1]".into(),
        IpAddr::V4(address) => address.to_string(),
        IpAddr::V6(address) => format!("[{address}]"),
    }
}

/// 256 random bits from the operating system, as hex.
fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| anyhow::anyhow!("no random bytes for IMPORT_TOKEN: {error}"))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// Imports the demo data when the stores are empty. A failure is logged and
/// the system keeps running: it serves whatever its stores hold.
async fn import_demo_data(seed: &Path, env: &[(&'static str, String)], dir: &Path) {
    if dir.as_os_str().is_empty() {
        return;
    }
    let mut command = tokio::process::Command::new(seed);
    command.arg("--dir").arg(dir).arg("--if-empty").kill_on_drop(true);
    command.envs(env.iter().map(|(key, value)| (key, value)));
    match command.status().await {
        Ok(status) if status.success() => {}
        Ok(status) => tracing::error!("the demo data in {} was not imported: seed {status}", dir.display()),
        Err(error) => tracing::error!("the demo data was not imported: cannot run {}: {error}", seed.display()),
    }
}

fn print_urls(host: &str, settings: &bootstrap::settings::Supervisor) {
    let gateway = format!("http://{host}:{}", settings.gateway_port.port);
    println!(
        "\nThe concert discovery API is running:\n  \
         search page {gateway}/\n  \
         API         {gateway}/concerts?bandIds=1,2\n  \
         Swagger UI  {gateway}/api\n  \
         OpenAPI     {gateway}/api-json\n  \
         services    bands :{}, venues :{}, concerts :{}\n\
         A process that dies is started again. Press Ctrl-C to stop.\n",
        settings.bands_port.port, settings.venues_port.port, settings.concerts_port.port,
    );
}
