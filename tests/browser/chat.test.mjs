// The browser suite's chat half: chat, history, names, room names, links and the landing page, in real
// headless Chromium pages against a real goblet server. Run with `node --test` in tests/browser (the
// server binary must be built).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createReadStream, mkdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import {
  clickControl,
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
let server; // default settings: 5 chat messages per 5 s
let browser;
let media; // a stand-in for "some other web server" hosting a video file

before(async () => {
  testVideo('mp4');
  server = await startServer();
  browser = await launchBrowser();
  media = await startMediaServer();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await media?.close();
});

// ---- A small media server on another loopback port, with Range support ------------------------------

/**
 * Serves the test videos the way a plain web server does: GET and HEAD, single byte ranges (206 with
 * Content-Range, 416 past the end), Accept-Ranges. `requests` records what the browser asked for.
 */
function startMediaServer() {
  const types = { '.mp4': 'video/mp4', '.webm': 'video/webm' };
  const requests = [];
  const http = createServer((req, res) => {
    const name = basename(new URL(req.url, 'http://x').pathname);
    const file = types[extname(name)] ? testVideo(extname(name).slice(1)) : null;
    if (!file || name !== basename(file) || !['GET', 'HEAD'].includes(req.method)) {
      res.writeHead(404).end();
      return;
    }
    const size = statSync(file).size;
    const headers = { 'Content-Type': types[extname(file)], 'Accept-Ranges': 'bytes' };
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = size - 1;
    let status = 200;
    if (range && (range[1] || range[2])) {
      if (range[1]) {
        start = Number(range[1]);
        end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      } else {
        start = Math.max(0, size - Number(range[2]));
      }
      if (start >= size || start > end) {
        res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
        requests.push({ status: 416, range: req.headers.range });
        return;
      }
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    }
    headers['Content-Length'] = String(end - start + 1);
    requests.push({ status, range: req.headers.range ?? null });
    res.writeHead(status, headers);
    if (req.method === 'HEAD') res.end();
    else createReadStream(file, { start, end }).pipe(res);
  });
  return new Promise((resolve) => {
    http.listen(0, '127.0.0.1', () => {
      const base = `http://127.0.0.1:${http.address().port}`;
      resolve({
        base,
        requests,
        close: () => new Promise((done) => http.close(done)),
      });
    });
  });
}

// ---- Helpers ----------------------------------------------------------------------------------------

const contexts = [];

async function viewer(code, options, target = server) {
  const v = await openViewer(browser, target.base, code, options);
  contexts.push(v.context);
  return v;
}

async function closeAll(...viewers) {
  for (const v of viewers) {
    assert.deepEqual(v.errors, [], 'no script errors on the page');
    await v.context.close().catch(() => {});
  }
}

const text = (page, selector) => page.textContent(selector).then((s) => s.trim());
const chatTexts = (page) => page.$$eval('.chat-msg .chat-text', (items) => items.map((p) => p.textContent));
const chatNotices = (page) => page.$$eval('.chat-notice-text', (items) => items.map((p) => p.textContent));
const viewerNames = (page) => page.$$eval('#viewers .viewer-name', (items) => items.map((p) => p.textContent));

/** The last chat line's author and text. */
const lastMessage = (page) =>
  page.evaluate(() => {
    const item = [...document.querySelectorAll('.chat-list .chat-msg')].at(-1);
    return {
      author: item.querySelector('.chat-author').textContent,
      text: item.querySelector('.chat-text').textContent,
      time: item.querySelector('time').getAttribute('datetime'),
    };
  });

async function say(page, message) {
  await page.fill('#chat-input', message);
  await page.press('#chat-input', 'Enter');
}

async function waitForChat(page, message, timeout = 3000) {
  await waitUntil(`"${message.slice(0, 40)}" in the chat`, async () => (await chatTexts(page)).includes(message), {
    timeout,
  });
}

/** Every page shows the message (the sender's own page too: it shows it once the server echoes it). */
async function waitForChatEverywhere(viewers, message) {
  for (const v of viewers) await waitForChat(v.page, message);
}

