import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClockOffset,
  expectedPosition,
  decideDrift,
  DRIFT,
  EchoGuard,
  SeekLead,
  acceptHeartbeat,
  HostLine,
} from '../../assets/js/sync.js';

test('clock offset: a symmetric round trip gives the exact offset', () => {
  const clock = new ClockOffset();
  // Server is 5000 ms ahead; 40 ms each way.
  clock.add(1000, 1080, 1040 + 5000);
  assert.equal(clock.offset, 5000);
  assert.equal(clock.rtt, 80);
  assert.equal(clock.toServer(2000), 7000);
});

test('clock offset: keeps the lowest-RTT samples and ignores slow, lopsided ones', () => {
  const clock = new ClockOffset({ window: 20, best: 3 });
  const trueOffset = 250;
  // Three fast, honest samples.
  for (const start of [0, 100, 200]) clock.add(start, start + 10, start + 5 + trueOffset);
  // Five slow ones whose delay was all on the way back: each one's midpoint is badly off.
  for (const start of [300, 400, 500, 600, 700]) clock.add(start, start + 400, start + 10 + trueOffset);
  assert.equal(clock.offset, trueOffset);
});

test('clock offset: old samples leave the window', () => {
  const clock = new ClockOffset({ window: 3, best: 1 });
  clock.add(0, 2, 1 + 100); // very good, but old
  for (const start of [10, 20, 30]) clock.add(start, start + 20, start + 10 + 300);
  assert.equal(clock.offset, 300);
});

test('clock offset: median of the best resists one wild sample', () => {
  const clock = new ClockOffset({ best: 3 });
  clock.add(0, 10, 5 + 100);
  clock.add(0, 11, 5.5 + 102);
  clock.add(0, 9, 4.5 + 9000); // fastest of all, but wrong
  assert.equal(clock.offset, 102);
});

test('clock offset: a local clock seconds off is measured like any other offset', () => {
  for (const skew of [-2000, 1500, 3000]) {
    const clock = new ClockOffset();
    // The server's clock reads `serverBase + t`, ours `t + skew`; 60 ms each way, +-20 ms of jitter.
    const jitter = [5, -12, 18, -3, 9, -20, 14, 0, -7, 11];
    for (const [i, j] of jitter.entries()) {
      const t = i * 5000;
      const out = 60 + j;
      const back = 60 - j / 2;
      clock.add(t + skew, t + out + back + skew, t + out);
    }
    // The true offset is -skew; the error of the estimate is bounded by the best samples' asymmetry.
    assert.ok(Math.abs(clock.offset + skew) <= 15, `skew ${skew}: ${clock.offset}`);
  }
});

test('clock offset: one slow sample never moves the estimate', () => {
  const clock = new ClockOffset();
  for (let i = 0; i < 10; i += 1) clock.add(i * 1000, i * 1000 + 40, i * 1000 + 20 + 700);
  const before = clock.offset;
  // 900 ms stuck on the way back: its midpoint is 430 ms off.
  clock.add(20_000, 20_900, 20_040 + 700);
  assert.equal(clock.offset, before);
  assert.equal(clock.rtt, 40);
  assert.equal(clock.lastRtt, 900);
});

test('clock offset: a route that changes for good is followed within a few samples', () => {
  const clock = new ClockOffset({ window: 20, best: 5 });
  // Old route: 20 ms, symmetric, offset 100.
  for (let i = 0; i < 15; i += 1) clock.add(i * 1000, i * 1000 + 20, i * 1000 + 10 + 100);
  assert.equal(clock.offset, 100);
  // New route: 200 ms, lopsided (150 out, 50 back), so its midpoints read 50 ms high: offset 150.
  for (let i = 15; i < 22; i += 1) clock.add(i * 1000, i * 1000 + 200, i * 1000 + 150 + 100);
  assert.equal(clock.offset, 100, 'seven slow samples could be congestion: the old route still counts');
  clock.add(22_000, 22_200, 22_150 + 100);
  assert.equal(clock.samples.length, 8, 'the eighth: the old route is forgotten');
  assert.equal(clock.offset, 150);
  assert.equal(clock.rtt, 200);
  // A faster route is simply better: it wins at once.
  clock.add(30_000, 30_010, 30_005 + 100);
  assert.equal(clock.offset, 150, 'the median of the best five still includes the old ones');
  for (let i = 0; i < 4; i += 1) clock.add(31_000 + i, 31_010 + i, 31_005 + i + 100);
  assert.equal(clock.offset, 100);
});

test('clock offset: a few slow samples in a row on a jittery route do not wipe the window', () => {
  const clock = new ClockOffset();
  for (let i = 0; i < 10; i += 1) clock.add(i * 1000, i * 1000 + 250 + (i % 3) * 10, i * 1000 + 125 + 100);
  for (let i = 10; i < 14; i += 1) clock.add(i * 1000, i * 1000 + 600, i * 1000 + 125 + 100);
  assert.equal(clock.samples.length, 14);
});

