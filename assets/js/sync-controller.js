// The sync controller: keeps this page's player in step with the room. No DOM, no real timers: it is
// driven by a player (the interface in players.js), a clock and a `send` function, so node's test runner
// drives it with fakes (tests/js/sync-controller.test.mjs). room.js feeds it socket messages and the
// player's events and shows what `tick()` answers. The thresholds themselves, and why, are in sync.js.
//
// How playback stays in step:
// - `reference` is the room's playback state as we last heard it ({playing, position, rate, updated_at},
//   server clock). Commands (play/pause/seek) replace it; the host's heartbeats refine its position.
// - A local user action replaces it at once and goes to the server, which echoes it to everyone.
// - Applying a remote command registers it with the echo guard first, so the player event it causes
//   is not sent back.
// - Every TICK_MS a non-host compares its player with the reference and seeks or nudges its rate
//   (sync.js decides); the host instead reports its position about once a second.
// - Starts are scheduled: the server stamps play/seek/resume with `at`, a moment ahead (server clock), so
//   every page can be on the frame by then. A page holds paused on `position` and starts at `at` minus
//   its measured start-up time; a page of ours that starts playing holds at once, until its echo's `at`.
// - Each page reports its state (ready, buffering, playing, paused, blocked), drift and round trip with
//   `status`, on a change and at most every REPORT_GAP_MS: the viewer list shows it, and the server
//   pauses the room for a viewer that runs out of data (`wait`) for a while.

import { ClockOffset, expectedPosition, decideDrift, DRIFT, EchoGuard, SeekLead, acceptHeartbeat, HostLine } from './sync.js';
import { formatTime } from './format.js';

/** How often the page calls `tick()`. */
export const TICK_MS = 250;
/** How often the page calls `ping()` to keep the clock estimate fresh. */
export const PING_EVERY_MS = 5000;
const HEARTBEAT_MS = 1000;
/**
 * Right after a command the host follows it like everyone else (its own seek lands a little off too),
 * and only then starts leading again with heartbeats: otherwise the others would chase the command's
 * timeline while the host sat a few dozen ms away from it, until the next heartbeat.
 */
const HOST_LEADS_AFTER_MS = 2000;
/** After a seek the player's clock needs a moment before its readings mean anything. */
const SETTLE_AFTER_SEEK_MS = 400;
/** A join that lands this late (seconds) seeks again, at most MAX_REJOINS times in a row. */
const REJOIN_LATE_S = 0.1;
const MAX_REJOINS = 2;
/**
 * How far ahead (seconds) such a second seek aims when the data from there on is already loaded: a seek
 * within it takes a fraction of the first (which fetched over the network), and aiming as far ahead as
 * that one would leave the page waiting on its frame for the difference.
 */
const REJOIN_AHEAD_S = 0.2;
/** A paused player up to this far ahead of where a join aims need not seek: it waits a little longer. */
const JOIN_AHEAD_SLACK_S = 0.15;
/** Should a join-ahead seek never land (a load error), the drift loop gets its turn back after this. */
const JOIN_GIVE_UP_MS = 5000;
/**
 * A follower whose player stopped at the end of the video a little ahead of the room waits there for
 * up to this long: starting it again would start the video over (play() on an ended video).
 */
const WAIT_AT_END_S = 1;
/**
 * A player this close to its duration has stopped at the end (a <video> lands exactly on it, YouTube's
 * player a little short).
 */
const AT_END_S = 0.25;
/**
 * Status reports: never closer together than this (the server takes two a second, with a small burst),
 * and only when the state changed or the drift or round trip moved by REPORT_MOVE_MS.
 */
const REPORT_GAP_MS = 600;
const REPORT_MOVE_MS = 10;
/**
 * Buffering is said again this often while it lasts: a report over the server's rate is dropped, and
 * the server, which looks at a report made within a second of a start again when that second is over,
 * would otherwise never hear of the stall.
 */
const BUFFERING_AGAIN_MS = 1000;
/**
 * A page the room waits for is ready once it holds this much (seconds) from its position, whatever the
 * player's readyState says: a paused Chromium video may sit at HAVE_CURRENT_DATA with the data there,
 * and the room would wait for it until the deadline.
 */
