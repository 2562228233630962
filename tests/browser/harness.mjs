// Shared by the browser suite and the sync benchmark: start a real server, open real Chromium pages,
// read the real player's state.

import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../..');
export const videosDir = join(here, 'videos');

export const HOST_CHECK_SECS = 2;
/** A host's grace after closing its last tab, shorter than the default 5 s so tests wait less. */
export const HOST_GRACE_SECS = 1;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
  // Several pages play at once in one headless browser: do not let the hidden ones be throttled.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/** Makes the test videos (once) and returns the path of the one asked for. */
export function testVideo(ext = 'webm', seconds = 20) {
  const file = join(videosDir, `clock-${seconds}s.${ext}`);
  if (!existsSync(file)) execFileSync('bash', [join(here, 'make-videos.sh'), videosDir, String(seconds)]);
  return file;
}

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the goblet binary on a free port with its own temp folders. `stop()` ends it and cleans up;
 * `restart(whileDown)` stops it, awaits `whileDown()` if given, and starts it again on the same port and
 * folders (for reconnect checks).
 * `env`: extra GOBLET_* settings for this server (e.g. a looser chat rate limit).
 */
export async function startServer({ env: extraEnv = {} } = {}) {
  const bin = process.env.GOBLET_BIN || join(repoRoot, 'target/debug/goblet');
  if (!existsSync(bin)) throw new Error(`No server binary at ${bin}: run \`cargo build\` first or set GOBLET_BIN`);
  const port = await freePort();
  const tmp = mkdtempSync(join(tmpdir(), 'goblet-browser-'));
  const logFile = join(tmp, 'server.log');
  const base = `http://127.0.0.1:${port}`;
  // GOBLET_BIN is ours, not the server's: it refuses to start on a GOBLET_* setting it does not know.
  const { GOBLET_BIN: _ours, ...inherited } = process.env;
  const env = {
    ...inherited,
    GOBLET_BIND: `127.0.0.1:${port}`,
    GOBLET_MEDIA_DIR: join(tmp, 'video'),
    GOBLET_DATA_DIR: join(tmp, 'data'),
    GOBLET_HOST_CHECK_SECS: String(HOST_CHECK_SECS),
    GOBLET_HOST_GRACE_SECS: String(HOST_GRACE_SECS),
    GOBLET_ASSETS_DIR: join(repoRoot, 'assets'),
    // Every page of the suite comes from one address, in a hurry: the limits per address would
    // otherwise trip between scenarios (the Rust tests check them).
    GOBLET_CLIENT_RATE_COUNT: '100000',
    GOBLET_ROOM_RATE_COUNT: '100000',
    GOBLET_CHAT_RATE_ADDRESS_MESSAGES: '100000',
    GOBLET_MAX_CONNECTIONS_PER_ADDRESS: '100000',
    // Room passwords: tries per client and per address (a scenario that checks the limit sets its own).
    GOBLET_PASSWORD_RATE_COUNT: '100000',
    // The stand-in media server for direct links runs on this machine (there is no network here).
    GOBLET_ALLOW_PRIVATE_LINKS: 'true',
    ...extraEnv,
  };
  let process_ = await spawnServer(bin, env, base, logFile);
  return {
    base,
    logFile,
    async restart(whileDown = async () => {}) {
      await process_.stop();
      await whileDown();
      process_ = await spawnServer(bin, env, base, logFile);
    },
    async stop() {
      await process_.stop();
      if (!process.env.KEEP_TMP) rmSync(tmp, { recursive: true, force: true });
    },
  };
}

async function spawnServer(bin, env, base, logFile) {
  const log = openSync(logFile, 'a');
  const child = spawn(bin, [], { cwd: repoRoot, stdio: ['ignore', log, log], env });
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`The server exited (${JSON.stringify(exited)}):\n${readFileSync(logFile, 'utf8')}`);
    try {
      if ((await fetch(`${base}/api/me`)).ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`The server did not answer in 30 s:\n${readFileSync(logFile, 'utf8')}`);
    await sleep(100);
  }
  return {
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      for (let i = 0; i < 50 && !exited; i += 1) await sleep(100);
      if (!exited) child.kill('SIGKILL');
      for (let i = 0; i < 20 && !exited; i += 1) await sleep(100);
    },
  };
}

export function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

