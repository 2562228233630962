//! Typed configuration: defaults in code, then `config.toml`, then `GOBLET_*` environment variables
//! (the environment wins). A bad value stops start-up with a message naming the key.

use std::{
    fmt,
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    time::Duration,
};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address and port the server listens on.
    pub bind: SocketAddr,
    /// Folder holding uploaded videos (`1.mp4`, `2.webm`, ...).
    pub media_dir: PathBuf,
    /// Folder holding the database and the generated cookie key.
    pub data_dir: PathBuf,
    /// Empty: the SQLite file `goblet.db` in `data_dir`; `sqlite://PATH` another SQLite file;
    /// `postgres://USER:PASSWORD@HOST:PORT/DB` a PostgreSQL database.
    pub database_url: Secret,
    /// Largest accepted upload, in bytes.
    pub max_upload_bytes: u64,
    /// How often the host of each room is checked, in seconds.
    pub host_check_secs: u64,
    /// How long a host whose last tab closed keeps the role, in seconds (a reload is not leaving).
    pub host_grace_secs: u64,
    /// Key that signs client-ID cookies; empty means "generate one and keep it in `data_dir`".
    pub cookie_key: Secret,
    /// `tracing` filter, e.g. `info` or `goblet=debug,poem=info`.
    pub log: String,
    /// Origins allowed besides the server's own (e.g. `https://party.example.org`).
    pub allowed_origins: Vec<String>,
    /// Largest WebSocket message a client may send, in bytes.
    pub max_ws_message_bytes: usize,
    /// Folder with the browser client, used when it holds an `index.html`; otherwise the copy
    /// built into the binary is served.
    pub assets_dir: PathBuf,
    /// Chat messages a client may send per `chat_rate_secs`.
    pub chat_rate_messages: usize,
    pub chat_rate_secs: u64,
    /// Chat messages all the clients of one address may send per `chat_rate_secs`.
    pub chat_rate_address_messages: usize,
    /// A room nobody has watched for this many hours is deleted with its video and chat.
    pub room_ttl_hours: f64,
    /// A room with no socket open (and no upload running) this many seconds leaves memory; it
    /// loads again from the database on the next request.
    pub room_unload_secs: u64,
    /// Seconds a client has to send a request's headers.
    pub header_timeout_secs: u64,
    /// Seconds an idle keep-alive connection stays open.
    pub keep_alive_secs: u64,
    /// Seconds an upload may go without a byte before it is aborted.
    pub upload_stall_secs: u64,
    /// A resumable (tus) upload that receives no byte for this many hours is deleted.
    pub upload_expiry_hours: f64,
    /// Most connections open at once; 0 derives it from the open-file limit.
    pub max_connections: usize,
    /// Most connections open at once from one address (trusted proxies are exempt).
    pub max_connections_per_address: usize,
    /// Peers whose `X-Forwarded-For` names the client (a reverse proxy, the ngrok agent).
    pub trusted_proxies: Vec<IpAddr>,
    /// Whether direct video links may name loopback, private or link-local addresses.
    pub allow_private_links: bool,
    /// Play, pause and seek commands a client may send per `command_rate_secs`.
    pub command_rate_count: u32,
    pub command_rate_secs: u64,
    /// Refreshes a room may have per `refresh_rate_secs`.
    pub refresh_rate_count: u32,
    pub refresh_rate_secs: u64,
    /// Rooms one address may create per `room_rate_secs`.
    pub room_rate_count: u32,
    pub room_rate_secs: u64,
    /// Uploads one address may run at once.
    pub uploads_per_address: usize,
    /// New client IDs (cookies) one address may be given per `client_rate_secs`.
    pub client_rate_count: u32,
    pub client_rate_secs: u64,
    /// Tries at a room password one client, and one address, may make per `password_rate_secs`.
    pub password_rate_count: u32,
    pub password_rate_secs: u64,
    /// Whether a room pauses for everyone while a viewer is buffering (until they are ready, or
    /// `buffer_wait_secs` at most).
    pub buffer_wait: bool,
    /// Longest a room waits for buffering viewers, in seconds.
    pub buffer_wait_secs: u64,
    /// Waits one viewer may cause in 5 minutes; after that the room plays on and they catch up.
    pub buffer_wait_max: u32,
    /// ffprobe and ffmpeg, which make other files playable; empty means "look on `PATH`".
    pub ffprobe_path: PathBuf,
    pub ffmpeg_path: PathBuf,
    /// Uploads converted at once; the others wait their turn.
    pub processing_jobs: usize,
    /// x264 preset for videos that must be encoded (`ultrafast` ... `veryslow`).
    pub transcode_preset: String,
    /// When set, `GET /metrics` asks for `Authorization: Bearer <metrics_token>`; empty = open.
    pub metrics_token: Secret,
    /// Redis that joins nodes into one cluster (`redis://host:port/`); empty: this node alone.
    pub redis_url: Secret,
    /// Where other nodes reach this one (`http://10.0.0.5:8080`); empty: `http://<bind>`.
    pub node_url: String,
    /// This node's name in logs and in Redis; empty: the host name and the bind port.
    pub node_name: String,
    /// How long a room's owner holds it without renewing, in ms; another node may take the room
    /// over once it lapses.
    pub room_lease_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 5000)),
            media_dir: ".video".into(),
            data_dir: ".data".into(),
            database_url: Secret::default(),
            max_upload_bytes: 8 * 1024 * 1024 * 1024,
            host_check_secs: 3,
            host_grace_secs: 5,
            cookie_key: Secret::default(),
            log: "info".into(),
            allowed_origins: Vec::new(),
            max_ws_message_bytes: 16 * 1024,
            assets_dir: "assets".into(),
            chat_rate_messages: 5,
            chat_rate_secs: 5,
            chat_rate_address_messages: 15,
            room_ttl_hours: 24.0,
            room_unload_secs: 60,
            header_timeout_secs: 10,
            keep_alive_secs: 60,
            upload_stall_secs: 30,
            upload_expiry_hours: 24.0,
            max_connections: 0,
            max_connections_per_address: 128,
            trusted_proxies: vec![
                IpAddr::from([127, 0, 0, 1]),
                IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]),
            ],
            allow_private_links: false,
            command_rate_count: 20,
            command_rate_secs: 10,
            refresh_rate_count: 3,
            refresh_rate_secs: 60,
            room_rate_count: 10,
            room_rate_secs: 60,
            uploads_per_address: 2,
            client_rate_count: 30,
            client_rate_secs: 60,
            password_rate_count: 5,
            password_rate_secs: 60,
            buffer_wait: true,
            buffer_wait_secs: 8,
            buffer_wait_max: 2,
            ffprobe_path: PathBuf::new(),
            ffmpeg_path: PathBuf::new(),
            processing_jobs: 1,
            transcode_preset: "veryfast".into(),
            metrics_token: Secret::default(),
            redis_url: Secret::default(),
            node_url: String::new(),
            node_name: String::new(),
            room_lease_ms: 5000,
        }
    }
}

