// The YouTube adapter against a fake `YT` (YouTube is never reached from tests). The fake answers the
// way the IFrame API does: commands go out at once, state changes come back a few ms later (they
// travel by postMessage), seekTo() on a cued video starts it, getDuration() is 0 until it played.

import { test, mock, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as flushed } from 'node:timers/promises';
import { YouTubePlayer, STATE, API_URL, loadYouTubeApi } from '../../assets/js/youtube.js';

const clock = { now: 0 };

/** Moves the fake clock and the mocked timers together, in small steps, letting promises settle. */
async function advance(ms, step = 10) {
  for (let done = 0; done < ms; done += step) {
    clock.now += step;
    mock.timers.tick(step);
    await flushed();
  }
}

function fakeYT({ autoplay = true, failOn = null } = {}) {
  const YT = { PlayerState: STATE, players: [] };
  YT.Player = class {
    constructor(mount, options) {
      this.mount = mount;
      this.options = options;
      this.calls = [];
      this.videoId = options.videoId;
      this.state = STATE.UNSTARTED;
      this.position = 0;
      this.since = null; // clock reading when it started moving; null while still
      this.rate = 1;
      YT.players.push(this);
      this.later(() => {
        this.state = STATE.CUED;
        options.events.onReady({ target: this });
      });
    }

    later(fn, ms = 5) {
      setTimeout(fn, ms);
    }

    fire(state) {
      this.state = state;
      this.options.events.onStateChange({ target: this, data: state });
    }

    move() {
      this.since = clock.now;
      this.fire(STATE.PLAYING);
    }

    freeze() {
      this.position = this.getCurrentTime();
      this.since = null;
    }

    getCurrentTime() {
      return this.since === null ? this.position : this.position + ((clock.now - this.since) / 1000) * this.rate;
    }

    getDuration() {
      return this.state === STATE.CUED || this.state === STATE.UNSTARTED ? 0 : 20;
    }

    getPlaybackRate() {
      return this.rate;
    }

    setPlaybackRate(rate) {
      this.calls.push(['setPlaybackRate', rate]);
      this.rate = rate;
    }

    playVideo() {
      this.calls.push(['playVideo']);
      if (!autoplay) {
        this.later(() => this.fire(STATE.UNSTARTED));
        return;
      }
      this.later(() => this.fire(STATE.BUFFERING));
      this.later(() => this.move(), 60);
    }

    pauseVideo() {
      this.calls.push(['pauseVideo']);
      this.freeze();
      this.later(() => this.fire(STATE.PAUSED));
    }

    seekTo(seconds, allowSeekAhead) {
      this.calls.push(['seekTo', seconds, allowSeekAhead]);
      const wasCued = this.state === STATE.CUED || this.state === STATE.UNSTARTED;
      this.position = seconds;
      if (this.since !== null) this.since = clock.now;
      // As YouTube does: seeking a video that never played starts it.
      if (wasCued) {
        this.later(() => this.fire(STATE.BUFFERING));
        this.later(() => this.move(), 60);
      }
    }

    cueVideoById(id) {
      this.calls.push(['cueVideoById', id]);
      this.videoId = id;
      this.position = 0;
      this.since = null;
      this.later(() => (id === failOn ? this.options.events.onError({ data: 150 }) : this.fire(STATE.CUED)));
    }

    stopVideo() {
      this.calls.push(['stopVideo']);
      this.freeze();
    }

    // What a user does in YouTube's own controls.
    userPlay() {
      this.move();
    }

    userPause() {
      this.freeze();
      this.fire(STATE.PAUSED);
    }

    userSeek(seconds) {
      const playing = this.since !== null;
      this.position = seconds;
      if (playing) this.since = clock.now;
      this.fire(STATE.BUFFERING);
      this.later(() => this.fire(playing ? STATE.PLAYING : STATE.PAUSED), 30);
    }
  };
  return YT;
}

/** An adapter on a fake YouTube, recording what it reports. */
function setup(options = {}) {
  const YT = fakeYT(options);
  const events = [];
  const joins = [];
  const unblocks = [];
  const player = new YouTubePlayer('mount', {
    onEvent: (kind, position) => events.push([kind, Math.round(position * 10) / 10]),
    onUnblock: () => unblocks.push(clock.now),
    showJoin: (visible) => joins.push(visible),
    loadApi: async () => YT,
    now: () => clock.now,
  });
  const seeked = [];
  player.on('seeked', () => seeked.push(player.time));
  return { YT, player, events, joins, unblocks, seeked, yt: () => YT.players[0] };
}

