// Sync benchmark (a script, not a test): real Chromium pages play one 720p clip (about 4 Mbit/s) in one
// room, and we measure how closely they agree, scenario by scenario:
//
//   loopback  four pages straight to the server, clocks untouched
//   net       each page behind its own TCP relay (tests/browser/relay.mjs) adding round trips of
//             20/80/150/250 ms +-20 ms of jitter, and each page's clock shifted by -2 s/0/+1.5 s/+3 s (an
//             init script moves Date.now and performance.timeOrigin)
//   capped    as net, and the last page's media capped below the clip's bitrate
//   stall     as net, the last page's media capped at 1.5 times the bitrate (little ahead at most),
//             and its media connections stalled for 4 s (so it really runs out of data); in full mode
//             three more stalls follow, to count how often one page that keeps stalling pauses the room
//
// --quick (test.sh, about 2 minutes): loopback and net with short sampling and one trial of each, and
// the stall scenario's stall alone.
//
// Per scenario: the largest gap between any two pages (sampled every 250 ms, positions read at one
// instant) p50/p95/max; the start spread after a play (first to last page actually moving, each page's
// start taken as when its timeline passed the room's play position); seek convergence (until every page is within 100 ms of the others); a late
// joiner's landing error one and three seconds after its video was ready; for the stall, how long the
// room waited and how often, and whether it ever stayed stuck. Figures only: nothing fails on a timing.
//
//   node bench/sync-bench.mjs [--quick] [--scenarios loopback,net,capped,stall]
//   GOBLET_BIN=target/release/goblet node bench/sync-bench.mjs
// (needs `cargo build` and `npm ci --prefix tests/browser`; ffmpeg makes the clip once.)

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRoom, launchBrowser, sleep, startServer, uploadVideo, videosDir, waitForVideo } from '../tests/browser/harness.mjs';
import { Relay } from '../tests/browser/relay.mjs';

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const chosen = args.includes('--scenarios') ? args[args.indexOf('--scenarios') + 1].split(',') : null;
const SCENARIOS = chosen ?? (QUICK ? ['loopback', 'net', 'stall'] : ['loopback', 'net', 'capped', 'stall']);
const SAMPLE_SECONDS = QUICK ? 6 : 40;
const START_TRIALS = QUICK ? 1 : 3;
const SEEK_TARGETS = QUICK ? [20] : [20, 45, 30];
const REPEATED_STALLS = QUICK ? 0 : 3;
const CLIP_SECONDS = QUICK ? 80 : 180;
const SAMPLE_MS = 250;
const CONVERGED_MS = 100;
const BITRATE_KBPS = 4000;
/** The stalling page's media cap: 1.5 times the bitrate, so it holds only a few seconds ahead. */
const STALL_CAP_KBPS = 1.5 * BITRATE_KBPS;

/** The four pages' networks in the network scenarios: round trip, clock skew. */
const NETWORK = [
  { rttMs: 20, skewMs: -2000 },
  { rttMs: 80, skewMs: 0 },
  { rttMs: 150, skewMs: 1500 },
  { rttMs: 250, skewMs: 3000 },
];
const JITTER_MS = 40; // +-20 ms on the round trip
const LATE_JOINER = { rttMs: 150, skewMs: 1000 };

const TARGETS = {
  gap: 'p95 ≤ 30 ms',
  start: '≤ 50 ms',
  seek: '≤ 1 s',
  join: '≤ 100 ms, then ≤ 50 ms',
  stall: 'waits ≤ 8 s, never stuck; ≤ 2 waits per page in 5 min',
};

