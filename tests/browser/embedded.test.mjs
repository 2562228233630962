// The browser client built into the binary: with `assets_dir` pointing at an empty folder the server
// serves its embedded copy, and a real page loads all of it (VideoJS, tus-js-client, the modules and
// the styles), connects and plays an upload.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRoom, launchBrowser, openViewer, startServer, testVideo, uploadVideo, waitForVideo, waitUntil } from './harness.mjs';

let server;
let browser;
const emptyAssets = mkdtempSync(join(tmpdir(), 'goblet-no-assets-'));

before(async () => {
  testVideo('webm');
  server = await startServer({ env: { GOBLET_ASSETS_DIR: emptyAssets } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(emptyAssets, { recursive: true, force: true });
});

test('n. without an assets folder the embedded client loads whole, connects and plays', { timeout: 60_000 }, async () => {
  assert.match(readFileSync(server.logFile, 'utf8'), /serving the browser client built into the binary/);
  const code = await createRoom(server.base);
  await uploadVideo(server.base, code, testVideo('webm'));

  const context = await browser.newContext();
  const statics = [];
  context.on('response', (response) => {
    const { pathname } = new URL(response.url());
    if (pathname.startsWith('/static/')) statics.push(`${response.status()} ${pathname.split('/').slice(3).join('/')}`);
  });
  const v = await openViewer(browser, server.base, code, { context });
  await waitForVideo(v.page);
  await v.page.evaluate(() => document.querySelector('video').play());
  await waitUntil('the video to play', () => v.page.evaluate(() => !document.querySelector('video').paused));

  assert.ok(await v.page.evaluate(() => typeof window.videojs === 'function'), 'VideoJS ran');
  assert.ok(await v.page.evaluate(() => typeof window.tus?.Upload === 'function'), 'tus-js-client ran');
  for (const file of ['videojs/video.min.js', 'videojs/video-js.min.css', 'tus/tus.min.js', 'style.css', 'js/room.js']) {
    assert.ok(statics.includes(`200 ${file}`), `${file} was served: ${statics.join(', ')}`);
  }
  assert.deepEqual(statics.filter((line) => !line.startsWith('200 ')), [], 'every static file was found');
  assert.deepEqual(v.errors, []);
  await context.close();
});
