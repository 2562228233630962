//! Starts the real server on a random loopback port with temporary folders, and talks to it over
//! real HTTP and WebSocket as one or more people (each with their own cookie jar).

use std::{path::PathBuf, sync::Arc, time::Duration};

use futures_util::{SinkExt, StreamExt};
use goblet::config::Config;
use reqwest::{Url, cookie::CookieStore};
use serde_json::Value;
use tempfile::TempDir;
use tokio::{
    net::TcpStream,
    sync::{mpsc, oneshot},
    task::JoinHandle,
};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{self, Message, client::IntoClientRequest},
};

pub const HOST_CHECK_SECS: u64 = 1;
pub const MAX_UPLOAD: u64 = 256 * 1024;

pub struct TestApp {
    pub base: String,
    pub media_dir: PathBuf,
    pub data_dir: PathBuf,
    /// The PostgreSQL database of this app when the suite runs against one (see
    /// [`fresh_database`]); None: SQLite in `data_dir`.
    pub database_url: Option<String>,
    _dirs: TempDir,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with changes to the test configuration.
pub async fn spawn_app_with(customize: impl FnOnce(&mut Config)) -> TestApp {
    let dirs = tempfile::tempdir().unwrap();
    start(dirs, fresh_database().await, customize).await
}

/// The server named by `GOBLET_TEST_DATABASE_URL` (e.g. `postgres://goblet@127.0.0.1:5433/postgres`),
/// when set, runs the suite against PostgreSQL: each app gets a database of its own, made here
/// with a random name. The throwaway server `tests/lib/postgres.sh` starts goes with them.
pub async fn fresh_database() -> Option<String> {
    use sqlx::Connection;
    let server = std::env::var("GOBLET_TEST_DATABASE_URL").ok()?;
    let name = format!("goblet_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
    // FILE_COPY (PostgreSQL 15+) copies the small template in about 0.1 s, where the default
    // WAL_LOG takes about 0.35 s: a few seconds over the suite.
    let create = format!("CREATE DATABASE {name} STRATEGY = FILE_COPY");
    sqlx::query(sqlx::AssertSqlSafe(create))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let mut url = Url::parse(&server).unwrap();
    url.set_path(&name);
    Some(url.to_string())
}

/// Sends the server's log to the test's output, which the test runner shows only when the test
/// fails. `GOBLET_TEST_LOG` sets the filter (default `warn`); once per test process.
fn capture_server_log() {
    let filter = std::env::var("GOBLET_TEST_LOG").unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_test_writer()
        .with_ansi(false)
        .try_init();
}

async fn start(
    dirs: TempDir,
    database_url: Option<String>,
    customize: impl FnOnce(&mut Config),
) -> TestApp {
    capture_server_log();
    let media_dir = dirs.path().join("video");
    let data_dir = dirs.path().join("data");
    let assets_dir = dirs.path().join("assets");
    std::fs::create_dir_all(assets_dir.join("videojs")).unwrap();
    std::fs::write(assets_dir.join("videojs/video.min.js"), "// stand-in").unwrap();
    std::fs::write(
        assets_dir.join("room.html"),
        "<script src=\"{{static}}/room.js\"></script>",
    )
    .unwrap();
    std::fs::write(assets_dir.join("index.html"), "landing").unwrap();
    std::fs::write(assets_dir.join("not-found.html"), "no such room").unwrap();
    let mut config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        media_dir: media_dir.clone(),
        data_dir: data_dir.clone(),
        max_upload_bytes: MAX_UPLOAD,
        host_check_secs: HOST_CHECK_SECS,
        max_ws_message_bytes: 1024,
        assets_dir,
        // Tests make many people, rooms and uploads from one address in a moment; the tests of
        // the limits set the ones they check back down.
        client_rate_count: 100_000,
        room_rate_count: 100_000,
        uploads_per_address: 1_000,
        command_rate_count: 100_000,
        refresh_rate_count: 100_000,
        chat_rate_address_messages: 100_000,
        database_url: database_url.as_deref().unwrap_or_default().into(),
        ..Config::default()
    };
    customize(&mut config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(goblet::run(config, listener, async {
        let _ = stopped.await;
    }));
    let app = TestApp {
        base: format!("http://{address}"),
        media_dir,
        data_dir,
        database_url,
        _dirs: dirs,
        stop: Some(stop),
        server: Some(server),
    };
    // The listener is bound already; wait until the app behind it answers.
    let person = app.person();
    for _ in 0..100 {
        if person.get("/api/me").await.status() == 200 {
            return app;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the server did not start");
}

impl TestApp {
    /// A new person: a client with their own cookie jar.
    pub fn person(&self) -> Person {
        self.person_with(None)
    }

    /// A new person at another address, as the trusted proxy in front (loopback: the ngrok agent,
    /// say) tells the server with `X-Forwarded-For`.
    pub fn person_at(&self, address: &str) -> Person {
        self.person_with(Some(address.to_string()))
    }

    fn person_with(&self, forwarded_for: Option<String>) -> Person {
        Person::new(&self.base, forwarded_for)
    }

    /// Stops the server gracefully and waits until it has closed the database.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }

    /// Stops the server and starts a new one on the same folders and database (a new port).
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        let dirs = std::mem::replace(&mut self._dirs, tempfile::tempdir().unwrap());
        start(dirs, self.database_url.take(), |_| {}).await
    }

    /// Rows that mention the room, across every table, read straight from the database.
    pub async fn rows_for_room(&self, code: &str) -> i64 {
        let db = self.read_database().await;
        let mut total = 0;
        for table in [
            "rooms", "videos", "messages", "spots", "visits", "kicks", "members", "queue",
            "uploads",
        ] {
            let column = if table == "rooms" {
                "code"
            } else {
                "room_code"
            };
            let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM {table} WHERE {column} = $1"
            )))
            .bind(code)
            .fetch_one(&db)
            .await
            .unwrap();
            total += count;
        }
        total
    }

