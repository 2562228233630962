// Sync in the wild, in real Chromium: starts scheduled by the server's `at`, and the room waiting for a
// viewer who runs out of data (that viewer's page reaches the server through a relay that can stall
// its media, tests/browser/relay.mjs). Conditions are waited for; nothing here asserts a duration.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import {
  createRoom,
  launchBrowser,
  mediaState,
  openViewer,
  positionGap,
  startServer,
  testVideo,
  uploadVideo,
  waitForVideo,
  waitUntil,
} from './harness.mjs';
import { Relay } from './relay.mjs';

/** The room waits this long for a buffering viewer (the default, 8 s, would only make the suite slower). */
const BUFFER_WAIT_SECS = 3;
const CLIP_SECONDS = 60;

let server;
let browser;
const contexts = [];
const relays = [];

before(async () => {
  testVideo('mp4', CLIP_SECONDS);
  // B's slow link may make the room wait while it starts, before the stall the wait test is about:
  // those must not use up its allowance (buffer_wait_max, 2 by default), or the stall gets catch_up.
  server = await startServer({
    env: { GOBLET_BUFFER_WAIT_SECS: String(BUFFER_WAIT_SECS), GOBLET_BUFFER_WAIT_MAX: '100' },
  });
  browser = await launchBrowser();
});

after(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  for (const relay of relays) await relay.close();
  await browser?.close();
  await server?.stop();
});

async function viewer(code, base = server.base) {
  const v = await openViewer(browser, base, code);
  contexts.push(v.context);
  return v;
}

/**
 * Arms the page to note the moment its video starts moving from where it stands (its clock: on one
 * machine the pages' clocks and the server's agree), extrapolated back from the first reading past it.
 */
function armStart(page) {
  return page.evaluate(() => {
    const v = document.querySelector('video');
    const from = v.currentTime;
    window.started = null;
    const timer = setInterval(() => {
      if (v.paused || v.seeking || v.currentTime < from + 0.002) return;
      window.started = performance.timeOrigin + performance.now() - ((v.currentTime - from) / v.playbackRate) * 1000;
      clearInterval(timer);
    }, 2);
  });
}

const playing = async (page) => {
  const state = await mediaState(page);
  return !state.paused && !state.seeking;
};

test('a play is scheduled: no page starts before `at`, all play after it, together', { timeout: 90_000 }, async () => {
  const code = await createRoom(server.base);
  await uploadVideo(server.base, code, testVideo('mp4', CLIP_SECONDS));
  const pages = [];
  for (let i = 0; i < 3; i += 1) {
    const v = await viewer(code);
    await waitForVideo(v.page);
    pages.push(v);
  }
  await pages[0].page.waitForSelector('body[data-host="me"]');
  for (const v of pages) await armStart(v.page);

  await pages[1].page.evaluate(() => document.querySelector('video').play());
  const play = await waitUntil('the play to come back with its `at`', () =>
    pages[0].received.find((m) => m.type === 'play' && m.at),
  );
  assert.ok(play.at > play.server_time, 'the start is scheduled ahead');
  for (const v of pages) await waitUntil('every page to play', () => v.page.evaluate(() => window.started));
  for (const v of pages) {
    const started = await v.page.evaluate(() => window.started);
    // A page calls play() its measured start-up time (80 ms at first) before `at`, so that its
    // video moves at `at`: it must not have started on hearing the message, 250 ms or more before.
    assert.ok(started >= play.at - 150, `started ${Math.round(play.at - started)} ms before at`);
  }
  await waitUntil('the pages to agree within 100 ms', async () => {
    const gaps = await Promise.all(pages.slice(1).map((v) => positionGap(pages[0].page, v.page)));
    return gaps.every(({ gap, a, b }) => !a.paused && !b.paused && Math.abs(gap) < 0.1);
  });
  for (const v of pages) assert.deepEqual(v.errors, []);
  for (const v of pages) await v.context.close();
});

