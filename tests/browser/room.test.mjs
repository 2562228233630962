// The browser suite: real headless Chromium pages against a real goblet server, asserting on the real
// player's state. Run with `node --test` in tests/browser (the server binary must be built).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  HOST_CHECK_SECS,
  HOST_GRACE_SECS,
  clickControl,
  showControls,
  createRoom,
  launchBrowser,
  mediaState,
  openViewer,
  positionGap,
  sleep,
  startServer,
  testVideo,
  uploadVideo,
  waitForVideo,
  waitUntil,
} from './harness.mjs';

const artifacts = join(import.meta.dirname, 'artifacts');
let server;
let browser;
const contexts = [];

before(async () => {
  testVideo('webm');
  testVideo('mp4');
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Opens a viewer and remembers its context for cleanup; asserts no script errors at the end. */
async function viewer(code, options) {
  const v = await openViewer(browser, server.base, code, options);
  contexts.push(v.context);
  return v;
}

async function closeAll(...viewers) {
  for (const v of viewers) {
    assert.deepEqual(v.errors, [], 'no script errors on the page');
    await v.context.close().catch(() => {});
  }
}

/** A room with the WebM test video and `n` viewers (the first one opened is the host), all loaded. */
async function party(n, { ext = 'webm' } = {}) {
  const code = await createRoom(server.base);
  await uploadVideo(server.base, code, testVideo(ext));
  const viewers = [];
  for (let i = 0; i < n; i += 1) {
    const v = await viewer(code);
    await waitForVideo(v.page);
    viewers.push(v);
  }
  await viewers[0].page.waitForSelector('body[data-host="me"]');
  return { code, viewers };
}

const toasts = (page) => page.$$eval('.toast', (items) => items.map((t) => t.textContent).join(' | '));
const isPlaying = async (page) => !(await mediaState(page)).paused;
const isPaused = async (page) => (await mediaState(page)).paused;
const text = (page, selector) => page.textContent(selector).then((s) => s.trim());

test('1. an upload through the page reaches every page', { timeout: 60_000 }, async () => {
  const code = await createRoom(server.base);
  const a = await viewer(code);
  const b = await viewer(code);
  assert.ok(await a.page.isVisible('#player-empty'));
  await a.page.setInputFiles('#file-input', testVideo('webm'));
  for (const v of [a, b]) {
    await waitForVideo(v.page);
    await v.page.waitForFunction(() => document.getElementById('video-title').textContent === 'clock-20s.webm');
    const state = await mediaState(v.page);
    assert.match(state.src, /\/media\/\d+\.webm/);
    assert.equal(state.paused, true);
    assert.ok(await v.page.isHidden('#player-empty'));
  }
  await closeAll(a, b);
});

test('2. play on one page plays everywhere, together', { timeout: 60_000 }, async (t) => {
  const { viewers } = await party(2, { ext: 'mp4' });
  const [a, b] = viewers;
  await clickControl(a.page, '.vjs-big-play-button');
  await waitUntil('B to play', () => isPlaying(b.page), { timeout: 2000, interval: 10 });
  // From the moment A's page sent its play (taken from the socket itself) to B playing.
  const reaction = Date.now() - a.sent[0].at;
  assert.ok(reaction <= 500, `B played ${reaction} ms after A sent play`);
  await sleep(1000);
  const { gap } = await positionGap(a.page, b.page);
  t.diagnostic(`B played ${reaction} ms after A sent play; 1 s later ${(gap * 1000).toFixed(0)} ms apart`);
  assert.ok(Math.abs(gap) < 0.3, `positions differ by ${gap.toFixed(3)} s `);
  await closeAll(a, b);
});

test('3. pause and seek from any page reach the others', { timeout: 60_000 }, async () => {
  const { viewers } = await party(2);
  const [a, b] = viewers;
  await clickControl(a.page, '.vjs-big-play-button');
  await waitUntil('B to play', () => isPlaying(b.page), { timeout: 2000 });
  await sleep(1500);

  await clickControl(b.page, '.vjs-play-control');
  await waitUntil('A to pause', () => isPaused(a.page), { timeout: 1000, interval: 20 });
  await sleep(300);
  const paused = await positionGap(a.page, b.page);
  assert.ok(paused.a.paused && paused.b.paused);
  assert.ok(Math.abs(paused.gap) < 0.15, `paused ${paused.gap.toFixed(3)} s apart`);

  // The VideoJS API is what its own seek bar calls.
  await a.page.evaluate(() => window.videojs.getPlayers().video.currentTime(7));
  await waitUntil('B at 7 s', async () => Math.abs((await mediaState(b.page)).t - 7) <= 0.3, { timeout: 1500 });
  await sleep(500);
  const seeked = await mediaState(b.page);
  assert.ok(Math.abs(seeked.t - 7) <= 0.3, `B at ${seeked.t}`);
  assert.equal(seeked.paused, true, 'a seek keeps the room paused');
  await closeAll(a, b);
});

test('4. a late joiner lands where the host is', { timeout: 60_000 }, async (t) => {
  const { code, viewers } = await party(2);
  const [a, b] = viewers;
  await clickControl(a.page, '.vjs-big-play-button');
  await waitUntil('B to play', () => isPlaying(b.page), { timeout: 2000 });
  await sleep(2500);
  const c = await viewer(code);
  await waitUntil('C to play', () => isPlaying(c.page), { timeout: 5000 });
  await sleep(300);
  const { gap } = await positionGap(a.page, c.page);
  t.diagnostic(`late joiner ${(gap * 1000).toFixed(0)} ms from the host, 300 ms after it started`);
  assert.ok(Math.abs(gap) < 0.5, `late joiner ${gap.toFixed(3)} s from the host`);
  assert.equal(await text(c.page, '#viewer-count'), '3');

  mkdirSync(artifacts, { recursive: true });
  await sleep(1000);
  await a.page.screenshot({ path: join(artifacts, 'room.png') });
  const phone = await c.context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(`${server.base}/r/${code}`);
  await waitForVideo(phone);
  await sleep(500);
  await phone.screenshot({ path: join(artifacts, 'room-phone.png'), fullPage: true });
  await closeAll(a, b, c);
});

test('5. when the host leaves another page takes over; "Claim host" moves it back', { timeout: 60_000 }, async () => {
  const { code, viewers } = await party(3);
  const [a, b, c] = viewers;
  await b.page.waitForSelector('body[data-host="other"]');
  const closed = Date.now();
  await a.page.close();
  const limit = (HOST_GRACE_SECS + HOST_CHECK_SECS + 1) * 1000;
  const newHost = await waitUntil(
    'another page to show itself as host',
    async () => {
      for (const v of [b, c]) if ((await v.page.getAttribute('body', 'data-host')) === 'me') return v;
      return null;
    },
    { timeout: limit, interval: 50 },
  );
  assert.ok(Date.now() - closed <= limit);
  assert.equal(await text(newHost.page, '#host-status'), 'You are the host');

  // The old host comes back (same browser, same cookie) and claims the role back.
  a.page = await a.context.newPage();
  await a.page.goto(`${server.base}/r/${code}`);
  await a.page.waitForSelector('#connection[data-state="open"]');
  assert.equal(await a.page.getAttribute('body', 'data-host'), 'other');
  await a.page.click('#claim-host');
  await a.page.waitForSelector('body[data-host="me"]', { timeout: 2000 });
  for (const v of [b, c]) await v.page.waitForSelector('body[data-host="other"]', { timeout: 2000 });
  assert.ok(await a.page.isHidden('#claim-host'));
  await closeAll(a, b, c);
});

test('5b. a host who reloads the page stays host, however the host checks fall', { timeout: 90_000 }, async () => {
  // The default grace (5 s) on its own server: a reload must never hand the role away.
  const own = await startServer({ env: { GOBLET_HOST_GRACE_SECS: '5' } });
  try {
    const code = await createRoom(own.base);
    await uploadVideo(own.base, code, testVideo('webm'));
    const open = async () => {
      const v = await openViewer(browser, own.base, code);
      contexts.push(v.context);
      await waitForVideo(v.page);
      return v;
    };
    const a = await open();
    await a.page.waitForSelector('body[data-host="me"]');
    const b = await open();
    await b.page.waitForSelector('body[data-host="other"]');
    const hostChanges = [];
    await b.page.exposeFunction('noteHostChange', (value) => hostChanges.push(value));
    await b.page.evaluate(() => {
      new MutationObserver(() => window.noteHostChange(document.body.dataset.host)).observe(document.body, {
        attributes: true,
        attributeFilter: ['data-host'],
      });
    });
    const roomUrl = a.page.url();
    for (let reload = 0; reload < 8; reload += 1) {
      // A slow reload: the page is gone for most of a second before the new one connects, so
      // host checks (every HOST_CHECK_SECS) fall inside some of these gaps.
      await a.page.goto('about:blank');
      await sleep(700 + reload * 40);
      await a.page.goto(roomUrl);
      await waitForVideo(a.page);
      await a.page.waitForSelector('body[data-host="me"]', { timeout: 5000 });
    }
    assert.deepEqual(hostChanges.filter((h) => h !== 'other'), [], 'the other page never became or lost sight of the host');
    assert.equal(await b.page.getAttribute('body', 'data-host'), 'other');
    await closeAll(a, b);
  } finally {
    await own.stop();
  }
});

test('6. viewer counts follow joins and leaves on every page', { timeout: 60_000 }, async () => {
  const code = await createRoom(server.base);
  const people = [];
  const counts = () => Promise.all(people.map((v) => text(v.page, '#viewer-count')));
  const expectCounts = (n) =>
    waitUntil(`every page to show ${n} viewers`, async () => (await counts()).every((c) => c === String(n)), {
      timeout: 3000,
    });
  for (let n = 1; n <= 4; n += 1) {
    people.push(await viewer(code));
    await expectCounts(n);
    assert.equal(await people[0].page.locator('#viewers li').count(), n);
  }
  // A second tab of the same person is not a second viewer.
  const extraTab = await people[1].context.newPage();
  await extraTab.goto(`${server.base}/r/${code}`);
  await extraTab.waitForSelector('#connection[data-state="open"]');
  await sleep(300);
  await expectCounts(4);
  await extraTab.close();

  const leaving = people.splice(2, 2);
  for (const v of leaving) await v.context.close();
  await expectCounts(2);
  assert.equal(await people[0].page.locator('#viewers li').count(), 2);
  await closeAll(...people);
});

test('7. save my spot, reload, resume', { timeout: 60_000 }, async () => {
  const { code, viewers } = await party(1);
  const [a] = viewers;
  await a.page.evaluate(() => window.videojs.getPlayers().video.currentTime(9.5));
  await waitUntil('the seek', async () => Math.abs((await mediaState(a.page)).t - 9.5) < 0.05);
  await a.page.click('#save-spot');
  await a.page.waitForSelector('.toast >> text=Spot saved');
  await a.page.evaluate(() => window.videojs.getPlayers().video.currentTime(2));
  await sleep(300);
  await a.page.reload();
  await a.page.waitForSelector('#connection[data-state="open"]');
  await waitForVideo(a.page);
  assert.ok(Math.abs((await mediaState(a.page)).t - 2) < 0.3, 'the reloaded page starts where the room is');
  await a.page.click('#resume-spot');
  await waitUntil('the saved spot', async () => Math.abs((await mediaState(a.page)).t - 9.5) < 0.1, {
    timeout: 2000,
  }).catch(async (error) => {
    throw new Error(`${error.message}; at ${(await mediaState(a.page)).t}; notices: ${await toasts(a.page)}`);
  });
  await sleep(500);
  assert.ok(Math.abs((await mediaState(a.page)).t - 9.5) < 0.1, 'and it stays there');
  assert.equal(code.length > 0, true);
  await closeAll(a);
});

test('8. "Refresh video" reloads the source on every page', { timeout: 60_000 }, async () => {
  const { viewers } = await party(2);
  const [a, b] = viewers;
  await a.page.evaluate(() => window.videojs.getPlayers().video.currentTime(4));
  await waitUntil('B at 4 s', async () => Math.abs((await mediaState(b.page)).t - 4) < 0.2);
  const before = await Promise.all([a, b].map((v) => mediaState(v.page)));
  await a.page.click('#refresh-video');
  for (const [i, v] of [a, b].entries()) {
    await waitUntil('a new source', async () => {
      const s = await mediaState(v.page);
      return s.src !== before[i].src && s.src.includes('?') && s.ready >= 2;
    });
    await waitUntil('the room position after the reload', async () => Math.abs((await mediaState(v.page)).t - 4) < 0.2);
  }
  await closeAll(a, b);
});

test('9. one user action makes each page send at most one command', { timeout: 60_000 }, async () => {
  const { viewers } = await party(3);
  const [a, b, c] = viewers;
  const everyone = [a, b, c];
  async function oneAction(name, act) {
    for (const v of everyone) v.sent.length = 0;
    await act();
    await sleep(3000);
    for (const [i, v] of everyone.entries()) {
      assert.ok(v.sent.length <= 1, `${name}: page ${i} sent ${JSON.stringify(v.sent.map((m) => m.type))}`);
    }
    assert.equal(a.sent.length + b.sent.length + c.sent.length, 1, `${name}: exactly one command in all`);
  }
  await oneAction('play', () => clickControl(b.page, '.vjs-big-play-button'));
  assert.ok(await isPlaying(c.page));
  // A click on the progress bar is pause + seek + play inside VideoJS: it must go out as one seek.
  await oneAction('seek-bar click', async () => {
    await showControls(c.page);
    const bar = await c.page.locator('.vjs-progress-holder').boundingBox();
    await c.page.mouse.click(bar.x + bar.width * 0.6, bar.y + bar.height / 2);
  });
  // The spot clicked is what reaches the room (C's own sync loop once pulled the player back to the
  // room's old position mid-click, and then sent that, or nothing).
  assert.equal(c.sent[0]?.type, 'seek', 'the click goes out from the page it was made on');
  // About 12 s, less the up-to-1-s head start a seek during playback allows for (room.js onLocalEvent).
  const spot = c.sent[0].position;
  assert.ok(spot > 10.9 && spot < 12.1, `C sent a seek to ${spot}, not to about 12 s`);
  const at = (await mediaState(a.page)).t;
  const sentNow = JSON.stringify(everyone.map((v) => v.sent.map((m) => m.type)));
  assert.ok(at > 12 && at < 16.5, `everyone near 60 % of 20 s plus 3 s, A at ${at}; sent ${sentNow}`);
  assert.ok(await isPlaying(a.page));
  await oneAction('pause', () => clickControl(a.page, '.vjs-play-control'));
  for (const v of everyone) assert.ok(await isPaused(v.page));
  await closeAll(a, b, c);
});

test('10. upload progress reaches 100 %; a refused upload shows the server\'s message', { timeout: 60_000 }, async () => {
  const code = await createRoom(server.base);
  const a = await viewer(code);
  await a.page.evaluate(() => {
    window.seenPercents = [];
    new MutationObserver(() => window.seenPercents.push(document.getElementById('upload-percent').textContent)).observe(
      document.getElementById('upload-percent'),
      { childList: true, characterData: true, subtree: true },
    );
  });
  await a.page.setInputFiles('#file-input', testVideo('mp4'));
  await a.page.waitForSelector('#upload-panel[data-state="done"]');
  assert.ok(await a.page.isVisible('#upload-progress'));
  assert.equal(await a.page.getAttribute('#upload-panel', 'data-percent'), '100');
  assert.equal(await a.page.evaluate(() => document.getElementById('upload-progress').value), 100);
  const seen = await a.page.evaluate(() => window.seenPercents);
  assert.equal(seen.at(-1), '100 %');
  await waitForVideo(a.page);

  // The same request the page makes, to learn the server's exact words for a text file.
  const notes = join(server.logFile, '..', 'notes.txt');
  writeFileSync(notes, 'just some text, not a video\n'.repeat(20));
  const direct = await fetch(`${server.base}/api/rooms/${code}/video?name=notes.txt`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream' },
    body: 'just some text, not a video\n'.repeat(20),
  });
  assert.equal(direct.status, 415);
  const { message } = await direct.json();
  assert.ok(message);

  await a.page.setInputFiles('#file-input', notes);
  await a.page.waitForSelector('#upload-panel[data-state="failed"]');
  assert.equal(await text(a.page, '#upload-error'), message);
  assert.equal(await text(a.page, '#video-title'), 'clock-20s.mp4', 'the room keeps its video');
  await closeAll(a);
});

test('11. a browser that refuses autoplay gets one "Click to join playback" button', { timeout: 60_000 }, async () => {
  const { code, viewers } = await party(1);
  const [a] = viewers;
  // Headless Chromium never refuses, so play the part of a strict browser: no play() before a click.
  const strict = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // (navigator.userActivation cannot tell: Playwright's navigation already counts as activation.)
  await strict.addInitScript(() => {
    let clicked = false;
    addEventListener('pointerdown', (e) => (clicked ||= e.isTrusted), true);
    const play = HTMLMediaElement.prototype.play;
    HTMLMediaElement.prototype.play = function () {
      if (!clicked) {
        return Promise.reject(new DOMException('play() needs a user gesture first', 'NotAllowedError'));
      }
      return play.call(this);
    };
  });
  const b = await viewer(code, { context: strict });
  await waitForVideo(b.page);
  await clickControl(a.page, '.vjs-big-play-button');
  await b.page.waitForSelector('.join-overlay', { state: 'visible', timeout: 2000 });
  assert.equal(await b.page.locator('.join-overlay:visible').count(), 1, 'one button, however many tries');
  assert.ok(await isPaused(b.page));
  await sleep(1000);
  assert.equal(await b.page.locator('.join-overlay:visible').count(), 1);

  await b.page.click('.join-overlay');
  await waitUntil('B to play', () => isPlaying(b.page), { timeout: 1000 });
  await sleep(1000);
  const { gap } = await positionGap(a.page, b.page);
  assert.ok(Math.abs(gap) < 0.3, `joined ${gap.toFixed(3)} s from the host`);
  assert.ok(await b.page.isHidden('.join-overlay'));
  assert.deepEqual(b.sent, [], 'joining playback is not a command for the room');
  assert.ok(await isPlaying(a.page));
  await closeAll(a, b);
});

test('12. after a server restart every page reconnects and resyncs', { timeout: 60_000 }, async () => {
  const { code, viewers } = await party(2);
  const [a, b] = viewers;
  await a.page.evaluate(() => window.videojs.getPlayers().video.currentTime(5));
  await waitUntil('B at 5 s', async () => Math.abs((await mediaState(b.page)).t - 5) < 0.2);
  await server.restart();
  for (const v of [a, b]) await v.page.waitForSelector('#connection[data-state="open"]', { timeout: 10_000 });
  // The room as the restarted server knows it is what both pages now show.
  const room = await (await fetch(`${server.base}/api/rooms/${code}`)).json();
  for (const v of [a, b]) {
    await waitUntil('the page to match the server', async () => {
      const s = await mediaState(v.page);
      return s.paused === !room.playback.playing && Math.abs(s.t - room.playback.position) < 0.3;
    });
  }
  // And commands flow again.
  await clickControl(b.page, '.vjs-big-play-button');
  await waitUntil('A to play', () => isPlaying(a.page), { timeout: 1000 });
  await sleep(1000);
  const { gap } = await positionGap(a.page, b.page);
  assert.ok(Math.abs(gap) < 0.3, `${gap.toFixed(3)} s apart after the restart`);
  await closeAll(a, b);
});

test('13. the owner locks playback to the host and removes a guest, who stays out', { timeout: 90_000 }, async () => {
  // Made from the owner's page, so that its cookie owns the room.
  const { code, ownerContext } = await ownedRoom();
  await uploadVideo(server.base, code, testVideo('webm'));
  const owner = await viewer(code, { context: ownerContext });
  await waitForVideo(owner.page);
  await owner.page.waitForSelector('body[data-host="me"]');
  const guest = await viewer(code);
  await waitForVideo(guest.page);

  // Who is who, on both pages; the actions only where they belong.
  await owner.page.waitForSelector('#viewers li:not(.is-me)');
  assert.ok(await owner.page.isVisible('#settings-card'), 'the owner has the settings');
  assert.ok(await guest.page.isHidden('#settings-card'));
  assert.equal(await text(owner.page, '#viewers li.is-me.is-owner.is-host .badge-owner'), 'owner');
  assert.equal(await guest.page.locator('#viewers li.is-owner:not(.is-me) .badge-host').count(), 1);
  assert.deepEqual(await owner.page.$$eval('#viewers li:not(.is-me) .viewer-action', (b) => b.map((x) => x.textContent)), [
    'Make owner',
    'Remove',
  ]);
  assert.equal(await owner.page.locator('#viewers li.is-me .viewer-action').count(), 0);
  assert.equal(await guest.page.locator('.viewer-action').count(), 0, 'a guest removes nobody');

  // Host only: the guest reads it, the owner's chat notes it.
  await owner.page.check('input[name="controls"][value="host"]');
  await owner.page.click('#settings-save');
  await guest.page.waitForSelector('#control-line:has-text("Only the host controls playback")');
  await owner.page.waitForSelector('.chat-notice-text:has-text("Only the host controls playback now")');
  assert.ok(await guest.page.isHidden('#claim-host'), 'claiming the host role would only be refused');

  mkdirSync(artifacts, { recursive: true });
  await owner.page.screenshot({ path: join(artifacts, 'room-control-owner.png'), fullPage: true });
  await guest.page.screenshot({ path: join(artifacts, 'room-control-guest.png'), fullPage: true });

  // The guest presses play: it goes out, is refused, and nobody moves.
  const before = await mediaState(owner.page);
  await clickControl(guest.page, '.vjs-big-play-button');
  await guest.page.waitForSelector('.toast:has-text("Only the host controls playback here")', { timeout: 3000 });
  assert.equal(guest.sent[0]?.type, 'play', 'the click did go out');
  await waitUntil('the guest to be paused again', () => isPaused(guest.page), { timeout: 2000 });
  await sleep(1500);
  const [o, g] = await Promise.all([mediaState(owner.page), mediaState(guest.page)]);
  assert.equal(o.paused, true, 'the owner never played');
  assert.ok(Math.abs(o.t - before.t) < 0.05, `the owner stayed at ${before.t}, is at ${o.t}`);
  assert.equal(g.paused, true, 'the guest stays paused');
  assert.ok(Math.abs(g.t - before.t) < 0.3, `the guest is back at the room's ${before.t}, at ${g.t}`);

  // The owner removes the guest (after a confirm).
  const sockets = [];
  guest.page.on('websocket', () => sockets.push(Date.now()));
  owner.page.once('dialog', (dialog) => dialog.accept());
  await owner.page.click('#viewers li:not(.is-me) .action-kick');
  await guest.page.waitForSelector('#removed', { state: 'visible', timeout: 3000 });
  assert.match(await text(guest.page, '#removed'), /You were removed from this room/);
  assert.match(await text(guest.page, '#removed-text'), /come back in 10 min/);
  assert.ok(await guest.page.isHidden('#room'));
  assert.ok(await isPaused(guest.page));
  await guest.page.screenshot({ path: join(artifacts, 'room-removed.png') });
  await owner.page.waitForSelector('.chat-notice-text:has-text("was removed from the room")');
  await waitUntil('the owner alone', async () => (await text(owner.page, '#viewer-count')) === '1');
  // It stays removed: no reconnects (the socket's first retry would come within half a second).
  await sleep(3000);
  assert.deepEqual(sockets, [], 'the removed page opened no new socket');
  assert.equal(await guest.page.getAttribute('#connection', 'data-state'), 'closed');

  // Coming back within the ten minutes: the same page, and one socket only.
  await guest.page.reload();
  await guest.page.waitForSelector('#removed', { state: 'visible', timeout: 3000 });
  await sleep(2000);
  assert.equal(sockets.length, 1, `one socket after the reload, not ${sockets.length}`);
  assert.equal(await text(owner.page, '#viewer-count'), '1');
  await closeAll(owner, guest);
});

test('13b. a full room says so, keeps trying, and lets the newcomer in once there is room', { timeout: 60_000 }, async () => {
  const { code, ownerContext } = await ownedRoom();
  const owner = await viewer(code, { context: ownerContext });
  const cap = (max) => putSettings(owner.page, { controls: 'everyone', max_viewers: max });
  assert.equal(await cap(1), 200);
  // The owner's form follows the settings it did not make itself (another tab, say).
  await owner.page.waitForFunction(() => document.getElementById('max-viewers').value === '1');

  // Opened by hand: its socket is open only for a moment before it hears room_full and closes.
  const guestContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(guestContext);
  const guest = { context: guestContext, page: await guestContext.newPage(), errors: [] };
  guest.page.on('pageerror', (error) => guest.errors.push(error.message));
  await guest.page.goto(`${server.base}/r/${code}`);
  await guest.page.waitForSelector('#room-banner', { state: 'visible', timeout: 3000 });
  assert.match(await text(guest.page, '#room-banner'), /The room is full \(1 people\)\. Goblet keeps trying/);
  await guest.page.waitForSelector('#connection[data-state="closed"]');
  assert.ok(await guest.page.isVisible('#room'), 'the room stays, waiting');
  assert.equal(await text(owner.page, '#viewer-count'), '1');

  await sleep(1500);
  assert.equal(await cap(2), 200);
  await guest.page.waitForSelector('#room-banner', { state: 'hidden', timeout: 10_000 });
  await guest.page.waitForSelector('#connection[data-state="open"]');
  await waitUntil('both counted', async () => (await text(owner.page, '#viewer-count')) === '2');
  await owner.page.waitForSelector('.chat-notice-text:has-text("At most 2 people may watch now")');
  assert.match(await text(guest.page, '#control-line'), /At most 2 people may watch/);
  await closeAll(owner, guest);
});

/** The owner's page changes its room's settings; resolves to the answer's status. */
function putSettings(page, body) {
  return page.evaluate(
    (body) =>
      fetch(location.pathname.replace('/r/', '/api/rooms/') + '/settings', {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.status),
    body,
  );
}

/** A room made from a fresh context's page, so that its cookie owns it (createRoom has no cookie). */
async function ownedRoom(base = server.base) {
  const ownerContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(ownerContext);
  const start = await ownerContext.newPage();
  await start.goto(`${base}/`);
  const { code } = await start.evaluate(() => fetch('/api/rooms', { method: 'POST' }).then((r) => r.json()));
  await start.close();
  return { code, ownerContext };
}

/** Opens the room by hand (openViewer waits for a socket, which a locked page must not open). */
async function newcomer(code, base = server.base) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(context);
  const page = await context.newPage();
  const guest = { context, page, errors: [], sockets: [] };
  page.on('pageerror', (error) => guest.errors.push(error.message));
  page.on('websocket', () => guest.sockets.push(Date.now()));
  await page.goto(`${base}/r/${code}`);
  return guest;
}

test('14. a password room asks newcomers for the password once', { timeout: 90_000 }, async () => {
  const { code, ownerContext } = await ownedRoom();
  await uploadVideo(server.base, code, testVideo('webm'));
  const owner = await viewer(code, { context: ownerContext });
  await waitForVideo(owner.page);

  // The owner's panel: no password yet, then one.
  assert.match(await text(owner.page, '#password-status'), /No password/);
  assert.ok(await owner.page.isHidden('#remove-password'));
  await owner.page.fill('#room-password', 'popcorn night');
  await owner.page.click('#settings-save');
  await owner.page.waitForSelector('#remove-password', { state: 'visible', timeout: 5000 });
  assert.match(await text(owner.page, '#password-status'), /This room asks for a password/);
  assert.equal(await owner.page.inputValue('#room-password'), '', 'the typed password is not left in the field');
  await owner.page.waitForSelector('.chat-notice-text:has-text("The room now asks for a password")');
  // Saving with the field empty keeps the password.
  await owner.page.fill('#max-viewers', '5');
  await owner.page.click('#settings-save');
  const settings = () => owner.page.evaluate(() => fetch(location.pathname.replace('/r/', '/api/rooms/') + '/settings').then((r) => r.json()));
  await waitUntil('the cap saved', async () => (await settings()).max_viewers === 5);
  assert.equal((await settings()).has_password, true, 'an empty password field keeps the password');

  // A newcomer gets the form, not the room, and no socket.
  const guest = await newcomer(code);
  await guest.page.waitForSelector('#locked', { state: 'visible', timeout: 5000 });
  assert.equal(await text(guest.page, '#locked h1'), 'This room asks for a password');
  assert.ok(await guest.page.isHidden('#room'));
  await guest.page.fill('#password-input', 'popcorn');
  await guest.page.click('#password-submit');
  await guest.page.waitForSelector('#password-error:has-text("That is not the password")', { timeout: 5000 });
  assert.ok(await guest.page.isVisible('#locked'), 'a wrong password keeps the form');
  assert.ok(await guest.page.isHidden('#room'));
  await sleep(1500); // a socket retry loop would have tried by now
  assert.deepEqual(guest.sockets, [], 'no socket before the password is given');
  assert.equal(await text(owner.page, '#viewer-count'), '1');
  mkdirSync(artifacts, { recursive: true });
  await guest.page.screenshot({ path: join(artifacts, 'room-password-form.png') });

  await guest.page.fill('#password-input', 'popcorn night');
  await guest.page.click('#password-submit');
  await guest.page.waitForSelector('#connection[data-state="open"]', { timeout: 5000 });
  await waitForVideo(guest.page);
  assert.ok(await guest.page.isHidden('#locked'));
  assert.ok(await guest.page.isVisible('#room'));
  assert.equal(guest.sockets.length, 1);
  await waitUntil('both counted', async () => (await text(owner.page, '#viewer-count')) === '2');
  assert.match(await text(guest.page, '#control-line'), /This room asks for a password/);
  await owner.page.screenshot({ path: join(artifacts, 'room-password-owner.png'), fullPage: true });

  // Given once: a reload goes straight in.
  await guest.page.reload();
  await guest.page.waitForSelector('#connection[data-state="open"]', { timeout: 5000 });
  await waitForVideo(guest.page);
  assert.ok(await guest.page.isHidden('#locked'), 'no form after a reload');
  assert.equal(guest.sockets.length, 2, 'one socket for the reload');

  // The owner removes it (after a confirm): everyone reads it, and a third person walks in.
  owner.page.once('dialog', (dialog) => dialog.accept());
  await owner.page.click('#remove-password');
  await owner.page.waitForSelector('#remove-password', { state: 'hidden', timeout: 5000 });
  assert.match(await text(owner.page, '#password-status'), /No password/);
  await guest.page.waitForSelector('.chat-notice-text:has-text("The room no longer asks for a password")');
  assert.doesNotMatch(await text(guest.page, '#control-line'), /password/);
  assert.equal((await settings()).max_viewers, 5, 'removing the password keeps the other settings');
  const third = await viewer(code);
  await waitForVideo(third.page);
  assert.ok(await third.page.isHidden('#locked'));
  await closeAll(owner, guest, third);
});

test('14b. a page kept out of a full room when a password is set ends up at the form, and stops retrying', { timeout: 60_000 }, async () => {
  const { code, ownerContext } = await ownedRoom();
  const owner = await viewer(code, { context: ownerContext });
  const put = (body) => putSettings(owner.page, body);
  assert.equal(await put({ controls: 'everyone', max_viewers: 1 }), 200);

  // Waiting at the full room: in no room, so not let in by the password that comes next.
  const guest = await newcomer(code);
  await guest.page.waitForSelector('#room-banner', { state: 'visible', timeout: 5000 });
  assert.ok(guest.sockets.length >= 1);
  assert.equal(await put({ controls: 'everyone', max_viewers: 1, password: 'sesame' }), 200);
  // Its next try is refused at the upgrade, which the page only sees as a failed socket: it asks why.
  await guest.page.waitForSelector('#locked', { state: 'visible', timeout: 15_000 });
  assert.ok(await guest.page.isHidden('#room'));
  assert.ok(await guest.page.isHidden('#room-banner'));
  const tries = guest.sockets.length;
  await sleep(3000);
  assert.equal(guest.sockets.length, tries, 'no more sockets while the form is up');

  // Room made, password given: in.
  assert.equal(await put({ controls: 'everyone', max_viewers: 2 }), 200);
  await guest.page.fill('#password-input', 'sesame');
  await guest.page.click('#password-submit');
  await guest.page.waitForSelector('#connection[data-state="open"]', { timeout: 5000 });
  assert.ok(await guest.page.isVisible('#room'));
  assert.ok(await guest.page.isHidden('#locked'));
  await waitUntil('both counted', async () => (await text(owner.page, '#viewer-count')) === '2');
  await closeAll(owner, guest);
});

test('14c. removed from a password room: a new cookie from the same address gives the password and is still out', { timeout: 60_000 }, async () => {
  const { code, ownerContext } = await ownedRoom();
  const owner = await viewer(code, { context: ownerContext });
  await owner.page.fill('#room-password', 'sesame');
  await owner.page.click('#settings-save');
  await owner.page.waitForSelector('#remove-password', { state: 'visible', timeout: 5000 });

  const guest = await newcomer(code);
  await guest.page.waitForSelector('#locked', { state: 'visible', timeout: 5000 });
  await guest.page.fill('#password-input', 'sesame');
  await guest.page.click('#password-submit');
  await guest.page.waitForSelector('#connection[data-state="open"]', { timeout: 5000 });
  await owner.page.waitForSelector('#viewers li:not(.is-me) .action-kick');
  owner.page.once('dialog', (dialog) => dialog.accept());
  await owner.page.click('#viewers li:not(.is-me) .action-kick');
  await guest.page.waitForSelector('#removed', { state: 'visible', timeout: 3000 });

  // Another browser on the same machine: asked for the password, like anyone, then told it is out.
  const again = await newcomer(code);
  await again.page.waitForSelector('#locked', { state: 'visible', timeout: 5000 });
  await again.page.fill('#password-input', 'sesame');
  await again.page.click('#password-submit');
  await again.page.waitForSelector('#removed', { state: 'visible', timeout: 5000 });
  assert.match(await text(again.page, '#removed'), /You were removed from this room/);
  assert.match(await text(again.page, '#removed-text'), /try again later/);
  assert.ok(await again.page.isHidden('#locked'));
  assert.ok(await again.page.isHidden('#room'));
  assert.deepEqual(again.sockets, [], 'never a socket');
  await closeAll(owner, guest, again);
});

test('14d. too many wrong passwords: the form says how long to wait', { timeout: 60_000 }, async () => {
  // Its own server, with a limit of two tries a minute (the suite's server has it raised).
  const strict = await startServer({ env: { GOBLET_PASSWORD_RATE_COUNT: '2' } });
  try {
    const { code, ownerContext } = await ownedRoom(strict.base);
    const start = await ownerContext.newPage();
    await start.goto(`${strict.base}/r/${code}`);
    const status = await start.evaluate(
      (code) =>
        fetch(`/api/rooms/${code}/settings`, {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ controls: 'everyone', max_viewers: null, password: 'sesame' }),
        }).then((r) => r.status),
      code,
    );
    assert.equal(status, 200);

    const guest = await newcomer(code, strict.base);
    await guest.page.waitForSelector('#locked', { state: 'visible', timeout: 5000 });
    for (let i = 0; i < 2; i += 1) {
      await guest.page.fill('#password-input', `guess ${i}`);
      await guest.page.click('#password-submit');
      await guest.page.waitForSelector('#password-error:has-text("That is not the password")', { timeout: 5000 });
      await guest.page.evaluate(() => {
        document.getElementById('password-error').textContent = '';
      });
    }
    await guest.page.fill('#password-input', 'sesame');
    await guest.page.click('#password-submit');
    await guest.page.waitForSelector('#password-error:has-text("Too many tries")', { timeout: 5000 });
    const said = await text(guest.page, '#password-error');
    const seconds = Number(/Wait (\d+) s, then try again/.exec(said)?.[1]);
    assert.ok(seconds >= 1 && seconds <= 60, `a wait from Retry-After: ${said}`);
    assert.ok(await guest.page.isDisabled('#password-submit'), 'no tries while waiting');
    assert.ok(await guest.page.isVisible('#locked'));
    assert.ok(await guest.page.isHidden('#room'));
    assert.deepEqual(guest.sockets, []);
    await closeAll(guest);
    await ownerContext.close(); // before its server goes: no page left retrying a socket
  } finally {
    await strict.stop();
  }
});