test('clock offset: seed is used until the first pong, and bad samples are refused', () => {
  const clock = new ClockOffset();
  assert.equal(clock.ready, false);
  assert.equal(clock.offset, null);
  clock.seed(10_000, 9_000);
  assert.equal(clock.ready, true);
  assert.equal(clock.offset, 1000);
  clock.add(500, 400, 123); // negative RTT
  clock.add(500, 600, NaN);
  assert.equal(clock.offset, 1000);
  clock.add(500, 510, 505 + 20);
  assert.equal(clock.offset, 20);
});

test('expected position: playing advances by elapsed time times rate', () => {
  const state = { playing: true, position: 10, rate: 1, updated_at: 1_000_000 };
  assert.equal(expectedPosition(state, 1_002_500), 12.5);
  assert.equal(expectedPosition({ ...state, rate: 2 }, 1_001_000), 12);
});

test('expected position: a start scheduled for later holds at its position until then', () => {
  const state = { playing: true, position: 30, rate: 1, updated_at: 1_000_000 };
  assert.equal(expectedPosition(state, 999_400), 30);
  assert.equal(expectedPosition(state, 1_000_500), 30.5);
});

test('expected position: paused stays put; result is clamped to [0, duration]', () => {
  const paused = { playing: false, position: 42, rate: 1, updated_at: 0 };
  assert.equal(expectedPosition(paused, 1e9), 42);
  const playing = { playing: true, position: 19, rate: 1, updated_at: 0 };
  assert.equal(expectedPosition(playing, 5000, 20), 20);
  assert.equal(expectedPosition({ ...playing, position: -0.5 }, 0), 0);
});

test('drift: small errors are left alone', () => {
  assert.deepEqual(decideDrift(0.01, false), { action: 'none' });
  assert.deepEqual(decideDrift(-DRIFT.nudgeAbove, false), { action: 'none' });
});

test('drift: beyond the seek threshold, seek', () => {
  assert.deepEqual(decideDrift(0.8, false), { action: 'seek' });
  assert.deepEqual(decideDrift(-3, true), { action: 'seek' });
  assert.deepEqual(decideDrift(NaN, false), { action: 'seek' });
});

test('drift: in between, nudge the rate the right way and no further than the ceiling', () => {
  const ahead = decideDrift(0.1, false);
  assert.equal(ahead.action, 'rate');
  assert.ok(ahead.rate < 1 && ahead.rate >= 1 - DRIFT.maxNudge);
  const behind = decideDrift(-0.45, false);
  assert.equal(behind.action, 'rate');
  assert.equal(behind.rate, 1 + DRIFT.maxNudge);
  // The floor: while settling, a small error still moves at least minNudge.
  assert.equal(decideDrift(0.006, true).rate, 1 - DRIFT.minNudge);
});

test('drift: hysteresis keeps nudging until inside settleWithin, then restores rate 1', () => {
  const mid = (DRIFT.settleWithin + DRIFT.nudgeAbove) / 2;
  assert.deepEqual(decideDrift(mid, false), { action: 'none' });
  assert.equal(decideDrift(mid, true).action, 'rate');
  assert.ok(decideDrift(mid, true).rate < 1);
  assert.deepEqual(decideDrift(0.003, true), { action: 'rate', rate: 1 });
});

test('drift: two pages each inside the band sit less than a frame (33 ms) apart', () => {
  assert.ok(2 * DRIFT.nudgeAbove < 1 / 30);
});

test('drift: a page nudged every 250 ms tick converges without crossing zero or flapping', () => {
  for (const start of [0.4, -0.3, 0.05, -0.02]) {
    let drift = start;
    let nudging = false;
    const signs = new Set();
    for (let tick = 0; tick < 80; tick += 1) {
      const decision = decideDrift(drift, nudging);
      assert.notEqual(decision.action, 'seek');
      const rate = decision.action === 'rate' ? decision.rate : nudging ? 1 + 0 : 1;
      nudging = decision.action === 'rate' ? decision.rate !== 1 : nudging;
      // Ahead means the room's timeline gains 0.25 s a tick while we gain 0.25 * rate.
      drift += 0.25 * (rate - 1);
      if (Math.abs(drift) > DRIFT.settleWithin) signs.add(Math.sign(drift));
    }
    assert.ok(Math.abs(drift) <= DRIFT.nudgeAbove, `from ${start}: ended ${drift}`);
    assert.equal(signs.size, 1, `from ${start}: never overshoots past the band on the other side`);
  }
});

