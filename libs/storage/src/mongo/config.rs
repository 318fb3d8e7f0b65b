//! Which MongoDB a service uses, from its own settings.

use std::time::Duration;

use mongodb::options::{ClientOptions, ConnectionString};

/// How long an operation waits for a reachable server before it fails (the
/// driver's own default is 30 s). Short, so that a request answers 503 while
/// the database is down instead of hanging; a URI's `serverSelectionTimeoutMS` wins.
pub const DEFAULT_SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(2);

/// A connection string the driver cannot read (the reason names the part at
/// fault; the URI itself is not repeated: it may carry a password).
#[derive(Debug, thiserror::Error)]
#[error("not a usable MongoDB connection string: {0}")]
pub struct InvalidUri(String);

/// A service's MongoDB: the connection string and the database it owns.
#[derive(Debug, Clone, PartialEq)]
pub struct MongoConfig {
    pub uri: String,
    pub database: String,
}

impl MongoConfig {
    /// The service's MongoDB when its settings give a connection string
    /// (`<SERVICE>_MONGODB_URI`, e.g. `BANDS_MONGODB_URI`), or `None`: the
    /// service then keeps its SQLite file. The database is `database`
    /// (`<SERVICE>_MONGODB_DATABASE`), else the URI's path, else the service's name.
    pub fn for_service(uri: Option<&str>, database: Option<&str>, service: &str) -> Result<Option<Self>, InvalidUri> {
        uri.map(|uri| Self::new(uri, database, service)).transpose()
    }

    /// Checks `uri` and picks the database: `database`, else the URI's, else `default_database`.
    pub fn new(uri: &str, database: Option<&str>, default_database: &str) -> Result<Self, InvalidUri> {
        let parsed = ConnectionString::parse(uri).map_err(|e| InvalidUri(e.kind.to_string()))?;
        let database = database.map(str::to_owned).or(parsed.default_database).unwrap_or(default_database.to_owned());
        Ok(Self { uri: uri.to_owned(), database })
    }

    /// The driver's options with the product's defaults where the URI says nothing.
    pub(crate) fn with_defaults(&self, mut options: ClientOptions) -> ClientOptions {
        options.server_selection_timeout.get_or_insert(DEFAULT_SERVER_SELECTION_TIMEOUT);
        options.app_name.get_or_insert_with(|| self.database.clone());
        options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_is_the_explicit_one_then_the_uris_then_the_services() {
        let pick = |uri: &str, database: Option<&str>| MongoConfig::new(uri, database, "bands").unwrap().database;
        assert_eq!(pick("mongodb://db:27017/catalogue", Some("bands_eu")), "bands_eu");
        assert_eq!(pick("mongodb://db:27017/catalogue?retryWrites=true", None), "catalogue");
        assert_eq!(pick("mongodb://db:27017", None), "bands");
        assert_eq!(pick("mongodb://db:27017/?replicaSet=rs0", None), "bands");
    }

    #[test]
    fn a_malformed_uri_is_refused() {
        assert!(MongoConfig::new("postgres://db", None, "bands").is_err());
        assert!(MongoConfig::new("mongodb://db:99999", None, "bands").is_err());
    }

    #[tokio::test]
    async fn the_selection_timeout_defaults_short_unless_the_uri_sets_it() {
        async fn options(uri: &str) -> ClientOptions {
            let config = MongoConfig::new(uri, None, "bands").unwrap();
            config.with_defaults(ClientOptions::parse(uri).await.unwrap())
        }
        let default = options("mongodb://db:27017").await;
        assert_eq!(default.server_selection_timeout, Some(DEFAULT_SERVER_SELECTION_TIMEOUT));
        assert_eq!(default.app_name.as_deref(), Some("bands"));
        let set = options("mongodb://db:27017/?serverSelectionTimeoutMS=500&appName=ops").await;
        assert_eq!(set.server_selection_timeout, Some(Duration::from_millis(500)));
        assert_eq!(set.app_name.as_deref(), Some("ops"));
    }
}
