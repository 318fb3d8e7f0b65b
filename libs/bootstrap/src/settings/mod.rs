//! Every setting of the product, declared once: its environment variable,
//! its command-line flag, its default, the values it accepts and one line of
//! help, with clap's derive. Each binary parses its own struct from here
//! ([`Gateway`], [`Bands`], [`Venues`], [`Concerts`], [`Seed`],
//! [`Supervisor`]), so `--help` lists exactly what it reads, from its own
//! side (a port is where a service listens, where a client calls it, where
//! the supervisor starts it). `.env.example` and the table of
//! `docs/configuration.md` are checked against these declarations by the tests.
//!
//! Values come from the command line, then the environment, then `.env`
//! (loaded into the environment before parsing: a `.env` that cannot be read
//! stops the binary, naming the line), then the default here. The apps turn
//! these plain values into their own types (timeouts, policies).

mod gateway;
mod groups;

mod env_file;

pub use env_file::{EnvFileError, load_env, read_file};
pub use gateway::{Browsers, Caching, DownstreamCalls, Gateway, Networks, Quota, RateLimits, Switch};
pub use groups::{
    BandsCalledAt, BandsMongoDb, BandsPort, BandsStartedOn, BandsUrl, ChangeRetention, ConcertsCalledAt,
    ConcertsMongoDb, ConcertsPort, ConcertsStartedOn, ConcertsUrl, DataDir, Edits, Events, GatewayPort,
    GatewayStartedOn, ImportAs, ImportTokenPassedOn, Imports, Limits, Listen, LogFormat, Logging, MongoDb,
    ReferencedServices, ServicePort, ServiceUrls, VenuesCalledAt, VenuesMongoDb, VenuesPort, VenuesStartedOn,
    VenuesUrl,
};

use clap::{Args, CommandFactory, FromArgMatches, Parser};

/// The settings of one binary.
pub trait Settings: Parser {
    /// The binary's name, as `--help` shows it.
    const BINARY: &'static str;
    /// What the binary is, in one line.
    const ABOUT: &'static str;

    /// The binary's command line: every setting as a flag and a variable.
    fn binary_command() -> clap::Command {
        <Self as CommandFactory>::command().name(Self::BINARY).bin_name(Self::BINARY).about(Self::ABOUT)
    }

    /// The settings from `args` (the first is the binary's name), then the environment, then the defaults.
    fn from_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = Self::binary_command().try_get_matches_from(args)?;
        Self::from_arg_matches(&matches)
    }

    /// The settings of this process, `.env` included; on a `.env` that
    /// cannot be read or a bad value, prints which line or setting and why
    /// (or `--help`) and exits.
    fn load() -> Self {
        load_env_or_exit(Self::BINARY);
        Self::from_args(std::env::args_os()).unwrap_or_else(|error| error.exit())
    }

    /// Every setting at its default, whatever the environment says (tests
    /// start from these and change what they need).
    fn defaults() -> Self {
        let command = without_environment(Self::binary_command());
        let matches = command.try_get_matches_from([Self::BINARY]).expect("every setting has a usable default");
        Self::from_arg_matches(&matches).expect("defaults are valid settings")
    }
}

/// [`load_env`], or, when `.env` cannot be read, one line that says which
/// file, which line and why, and exit status 2 (as for a bad setting): a
/// binary never runs on its defaults while a person's `.env` is ignored.
pub fn load_env_or_exit(binary: &str) {
    if let Err(error) = load_env() {
        eprintln!("{binary}: {error}");
        std::process::exit(2);
    }
}

/// `command` reading nothing from the environment.
fn without_environment(command: clap::Command) -> clap::Command {
    command.mut_args(|arg| arg.env(None::<&str>))
}

/// The defaults of one group of settings, whatever the environment says.
pub fn defaults<T: Args + FromArgMatches>() -> T {
    let command = without_environment(T::augment_args(clap::Command::new("defaults")));
    let matches = command.try_get_matches_from(["defaults"]).expect("every setting has a usable default");
    T::from_arg_matches(&matches).expect("defaults are valid settings")
}

impl Settings for Gateway {
    const BINARY: &'static str = "concerts-gateway";
    const ABOUT: &'static str = "The public concert discovery API: validates, fans out to the services, joins";
}

