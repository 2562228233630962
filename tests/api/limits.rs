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

use futures_util::StreamExt;

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
    assert_eq!(body, json!({"status": "ok"}));
}
