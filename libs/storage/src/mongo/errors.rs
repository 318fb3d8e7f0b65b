//! The driver's failures as the product's [`StoreError`]: what a retry later may
//! fix (no server, network, a node stepping down or shutting down) is
//! `Unavailable` (503); a server out of disk space is `Full` (507); everything
//! else is `Backend` (500).

use exceptions::StoreError;
use mongodb::error::{Error, ErrorKind, RETRYABLE_ERROR, RETRYABLE_WRITE_ERROR, SYSTEM_OVERLOADED_ERROR};

/// Server codes that say "not now" rather than "wrong": host unreachable or not
/// found, write concern not met in time, network timeout, shutdown, majority
/// read not yet available, primary stepped down, time limit exceeded, socket
/// exception, not writable primary, interrupted, node recovering.
const TRANSIENT_CODES: [i32; 15] = [6, 7, 64, 89, 91, 134, 189, 262, 9001, 10058, 10107, 11600, 11602, 13435, 13436];

pub fn classify(error: Error) -> StoreError {
    classify_in("MongoDB", error)
}

/// The server's code for a write that found no disk space.
const OUT_OF_DISK_SPACE: i32 = 14031;

/// [`classify`], saying what was being done.
pub fn classify_in(operation: &str, error: Error) -> StoreError {
    if matches!(error.kind.as_ref(), ErrorKind::Command(command) if command.code == OUT_OF_DISK_SPACE) {
        return StoreError::full(operation, error);
    }
    let transient =
        match error.kind.as_ref() {
            ErrorKind::ServerSelection { .. }
            | ErrorKind::Io(_)
            | ErrorKind::ConnectionPoolCleared { .. }
            | ErrorKind::DnsResolve { .. }
            | ErrorKind::Shutdown => true,
            ErrorKind::Command(command) => is_transient_code(command.code),
            _ => false,
        } || [RETRYABLE_ERROR, RETRYABLE_WRITE_ERROR, SYSTEM_OVERLOADED_ERROR].iter().any(|l| error.contains_label(l));
    if transient { StoreError::unavailable(operation, error) } else { StoreError::backend(operation, error) }
}

pub(crate) fn is_transient_code(code: i32) -> bool {
    TRANSIENT_CODES.contains(&code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::{doc, from_document};
    use mongodb::error::CommandError;
    use std::sync::Arc;

    fn command_error(code: i32, name: &str) -> Error {
        let command: CommandError = from_document(doc! { "code": code, "codeName": name, "errmsg": name }).unwrap();
        Error::from(ErrorKind::Command(command))
    }

    #[test]
    fn network_and_failover_are_unavailable() {
        let refused = Error::from(ErrorKind::Io(Arc::new(std::io::ErrorKind::ConnectionRefused.into())));
        assert!(matches!(classify(refused), StoreError::Unavailable { .. }));
        assert!(matches!(classify(command_error(10107, "NotWritablePrimary")), StoreError::Unavailable { .. }));
        assert!(matches!(classify(command_error(11600, "InterruptedAtShutdown")), StoreError::Unavailable { .. }));
    }

    #[test]
    fn wrong_requests_are_backend_failures() {
        assert!(matches!(classify(command_error(2, "BadValue")), StoreError::Backend { .. }));
        assert!(matches!(classify(command_error(85, "IndexOptionsConflict")), StoreError::Backend { .. }));
        assert!(matches!(classify(command_error(13, "Unauthorized")), StoreError::Backend { .. }));
        assert!(matches!(classify(command_error(14031, "OutOfDiskSpace")), StoreError::Full { .. }));
    }
}