/** The queue's rows on a page: name and the line under it. */
const queueRows = (page) =>
  page.$$eval('#queue-list .queue-item', (rows) =>
    rows.map((r) => ({ name: r.querySelector('.queue-name').textContent, meta: r.querySelector('.queue-meta').textContent })),
  );
const queueNames = async (page) => (await queueRows(page)).map((r) => r.name);
const waitForQueue = (page, names, timeout = 3000) =>
  waitUntil(`the queue to read ${JSON.stringify(names)}`, async () => JSON.stringify(await queueNames(page)) === JSON.stringify(names), {
    timeout,
  }).catch(async (error) => {
    throw new Error(`${error.message}; it reads ${JSON.stringify(await queueNames(page))}`);
  });

test('15. the queue plays the next video when the current one ends, on every page', { timeout: 90_000 }, async (t) => {
  const code = await createRoom(server.base);
  await uploadVideo(server.base, code, testVideo('webm', 3));
  const a = await viewer(code);
  await waitForVideo(a.page);
  await a.page.waitForSelector('body[data-host="me"]');
  const b = await viewer(code);
  await waitForVideo(b.page);
  assert.ok(await b.page.isVisible('#queue-empty'));
  const first = await mediaState(b.page);

  // B preloads the start of the queued upload: a ranged request for its file.
  const ranged = [];
  b.page.on('request', (request) => {
    if (request.url().includes('/media/') && request.headers().range) ranged.push({ url: request.url(), range: request.headers().range });
  });

  // A queues the 20 s MP4 with "Upload to queue".
  const [chooser] = await Promise.all([a.page.waitForEvent('filechooser'), a.page.click('#queue-upload')]);
  await chooser.setFiles(testVideo('mp4'));
  for (const v of [a, b]) await waitForQueue(v.page, ['clock-20s.mp4']);
  assert.match((await queueRows(a.page))[0].meta, /^Upload · .+ · added by you$/);
  assert.match((await queueRows(b.page))[0].meta, /added by Guest /);
  await b.page.waitForSelector('.chat-notice-text:has-text("queued clock-20s.mp4")');
  await a.page.waitForSelector('.chat-notice-text:has-text("You queued clock-20s.mp4")');
  assert.equal(await text(a.page, '#video-title'), 'clock-3s.webm', 'queued, not played');
  const queuedUrl = (await (await fetch(`${server.base}/api/rooms/${code}/queue`)).json()).items[0].video.url;
  await waitUntil('B to preload the queued upload', () => ranged.some((r) => r.url.endsWith(queuedUrl)));
  assert.equal(ranged.find((r) => r.url.endsWith(queuedUrl)).range, 'bytes=0-1048575');

  // Play the 3 s video: when it ends, the queued one plays on both pages from its start.
  await clickControl(a.page, '.vjs-big-play-button');
  await waitUntil('B to play', () => isPlaying(b.page), { timeout: 2000 });
  for (const v of [a, b]) {
    await waitUntil(
      'the queued video to play',
      async () => {
        const s = await mediaState(v.page);
        return s.src.endsWith(queuedUrl) && !s.paused && s.ready >= 2;
      },
      { timeout: 8000 },
    );
  }
  await sleep(1000);
  const { gap, a: sa, b: sb } = await positionGap(a.page, b.page);
  t.diagnostic(`after the switch: A at ${sa.t.toFixed(2)} s, B ${(gap * 1000).toFixed(0)} ms from A`);
  assert.notEqual(sb.src, first.src);
  assert.ok(sa.t > 0.5 && sa.t < 3, `A near the start of the next video, at ${sa.t}`);
  assert.ok(!sa.paused && !sb.paused, 'both play');
  assert.ok(Math.abs(gap) < 0.3, `the pages ${gap.toFixed(3)} s apart`);
  for (const v of [a, b]) {
    assert.equal(await text(v.page, '#video-title'), 'clock-20s.mp4');
    await waitForQueue(v.page, []);
    assert.ok(await v.page.isVisible('#queue-empty'));
    await v.page.waitForSelector('.chat-notice-text:has-text("Up next: clock-20s.mp4")');
  }
  assert.equal(a.ended.length, 1, `the host reported the end once: ${JSON.stringify(a.ended)}`);
  assert.ok(Math.abs(a.ended[0].duration - 3) < 0.1, `with the video's duration, ${a.ended[0].duration}`);
  assert.deepEqual(b.ended, [], 'only the host reports the end');
  assert.ok(!b.sent.some((m) => m.type === 'pause'), `B sent no pause at its end: ${JSON.stringify(b.sent)}`);
  // Still playing a moment later: no late pause from the old video's end caught the new one.
  await sleep(1500);
  for (const v of [a, b]) assert.ok(await isPlaying(v.page));
  await closeAll(a, b);
});

