//! Who is on the other end of a request: the client's address, and whether it came over https.
//! Behind ngrok or a reverse proxy every connection comes from the proxy, so the proxy's
//! `X-Forwarded-For` and `X-Forwarded-Proto` are believed, but only when the connection comes from
//! one of `trusted_proxies`; from anyone else those headers are ignored (a client could write any).

use std::{net::IpAddr, sync::Arc};

use poem::{Endpoint, FromRequest, IntoResponse, Request, RequestBody, Response, Result};

use crate::{limits::network_of, state::AppState};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer {
    /// The client's address: the connection's, or the one a trusted proxy forwarded; an IPv6
    /// address as its /64 network, which is what every limit per address counts by
    /// ([`network_of`]).
    pub address: IpAddr,
    /// Whether the client's own connection was https (as a trusted proxy says).
    pub https: bool,
}

impl Peer {
    /// The peer of a connection from `connected` carrying these forwarding headers.
    pub fn resolve(
        connected: IpAddr,
        forwarded_for: Option<&str>,
        forwarded_proto: Option<&str>,
        trusted: &[IpAddr],
    ) -> Self {
        let is_trusted = |address: &IpAddr| trusted.contains(&canonical(*address));
        if !is_trusted(&connected) {
            return Self {
                address: network_of(connected),
                https: false,
            };
        }
        // Each proxy appends the address it heard from: walk back from the nearest one and stop
        // at the first that is not a proxy we trust; anything before it could be made up.
        let hops: Vec<IpAddr> = forwarded_for
            .unwrap_or_default()
            .split(',')
            .filter_map(|hop| parse_hop(hop.trim()))
            .collect();
        let address = hops
            .iter()
            .rev()
            .find(|hop| !is_trusted(hop))
            .or(hops.first())
            .copied()
            .map_or(network_of(connected), network_of);
        let https = forwarded_proto
            .and_then(|proto| proto.split(',').next())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
        Self { address, https }
    }
}

/// An address as written in `X-Forwarded-For`: bare, or with a port (`1.2.3.4:5`, `[::1]:5`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(address) = hop.parse() {
        return Some(address);
    }
    hop.parse::<std::net::SocketAddr>().ok().map(|s| s.ip())
}

/// IPv4 addresses that arrive mapped into IPv6 (`::ffff:1.2.3.4`) count as the IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// Middleware: puts the request's [`Peer`] into its extensions.
pub async fn identify_peer<E: Endpoint>(next: Arc<E>, mut req: Request) -> Result<Response> {
    let connected = req
        .remote_addr()
        .as_socket_addr()
        .map_or(IpAddr::from([0, 0, 0, 0]), |address| address.ip());
    let trusted = &req
        .data::<AppState>()
        .expect("the app state is attached to every request")
        .config
        .trusted_proxies;
    let peer = Peer::resolve(
        connected,
        req.header("x-forwarded-for"),
        req.header("x-forwarded-proto"),
        trusted,
    );
    req.extensions_mut().insert(peer);
    next.call(req).await.map(IntoResponse::into_response)
}

impl<'a> FromRequest<'a> for Peer {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> Result<Self> {
        req.extensions().get::<Peer>().copied().ok_or_else(|| {
            poem::Error::from_string("no peer", poem::http::StatusCode::INTERNAL_SERVER_ERROR)
        })
    }
}

/// Who is asking: the client's ID and the address it asks from, for handlers that need both.
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    pub client: crate::client::ClientId,
    pub peer: Peer,
}

impl<'a> FromRequest<'a> for Caller {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> Result<Self> {
        Ok(Self {
            client: crate::client::ClientId::from_request(req, body).await?,
            peer: Peer::from_request(req, body).await?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let trusted = [ip("127.0.0.1")];
        let direct = Peer::resolve(ip("203.0.113.9"), Some("1.2.3.4"), Some("https"), &trusted);
        assert_eq!(
            direct.address,
            ip("203.0.113.9"),
            "a client cannot pick its address"
        );
        assert!(!direct.https);

        let proxied = Peer::resolve(
            ip("127.0.0.1"),
            Some("198.51.100.7"),
            Some("https"),
            &trusted,
        );
        assert_eq!(proxied.address, ip("198.51.100.7"));
        assert!(proxied.https);

        let no_header = Peer::resolve(ip("127.0.0.1"), None, None, &trusted);
        assert_eq!(no_header.address, ip("127.0.0.1"));
        assert!(!no_header.https);
    }

    #[test]
    fn the_nearest_untrusted_hop_is_the_client() {
        let trusted = [ip("127.0.0.1"), ip("10.0.0.2")];
        // The client wrote a made-up first hop; our proxies appended the rest.
        let peer = Peer::resolve(
            ip("127.0.0.1"),
            Some("6.6.6.6, 198.51.100.7, 10.0.0.2"),
            Some("http"),
            &trusted,
        );
        assert_eq!(peer.address, ip("198.51.100.7"));
        let with_ports = Peer::resolve(
            ip("127.0.0.1"),
            Some("[2001:db8::1]:4711, garbage"),
            None,
            &trusted,
        );
        assert_eq!(
            with_ports.address,
            ip("2001:db8::"),
            "IPv6 counts by its /64"
        );
        let mapped = Peer::resolve(
            ip("::ffff:127.0.0.1"),
            Some("::ffff:192.0.2.1"),
            None,
            &trusted,
        );
        assert_eq!(mapped.address, ip("192.0.2.1"));
    }
}
