// The Content-Security-Policy against the real pages: nothing they load or run is refused (the
// browser reports each refusal as a `securitypolicyviolation` event), and what the policy is there
// to stop is stopped.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRoom, launchBrowser, openViewer, startServer, testVideo, uploadVideo, waitForVideo, waitUntil } from './harness.mjs';

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

/** Records the page's policy violations in `window.__violations`, from before its scripts run. */
function recordViolations() {
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
  });
}

const violations = (page) => page.evaluate(() => window.__violations);

/**
 * YouTube cannot be reached from here: its API script and player frame are answered by stand-ins,
 * at their real addresses, so the policy is what decides whether the page may load them.
 */
const YOUTUBE_API = `
  window.YT = { PlayerState: {}, Player: class {
    constructor(mount, options) {
      const frame = document.createElement('iframe');
      frame.src = 'https://www.youtube.com/embed/' + options.videoId;
      frame.className = 'stand-in-youtube';
      (typeof mount === 'string' ? document.getElementById(mount) : mount).replaceWith(frame);
      setTimeout(() => options.events.onReady({ target: this }), 20);
    }
    cueVideoById() {} getCurrentTime() { return 0; } getDuration() { return 0; }
    getPlaybackRate() { return 1; } setPlaybackRate() {} playVideo() {} pauseVideo() {}
    seekTo() {} stopVideo() {} destroy() {}
  } };
  window.onYouTubeIframeAPIReady();
`;

test('m. the pages load everything they use under the Content-Security-Policy', { timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  await context.addInitScript(recordViolations);
  await context.route(/youtube\.com/, (route) =>
    route.request().url().includes('iframe_api')
      ? route.fulfill({ contentType: 'text/javascript', body: YOUTUBE_API })
      : route.fulfill({ contentType: 'text/html', body: '<p>player</p>' }),
  );

  const landing = await context.newPage();
  await landing.goto(server.base);
  await landing.waitForSelector('#start');
  assert.deepEqual(await violations(landing), [], 'landing page');

  const code = await createRoom(server.base);
  await uploadVideo(server.base, code, testVideo('webm'));
  const v = await openViewer(browser, server.base, code, { context });
  await waitForVideo(v.page);
  await v.page.evaluate(() => document.querySelector('video').play());
  await waitUntil('the video to play', () => v.page.evaluate(() => !document.querySelector('video').paused));
  assert.deepEqual(await violations(v.page), [], 'room page with VideoJS playing an upload');

  // A YouTube link: the API script and the player frame come from youtube.com.
  await v.page.fill('#link-url', 'https://www.youtube.com/watch?v=dQw4w9WgXcQ');
  await v.page.click('#link-submit');
  await v.page.waitForSelector('iframe.stand-in-youtube', { timeout: 10_000 });
  assert.deepEqual(await violations(v.page), [], 'room page with the YouTube player');

  // What the policy is for: a script from elsewhere, or written inline, does not run.
  const blocked = await v.page.evaluate(async () => {
    window.__ran = [];
    const inline = document.createElement('script');
    inline.textContent = 'window.__ran.push("inline")';
    document.head.append(inline);
    const foreign = document.createElement('script');
    foreign.src = 'https://evil.example/x.js';
    document.head.append(foreign);
    await new Promise((done) => setTimeout(done, 200));
    return { ran: window.__ran, violations: window.__violations };
  });
  assert.deepEqual(blocked.ran, [], 'no inline script ran');
  assert.ok(blocked.violations.some((v) => v.startsWith('script-src')), blocked.violations.join('; '));
  assert.deepEqual(v.errors, [], 'no script errors on the page');
  await context.close();
});