export async function createRoom(base) {
  const response = await fetch(`${base}/api/rooms`, { method: 'POST' });
  if (response.status !== 201) throw new Error(`POST /api/rooms answered ${response.status}`);
  return (await response.json()).code;
}

/** Uploads a file as one raw request body (as curl would), for scenarios that are not about uploading. */
export async function uploadVideo(base, code, file) {
  const name = file.split('/').pop();
  const response = await fetch(`${base}/api/rooms/${code}/video?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream' },
    body: readFileSync(file),
  });
  if (response.status !== 201) throw new Error(`upload answered ${response.status}: ${await response.text()}`);
  return response.json();
}

/**
 * Opens the room in a new browser context (one context = one cookie = one viewer), or in `context`
 * when given. `sent` collects the play/pause/seek frames the page sends, `ended` its `ended` frames;
 * `errors` its script errors.
 */
export async function openViewer(browser, base, code, { context, viewport = { width: 1280, height: 800 } } = {}) {
  const ctx = context ?? (await browser.newContext({ viewport }));
  const page = await ctx.newPage();
  // `ended`: the `ended` reports the page sends (the queue's auto-advance); `received`: every message
  // the page's sockets received.
  const viewer = { context: ctx, page, sent: [], ended: [], errors: [], received: [] };
  page.on('pageerror', (error) => viewer.errors.push(error.message));
  page.on('websocket', (ws) => {
    ws.on('framereceived', ({ payload }) => {
      try {
        viewer.received.push(JSON.parse(String(payload)));
      } catch {
        // Not ours.
      }
    });
    ws.on('framesent', ({ payload }) => {
      try {
        const message = JSON.parse(String(payload));
        if (['play', 'pause', 'seek'].includes(message.type)) viewer.sent.push({ ...message, at: Date.now() });
        if (message.type === 'ended') viewer.ended.push({ ...message, at: Date.now() });
      } catch {
        // Not ours.
      }
    });
  });
  await page.goto(`${base}/r/${code}`);
  await page.waitForSelector('#connection[data-state="open"]');
  return viewer;
}

/** The real <video>'s state, stamped with the page's clock reading (ms, comparable across pages). */
export function mediaState(page) {
  return page.evaluate(() => {
    const v = document.querySelector('video');
    return {
      t: v.currentTime,
      paused: v.paused,
      seeking: v.seeking,
      ready: v.readyState,
      src: v.currentSrc,
      rate: v.playbackRate,
      at: performance.timeOrigin + performance.now(),
    };
  });
}

/** Position difference b - a in seconds, read at the same moment (corrected for the read delay). */
export async function positionGap(pageA, pageB) {
  const [a, b] = await Promise.all([mediaState(pageA), mediaState(pageB)]);
  const bAtA = b.t - (b.paused ? 0 : ((b.at - a.at) / 1000) * b.rate);
  return { gap: bAtA - a.t, a, b };
}

/** Polls `check` (async, truthy = done) until it holds; throws with `what` after `timeout` ms. */
export async function waitUntil(what, check, { timeout = 5000, interval = 50 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeout} ms waiting for ${what}`);
    await sleep(interval);
  }
}

export async function waitForVideo(page, timeout = 10_000) {
  await page.waitForFunction(
    () => {
      const v = document.querySelector('video');
      // data-listening: the player again reports what the user does (it is deaf while loading).
      const listening = document.querySelector('.video-js[data-listening="yes"]');
      return v && v.currentSrc.includes('/media/') && v.readyState >= 2 && listening;
    },
    null,
    { timeout },
  );
}

/**
 * Shows VideoJS's controls the way a user does, by moving the mouse over the player. While hidden they
 * let clicks through to the video (which toggles playback), and VideoJS notices the mouse only on its
 * 250 ms activity check (and ignores a first move it has nothing to compare with), so move twice and
 * wait for it.
 */
export async function showControls(page) {
  await page.hover('.video-js', { position: { x: 40, y: 40 } });
  await page.hover('.video-js', { position: { x: 60, y: 50 } });
  await page.waitForSelector('.video-js:not(.vjs-user-inactive)');
}

/** Acts like a user on VideoJS's controls: show them, then click one. */
export async function clickControl(page, selector) {
  await showControls(page);
  await page.click(selector);
}

export { sleep };
