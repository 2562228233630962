//! Logging through `tracing`, filtered by the configured filter (`RUST_LOG` wins when set).

use tracing_subscriber::{EnvFilter, fmt};

pub fn init(filter: &str) -> anyhow::Result<()> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(from_env) if !from_env.is_empty() => EnvFilter::try_new(from_env),
        _ => EnvFilter::try_new(filter),
    }
    .map_err(|error| anyhow::anyhow!("invalid log filter: {error}"))?;
    fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init()
        .ok();
    Ok(())
}
