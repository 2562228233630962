// A WebSocket that reconnects by itself. The server sends a fresh `snapshot` first on every socket, so
// a reconnect needs no bookkeeping here: whoever listens resyncs from that snapshot.

/**
 * Delay before reconnect attempt number `attempt` (0-based): exponential from `base` up to `max`, half
 * of it fixed and half random ("equal jitter"), so a restarted server is not met by every browser at the
 * same instant, yet no retry comes back-to-back with the last.
 */
export function backoffDelay(attempt, { base = 500, max = 15_000, random = Math.random } = {}) {
  const cap = Math.min(max, base * 2 ** Math.min(attempt, 16));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

export class ReconnectingSocket {
  /**
   * `onMessage(obj)` gets each parsed JSON frame; `onStatus({state, retryIn})` hears
   * 'connecting' | 'open' | 'closed' (retryIn ms until the next try) | 'stopped' (after `close()`);
   * `onOpen()` runs on each connect. `healthy(obj)`: whether a message shows the socket really joined,
   * which resets the backoff (by default any message does; a refusal sent just before the server closes
   * the socket should not, or a full room would be retried every half second). `onFail()` runs when an
   * attempt closes without ever opening (the server down, or refusing the upgrade, as a password room
   * does with a 401 the browser does not show us): the caller may ask the server why.
   */
  constructor(url, { onMessage, onStatus = () => {}, onOpen = () => {}, healthy = () => true, onFail = () => {} }) {
    this.url = url;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.onOpen = onOpen;
    this.healthy = healthy;
    this.onFail = onFail;
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.stopped = false;
    // Reconnect at once when the network comes back or the tab becomes visible again, rather than
    // waiting out a long backoff.
    this.kick = () => {
      if (!this.stopped && this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
        this.connect();
      }
    };
    window.addEventListener('online', this.kick);
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.kick();
    });
    this.connect();
  }

  get isOpen() {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  connect() {
    this.onStatus({ state: 'connecting' });
    const ws = new WebSocket(this.url);
    this.ws = ws;
    let opened = false;
    ws.addEventListener('open', () => {
      opened = true;
      this.onStatus({ state: 'open' });
      this.onOpen();
    });
    ws.addEventListener('message', (event) => {
      // Only a socket that delivered something counts as healthy: one that opens and is closed at
      // once (room gone, server overloaded, room full) keeps backing off.
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (this.healthy(message)) this.attempt = 0;
      this.onMessage(message);
    });
    ws.addEventListener('close', () => {
      if (this.ws !== ws || this.stopped) return;
      const retryIn = backoffDelay(this.attempt);
      this.attempt += 1;
      this.onStatus({ state: 'closed', retryIn });
      this.timer = setTimeout(() => {
        this.timer = null;
        this.connect();
      }, retryIn);
      if (!opened) this.onFail();
    });
  }

  /** Sends one JSON message; false when the socket is not open (the caller decides what that means). */
  send(message) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  /** Stops for good: no more reconnects (e.g. after the server removed us from the room). */
  close() {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = null;
    window.removeEventListener('online', this.kick);
    this.ws?.close(1000);
    this.onStatus({ state: 'stopped' });
  }
}
