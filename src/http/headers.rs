//! Safety headers on every response, and the refusal of requests that name another site.
//!
//! A page on another site can point its own name at this machine (DNS rebinding) and then talk to
//! Goblet as if it were that site: the `Host` header is the one thing that gives it away. So a
//! request must name this server: an IP address (what a port forward or the bind address gives),
//! `localhost` (or `*.localhost`, which browsers keep on this machine), a host of
//! `allowed_origins`, or the host a trusted proxy says it forwarded (`X-Forwarded-Host`).

use std::{net::IpAddr, sync::Arc};

use poem::{
    Endpoint, IntoResponse, Request, Response, Result,
    http::{HeaderValue, StatusCode, header},
};

use crate::{config::Config, state::AppState};

/// What the pages load: their own scripts, styles and images; VideoJS (served from here too);
/// YouTube's IFrame Player API script and its player frame; videos from here or any http(s) link;
/// the room socket and the API on this same host. A link to a streamed format (HLS, DASH) makes
/// VideoJS fetch its parts from the link's server and play them through `blob:` URLs and a worker.
/// Styles may be inline: VideoJS sizes its player by writing a `<style>` element, and the setup
/// page has one. Scripts may not.
const PAGE_POLICY: &str = "default-src 'self'; \
    script-src 'self' https://www.youtube.com https://s.ytimg.com; \
    style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; \
    font-src 'self' data:; \
    media-src 'self' http: https: blob:; \
    connect-src 'self' http: https:; \
    worker-src 'self' blob:; \
    frame-src https://www.youtube.com https://www.youtube-nocookie.com; \
    object-src 'none'; \
    base-uri 'none'; \
    form-action 'self'; \
    frame-ancestors 'none'";

/// Swagger UI (bundled by poem-openapi) is one page of inline script and style.
const DOCS_POLICY: &str = "default-src 'self'; \
    script-src 'self' 'unsafe-inline'; \
    style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; \
    object-src 'none'; \
    base-uri 'none'; \
    frame-ancestors 'none'";

const DOCS_PATH: &str = "/api/docs";

/// Middleware: refuses requests for other hosts, and adds the safety headers to every answer.
pub async fn secure<E: Endpoint>(next: Arc<E>, req: Request) -> Result<Response> {
    let docs = req.uri().path().starts_with(DOCS_PATH);
    let mut response = if host_known(&req) {
        match next.call(req).await {
            Ok(response) => response.into_response(),
            Err(error) => error.into_response(),
        }
    } else {
        let host = req.header(header::HOST).unwrap_or_default();
        tracing::warn!(%host, path = %req.uri().path(), "refused a request for another host");
        let body = serde_json::json!({
            "code": "unknown_host",
            "message": "this server does not answer for that host name; \
                        add it to allowed_origins if it is yours",
        });
        (StatusCode::MISDIRECTED_REQUEST, poem::web::Json(body)).into_response()
    };
    let headers = response.headers_mut();
    let policy = if docs { DOCS_POLICY } else { PAGE_POLICY };
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, policy),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    Ok(response)
}

fn host_known(req: &Request) -> bool {
    // HTTP/2 carries the host in the URI; HTTP/1.1 in the Host header.
    let Some(host) = req
        .uri()
        .authority()
        .map(|authority| authority.as_str())
        .or_else(|| req.header(header::HOST))
    else {
        // Browsers always send one: without it there is nothing to rebind.
        return true;
    };
    is_own_name(host, forwarded_host(req), config(req))
}

fn config(req: &Request) -> &Config {
    &req.data::<AppState>()
        .expect("the app state is attached to every request")
        .config
}

/// The `X-Forwarded-Host` of a request that came through a trusted proxy; None from anyone else.
pub fn forwarded_host(req: &Request) -> Option<&str> {
    let proxied = req
        .remote_addr()
        .as_socket_addr()
        .is_some_and(|address| is_trusted(address.ip(), config(req)));
    if proxied {
        req.header("x-forwarded-host")
    } else {
        None
    }
}

fn is_trusted(address: IpAddr, config: &Config) -> bool {
    let address = address.to_canonical();
    config
        .trusted_proxies
        .iter()
        .any(|trusted| trusted.to_canonical() == address)
}

/// Whether `host` (a `Host` header: a name or address, perhaps with a port) is one of this
/// server's names. `forwarded` is the `X-Forwarded-Host` of a trusted proxy, if any.
pub fn is_own_name(host: &str, forwarded: Option<&str>, config: &Config) -> bool {
    let Some(name) = host_name(host) else {
        return false;
    };
    if name.trim_matches(['[', ']']).parse::<IpAddr>().is_ok() {
        // An address cannot be rebound: whoever uses it reached this machine by it.
        return true;
    }
    let name = name.trim_end_matches('.');
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    let configured = config
        .allowed_origins
        .iter()
        .filter_map(|origin| url::Url::parse(origin).ok())
        .any(|origin| origin.host_str().is_some_and(|own| own == name));
    let proxied = forwarded
        .into_iter()
        .flat_map(|value| value.split(','))
        .filter_map(|value| host_name(value.trim()))
        .any(|own| own.trim_end_matches('.') == name);
    configured || proxied
}

/// The lower-cased name or address of a `Host` value, without its port.
fn host_name(host: &str) -> Option<String> {
    let authority: poem::http::uri::Authority = host.parse().ok()?;
    Some(authority.host().to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(origins: &[&str]) -> Config {
        Config {
            allowed_origins: origins.iter().map(|o| o.to_string()).collect(),
            ..Config::default()
        }
    }

    #[test]
    fn addresses_and_localhost_are_always_this_server() {
        let config = config(&[]);
        for host in [
            "127.0.0.1:5000",
            "127.0.0.1",
            "[::1]:5000",
            "192.168.1.20:5000",
            "203.0.113.7:5000",
            "localhost:5000",
            "LOCALHOST",
            "goblet.localhost:5000",
        ] {
            assert!(is_own_name(host, None, &config), "{host}");
        }
    }

    #[test]
    fn other_names_only_when_configured_or_forwarded_by_a_trusted_proxy() {
        let none = config(&[]);
        for host in [
            "evil.example",
            "evil.example:5000",
            "localhost.evil.example",
            "",
            "a b",
        ] {
            assert!(!is_own_name(host, None, &none), "{host}");
        }
        let configured = config(&["https://party.example.org"]);
        assert!(is_own_name("party.example.org", None, &configured));
        assert!(is_own_name("Party.Example.org:443", None, &configured));
        assert!(!is_own_name("evil.example", None, &configured));
        assert!(is_own_name(
            "abc.ngrok-free.app",
            Some("abc.ngrok-free.app"),
            &none
        ));
        assert!(!is_own_name(
            "evil.example",
            Some("abc.ngrok-free.app"),
            &none
        ));
    }
}
