// The player switch room.js talks to, and the one interface both adapters (VideoJS and YouTube) keep.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MediaPlayer, PLAYER_INTERFACE, adapterFor } from '../../assets/js/players.js';
import { Player } from '../../assets/js/player.js';
import { YouTubePlayer } from '../../assets/js/youtube.js';

/** A stand-in adapter: records calls, fires events on demand. */
function fakeAdapter(name, log) {
  const handlers = new Map();
  return {
    name,
    time: name === 'youtube' ? 42 : 7,
    duration: Infinity,
    paused: true,
    seeking: false,
    ready: true,
    src: name,
    rate: 1,
    blocked: false,
    load: async (url, type) => log.push([name, 'load', url, type]),
    unload: () => log.push([name, 'unload']),
    play: async () => (log.push([name, 'play']), 'playing'),
    pause: () => log.push([name, 'pause']),
    seek: (t) => log.push([name, 'seek', t]),
    dismissJoin: () => log.push([name, 'dismissJoin']),
    on: (type, fn) => handlers.set(type, [...(handlers.get(type) ?? []), fn]),
    one: () => assert.fail('the switch keeps one-shot listeners itself'),
    fire: (type) => (handlers.get(type) ?? []).forEach((fn) => fn()),
  };
}

function setup() {
  const log = [];
  const shown = [];
  const made = {};
  const player = new MediaPlayer({
    make: {
      html5: () => (made.html5 = fakeAdapter('html5', log)),
      youtube: () => (made.youtube = fakeAdapter('youtube', log)),
    },
    show: (name) => shown.push(name),
  });
  return { player, log, shown, made };
}

test('adapterFor: uploads and direct links in VideoJS, YouTube in its own player', () => {
  assert.equal(adapterFor('file'), 'html5');
  assert.equal(adapterFor('url'), 'html5');
  assert.equal(adapterFor('youtube'), 'youtube');
});

test('use(kind) switches adapters, making the YouTube one only when first needed', async () => {
  const { player, log, shown, made } = setup();
  assert.equal(made.youtube, undefined);
  assert.equal(player.use('file'), false);
  assert.equal(player.use('url'), false, 'a link plays in the same player as an upload');
  assert.equal(player.time, 7);

  assert.equal(player.use('youtube'), true);
  assert.ok(made.youtube);
  assert.deepEqual(log, [['html5', 'unload']], 'the other one stops');
  assert.deepEqual(shown, ['youtube']);
  await player.load('https://youtu.be/dQw4w9WgXcQ', '');
  player.seek(3);
  player.pause();
  assert.equal(await player.play(), 'playing');
  player.rate = 1.05;
  assert.equal(made.youtube.rate, 1.05);
  assert.equal(made.html5.rate, 1);
  assert.equal(player.time, 42);
  assert.deepEqual(log.slice(1), [
    ['youtube', 'load', 'https://youtu.be/dQw4w9WgXcQ', ''],
    ['youtube', 'seek', 3],
    ['youtube', 'pause'],
    ['youtube', 'play'],
  ]);

  player.use('file');
  assert.deepEqual(log.at(-1), ['youtube', 'unload']);
  assert.deepEqual(shown, ['youtube', 'html5']);
});

test('events reach listeners from the active adapter only, even one added before it existed', () => {
  const { player, made } = setup();
  const seen = [];
  player.on('seeked', () => seen.push(`on:${player.src}`));
  player.one('seeked', () => seen.push(`one:${player.src}`));
  made.html5.fire('seeked');
  assert.deepEqual(seen, ['on:html5', 'one:html5']);
  made.html5.fire('seeked');
  assert.deepEqual(seen, ['on:html5', 'one:html5', 'on:html5'], 'one() fires once');

  player.use('youtube');
  player.one('seeked', () => seen.push('one:after'));
  made.html5.fire('seeked'); // the inactive one: ignored
  made.youtube.fire('seeked');
  assert.deepEqual(seen.slice(3), ['on:youtube', 'one:after']);
});

test('both adapters have every member of the player interface', () => {
  // Enough of a DOM and of VideoJS to build the VideoJS adapter outside a browser.
  const element = () => ({ hidden: false, addEventListener() {}, appendChild() {} });
  const saved = { window: globalThis.window, document: globalThis.document };
  globalThis.document = { createElement: element, addEventListener() {} };
  globalThis.window = {
    videojs: () => ({ tech: () => ({ el: () => ({}) }), on() {}, one() {}, off() {}, el: element }),
  };
  try {
    const html5 = new Player(element(), { onEvent() {}, onUnblock() {} });
    const youtube = new YouTubePlayer('mount', { onEvent() {}, onUnblock() {} });
    for (const member of PLAYER_INTERFACE) {
      assert.ok(member in html5, `the VideoJS adapter has ${member}`);
      assert.ok(member in youtube, `the YouTube adapter has ${member}`);
      assert.ok(member in MediaPlayer.prototype, `the switch passes ${member} on`);
    }
  } finally {
    globalThis.window = saved.window;
    globalThis.document = saved.document;
  }
});

test('the VideoJS adapter counts a progress-bar click as seeking until it reports it', (t) => {
  // A click on the bar jumps the <video> at once but is reported only after VideoJS's mouseup: the
  // sync loop asks `seeking` first, and must not take the jump for drift and pull the player back.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const listeners = (target) => (type, fn) => (target[type] = fn);
  const bar = {};
  const doc = {};
  const media = { paused: false, currentTime: 3.7, seeking: false };
  const element = () => ({ hidden: false, addEventListener() {}, appendChild() {}, dataset: {} });
  const saved = { window: globalThis.window, document: globalThis.document };
  globalThis.document = { createElement: element, addEventListener: listeners(doc) };
  globalThis.window = {
    videojs: () => ({
      tech: () => ({ el: () => media }),
      controlBar: { progressControl: { el: () => ({ addEventListener: listeners(bar) }) } },
      on() {},
      one() {},
      off() {},
      el: element,
    }),
  };
  try {
    const events = [];
    const player = new Player(element(), { onEvent: (...e) => events.push(e), onUnblock() {} });
    assert.equal(player.seeking, false);
    bar.mousedown();
    // What VideoJS does with the press: pause, jump; the seek itself may finish before the mouseup.
    Object.assign(media, { paused: true, currentTime: 12 });
    assert.equal(player.seeking, true, 'pressed on the bar');
    doc.mouseup();
    media.paused = false; // VideoJS's own mouseup handler resumes playback
    assert.equal(player.seeking, true, 'released, not reported yet');
    assert.deepEqual(events, []);
    t.mock.timers.tick(100);
    assert.deepEqual(events, [['seek', 12]]);
    assert.equal(player.seeking, false, 'reported: the room knows');
  } finally {
    globalThis.window = saved.window;
    globalThis.document = saved.document;
  }
});