test('16. the queue panel: reorder, remove and skip on one page, the other follows; host-only locks the guest out', { timeout: 90_000 }, async () => {
  // Made from the owner's page, so that its cookie owns the room.
  const { code, ownerContext } = await ownedRoom();
  await uploadVideo(server.base, code, testVideo('webm'));
  const a = await viewer(code, { context: ownerContext });
  await waitForVideo(a.page);
  const b = await viewer(code);
  await waitForVideo(b.page);

  // Two links through the link form's "Add to queue", and an upload over the API.
  for (const url of ['https://example.com/one.mp4', 'https://example.com/two.webm']) {
    await a.page.fill('#link-url', url);
    await a.page.click('#link-queue');
    await a.page.waitForFunction(() => document.getElementById('link-url').value === '');
  }
  const upload = await fetch(`${server.base}/api/rooms/${code}/video?name=clip.webm&queue=true`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream' },
    body: readFileSync(testVideo('webm', 3)),
  });
  assert.equal(upload.status, 201);
  for (const v of [a, b]) await waitForQueue(v.page, ['one.mp4', 'two.webm', 'clip.webm']);
  assert.match((await queueRows(b.page))[0].meta, /^Link · added by Guest /);
  assert.equal(await text(a.page, '#queue-count'), '3');
  // The first row cannot go up, the last cannot go down.
  const actions = (page) =>
    page.$$eval('#queue-list .queue-item', (rows) => rows.map((r) => [...r.querySelectorAll('.queue-action')].map((x) => x.title)));
  assert.deepEqual(await actions(b.page), [
    ['Move down', 'Remove'],
    ['Move up', 'Move down', 'Remove'],
    ['Move up', 'Remove'],
  ]);
  assert.ok(await a.page.isVisible('#queue-skip'));
  mkdirSync(artifacts, { recursive: true });
  await a.page.screenshot({ path: join(artifacts, 'queue.png') });
  await a.page.setViewportSize({ width: 390, height: 844 });
  await a.page.locator('#queue-card').screenshot({ path: join(artifacts, 'queue-phone.png') });
  await a.page.setViewportSize({ width: 1280, height: 800 });

  // Each page waits to show the new order before it is clicked again: a row is picked by its place.
  await a.page.click('#queue-list .queue-item:nth-child(1) .action-down');
  for (const v of [b, a]) await waitForQueue(v.page, ['two.webm', 'one.mp4', 'clip.webm']);
  await a.page.click('#queue-list .queue-item:nth-child(1) .action-remove');
  for (const v of [b, a]) await waitForQueue(v.page, ['one.mp4', 'clip.webm']);
  await b.page.click('#queue-list .queue-item:nth-child(2) .action-up');
  for (const v of [a, b]) await waitForQueue(v.page, ['clip.webm', 'one.mp4']);
  assert.equal(await text(b.page, '#queue-count'), '2');

  // "Skip to next": the upload plays now on both pages (paused, as the room was).
  await b.page.click('#queue-skip');
  for (const v of [a, b]) {
    await v.page.waitForFunction(() => document.getElementById('video-title').textContent === 'clip.webm');
    await waitForQueue(v.page, ['one.mp4']);
    await waitUntil('the skipped-to upload', async () => (await mediaState(v.page)).src.includes('/media/') && (await mediaState(v.page)).ready >= 1);
  }

  // Host only: the guest keeps the list but loses its buttons; the owner keeps them.
  assert.equal(await putSettings(a.page, { controls: 'host', max_viewers: null }), 200);
  await b.page.waitForSelector('#control-line:has-text("Only the host controls playback")');
  assert.equal(await b.page.locator('#queue-list .queue-action').count(), 0, 'no buttons for the guest');
  assert.ok(await b.page.isHidden('#queue-skip'));
  assert.deepEqual(await queueNames(b.page), ['one.mp4']);
  assert.equal(await a.page.locator('#queue-list .queue-action').count(), 1, 'the owner may still remove');
  // A refused change says so: the guest adds a link anyway.
  await b.page.fill('#link-url', 'https://example.com/three.mp4');
  await b.page.click('#link-queue');
  await b.page.waitForSelector('#link-error:not(:empty)');
  assert.deepEqual(await queueNames(a.page), ['one.mp4']);
  await closeAll(a, b);
});