/** Renames through the top bar, as a user does. */
async function rename(page, name) {
  await page.click('#my-name-edit .inline-view');
  await page.fill('#my-name-input', name);
  await page.press('#my-name-input', 'Enter');
}

async function renameRoom(page, name) {
  await page.click('#room-name-edit .inline-view');
  await page.fill('#room-name-input', name);
  await page.press('#room-name-input', 'Enter');
  await page.waitForSelector('#room-name-edit .inline-form', { state: 'hidden' });
}

const isPlaying = async (page) => !(await mediaState(page)).paused;

// ---- Scenarios ----------------------------------------------------------------------------------------

test('a. two pages chat both ways, with names, times and in the same order', { timeout: 60_000 }, async () => {
  const code = await createRoom(server.base);
  const a = await viewer(code);
  const b = await viewer(code);
  assert.ok(await a.page.isVisible('.chat-empty'), 'an empty chat says so');

  await say(a.page, 'Hello from A');
  await waitForChatEverywhere([b, a], 'Hello from A');
  await say(b.page, 'Hi A, B here.\nSecond line');
  await waitForChatEverywhere([a, b], 'Hi A, B here.\nSecond line');
  assert.equal(await a.page.inputValue('#chat-input'), '', 'the box empties once sent');

  for (const v of [a, b]) {
    assert.deepEqual(await chatTexts(v.page), ['Hello from A', 'Hi A, B here.\nSecond line']);
    const last = await lastMessage(v.page);
    assert.match(last.author, /^Guest [0-9a-f]{4}$/);
    // Stamped by the server in UTC, within a few seconds of now.
    assert.ok(Math.abs(Date.parse(last.time) - Date.now()) < 10_000, `sent at ${last.time}`);
  }
  // Your own lines are marked as yours, and only on your page.
  assert.equal(await a.page.locator('.chat-msg.is-me').count(), 1);
  assert.equal(await b.page.locator('.chat-msg.is-me').count(), 1);
  await closeAll(a, b);
});

test('b. a third page joins and sees the history; after a server restart it is still there, once', { timeout: 60_000 }, async () => {
  const code = await createRoom(server.base);
  const a = await viewer(code);
  const b = await viewer(code);
  const lines = ['first', 'second', 'third'];
  for (const [i, line] of lines.entries()) {
    await say((i % 2 ? b : a).page, line);
    await waitForChatEverywhere([a, b], line);
  }
  const c = await viewer(code);
  await waitUntil('the history on the third page', async () => (await chatTexts(c.page)).length === 3);
  assert.deepEqual(await chatTexts(c.page), lines);

  // The notices are for the people already there: A and B see C arrive.
  await waitUntil('A to see C join', async () => (await chatNotices(a.page)).some((n) => / joined$/.test(n)));

  // Stored in the database: a restart keeps them, and the reconnect's history replaces, not adds.
  await server.restart();
  for (const v of [a, c]) await v.page.waitForSelector('#connection[data-state="open"]', { timeout: 10_000 });
  await sleep(500);
  assert.deepEqual(await chatTexts(c.page), lines);
  assert.deepEqual(await chatTexts(a.page), lines);
  await say(c.page, 'back again');
  await waitForChatEverywhere([a, c], 'back again');
  assert.deepEqual(await chatTexts(a.page), [...lines, 'back again']);
  await closeAll(a, b, c);
});