test('echo guard: swallows the matching event once', () => {
  const guard = new EchoGuard({ ttl: 800, tolerance: 0.3 });
  guard.expect('seek', 7, 1000);
  assert.equal(guard.swallow('seek', 7.1, 1010), true);
  assert.equal(guard.swallow('seek', 7.1, 1020), false, 'a second seek is the user');
});

test('echo guard: kind and position must both match', () => {
  const guard = new EchoGuard({ ttl: 800, tolerance: 0.3 });
  guard.expect('play', 12, 0);
  assert.equal(guard.swallow('pause', 12, 10), false);
  assert.equal(guard.swallow('play', 30, 10), false);
  assert.equal(guard.swallow('play', 12.2, 10), true);
});

test('echo guard: expectations expire so a real action right after is never lost', () => {
  const guard = new EchoGuard({ ttl: 800, tolerance: 0.3 });
  guard.expect('pause', 5, 0);
  assert.equal(guard.swallow('pause', 5, 801), false);
  assert.equal(guard.pending.length, 0, 'expired entries are dropped');
});

test('echo guard: several pending expectations are matched independently', () => {
  const guard = new EchoGuard();
  guard.expect('seek', 40, 0);
  guard.expect('play', 40, 0);
  assert.equal(guard.swallow('play', 40.05, 50), true);
  assert.equal(guard.swallow('seek', 40, 60), true);
  guard.expect('seek', 1, 0);
  guard.clear();
  assert.equal(guard.swallow('seek', 1, 1), false);
});

test('seek lead: follows measured seek times, bounded', () => {
  const lead = new SeekLead({ initial: 0.1, weight: 0.5, max: 1 });
  lead.observe(0.3);
  assert.ok(Math.abs(lead.value - 0.2) < 1e-9);
  lead.observe(50);
  assert.ok(lead.value <= 1);
  lead.observe(-1);
  lead.observe(NaN);
  assert.ok(lead.value > 0.2);
});

test('heartbeats never override a recent command or the playing state', () => {
  const room = { playing: true, position: 7, rate: 1, updated_at: 10_000 };
  assert.equal(acceptHeartbeat(room, 10_000, { playing: true, server_time: 11_500 }), true);
  assert.equal(acceptHeartbeat(room, 10_000, { playing: true, server_time: 10_400 }), false);
  assert.equal(acceptHeartbeat(room, 10_000, { playing: false, server_time: 20_000 }), false);
  assert.equal(acceptHeartbeat(null, 0, { playing: true, server_time: 20_000 }), false);
});

test('host line: a heartbeat held up on its way does not pull the followers back', () => {
  const line = new HostLine();
  line.reset({ playing: true, position: 10, rate: 1, updated_at: 0 });
  // The host plays 5 ms ahead of the command's line; heartbeats arrive 0-30 ms late.
  const beat = (sentAt, delay) => ({ playing: true, position: 10.005 + sentAt / 1000, server_time: sentAt + delay });
  const ahead = (ref, at = 10_000) => expectedPosition(ref, at) - (10 + at / 1000);
  let ref = line.add(beat(2000, 2));
  assert.ok(Math.abs(ahead(ref) - 0.003) < 1e-9);
  for (const [t, delay] of [[3000, 25], [4000, 30], [5000, 12]]) {
    ref = line.add(beat(t, delay));
    assert.ok(Math.abs(ahead(ref) - 0.003) < 1e-9, 'the least delayed one still counts');
  }
  ref = line.add(beat(6000, 1));
  assert.ok(Math.abs(ahead(ref) - 0.004) < 1e-9, 'a less delayed one takes over');
});

test('host line: the least delayed heartbeat counts for the last five only, and a real jump at once', () => {
  const line = new HostLine();
  line.reset({ playing: true, position: 0, rate: 1, updated_at: 0 });
  const beat = (t, position) => ({ playing: true, position, server_time: t });
  const at = (ref, t) => Math.round(expectedPosition(ref, t) * 1000);
  line.add(beat(1000, 1.02));
  for (let i = 2; i <= 5; i += 1) assert.equal(at(line.add(beat(i * 1000, i)), 6000), 6020, 'the 20 ms-ahead one counts');
  assert.equal(at(line.add(beat(6000, 6)), 6000), 6000, 'until it leaves the window of five');
  assert.equal(at(line.add(beat(8000, 7.5)), 8000), 7500, 'the host fell 500 ms back: followed at once');
  assert.equal(at(line.add(beat(9000, 8.49)), 9000), 8500, 'and measured from there on');
  // A pause, a new line: nothing from before counts.
  assert.equal(line.add({ playing: false, position: 9, server_time: 9500 }).playing, false);
  line.reset({ playing: true, position: 30, rate: 1, updated_at: 10_000 });
  assert.equal(line.add(beat(12_000, 31.99)).position, 31.99);
});
