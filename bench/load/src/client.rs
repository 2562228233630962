//! Talking to Goblet the way browsers do: a cookie from `GET /api/me`, rooms, uploads, and room
//! sockets opened with that cookie.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    path::Path,
    sync::Arc,
};

use anyhow::{Context, bail};
use futures_util::{StreamExt, TryStreamExt, stream};
use serde_json::Value;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::{
    WebSocketStream,
    tungstenite::{
        Message,
        client::IntoClientRequest,
        http::{HeaderValue, header},
        protocol::WebSocketConfig,
    },
};

pub type Socket = WebSocketStream<TcpStream>;

const COOKIE_NAME: &str = "goblet_client=";
/// Cookie requests in flight at once: enough to hide the round trips, few enough to stay polite.
const COOKIE_CONCURRENCY: usize = 32;
/// A viewer's socket mostly receives small JSON messages: keep its buffer small, so 10,000 of them
/// do not make the load generator the heaviest process on the machine (tungstenite also zeroes
/// the free part of it before every read). A larger message grows it as needed.
const SOCKET_READ_BUFFER: usize = 512;

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a plain HTTP client always builds")
}

pub fn url(server: SocketAddr, path: &str) -> String {
    format!("http://{server}{path}")
}

/// `n` fresh client identities: each request goes without a cookie, so each answer issues a new
/// one. Returns the `name=value` pairs to send back.
pub async fn fetch_cookies(server: SocketAddr, n: usize) -> anyhow::Result<Vec<String>> {
    let http = http_client();
    let url = Arc::new(url(server, "/api/me"));
    stream::iter(0..n)
        .map(|_| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                let response = http.get(url.as_str()).send().await?.error_for_status()?;
                let cookie = response
                    .headers()
                    .get_all(header::SET_COOKIE)
                    .iter()
                    .filter_map(|value| value.to_str().ok())
                    .find(|value| value.starts_with(COOKIE_NAME))
                    .and_then(|value| value.split(';').next())
                    .map(str::to_string)
                    .context("GET /api/me set no goblet_client cookie")?;
                anyhow::Ok(cookie)
            }
        })
        .buffered(COOKIE_CONCURRENCY)
        .try_collect()
        .await
}

/// Gives each client a display name (`viewer 1`, `viewer 2`, ... for the prefix `viewer`), as
/// people do before they join: names travel in snapshots, viewer lists and chat, so a bench
/// without them would send smaller messages than a real room does.
pub async fn name_clients(
    server: SocketAddr,
    cookies: &[String],
    prefix: &str,
) -> anyhow::Result<()> {
    let http = http_client();
    let url = Arc::new(url(server, "/api/me"));
    stream::iter(cookies.iter().enumerate())
        .map(|(i, cookie)| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                let body = serde_json::json!({ "name": format!("{prefix} {}", i + 1) });
                http.put(url.as_str())
                    .header(header::COOKIE, cookie)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(body.to_string())
                    .send()
                    .await?
                    .error_for_status()
                    .context("PUT /api/me failed")?;
                anyhow::Ok(())
            }
        })
        .buffer_unordered(COOKIE_CONCURRENCY)
        .try_collect()
        .await
}

/// Creates a room and returns its code.
pub async fn create_room(server: SocketAddr) -> anyhow::Result<String> {
    let response = http_client()
        .post(url(server, "/api/rooms"))
        .send()
        .await?
        .error_for_status()
        .context("POST /api/rooms failed")?;
    let room: Value = serde_json::from_slice(&response.bytes().await?)?;
    room["code"]
        .as_str()
        .map(str::to_string)
        .context("the room has no code")
}

/// Streams `file` as a room's video; returns the video's URL path (`/media/N.webm`).
pub async fn upload(server: SocketAddr, code: &str, file: &Path) -> anyhow::Result<String> {
    let opened = tokio::fs::File::open(file)
        .await
        .with_context(|| format!("while opening {}", file.display()))?;
    let len = opened.metadata().await?.len();
    let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(
        opened,
        256 * 1024,
    ));
    let response = http_client()
        .post(url(
            server,
            &format!("/api/rooms/{code}/video?name=bench.webm"),
        ))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, len)
        .body(body)
        .send()
        .await?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        bail!("upload answered {status}: {text}");
    }
    let video: Value = serde_json::from_str(&text)?;
    video["url"]
        .as_str()
        .map(str::to_string)
        .context("the uploaded video has no url")
}

/// The `i`-th of `count` loopback source addresses (127.0.0.2, 127.0.0.3, ...). Spreading sockets
/// over several sources multiplies the ephemeral ports available to one server port.
pub fn source_address(i: usize, count: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + (i % count.max(1)) as u8))
}

/// Opens the room's socket with `cookie` from `source`, without reading anything yet.
pub async fn connect(
    server: SocketAddr,
    code: &str,
    cookie: &str,
    source: IpAddr,
) -> anyhow::Result<Socket> {
    connect_to(
        server,
        &format!("/api/rooms/{code}/ws"),
        Some(cookie),
        source,
    )
    .await
}

/// Opens a WebSocket to `path` from `source`, with `cookie` when given.
pub async fn connect_to(
    server: SocketAddr,
    path: &str,
    cookie: Option<&str>,
    source: IpAddr,
) -> anyhow::Result<Socket> {
    let socket = TcpSocket::new_v4()?;
    socket
        .bind(SocketAddr::new(source, 0))
        .with_context(|| format!("while binding {source}"))?;
    let stream = socket.connect(server).await?;
    stream.set_nodelay(true)?;
    let mut request = format!("ws://{server}{path}").into_client_request()?;
    if let Some(cookie) = cookie {
        request
            .headers_mut()
            .insert(header::COOKIE, HeaderValue::from_str(cookie)?);
    }
    let config = WebSocketConfig::default()
        .read_buffer_size(SOCKET_READ_BUFFER)
        .write_buffer_size(0);
    let (socket, _) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await?;
    Ok(socket)
}

/// Reads until the next text message; None when the socket ends.
pub async fn next_text(socket: &mut Socket) -> Option<anyhow::Result<String>> {
    loop {
        match socket.next().await? {
            Ok(Message::Text(text)) => return Some(Ok(text.as_str().to_string())),
            Ok(Message::Close(frame)) => {
                return Some(Err(anyhow::anyhow!("socket closed: {frame:?}")));
            }
            Ok(_) => continue,
            Err(error) => return Some(Err(error.into())),
        }
    }
}
