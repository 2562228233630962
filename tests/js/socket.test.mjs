import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from '../../assets/js/socket.js';

test('backoff grows exponentially up to the cap', () => {
  const fixed = { random: () => 1 };
  assert.deepEqual([0, 1, 2, 3].map((n) => backoffDelay(n, fixed)), [500, 1000, 2000, 4000]);
  assert.equal(backoffDelay(50, fixed), 15_000);
});

test('backoff jitter stays within half to all of the cap', () => {
  assert.equal(backoffDelay(2, { random: () => 0 }), 1000);
  for (let i = 0; i < 100; i += 1) {
    const delay = backoffDelay(3);
    assert.ok(delay >= 2000 && delay <= 4000, String(delay));
  }
});

// ---- The socket itself, with a fake WebSocket and fake timers ----

class FakeWebSocket extends EventTarget {
  static OPEN = 1;
  static made = [];
  constructor(url) {
    super();
    this.url = url;
    this.readyState = 0;
    FakeWebSocket.made.push(this);
  }
  open() {
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }
  receive(message) {
    const event = new Event('message');
    event.data = JSON.stringify(message);
    this.dispatchEvent(event);
  }
  close() {
    this.readyState = 3;
    this.dispatchEvent(new Event('close'));
  }
}

/** Runs `body` with the socket's globals faked; timers are collected rather than run. */
async function withFakes(body) {
  const saved = { WebSocket: globalThis.WebSocket, window: globalThis.window, document: globalThis.document };
  const savedTimers = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout };
  const timers = [];
  FakeWebSocket.made = [];
  globalThis.WebSocket = FakeWebSocket;
  globalThis.window = new EventTarget();
  globalThis.document = Object.assign(new EventTarget(), { visibilityState: 'visible' });
  globalThis.setTimeout = (fn, ms) => timers.push({ fn, ms, live: true }) - 1;
  globalThis.clearTimeout = (id) => {
    if (timers[id]) timers[id].live = false;
  };
  const runTimers = () => {
    for (const timer of timers.splice(0)) if (timer.live) timer.fn();
  };
  try {
    const { ReconnectingSocket } = await import('../../assets/js/socket.js');
    await body({ ReconnectingSocket, timers, runTimers });
  } finally {
    Object.assign(globalThis, saved, savedTimers);
  }
}

test('a socket refused at once (an error, then closed) keeps backing off; a snapshot resets it', async () => {
  await withFakes(({ ReconnectingSocket, timers, runTimers }) => {
    const statuses = [];
    const socket = new ReconnectingSocket('ws://x/ws', {
      onMessage: () => {},
      onStatus: (s) => statuses.push(s),
      healthy: (m) => m.type === 'snapshot',
    });
    const delays = [];
    for (let i = 0; i < 4; i += 1) {
      const ws = FakeWebSocket.made.at(-1);
      ws.open();
      ws.receive({ type: 'error', code: 'room_full', message: 'the room is full (2 people)' });
      ws.close();
      delays.push(timers.at(-1).ms);
      runTimers();
    }
    assert.equal(FakeWebSocket.made.length, 5);
    // Equal jitter: attempt n waits between half and all of 500 * 2^n ms.
    delays.forEach((ms, n) => assert.ok(ms >= 250 * 2 ** n && ms <= 500 * 2 ** n, `attempt ${n}: ${ms} ms`));
    const ws = FakeWebSocket.made.at(-1);
    ws.open();
    ws.receive({ type: 'snapshot' });
    ws.close();
    assert.ok(timers.at(-1).ms <= 500, 'joined once: the next drop retries soon');
    assert.deepEqual(statuses.at(-1), { state: 'closed', retryIn: timers.at(-1).ms });
    socket.close();
  });
});

test('close() stops for good: no reconnect after it, even when the server closes the socket after', async () => {
  await withFakes(({ ReconnectingSocket, timers, runTimers }) => {
    const statuses = [];
    let socket;
    socket = new ReconnectingSocket('ws://x/ws', {
      onMessage: (m) => {
        if (m.code === 'kicked') socket.close();
      },
      onStatus: (s) => statuses.push(s.state),
    });
    const ws = FakeWebSocket.made[0];
    ws.open();
    ws.receive({ type: 'error', code: 'kicked', message: 'you were removed' });
    ws.close(); // the server's close, after its error
    window.dispatchEvent(new Event('online')); // the network "coming back" does not wake it either
    runTimers();
    assert.equal(FakeWebSocket.made.length, 1, 'never connected again');
    assert.equal(timers.filter((t) => t.live).length, 0, 'no retry pending');
    assert.deepEqual(statuses, ['connecting', 'open', 'stopped']);
  });
});

test('onFail hears each attempt that never opened (a refused upgrade), not a socket that opened and dropped', async () => {
  await withFakes(({ ReconnectingSocket, runTimers }) => {
    let failed = 0;
    let socket;
    socket = new ReconnectingSocket('ws://x/ws', {
      onMessage: () => {},
      onFail: () => {
        failed += 1;
        // The page may stop here (it shows the password form): no retry after that.
        if (failed === 2) socket.close();
      },
    });
    FakeWebSocket.made.at(-1).close(); // refused: never opened
    assert.equal(failed, 1);
    runTimers();
    const ws = FakeWebSocket.made.at(-1);
    ws.open();
    ws.receive({ type: 'snapshot' });
    ws.close(); // opened, then dropped: an ordinary reconnect
    assert.equal(failed, 1);
    runTimers();
    FakeWebSocket.made.at(-1).close();
    assert.equal(failed, 2);
    runTimers();
    assert.equal(FakeWebSocket.made.length, 3, 'closed from onFail: no retry');
  });
});
