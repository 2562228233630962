//! `goblet [--config PATH]`: loads the configuration, starts logging and runs the server.

use std::path::PathBuf;

use anyhow::Context;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config_path = config_path_from_args()?;
    let config = goblet::config::load(Some(&config_path))?;
    goblet::telemetry::init(&config.log)?;
    let listener = listen(config.bind).with_context(|| format!("while binding {}", config.bind))?;
    goblet::run(config, listener, goblet::shutdown_signal()).await
}

/// A crowd opening the room link at once overflows a short accept queue, and every connection
/// dropped there waits a second for its retry; so ask for a long one.
const LISTEN_BACKLOG: u32 = 4096;

fn listen(address: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(LISTEN_BACKLOG)
}

fn config_path_from_args() -> anyhow::Result<PathBuf> {
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next()) {
        (None, _) => Ok(PathBuf::from("config.toml")),
        (Some("--config"), Some(path)) => Ok(PathBuf::from(path)),
        (Some("--help" | "-h"), _) => {
            println!(
                "usage: goblet [--config PATH]   (default: ./config.toml; GOBLET_* variables override it)"
            );
            std::process::exit(0);
        }
        _ => anyhow::bail!("usage: goblet [--config PATH]"),
    }
}