/// A secret setting: shown as `<hidden>` in logs and debug output.
#[derive(Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_string())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "<hidden>"
        })
    }
}

impl Config {
    pub fn host_check_period(&self) -> Duration {
        Duration::from_secs(self.host_check_secs)
    }

    pub fn room_ttl(&self) -> Duration {
        Duration::from_secs_f64(self.room_ttl_hours * 3600.0)
    }

    /// How long an unfinished resumable upload lives after its last bytes.
    pub fn upload_expiry(&self) -> Duration {
        Duration::from_secs_f64(self.upload_expiry_hours * 3600.0)
    }

    /// This node's name: `node_name`, or the host name and the bind port.
    pub fn node_name(&self) -> String {
        if !self.node_name.is_empty() {
            return self.node_name.clone();
        }
        let host = std::fs::read_to_string("/etc/hostname")
            .ok()
            .map(|name| name.trim().to_string())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "goblet".into());
        format!("{host}:{}", self.bind.port())
    }

    /// Where other nodes reach this one: `node_url`, or `http://<bind>`.
    pub fn node_url(&self) -> String {
        match self.node_url.is_empty() {
            true => format!("http://{}", self.bind),
            false => self.node_url.trim_end_matches('/').to_string(),
        }
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
        if !(self.upload_expiry_hours.is_finite() && self.upload_expiry_hours > 0.0) {
            bail!("upload_expiry_hours must be a positive number of hours");
        }
        if self.processing_jobs == 0 {
            bail!("processing_jobs must be at least 1");
        }
        const PRESETS: [&str; 10] = [
            "ultrafast",
            "superfast",
            "veryfast",
            "faster",
            "fast",
            "medium",
            "slow",
            "slower",
            "veryslow",
            "placebo",
        ];
        if !PRESETS.contains(&self.transcode_preset.as_str()) {
            bail!("transcode_preset must be one of {}", PRESETS.join(", "));
        }
        if self.room_unload_secs == 0 {
            bail!("room_unload_secs must be at least 1");
        }
        for (key, value) in [
            ("header_timeout_secs", self.header_timeout_secs),
            ("keep_alive_secs", self.keep_alive_secs),
            ("upload_stall_secs", self.upload_stall_secs),
            ("command_rate_secs", self.command_rate_secs),
            ("refresh_rate_secs", self.refresh_rate_secs),
            ("room_rate_secs", self.room_rate_secs),
            ("client_rate_secs", self.client_rate_secs),
            ("password_rate_secs", self.password_rate_secs),
        ] {
            if value == 0 {
                bail!("{key} must be at least 1");
            }
        }
        for (key, value) in [
            ("command_rate_count", self.command_rate_count),
            ("refresh_rate_count", self.refresh_rate_count),
            ("room_rate_count", self.room_rate_count),
            ("client_rate_count", self.client_rate_count),
            ("password_rate_count", self.password_rate_count),
        ] {
            if value == 0 {
                bail!("{key} must be at least 1");
            }
        }
        if self.chat_rate_address_messages == 0
            || self.uploads_per_address == 0
            || self.max_connections_per_address == 0
        {
            bail!(
                "chat_rate_address_messages, uploads_per_address and max_connections_per_address \
                 must be at least 1"
            );
        }
        if !(1..=3600).contains(&self.buffer_wait_secs) {
            bail!("buffer_wait_secs must be from 1 to 3600");
        }
        if !(500..=600_000).contains(&self.room_lease_ms) {
            bail!("room_lease_ms must be from 500 to 600000");
        }
        let redis = self.redis_url.expose();
        if !(redis.is_empty() || redis.starts_with("redis://") || redis.starts_with("rediss://")) {
            bail!("redis_url must be empty or start with redis:// or rediss://");
        }
        if !(self.node_url.is_empty()
            || self.node_url.starts_with("http://")
            || self.node_url.starts_with("https://"))
        {
            bail!("node_url must be empty or start with http:// or https://");
        }
        if !redis.is_empty() && self.node_url.is_empty() && self.bind.ip().is_unspecified() {
            bail!(
                "node_url must be set with redis_url when bind is {}: other nodes need an address \
                 to reach this one",
                self.bind.ip()
            );
        }
        if self.node_name.contains(['\n', '\r']) {
            bail!("node_name may not contain a line break");
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
    let defaults = config::Config::try_from(&Config::default())
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
                .with_list_parse_key("trusted_proxies")
                .source(env),
        )
        .build()
        .context("while reading the configuration")?;
    let config: Config = settings
        .try_deserialize()
        .context("invalid configuration")?;
    config.validate().context("invalid configuration")
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
        assert!(config.buffer_wait);
        assert_eq!((config.buffer_wait_secs, config.buffer_wait_max), (8, 2));
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
    fn cluster_keys_default_to_one_node_and_name_it_from_the_bind_address() {
        let config = load(None).unwrap();
        assert!(config.redis_url.expose().is_empty());
        assert_eq!(config.room_lease_ms, 5000);
        assert_eq!(config.node_url(), "http://127.0.0.1:5000");
        assert!(config.node_name().ends_with(":5000"));

        let env = |pairs: &[(&str, &str)]| {
            let map = pairs
                .iter()
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .collect();
            load_with_env(None, Some(map))
        };
        let named = env(&[
            ("GOBLET_REDIS_URL", "redis://127.0.0.1:6379/"),
            ("GOBLET_NODE_URL", "http://10.0.0.5:8080/"),
            ("GOBLET_NODE_NAME", "left"),
        ])
        .unwrap();
        assert_eq!(named.node_url(), "http://10.0.0.5:8080");
        assert_eq!(named.node_name(), "left");

        for (pairs, key) in [
            (vec![("GOBLET_REDIS_URL", "http://x")], "redis_url"),
            (vec![("GOBLET_ROOM_LEASE_MS", "100")], "room_lease_ms"),
            (
                vec![
                    ("GOBLET_REDIS_URL", "redis://h/"),
                    ("GOBLET_BIND", "0.0.0.0:8080"),
                ],
                "node_url",
            ),
        ] {
            let error = format!("{:#}", env(&pairs).unwrap_err());
            assert!(error.contains(key), "{error}");
        }
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

        let env = config::Map::from([(
            "GOBLET_TRUSTED_PROXIES".to_string(),
            "10.0.0.1,fd00::1".to_string(),
        )]);
        let config = load_with_env(None, Some(env)).unwrap();
        assert_eq!(config.trusted_proxies.len(), 2);
        assert!(config.trusted_proxies[1].is_ipv6());

        let env = config::Map::from([("GOBLET_BIND".to_string(), "nowhere".to_string())]);
        let error = format!("{:#}", load_with_env(None, Some(env)).unwrap_err());
        assert!(error.contains("bind"), "{error}");
    }

    #[test]
    fn buffer_waits_are_configured_and_their_deadline_checked() {
        let env = config::Map::from([
            ("GOBLET_BUFFER_WAIT".to_string(), "false".to_string()),
            ("GOBLET_BUFFER_WAIT_SECS".to_string(), "3".to_string()),
            ("GOBLET_BUFFER_WAIT_MAX".to_string(), "0".to_string()),
        ]);
        let config = load_with_env(None, Some(env)).unwrap();
        assert!(!config.buffer_wait);
        assert_eq!((config.buffer_wait_secs, config.buffer_wait_max), (3, 0));
        for secs in ["0", "3601"] {
            let env =
                config::Map::from([("GOBLET_BUFFER_WAIT_SECS".to_string(), secs.to_string())]);
            let error = format!("{:#}", load_with_env(None, Some(env)).unwrap_err());
            assert!(error.contains("buffer_wait_secs"), "{error}");
        }
    }

    #[test]
    fn debug_hides_the_cookie_key() {
        let config = Config {
            cookie_key: "super-secret".into(),
            ..Config::default()
        };
        assert!(!format!("{config:?}").contains("super-secret"));
        assert_eq!(config.cookie_key.expose(), "super-secret");
    }
}