const READY_AHEAD_S = 1;
/** A page this far from the room (seconds) is offered a "resync". */
export const FAR_OFF_S = 1;
/**
 * A start of our own is held until the server's `at` comes back with the echo; until then we guess it as
 * the server picks it, from our own round trip only (the server takes the room's slowest).
 */
const OWN_LEAD_MIN_MS = 250;
const OWN_LEAD_MAX_MS = 1000;
/** A burst of pings on connect gives the clock estimate a few low-latency samples within a second. */
const PING_BURST = 5;
const PING_BURST_GAP_MS = 150;

export class SyncController {
  /**
   * `player`: the player interface (players.js). `clock`: `{now(), setTimeout(fn, ms), clearTimeout(id)}`,
   * `now()` in ms on a steady local clock. `send(message)`: puts a frame on the socket, false when it is
   * closed. `onBlocked()`: a play() we started was refused until the user clicks.
   */
  constructor({ player, clock, send, onBlocked = () => {} }) {
    this.player = player;
    this.clock = clock;
    this.send = send;
    this.onBlocked = onBlocked;

    this.offset = new ClockOffset();
    this.hostLine = new HostLine(); // the host's heartbeats, least delayed first
    this.guard = new EchoGuard();
    this.seekLead = new SeekLead();
    // How long a paused player takes from play() to a moving clock: about 80 ms in Chromium.
    this.startLead = new SeekLead({ initial: 0.08, max: 0.5 });

    this.me = null; // our client ID: commands `by` it are echoes of our own
    this.host = false; // whether this page is the room's host
    this.connected = false;
    this.videoId = null; // the room's video
    this.loadedVideoId = null; // the video the player has loaded; we sync only when it is the room's
    this.reference = null;
    this.lastCommandAt = -Infinity; // server ms of the last play/pause/seek
    // The room's state as the server last told it (snapshot, video, command, heartbeat), before any
    // action of ours: where a refused action of ours goes back to.
    this.roomReference = null;
    this.roomCommandAt = -Infinity;
    this.ownInFlight = 0; // our commands the server has not echoed yet
    this.settleUntil = 0;
    this.joining = false; // paused on a frame ahead of the room, waiting for it to arrive (joinAhead)
    this.joinToken = 0;
    this.joinTimer = null;
    this.startCheck = null; // seconds we started early after joinAhead, until its landing is measured
    this.leadCheck = null; // seconds we aimed ahead on our last seek while playing, until its landing is measured
    this.lastHeartbeatAt = 0;
    this.rejoins = 0; // seeks again after a join that landed late (startWhenRoomArrives)
    this.wait = null; // the room waits for buffering viewers: {waitingFor: Set of client IDs, until}
    // Whether running out of data is a stall the room should hear of: once this page has played in
    // step, or followed a play or seek of the room's, since this video loaded. A late joiner finding
    // its frame is not (the room started long ago); the loading of a start is covered by the
    // server's grace after it (a second, looked at again when it is over).
    this.stallsCount = false;
    this.lastReport = null; // the last status sent, and when
    this.lastReportAt = -Infinity;
    this.drift = null; // seconds off the room at the last tick (positive: ahead), null when not measured

    player.on('seeked', () => {
      this.settleUntil = Math.max(this.settleUntil, this.clock.now() + SETTLE_AFTER_SEEK_MS / 2);
    });
  }

  now() {
    return this.clock.now();
  }

  serverNow() {
    return this.offset.toServer(this.now());
  }

  /**
   * The server stamps a position with the time it *receives* it. While we play, the video moves on during
   * the trip, so positions we report while playing are projected forward by half the best round trip;
   * without this every follower would trail the host by the host's one-way latency.
   */
  inTransit() {
    return (this.offset.rtt ?? 0) / 2000;
  }

  /** Whether the player holds the room's video, so that its readings mean something. */
  get current() {
    return this.videoId !== null && this.loadedVideoId === this.videoId && this.player.ready;
  }

  // ---- What the page tells us ---------------------------------------------------------------------

