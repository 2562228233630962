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

test('expected position: paused stays put; result is clamped to [0, duration]', () => {
  const paused = { playing: false, position: 42, rate: 1, updated_at: 0 };
  assert.equal(expectedPosition(paused, 1e9), 42);
  const playing = { playing: true, position: 19, rate: 1, updated_at: 0 };
  assert.equal(expectedPosition(playing, 5000, 20), 20);
  // A server time slightly before updated_at (clock estimate error) must not go negative.
  assert.equal(expectedPosition({ ...playing, position: 0.01 }, -1000), 0);
});

test('drift: small errors are left alone', () => {
  assert.deepEqual(decideDrift(0.02, false), { action: 'none' });
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
  assert.equal(decideDrift(0.01, true).rate, 1 - DRIFT.minNudge);
});

test('drift: hysteresis keeps nudging until inside settleWithin, then restores rate 1', () => {
  const mid = (DRIFT.settleWithin + DRIFT.nudgeAbove) / 2;
  assert.deepEqual(decideDrift(mid, false), { action: 'none' });
  assert.equal(decideDrift(mid, true).action, 'rate');
  assert.ok(decideDrift(mid, true).rate < 1);
  assert.deepEqual(decideDrift(0.005, true), { action: 'rate', rate: 1 });
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