test('c. markup in messages, names and room names is shown as text and never runs', { timeout: 60_000 }, async () => {
  const code = await createRoom(server.base);
  const a = await viewer(code);
  const b = await viewer(code);
  const script = '<script>window.__pwned=1</script>';
  const img = '<img src=x onerror="window.__pwned=1">';

  await say(a.page, script);
  await say(a.page, img);
  await waitForChatEverywhere([a, b], img);
  for (const v of [a, b]) assert.deepEqual(await chatTexts(v.page), [script, img]);

  // Display names are at most 32 characters: the same attacks, shortened to fit.
  const scriptName = '<script>__pwned=1</script>';
  const imgName = '<img src=x onerror=__pwned=1>';
  await rename(a.page, scriptName);
  await waitUntil('the name on B', async () => (await viewerNames(b.page)).includes(scriptName));
  await say(a.page, 'from a script name');
  await waitForChat(b.page, 'from a script name');
  assert.equal((await lastMessage(b.page)).author, scriptName);
  await rename(a.page, imgName);
  await waitUntil('the new name on B', async () => (await viewerNames(b.page)).includes(imgName));
  await say(a.page, 'from an img name');
  await waitForChat(b.page, 'from an img name');
  assert.equal((await lastMessage(b.page)).author, imgName);
  assert.ok((await chatNotices(b.page)).includes(`${scriptName} is now ${imgName}`));

  // Room names (up to 64 characters) take the full attacks.
  for (const name of [script, img]) {
    await renameRoom(a.page, name);
    await waitUntil('the room name on B', async () => (await text(b.page, '#room-name')) === name);
    assert.equal(await b.page.title(), `${name} · Goblet`);
  }

  for (const v of [a, b]) {
    const found = await v.page.evaluate(() => ({
      pwned: window.__pwned,
      images: document.querySelectorAll('.chat-list img, #viewers img, .topbar img, .toasts img').length,
      scripts: document.querySelectorAll('body script').length,
    }));
    assert.deepEqual(found, { pwned: undefined, images: 0, scripts: 0 });
  }
  await closeAll(a, b);
});

test('d. a direct link to a video on another server plays in step like an upload', { timeout: 90_000 }, async (t) => {
  const code = await createRoom(server.base);
  const a = await viewer(code);
  const b = await viewer(code);
  await a.page.waitForSelector('body[data-host="me"]');
  const link = `${media.base}/clock-20s.mp4`;
  await a.page.fill('#link-url', link);
  assert.match(await text(a.page, '#link-hint'), /direct link/);
  await a.page.click('#link-submit');
  for (const v of [a, b]) {
    await v.page.waitForFunction(
      (src) => {
        const video = document.querySelector('video');
        return video.currentSrc === src && video.readyState >= 2;
      },
      link,
      { timeout: 15_000 },
    );
    await v.page.waitForFunction(() => document.getElementById('video-title').textContent === 'clock-20s.mp4');
    assert.ok(await v.page.isHidden('#player-empty'));
  }
  assert.equal(await a.page.inputValue('#link-url'), '', 'the field empties once the room has the link');
  assert.ok(media.requests.some((r) => r.status === 206), 'the browser fetched byte ranges from the other server');

  // A plays: B follows within half a second and they stay within 0.3 s.
  await clickControl(a.page, '.vjs-big-play-button');
  await waitUntil('B to play', () => isPlaying(b.page), { timeout: 2000, interval: 10 });
  const reaction = Date.now() - a.sent[0].at;
  assert.ok(reaction <= 500, `B played ${reaction} ms after A sent play`);
  await sleep(1000);
  const played = await positionGap(a.page, b.page);
  assert.ok(Math.abs(played.gap) < 0.3, `positions differ by ${played.gap.toFixed(3)} s`);

  // A seeks: B follows.
  await a.page.evaluate(() => window.videojs.getPlayers().video.currentTime(12));
  await waitUntil('B near 12 s', async () => {
    const s = await mediaState(b.page);
    return !s.paused && s.t > 11.7 && s.t < 14;
  }, { timeout: 2000, interval: 20 });
  await sleep(1000);
  const seeked = await positionGap(a.page, b.page);
  assert.ok(seeked.a.t > 12.5 && !seeked.b.paused, `A at ${seeked.a.t}`);
  assert.ok(Math.abs(seeked.gap) < 0.3, `after the seek ${seeked.gap.toFixed(3)} s apart`);
  t.diagnostic(
    `link video: B played ${reaction} ms after A; ${(played.gap * 1000).toFixed(0)} ms apart, ` +
      `${(seeked.gap * 1000).toFixed(0)} ms after a seek`,
  );
  await closeAll(a, b);
});

