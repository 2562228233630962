// YouTube videos, played through YouTube's official IFrame Player API, behind the same small interface
// as the VideoJS adapter (player.js; the interface is described in players.js). The API script is
// loaded from YouTube only when a room first plays a YouTube video.
//
// The IFrame API is not a <video>: commands travel to the iframe by postMessage and state changes come
// back later, and there is no "seeking" event. So this adapter:
// - flips `paused` at once on play()/pause() and reports those calls as play/pause events right away,
//   as a <video> fires 'play'/'pause' for calls made from script; the sync controller's echo guard
//   expects exactly that. The iframe's own PLAYING/PAUSED changes count as the user's only when they
//   differ from that;
// - reports seek() at once too (a <video> fires 'seeking'), and spots the user's seeks in YouTube's
//   own controls as jumps in getCurrentTime(), polled 4 times a second;
// - holds the video paused when YouTube starts it by itself (seekTo() on a cued video plays it).

import { youtubeId } from './links.js';
import { Emitter } from './emitter.js';

export const API_URL = 'https://www.youtube.com/iframe_api';
/** YT.PlayerState, for when the API is not loaded (tests, and before it arrives). */
export const STATE = Object.freeze({ UNSTARTED: -1, ENDED: 0, PLAYING: 1, PAUSED: 2, BUFFERING: 3, CUED: 5 });

const POLL_MS = 250;
/** A change in getCurrentTime() between two polls this much larger than playing explains is a seek. */
const JUMP = 1;
/** A seek has landed once the position is this close to its target (and YouTube is not buffering). */
const LANDED = 0.5;
const SEEK_GIVE_UP_MS = 5000;
/** A PAUSED that turns into PLAYING again this soon was YouTube's seek bar at work, not a pause. */
const PAUSE_SETTLE_MS = 200;
/** A play() with no sign of starting by then (not even buffering) was refused by the browser. */
const BLOCKED_AFTER_MS = 2500;
const START_GIVE_UP_MS = 15_000;
/** State changes caused by our own commands arrive within this (they travel by postMessage). */
const COMMAND_ECHO_MS = 1500;
const LOAD_TIMEOUT_MS = 20_000;

/** onError codes, from the IFrame API reference. */
const ERRORS = {
  2: 'the video ID is not valid',
  5: 'YouTube’s player failed to play it',
  100: 'the video does not exist or is private',
  101: 'its owner does not allow playing it on other sites',
  150: 'its owner does not allow playing it on other sites',
};

export function youtubeError(code) {
  return `YouTube cannot play this video: ${ERRORS[code] ?? `error ${code}`}`;
}

let apiPromise = null;

/**
 * Loads the IFrame Player API once per page and resolves with `YT`. The API calls the global
 * `onYouTubeIframeAPIReady` when it is ready; a failed load can be retried.
 */
export function loadYouTubeApi({ win = globalThis.window, timeoutMs = LOAD_TIMEOUT_MS } = {}) {
  if (win.YT?.Player && apiPromise === null) return Promise.resolve(win.YT);
  if (apiPromise) return apiPromise;
  apiPromise = new Promise((resolve, reject) => {
    const script = win.document.createElement('script');
    const fail = (message) => {
      apiPromise = null;
      script.remove();
      reject(new Error(message));
    };
    const timer = setTimeout(() => fail('YouTube did not answer'), timeoutMs);
    const previous = win.onYouTubeIframeAPIReady;
    win.onYouTubeIframeAPIReady = () => {
      clearTimeout(timer);
      if (typeof previous === 'function') previous();
      resolve(win.YT);
    };
    script.src = API_URL;
    script.async = true;
    script.onerror = () => {
      clearTimeout(timer);
      fail('YouTube cannot be reached');
    };
    win.document.head.append(script);
  });
  return apiPromise;
}