  /** A snapshot arrived (first connect or reconnect): who we are, and a first guess at the server clock. */
  welcome({ you, server_time: serverTime, wait = null }) {
    this.me = you;
    this.offset.seed(serverTime, this.now());
    this.noteWait(wait);
  }

  /** The room's wait for buffering viewers (a `wait` message, or a snapshot's), or null. */
  noteWait(wait) {
    this.wait = wait && { waitingFor: new Set(wait.waiting_for.map((v) => v.client_id)), until: wait.until };
  }

  setHost(isHost) {
    this.host = isHost;
  }

  /** The socket opened or closed. On opening, a burst of pings. */
  setConnected(open) {
    const opened = open && !this.connected;
    this.connected = open;
    // A new socket starts with no status on the server's side.
    if (opened) this.lastReport = null;
    if (opened) for (let i = 0; i < PING_BURST; i += 1) this.clock.setTimeout(() => this.ping(), i * PING_BURST_GAP_MS);
  }

  ping() {
    this.send({ type: 'ping', client_time: this.now() });
  }

  /**
   * The room's video and its playback state, from a snapshot or a `video` message. Answers true when
   * the player already holds that video (it is then brought to the room at once); false when the page
   * must load it (or there is none) and call `sourceLoaded()` once it can be played.
   */
  setVideo(video, playback) {
    if ((video?.id ?? null) !== this.videoId) this.stallsCount = false;
    this.videoId = video?.id ?? null;
    this.wait = null;
    this.reference = playback;
    this.hostLine.reset(playback);
    this.lastCommandAt = playback?.updated_at ?? -Infinity;
    this.roomReference = this.reference;
    this.roomCommandAt = this.lastCommandAt;
    // A snapshot after a reconnect starts afresh: echoes of what we sent before it will never come.
    this.ownInFlight = 0;
    if (video && this.loadedVideoId === video.id && this.player.ready) {
      this.applyReference();
      return true;
    }
    this.loadedVideoId = null;
    return false;
  }

  /** The page (re)loads the video's source: nothing to sync until `sourceLoaded()`. */
  sourceLoading() {
    this.loadedVideoId = null;
    this.stallsCount = false;
  }

  sourceLoaded() {
    this.loadedVideoId = this.videoId;
    this.applyReference();
  }

  /** The user clicked "join playback": runs inside the click, which is what lets play() through. */
  unblocked() {
    // Seek first, then play, so the echo guard sees the play at the position it expects.
    this.settleUntil = 0;
    this.applyReference();
  }

  /** The user asked to be put back on the room's timeline ("resync"): a click, so play() may run. */
  resync() {
    if (this.player.blocked) this.player.dismissJoin();
    this.cancelJoin();
    this.settleUntil = 0;
    this.applyReference({ exact: true });
  }

  /** Socket messages about playback: play/pause/seek, heartbeat, pong. True when it was one. */
  handle(message) {
    switch (message.type) {
      case 'play':
      case 'pause':
      case 'seek':
        this.onCommand(message);
        return true;
      case 'heartbeat':
        this.onHeartbeat(message);
        return true;
      case 'pong':
        this.offset.add(message.client_time, this.now(), message.server_time);
        return true;
      // The page shows these too: noted here, answered false.
      case 'wait':
        this.noteWait(message);
        return false;
      case 'wait_over':
        this.noteWait(null);
        return false;
      default:
        return false;
    }
  }

  onCommand(message) {
    if (message.by === this.me && this.ownInFlight > 0) {
      this.ownInFlight -= 1;
      // A newer action of ours is on its way: applying this older echo would jump back and forth.
      if (this.ownInFlight > 0) return;
    }
    // `at`: when the room plays from `position` (server clock), a moment after `server_time` for a
    // start; older servers send none.
    const at = message.at ?? message.server_time;
    this.reference = { playing: message.playing, position: message.position, rate: 1, updated_at: at };
    this.hostLine.reset(this.reference);
    this.lastCommandAt = Math.max(at, message.server_time);
    this.roomReference = this.reference;
    this.roomCommandAt = this.lastCommandAt;
    if (this.current) this.stallsCount = true;
    // Our own seek's echo needs no exact landing: we are already there, give or take the travel time.
    this.applyReference({ exact: message.type === 'seek' && message.by !== this.me });
  }