test('e. names: set on the landing page or in the room, seen by everyone, refusals explained', { timeout: 60_000 }, async () => {
  const code = await createRoom(server.base);
  const a = await viewer(code);
  const b = await viewer(code);

  await rename(a.page, 'Ana Banana');
  await a.page.waitForSelector('#my-name-edit .inline-form', { state: 'hidden' });
  assert.equal(await text(a.page, '#my-name'), 'Ana Banana');
  await waitUntil('B to list the new name', async () => (await viewerNames(b.page)).includes('Ana Banana'));
  assert.ok((await chatNotices(b.page)).some((n) => /^Guest [0-9a-f]{4} is now Ana Banana$/.test(n)));
  await say(a.page, 'new name, new line');
  await waitForChat(b.page, 'new name, new line');
  assert.equal((await lastMessage(b.page)).author, 'Ana Banana');
  // The same colour for A beside the name in the viewer list and in the chat.
  const colours = await b.page.evaluate(() => {
    const inList = [...document.querySelectorAll('#viewers .viewer-name')].find((n) => n.textContent === 'Ana Banana');
    const inChat = [...document.querySelectorAll('.chat-author')].at(-1);
    return [getComputedStyle(inList).color, getComputedStyle(inChat).color];
  });
  assert.equal(colours[0], colours[1]);
  assert.notEqual(colours[0], '');

  // A name the server refuses: its own words, and the old name stays.
  const refused = await fetch(`${server.base}/api/me`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: '   ' }),
  });
  const { message } = await refused.json();
  await rename(a.page, '   ');
  await a.page.waitForFunction(() => document.querySelector('#my-name-edit .inline-error').textContent !== '');
  assert.equal(await text(a.page, '#my-name-edit .inline-error'), message);
  await a.page.press('#my-name-input', 'Escape');
  assert.equal(await text(a.page, '#my-name'), 'Ana Banana');

  // The landing page: a name saved there is the name in the room.
  const c = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(c);
  const landing = await c.newPage();
  await landing.goto(server.base);
  await landing.fill('#name', 'Cyrus');
  await landing.click('#name-save');
  await landing.waitForFunction(() => document.getElementById('name-note').textContent.startsWith('Saved'));
  await landing.goto(`${server.base}/r/${code}`);
  await landing.waitForSelector('#connection[data-state="open"]');
  assert.equal(await text(landing, '#my-name'), 'Cyrus');
  await waitUntil('A to see Cyrus arrive', async () => (await chatNotices(a.page)).includes('Cyrus joined'));
  assert.ok((await viewerNames(a.page)).includes('Cyrus'));
  await closeAll(a, b);
});

test('f. a refused link shows the server\'s message', { timeout: 60_000 }, async () => {
  const code = await createRoom(server.base);
  const a = await viewer(code);
  // The same request the page makes, to learn the server's exact words.
  const direct = await fetch(`${server.base}/api/rooms/${code}/video/link`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ url: 'javascript:alert(1)' }),
  });
  assert.equal(direct.status, 400);
  const { message } = await direct.json();
  assert.ok(message);

  await a.page.fill('#link-url', 'javascript:alert(1)');
  await a.page.click('#link-submit');
  await a.page.waitForFunction(() => document.getElementById('link-error').textContent !== '');
  assert.equal(await text(a.page, '#link-error'), message);
  assert.equal(await a.page.inputValue('#link-url'), 'javascript:alert(1)', 'the link stays to be fixed');
  assert.ok(await a.page.isVisible('#player-empty'), 'the room has no video still');
  await closeAll(a);
});

test('g. chat limits: too fast is refused with the server\'s message and the words come back', { timeout: 60_000 }, async () => {
  const code = await createRoom(server.base);
  const a = await viewer(code);
  for (let i = 1; i <= 5; i += 1) await say(a.page, `quick ${i}`);
  await waitForChat(a.page, 'quick 5');
  await say(a.page, 'one too many');
  await a.page.waitForFunction(() => document.querySelector('.chat-error').textContent !== '');
  assert.match(await text(a.page, '.chat-error'), /.+/);
  assert.equal(await a.page.inputValue('#chat-input'), 'one too many', 'the refused words are back in the box');
  assert.ok(!(await chatTexts(a.page)).includes('one too many'));

  // Over 2,000 characters: the counter says so and nothing is sent.
  await a.page.fill('#chat-input', 'x'.repeat(2001));
  assert.equal(await text(a.page, '.chat-count'), '2,001 / 2,000');
  assert.equal(await a.page.getAttribute('.chat-count', 'data-state'), 'over');
  await a.page.press('#chat-input', 'Enter');
  assert.equal(await text(a.page, '.chat-error'), 'That is 1 character too long.');
  assert.equal((await a.page.inputValue('#chat-input')).length, 2001);
  await closeAll(a);
});

