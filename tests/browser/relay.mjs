// A TCP relay that plays a viewer's network for the sync benchmark (bench/sync-bench.mjs) and the browser
// suite's buffering scenarios (sync.test.mjs): the page
// talks to the relay's loopback address, the relay to the server. Every chunk waits half the round trip
// each way, plus or minus half the jitter (never overtaking the chunk before it: TCP keeps order), and
// media towards the page can be capped to a bandwidth, shared by the page's media connections. The cap
// leaves the page's other connections (its socket, the page's own requests) alone: a link that queued a
// socket message behind seconds of video would measure the relay's queue, where a real network's fair
// queueing lets the small flow through. `stall(ms)` stops forwarding towards the page for
// a while, on the media connections only (told apart by their first request line, `GET /media/...`) or
// on all of them.
//
// Loopback only, owned by the bench: it is not a general-purpose proxy.

import { createServer, connect } from 'node:net';

/** Above this many bytes queued towards the page, the server side is paused (TCP pushes back). */
const HIGH_WATER = 64 * 1024;

export class Relay {
  /**
   * `listenHost`: a loopback address for this page (127.0.0.x); `target`: {host, port} of the server;
   * `rttMs`, `jitterMs` (the round trip varies by +-jitterMs); `downKbps`: a cap on data towards the page
   * (null: none).
   */
  constructor({ listenHost, target, rttMs = 0, jitterMs = 0, downKbps = null }) {
    this.listenHost = listenHost;
    this.target = target;
    this.rttMs = rttMs;
    this.jitterMs = jitterMs;
    this.downKbps = downKbps;
    this.linkFreeAt = 0; // the capped downlink is busy until then (ms, performance clock)
    this.stalledUntil = 0;
    this.stallMediaOnly = true;
    this.connections = new Set();
    this.server = createServer((client) => this.accept(client));
  }

  listen() {
    return new Promise((done, fail) => {
      this.server.once('error', fail);
      this.server.listen(0, this.listenHost, () => {
        this.port = this.server.address().port;
        done(this);
      });
    });
  }

  get origin() {
    return `http://${this.listenHost}:${this.port}`;
  }

  /** Holds data towards the page for `ms` (media connections only unless `mediaOnly` is false). */
  stall(ms, { mediaOnly = true } = {}) {
    this.stallMediaOnly = mediaOnly;
    this.stalledUntil = performance.now() + ms;
    const token = (this.stallToken = (this.stallToken ?? 0) + 1);
    if (Number.isFinite(ms)) setTimeout(() => token === this.stallToken && this.release(), ms + 1);
  }

  /** Ends a stall early (`stall(Infinity)` holds until this). */
  release() {
    this.stalledUntil = 0;
    for (const connection of this.connections) connection.down.pump();
  }

  /** One way's delay for one chunk: half the round trip, +- half the jitter. */
  oneWay() {
    return this.rttMs / 2 + (Math.random() - 0.5) * this.jitterMs;
  }

  accept(client) {
    const upstream = connect(this.target.port, this.target.host);
    const connection = { media: false };
    connection.up = new Pipe(upstream, () => this.oneWay(), null);
    connection.down = new Pipe(client, () => this.oneWay(), this, connection);
    this.connections.add(connection);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (chunk) => {
      // Keep-alive: any request on the connection that asks for media makes it a media connection.
      if (chunk.includes('GET /media/')) connection.media = true;
      connection.up.push(chunk);
    });
    upstream.on('data', (chunk) => {
      connection.down.push(chunk);
      if (connection.down.queued > HIGH_WATER) upstream.pause();
    });
    connection.down.onDrain = () => upstream.resume();
    const close = () => {
      this.connections.delete(connection);
      connection.up.end();
      connection.down.end();
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  }

  close() {
    for (const connection of this.connections) {
      connection.up.destroy();
      connection.down.destroy();
    }
    return new Promise((done) => this.server.close(() => done()));
  }
}

/**
 * One direction of one connection: chunks queued with the time they may leave, written in order. The
 * downlink (`relay` given) also obeys the page's bandwidth cap and its stalls.
 */
class Pipe {
  constructor(socket, delay, relay, connection = null) {
    this.socket = socket;
    this.delay = delay;
    this.relay = relay;
    this.connection = connection;
    this.queue = [];
    this.queued = 0;
    this.lastDue = 0;
    this.timer = null;
    this.ending = false;
    this.onDrain = () => {};
  }

  push(chunk) {
    let due = Math.max(performance.now() + this.delay(), this.lastDue);
    if (this.relay?.downKbps && this.connection.media) {
      // The chunk takes its size / bandwidth on the page's one (shared) downlink.
      const relay = this.relay;
      const start = Math.max(relay.linkFreeAt, performance.now());
      relay.linkFreeAt = start + (chunk.length * 8) / relay.downKbps;
      due = Math.max(due, relay.linkFreeAt);
    }
    this.lastDue = due;
    this.queue.push({ chunk, due });
    this.queued += chunk.length;
    this.pump();
  }

  stalled() {
    const relay = this.relay;
    if (!relay || performance.now() >= relay.stalledUntil) return false;
    return !relay.stallMediaOnly || this.connection.media;
  }

  pump() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.stalled()) return; // the stall's end pumps again
    const now = performance.now();
    while (this.queue.length && this.queue[0].due <= now) {
      const { chunk } = this.queue.shift();
      this.queued -= chunk.length;
      if (!this.socket.destroyed) this.socket.write(chunk);
    }
    if (this.queued <= HIGH_WATER / 2) this.onDrain();
    if (this.queue.length) this.timer = setTimeout(() => this.pump(), Math.max(0, this.queue[0].due - now));
    else if (this.ending) this.socket.end();
  }

  end() {
    this.ending = true;
    if (!this.queue.length) this.socket.end();
  }

  destroy() {
    clearTimeout(this.timer);
    this.socket.destroy();
  }
}