  onHeartbeat(message) {
    if (message.by === this.me) return;
    if (!acceptHeartbeat(this.reference, this.lastCommandAt, message)) return;
    this.reference = this.hostLine.add(message);
    this.roomReference = this.reference;
  }

  /**
   * The server refused a play/pause/seek of ours (`not_allowed`: only the host controls playback). It
   * will never be echoed and the room did not move, so the player goes back to the room now. The
   * server also sends a snapshot, but at most one a second: a quick second refusal gets none.
   */
  refused() {
    this.ownInFlight = Math.max(0, this.ownInFlight - 1);
    if (!this.roomReference) return;
    this.reference = this.roomReference;
    this.hostLine.reset(this.reference);
    this.lastCommandAt = this.roomCommandAt;
    this.applyReference({ exact: true });
  }

  /**
   * A play/pause/seek the player reported. Answers 'echo' (the player following a remote command: not
   * sent), 'ended' (a follower's player stopped at the end: not sent), 'sent', or 'offline' (the room
   * will not hear of it; the page should say so).
   */
  onLocalEvent(kind, position) {
    const { player } = this;
    if (this.guard.swallow(kind, position, this.now())) return 'echo';
    // A follower's player stopping at the end is not the user's pause: the host's page ends the room's
    // video (and reports it, for the queue), and a late pause from here would pause the next video.
    // Whatever the room is doing by then: the host's own pause at its end may have arrived first.
    if (kind === 'pause' && !this.host && position >= player.duration - AT_END_S) return 'ended';
    // A seek while we hold for a start (ours or the room's) is a seek of a playing room.
    const holding = this.joining && !!this.reference?.playing;
    const playing = kind === 'play' ? true : kind === 'pause' ? false : !player.paused || holding;
    // It is the room's state from now on, so the drift loop does not undo it while the echo travels. A
    // start (play, or a seek while playing) is scheduled by the server a moment ahead, for everyone
    // alike: this page holds on the frame until then, as the others do (the echo brings the real `at`).
    const startsIn = playing ? this.ownLead() : 0;
    this.reference = { playing, position, rate: 1, updated_at: this.serverNow() + startsIn };
    this.hostLine.reset(this.reference);
    this.lastCommandAt = this.serverNow();
    if (this.current) this.stallsCount = true;
    player.rate = 1;
    const sent = this.send({ type: kind, position });
    if (playing) this.applyReference();
    if (!sent) return 'offline';
    this.ownInFlight += 1;
    return 'sent';
  }

  /** Our guess at the lead the server gives a start of ours (ms), until its echo says. */
  ownLead() {
    const rtt = this.offset.rtt ?? 0;
    return Math.min(OWN_LEAD_MAX_MS, Math.max(OWN_LEAD_MIN_MS, 2 * rtt));
  }

  // ---- Moving the player ----------------------------------------------------------------------------

  /** Seeks the player (not the room). `lead`: how far ahead of the room we aimed, to learn from. */
  seekTo(position, lead = null) {
    this.guard.expect('seek', position, this.now());
    this.settleUntil = this.now() + SETTLE_AFTER_SEEK_MS;
    this.leadCheck = lead;
    this.player.seek(position);
  }

