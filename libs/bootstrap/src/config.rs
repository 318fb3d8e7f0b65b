//! Typed configuration from environment variables, with safe defaults and
//! errors that name the variable.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;

#[derive(Debug, thiserror::Error)]
#[error("environment variable {name}={value:?} is invalid: {reason}")]
pub struct ConfigError {
    pub name: String,
    pub value: String,
    pub reason: String,
}

/// The variable `name` parsed as `T`, or `default` when it is unset or empty.
pub fn env_or<T>(name: &str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => value.trim().parse().map_err(|e: T::Err| ConfigError {
            name: name.to_owned(),
            value,
            reason: e.to_string(),
        }),
        _ => Ok(default),
    }
}

/// Where a process listens: `BIND_ADDRESS` (default 127.0.0.1, never all
/// interfaces unless asked) and its own port variable. Port 0 picks a free port.
pub fn listen_address(port_variable: &str, default_port: u16) -> Result<SocketAddr, ConfigError> {
    let ip: IpAddr = env_or("BIND_ADDRESS", IpAddr::from([127, 0, 0, 1]))?;
    let port: u16 = env_or(port_variable, default_port)?;
    Ok(SocketAddr::new(ip, port))
}

/// Where an entity service listens and keeps its SQLite file.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub address: SocketAddr,
    /// The service's own database file, under `DATA_DIR` (default `var/data`).
    pub database: PathBuf,
}

impl ServiceConfig {
    pub fn from_env(port_variable: &str, default_port: u16, database_file: &str) -> Result<Self, ConfigError> {
        let data_dir: PathBuf = env_or("DATA_DIR", PathBuf::from("var/data"))?;
        Ok(Self { address: listen_address(port_variable, default_port)?, database: data_dir.join(database_file) })
    }
}

/// A service's base URL as its clients see it: `url_variable` if set,
/// otherwise the service on this machine at its configured port.
pub fn service_url(url_variable: &str, port_variable: &str, default_port: u16) -> Result<String, ConfigError> {
    let port: u16 = env_or(port_variable, default_port)?;
    let url: String = env_or(url_variable, format!("http://127.0.0.1:{port}"))?;
    Ok(url.trim_end_matches('/').to_owned())
}