/// The settings of one entity service: where it listens, what it accepts,
/// how it logs, and where its data is (SQLite under `DATA_DIR`, or its own
/// MongoDB database when `<SERVICE>_MONGODB_URI` is set).
#[derive(Debug, Clone, Parser)]
pub struct Service<P: Args + ServicePort, M: Args + MongoDb> {
    #[command(flatten)]
    pub port: P,
    #[command(flatten)]
    pub listen: Listen,
    #[command(flatten)]
    pub limits: Limits,
    #[command(flatten)]
    pub logging: Logging,
    #[command(flatten)]
    pub data: DataDir,
    #[command(flatten)]
    pub mongodb: M,
    #[command(flatten)]
    pub imports: Imports,
    #[command(flatten)]
    pub edits: Edits,
    #[command(flatten)]
    pub changes: ChangeRetention,
    #[command(flatten)]
    pub events: Events,
}

/// `bands`: the bands service.
pub type Bands = Service<BandsPort, BandsMongoDb>;
/// `venues`: the venues service.
pub type Venues = Service<VenuesPort, VenuesMongoDb>;
/// `concerts`: the concerts service, and where the services whose records
/// its concerts name are (it follows their change logs).
#[derive(Debug, Clone, Parser)]
pub struct Concerts {
    #[command(flatten)]
    pub service: Service<ConcertsPort, ConcertsMongoDb>,
    #[command(flatten)]
    pub referenced: ReferencedServices,
}

impl Settings for Bands {
    const BINARY: &'static str = "bands";
    const ABOUT: &'static str = "The bands service: the only owner of the bands database";
}

impl Settings for Venues {
    const BINARY: &'static str = "venues";
    const ABOUT: &'static str = "The venues service: the only owner of the venues database";
}

impl Settings for Concerts {
    const BINARY: &'static str = "concerts";
    const ABOUT: &'static str = "The concerts service: the only owner of the concerts database";
}

/// `seed`: where the services it imports into are, and the token they ask for.
#[derive(Debug, Clone, Args)]
pub struct Seed {
    #[command(flatten)]
    pub services: ServiceUrls,
    #[command(flatten)]
    pub import: ImportAs,
}

/// `supervisor`: runs the four processes (what `make start` does), restarts
/// the ones that die, imports the demo data into empty stores.
#[derive(Debug, Clone, Parser)]
pub struct Supervisor {
    #[command(flatten)]
    pub gateway_port: GatewayStartedOn,
    #[command(flatten)]
    pub bands_port: BandsStartedOn,
    #[command(flatten)]
    pub venues_port: VenuesStartedOn,
    #[command(flatten)]
    pub concerts_port: ConcertsStartedOn,
    #[command(flatten)]
    pub listen: Listen,
    #[command(flatten)]
    pub limits: Limits,
    #[command(flatten)]
    pub logging: Logging,
    #[command(flatten)]
    pub import: ImportTokenPassedOn,
    /// The data that make start imports when the stores are empty (empty: none)
    // Read as any OS string: clap's path parser refuses an empty one, which here means "none".
    #[arg(long, env = "DEMO_DATA_DIR", default_value = "data/wemaintain",
          value_parser = clap::builder::TypedValueParser::map(clap::builder::OsStringValueParser::new(), std::path::PathBuf::from))]
    pub demo_data_dir: std::path::PathBuf,
    /// The first pause before a process that died is started again, in ms; it doubles with each failed start
    #[arg(long, env = "RESTART_BACKOFF_MIN_MS", default_value_t = 250, value_parser = clap::value_parser!(u64).range(1..))]
    pub restart_backoff_min_ms: u64,
    /// The longest pause between two starts of a process that keeps failing, in ms
    #[arg(long, env = "RESTART_BACKOFF_MAX_MS", default_value_t = 30000, value_parser = clap::value_parser!(u64).range(1..))]
    pub restart_backoff_max_ms: u64,
    /// How long a process may take to answer /health and then /ready after it starts, in ms; then it is restarted
    #[arg(long, env = "START_TIMEOUT_MS", default_value_t = 60000, value_parser = clap::value_parser!(u64).range(1..))]
    pub start_timeout_ms: u64,
    /// Where the four binaries and seed are (default: the supervisor's own folder)
    #[arg(long)]
    pub bin_dir: Option<std::path::PathBuf>,
}

impl Settings for Supervisor {
    const BINARY: &'static str = "supervisor";
    const ABOUT: &'static str =
        "Runs the concert discovery system: the three services and the gateway, restarted when they die";
}

#[cfg(test)]
mod tests;
