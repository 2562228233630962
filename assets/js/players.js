// One player for the room page, whatever the room plays: uploads and direct links go to the VideoJS
// adapter (player.js), YouTube videos to the IFrame API adapter (youtube.js). room.js picks one with
// `use(video.kind)`; it and the sync controller (sync-controller.js) then talk to this object only, so
// the sync logic is the same for both.
//
// The interface both adapters implement (the one the sync controller drives):
//   load(url, type)     -> Promise, resolved once the video can be sought and played
//   unload()            stops and forgets the video
//   play()              -> Promise of 'playing' | 'blocked' (the browser wants a click) | 'failed'
//   pause(), seek(seconds)
//   time, duration (Infinity when unknown), paused, seeking, ready, src   (read-only)
//   buffering           no data to play on from here (a stall, or a seek still loading)
//   bufferedAhead       seconds of data held from the position on (0 when unknown)
//   rate                playback rate (read and write)
//   blocked, dismissJoin()   the "Click to join playback" state after a refused start
//   on(type, fn), one(type, fn)   events: 'seeked' (a seek landed), 'play', 'pause'
// and each reports the user's own play/pause/seek through the `onEvent(kind, position)` it was given,
// calls from script included (as a <video> does), which the sync controller's echo guard filters.

import { Player } from './player.js';
import { YouTubePlayer } from './youtube.js';
import { Emitter } from './emitter.js';

/** The members every adapter has (checked in tests/js/players.test.mjs). */
export const PLAYER_INTERFACE = Object.freeze([
  'load', 'unload', 'play', 'pause', 'seek', 'time', 'duration', 'paused', 'seeking', 'ready', 'src',
  'rate', 'blocked', 'dismissJoin', 'on', 'one', 'buffering', 'bufferedAhead',
]);

/** Which adapter plays a video of this `kind` ('file', 'url' or 'youtube'). */
export function adapterFor(kind) {
  return kind === 'youtube' ? 'youtube' : 'html5';
}

export class MediaPlayer {
  /**
   * `make.html5()` and `make.youtube()` build the adapters (the YouTube one only when first needed);
   * `show(name)` shows that adapter's element and hides the other's.
   */
  constructor({ make, show = () => {} }) {
    this.make = make;
    this.show = show;
    this.adapters = { html5: make.html5(), youtube: null };
    this.name = 'html5';
    this.events = new Emitter(); // our listeners, whichever adapter is active
    this.types = new Set(); // event types someone here listens for
    this.listening = new Set(); // `${adapter}:${type}` already forwarded
    this.forward(this.adapters.html5, 'html5');
  }

  get active() {
    return this.adapters[this.name];
  }

  /** Switches to the adapter for `kind`, unloading the other; true when it changed. */
  use(kind) {
    const name = adapterFor(kind);
    if (name === this.name) return false;
    this.active.unload();
    if (!this.adapters[name]) {
      this.adapters[name] = this.make[name]();
      this.forward(this.adapters[name], name);
    }
    this.name = name;
    this.show(name);
    return true;
  }

  // Events: listeners are kept here and fed from whichever adapter is active, so the page subscribes
  // once however often the room changes between kinds of video. Each adapter is asked to forward a
  // type once, the first time anyone here listens for it.
  forward(adapter, name) {
    for (const type of this.types) this.listenTo(adapter, name, type);
  }

  listenTo(adapter, name, type) {
    const key = `${name}:${type}`;
    if (this.listening.has(key)) return;
    this.listening.add(key);
    adapter.on(type, (...args) => {
      if (this.name === name) this.events.emit(type, ...args);
    });
  }

  listenAll(type) {
    this.types.add(type);
    for (const [name, adapter] of Object.entries(this.adapters)) if (adapter) this.listenTo(adapter, name, type);
  }

  on(type, handler) {
    this.listenAll(type);
    return this.events.on(type, handler);
  }

  one(type, handler) {
    this.listenAll(type);
    return this.events.one(type, handler);
  }

  off(type, handler) {
    this.events.off(type, handler);
  }

  load(url, type) {
    return this.active.load(url, type);
  }

  unload() {
    this.active.unload();
  }

  /** The picture shown before an upload plays (its poster frame); none for other videos. */
  setPoster(url) {
    this.adapters.html5.setPoster(url || '');
  }

  play() {
    return this.active.play();
  }

  pause() {
    this.active.pause();
  }

  seek(position) {
    this.active.seek(position);
  }

  dismissJoin() {
    this.active.dismissJoin();
  }

  get time() {
    return this.active.time;
  }

  get duration() {
    return this.active.duration;
  }

  get paused() {
    return this.active.paused;
  }

  get seeking() {
    return this.active.seeking;
  }

  get ready() {
    return this.active.ready;
  }

  get src() {
    return this.active.src;
  }

  get blocked() {
    return this.active.blocked;
  }

  get buffering() {
    return this.active.buffering;
  }

  get bufferedAhead() {
    return this.active.bufferedAhead;
  }

  get rate() {
    return this.active.rate;
  }

  set rate(value) {
    this.active.rate = value;
  }
}

/**
 * The room page's player: VideoJS on `video`, YouTube in `youtubeBox` (with its own join button, like
 * the one player.js puts on VideoJS). `onEvent`/`onUnblock` as for player.js; `onError(message)` for a
 * YouTube failure after loading.
 */
export function roomPlayer({ video, youtubeBox, onEvent, onUnblock, onError }) {
  let html5;
  const make = {
    html5: () => (html5 = new Player(video, { onEvent, onUnblock })),
    youtube: () => {
      const mount = document.createElement('div');
      const join = document.createElement('button');
      join.type = 'button';
      join.className = 'join-overlay';
      join.textContent = 'Click to join playback';
      join.hidden = true;
      youtubeBox.append(mount, join);
      const player = new YouTubePlayer(mount, {
        onEvent,
        onUnblock,
        onError,
        showJoin: (visible) => (join.hidden = !visible),
      });
      join.addEventListener('click', () => player.unblock());
      return player;
    },
  };
  const show = (name) => {
    youtubeBox.hidden = name !== 'youtube';
    html5.vjs.el().hidden = name === 'youtube';
  };
  return new MediaPlayer({ make, show });
}