  /**
   * Brings the player to the reference at once: used when a command, snapshot or new source arrives.
   * `exact` (a seek command) moves even a small distance: someone asked for that very spot.
   */
  applyReference({ exact = false } = {}) {
    const { player, reference: ref } = this;
    if (!ref || !this.current) return;
    this.cancelJoin();
    this.rejoins = 0;
    const target = expectedPosition(ref, this.serverNow(), player.duration);
    const atEnd = target >= player.duration - 0.05;
    if (!ref.playing || atEnd) {
      player.rate = 1;
      if (player.blocked) player.dismissJoin();
      const pausedAt = player.paused ? null : player.time;
      if (pausedAt !== null) player.pause();
      if (Math.abs(player.time - target) > DRIFT.pausedTolerance / 2) this.seekTo(target);
      this.expectPause(pausedAt);
      return;
    }
    // A start scheduled for later: hold on the frame, paused, and start on time.
    if (ref.updated_at - this.serverNow() > this.startLead.value * 1000) {
      const pausedAt = player.paused ? null : player.time;
      if (pausedAt !== null) player.pause();
      player.rate = 1;
      if (!player.blocked) this.joinAhead();
      this.expectPause(pausedAt);
      return;
    }
    if (player.paused) {
      if (player.blocked) return;
      if (Math.abs(player.time - target) <= DRIFT.nudgeAbove) this.startPlaying();
      else this.joinAhead();
      return;
    }
    if (Math.abs(player.time - target) > DRIFT.seekAbove || exact) {
      // Aim where the room will be once the seek is done.
      const aim = Math.min(target + this.seekLead.value, player.duration);
      if (Math.abs(player.time - aim) > DRIFT.nudgeAbove) this.seekTo(aim, this.seekLead.value);
    }
  }

  /**
   * The echo of a pause we just asked of a player that was at `pausedAt` (null: it was paused already).
   * The player fires it a moment later, reading its position then: after a seek that followed the
   * pause, that is the seek's target, which may be far from where it paused (a stalled page the room
   * paused ahead of it), so both count. A pause not recognised would go to the room as someone's.
   */
  expectPause(pausedAt) {
    if (pausedAt === null) return;
    this.guard.expect('pause', pausedAt, this.now());
    const now = this.player.time;
    if (Math.abs(now - pausedAt) > this.guard.tolerance) this.guard.expect('pause', now, this.now());
  }

  /**
   * Joining a playing room from a paused player (a late join, a reload, a click on the join button, a
   * start scheduled for later): seek to where the room will be a little later, wait for the frame to be
   * ready, then start at the moment the room reaches it. Overshooting costs only a short wait on a still
   * frame; a seek aimed at "now" always lands behind by however long the seek and the start took. For a
   * start scheduled far enough ahead that is simply its `position`.
   */
  joinAhead({ again = false } = {}) {
    const { player, reference: ref } = this;
    // Twice the seek lead covers a seek that takes longer than usual; a late join adds a margin for the
    // start itself, which a scheduled start has already measured in its own lead.
    const scheduled = ref.updated_at > this.serverNow();
    let ahead = (scheduled ? 2 * this.seekLead.value : Math.max(0.3, 2 * this.seekLead.value)) * 1000;
    if (again) {
      const near = expectedPosition(ref, this.serverNow() + REJOIN_AHEAD_S * 1000, player.duration);
      if ((player.bufferedAhead ?? 0) >= near - player.time + 0.5) ahead = REJOIN_AHEAD_S * 1000;
    }
    const aim = expectedPosition(ref, this.serverNow() + ahead, player.duration);
    const token = ++this.joinToken;
    this.joining = true;
    const landed = () => {
      if (token === this.joinToken) this.startWhenRoomArrives(token);
    };
    // A little ahead of the aim is as good: the start simply waits for the room to get there.
    const early = player.time - aim;
    if (early < -0.01 || early > JOIN_AHEAD_SLACK_S) {
      this.seekTo(aim);
      const soughtAt = this.now();
      player.one('seeked', () => {
        // How long this seek took, to aim the next one (a slow link's seeks take far longer).
        if (token === this.joinToken) this.seekLead.observe((this.now() - soughtAt) / 1000);
        landed();
      });
    } else if (player.seeking) {
      // Already on its way there (the user's own seek): wait for it to land.
      player.one('seeked', landed);
    } else {
      landed();
      if (!this.joining) return;
    }
    // Should 'seeked' never come (a load error), give the drift loop its turn back.
    this.joinTimer = this.clock.setTimeout(() => {
      if (token === this.joinToken) this.joining = false;
    }, JOIN_GIVE_UP_MS);
  }

