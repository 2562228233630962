//! Typed configuration: defaults in code, then `config.toml`, then `GOBLET_*` environment variables
//! (the environment wins). A bad value stops start-up with a message naming the key.

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{Context, bail};
use serde::Deserialize;

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address and port the server listens on.
    pub bind: SocketAddr,
    /// Folder holding uploaded videos (`1.mp4`, `2.webm`, ...).
    pub media_dir: PathBuf,
    /// Folder holding the database and the generated cookie key.
    pub data_dir: PathBuf,
    /// Largest accepted upload, in bytes.
    pub max_upload_bytes: u64,
    /// How often the host of each room is checked, in seconds.
    pub host_check_secs: u64,
    /// How long a host whose last tab closed keeps the role, in seconds (a reload is not leaving).
    pub host_grace_secs: u64,
    /// Key that signs client-ID cookies; empty means "generate one and keep it in `data_dir`".
    pub cookie_key: String,
    /// `tracing` filter, e.g. `info` or `goblet=debug,poem=info`.
    pub log: String,
    /// Origins allowed besides the server's own (e.g. `https://party.example.org`).
    pub allowed_origins: Vec<String>,
    /// Largest WebSocket message a client may send, in bytes.
    pub max_ws_message_bytes: usize,
    /// Folder with the browser client.
    pub assets_dir: PathBuf,
    /// Chat messages a client may send per `chat_rate_secs`.
    pub chat_rate_messages: usize,
    pub chat_rate_secs: u64,
    /// A room nobody has watched for this many hours is deleted with its video and chat.
    pub room_ttl_hours: f64,
    /// A room with no socket open (and no upload running) this many seconds leaves memory; it
    /// loads again from the database on the next request.
    pub room_unload_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 5000)),
            media_dir: ".video".into(),
            data_dir: ".data".into(),
            max_upload_bytes: 8 * 1024 * 1024 * 1024,
            host_check_secs: 3,
            host_grace_secs: 5,
            cookie_key: String::new(),
            log: "info".into(),
            allowed_origins: Vec::new(),
            max_ws_message_bytes: 16 * 1024,
            assets_dir: "assets".into(),
            chat_rate_messages: 5,
            chat_rate_secs: 5,
            room_ttl_hours: 24.0,
            room_unload_secs: 60,
        }
    }
}

// The key is a secret: keep it out of logs.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("media_dir", &self.media_dir)
            .field("data_dir", &self.data_dir)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("host_check_secs", &self.host_check_secs)
            .field("host_grace_secs", &self.host_grace_secs)
            .field(
                "cookie_key",
                &if self.cookie_key.is_empty() {
                    ""
                } else {
                    "<hidden>"
                },
            )
            .field("log", &self.log)
            .field("allowed_origins", &self.allowed_origins)
            .field("max_ws_message_bytes", &self.max_ws_message_bytes)
            .field("assets_dir", &self.assets_dir)
            .field("chat_rate_messages", &self.chat_rate_messages)
            .field("chat_rate_secs", &self.chat_rate_secs)
            .field("room_ttl_hours", &self.room_ttl_hours)
            .field("room_unload_secs", &self.room_unload_secs)
            .finish()
    }
}

impl Config {
    pub fn host_check_period(&self) -> Duration {
        Duration::from_secs(self.host_check_secs)
    }

    pub fn room_ttl(&self) -> Duration {
        Duration::from_secs_f64(self.room_ttl_hours * 3600.0)
    }

    fn validate(self) -> anyhow::Result<Self> {
        if self.host_check_secs == 0 {
            bail!("host_check_secs must be at least 1");
        }
        if self.max_upload_bytes == 0 {
            bail!("max_upload_bytes must be at least 1");
        }
        if self.max_ws_message_bytes < 256 {
            bail!("max_ws_message_bytes must be at least 256");
        }
        if self.chat_rate_messages == 0 || self.chat_rate_secs == 0 {
            bail!("chat_rate_messages and chat_rate_secs must be at least 1");
        }
        if !(self.room_ttl_hours.is_finite() && self.room_ttl_hours > 0.0) {
            bail!("room_ttl_hours must be a positive number of hours");
        }
        if self.room_unload_secs == 0 {
            bail!("room_unload_secs must be at least 1");
        }
        for origin in &self.allowed_origins {
            if !(origin.starts_with("http://") || origin.starts_with("https://")) {
                bail!("allowed_origins: {origin:?} must start with http:// or https://");
            }
        }
        Ok(self)
    }
}

/// Loads the configuration from `file` (optional when it does not exist) and the environment.
pub fn load(file: Option<&std::path::Path>) -> anyhow::Result<Config> {
    load_with_env(file, None)
}