test('h. "Leave room" goes to the landing page, which lists the rooms you were in', { timeout: 60_000 }, async () => {
  const code = await createRoom(server.base);
  const a = await viewer(code);
  await renameRoom(a.page, 'Movie night');
  const other = await createRoom(server.base);
  await a.page.goto(`${server.base}/r/${other}`);
  await a.page.waitForSelector('#connection[data-state="open"]');
  await a.page.click('#leave-room');
  await a.page.waitForURL(`${server.base}/`);
  await a.page.waitForSelector('#recent:not([hidden])');
  const rooms = await a.page.$$eval('#recent-rooms a', (links) =>
    links.map((l) => ({
      href: new URL(l.href).pathname,
      name: l.querySelector('.recent-name').textContent,
      when: l.querySelector('.recent-when').textContent,
    })),
  );
  assert.deepEqual(
    rooms.map((r) => [r.href, r.name]),
    [
      [`/r/${other}`, `Room ${other}`],
      [`/r/${code}`, 'Movie night'],
    ],
    'newest first',
  );
  assert.equal(rooms[0].when, 'just now');
  await a.page.click(`#recent-rooms a[href="/r/${code}"]`);
  await a.page.waitForSelector('#connection[data-state="open"]');
  assert.equal(await text(a.page, '#room-name'), 'Movie night');
  await closeAll(a);
});

test('i. older messages load on scrolling up, keeping the place; "new messages" when scrolled up', { timeout: 90_000 }, async () => {
  // Its own server with a loose rate limit, to fill the chat quickly.
  const busy = await startServer({ env: { GOBLET_CHAT_RATE_MESSAGES: '1000' } });
  try {
    const code = await createRoom(busy.base);
    const a = await viewer(code, undefined, busy);
    const total = 130;
    await a.page.evaluate(
      ({ code, total }) =>
        new Promise((resolve, reject) => {
          const ws = new WebSocket(`ws://${location.host}/api/rooms/${code}/ws`);
          let echoed = 0;
          ws.onmessage = (event) => {
            const message = JSON.parse(event.data);
            if (message.type === 'error') reject(new Error(message.message));
            if (message.type === 'chat' && ++echoed === total) {
              ws.close();
              resolve();
            }
          };
          ws.onopen = () => {
            for (let i = 1; i <= total; i += 1) ws.send(JSON.stringify({ type: 'chat', text: `line ${i}` }));
          };
        }),
      { code, total },
    );
    const b = await viewer(code, undefined, busy);
    const ids = () => b.page.$$eval('.chat-msg', (items) => items.map((i) => Number(i.dataset.id)));
    // The newest messages that fit the join history's byte budget: most of the last 50.
    await waitUntil('the history', async () => (await chatTexts(b.page)).at(-1) === 'line 130');
    const shown = (await ids()).length;
    assert.ok(shown >= 30 && shown <= 50, `${shown} messages in the join history`);
    assert.deepEqual((await chatTexts(b.page)).slice(-2), ['line 129', 'line 130']);
    assert.ok(await b.page.isVisible('.chat-older'));

    // Scroll to the top: the next 50 come in above, and the line that was on top stays where it was.
    const scrollUp = async () => {
      const before = await b.page.evaluate(() => {
        const scroller = document.querySelector('.chat-scroll');
        scroller.scrollTop = 0;
        const first = document.querySelector('.chat-msg');
        return { id: first.dataset.id, top: first.getBoundingClientRect().top };
      });
      await waitUntil('older messages', async () => (await ids())[0] < Number(before.id), { timeout: 5000 });
      const after = await b.page.evaluate(
        (id) => document.querySelector(`.chat-msg[data-id="${id}"]`).getBoundingClientRect().top,
        before.id,
      );
      assert.ok(Math.abs(after - before.top) < 2, `the line moved from ${before.top} to ${after}`);
    };
    await scrollUp();
    assert.equal((await ids()).length, shown + 50);
    await scrollUp();
    await waitUntil('all of it', async () => (await ids()).length === total);
    const all = await ids();
    assert.equal(new Set(all).size, total, 'no duplicates');
    assert.deepEqual(all, [...all].sort((x, y) => x - y), 'in order');
    assert.equal((await chatTexts(b.page))[0], 'line 1');
    await b.page.waitForSelector('.chat-start', { state: 'visible' });
    assert.ok(await b.page.isHidden('.chat-older'));

    // Scrolled up, a new message does not move the page: a button says it is there.
    const top = await b.page.evaluate(() => document.querySelector('.chat-scroll').scrollTop);
    await say(a.page, 'while you were reading');
    await b.page.waitForSelector('.chat-new', { state: 'visible' });
    assert.equal(await text(b.page, '.chat-new'), '1 new message ↓');
    assert.equal(await b.page.evaluate(() => document.querySelector('.chat-scroll').scrollTop), top);
    await b.page.click('.chat-new');
    await b.page.waitForSelector('.chat-new', { state: 'hidden' });
    const atBottom = await b.page.evaluate(() => {
      const s = document.querySelector('.chat-scroll');
      return s.scrollHeight - s.scrollTop - s.clientHeight < 2;
    });
    assert.ok(atBottom, 'the button goes to the newest');
    // At the bottom, new lines simply scroll into view.
    await say(a.page, 'and one more');
    await waitForChat(b.page, 'and one more');
    await sleep(100);
    assert.ok(await b.page.isHidden('.chat-new'));
    await closeAll(a, b);
  } finally {
    await busy.stop();
  }
});