/** A 720p H.264 clip of about 4 Mbit/s (noise keeps the encoder from undershooting), made once. */
function clip() {
  mkdirSync(videosDir, { recursive: true });
  const file = join(videosDir, `sync-720p-${CLIP_SECONDS}s.mp4`);
  if (existsSync(file)) return file;
  const video = `testsrc2=size=1280x720:rate=30:duration=${CLIP_SECONDS},noise=alls=12:allf=t`;
  const audio = `sine=frequency=440:sample_rate=48000:duration=${CLIP_SECONDS},volume=0.05`;
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', video, '-f', 'lavfi', '-i', audio, '-shortest',
    '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-preset', 'ultrafast', '-b:v', `${BITRATE_KBPS}k`,
    '-maxrate', `${BITRATE_KBPS}k`, '-bufsize', `${BITRATE_KBPS}k`, '-g', '30',
    '-c:a', 'aac', '-b:a', '64k', '-movflags', '+faststart', `${file}.part.mp4`,
  ]);
  execFileSync('mv', [`${file}.part.mp4`, file]);
  return file;
}

/**
 * Runs in every page before its scripts: shifts the page's clocks by `skew` ms and keeps the true one
 * (`__benchNow`) for the bench's readings, which must compare pages on one clock.
 */
function skewClocks(skew) {
  const origin = performance.timeOrigin;
  window.__benchNow = () => origin + performance.now();
  Object.defineProperty(performance, 'timeOrigin', { get: () => origin + skew, configurable: true });
  const dateNow = Date.now.bind(Date);
  Date.now = () => dateNow() + skew;
}

async function openPage(browser, server, code, network, relays) {
  let origin = server.base;
  if (network) {
    const url = new URL(server.base);
    const relay = await new Relay({
      listenHost: `127.0.0.${10 + relays.length}`,
      target: { host: url.hostname, port: Number(url.port) },
      rttMs: network.rttMs,
      jitterMs: JITTER_MS,
      downKbps: network.downKbps ?? null,
    }).listen();
    relays.push(relay);
    origin = relay.origin;
  }
  const context = await browser.newContext({ viewport: { width: 960, height: 600 } });
  await context.addInitScript(skewClocks, network?.skewMs ?? 0);
  const page = await context.newPage();
  const viewer = { context, page, relay: network ? relays.at(-1) : null, errors: [], frames: [] };
  page.on('pageerror', (error) => viewer.errors.push(error.message));
  page.on('websocket', (ws) => {
    ws.on('framereceived', ({ payload }) => {
      try {
        const message = JSON.parse(String(payload));
        if (['wait', 'wait_over', 'catch_up', 'play'].includes(message.type)) viewer.frames.push({ ...message, seen: Date.now() });
      } catch {
        // Not JSON.
      }
    });
  });
  await page.goto(`${origin}/r/${code}`);
  await page.waitForSelector('#connection[data-state="open"]', { timeout: 20_000 });
  return viewer;
}

/** Each page's player, read on the true clock. */
function read(page) {
  return page.evaluate(() => {
    const v = document.querySelector('video');
    return { t: v.currentTime, paused: v.paused, seeking: v.seeking, rate: v.playbackRate, at: window.__benchNow() };
  });
}

/** Positions projected to one instant (the latest read): seconds. */
function aligned(states) {
  const instant = Math.max(...states.map((s) => s.at));
  return states.map((s) => s.t + (s.paused || s.seeking ? 0 : ((instant - s.at) / 1000) * s.rate));
}