/// Like [`load`], reading variables from `env` instead of the process environment when given.
pub fn load_with_env(
    file: Option<&std::path::Path>,
    env: Option<config::Map<String, String>>,
) -> anyhow::Result<Config> {
    let defaults = config::Config::try_from(&DefaultsSource::default())
        .context("while preparing configuration defaults")?;
    let mut builder = config::Config::builder().add_source(defaults);
    if let Some(file) = file {
        builder = builder.add_source(config::File::from(file).required(false));
    }
    let settings = builder
        .add_source(
            config::Environment::with_prefix("GOBLET")
                .try_parsing(true)
                .list_separator(",")
                .with_list_parse_key("allowed_origins")
                .source(env),
        )
        .build()
        .context("while reading the configuration")?;
    let config: Config = settings
        .try_deserialize()
        .context("invalid configuration")?;
    config.validate().context("invalid configuration")
}

/// The defaults as a `config` source, so that file and environment layer over them key by key.
#[derive(serde::Serialize)]
struct DefaultsSource {
    bind: String,
    media_dir: String,
    data_dir: String,
    max_upload_bytes: u64,
    host_check_secs: u64,
    host_grace_secs: u64,
    cookie_key: String,
    log: String,
    allowed_origins: Vec<String>,
    max_ws_message_bytes: u64,
    assets_dir: String,
    chat_rate_messages: u64,
    chat_rate_secs: u64,
    room_ttl_hours: f64,
    room_unload_secs: u64,
}

impl Default for DefaultsSource {
    fn default() -> Self {
        let c = Config::default();
        Self {
            bind: c.bind.to_string(),
            media_dir: c.media_dir.display().to_string(),
            data_dir: c.data_dir.display().to_string(),
            max_upload_bytes: c.max_upload_bytes,
            host_check_secs: c.host_check_secs,
            host_grace_secs: c.host_grace_secs,
            cookie_key: c.cookie_key,
            log: c.log,
            allowed_origins: c.allowed_origins,
            max_ws_message_bytes: c.max_ws_message_bytes as u64,
            assets_dir: c.assets_dir.display().to_string(),
            chat_rate_messages: c.chat_rate_messages as u64,
            chat_rate_secs: c.chat_rate_secs,
            room_ttl_hours: c.room_ttl_hours,
            room_unload_secs: c.room_unload_secs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn defaults_apply_without_a_file() {
        let config = load(None).unwrap();
        assert_eq!(config.bind.port(), 5000);
        assert_eq!(config.max_upload_bytes, 8 << 30);
        assert_eq!(config.host_check_secs, 3);
        assert_eq!(config.host_grace_secs, 5);
        assert_eq!(config.room_unload_secs, 60);
    }

    #[test]
    fn file_overrides_defaults_and_bad_keys_are_named() {
        let mut file = tempfile::NamedTempFile::with_suffix(".toml").unwrap();
        writeln!(file, "host_check_secs = 7\nbind = \"0.0.0.0:8080\"").unwrap();
        let config = load(Some(file.path())).unwrap();
        assert_eq!(config.host_check_secs, 7);
        assert_eq!(config.bind.port(), 8080);

        let mut bad = tempfile::NamedTempFile::with_suffix(".toml").unwrap();
        writeln!(bad, "max_upload_bytes = \"lots\"").unwrap();
        let error = format!("{:#}", load(Some(bad.path())).unwrap_err());
        assert!(error.contains("max_upload_bytes"), "{error}");

        let mut unknown = tempfile::NamedTempFile::with_suffix(".toml").unwrap();
        writeln!(unknown, "max_uplod_bytes = 3").unwrap();
        let error = format!("{:#}", load(Some(unknown.path())).unwrap_err());
        assert!(error.contains("max_uplod_bytes"), "{error}");
    }

    #[test]
    fn environment_wins_over_the_file() {
        let mut file = tempfile::NamedTempFile::with_suffix(".toml").unwrap();
        writeln!(file, "host_check_secs = 7").unwrap();
        let env = config::Map::from([
            ("GOBLET_HOST_CHECK_SECS".to_string(), "2".to_string()),
            (
                "GOBLET_ALLOWED_ORIGINS".to_string(),
                "https://a.example,https://b.example".to_string(),
            ),
        ]);
        let config = load_with_env(Some(file.path()), Some(env)).unwrap();
        assert_eq!(config.host_check_secs, 2);
        assert_eq!(config.allowed_origins.len(), 2);

        let env = config::Map::from([("GOBLET_BIND".to_string(), "nowhere".to_string())]);
        let error = format!("{:#}", load_with_env(None, Some(env)).unwrap_err());
        assert!(error.contains("bind"), "{error}");
    }

    #[test]
    fn debug_hides_the_cookie_key() {
        let config = Config {
            cookie_key: "super-secret".into(),
            ..Config::default()
        };
        assert!(!format!("{config:?}").contains("super-secret"));
    }
}