/** Its events ('ready', 'seeked', 'play', 'pause') come from the shared Emitter: on, one, off, emit. */
export class YouTubePlayer extends Emitter {
  /**
   * `mount`: the element (or its ID) YT.Player replaces with its iframe. `onEvent(kind, position)`: a
   * play/pause/seek; `onUnblock()`: the user clicked "join" after a refused start; `showJoin(visible)`:
   * shows or hides that button; `onError(message)`: YouTube failed after the video loaded.
   * `loadApi` and `now` are there for tests.
   */
  constructor(mount, { onEvent, onUnblock, showJoin = () => {}, onError = () => {}, loadApi = loadYouTubeApi, now = () => performance.now() }) {
    super();
    this.mount = mount;
    this.onEvent = onEvent;
    this.onUnblock = onUnblock;
    this.showJoin = showJoin;
    this.onError = onError;
    this.loadApi = loadApi;
    this.now = now;

    this.yt = null; // the YT.Player, made on the first load and reused for later videos
    this.apiReady = null; // resolves when that player fired onReady
    this.waiter = null; // {resolve, reject} while a load waits for YouTube
    this.token = 0;
    this.videoId = null;
    this.loaded = false;
    this.ytState = STATE.UNSTARTED;
    this.playing = false; // what `paused` answers: our intent, ahead of the iframe's state
    this.blocked = false;
    this.starting = null; // {resolve, timer, since} while a play() waits for PLAYING
    this.pausing = null; // timer: a PAUSED waiting to see whether it is part of a seek
    this.seekTarget = null;
    this.seekAt = 0;
    this.commandAt = -Infinity;
    this.sample = null; // {time, at, moving}: the last poll, for spotting jumps
    this.wantedRate = 1;
    this.poller = null;
  }

  // ---- Loading ----

  /** Loads the video of a YouTube `url`; resolves once it is cued and can be played and sought. */
  async load(url) {
    const id = youtubeId(url);
    if (!id) throw new Error('that is not a link to a YouTube video');
    this.unload();
    const token = this.token;
    const YT = await this.loadApi();
    if (token !== this.token) return;
    await this.cue(YT, id, token);
    if (token !== this.token) return;
    this.videoId = id;
    this.loaded = true;
    this.wantedRate = 1;
    this.sample = null;
    this.resample();
    this.poller = setInterval(() => this.poll(), POLL_MS);
    this.emit('ready');
  }

