//! Integration tests: the real server over real HTTP and WebSocket.

mod helpers;

mod host;
mod identity;
mod openapi;
mod pages;
mod persistence;
mod playback;
mod rooms;
mod sockets;
mod spots;
mod streaming;
mod uploads;
mod viewers;
