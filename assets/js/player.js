// The player adapter: everything the room page needs from VideoJS, and nothing else of it leaks out.
//
// Two jobs besides passing calls through:
// - Report what the *user* did as one event per action. VideoJS turns a click on the progress bar into
//   pause + seek + play; we collapse such a gesture into the one thing that changed.
// - Survive a browser that refuses to start playback without a click (NotAllowedError): show one
//   "Click to join playback" button instead of failing silently.

export class Player {
  /**
   * `element`: the <video>; `onEvent(kind, position)`: a local play/pause/seek ('play'|'pause'|'seek');
   * `onUnblock()`: the user clicked the join button (runs inside the click, so it may call play()).
   */
  constructor(element, { onEvent, onUnblock }) {
    this.media = element;
    this.onEvent = onEvent;
    this.onUnblock = onUnblock;
    this.silent = 0; // > 0 while loading a source: its events are not the user's
    this.gesture = null; // {paused, position} from before a progress-bar drag or click
    this.blocked = false;

    this.vjs = window.videojs(element, {
      controls: true,
      preload: 'auto',
      fluid: true,
      aspectRatio: '16:9',
      // Per-viewer speed would break the lock-step, so no rate menu.
      playbackRates: [],
      // Space/k, f, m when the player has focus.
      userActions: { hotkeys: true },
      controlBar: { playbackRateMenuButton: false },
    });
    this.media = this.vjs.tech({ IWillNotUseThisInPlugins: true }).el();

    for (const [type, kind] of [['play', 'play'], ['pause', 'pause'], ['seeking', 'seek']]) {
      this.vjs.on(type, () => this.report(kind));
    }
    this.watchProgressGestures();
    this.overlay = this.makeOverlay();
  }

  report(kind) {
    if (this.silent > 0 || this.gesture) return;
    // A pause right after a refused play() is the browser undoing it, not the user.
    if (kind === 'pause' && this.blocked) return;
    this.onEvent(kind, this.time);
  }

  watchProgressGestures() {
    const bar = this.vjs.controlBar?.progressControl?.el();
    if (!bar) return;
    const start = () => {
      if (!this.gesture) this.gesture = { paused: this.paused, position: this.time };
    };
    const end = () => {
      if (!this.gesture) return;
      // VideoJS resumes playback in its own mouseup handler; let that land first.
      setTimeout(() => {
        const before = this.gesture;
        this.gesture = null;
        if (!before) return;
        if (this.paused !== before.paused) this.onEvent(this.paused ? 'pause' : 'play', this.time);
        else if (Math.abs(this.time - before.position) > 0.05) this.onEvent('seek', this.time);
      }, 80);
    };
    // Capture phase: we must see the press before VideoJS pauses the video in its own handler.
    bar.addEventListener('mousedown', start, true);
    bar.addEventListener('touchstart', start, { capture: true, passive: true });
    for (const type of ['mouseup', 'touchend', 'touchcancel']) document.addEventListener(type, end, true);
  }

  makeOverlay() {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'join-overlay';
    button.textContent = 'Click to join playback';
    button.hidden = true;
    button.addEventListener('click', () => {
      button.hidden = true;
      this.blocked = false;
      this.onUnblock();
    });
    this.vjs.el().appendChild(button);
    return button;
  }

  /** The room stopped playing while the join button was up: there is nothing to join any more. */
  dismissJoin() {
    this.blocked = false;
    this.overlay.hidden = true;
  }

  /** Loads a source; resolves once its duration is known (then seeks are exact). */
  load(url, type) {
    this.deafen();
    this.rate = 1;
    return new Promise((resolve, reject) => {
      const done = (error) => {
        this.vjs.off('loadedmetadata', ok);
        this.vjs.off('error', fail);
        // The element may fire a late pause/seeking for the old source: stay deaf a moment longer.
        setTimeout(() => this.undeafen(), 50);
        if (error) reject(error);
        else resolve();
      };
      const ok = () => done();
      const fail = () => done(new Error(this.vjs.error()?.message || 'The video could not be loaded'));
      this.vjs.one('loadedmetadata', ok);
      this.vjs.one('error', fail);
      // A direct link may come without a known type: then VideoJS goes by the file name.
      this.vjs.src(type ? { src: url, type } : { src: url });
    });
  }

  /** VideoJS's `poster`: shown until playback starts ('' for none). */
  setPoster(url) {
    this.vjs.poster(url);
  }

  unload() {
    this.deafen();
    this.vjs.pause();
    this.vjs.reset();
    // reset() builds a new <video>: without this every reading afterwards came from the detached one
    // (never ready, never playing), so a page that joined a room before its video never followed it.
    this.media = this.vjs.tech({ IWillNotUseThisInPlugins: true }).el();
    setTimeout(() => this.undeafen(), 50);
  }

  /**
   * While a source loads, the player's events are not the user's. `data-listening` on the player
   * says when they are again, for anything (tests, say) that must not act inside that window.
   */
  deafen() {
    this.silent += 1;
    this.vjs.el().dataset.listening = 'no';
  }

  undeafen() {
    this.silent -= 1;
    if (this.silent === 0) this.vjs.el().dataset.listening = 'yes';
  }

  get src() {
    return this.media.currentSrc || '';
  }

  get time() {
    return this.media.currentTime || 0;
  }

  get duration() {
    const d = this.media.duration;
    return Number.isFinite(d) ? d : Infinity;
  }

  get paused() {
    return this.media.paused;
  }

  /**
   * Also true from the press on the progress bar until that gesture is reported: the player already
   * shows where the user is going, the room does not know it yet, and the sync loop (which asks this
   * before it reads the position) would take the jump for drift and pull the player back, losing the
   * user's seek.
   */
  get seeking() {
    return this.gesture !== null || this.media.seeking;
  }

  get ready() {
    return this.media.readyState >= 1 && !!this.src;
  }

  /**
   * No data to play on from here: readyState below HAVE_FUTURE_DATA, paused or not (a paused player
   * whose connection stalled stays at HAVE_CURRENT_DATA until data comes). An ended video is not waiting.
   */
  get buffering() {
    return this.ready && !this.media.ended && this.media.readyState < 3;
  }

  /** Seconds of data from the current position on (0 when it is not in a buffered range). */
  get bufferedAhead() {
    const { buffered, currentTime } = this.media;
    for (let i = 0; i < buffered.length; i += 1) {
      if (buffered.start(i) <= currentTime + 0.01 && currentTime < buffered.end(i)) return buffered.end(i) - currentTime;
    }
    return 0;
  }

  get rate() {
    return this.media.playbackRate;
  }

  set rate(value) {
    if (this.media.playbackRate !== value) this.media.playbackRate = value;
  }

  seek(position) {
    this.vjs.currentTime(position);
  }

  pause() {
    this.vjs.pause();
  }

  /** Starts playback: 'playing', 'blocked' (the join button is showing) or 'failed'. */
  async play() {
    try {
      await this.media.play();
      this.blocked = false;
      this.overlay.hidden = true;
      return 'playing';
    } catch (error) {
      if (error?.name === 'NotAllowedError') {
        this.blocked = true;
        this.overlay.hidden = false;
        return 'blocked';
      }
      // AbortError: a pause() or a new source overtook this play(); nothing to report.
      return 'failed';
    }
  }

  on(type, handler) {
    this.vjs.on(type, handler);
  }

  one(type, handler) {
    this.vjs.one(type, handler);
  }
}