  cue(YT, id, token) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle(new Error('YouTube did not answer in time')), LOAD_TIMEOUT_MS);
      const settle = (error) => {
        clearTimeout(timer);
        if (this.waiter?.resolve === resolve) this.waiter = null;
        if (error) reject(error);
        else resolve();
      };
      this.waiter = { resolve, settle };
      if (!this.yt) {
        // The first video is cued by the constructor; onReady says it is there (unless another load
        // came meanwhile: that one waits for its own CUED).
        const first = this.waiter;
        this.apiReady = new Promise((ready) => {
          this.yt = new YT.Player(this.mount, {
            videoId: id,
            playerVars: { playsinline: 1, rel: 0 },
            events: {
              onReady: () => {
                ready();
                if (this.waiter === first) first.settle();
              },
              onStateChange: (event) => this.onState(event.data),
              onError: (event) => this.onYouTubeError(event.data),
            },
          });
        });
      } else {
        // A later video reuses the player, once it is ready; CUED says the new one is there.
        this.apiReady.then(() => {
          if (token === this.token) this.yt.cueVideoById(id);
        });
      }
    });
  }

  unload() {
    this.token += 1;
    this.loaded = false;
    this.playing = false;
    this.seekTarget = null;
    this.sample = null;
    this.finishStart('failed');
    clearTimeout(this.pausing);
    this.pausing = null;
    clearInterval(this.poller);
    this.poller = null;
    this.dismissJoin();
    // A load still waiting is over: its caller sees the token moved on.
    this.waiter?.settle();
    if (this.yt && this.videoId) this.yt.stopVideo?.();
    this.videoId = null;
  }

  destroy() {
    this.unload();
    this.yt?.destroy?.();
    this.yt = null;
  }

  // ---- What YouTube tells us ----

  onState(state) {
    this.ytState = state;
    if (state === STATE.CUED) this.waiter?.settle();
    if (!this.loaded) return;
    this.resample();
    if (state === STATE.PLAYING) this.onPlaying();
    else if (state === STATE.PAUSED) this.onPaused();
    else if (state === STATE.ENDED && this.playing) {
      // A <video> reports a pause when it reaches the end: so do we.
      this.playing = false;
      this.finishStart('failed');
      this.report('pause');
    }
  }

  onPlaying() {
    // PAUSED then PLAYING again at once: a drag on YouTube's seek bar (the poll reports the jump).
    clearTimeout(this.pausing);
    this.pausing = null;
    this.finishStart('playing');
    if (this.playing) return;
    const ours = this.seekTarget !== null || this.now() - this.commandAt < COMMAND_ECHO_MS;
    if (ours) {
      // We want it paused (a seek on a cued video starts it, or a late echo): hold it there.
      this.yt.pauseVideo();
    } else if (this.blocked) {
      // The user started it in YouTube's own player instead of with our button: the same thing.
      this.playing = true;
      this.unblock();
    } else {
      this.playing = true;
      this.report('play');
    }
  }

  onPaused() {
    if (!this.playing || this.starting) return;
    clearTimeout(this.pausing);
    this.pausing = setTimeout(() => {
      this.pausing = null;
      if (this.playing && this.ytState === STATE.PAUSED) {
        this.playing = false;
        this.report('pause');
      }
    }, PAUSE_SETTLE_MS);
  }

  onYouTubeError(code) {
    const message = youtubeError(code);
    if (this.waiter) this.waiter.settle(new Error(message));
    else if (this.loaded) this.onError(message);
  }

  /** Four times a second: landings of our seeks, and the user's seeks in YouTube's controls. */
  poll() {
    if (!this.loaded) return;
    const at = this.now();
    const time = this.yt.getCurrentTime() || 0;
    if (this.seekTarget !== null) {
      const landed = Math.abs(time - this.seekTarget) < LANDED && this.ytState !== STATE.BUFFERING;
      if (landed || at - this.seekAt > SEEK_GIVE_UP_MS) {
        this.seekTarget = null;
        this.emit('seeked');
      }
    } else {
      this.checkJump(at);
    }
    this.sample = { time, at, moving: this.ytState === STATE.PLAYING };
  }

  /**
   * Looks for a jump in YouTube's position that we did not ask for: the user sought in YouTube's own
   * controls. Reports it and answers true when there was one.
   */
  checkJump(at = this.now()) {
    if (!this.loaded || !this.sample || this.seekTarget !== null) return false;
    const time = this.yt.getCurrentTime() || 0;
    const played = this.sample.moving ? ((at - this.sample.at) / 1000) * this.rate : 0;
    if (Math.abs(time - (this.sample.time + played)) <= JUMP) return false;
    this.sample = { time, at, moving: this.ytState === STATE.PLAYING };
    this.report('seek', time);
    this.emit('seeked');
    return true;
  }

  /**
   * A state change starts a new stretch for the jump detector: where we expected to be by now, moving
   * or not from here on. (Not a fresh reading: a seek in YouTube's controls arrives as a state change,
   * and reading the position then would hide its jump.)
   */
  resample() {
    if (!this.loaded || !this.yt) return;
    const at = this.now();
    const { sample } = this;
    const time = sample
      ? sample.time + (sample.moving ? ((at - sample.at) / 1000) * this.rate : 0)
      : this.yt.getCurrentTime() || 0;
    this.sample = { time, at, moving: this.ytState === STATE.PLAYING };
  }

  report(kind, position = this.time) {
    if (!this.loaded) return;
    // A pause while the join button is up is the browser refusing, not the user.
    if (kind === 'pause' && this.blocked) return;
    this.onEvent(kind, position);
    this.emit(kind);
  }

  /** Reports a call made from script a moment later, as a <video> queues its event. */
  reportSoon(kind, position) {
    const token = this.token;
    setTimeout(() => {
      if (token === this.token) this.report(kind, position);
    }, 0);
  }

  // ---- The player interface ----

  get ready() {
    return this.loaded;
  }

  get src() {
    return this.loaded ? `https://www.youtube.com/watch?v=${this.videoId}` : '';
  }

  get time() {
    if (!this.loaded) return 0;
    // Like a <video>'s currentTime, which reads as the target as soon as a seek starts.
    if (this.seekTarget !== null) return this.seekTarget;
    // The API itself moves its last reported time on by the clock while playing.
    return this.yt.getCurrentTime() || 0;
  }

  get duration() {
    // 0 until YouTube knows it (often only once playback started): unknown, like a <video>'s NaN.
    const d = this.loaded ? this.yt.getDuration() : 0;
    return d > 0 ? d : Infinity;
  }

  get paused() {
    return !this.playing;
  }

  /**
   * The sync loop asks this before it reads the position: a seek in YouTube's controls it reaches
   * before the next poll is reported first (and answers true, so the loop waits a round), or the loop
   * would take the jump for drift and pull the player back.
   */
  get seeking() {
    if (this.checkJump()) return true;
    return this.seekTarget !== null;
  }

  /** YouTube says so itself (its BUFFERING state), during a seek as during a stall. */
  get buffering() {
    return this.loaded && this.ytState === STATE.BUFFERING;
  }

  /** Unknown: YouTube's BUFFERING state is what `buffering` goes by. */
  get bufferedAhead() {
    return 0;
  }

  get rate() {
    return (this.loaded && this.yt.getPlaybackRate?.()) || 1;
  }

  /**
   * YouTube plays only the rates it offers and rounds the rest, so the small nudges of the drift loop
   * may not take: then it corrects by seeking once the gap passes the seek threshold.
   */
  set rate(value) {
    if (!this.loaded || value === this.wantedRate) return;
    this.wantedRate = value;
    this.yt.setPlaybackRate(value);
  }

  seek(position) {
    if (!this.loaded) return;
    this.seekTarget = position;
    this.seekAt = this.now();
    this.commandAt = this.seekAt;
    this.yt.seekTo(position, true);
    this.reportSoon('seek', position);
  }

  pause() {
    if (!this.loaded) return;
    this.finishStart('failed');
    clearTimeout(this.pausing);
    this.pausing = null;
    const wasPlaying = this.playing;
    this.playing = false;
    this.commandAt = this.now();
    this.yt.pauseVideo();
    if (wasPlaying) this.reportSoon('pause');
  }

  /** Starts playback: 'playing', 'blocked' (the join button is showing) or 'failed'. */
  play() {
    if (!this.loaded) return Promise.resolve('failed');
    if (this.playing && this.ytState === STATE.PLAYING) return Promise.resolve('playing');
    this.finishStart('failed');
    clearTimeout(this.pausing);
    this.pausing = null;
    const wasPlaying = this.playing;
    this.playing = true;
    this.commandAt = this.now();
    this.yt.playVideo();
    if (!wasPlaying) this.reportSoon('play');
    return new Promise((resolve) => {
      const since = this.now();
      const check = () => {
        if (this.starting?.resolve !== resolve) return;
        // Still loading on a slow line: give it longer before calling it refused.
        if (this.ytState === STATE.BUFFERING && this.now() - since < START_GIVE_UP_MS) {
          this.starting.timer = setTimeout(check, 500);
          return;
        }
        this.starting = null;
        this.playing = false;
        this.blocked = true;
        this.showJoin(true);
        resolve('blocked');
      };
      this.starting = { resolve, timer: setTimeout(check, BLOCKED_AFTER_MS) };
    });
  }

  finishStart(result) {
    if (!this.starting) return;
    clearTimeout(this.starting.timer);
    const { resolve } = this.starting;
    this.starting = null;
    if (result === 'playing') this.dismissJoin();
    resolve(result);
  }

  /** The room stopped playing while the join button was up, or we started after all. */
  dismissJoin() {
    if (this.blocked) this.blocked = false;
    this.showJoin(false);
  }

  /** The user pressed the join button: runs inside the click, so play() is allowed again. */
  unblock() {
    this.blocked = false;
    this.showJoin(false);
    this.onUnblock();
  }
}