    /// The app's database, opened beside the running server (a SQLite file read-only).
    pub async fn read_database(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        let url = self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=ro",
                self.data_dir.join("goblet.db").display()
            )
        });
        sqlx::AnyPool::connect(&url).await.unwrap()
    }

    /// Files in the media folder, sorted.
    pub fn media_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.media_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(url) = self.database_url.take() {
            drop_database(url);
        }
    }
}

/// Drops an app's PostgreSQL database, closing what the stopping server still holds open. A drop
/// cannot wait, so a thread does it; the last ones may be cut short when the suite ends, which
/// leaves a database no other test uses.
fn drop_database(url: String) {
    use sqlx::Connection;
    let Some(server) = std::env::var("GOBLET_TEST_DATABASE_URL").ok() else {
        return;
    };
    std::thread::spawn(move || {
        let name = Url::parse(&url)
            .unwrap()
            .path()
            .trim_start_matches('/')
            .to_string();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut admin = sqlx::PgConnection::connect(&server).await.ok()?;
            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            sqlx::query(sqlx::AssertSqlSafe(drop))
                .execute(&mut admin)
                .await
                .ok()
        });
    });
}

#[derive(Clone)]
pub struct Person {
    pub base: String,
    pub http: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
    /// The address a trusted proxy says this person has, if any.
    pub forwarded_for: Option<String>,
}

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// An upload in progress, fed by the test: see [`Person::upload_by_hand`].
pub struct SlowUpload {
    pub chunks: mpsc::Sender<Vec<u8>>,
    pub answer: JoinHandle<(u16, Value)>,
}