test('the room waits for a viewer who runs out of data until its deadline, then shows them ready again once they are', { timeout: 120_000 }, async () => {
  const video = testVideo('mp4', CLIP_SECONDS);
  const bitrateKbps = (statSync(video).size * 8) / CLIP_SECONDS / 1000;
  const code = await createRoom(server.base);
  await uploadVideo(server.base, code, video);
  const a = await viewer(code);
  await waitForVideo(a.page);
  await a.page.waitForSelector('body[data-host="me"]');
  // B's downlink carries twice the clip's bitrate: it never has much of the clip ahead of where it plays.
  const url = new URL(server.base);
  const relay = await new Relay({
    listenHost: '127.0.0.2',
    target: { host: url.hostname, port: Number(url.port) },
    downKbps: Math.max(64, 2 * bitrateKbps),
  }).listen();
  relays.push(relay);
  const b = await viewer(code, relay.origin);
  await waitForVideo(b.page, 30_000);
  const bId = await b.page.evaluate(() => fetch('/api/me').then((r) => r.json()).then((me) => me.client_id));

  await a.page.evaluate(() => document.querySelector('video').play());
  // In step after a few seconds of play: B must have played in step (right after the play, both
  // pages can read as playing together before B has data; a stall then is no stall of B's).
  await waitUntil('both to play in step', async () => {
    const { gap, a: sa, b: sb } = await positionGap(a.page, b.page);
    return !sa.paused && !sb.paused && sa.t > 3 && sb.t > 3 && Math.abs(gap) < 0.1;
  }, { timeout: 20_000 });
  // B reports `playing` once it has played in step.
  await waitUntil('B to show as playing in A\'s list', () =>
    a.page.$eval(`#viewers li[data-client-id="${bId}"] .viewer-status`, (s) => s.dataset.state).catch(() => null).then((s) => s === 'playing'),
  { timeout: 10_000 });

  // B's media stops arriving, and the room moves to a part of the clip B has not loaded.
  relay.stall(Infinity);
  const target = CLIP_SECONDS - 15;
  const seekReached = () => a.received.some((m) => m.type === 'seek' && Math.abs(m.position - target) < 1);
  // A seek that lands inside the echo window of an earlier command is taken for its echo: seek again.
  for (let tries = 0; tries < 3 && !seekReached(); tries += 1) {
    await a.page.evaluate((to) => (document.querySelector('video').currentTime = to), target);
    await waitUntil('the seek to reach the room', seekReached, { timeout: 2_000 }).catch(() => {});
  }
  assert.ok(seekReached(), 'the seek reached the room');

  const wait = await waitUntil('the room to wait for B', () => a.received.find((m) => m.type === 'wait'), { timeout: 15_000 });
  assert.deepEqual(wait.waiting_for.map((v) => v.client_id), [bId]);
  await waitUntil('A to say whom the room waits for', () => a.page.isVisible('#wait-notice'));
  assert.match(await a.page.textContent('#wait-notice'), /^Waiting for .+ resuming in \d+ s$/);
  await waitUntil('A to pause for the wait', async () => (await mediaState(a.page)).paused);
  assert.match(await a.page.$eval(`#viewers li[data-client-id="${bId}"] .viewer-status`, (s) => s.dataset.state), /buffering/);

  const over = await waitUntil('the wait to end', () => a.received.find((m) => m.type === 'wait_over'), {
    timeout: (BUFFER_WAIT_SECS + 10) * 1000,
  });
  assert.equal(over.reason, 'deadline', 'B is still stalled: the deadline ends it');
  await waitUntil('A to play on without B', () => playing(a.page), { timeout: 10_000 });
  await waitUntil('the notice to go', () => a.page.isHidden('#wait-notice'));
  assert.equal(await playing(b.page), false, 'B is still without data');

  // B's data comes back: it catches up on its own and is shown as in the room again.
  relay.release();
  await waitUntil('B to be shown ready or playing again', async () => {
    const state = await a.page.$eval(`#viewers li[data-client-id="${bId}"] .viewer-status`, (s) => s.dataset.state);
    return state === 'playing' || state === 'ready';
  }, { timeout: 30_000 });
  // Back with the room, give or take the drift loop's last nudges (its slow link keeps it busy).
  await waitUntil('B playing with A again', async () => {
    const { gap, a: sa, b: sb } = await positionGap(a.page, b.page);
    return !sa.paused && !sb.paused && !sb.seeking && Math.abs(gap) < 0.5;
  }, { timeout: 30_000 });
  assert.deepEqual(a.errors, []);
  assert.deepEqual(b.errors, []);
});
