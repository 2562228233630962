// Sync benchmark (a script, not a test): four real Chromium pages play one video for 60 s; every 250 ms
// each non-host page's position is compared with the host's, read at the same instant. Then a few
// seeks from a non-host page measure how long until every page is back within 50 ms of the host.
//
//   node bench/sync-bench.mjs            (needs `cargo build`, `npm ci --prefix tests/browser`)
//   GOBLET_BIN=target/release/goblet SECONDS=60 PAGES=4 node bench/sync-bench.mjs
//
// Target: p95 drift at most 50 ms.

import {
  clickControl,
  createRoom,
  launchBrowser,
  mediaState,
  openViewer,
  sleep,
  startServer,
  testVideo,
  uploadVideo,
  waitForVideo,
} from '../tests/browser/harness.mjs';

const SECONDS = Number(process.env.SECONDS || 60);
const PAGES = Number(process.env.PAGES || 4);
const SAMPLE_MS = 250;
const WARMUP_MS = 3000;
const CONVERGED_MS = 50;
const SEEK_TARGETS = [12, 40, 25, 60];

/** Each non-host page's offset from the host in ms, all read at (nearly) the same instant. */
async function gaps(pages) {
  const states = await Promise.all(pages.map((p) => mediaState(p)));
  const host = states[0];
  return states.slice(1).map((s) => {
    const atHostRead = s.t - (s.paused ? 0 : ((s.at - host.at) / 1000) * s.rate);
    return (atHostRead - host.t) * 1000;
  });
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const fmt = (ms) => `${ms.toFixed(1)} ms`;

async function main() {
  const video = testVideo('webm', Math.ceil(SECONDS + 40));
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const code = await createRoom(server.base);
    await uploadVideo(server.base, code, video);
    const viewers = [];
    for (let i = 0; i < PAGES; i += 1) {
      const v = await openViewer(browser, server.base, code);
      await waitForVideo(v.page);
      viewers.push(v);
    }
    const pages = viewers.map((v) => v.page);
    await pages[0].waitForSelector('body[data-host="me"]');

    await clickControl(pages[0], '.vjs-big-play-button');
    await sleep(WARMUP_MS);

    console.log(`Sampling ${PAGES} pages for ${SECONDS} s every ${SAMPLE_MS} ms…`);
    const drift = [];
    const signed = pages.slice(1).map(() => []);
    const end = Date.now() + SECONDS * 1000;
    while (Date.now() < end) {
      const started = Date.now();
      for (const [i, gap] of (await gaps(pages)).entries()) {
        drift.push(Math.abs(gap));
        signed[i].push(gap);
      }
      await sleep(Math.max(0, SAMPLE_MS - (Date.now() - started)));
    }
    drift.sort((a, b) => a - b);

    const convergence = [];
    for (const target of SEEK_TARGETS) {
      const seeker = pages[1 + (convergence.length % (PAGES - 1))];
      const started = Date.now();
      await seeker.evaluate((t) => window.videojs.getPlayers().video.currentTime(t), target);
      // Converged: every page within CONVERGED_MS of the host on two reads in a row.
      let streak = 0;
      let took = null;
      while (Date.now() - started < 15_000) {
        const ok = (await gaps(pages)).every((g) => Math.abs(g) <= CONVERGED_MS);
        streak = ok ? streak + 1 : 0;
        if (streak === 2) {
          took = Date.now() - started;
          break;
        }
        await sleep(50);
      }
      convergence.push(took);
      await sleep(2000);
    }

    const errors = viewers.flatMap((v) => v.errors);
    console.log(`samples:   ${drift.length} (${PAGES - 1} pages against the host)`);
    console.log(`median:    ${fmt(percentile(drift, 50))}`);
    console.log(`p95:       ${fmt(percentile(drift, 95))}   (target ≤ 50 ms: ${percentile(drift, 95) <= 50 ? 'met' : 'MISSED'})`);
    console.log(`max:       ${fmt(drift.at(-1))}`);
    // A steady bias (rather than noise) points at the clock estimate or at heartbeat latency.
    const medians = signed.map((g) => percentile([...g].sort((a, b) => a - b), 50));
    console.log(`median signed gap per page (+ ahead of the host): ${medians.map(fmt).join(', ')}`);
    console.log(
      `converge after a seek (to within ${CONVERGED_MS} ms): ${convergence.map((c) => (c === null ? 'no (15 s)' : `${c} ms`)).join(', ')}`,
    );
    if (errors.length) console.log(`page errors: ${errors.join('; ')}`);
  } finally {
    await browser.close();
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
