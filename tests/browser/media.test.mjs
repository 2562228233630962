// Uploads the server makes playable (ffmpeg): real headless Chromium pages against a real server. The
// page shows the conversion's progress with a Cancel button, then plays the MP4 with its poster frame.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRoom, launchBrowser, openViewer, startServer, testVideo, uploadVideo, waitForVideo } from './harness.mjs';

let browser;
let scratch;
const servers = [];

before(async () => {
  testVideo('mp4');
  browser = await launchBrowser();
  scratch = mkdtempSync(join(tmpdir(), 'goblet-media-'));
});

after(async () => {
  await browser?.close();
  for (const server of servers) await server.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** A test-pattern file with a tone made by ffmpeg: `codecs` are its output options. */
function make(name, seconds, size, codecs) {
  const file = join(scratch, name);
  execFileSync('ffmpeg', [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=15:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`,
    ...codecs, '-shortest', file,
  ]);
  return file;
}

async function server(env = {}) {
  const started = await startServer({ env });
  servers.push(started);
  return started;
}

test('17. an HEVC/AC-3 MKV uploaded through the page shows its conversion, then plays as MP4 with a poster', { timeout: 120_000 }, async () => {
  const { base } = await server();
  const code = await createRoom(base);
  const a = await openViewer(browser, base, code);
  const b = await openViewer(browser, base, code);
  const mkv = make('film.mkv', 2, '320x240', [
    '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-pix_fmt', 'yuv420p', '-c:a', 'ac3',
  ]);
  await a.page.setInputFiles('#file-input', mkv);
  // Both pages list the job (the other page has no Cancel: it neither uploaded it nor is host or owner).
  await a.page.waitForSelector('#processing-list li[data-job] >> text=film.mkv', { timeout: 30_000 });
  await b.page.waitForSelector('#processing-list li[data-job] >> text=film.mkv', { timeout: 30_000 });
  for (const v of [a, b]) {
    await waitForVideo(v.page, 90_000);
    const state = await v.page.evaluate(() => ({
      src: document.querySelector('video').currentSrc,
      poster: document.querySelector('video').getAttribute('poster'),
      title: document.getElementById('video-title').textContent,
    }));
    assert.match(state.src, /\/media\/\d+\.mp4$/);
    assert.match(state.poster ?? '', /\/media\/\d+\.jpg$/);
    assert.equal(state.title.trim(), 'film.mkv');
  }
  await a.page.waitForSelector('#processing-list li[data-state="ready"]');
  assert.deepEqual([...a.errors, ...b.errors], []);
  await a.context.close();
  await b.context.close();
});

test('18. a conversion cancelled from the page leaves the room on its video', { timeout: 120_000 }, async () => {
  // The slowest x264 preset on a longer file: the conversion is still running when Cancel is pressed.
  const { base } = await server({ GOBLET_TRANSCODE_PRESET: 'placebo', GOBLET_MAX_UPLOAD_BYTES: String(256 * 1024 * 1024) });
  const code = await createRoom(base);
  await uploadVideo(base, code, testVideo('mp4'));
  const host = await openViewer(browser, base, code);
  await waitForVideo(host.page);
  const guest = await openViewer(browser, base, code);
  const ts = make('long.ts', 20, '640x360', ['-c:v', 'mpeg2video', '-q:v', '4', '-c:a', 'mp2']);
  await guest.page.setInputFiles('#file-input', ts);
  const row = '#processing-list li[data-state="progress"]';
  await host.page.waitForSelector(row, { timeout: 60_000 });
  // The host may cancel the guest's upload.
  await host.page.click(`${row} button:has-text("Cancel")`);
  await guest.page.waitForSelector('#processing-list li[data-state="cancelled"]');
  assert.equal((await host.page.textContent('#video-title')).trim(), 'clock-20s.mp4', 'the room keeps its video');
  const listed = await fetch(`${base}/api/rooms/${code}`).then((r) => r.json());
  assert.match(listed.video.url, /\/media\/\d+\.mp4$/);
  assert.deepEqual([...host.errors, ...guest.errors], []);
  await host.context.close();
  await guest.context.close();
});

test('19. a file cut short after its header fails, and the page says why', { timeout: 120_000 }, async () => {
  const { base } = await server();
  const code = await createRoom(base);
  await uploadVideo(base, code, testVideo('mp4'));
  const a = await openViewer(browser, base, code);
  await waitForVideo(a.page);
  const whole = make('whole.mkv', 2, '320x240', [
    '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-pix_fmt', 'yuv420p', '-c:a', 'ac3',
  ]);
  // The header (tracks, codecs, duration) stays whole, so ffprobe reads it; no frame follows.
  const cut = join(scratch, 'cut.mkv');
  writeFileSync(cut, readFileSync(whole).subarray(0, 4000));
  await a.page.setInputFiles('#file-input', cut);
  const failed = '#processing-list li[data-state="failed"]';
  await a.page.waitForSelector(failed, { timeout: 60_000 });
  assert.match(await a.page.textContent(`${failed} .upload-error`), /^Failed: nothing in the file could be converted/);
  await a.page.waitForSelector('.toast >> text=cut.mkv could not be made playable');
  assert.equal((await a.page.textContent('#video-title')).trim(), 'clock-20s.mp4', 'the room keeps its video');
  await a.page.click(`${failed} button:has-text("Dismiss")`);
  await a.page.waitForSelector('#processing-list', { state: 'hidden' });
  assert.deepEqual(a.errors, []);
  await a.context.close();
});