async function loaded(options) {
  const s = setup(options);
  const loading = s.player.load('https://youtu.be/dQw4w9WgXcQ');
  await advance(20);
  await loading;
  return s;
}

beforeEach(() => {
  clock.now = 0;
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
});

afterEach(() => {
  mock.timers.reset();
});

test('load: one YT.Player with the video ID and the page-friendly player options', async () => {
  const { YT, player } = await loaded();
  assert.equal(YT.players.length, 1);
  const { videoId, playerVars, events } = YT.players[0].options;
  assert.equal(videoId, 'dQw4w9WgXcQ');
  assert.deepEqual(playerVars, { playsinline: 1, rel: 0 });
  assert.equal(typeof events.onStateChange, 'function');
  assert.ok(player.ready);
  assert.ok(player.paused);
  assert.equal(player.time, 0);
  assert.equal(player.duration, Infinity, 'unknown until YouTube knows it');
  assert.equal(player.src, 'https://www.youtube.com/watch?v=dQw4w9WgXcQ');
});

test('load: a later video reuses the player and waits for it to be cued', async () => {
  const { YT, player } = await loaded();
  let done = false;
  const next = player.load('https://www.youtube.com/shorts/aBc_-123XyZ').then(() => (done = true));
  assert.equal(player.ready, false, 'not ready while the new video is on its way');
  await flushed();
  assert.equal(done, false);
  await advance(20);
  await next;
  assert.equal(YT.players.length, 1);
  assert.deepEqual(YT.players[0].calls.filter((c) => c[0] === 'cueVideoById'), [['cueVideoById', 'aBc_-123XyZ']]);
  assert.ok(player.ready);
});

test('load: refuses a link that is not a YouTube video; a YouTube error is a readable message', async () => {
  const { player } = await loaded({ failOn: 'aBc_-123XyZ' });
  await assert.rejects(player.load('https://example.org/clip.mp4'), /not a link to a YouTube video/);
  const failing = player.load('https://youtu.be/aBc_-123XyZ');
  const checked = assert.rejects(failing, /does not allow playing it on other sites/);
  await advance(20);
  await checked;
});

test('play() and pause() from script: paused flips at once, each reported once, like a <video>', async () => {
  const { player, events, yt } = await loaded();
  const started = player.play();
  assert.equal(player.paused, false);
  await advance(100);
  assert.equal(await started, 'playing');
  assert.deepEqual(events, [['play', 0]]);
  await advance(1000);
  assert.ok(Math.abs(player.time - 1.04) < 0.06, `playing: at ${player.time}`);
  assert.equal(player.duration, 20);

  player.pause();
  assert.equal(player.paused, true);
  await advance(500);
  assert.equal(events.length, 2);
  assert.equal(events[1][0], 'pause');
  assert.equal(yt().state, STATE.PAUSED);
  assert.deepEqual(events.map((e) => e[0]), ['play', 'pause'], 'YouTube catching up adds nothing');
});

test("the user's play, pause and seek in YouTube's own controls are reported", async () => {
  const { player, events, seeked, yt } = await loaded();
  yt().userPlay();
  assert.deepEqual(events, [['play', 0]]);
  assert.equal(player.paused, false);
  await advance(2000);
  yt().userPause();
  await advance(300);
  assert.equal(player.paused, true);
  assert.deepEqual(events.at(-1), ['pause', 2]);
  yt().userSeek(12);
  await advance(600);
  assert.deepEqual(events.at(-1), ['seek', 12]);
  assert.equal(seeked.length, 1);
  assert.equal(events.length, 3, 'one event per action');
  assert.equal(player.paused, true);
});

test("a seek in YouTube's controls is reported before the sync loop can take it for drift", async () => {
  const { player, events, yt } = await loaded();
  yt().userPlay();
  await advance(1000);
  yt().userSeek(12);
  // The sync loop asks `seeking` before it reads the position; the next poll is up to 250 ms away.
  assert.equal(player.seeking, true);
  assert.deepEqual(events.at(-1), ['seek', 12]);
  await advance(600);
  assert.equal(events.length, 2, 'and only once');
  assert.equal(player.seeking, false);
});

test("a seek on YouTube's bar while playing is a seek, not a pause and a play", async () => {
  const { events, yt } = await loaded();
  yt().userPlay();
  await advance(1000);
  yt().userSeek(15);
  await advance(600);
  assert.deepEqual(events.map((e) => e[0]), ['play', 'seek']);
  assert.ok(Math.abs(events[1][1] - 15) < 0.4);
});