/**
 * A stand-in for YouTube's IFrame Player API, installed in the page before its scripts run: YouTube
 * cannot be reached from here. It behaves as the real one does where the adapter depends on it: state
 * changes arrive a few ms after a command, seekTo() on a cued video starts it, getDuration() is 0 until
 * it played. `window.__yt` is the player, for the test to act as a user in YouTube's own controls.
 */
function fakeYouTubeApi() {
  const S = { UNSTARTED: -1, ENDED: 0, PLAYING: 1, PAUSED: 2, BUFFERING: 3, CUED: 5 };
  class Player {
    constructor(mount, options) {
      this.options = options;
      this.state = S.UNSTARTED;
      this.position = 0;
      this.since = null;
      this.rate = 1;
      this.videoId = options.videoId;
      this.frame = document.createElement('div');
      this.frame.className = 'fake-youtube';
      this.frame.textContent = `YouTube ${options.videoId}`;
      mount.replaceWith(this.frame);
      window.__yt = this;
      setTimeout(() => {
        this.state = S.CUED;
        options.events.onReady({ target: this });
      }, 50);
    }
    fire(state) {
      this.state = state;
      setTimeout(() => this.options.events.onStateChange({ target: this, data: state }), 5);
    }
    move() {
      this.since = performance.now();
      this.fire(S.PLAYING);
    }
    freeze() {
      this.position = this.getCurrentTime();
      this.since = null;
    }
    getCurrentTime() {
      return this.since === null ? this.position : this.position + ((performance.now() - this.since) / 1000) * this.rate;
    }
    getDuration() {
      return this.state === S.CUED || this.state === S.UNSTARTED ? 0 : 20;
    }
    getPlaybackRate() {
      return this.rate;
    }
    setPlaybackRate(rate) {
      // YouTube plays only the rates it offers.
      if ([0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2].includes(rate)) this.rate = rate;
    }
    playVideo() {
      if (this.since !== null) return;
      this.fire(S.BUFFERING);
      setTimeout(() => this.move(), 40);
    }
    pauseVideo() {
      this.freeze();
      this.fire(S.PAUSED);
    }
    seekTo(seconds) {
      const cued = this.state === S.CUED || this.state === S.UNSTARTED;
      this.position = seconds;
      if (this.since !== null) this.since = performance.now();
      if (cued) this.playVideo();
    }
    cueVideoById(id) {
      this.videoId = id;
      this.freeze();
      this.position = 0;
      this.fire(S.CUED);
    }
    stopVideo() {
      this.freeze();
    }
    // A user in YouTube's own controls.
    userPlay() {
      this.move();
    }
    userSeek(seconds) {
      const playing = this.since !== null;
      this.position = seconds;
      if (playing) this.since = performance.now();
      this.fire(S.BUFFERING);
      setTimeout(() => this.fire(playing ? S.PLAYING : S.PAUSED), 30);
    }
  }
  window.YT = { Player, PlayerState: S };
}