  startWhenRoomArrives(token) {
    const { player, reference: ref } = this;
    if (token !== this.joinToken || !ref?.playing || !player.paused) {
      this.joining = false;
      return;
    }
    this.clock.clearTimeout(this.joinTimer);
    // When the room reaches this frame (server clock); start a little before: the player's clock only
    // moves once it has spun up.
    const reachesAt = ref.updated_at + (Math.max(0, player.time - ref.position) * 1000) / (ref.rate ?? 1);
    const wait = (reachesAt - this.serverNow()) / 1000 - this.startLead.value;
    if (wait > 0.005) {
      this.joinTimer = this.clock.setTimeout(() => this.startWhenRoomArrives(token), Math.min(wait * 1000, 2000));
      return;
    }
    // The seek landed after the room had passed the frame: starting now would begin this far behind,
    // which the drift loop takes seconds to win back. Aim again, further ahead (the seek lead has just
    // learnt how long this link's seeks take), a couple of times at most.
    if (wait < -REJOIN_LATE_S && this.rejoins < MAX_REJOINS) {
      this.rejoins += 1;
      this.joinAhead({ again: true });
      return;
    }
    this.joining = false;
    this.settleUntil = this.now() + SETTLE_AFTER_SEEK_MS;
    // Learn the start-up time only from a start made on time: a late one says nothing about it.
    this.startCheck = wait >= -0.02 ? this.startLead.value : null;
    this.startPlaying();
  }

  cancelJoin() {
    this.joinToken += 1;
    this.joining = false;
    this.clock.clearTimeout(this.joinTimer);
  }

  startPlaying() {
    this.guard.expect('play', this.player.time, this.now());
    this.player.play().then((result) => {
      if (result === 'blocked') this.onBlocked();
    });
  }

  // ---- The loop -------------------------------------------------------------------------------------

  /**
   * One round of the sync loop, every TICK_MS: heartbeats from the host, drift correction everywhere
   * else. Returns what to show, `{state, text}`, or null for nothing.
   */
  tick() {
    const shown = this.step();
    this.report();
    return shown;
  }

  step() {
    const { player, reference: ref } = this;
    this.drift = null;
    if (!ref || !this.current) return null;
    if (!this.connected) return status('offline', 'Offline');
    if (player.blocked) return status('waiting', 'Waiting for your click');
    if (this.joining && ref.updated_at > this.serverNow()) return status('starting', 'Starting…');
    if (player.seeking || this.joining) return status('catching-up', 'Catching up…');
    if (!ref.playing) {
      if (player.paused && Math.abs(player.time - ref.position) > DRIFT.pausedTolerance) this.seekTo(ref.position);
      this.drift = player.time - ref.position;
      return status('paused', `Paused at ${formatTime(ref.position)}`);
    }
    if (this.host && this.serverNow() - this.lastCommandAt >= HOST_LEADS_AFTER_MS) {
      player.rate = 1;
      this.leadCheck = null;
      this.startCheck = null;
      if (!player.paused && this.now() - this.lastHeartbeatAt >= HEARTBEAT_MS) {
        this.lastHeartbeatAt = this.now();
        this.send({ type: 'heartbeat', position: player.time + this.inTransit(), playing: true });
      }
      return status('leading', 'You lead playback');
    }
    if (this.now() < this.settleUntil) return status('catching-up', 'Catching up…');
    const expected = expectedPosition(ref, this.serverNow(), player.duration);
    if (player.paused) {
      // Playing room, paused player, no user action of ours: we fell out (a stall, the end of a load).
      // Stopped at the end a moment before the room gets there: wait for it.
      const stopped = player.time >= player.duration - AT_END_S;
      this.drift = stopped ? null : player.time - expected;
      if (expected < player.duration - (stopped ? WAIT_AT_END_S : 0.05)) this.applyReference();
      return status('catching-up', 'Catching up…');
    }
    const drift = player.time - expected;
    this.drift = drift;
    // Out of data mid-play: a seek now would throw away what is arriving and start a new download
    // further on, which a slow link loses again (a chase). Let it fill; the room may wait for us.
    if (player.buffering) return status('catching-up', 'Buffering…', drift);
    this.stallsCount = true;
    // We aimed `leadCheck` s ahead and ended up `drift` s off: the seek really took leadCheck - drift.
    // Likewise for starting early by `startCheck`.
    if (this.leadCheck !== null) this.seekLead.observe(this.leadCheck - drift);
    if (this.startCheck !== null) this.startLead.observe(this.startCheck - drift);
    this.leadCheck = null;
    this.startCheck = null;
    const decision = decideDrift(drift, player.rate !== 1);
    if (decision.action === 'seek') {
      this.seekTo(Math.min(expected + this.seekLead.value, player.duration), this.seekLead.value);
    } else if (decision.action === 'rate') {
      player.rate = decision.rate;
    }
    const ms = Math.round(Math.abs(drift) * 1000);
    if (ms <= 50) return status('in-sync', `In sync · ${ms} ms`, drift);
    return status('catching-up', `Catching up · ${ms} ms`, drift);
  }

