//! Integration tests: the real server over real HTTP and WebSocket.

mod helpers;

mod chat;
mod cleanup;
mod control;
mod database;
mod headers;
mod host;
mod identity;
mod lifecycle;
mod limits;
mod links;
mod media;
mod metrics;
mod multipart;
mod names;
mod openapi;
mod pages;
mod persistence;
mod playback;
mod queue;
mod rate_limits;
mod rooms;
mod shutdown;
mod sockets;
mod spots;
mod streaming;
mod subtitles;
mod sync;
mod tus;
mod uploads;
mod viewers;