const youtubeState = (page) =>
  page.evaluate(() => ({
    t: window.__yt?.getCurrentTime() ?? null,
    playing: window.__yt?.since !== null && window.__yt?.since !== undefined,
    at: performance.timeOrigin + performance.now(),
  }));

test('k. a YouTube link plays in the YouTube player (a stand-in here) with the same sync', { timeout: 60_000 }, async (t) => {
  const code = await createRoom(server.base);
  const toYouTube = [];
  const open = async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(fakeYouTubeApi);
    // With YT already there the page must not fetch YouTube's script (nor anything of YouTube's).
    await context.route(/youtube\.com|ytimg\.com|youtu\.be/, (route) => {
      toYouTube.push(route.request().url());
      return route.abort();
    });
    return viewer(code, { context });
  };
  const a = await open();
  const b = await open();
  await a.page.waitForSelector('body[data-host="me"]');
  await a.page.fill('#link-url', 'https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42');
  assert.match(await text(a.page, '#link-hint'), /YouTube video/);
  await a.page.click('#link-submit');
  for (const v of [a, b]) {
    await v.page.waitForSelector('.fake-youtube', { timeout: 5000 });
    await v.page.waitForFunction(() => document.getElementById('video-title').textContent === 'YouTube video dQw4w9WgXcQ');
    assert.ok(await v.page.isVisible('#youtube'));
    assert.ok(await v.page.isHidden('.video-js'), 'VideoJS steps aside');
    assert.ok(await v.page.isHidden('#player-empty'));
  }
  await sleep(300);

  // A presses play in YouTube's player: B starts too, at the same spot.
  await a.page.evaluate(() => window.__yt.userPlay());
  const started = Date.now();
  await waitUntil('B to play', async () => (await youtubeState(b.page)).playing, { timeout: 2000, interval: 20 });
  const reaction = Date.now() - started;
  await sleep(1500);
  const gap = async () => {
    const [x, y] = await Promise.all([youtubeState(a.page), youtubeState(b.page)]);
    return y.t - (y.at - x.at) / 1000 - x.t;
  };
  const playing = await gap();
  assert.ok(Math.abs(playing) < 0.3, `playing ${playing.toFixed(3)} s apart`);

  // A seeks in YouTube's controls: B follows.
  await a.page.evaluate(() => window.__yt.userSeek(12));
  await waitUntil('B near 12 s', async () => {
    const s = await youtubeState(b.page);
    return s.playing && s.t > 11.7 && s.t < 14;
  }, { timeout: 3000, interval: 20 }).catch(async (error) => {
    const [x, y] = await Promise.all([youtubeState(a.page), youtubeState(b.page)]);
    throw new Error(`${error.message}: A sent ${JSON.stringify(a.sent)}, A ${JSON.stringify(x)}, B ${JSON.stringify(y)}`);
  });
  await sleep(1500);
  const seeked = await gap();
  assert.ok(Math.abs(seeked) < 0.3, `after the seek ${seeked.toFixed(3)} s apart`);
  t.diagnostic(
    `YouTube stand-in: B played ${reaction} ms after A; ${(playing * 1000).toFixed(0)} ms apart, ` +
      `${(seeked * 1000).toFixed(0)} ms after a seek`,
  );
  assert.equal(a.sent.length, 2, `A sent ${JSON.stringify(a.sent.map((m) => m.type))}`);
  assert.deepEqual(b.sent, [], 'B only followed');
  assert.deepEqual(toYouTube, [], 'nothing was fetched from YouTube');

  // Back to an ordinary link: VideoJS returns.
  await a.page.fill('#link-url', `${media.base}/clock-20s.mp4`);
  await a.page.click('#link-submit');
  for (const v of [a, b]) {
    await v.page.waitForSelector('.video-js', { state: 'visible', timeout: 5000 });
    assert.ok(await v.page.isHidden('#youtube'));
  }
  await closeAll(a, b);
});

