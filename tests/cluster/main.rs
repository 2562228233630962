//! Two real nodes (the `goblet` binary, twice) joined by a real `redis-server`, sharing one data
//! folder (one SQLite database in WAL mode) and one media folder, as two machines would share a
//! database and a mount. Needs `redis-server` on PATH (`test.sh` installs it); without it these
//! tests fail, unless `GOBLET_SKIP_REDIS_TESTS=1` says to skip them. With
//! `GOBLET_TEST_DATABASE_URL` (as for the API tests) the two nodes share one fresh PostgreSQL
//! database instead, the deployment `docs/deploy.md` recommends.

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use futures_util::StreamExt;
use helpers::{Person, Socket, next_of, send_json};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// Short, so the failover test runs in seconds; the default is 5 s.
const LEASE_MS: u64 = 2000;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// True when the tests are to be skipped for want of Redis (said on stderr).
fn skip_without_redis() -> bool {
    let found = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if found {
        return false;
    }
    if std::env::var("GOBLET_SKIP_REDIS_TESTS").as_deref() == Ok("1") {
        eprintln!("skipped: redis-server is not on PATH and GOBLET_SKIP_REDIS_TESTS=1");
        return true;
    }
    panic!(
        "redis-server is not on PATH: install it (apt-get install redis-server, as test.sh does) \
         or set GOBLET_SKIP_REDIS_TESTS=1 to skip the cluster tests"
    );
}