  // ---- What we tell the room ------------------------------------------------------------------------

  /** Whether this page is far enough off the room's timeline to offer a "resync". */
  get farOff() {
    return this.drift !== null && Math.abs(this.drift) > FAR_OFF_S;
  }

  /** Whether the room waits for us (a `wait` names us). */
  get waitedFor() {
    return !!this.wait && this.me !== null && this.wait.waitingFor.has(this.me);
  }

  /**
   * This page's state for the room: 'blocked' (autoplay refused), 'buffering' (wants to play, has no
   * data), 'playing', 'paused', 'ready' (able to play: holding for a start, or the room waits for us and
   * we have data again); null when there is nothing to say (no video, the video still loading, a late
   * join finding its frame: buffering that is ours, not a stall that should hold the room).
   */
  get state() {
    const { player, reference: ref } = this;
    if (!ref || !this.current) return null;
    if (player.blocked) return 'blocked';
    if (this.waitedFor) return this.canResume ? 'ready' : 'buffering';
    if (!ref.playing) return 'paused';
    if (player.buffering) return this.stallsCount ? 'buffering' : null;
    return player.paused ? 'ready' : 'playing';
  }

  /** Whether the player, paused for a wait, has the data to play on (see READY_AHEAD_S). */
  get canResume() {
    const { player } = this;
    if (!player.buffering) return true;
    if (player.seeking) return false;
    return (player.bufferedAhead ?? 0) >= Math.min(READY_AHEAD_S, player.duration - player.time - 0.05);
  }

  /**
   * Sends a `status` when something changed, no more often than REPORT_GAP_MS. Buffering is said again
   * while it lasts, and so is ready while the room still waits for us: a report over the server's rate
   * is dropped, and the room would otherwise wait for a ready it never heard until the deadline.
   */
  report() {
    const state = this.state;
    if (!state || !this.connected) return;
    const drift = this.host && state === 'playing' ? null : this.drift;
    const rtt = this.offset.lastRtt;
    const next = {
      type: 'status',
      state,
      drift_ms: drift === null ? null : Math.max(-1e7, Math.min(1e7, Math.round(drift * 1000))),
      rtt_ms: rtt === null ? null : Math.min(60_000, Math.round(rtt)),
    };
    const last = this.lastReport;
    const moved = (a, b) => (a === null) !== (b === null) || Math.abs((a ?? 0) - (b ?? 0)) >= REPORT_MOVE_MS;
    const again =
      (state === 'buffering' || (state === 'ready' && this.waitedFor)) && this.now() - this.lastReportAt >= BUFFERING_AGAIN_MS;
    const changed =
      again || !last || last.state !== next.state || moved(last.drift_ms, next.drift_ms) || moved(last.rtt_ms, next.rtt_ms);
    // The end of a stall is said at once: while the room waits for us each moment of it holds everyone,
    // and a report of buffering made within a second of a start is looked at again when that second is
    // over, when a stale one would pause the room for nothing.
    const recovered = last?.state === 'buffering' && state !== 'buffering';
    if (!changed || (this.now() - this.lastReportAt < REPORT_GAP_MS && !recovered)) return;
    if (!this.send(next)) return;
    this.lastReport = next;
    this.lastReportAt = this.now();
  }
}

/** `drift` (seconds, positive: ahead of the room) only when it was measured this round. */
function status(state, text, drift = null) {
  return { state, text, drift };
}