test("a drag on YouTube's bar (paused, moved, playing again at once) is one seek", async () => {
  const { player, events, yt } = await loaded();
  yt().userPlay();
  await advance(1000);
  yt().userPause();
  await advance(80);
  yt().position = 14;
  yt().userPlay();
  await advance(600);
  assert.deepEqual(events.map((e) => e[0]), ['play', 'seek']);
  assert.equal(player.paused, false);
});

test('a stall while buffering is not a seek', async () => {
  const { events, yt } = await loaded();
  yt().userPlay();
  await advance(1000);
  yt().freeze();
  yt().fire(STATE.BUFFERING);
  await advance(1500);
  yt().move();
  await advance(1000);
  assert.deepEqual(events.map((e) => e[0]), ['play']);
});

test('a seek from script: time reads as the target at once, reported once, "seeked" when it lands', async () => {
  const { player, events, seeked, yt } = await loaded();
  player.play();
  await advance(200);
  player.seek(7);
  assert.equal(player.time, 7);
  assert.equal(player.seeking, true);
  await advance(600);
  assert.deepEqual(events.map((e) => e[0]), ['play', 'seek']);
  assert.deepEqual(events[1], ['seek', 7]);
  assert.equal(player.seeking, false);
  assert.equal(seeked.length, 1);
  assert.deepEqual(yt().calls.find((c) => c[0] === 'seekTo'), ['seekTo', 7, true]);
});

test('a seek on a cued video (a paused room) keeps it paused although YouTube starts it', async () => {
  const { player, events, seeked, yt } = await loaded();
  player.seek(9);
  await advance(1000);
  assert.equal(player.paused, true);
  assert.equal(yt().state, STATE.PAUSED, 'the adapter paused it again');
  assert.deepEqual(events, [['seek', 9]], 'no play reported');
  assert.equal(seeked.length, 1);
  assert.ok(Math.abs(player.time - 9) < 0.1);
});

test('a refused start shows the join button once and reports no pause; the button resumes', async () => {
  const { player, events, joins, unblocks } = await loaded({ autoplay: false });
  const started = player.play();
  await advance(3000);
  assert.equal(await started, 'blocked');
  assert.equal(player.blocked, true);
  assert.equal(player.paused, true);
  assert.deepEqual(events.map((e) => e[0]), ['play'], 'the start attempt only, as a <video> reports it');
  assert.deepEqual(joins.filter(Boolean), [true]);
  player.unblock();
  assert.equal(player.blocked, false);
  assert.equal(joins.at(-1), false);
  assert.equal(unblocks.length, 1);
});

test('the user starting it in YouTube\'s player after a refusal counts as joining, not as a command', async () => {
  const { player, events, unblocks, yt } = await loaded({ autoplay: false });
  player.play();
  await advance(3000);
  await advance(2000); // long after our own commands
  yt().userPlay();
  assert.equal(player.paused, false);
  assert.equal(unblocks.length, 1);
  assert.deepEqual(events.map((e) => e[0]), ['play']);
});

test('rate: each change goes to YouTube once', async () => {
  const { player, yt } = await loaded();
  player.rate = 1.05;
  player.rate = 1.05;
  player.rate = 1;
  assert.deepEqual(yt().calls.filter((c) => c[0] === 'setPlaybackRate'), [
    ['setPlaybackRate', 1.05],
    ['setPlaybackRate', 1],
  ]);
  assert.equal(player.rate, 1);
});

test('unload stops the video and forgets it; events from before are dropped', async () => {
  const { player, events, yt } = await loaded();
  player.seek(3);
  player.unload();
  await advance(500);
  assert.deepEqual(events, []);
  assert.equal(player.ready, false);
  assert.equal(player.time, 0);
  assert.ok(yt().calls.some((c) => c[0] === 'stopVideo'));
});

test('loadYouTubeApi: one script from YouTube, resolved by its ready callback; a failure can be retried', async () => {
  const scripts = [];
  const win = {
    document: {
      createElement: () => ({ remove() {} }),
      head: { append: (script) => scripts.push(script) },
    },
  };
  const failing = loadYouTubeApi({ win });
  assert.equal(scripts.length, 1);
  assert.equal(scripts[0].src, API_URL);
  scripts[0].onerror();
  await assert.rejects(failing, /cannot be reached/);

  const first = loadYouTubeApi({ win });
  const second = loadYouTubeApi({ win });
  assert.equal(scripts.length, 2, 'asked twice, loaded once');
  win.YT = { Player: class {} };
  win.onYouTubeIframeAPIReady();
  assert.equal(await first, win.YT);
  assert.equal(await second, win.YT);
});
