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

import { ClockOffset, expectedPosition, decideDrift, DRIFT, EchoGuard, SeekLead, acceptHeartbeat } from './sync.js';
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
  welcome({ you, server_time: serverTime }) {
    this.me = you;
    this.offset.seed(serverTime, this.now());
  }

  setHost(isHost) {
    this.host = isHost;
  }

  /** The socket opened or closed. On opening, a burst of pings. */
  setConnected(open) {
    const opened = open && !this.connected;
    this.connected = open;
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
    this.videoId = video?.id ?? null;
    this.reference = playback;
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
    this.reference = { playing: message.playing, position: message.position, rate: 1, updated_at: message.server_time };
    this.lastCommandAt = message.server_time;
    this.roomReference = this.reference;
    this.roomCommandAt = this.lastCommandAt;
    // Our own seek's echo needs no exact landing: we are already there, give or take the travel time.
    this.applyReference({ exact: message.type === 'seek' && message.by !== this.me });
  }

  onHeartbeat(message) {
    if (message.by === this.me) return;
    if (!acceptHeartbeat(this.reference, this.lastCommandAt, message)) return;
    this.reference = { playing: message.playing, position: message.position, rate: 1, updated_at: message.server_time };
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
    const playing = kind === 'play' ? true : kind === 'pause' ? false : !player.paused;
    // A seek during playback stalls this player for about seekLead before it moves again: the room's
    // timeline starts from `position` then, not now, or this page would begin its own seek behind everyone.
    const startsIn = kind === 'seek' && playing ? this.seekLead.value : 0;
    // It is the room's state from now on, so the drift loop does not undo it while the echo travels.
    this.reference = { playing, position, rate: 1, updated_at: this.serverNow() + startsIn * 1000 };
    this.lastCommandAt = this.serverNow();
    if (startsIn > 0) {
      this.settleUntil = this.now() + SETTLE_AFTER_SEEK_MS;
      this.leadCheck = startsIn;
    }
    player.rate = 1;
    const sent = playing ? Math.max(0, position - startsIn + this.inTransit()) : position;
    if (!this.send({ type: kind, position: sent })) return 'offline';
    this.ownInFlight += 1;
    return 'sent';
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
    const target = expectedPosition(ref, this.serverNow(), player.duration);
    const atEnd = target >= player.duration - 0.05;
    if (!ref.playing || atEnd) {
      player.rate = 1;
      if (player.blocked) player.dismissJoin();
      if (!player.paused) {
        this.guard.expect('pause', player.time, this.now());
        player.pause();
      }
      if (Math.abs(player.time - target) > DRIFT.pausedTolerance / 2) this.seekTo(target);
      return;
    }
    if (player.paused) {
      if (player.blocked) return;
      if (Math.abs(player.time - target) <= DRIFT.nudgeAbove) this.startPlaying();
      else this.joinAhead(target);
      return;
    }
    if (Math.abs(player.time - target) > DRIFT.seekAbove || exact) {
      // Aim where the room will be once the seek is done.
      const aim = Math.min(target + this.seekLead.value, player.duration);
      if (Math.abs(player.time - aim) > DRIFT.nudgeAbove) this.seekTo(aim, this.seekLead.value);
    }
  }

  /**
   * Joining a playing room from a paused player (a late join, a reload, a click on the join button):
   * seek a little past where the room is, wait for the frame to be ready, then start at the moment the
   * room reaches it. Overshooting costs only a short wait on a still frame; a seek aimed at "now" always
   * lands behind by however long the seek and the start took.
   */
  joinAhead(target) {
    const aim = Math.min(target + Math.max(0.3, 2 * this.seekLead.value), this.player.duration);
    const token = ++this.joinToken;
    this.joining = true;
    this.seekTo(aim);
    this.player.one('seeked', () => {
      if (token === this.joinToken) this.startWhenRoomArrives(token);
    });
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
    // Start a little early: the clock only moves once the player has spun up.
    const wait = player.time - expectedPosition(ref, this.serverNow(), player.duration) - this.startLead.value;
    if (wait > 0.005) {
      this.joinTimer = this.clock.setTimeout(() => this.startWhenRoomArrives(token), Math.min(wait * 1000, 2000));
      return;
    }
    this.joining = false;
    this.settleUntil = this.now() + SETTLE_AFTER_SEEK_MS;
    this.startCheck = this.startLead.value;
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
    const { player, reference: ref } = this;
    if (!ref || !this.current) return null;
    if (!this.connected) return status('offline', 'Offline');
    if (player.blocked) return status('waiting', 'Waiting for your click');
    if (player.seeking || this.joining) return status('catching-up', 'Catching up…');
    if (!ref.playing) {
      if (player.paused && Math.abs(player.time - ref.position) > DRIFT.pausedTolerance) this.seekTo(ref.position);
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
      if (expected < player.duration - (stopped ? WAIT_AT_END_S : 0.05)) this.applyReference();
      return status('catching-up', 'Catching up…');
    }
    const drift = player.time - expected;
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
}

/** `drift` (seconds, positive: ahead of the room) only when it was measured this round. */
function status(state, text, drift = null) {
  return { state, text, drift };
}