impl Person {
    /// A new person talking to the server at `base` with their own cookie jar, at the address a
    /// trusted proxy names in `forwarded_for` (or the connection's own).
    pub fn new(base: &str, forwarded_for: Option<String>) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(address) = &forwarded_for {
            headers.insert("x-forwarded-for", address.parse().unwrap());
        }
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .default_headers(headers)
            .build()
            .unwrap();
        Self {
            base: base.to_string(),
            http,
            jar,
            forwarded_for,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// GET `path` and parse the JSON body, whatever the status.
    pub async fn get_json(&self, path: &str) -> Value {
        self.get(path).await.json().await.unwrap()
    }

    pub async fn put_json(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .put(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post(&self, path: &str) -> reqwest::Response {
        self.http.post(self.url(path)).send().await.unwrap()
    }

    pub async fn client_id(&self) -> String {
        let me: Value = self.get("/api/me").await.json().await.unwrap();
        me["client_id"].as_str().unwrap().to_string()
    }

    pub async fn create_room(&self) -> String {
        let response = self.post("/api/rooms").await;
        assert_eq!(response.status(), 201);
        let room: Value = response.json().await.unwrap();
        room["code"].as_str().unwrap().to_string()
    }

    pub async fn room(&self, code: &str) -> Value {
        let response = self.get(&format!("/api/rooms/{code}")).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn upload(&self, code: &str, name: &str, bytes: Vec<u8>) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/api/rooms/{code}/video?name={name}")))
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
            .await
            .unwrap()
    }

    /// Starts an upload whose body the test feeds chunk by chunk through `chunks` (dropping it
    /// ends the body); `answer` gives the status and JSON body.
    pub fn upload_by_hand(&self, code: &str) -> SlowUpload {
        let (chunks, mut feed) = mpsc::channel::<Vec<u8>>(4);
        let body = futures_util::stream::poll_fn(move |cx| {
            feed.poll_recv(cx)
                .map(|chunk| chunk.map(Ok::<_, std::io::Error>))
        });
        let request = self
            .http
            .post(self.url(&format!("/api/rooms/{code}/video?name=slow.webm")))
            .header("content-type", "application/octet-stream")
            .body(reqwest::Body::wrap_stream(body));
        let answer = tokio::spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json().await.unwrap_or(Value::Null))
        });
        SlowUpload { chunks, answer }
    }

    /// Opens the room's socket with this person's cookie and reads the snapshot it starts with.
    pub async fn join(&self, code: &str) -> (Socket, Value) {
        let mut socket = self.connect(code, None).await.unwrap();
        let snapshot = next_json(&mut socket).await;
        assert_eq!(snapshot["type"], "snapshot", "{snapshot}");
        (socket, snapshot)
    }

    pub async fn connect(
        &self,
        code: &str,
        origin: Option<&str>,
    ) -> Result<Socket, tungstenite::Error> {
        // Make sure a cookie exists first, as a page load would.
        self.get("/api/me").await;
        let url = format!(
            "{}/api/rooms/{code}/ws",
            self.base.replace("http://", "ws://")
        );
        let mut request = url.into_client_request().unwrap();
        let cookie = self
            .jar
            .cookies(&Url::parse(&self.base).unwrap())
            .expect("a cookie was issued");
        request.headers_mut().insert("cookie", cookie);
        if let Some(address) = &self.forwarded_for {
            request
                .headers_mut()
                .insert("x-forwarded-for", address.parse().unwrap());
        }
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", origin.parse().unwrap());
        }
        tokio_tungstenite::connect_async(request)
            .await
            .map(|(socket, _)| socket)
    }
}

/// The next JSON text message, skipping pings; panics after 5 s.
pub async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a message within 5 s")
            .expect("the socket is open")
            .expect("a readable frame");
        match message {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected a text message, got {other:?}"),
        }
    }
}

/// The next message of type `kind`, skipping others; panics after 5 s.
pub async fn next_of(socket: &mut Socket, kind: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let msg = tokio::time::timeout_at(deadline, next_json(socket))
            .await
            .unwrap_or_else(|_| panic!("no {kind} message within 5 s"));
        if msg["type"] == kind {
            return msg;
        }
    }
}

pub async fn send_json(socket: &mut Socket, value: Value) {
    socket
        .send(Message::Text(value.to_string().into()))
        .await
        .unwrap();
}

/// The first bytes of a WebM file followed by `size` filler bytes: enough for the server, which
/// only looks at the container header.
pub fn webm_bytes(size: usize) -> Vec<u8> {
    let mut bytes =
        b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm".to_vec();
    bytes.extend((0..size).map(|i| (i % 251) as u8));
    bytes
}

pub fn mp4_bytes(size: usize) -> Vec<u8> {
    let mut bytes = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41".to_vec();
    bytes.extend((0..size).map(|i| (i % 241) as u8));
    bytes
}
