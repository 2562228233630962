// Pure synchronisation logic: no DOM, no timers, no sockets. Every function takes the times it needs, so
// node's test runner can drive it with made-up clocks (tests/js/sync.test.mjs).
//
// Units: clock readings in milliseconds, video positions in seconds.

/**
 * Estimates the server clock from ping/pong round trips.
 *
 * A sample's offset is `server_time - midpoint(sent, received)`; its error is at most half its round trip
 * (all of the delay on one leg), so the samples with the lowest round trips are the most trustworthy. We
 * keep a window of recent samples (recent, so a drifting clock is followed; the page keeps pinging, so the
 * estimate keeps being refined) and answer with the median offset of the best few: one slow sample is
 * never among the best, and the median keeps one lucky-but-wrong fast sample from swinging the estimate.
 * A skewed local clock (seconds off) changes every sample's offset alike, so it is simply measured.
 *
 * A route that changes (a new Wi-Fi access point, a VPN) can make every later round trip slower and
 * lopsided in a new way: the old fast samples would then win for a whole window while describing a path
 * that no longer exists. So when the last `routeRun` samples (40 s of pings) are all clearly slower than
 * the best before them (more than twice its round trip and more than `routeSlack` ms above it), the
 * older samples are dropped and the estimate starts over from the new route. A shorter run of slow
 * samples is congestion, which the lowest-RTT rule already ignores.
 */
export class ClockOffset {
  constructor({ window = 20, best = 5, routeRun = 8, routeSlack = 20 } = {}) {
    this.window = window;
    this.best = best;
    this.routeRun = routeRun;
    this.routeSlack = routeSlack;
    this.samples = [];
    this.seeded = null;
  }

  /** Records one round trip: `sentAt`/`receivedAt` on the local clock, `serverTime` from the pong. */
  add(sentAt, receivedAt, serverTime) {
    const rtt = receivedAt - sentAt;
    if (!Number.isFinite(rtt) || rtt < 0 || !Number.isFinite(serverTime)) return;
    this.samples.push({ rtt, offset: serverTime - (sentAt + receivedAt) / 2 });
    if (this.samples.length > this.window) this.samples.shift();
    this.followRouteChange();
  }

  followRouteChange() {
    const { samples, routeRun } = this;
    if (samples.length <= routeRun) return;
    const older = samples.slice(0, -routeRun);
    const recent = samples.slice(-routeRun);
    const fastest = Math.min(...older.map((s) => s.rtt));
    const slower = (s) => s.rtt > 2 * fastest && s.rtt > fastest + this.routeSlack;
    if (recent.every(slower)) this.samples = recent;
  }

  /**
   * A rough first guess from a one-way message (a snapshot's `server_time` read on arrival). It is used
   * only until the first pong, because its error includes the whole one-way delay.
   */
  seed(serverTime, localNow) {
    this.seeded = serverTime - localNow;
  }

  get ready() {
    return this.samples.length > 0 || this.seeded !== null;
  }

  /** Milliseconds to add to a local reading to get the server's; null before any sample. */
  get offset() {
    if (this.samples.length === 0) return this.seeded;
    const best = [...this.samples].sort((a, b) => a.rtt - b.rtt).slice(0, this.best);
    return median(best.map((s) => s.offset));
  }

  /** The lowest round trip in the window, in ms (null before any pong). */
  get rtt() {
    if (this.samples.length === 0) return null;
    return Math.min(...this.samples.map((s) => s.rtt));
  }

  /** The latest round trip, in ms (null before any pong): what the page reports in its status. */
  get lastRtt() {
    return this.samples.at(-1)?.rtt ?? null;
  }

