//! How a process ends: an error that stops it (a store it cannot open, a port
//! it cannot bind) is logged with its whole chain of causes, as every other
//! error line is, before the process exits with a failure status.

use std::process::ExitCode;

/// The exit status for a process whose run ended with `result`.
pub fn exit_status(service: &str, result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(service, error = format!("{error:#}"), "cannot run, exiting");
            ExitCode::FAILURE
        }
    }
}
