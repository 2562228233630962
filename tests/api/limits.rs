//! Limits for strangers who have the link: timeouts on every connection, connection caps,
//! stalled uploads, oversized socket messages, and the health check.

use std::{net::SocketAddr, time::Duration};

use goblet::http::server::{Limits, serve};
use poem::{Route, get, handler};
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpSocket, TcpStream},
    sync::oneshot,
};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use futures_util::{SinkExt, StreamExt};

use crate::helpers::{TestApp, next_of, send_json, spawn_app_with, webm_bytes};

/// Generous bound for "at once" and "soon after the timeout" on a busy two-core machine.
const PROMPTLY: Duration = Duration::from_secs(5);

fn address(app: &TestApp) -> SocketAddr {
    app.base.trim_start_matches("http://").parse().unwrap()
}

/// A connection to `server` from the loopback address `from` (any of 127.0.0.0/8).
async fn connect_from(from: [u8; 4], server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((from, 0))).unwrap();
    socket.connect(server).await.unwrap()
}

const GET_ME: &[u8] = b"GET /api/me HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// Sends `request` and reads one answer (headers and a `Content-Length` body); returns its status
/// line, or None when the connection closed first.
async fn exchange(stream: &mut TcpStream, request: &[u8]) -> Option<String> {
    if stream.write_all(request).await.is_err() {
        return None;
    }
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let read = async {
        loop {
            let n = stream.read(&mut buffer).await.unwrap_or(0);
            if n == 0 {
                return None;
            }
            received.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&received).into_owned();
            let Some(end) = text.find("\r\n\r\n") else {
                continue;
            };
            let length: usize = text[..end]
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if received.len() >= end + 4 + length {
                return text.lines().next().map(str::to_string);
            }
        }
    };
    tokio::time::timeout(PROMPTLY, read)
        .await
        .expect("an answer or a close within the bound")
}

