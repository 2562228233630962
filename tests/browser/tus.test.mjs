// The page's resumable upload: an upload cut by a reload carries on from the server's offset when the
// same file is picked again, under the same upload URL, and the video then plays.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRoom, launchBrowser, openViewer, startServer, testVideo, waitForVideo, waitUntil } from './harness.mjs';

/** Bytes per second the page may send before the reload: slow enough to reload mid-way. */
const SLOW_UPLOAD = 48 * 1024;

let server;
let browser;

before(async () => {
  testVideo('webm');
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The server's Upload-Offset for an upload, asked with the page's own cookie. */
async function serverOffset(page, url) {
  const response = await page.request.head(url, { headers: { 'Tus-Resumable': '1.0.0' } });
  return response.status() === 200 ? Number(response.headers()['upload-offset']) : -response.status();
}

test('a tus upload cut by a reload resumes when the same file is picked again, and plays', { timeout: 90_000 }, async () => {
  const file = testVideo('webm');
  const size = readFileSync(file).length;
  const code = await createRoom(server.base);
  const v = await openViewer(browser, server.base, code);
  const { page } = v;
  assert.match(await page.textContent('#upload-resume-hint'), /same file again/);

  // Every tus request the page makes, across the reload.
  const requests = [];
  page.on('request', (request) => {
    if (request.url().includes('/uploads')) {
      requests.push({ method: request.method(), url: request.url(), offset: request.headers()['upload-offset'] });
    }
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const throttle = (uploadThroughput) =>
    cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput });
  await throttle(SLOW_UPLOAD);

  await page.setInputFiles('#file-input', file);
  await waitUntil('a quarter of the file sent', async () => Number(await page.getAttribute('#upload-panel', 'data-percent')) >= 25, {
    timeout: 30_000,
  });
  const created = requests.filter((r) => r.method === 'POST');
  assert.equal(created.length, 1);
  const uploadUrl = requests.find((r) => r.method === 'PATCH').url;
  await page.reload();
  await throttle(-1);

  // The server kept what arrived before the reload.
  let kept = 0;
  await waitUntil('the server counts the bytes sent before the reload', async () => {
    kept = await serverOffset(page, uploadUrl);
    return kept > 0;
  }, { timeout: 10_000 });
  assert.ok(kept < size, `${kept} of ${size}`);

  const before = requests.length;
  await page.setInputFiles('#file-input', file);
  await page.waitForSelector('#upload-panel[data-state="done"]', { timeout: 30_000 });
  const after = requests.slice(before);
  assert.deepEqual(after.filter((r) => r.method === 'POST'), [], 'no new upload was created');
  const resumed = after.find((r) => r.method === 'PATCH');
  assert.equal(resumed.url, uploadUrl, 'the same upload');
  assert.ok(Number(resumed.offset) >= kept && Number(resumed.offset) > 0, `resumed at ${resumed.offset}`);
  assert.equal(await serverOffset(page, uploadUrl), -404, 'complete: the upload is gone, the video stays');

  await waitForVideo(page);
  const served = await page.request.get(`${server.base}/media/1.webm`);
  assert.deepEqual(Buffer.from(await served.body()), readFileSync(file), 'byte for byte the file picked');
  assert.deepEqual(v.errors, [], 'no script errors on the page');
  await v.context.close();
});

test('cancel stops a tus upload and deletes it on the server', { timeout: 60_000 }, async () => {
  const file = testVideo('webm');
  const code = await createRoom(server.base);
  const v = await openViewer(browser, server.base, code);
  const { page } = v;
  let uploadUrl = null;
  page.on('request', (request) => {
    if (request.method() === 'PATCH' && request.url().includes('/uploads/')) uploadUrl = request.url();
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: SLOW_UPLOAD });
  await page.setInputFiles('#file-input', file);
  await waitUntil('some of the file sent', async () => Number(await page.getAttribute('#upload-panel', 'data-percent')) >= 10, {
    timeout: 30_000,
  });
  await page.click('#upload-cancel');
  await page.waitForSelector('#upload-panel[data-state="cancelled"]');
  await waitUntil('the server deleted the upload', async () => (await serverOffset(page, uploadUrl)) === -404, { timeout: 10_000 });
  const room = await (await page.request.get(`${server.base}/api/rooms/${code}`)).json();
  assert.equal(room.video, null, 'no video came of it');
  assert.deepEqual(v.errors, [], 'no script errors on the page');
  await v.context.close();
});

test('a tus upload whose connection drops (the server restarts) carries on by itself from the server\'s offset', { timeout: 90_000 }, async () => {
  const file = testVideo('webm');
  const code = await createRoom(server.base);
  const v = await openViewer(browser, server.base, code);
  const { page } = v;
  const requests = [];
  page.on('request', (request) => {
    if (request.url().includes('/uploads')) {
      requests.push({ method: request.method(), url: request.url(), offset: request.headers()['upload-offset'] });
    }
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const throttle = (uploadThroughput) =>
    cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput });
  await throttle(SLOW_UPLOAD);
  await page.setInputFiles('#file-input', file);
  await waitUntil('a quarter of the file sent', async () => Number(await page.getAttribute('#upload-panel', 'data-percent')) >= 25, {
    timeout: 30_000,
  });
  // The server goes away mid-request and comes back; the page is left alone. The throttle is lifted
  // only once the server is down: lifted before, the rest of the file can arrive in the shutdown's
  // grace period, and the upload ends in one PATCH.
  await server.restart(() => throttle(-1));
  await page.waitForSelector('#upload-panel[data-state="done"]', { timeout: 60_000 });
  const patches = requests.filter((r) => r.method === 'PATCH');
  assert.equal(requests.filter((r) => r.method === 'POST').length, 1, 'one upload');
  assert.ok(patches.length >= 2, `${patches.length} PATCHes`);
  assert.ok(patches.every((r) => r.url === patches[0].url), 'all to the same upload');
  assert.ok(Number(patches.at(-1).offset) > 0, `the last PATCH went on from ${patches.at(-1).offset}`);
  await waitForVideo(page);
  const served = await page.request.get(`${server.base}${(await (await page.request.get(`${server.base}/api/rooms/${code}`)).json()).video.url}`);
  assert.deepEqual(Buffer.from(await served.body()), readFileSync(file));
  assert.deepEqual(v.errors, [], 'no script errors on the page');
  await v.context.close();
});
