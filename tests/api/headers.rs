use reqwest::header::{HeaderMap, SET_COOKIE};
use serde_json::Value;

use crate::helpers::{spawn_app, spawn_app_with, webm_bytes};

fn assert_safety_headers(headers: &HeaderMap, what: &str) {
    let csp = headers
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"))
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(csp.contains("default-src 'self'"), "{what}: {csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(headers["referrer-policy"], "same-origin", "{what}");
    assert_eq!(headers["x-frame-options"], "DENY", "{what}");
}

#[tokio::test]
async fn every_kind_of_answer_carries_the_safety_headers() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    assert_eq!(
        person
            .upload(&code, "v.webm", webm_bytes(100))
            .await
            .status(),
        201
    );

    let page = person.get(&format!("/r/{code}")).await;
    assert_eq!(page.status(), 200);
    assert_safety_headers(page.headers(), "room page");
    let html = page.text().await.unwrap();
    let page_script = html
        .split('"')
        .find(|part| part.starts_with("/static/"))
        .expect("the page links its script");
    let static_file = page_script.replace("room.js", "videojs/video.min.js");
    let csp = person.get("/").await.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");

    for (path, status) in [
        ("/", 200),
        ("/r/NOSUCHRM", 404),
        ("/api/me", 200),
        (&format!("/api/rooms/{code}") as &str, 200),
        ("/api/rooms/NOSUCHRM", 404),
        ("/api/openapi.json", 200),
        ("/api/docs", 200),
        (static_file.as_str(), 200),
        ("/media/1.webm", 200),
        ("/media/9.webm", 404),
    ] {
        let response = person.get(path).await;
        assert_eq!(response.status(), status, "{path}");
        assert_safety_headers(response.headers(), path);
    }
    let refused = person.post_json("/api/me", serde_json::json!({})).await;
    assert_eq!(refused.status(), 405);
    assert_safety_headers(refused.headers(), "a 405");
}

#[tokio::test]
async fn a_request_for_another_host_cannot_create_a_room() {
    let app = spawn_app().await;
    let person = app.person();
    let rebound = |host: &'static str| {
        person
            .http
            .post(person.url("/api/rooms"))
            .header("host", host)
            .header("origin", format!("http://{host}"))
    };
    for host in [
        "evil.example",
        "evil.example:5000",
        "localhost.evil.example",
    ] {
        let response = rebound(host).send().await.unwrap();
        assert_eq!(response.status(), 421, "{host}");
        assert_safety_headers(response.headers(), host);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "unknown_host", "{host}");
    }
    let page = person
        .http
        .get(person.url("/"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 421, "pages too");

    // The server's own names pass.
    let port = person.base.rsplit(':').next().unwrap().to_string();
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let response = person
            .http
            .post(person.url("/api/rooms"))
            .header("host", &host)
            .header("origin", format!("http://{host}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{host}");
    }
}

#[tokio::test]
async fn forwarded_and_configured_hosts_count_only_from_a_trusted_proxy_or_the_configuration() {
    // The test client connects from 127.0.0.1, a trusted proxy by default: like ngrok, which
    // passes the public host in Host and X-Forwarded-Host.
    let app = spawn_app().await;
    let person = app.person();
    let tunnel = |host: &'static str| {
        person
            .http
            .post(person.url("/api/rooms"))
            .header("host", host)
            .header("x-forwarded-host", host)
            .header("origin", format!("https://{host}"))
    };
    assert_eq!(
        tunnel("abc.ngrok-free.app").send().await.unwrap().status(),
        201
    );

    // Not from a trusted proxy, the same headers are refused.
    let untrusted = spawn_app_with(|config| config.trusted_proxies = Vec::new()).await;
    let person = untrusted.person();
    let response = person
        .http
        .post(person.url("/api/rooms"))
        .header("host", "abc.ngrok-free.app")
        .header("x-forwarded-host", "abc.ngrok-free.app")
        .header("origin", "https://abc.ngrok-free.app")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 421);

    // A host named in allowed_origins needs no proxy.
    let configured = spawn_app_with(|config| {
        config.trusted_proxies = Vec::new();
        config.allowed_origins = vec!["https://party.example.org".into()];
    })
    .await;
    let person = configured.person();
    let response = person
        .http
        .post(person.url("/api/rooms"))
        .header("host", "party.example.org")
        .header("origin", "https://party.example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

/// The `Set-Cookie` header a fresh client gets with these extra request headers.
async fn new_cookie(base: &str, headers: &[(&str, &str)]) -> String {
    let mut request = reqwest::Client::new().get(format!("{base}/api/me"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.headers()[SET_COOKIE].to_str().unwrap().to_string()
}

#[tokio::test]
async fn the_cookie_is_secure_only_when_a_trusted_proxy_says_https() {
    let app = spawn_app().await;
    let plain = new_cookie(&app.base, &[]).await;
    assert!(plain.contains("goblet_client="), "{plain}");
    assert!(!plain.to_ascii_lowercase().contains("; secure"), "{plain}");
    let https = new_cookie(&app.base, &[("x-forwarded-proto", "https")]).await;
    assert!(https.to_ascii_lowercase().contains("; secure"), "{https}");
    assert!(https.to_ascii_lowercase().contains("httponly"), "{https}");

    let untrusted = spawn_app_with(|config| config.trusted_proxies = Vec::new()).await;
    let claimed = new_cookie(&untrusted.base, &[("x-forwarded-proto", "https")]).await;
    assert!(
        !claimed.to_ascii_lowercase().contains("; secure"),
        "a client cannot claim https itself: {claimed}"
    );
}