/// Whether the server closes `stream` within `within` (EOF or reset), reading whatever comes.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buffer = [0u8; 4096];
    tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn limits_headers_that_never_complete_are_cut_at_the_header_timeout() {
    let app = spawn_app_with(|config| {
        config.header_timeout_secs = 1;
        config.keep_alive_secs = 60;
    })
    .await;
    // A first request that never finishes its headers.
    let mut first = connect_from([127, 0, 0, 1], address(&app)).await;
    first
        .write_all(b"GET /api/me HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    assert!(closed_within(&mut first, PROMPTLY * 2).await);

    // The second request on a kept-alive connection, trickling in a byte at a time, so the
    // connection is never idle: hyper's header timer ends it.
    let mut second = connect_from([127, 0, 0, 1], address(&app)).await;
    let status = exchange(&mut second, GET_ME).await.expect("an answer");
    assert!(status.contains("200"), "{status}");
    let started = std::time::Instant::now();
    let partial = b"GET /api/me HTTP/1.1\r\nX-Slow: "
        .iter()
        .chain([b'a'; 100].iter());
    for byte in partial {
        if second.write_all(&[*byte]).await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        if started.elapsed() > PROMPTLY * 2 {
            break;
        }
    }
    assert!(
        closed_within(&mut second, Duration::from_millis(100)).await,
        "closed while its headers trickled in"
    );
}

#[tokio::test]
async fn limits_an_idle_keep_alive_connection_is_closed_after_keep_alive_secs() {
    let app = spawn_app_with(|config| {
        config.header_timeout_secs = 60;
        config.keep_alive_secs = 1;
    })
    .await;
    let mut stream = connect_from([127, 0, 0, 1], address(&app)).await;
    let status = exchange(&mut stream, GET_ME).await.expect("an answer");
    assert!(status.contains("200"), "{status}");
    assert!(closed_within(&mut stream, PROMPTLY * 2).await);
}

#[tokio::test]
async fn limits_a_keep_alive_connection_may_rest_longer_than_the_header_timeout() {
    let app = spawn_app_with(|config| {
        config.header_timeout_secs = 1;
        config.keep_alive_secs = 60;
    })
    .await;
    let mut stream = connect_from([127, 0, 0, 1], address(&app)).await;
    let status = exchange(&mut stream, GET_ME).await.expect("an answer");
    assert!(status.contains("200"), "{status}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let status = exchange(&mut stream, GET_ME)
        .await
        .expect("the same connection answers again");
    assert!(status.contains("200"), "{status}");
}

#[tokio::test]
async fn limits_a_socket_outlives_the_keep_alive_time() {
    let app = spawn_app_with(|config| {
        config.header_timeout_secs = 1;
        config.keep_alive_secs = 1;
    })
    .await;
    let person = app.person();
    let code = person.create_room().await;
    let (mut socket, _) = person.join(&code).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    send_json(&mut socket, json!({"type": "ping", "client_time": 1.0})).await;
    assert_eq!(next_of(&mut socket, "pong").await["client_time"], 1.0);
}

#[tokio::test]
async fn limits_connections_past_the_per_address_cap_are_closed_at_once() {
    let app = spawn_app_with(|config| {
        config.max_connections_per_address = 3;
        config.trusted_proxies = vec![];
    })
    .await;
    let server = address(&app);
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut stream = connect_from([127, 0, 0, 2], server).await;
        assert!(exchange(&mut stream, GET_ME).await.is_some());
        held.push(stream);
    }
    let mut over = connect_from([127, 0, 0, 2], server).await;
    assert_eq!(exchange(&mut over, GET_ME).await, None, "closed at once");
    // Others still get in, and those already in still get answers.
    let mut other = connect_from([127, 0, 0, 3], server).await;
    assert!(exchange(&mut other, GET_ME).await.is_some());
    assert!(exchange(&mut held[0], GET_ME).await.is_some());
    // A place that frees up can be taken again.
    drop(held.pop());
    let deadline = std::time::Instant::now() + PROMPTLY;
    loop {
        let mut again = connect_from([127, 0, 0, 2], server).await;
        if exchange(&mut again, GET_ME).await.is_some() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the place was freed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[handler]
fn hello() -> &'static str {
    "hello"
}

#[tokio::test]
async fn limits_at_the_global_cap_new_connections_are_closed_and_those_in_are_answered() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let limits = Limits {
        header_timeout: Duration::from_secs(30),
        keep_alive: Duration::from_secs(60),
        max_connections: 2,
        max_connections_per_address: 100,
        trusted_proxies: vec![],
    };
    let served = tokio::spawn(serve(
        listener,
        Route::new().at("/api/me", get(hello)),
        async {
            let _ = stopped.await;
        },
        Duration::from_secs(1),
        limits,
    ));
    let mut held = Vec::new();
    for from in [[127, 0, 0, 2], [127, 0, 0, 3]] {
        let mut stream = connect_from(from, server).await;
        assert!(exchange(&mut stream, GET_ME).await.is_some());
        held.push(stream);
    }
    let mut over = connect_from([127, 0, 0, 4], server).await;
    assert_eq!(exchange(&mut over, GET_ME).await, None, "closed at once");
    for stream in &mut held {
        let status = exchange(stream, GET_ME).await.expect("still answered");
        assert!(status.contains("200"), "{status}");
    }
    drop(held.pop());
    let deadline = std::time::Instant::now() + PROMPTLY;
    loop {
        let mut again = connect_from([127, 0, 0, 4], server).await;
        if exchange(&mut again, GET_ME).await.is_some() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the place was freed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(()).unwrap();
    served.await.unwrap().unwrap();
}

#[tokio::test]
async fn limits_a_stalled_upload_is_aborted_and_leaves_no_file_and_the_video_as_it_was() {
    let app = spawn_app_with(|config| config.upload_stall_secs = 1).await;
    let person = app.person();
    let code = person.create_room().await;
    assert_eq!(
        person
            .upload(&code, "first.webm", webm_bytes(1000))
            .await
            .status(),
        201
    );
    let before = person.room(&code).await["video"].clone();

    // A video's first bytes, then nothing more, with the request still open.
    let start: Result<Vec<u8>, std::io::Error> = Ok(webm_bytes(10_000));
    let body = futures_util::stream::iter([start]).chain(futures_util::stream::pending());
    let started = std::time::Instant::now();
    let upload = person
        .http
        .post(person.url(&format!("/api/rooms/{code}/video?name=stuck.webm")))
        .header("content-type", "application/octet-stream")
        .body(reqwest::Body::wrap_stream(body))
        .send();
    let answer = tokio::time::timeout(PROMPTLY * 2, upload)
        .await
        .expect("the server gives up on the upload");
    match answer {
        Ok(response) => {
            assert_eq!(response.status(), 408);
            let error: serde_json::Value = response.json().await.unwrap();
            assert_eq!(error["code"], "upload_stalled", "{error}");
        }
        // Closing the connection is also a clear end for a client still sending.
        Err(error) => assert!(started.elapsed() >= Duration::from_millis(900), "{error}"),
    }
    assert_eq!(app.media_files(), ["1.webm"], "no temporary file is left");
    assert_eq!(person.room(&code).await["video"], before);
}

#[tokio::test]
async fn limits_healthz_answers_ok_while_serving() {
    let app = spawn_app_with(|_| {}).await;
    let response = app.person().get("/healthz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, json!({"status": "ok", "redis": "disabled"}));
}

/// The real binary, started under an open-file limit of 1,024 (soft and hard, as many shells set
/// it) with its log in a file; killed when dropped.
struct Binary {
    child: std::process::Child,
    base: String,
    log: std::path::PathBuf,
    _dirs: tempfile::TempDir,
}

impl Binary {
    async fn start() -> Binary {
        let dirs = tempfile::tempdir().unwrap();
        let assets = dirs.path().join("assets");
        std::fs::create_dir_all(assets.join("videojs")).unwrap();
        std::fs::write(assets.join("videojs/video.min.js"), "// stand-in").unwrap();
        std::fs::write(assets.join("room.html"), "room").unwrap();
        std::fs::write(assets.join("index.html"), "landing").unwrap();
        std::fs::write(assets.join("not-found.html"), "no such room").unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dirs.path().join("server.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = std::process::Command::new("sh")
            .arg("-c")
            .arg(r#"ulimit -n 1024; exec "$0" --config /dev/null"#)
            .arg(env!("CARGO_BIN_EXE_goblet"))
            .env("GOBLET_BIND", format!("127.0.0.1:{port}"))
            .env("GOBLET_MEDIA_DIR", dirs.path().join("video"))
            .env("GOBLET_DATA_DIR", dirs.path().join("data"))
            .env("GOBLET_ASSETS_DIR", &assets)
            .env("GOBLET_LOG", "info")
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1")
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        let binary = Binary {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            _dirs: dirs,
        };
        for _ in 0..200 {
            if let Ok(response) = reqwest::get(format!("{}/healthz", binary.base)).await
                && response.status() == 200
            {
                return binary;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not start: {}", binary.log());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }

    /// A line of `/proc/PID/status`, in kB (`VmRSS`, `VmHWM`).
    fn status_kb(&self, key: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
            .and_then(|value| value.trim().trim_end_matches(" kB").parse().ok())
            .unwrap_or_else(|| panic!("no {key} in {status}"))
    }

    fn open_files(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .unwrap()
            .count()
    }

    fn person(&self) -> crate::helpers::Person {
        crate::helpers::Person::new(&self.base, None)
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The test process holds well over a thousand sockets of its own.
fn raise_own_open_file_limit(needed: u64) {
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap();
    assert!(
        limit >= needed,
        "this test needs {needed} open files; the hard limit is {limit}"
    );
}

#[tokio::test]
async fn limits_a_flood_of_idle_connections_under_1024_open_files_does_not_shut_others_out() {
    raise_own_open_file_limit(2048);
    let binary = Binary::start().await;
    let server: SocketAddr = binary.base.trim_start_matches("http://").parse().unwrap();
    let mut flood = Vec::new();
    for _ in 0..1100 {
        flood.push(connect_from([127, 0, 0, 2], server).await);
    }
    let person = binary.person();
    let started = std::time::Instant::now();
    let answer = tokio::time::timeout(Duration::from_secs(1), person.get("/api/me"))
        .await
        .expect("answered within 1 s while the flood is held");
    assert_eq!(answer.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(
        binary.open_files() < 1024 - 64,
        "the server keeps descriptors in reserve: {} open",
        binary.open_files()
    );
    drop(flood);

    let log = binary.log();
    assert!(
        log.contains("open_files=1024") && log.contains("max_connections=768"),
        "the limits in force are logged: {log}"
    );
    let refusals = log
        .lines()
        .filter(|line| line.contains("closed new connections over the caps"))
        .count();
    assert!(
        (1..=3).contains(&refusals),
        "refusals are counted, not logged one by one ({refusals} lines): {log}"
    );
    assert!(log.contains("over_max_connections_per_address="), "{log}");
    let warnings = log.lines().filter(|line| line.contains("WARN")).count();
    assert!(warnings <= 5, "{warnings} warnings: {log}");
}

#[tokio::test]
async fn limits_a_1_mib_socket_frame_closes_the_socket_without_being_buffered() {
    let binary = Binary::start().await;
    let person = binary.person();
    let code = person.create_room().await;
    let mut sockets = Vec::new();
    for _ in 0..50 {
        sockets.push(person.connect(&code, None).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let peak_before = binary.status_kb("VmHWM");
    let big = "x".repeat(1024 * 1024);
    let sends = sockets.into_iter().map(|mut socket| {
        let big = big.clone();
        tokio::spawn(async move {
            // The server may close before the whole frame is sent: that is the point.
            let _ = socket
                .send(tokio_tungstenite::tungstenite::Message::Text(big.into()))
                .await;
            tokio::time::timeout(PROMPTLY, async {
                loop {
                    match socket.next().await {
                        Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame))) => {
                            if let Some(frame) = frame {
                                assert_eq!(frame.code, CloseCode::Policy);
                            }
                            return;
                        }
                        Some(Ok(_)) => continue,
                        Some(Err(_)) | None => return,
                    }
                }
            })
            .await
            .expect("the socket is closed")
        })
    });
    for send in futures_util::future::join_all(sends).await {
        send.unwrap();
    }
    let grown_kb = binary.status_kb("VmHWM").saturating_sub(peak_before);
    assert!(
        grown_kb < 8 * 1024,
        "peak memory grew by {grown_kb} kB for 50 oversized frames"
    );
}