test('l. a crowd: the list shows the host and the earliest arrivals, and counts the rest', { timeout: 60_000 }, async () => {
  const code = await createRoom(server.base);
  const host = await viewer(code);
  await rename(host.page, 'First In');
  // 22 more people, each a browser profile of its own with nothing but a socket in the room.
  const crowd = [];
  for (let n = 0; n < 22; n += 1) {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${server.base}/api/me`);
    await page.evaluate(
      (code) =>
        new Promise((resolve, reject) => {
          const ws = new WebSocket(`ws://${location.host}/api/rooms/${code}/ws`);
          window.roomSocket = ws;
          ws.onmessage = (event) => JSON.parse(event.data).type === 'snapshot' && resolve();
          ws.onerror = () => reject(new Error('socket failed'));
        }),
      code,
    );
    crowd.push(context);
  }
  await waitUntil('23 viewers', async () => (await text(host.page, '#viewer-count')) === '23');
  await waitUntil('the cut list', async () => (await viewerNames(host.page)).length === 20);
  assert.equal((await viewerNames(host.page))[0], 'First In (you)');
  assert.equal(await text(host.page, '#viewers .viewers-more'), 'and 3 more');

  for (const context of crowd) await context.close();
  await waitUntil('only the host left', async () => (await text(host.page, '#viewer-count')) === '1');
  assert.deepEqual(await viewerNames(host.page), ['First In (you)']);
  assert.equal(await host.page.locator('#viewers .viewers-more').count(), 0);
  await closeAll(host);
});

test('j. the room with its chat, for the record (artifacts/chat.png, chat-phone.png)', { timeout: 90_000 }, async () => {
  const code = await createRoom(server.base);
  await uploadVideo(server.base, code, testVideo('mp4'));
  const people = [];
  for (const name of ['Maya', 'Jonas', 'Priya']) {
    const v = await viewer(code);
    await waitForVideo(v.page);
    await rename(v.page, name);
    people.push(v);
  }
  const [maya, jonas, priya] = people;
  await renameRoom(maya.page, 'Friday film club');
  await maya.page.waitForSelector('body[data-host="me"]');
  const script = [
    [maya, 'Everyone here? Starting in a sec'],
    [jonas, 'Ready!'],
    [priya, 'Go go go'],
    [maya, 'Pausing at the good bit, tell me if you are behind'],
    [jonas, 'Perfectly in step here.\nThe clock matches to the frame.'],
    [priya, 'Same here, not a frame apart.'],
  ];
  for (const [v, line] of script.slice(0, 3)) {
    await say(v.page, line);
    await waitForChatEverywhere(people, line);
  }
  await clickControl(maya.page, '.vjs-big-play-button');
  await waitUntil('everyone playing', async () => (await Promise.all(people.map((v) => isPlaying(v.page)))).every(Boolean), {
    timeout: 3000,
  });
  for (const [v, line] of script.slice(3)) {
    await say(v.page, line);
    await waitForChatEverywhere(people, line);
  }
  await sleep(1500);
  mkdirSync(artifacts, { recursive: true });
  await jonas.page.mouse.move(5, 5);
  await jonas.page.evaluate(() => document.activeElement?.blur());
  await jonas.page.screenshot({ path: join(artifacts, 'chat.png') });
  const phone = await priya.context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(`${server.base}/r/${code}`);
  await waitForVideo(phone);
  await sleep(800);
  await phone.screenshot({ path: join(artifacts, 'chat-phone.png'), fullPage: true });
  await closeAll(maya, jonas, priya);
});
