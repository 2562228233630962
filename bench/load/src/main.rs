//! `goblet-load`: the load generator behind `./bench.sh`. Each subcommand measures one thing against
//! a running server and prints a figure block, then one `@row` line per figure that `bench.sh`
//! gathers into the results table. Nothing here judges a figure: benchmarks report, people decide.
//!
//! Map of the modules:
//! - [`client`]: cookies, rooms, uploads and sockets, the way a browser gets them.
//! - [`sockets`]: fan-out latency, memory per viewer and the join storm (many WebSockets).
//! - [`room`]: a representative room for them: named viewers and about 8 KB of chat history.
//! - [`floor`]: the fan-out floor, a bare WebSocket relay that Goblet's fan-out is compared with.
//! - [`streaming`]: concurrent Range and whole-file reads, Goblet against nginx.
//! - [`upload`]: a large upload against `dd` writing the same bytes to the same disk.
//! - [`tus`]: a resumable upload against the raw POST, and one cut half-way and resumed.
//! - [`stats`], [`procfs`]: percentiles, and a process's memory from `/proc`.

mod client;
mod floor;
mod procfs;
mod room;
mod sockets;
mod stats;
mod streaming;
mod tus;
mod upload;

use std::{net::SocketAddr, path::PathBuf};

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Load generator for Goblet's benchmarks (see bench.sh)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// One host and N viewers in a room; the host sends seek/play, each viewer times the echo.
    /// With --floor, the same through the floor server afterwards, and the ratio.
    Fanout {
        #[command(flatten)]
        target: sockets::Target,
        /// Viewers in the room.
        #[arg(long)]
        viewers: usize,
        /// Commands sent, alternately seek and play; each waits until every viewer has it.
        #[arg(long, default_value_t = 30)]
        rounds: usize,
        /// The server's process ID, to report its CPU time per delivered message.
        #[arg(long)]
        pid: Option<u32>,
        /// The floor server's address (see `floor-server`), to measure it the same way.
        #[arg(long)]
        floor: Option<SocketAddr>,
        /// The floor server's process ID, for its CPU time per delivered message.
        #[arg(long, requires = "floor")]
        floor_pid: Option<u32>,
        /// A second node of the same cluster (`redis_url`): every other viewer joins there, and
        /// the figures are given per node, with the cost of the hop between them.
        #[arg(long, conflicts_with = "floor")]
        second_server: Option<SocketAddr>,
    },
    /// A bare WebSocket server that relays every text frame to every socket: fan-out's floor.
    FloorServer {
        /// The address to listen on.
        #[arg(long)]
        bind: SocketAddr,
    },
    /// Server RSS before and after N idle viewers join one room with chat history.
    Memory {
        #[command(flatten)]
        target: sockets::Target,
        #[arg(long)]
        viewers: usize,
        /// The server's process ID, to read `/proc/PID/status`.
        #[arg(long)]
        pid: u32,
    },
    /// N named viewers connect at once to a room with chat history; time until every one has
    /// its history.
    JoinStorm {
        #[command(flatten)]
        target: sockets::Target,
        #[arg(long)]
        viewers: usize,
        /// The server's process ID, to report its memory after the storm too.
        #[arg(long)]
        pid: Option<u32>,
    },
    /// C clients reading random 1 MiB ranges, then whole files, from Goblet and from nginx.
    Range {
        /// Goblet's address.
        #[arg(long)]
        server: SocketAddr,
        /// nginx's address; it serves Goblet's media folder at its root.
        #[arg(long)]
        nginx: SocketAddr,
        /// The file to upload to Goblet and read back.
        #[arg(long)]
        file: PathBuf,
        /// Concurrent clients, e.g. 1,16,128.
        #[arg(long, value_delimiter = ',', default_value = "1,16,128")]
        clients: Vec<usize>,
        /// Seconds each measurement runs.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Goblet's process ID, to report its CPU time per GB served.
        #[arg(long)]
        pid: Option<u32>,
        /// nginx's master process ID (its workers are counted with it).
        #[arg(long)]
        nginx_pid: Option<u32>,
        /// Measure one server only (to profile it): goblet or nginx.
        #[arg(long)]
        only: Option<streaming::Side>,
    },
    /// Uploads a file and times it against `dd` writing the same bytes to the same disk.
    Upload {
        #[arg(long)]
        server: SocketAddr,
        /// The server's process ID, for its peak memory.
        #[arg(long)]
        pid: u32,
        /// The file to upload (see `make-file`).
        #[arg(long)]
        file: PathBuf,
        /// A folder on the same file system as the media folder, for dd's copy.
        #[arg(long)]
        scratch: PathBuf,
        /// Runs of each; the disk is noisy, so the best of each is compared.
        #[arg(long, default_value_t = 2)]
        runs: usize,
    },
    /// Uploads a file with tus and as one raw POST in turns; then one cut half-way and resumed.
    Tus {
        #[arg(long)]
        server: SocketAddr,
        /// The server's process ID, for its peak memory.
        #[arg(long)]
        pid: u32,
        /// The file to upload (see `make-file`).
        #[arg(long)]
        file: PathBuf,
        /// Bytes per PATCH.
        #[arg(long, default_value_t = 64 * 1024 * 1024)]
        chunk: u64,
        /// Runs of each; the best of each is compared.
        #[arg(long, default_value_t = 2)]
        runs: usize,
    },
    /// Writes a file the server accepts as WebM: an EBML header, then pseudo-random bytes.
    MakeFile {
        #[arg(long)]
        size: u64,
        path: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Fanout {
            target,
            viewers,
            rounds,
            pid,
            floor,
            floor_pid,
            second_server,
        } => {
            let floor = floor.map(|server| sockets::Floor {
                server,
                pid: floor_pid,
            });
            match second_server {
                Some(second) => sockets::fanout_two_nodes(&target, second, viewers, rounds).await,
                None => sockets::fanout(&target, viewers, rounds, pid, floor).await,
            }
        }
        Command::FloorServer { bind } => floor::serve(bind).await,
        Command::Memory {
            target,
            viewers,
            pid,
        } => sockets::memory(&target, viewers, pid).await,
        Command::JoinStorm {
            target,
            viewers,
            pid,
        } => sockets::join_storm(&target, viewers, pid).await,
        Command::Range {
            server,
            nginx,
            file,
            clients,
            seconds,
            pid,
            nginx_pid,
            only,
        } => {
            let targets = [
                streaming::Target::new(streaming::Side::Goblet, server, pid),
                streaming::Target::new(streaming::Side::Nginx, nginx, nginx_pid),
            ];
            streaming::run(&targets, &file, &clients, seconds, only).await
        }
        Command::Upload {
            server,
            pid,
            file,
            scratch,
            runs,
        } => upload::run(server, pid, &file, &scratch, runs).await,
        Command::Tus {
            server,
            pid,
            file,
            chunk,
            runs,
        } => tus::run(server, pid, &file, chunk, runs).await,
        Command::MakeFile { size, path } => upload::make_file(&path, size),
    }
}
