//! Client IDs: a random UUID kept in a signed, HttpOnly cookie. A missing or tampered cookie is replaced
//! by a fresh ID; a client cannot pick someone else's.

use std::{path::Path, sync::Arc, time::Duration};

use anyhow::Context;
use poem::{
    Endpoint, FromRequest, IntoResponse, Request, RequestBody, Response, Result,
    web::cookie::{Cookie, CookieKey, SameSite},
};
use rand::RngCore;
use uuid::Uuid;

pub use crate::client::ClientId;
use crate::{error::ApiError, http::peer::Peer, limits::RetryAfter, state::AppState};

const COOKIE_NAME: &str = "goblet_client";
const KEY_FILE: &str = "cookie.key";
/// Browsers cap cookie lifetimes at 400 days.
const COOKIE_LIFETIME: Duration = Duration::from_secs(400 * 24 * 3600);
/// Polled by balancers and Prometheus, which keep no cookies: an ID for each poll would use up
/// their address's allowance of new IDs (and then answer them 429).
const WITHOUT_ID: [&str; 2] = ["/healthz", "/metrics"];

impl<'a> FromRequest<'a> for ClientId {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> Result<Self> {
        req.extensions().get::<ClientId>().copied().ok_or_else(|| {
            poem::Error::from_string(
                "no client id",
                poem::http::StatusCode::INTERNAL_SERVER_ERROR,
            )
        })
    }
}

/// The signing key: from the configuration, or generated once and kept in `data_dir`.
pub fn load_or_create_key(configured: &str, data_dir: &Path) -> anyhow::Result<CookieKey> {
    if !configured.is_empty() {
        anyhow::ensure!(
            configured.len() >= 32,
            "cookie_key must be at least 32 characters (or empty to generate one)"
        );
        return Ok(CookieKey::derive_from(configured.as_bytes()));
    }
    let path = data_dir.join(KEY_FILE);
    let secret = match std::fs::read(&path) {
        Ok(secret) if secret.len() >= 32 => secret,
        Ok(_) => anyhow::bail!(
            "{} is too short; delete it to make a new key",
            path.display()
        ),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let mut secret = vec![0u8; 64];
            rand::rng().fill_bytes(&mut secret);
            write_private(&path, &secret)
                .with_context(|| format!("while writing {}", path.display()))?;
            secret
        }
        Err(error) => {
            return Err(error).with_context(|| format!("while reading {}", path.display()));
        }
    };
    Ok(CookieKey::derive_from(&secret))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

/// Middleware: puts the request's [`ClientId`] into its extensions, issuing a cookie when needed.
/// A new ID counts against its address's `client_rate_count`: a fresh cookie must not be a way
/// around the limits per client. Needs `CookieJarManager::with_key` and [`identify_peer`] outside
/// it.
///
/// [`identify_peer`]: crate::http::peer::identify_peer
pub async fn identify<E: Endpoint>(next: Arc<E>, mut req: Request) -> Result<Response> {
    if WITHOUT_ID.contains(&req.uri().path()) {
        return next.call(req).await.map(IntoResponse::into_response);
    }
    let jar = req.cookie().clone();
    let known = jar
        .signed()
        .get(COOKIE_NAME)
        .and_then(|cookie| Uuid::parse_str(cookie.value_str()).ok());
    if known.is_none()
        && let Err(retry) = new_ids_allowed(&req)
    {
        return Ok(ApiError::from(retry).into_response());
    }
    let id = known.unwrap_or_else(|| {
        let id = Uuid::new_v4();
        let mut cookie = Cookie::new_with_str(COOKIE_NAME, id.to_string());
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Lax);
        cookie.set_path("/");
        cookie.set_max_age(COOKIE_LIFETIME);
        // Over https (ours, or a trusted proxy's) the cookie must never travel over plain http.
        if req
            .extensions()
            .get::<Peer>()
            .is_some_and(|peer| peer.https)
        {
            cookie.set_secure(true);
        }
        jar.signed().add(cookie);
        id
    });
    req.extensions_mut().insert(ClientId(id));
    next.call(req).await.map(IntoResponse::into_response)
}

/// Whether the request's address may be given another client ID now.
fn new_ids_allowed(req: &Request) -> std::result::Result<(), RetryAfter> {
    let Some(peer) = req.extensions().get::<Peer>() else {
        return Ok(());
    };
    req.data::<AppState>()
        .expect("the app state is attached to every request")
        .limits
        .clients
        .check(&peer.address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_is_kept_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        load_or_create_key("", dir.path()).unwrap();
        let first = std::fs::read(dir.path().join(KEY_FILE)).unwrap();
        load_or_create_key("", dir.path()).unwrap();
        assert_eq!(first, std::fs::read(dir.path().join(KEY_FILE)).unwrap());
        assert_eq!(first.len(), 64);
    }

    #[test]
    fn short_configured_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load_or_create_key("short", dir.path()).is_err());
        assert!(load_or_create_key(&"k".repeat(32), dir.path()).is_ok());
    }
}