/// A throwaway `redis-server`: no snapshot, no append-only file; killed when dropped.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    fn start() -> Self {
        Self::start_on(free_port())
    }

    fn start_on(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        // Killed when dropped, even if it never listens.
        let redis = Self { child, port };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return redis;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not listen on {port}");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One node: the real binary with its log in a file; killed (SIGKILL) when dropped.
struct Node {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Node {
    /// `database`: the nodes' shared PostgreSQL database; None: SQLite in `shared`.
    async fn start(name: &str, shared: &Path, database: Option<&str>, redis: &str) -> Self {
        let port = free_port();
        let log = shared.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
        let child = Command::new(env!("CARGO_BIN_EXE_goblet"))
            .args(["--config", "/dev/null"])
            .env("GOBLET_BIND", format!("127.0.0.1:{port}"))
            .env("GOBLET_MEDIA_DIR", shared.join("video"))
            .env("GOBLET_DATA_DIR", shared.join("data"))
            .env("GOBLET_ASSETS_DIR", &assets)
            .env("GOBLET_REDIS_URL", redis)
            .env("GOBLET_DATABASE_URL", database.unwrap_or_default())
            .env("GOBLET_NODE_NAME", name)
            .env("GOBLET_ROOM_LEASE_MS", LEASE_MS.to_string())
            .env("GOBLET_LOG", "info,goblet=debug")
            .env_remove("RUST_LOG")
            // The test settings are GOBLET_* too, and the binary refuses keys it does not know.
            .env_remove("GOBLET_TEST_DATABASE_URL")
            .env_remove("GOBLET_TEST_LOG")
            .env("NO_COLOR", "1")
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        let node = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        for _ in 0..200 {
            if let Ok(response) = reqwest::get(format!("{}/healthz", node.base)).await
                && response.status() == 200
            {
                return node;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("node {name} did not start: {}", node.log());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    async fn health(&self) -> Value {
        reqwest::get(format!("{}/healthz", self.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Waits (10 s at most) until `/healthz` says `redis` is `want`.
    async fn wait_for_redis(&self, want: &str) {
        for _ in 0..200 {
            if self.health().await["redis"] == want {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("/healthz never said redis: {want}: {}", self.log());
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
        // The log file goes with the temporary folder: a failing test prints it first.
        if std::thread::panicking() {
            eprintln!("--- log of {} ---\n{}", self.base, self.log());
        }
    }
}

/// The next message of `kind` within `within`, skipping others.
async fn within(socket: &mut Socket, kind: &str, within: Duration) -> Value {
    tokio::time::timeout(within, async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => {
                    let msg: Value = serde_json::from_str(&text).unwrap();
                    if msg["type"] == kind {
                        return msg;
                    }
                }
                Some(Ok(_)) => {}
                ended => panic!("the socket ended while waiting for {kind}: {ended:?}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {kind} message within {within:?}"))
}

/// The files in the shared media folder (hidden temporary files included).
fn media_files(shared: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(shared.join("video")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

async fn stored_messages(person: &Person, code: &str, text: &str) -> usize {
    let history = person
        .get_json(&format!("/api/rooms/{code}/messages"))
        .await;
    history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|message| message["text"] == text)
        .count()
}

#[tokio::test]
async fn cluster_two_nodes_share_a_room_and_survive_the_owners_death() {
    if skip_without_redis() {
        return;
    }
    let redis = Redis::start();
    let shared = tempfile::tempdir().unwrap();
    let database = helpers::fresh_database().await;
    let mut a = Node::start("node-a", shared.path(), database.as_deref(), &redis.url()).await;
    let b = Node::start("node-b", shared.path(), database.as_deref(), &redis.url()).await;

    // The room is first used on A, so A owns it.
    let alice = Person::new(&a.base, None);
    let code = alice.create_room().await;
    let (mut on_a, _) = alice.join(&code).await;
    let bob = Person::new(&b.base, None);
    let (mut bob_1, snapshot) = bob.join(&code).await;
    assert_eq!(snapshot["room"]["code"], code.as_str());
    let carol = Person::new(&b.base, None);
    let (mut carol_1, _) = carol.join(&code).await;

    // Viewers on both nodes are counted by the owner.
    let mut count = 0;
    while count < 3 {
        count = within(&mut on_a, "viewers", Duration::from_secs(5)).await["count"]
            .as_u64()
            .unwrap();
    }

    // A seek on A reaches B's sockets.
    send_json(&mut on_a, json!({"type": "seek", "position": 42.5})).await;
    for socket in [&mut bob_1, &mut carol_1] {
        let seek = next_of(socket, "seek").await;
        assert_eq!(seek["position"], 42.5);
    }

    // Chat from B is stored once and reaches A.
    send_json(&mut bob_1, json!({"type": "chat", "text": "hello from B"})).await;
    let chat = next_of(&mut on_a, "chat").await;
    assert_eq!(chat["text"], "hello from B");
    assert_eq!(next_of(&mut bob_1, "chat").await["text"], "hello from B");
    assert_eq!(stored_messages(&bob, &code, "hello from B").await, 1);

    // REST on B about A's room is answered by A: the room, and an upload streamed through.
    let room = bob.room(&code).await;
    assert_eq!(room["viewer_count"], 3, "{room}");
    // Bad input through B gets A's clear error and leaves no file behind.
    let refused = bob
        .upload(&code, "notes.webm", b"not a video at all".to_vec())
        .await;
    assert_eq!(refused.status(), 415);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["code"],
        "not_a_video"
    );
    assert_eq!(media_files(shared.path()), Vec::<String>::new());
    let uploaded = bob
        .upload(&code, "clip.webm", helpers::webm_bytes(50_000))
        .await;
    assert_eq!(uploaded.status(), 201);
    let url = uploaded.json::<Value>().await.unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string();
    for socket in [&mut on_a, &mut carol_1] {
        assert_eq!(next_of(socket, "video").await["video"]["url"], url.as_str());
    }
    assert_eq!(
        media_files(shared.path()),
        vec![url.trim_start_matches("/media/")]
    );
    // B serves the file A stored in the shared media folder.
    let served = bob.get(&url).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap().len(), 50_000 + 20);
    send_json(&mut on_a, json!({"type": "seek", "position": 42.5})).await;
    assert_eq!(next_of(&mut bob_1, "seek").await["position"], 42.5);
    send_json(&mut on_a, json!({"type": "play", "position": 42.5})).await;
    for socket in [&mut bob_1, &mut carol_1] {
        assert_eq!(next_of(socket, "play").await["playing"], true);
    }

    // The owner dies without a word; B takes the room over within the lease (and a check).
    a.kill();
    // The lease lapses at most LEASE_MS after A's last renewal; B looks every quarter of it.
    let takeover = Duration::from_millis(LEASE_MS * 2);
    // It plays on from where it was: the play was stored before B heard it.
    let played_on = |playback: &Value| {
        let position = playback["position"].as_f64().unwrap();
        playback["playing"] == true && (42.5..60.0).contains(&position)
    };
    for socket in [&mut bob_1, &mut carol_1] {
        let snapshot = within(socket, "snapshot", takeover).await;
        assert!(played_on(&snapshot["room"]["playback"]), "{snapshot}");
    }
    let room = bob.room(&code).await;
    assert!(played_on(&room["playback"]), "{room}");
    assert_eq!(stored_messages(&bob, &code, "hello from B").await, 1);
    // A late joiner on B gets the chat in its history.
    let dave = Person::new(&b.base, None);
    let (mut dave_1, _) = dave.join(&code).await;
    let history = next_of(&mut dave_1, "history").await;
    assert!(
        history["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|message| message["text"] == "hello from B"),
        "{history}"
    );
    // Alice's viewer went with her node: B's viewers remain.
    let room = bob.room(&code).await;
    assert_eq!(room["viewer_count"], 3, "{room}");

    // A command from one of B's clients reaches all of B's clients.
    send_json(&mut carol_1, json!({"type": "seek", "position": 7.0})).await;
    for socket in [&mut bob_1, &mut carol_1, &mut dave_1] {
        assert_eq!(next_of(socket, "seek").await["position"], 7.0);
    }
    assert_eq!(b.health().await["redis"], "ok");
}

#[tokio::test]
async fn cluster_a_node_that_loses_redis_serves_the_rooms_it_owns() {
    if skip_without_redis() {
        return;
    }
    let mut redis = Redis::start();
    let port = redis.port;
    let shared = tempfile::tempdir().unwrap();
    let database = helpers::fresh_database().await;
    let a = Node::start("node-a", shared.path(), database.as_deref(), &redis.url()).await;

    let alice = Person::new(&a.base, None);
    let code = alice.create_room().await;
    let (mut alice_1, _) = alice.join(&code).await;
    let bob = Person::new(&a.base, None);
    let (mut bob_1, _) = bob.join(&code).await;

    redis.kill();
    a.wait_for_redis("unreachable").await;
    assert_eq!(a.health().await["status"], "degraded");
    send_json(&mut alice_1, json!({"type": "seek", "position": 12.0})).await;
    assert_eq!(next_of(&mut bob_1, "seek").await["position"], 12.0);
    send_json(&mut bob_1, json!({"type": "chat", "text": "still here"})).await;
    assert_eq!(next_of(&mut alice_1, "chat").await["text"], "still here");
    assert_eq!(
        a.log().matches("Redis is unreachable").count(),
        1,
        "said once"
    );

    // Redis comes back (empty): A takes its lease again, and a second node relays the room.
    let redis = Redis::start_on(port);
    a.wait_for_redis("ok").await;
    let b = Node::start("node-b", shared.path(), database.as_deref(), &redis.url()).await;
    tokio::time::sleep(Duration::from_millis(LEASE_MS)).await;
    let carol = Person::new(&b.base, None);
    let (mut carol_1, snapshot) = carol.join(&code).await;
    assert_eq!(snapshot["room"]["playback"]["position"], 12.0);
    send_json(&mut alice_1, json!({"type": "seek", "position": 30.0})).await;
    assert_eq!(next_of(&mut carol_1, "seek").await["position"], 30.0);
}

#[tokio::test]
async fn cluster_the_owner_drops_the_viewers_of_a_node_that_died() {
    if skip_without_redis() {
        return;
    }
    let redis = Redis::start();
    let shared = tempfile::tempdir().unwrap();
    let database = helpers::fresh_database().await;
    let a = Node::start("node-a", shared.path(), database.as_deref(), &redis.url()).await;
    let mut b = Node::start("node-b", shared.path(), database.as_deref(), &redis.url()).await;

    let alice = Person::new(&a.base, None);
    let code = alice.create_room().await;
    let (mut on_a, _) = alice.join(&code).await;
    let bob = Person::new(&b.base, None);
    let (_on_b, _) = bob.join(&code).await;
    let mut count = 0;
    while count < 2 {
        count = within(&mut on_a, "viewers", Duration::from_secs(5)).await["count"]
            .as_u64()
            .unwrap();
    }

    // B dies without its sockets saying goodbye: its heartbeat lapses, and A drops its viewer.
    b.kill();
    let lapse = Duration::from_millis(LEASE_MS * 4);
    while count > 1 {
        count = within(&mut on_a, "viewers", lapse).await["count"]
            .as_u64()
            .unwrap();
    }
    assert_eq!(alice.room(&code).await["viewer_count"], 1);
}