  toServer(localNow) {
    return localNow + (this.offset ?? 0);
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Where the room is at server time `serverTime`, given a playback state
 * `{playing, position, rate, updated_at}` (the protocol's shape). Never before 0, nor past `duration`
 * when one is known. A start scheduled for later (`updated_at` in the future: the server's `at`) stays at
 * `position` until then.
 */
export function expectedPosition(state, serverTime, duration = Infinity) {
  let position = state.position;
  if (state.playing) position += (Math.max(0, serverTime - state.updated_at) / 1000) * (state.rate ?? 1);
  return Math.min(Math.max(position, 0), Number.isFinite(duration) ? duration : Infinity);
}

/**
 * Drift thresholds, in seconds.
 *
 * - seekAbove 0.5: a seek makes the player stop to fetch and decode (100-300 ms on a LAN, more on a
 *   phone), and a pause that long is jarring; at the largest nudge (10 %) half a second takes 5 s to
 *   win back, about as long as anyone tolerates two rooms visibly apart. Beyond it, seek.
 * - nudgeAbove 0.012: every page is corrected towards the same timeline, so two pages can sit up to twice
 *   this apart; 12 ms keeps that under a frame at 30 fps (33 ms) and under the 25-30 ms at which two
 *   screens in one room start to sound like an echo. It stays above our measuring noise (currentTime
 *   steps and the clock estimate: a few ms on a LAN), so the rate is not wobbled on noise alone.
 * - settleWithin 0.004: once nudging, keep going until well inside the band (hysteresis), otherwise the
 *   rate would flap on and off at its edge, and every stop would leave us parked just under the band.
 * - Rate: 1 -/+ drift * gain, clamped to [minNudge, maxNudge]. gain 1 means "win back the error in about
 *   a second": a tick (250 ms) then corrects a quarter of the error, so the loop never overshoots and
 *   never oscillates. The floor (1 %) keeps a small error from crawling (it still wins back 2.5 ms a tick,
 *   less than settleWithin, so the last step cannot jump across zero); it is too small to hear. The
 *   ceiling (10 %) keeps the pitch and speed change hard to hear (browsers preserve pitch by default).
 */
export const DRIFT = Object.freeze({
  seekAbove: 0.5,
  nudgeAbove: 0.012,
  settleWithin: 0.004,
  gain: 1,
  minNudge: 0.01,
  maxNudge: 0.1,
  /** When the room is paused every player should show the same frame; one seek fixes a larger gap. */
  pausedTolerance: 0.1,
});

/**
 * What to do about `drift` = local position - expected position (positive: we are ahead).
 * `nudging` says whether the player currently runs at a corrected rate.
 * Returns `{action: 'seek'}`, `{action: 'rate', rate}` (rate 1 ends a nudge) or `{action: 'none'}`.
 */
export function decideDrift(drift, nudging, limits = DRIFT) {
  const size = Math.abs(drift);
  if (!Number.isFinite(drift) || size > limits.seekAbove) return { action: 'seek' };
  const keepNudging = nudging && size > limits.settleWithin;
  if (size > limits.nudgeAbove || keepNudging) {
    const change = Math.min(limits.maxNudge, Math.max(limits.minNudge, size * limits.gain));
    return { action: 'rate', rate: drift > 0 ? 1 - change : 1 + change };
  }
  return nudging ? { action: 'rate', rate: 1 } : { action: 'none' };
}

/**
 * Remembers how long our seeks take, so a seek during playback aims where the room will be when the
 * player starts again rather than where it was when we asked. An exponentially weighted mean of the
 * measured durations, in seconds, within [0, max].
 */
export class SeekLead {
  constructor({ initial = 0.1, weight = 0.3, max = 1 } = {}) {
    this.value = initial;
    this.weight = weight;
    this.max = max;
  }

  observe(seconds) {
    if (!Number.isFinite(seconds) || seconds < 0) return;
    const next = this.value + (Math.min(seconds, this.max) - this.value) * this.weight;
    this.value = Math.min(Math.max(next, 0), this.max);
  }
}

/**
 * The echo guard. When we apply a remote play/pause/seek, the player fires the matching local event a
 * moment later; that event must not be sent back to the room (or every page would bounce it forever).
 * `expect()` before applying, `swallow()` on each local event: true means "this is our own echo, drop it".
 *
 * An expectation matches one event of the same kind near the same position, once. It expires after
 * `ttl` ms: the player fires its event within a task or two, so anything later is a real user action
 * and must reach the room.
 */
export class EchoGuard {
  constructor({ ttl = 800, tolerance = 0.3 } = {}) {
    this.ttl = ttl;
    this.tolerance = tolerance;
    this.pending = [];
  }

  expect(kind, position, now) {
    this.pending.push({ kind, position, until: now + this.ttl });
  }

  swallow(kind, position, now) {
    this.pending = this.pending.filter((e) => e.until >= now);
    const i = this.pending.findIndex(
      (e) => e.kind === kind && Math.abs(e.position - position) <= this.tolerance,
    );
    if (i < 0) return false;
    this.pending.splice(i, 1);
    return true;
  }

  clear() {
    this.pending = [];
  }
}

/**
 * Heartbeats refine the room's position between commands but never override one: a heartbeat the host
 * sent just before it heard a command can arrive after it. So a heartbeat counts only when it agrees on
 * playing/paused and comes at least `graceMs` after the last command.
 */
export function acceptHeartbeat(reference, lastCommandAt, heartbeat, graceMs = 1000) {
  if (!reference || heartbeat.playing !== reference.playing) return false;
  return heartbeat.server_time - lastCommandAt >= graceMs;
}

/**
 * The host's heartbeats as a follower takes them. The server dates a heartbeat when it arrives, so one
 * that was held up on its way (jitter, a busy uplink) says the host is further back than it is, by the
 * delay: taken one by one, every follower would jump back and forth with the host's network (tens of
 * ms on a jittery link, against a band of 12 ms). Measured against one line (the last command, as
 * `reset` gave it), the least delayed of the last `keep` heartbeats is the one that puts the host
 * furthest ahead, and that one counts, as the clock estimate keeps its lowest-delay samples. One more
 * than `jump` seconds from it is the host really moving (a stall, a new host) and counts at once.
 */
export class HostLine {
  constructor({ keep = 5, jump = 0.08 } = {}) {
    this.keep = keep;
    this.jump = jump;
    this.line = null;
    this.recent = []; // {ahead: seconds past the line, reference}
  }

  /** A command or snapshot: the room's new line; heartbeats before it no longer count. */
  reset(reference) {
    this.line = reference?.playing ? reference : null;
    this.recent = [];
  }

  /** An accepted heartbeat `{position, playing, server_time}`: answers the reference to follow. */
  add(heartbeat) {
    const reference = { playing: heartbeat.playing, position: heartbeat.position, rate: 1, updated_at: heartbeat.server_time };
    if (!heartbeat.playing) return reference;
    this.line ??= reference;
    const ahead = heartbeat.position - expectedPosition(this.line, heartbeat.server_time);
    const best = this.best();
    if (best && Math.abs(ahead - best.ahead) > this.jump) this.recent = [];
    this.recent.push({ ahead, reference });
    if (this.recent.length > this.keep) this.recent.shift();
    return this.best().reference;
  }

  best() {
    return this.recent.reduce((a, b) => (b.ahead > a.ahead ? b : a), this.recent[0] ?? null);
  }
}
