// Subtitles in the real player: a track the room lists shows up in every page's VideoJS captions menu,
// each viewer turns it on for themselves, its cue shows, and the page's "Add subtitles" button adds one.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  clickControl,
  createRoom,
  launchBrowser,
  openViewer,
  startServer,
  testVideo,
  uploadVideo,
  waitForVideo,
  waitUntil,
} from './harness.mjs';

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

// Latin-1 on purpose: the page must get the accents back from the server's WebVTT.
const SRT = Buffer.concat([
  Buffer.from('1\r\n00:00:00,000 --> 00:00:30,000\r\n<i>Bonjour</i> '),
  Buffer.from([0xe0]), // à
  Buffer.from(' tous\r\n'),
]);

/** The player's text tracks: label, language, mode and the text of the active cues. */
function textTracks(page) {
  return page.evaluate(() => {
    // VideoJS's lists are array-like, not iterable.
    const all = (list) => Array.from({ length: list?.length ?? 0 }, (_, i) => list[i]);
    const player = window.videojs.getPlayer(document.querySelector('.video-js'));
    return all(player.textTracks()).map((track) => ({
      label: track.label,
      language: track.language,
      kind: track.kind,
      mode: track.mode,
      active: all(track.activeCues).map((cue) => cue.text),
    }));
  });
}

test('s1. a track uploaded over REST appears in every player; a viewer picks it and its cue shows', { timeout: 90_000 }, async () => {
  const code = await createRoom(server.base);
  await uploadVideo(server.base, code, testVideo('webm'));
  const a = await openViewer(browser, server.base, code);
  const b = await openViewer(browser, server.base, code);
  await waitForVideo(a.page);
  await waitForVideo(b.page);

  const response = await fetch(`${server.base}/api/rooms/${code}/subtitles?name=Fran%C3%A7ais.srt&language=fr`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream' },
    body: SRT,
  });
  assert.equal(response.status, 201, await response.clone().text());

  for (const viewer of [a, b]) {
    await waitUntil('the track in the player', async () =>
      (await textTracks(viewer.page)).some((t) => t.label === 'Français' && t.language === 'fr' && t.kind === 'subtitles'),
    );
  }
  // Nobody's subtitles are on until they pick them.
  const before = (await textTracks(a.page)).find((t) => t.label === 'Français');
  assert.notEqual(before.mode, 'showing');

  // A presses play (VideoJS shows its control bar once a video has started), then picks the track in the
  // captions menu, as a person would.
  await a.page.click('.vjs-big-play-button');
  await waitUntil('A to play', () => a.page.evaluate(() => !document.querySelector('video').paused));
  await clickControl(a.page, '.vjs-control-bar button.vjs-subs-caps-button');
  await a.page.click('.vjs-subs-caps-button .vjs-menu-item:has-text("Français")');
  const shown = await waitUntil(
    'the cue to show',
    async () => {
      const track = (await textTracks(a.page)).find((t) => t.label === 'Français');
      return track.mode === 'showing' && track.active.length > 0 && track;
    },
    { timeout: 10_000 },
  );
  assert.deepEqual(shown.active, ['<i>Bonjour</i> à tous']);
  // And the player draws it, in italics.
  await a.page.waitForFunction(() => {
    const display = document.querySelector('.vjs-text-track-display');
    return display?.textContent.includes('Bonjour à tous') && display.querySelector('i')?.textContent === 'Bonjour';
  });
  // B has the track too, off: the choice was A's alone.
  const onB = (await textTracks(b.page)).find((t) => t.label === 'Français');
  assert.notEqual(onB.mode, 'showing');
  assert.deepEqual(a.errors, []);
  assert.deepEqual(b.errors, []);

  // B adds a second track with the page's button; A's choice stays as it was.
  const [chooser] = await Promise.all([b.page.waitForEvent('filechooser'), b.page.click('#subtitles-button')]);
  await chooser.setFiles({
    name: 'Movie.en.srt',
    mimeType: 'application/x-subrip',
    buffer: Buffer.from('1\n00:00:00,000 --> 00:00:30,000\nHello everyone\n'),
  });
  await waitUntil('the second track on A', async () =>
    (await textTracks(a.page)).some((t) => t.label === 'Movie.en' && t.language === 'en'),
  );
  const still = (await textTracks(a.page)).find((t) => t.label === 'Français');
  assert.equal(still.mode, 'showing');

  // Removed from the room: gone from every player.
  const [first] = await (await fetch(`${server.base}/api/rooms/${code}/subtitles`)).json();
  // The room was made and the track added without a cookie; A, the first page in, is the host and may
  // remove it.
  const removed = await a.page.evaluate(
    (url) => fetch(url, { method: 'DELETE' }).then((r) => r.status),
    first.url,
  );
  assert.equal(removed, 204);
  for (const viewer of [a, b]) {
    await waitUntil('the track to go', async () => !(await textTracks(viewer.page)).some((t) => t.label === 'Français'));
  }
  await a.context.close();
  await b.context.close();
});