async function largestGapMs(pages) {
  const positions = aligned(await Promise.all(pages.map(read)));
  return (Math.max(...positions) - Math.min(...positions)) * 1000;
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const ms = (value) => (value === null || value === undefined ? '—' : `${Math.round(value)} ms`);
const secs = (value) => (value === null || value === undefined ? '—' : `${(value / 1000).toFixed(2)} s`);

/** Pages that all play (not paused, not seeking) and agree within CONVERGED_MS, twice in a row. */
async function waitConverged(pages, timeoutMs) {
  const started = Date.now();
  let streak = 0;
  let first = null;
  while (Date.now() - started < timeoutMs) {
    const states = await Promise.all(pages.map(read));
    const positions = aligned(states);
    const ok =
      states.every((s) => !s.paused && !s.seeking) && (Math.max(...positions) - Math.min(...positions)) * 1000 <= CONVERGED_MS;
    if (ok) {
      first ??= Date.now();
      streak += 1;
      if (streak === 2) return first - started;
    } else {
      streak = 0;
      first = null;
    }
    await sleep(50);
  }
  return null;
}

/**
 * Arms each page to note when its video last started moving (true clock, and its position then): a
 * poll every 2 ms that forgets a start whenever the video is paused or seeking again. The host's own
 * press starts its video for a few ms before its page holds it for the scheduled start, and that
 * moment is not the room's start.
 */
async function armStarts(pages) {
  await Promise.all(
    pages.map((page) =>
      page.evaluate(() => {
        const v = document.querySelector('video');
        let held = v.currentTime;
        window.__moved = null;
        clearInterval(window.__startTimer);
        window.__startTimer = setInterval(() => {
          if (v.paused || v.seeking) {
            held = v.currentTime;
            window.__moved = null;
          } else if (!window.__moved && v.currentTime >= held + 0.002) {
            window.__moved = { at: window.__benchNow(), t: v.currentTime, rate: v.playbackRate };
          }
        }, 2);
      }),
    ),
  );
}

/**
 * When each page's timeline passed `position` (the room's start position, from the play message),
 * extrapolated back from its first reading after it started: null for a page that had not started.
 */
async function startTimes(pages, position) {
  const moved = await Promise.all(
    pages.map((page) => page.evaluate(() => (clearInterval(window.__startTimer), window.__moved))),
  );
  return moved.map((m) => (m ? m.at - ((m.t - position) / m.rate) * 1000 : null));
}

/** The position of the latest `play` the viewer's page was sent since `since` (null: none came). */
function playedFrom(viewer, since) {
  const frame = viewer.frames.findLast((f) => f.type === 'play');
  return frame && frame.seen >= since ? frame.position : null;
}

/** Presses play or pause in the page the way a script on the page would (the player reports it). */
const press = (page, what) => page.evaluate((action) => document.querySelector('video')[action](), what);
const seekIn = (page, to) => page.evaluate((t) => (document.querySelector('video').currentTime = t), to);

async function runScenario(name, browser, server, video) {
  const networked = name !== 'loopback';
  const networks = NETWORK.map((n, i) => ({ ...n }));
  if (name === 'capped') networks[3].downKbps = Math.round(BITRATE_KBPS * 0.75);
  if (name === 'stall') networks[3].downKbps = STALL_CAP_KBPS;
  const relays = [];
  const viewers = [];
  const result = { name };
  try {
    const code = await createRoom(server.base);
    await uploadVideo(server.base, code, video);
    for (const network of networks) {
      const viewer = await openPage(browser, server, code, networked ? network : null, relays);
      await waitForVideo(viewer.page, 30_000);
      viewers.push(viewer);
    }
    const pages = viewers.map((v) => v.page);
    await pages[0].waitForSelector('body[data-host="me"]');

    // Quick mode's stall scenario measures the stall alone (the net scenario has the rest).
    if (QUICK && name === 'stall') {
      await press(pages[0], 'play');
      await waitConverged(pages, 15_000);
    } else {
      // Play, settle, then sample the largest gap.
      await press(pages[0], 'play');
      await waitConverged(pages, 15_000);
      await sleep(2000);
      const gaps = [];
      const end = Date.now() + SAMPLE_SECONDS * 1000;
      while (Date.now() < end) {
        const started = Date.now();
        gaps.push(await largestGapMs(pages));
        await sleep(Math.max(0, SAMPLE_MS - (Date.now() - started)));
      }
      result.gap = { p50: percentile(gaps, 50), p95: percentile(gaps, 95), max: Math.max(...gaps), n: gaps.length };

      // Start spread: pause, let every page settle on the frame, play from the host.
      const spreads = [];
      for (let i = 0; i < START_TRIALS; i += 1) {
        await press(pages[0], 'pause');
        await sleep(2500);
        await armStarts(pages);
        const pressed = Date.now();
        await press(pages[0], 'play');
        await sleep(3000);
        const position = playedFrom(viewers[0], pressed);
        const starts = position === null ? pages.map(() => null) : await startTimes(pages, position);
        spreads.push(starts.every((s) => s !== null) ? Math.max(...starts) - Math.min(...starts) : null);
      }
      result.start = spreads;

      // Seeks from a non-host page while playing.
      const seeks = [];
      for (const [i, target] of SEEK_TARGETS.entries()) {
        const started = Date.now();
        await seekIn(pages[1 + (i % 3)], target);
        const took = await waitConverged(pages, 10_000);
        seeks.push(took);
        await sleep(1500);
      }
      result.seek = seeks;

      // A late joiner: its gap to the others one and three seconds after its video was ready.
      const joiner = await openPage(browser, server, code, networked ? LATE_JOINER : null, relays);
      viewers.push(joiner);
      await waitForVideo(joiner.page, 30_000);
      const ready = Date.now();
      const joinGap = async () => {
        const positions = aligned(await Promise.all([...pages, joiner.page].map(read)));
        const others = positions.slice(0, -1).sort((a, b) => a - b);
        const middle = (others[1] + others[2]) / 2;
        return Math.abs(positions.at(-1) - middle) * 1000;
      };
      await sleep(Math.max(0, ready + 1000 - Date.now()));
      const atOne = await joinGap();
      let bestByThree = atOne;
      while (Date.now() < ready + 3000) {
        bestByThree = Math.min(bestByThree, await joinGap());
        await sleep(100);
      }
      result.join = { atOne, atThree: await joinGap(), bestByThree };
      await joiner.context.close();
      viewers.pop();
    }

    if (name === 'stall') result.stall = await stalls(pages, viewers);
    // Waits seen in any scenario (a capped page makes some): from the host's socket.
    result.waits = waitsOf(viewers[0].frames);
    result.errors = viewers.flatMap((v) => v.errors);
  } finally {
    for (const viewer of viewers) await viewer.context.close().catch(() => {});
    for (const relay of relays) await relay.close();
  }
  return result;
}

/** Waits in the order the host saw them: [{ms, reason}], an open one with reason null. */
function waitsOf(frames) {
  const waits = [];
  let open = null;
  for (const frame of frames) {
    if (frame.type === 'wait' && !open) open = frame;
    if (frame.type === 'wait_over' && open) {
      waits.push({ ms: frame.seen - open.seen, reason: frame.reason });
      open = null;
    }
  }
  if (open) waits.push({ ms: Date.now() - open.seen, reason: null });
  return waits;
}

/**
 * The last page runs out of data: a seek leaves every page with little buffered, and once they all play
 * in step its media connections are held for 4 s. In full mode, three more rounds 10 s apart, to count
 * how often one page that keeps stalling pauses the room.
 */
async function stalls(pages, viewers) {
  const staller = viewers[3];
  const host = viewers[0];
  const before = host.frames.length;
  let stuck = false;
  let backInStep = null;
  let unsettled = 0; // stalls begun before the pages played in step after the seek
  for (let round = 0; round <= REPEATED_STALLS; round += 1) {
    await seekIn(pages[1], 40 + round * 20);
    // The capped page may fall behind after the seek and make the room wait already: a stall begun
    // then would be counted in that wait. Give it time to settle; say so if it never did.
    let settled = false;
    for (let tries = 0; tries < 3 && !settled; tries += 1) settled = (await waitConverged(pages, 10_000)) !== null;
    if (!settled) unsettled += 1;
    staller.relay.stall(4000);
    await sleep(4000);
    const stallEnded = Date.now();
    // Stuck: the room (the host's page) not playing again, or a wait still open, 15 s after the stall.
    let playingAgain = false;
    while (Date.now() - stallEnded < 15_000) {
      const waiting = waitsOf(host.frames.slice(before)).some((w) => w.reason === null);
      if (!waiting && !(await read(pages[0])).paused) {
        playingAgain = true;
        break;
      }
      await sleep(100);
    }
    stuck ||= !playingAgain;
    const took = await waitConverged(pages, 15_000);
    if (round === 0) backInStep = took === null ? null : Date.now() - stallEnded;
    if (round < REPEATED_STALLS) await sleep(5000);
  }
  const all = waitsOf(host.frames.slice(before));
  return {
    firstWait: all[0]?.ms ?? null,
    firstReason: all[0]?.reason ?? null,
    stuck,
    backInStep,
    stallsMade: 1 + REPEATED_STALLS,
    unsettled,
    waits: all.length,
    catchUp: staller.frames.some((f) => f.type === 'catch_up'),
  };
}

function report(results) {
  console.log(`\nSync benchmark (${QUICK ? 'quick' : 'full'}), ${new Date().toISOString().slice(0, 10)}: 4 Chromium pages, a 720p clip of about ${BITRATE_KBPS / 1000} Mbit/s`);
  console.log(
    'net: round trips 20/80/150/250 ms +-20 ms, clocks -2/0/+1.5/+3 s; capped: net, the 250 ms page capped at ' +
      `${Math.round(BITRATE_KBPS * 0.75)} kbit/s; stall: net, that page's media capped at ${STALL_CAP_KBPS} kbit/s and held 4 s`,
  );
  const column = (r) => r.name;
  const row = (label, f, target) => `| ${label} | ${results.map(f).join(' | ')} | ${target} |`;
  const lines = [
    `| | ${results.map(column).join(' | ')} | Target |`,
    `|---|${results.map(() => '---').join('|')}|---|`,
    row('Largest gap p50 / p95 / max', (r) => (r.gap ? `${ms(r.gap.p50)} / ${ms(r.gap.p95)} / ${ms(r.gap.max)}` : '—'), TARGETS.gap),
    row('Start spread after a play', (r) => r.start?.map(ms).join(', ') ?? '—', TARGETS.start),
    row('Seek: all within 100 ms after', (r) => r.seek?.map((s) => (s === null ? 'no (10 s)' : secs(s))).join(', ') ?? '—', TARGETS.seek),
    row('Late joiner off at +1 s / +3 s', (r) => (r.join ? `${ms(r.join.atOne)} / ${ms(r.join.atThree)}` : '—'), TARGETS.join),
    row(
      'Room waited (waits)',
      (r) => {
        const waits = r.waits.map((w) => `${secs(w.ms)}${w.reason ? ` ${w.reason}` : ' open'}`).join(', ') || 'none';
        if (!r.stall) return waits;
        const s = r.stall;
        const back = s.backInStep === null ? 'not back in step' : `all in step ${secs(s.backInStep)} after the stall`;
        return `${waits}; ${s.waits} waits for ${s.stallsMade} stalls${s.stuck ? ', STUCK' : ', never stuck'}, ${back}${s.catchUp ? ', catch_up sent' : ''}${s.unsettled ? `, ${s.unsettled} begun out of step` : ''}`;
      },
      TARGETS.stall,
    ),
  ];
  console.log(`\n${lines.join('\n')}`);
  const errors = results.flatMap((r) => r.errors);
  if (errors.length) console.log(`\npage errors: ${[...new Set(errors)].join('; ')}`);
}

async function main() {
  const video = clip();
  const server = await startServer();
  const browser = await launchBrowser();
  const results = [];
  try {
    for (const name of SCENARIOS) {
      const began = Date.now();
      console.log(`scenario ${name}…`);
      results.push(await runScenario(name, browser, server, video));
      console.log(`  done in ${Math.round((Date.now() - began) / 1000)} s`);
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  report(results);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
