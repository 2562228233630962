// The room page: wires the player, the socket and the controls together.
//
// How playback stays in step:
// - `reference` is the room's playback state as we last heard it ({playing, position, rate, updated_at},
//   server clock). Commands (play/pause/seek) replace it; the host's heartbeats refine its position.
// - A local user action replaces it at once and goes to the server, which echoes it to everyone.
// - Applying a remote command registers it with the echo guard first, so the player event it causes
//   is not sent back.
// - Every TICK_MS a non-host compares its player with the reference and seeks or nudges its rate
//   (sync.js decides); the host instead reports its position about once a second.

import { ClockOffset, expectedPosition, decideDrift, DRIFT, EchoGuard, SeekLead, acceptHeartbeat } from './sync.js';
import { roomPlayer } from './players.js';
import { ReconnectingSocket } from './socket.js';
import { api } from './http.js';
import { uploadFile } from './upload.js';
import { toast } from './toast.js';
import { formatTime, formatBytes, formatEta, uploadStats } from './format.js';
import { myName } from './identity.js';
import { setupSocial } from './social.js';
import { wireLinkForm } from './video-link.js';

const TICK_MS = 250;
const HEARTBEAT_MS = 1000;
/**
 * Right after a command the host follows it like everyone else (its own seek lands a little off too),
 * and only then starts leading again with heartbeats: otherwise the others would chase the command's
 * timeline while the host sat a few dozen ms away from it, until the next heartbeat.
 */
const HOST_LEADS_AFTER_MS = 2000;
const PING_EVERY_MS = 5000;
/** After a seek the player's clock needs a moment before its readings mean anything. */
const SETTLE_AFTER_SEEK_MS = 400;

const code = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() || '');
const roomApi = `/api/rooms/${encodeURIComponent(code)}`;
const now = () => performance.timeOrigin + performance.now();
const $ = (id) => document.getElementById(id);

const clock = new ClockOffset();
const guard = new EchoGuard();
const seekLead = new SeekLead();
// How long a paused player takes from play() to a moving clock: about 80 ms in Chromium.
const startLead = new SeekLead({ initial: 0.08, max: 0.5 });

const state = {
  me: null,
  host: null,
  video: null,
  loadedVideoId: null,
  reference: null,
  lastCommandAt: -Infinity, // server ms of the last play/pause/seek
  ownInFlight: 0, // our commands the server has not echoed yet
  viewers: null, // Map client_id -> viewer, null before the first list
  viewerCount: 0, // everyone in the room; the list above may be cut short by the server
  settleUntil: 0,
  joining: false, // paused on a frame ahead of the room, waiting for it to arrive (joinAhead)
  joinToken: 0,
  joinTimer: null,
  startCheck: null, // seconds we started early after joinAhead, until its landing is measured
  leadCheck: null, // seconds we aimed ahead on our last seek while playing, until its landing is measured
  lastHeartbeatAt: 0,
};

let player;
let socket;
let social; // chat, names, room name: social.js
let loadToken = 0;

const isHost = () => state.me !== null && state.host === state.me;
const serverNow = () => clock.toServer(now());
/**
 * The server stamps a position with the time it *receives* it. While we play, the video moves on during
 * the trip, so positions we report while playing are projected forward by half the best round trip;
 * without this every follower would trail the host by the host's one-way latency.
 */
const inTransit = () => (clock.rtt ?? 0) / 2000;

function viewerLabel(viewer) {
  const name = viewer.name || (viewer.client_id === state.me && myName()) || `Guest ${viewer.client_id.slice(0, 4)}`;
  return viewer.client_id === state.me ? `${name} (you)` : name;
}

function labelFor(clientId) {
  const viewer = state.viewers?.get(clientId);
  if (viewer) return viewerLabel(viewer);
  return clientId === state.me ? 'You' : `Guest ${String(clientId).slice(0, 4)}`;
}

// ---- Playback -------------------------------------------------------------------------------------

/** Seeks the player (not the room). `lead`: how far ahead of the room we aimed, to learn from. */
function seekTo(position, lead = null) {
  guard.expect('seek', position, now());
  state.settleUntil = now() + SETTLE_AFTER_SEEK_MS;
  state.leadCheck = lead;
  player.seek(position);
}

/**
 * Brings the player to the reference at once: used when a command, snapshot or new source arrives.
 * `exact` (a seek command) moves even a small distance: someone asked for that very spot.
 */
function applyReference({ exact = false } = {}) {
  const ref = state.reference;
  if (!ref || !player.ready || state.loadedVideoId !== state.video?.id) return;
  cancelJoin();
  const target = expectedPosition(ref, serverNow(), player.duration);
  const atEnd = target >= player.duration - 0.05;
  if (!ref.playing || atEnd) {
    player.rate = 1;
    if (player.blocked) player.dismissJoin();
    if (!player.paused) {
      guard.expect('pause', player.time, now());
      player.pause();
    }
    if (Math.abs(player.time - target) > DRIFT.pausedTolerance / 2) seekTo(target);
    return;
  }
  if (player.paused) {
    if (player.blocked) return;
    if (Math.abs(player.time - target) <= DRIFT.nudgeAbove) startPlaying();
    else joinAhead(target);
    return;
  }
  if (Math.abs(player.time - target) > DRIFT.seekAbove || exact) {
    // Aim where the room will be once the seek is done.
    const aim = Math.min(target + seekLead.value, player.duration);
    if (Math.abs(player.time - aim) > DRIFT.nudgeAbove) seekTo(aim, seekLead.value);
  }
}

/**
 * Joining a playing room from a paused player (a late join, a reload, a click on the join button):
 * seek a little past where the room is, wait for the frame to be ready, then start at the moment the
 * room reaches it. Overshooting costs only a short wait on a still frame; a seek aimed at "now" always
 * lands behind by however long the seek and the start took.
 */
function joinAhead(target) {
  const aim = Math.min(target + Math.max(0.3, 2 * seekLead.value), player.duration);
  const token = ++state.joinToken;
  state.joining = true;
  seekTo(aim);
  player.one('seeked', () => {
    if (token === state.joinToken) startWhenRoomArrives(token);
  });
  // Should 'seeked' never come (a load error), give the drift loop its turn back.
  state.joinTimer = setTimeout(() => {
    if (token === state.joinToken) state.joining = false;
  }, 5000);
}

function startWhenRoomArrives(token) {
  const ref = state.reference;
  if (token !== state.joinToken || !ref?.playing || !player.paused) {
    state.joining = false;
    return;
  }
  clearTimeout(state.joinTimer);
  // Start a little early: the clock only moves once the player has spun up.
  const wait = player.time - expectedPosition(ref, serverNow(), player.duration) - startLead.value;
  if (wait > 0.005) {
    state.joinTimer = setTimeout(() => startWhenRoomArrives(token), Math.min(wait * 1000, 2000));
    return;
  }
  state.joining = false;
  state.settleUntil = now() + SETTLE_AFTER_SEEK_MS;
  state.startCheck = startLead.value;
  startPlaying();
}

function cancelJoin() {
  state.joinToken += 1;
  state.joining = false;
  clearTimeout(state.joinTimer);
}

function startPlaying() {
  guard.expect('play', player.time, now());
  player.play().then((result) => {
    if (result === 'blocked') toast('Your browser wants a click before it plays: press "Click to join playback".');
  });
}

/** Runs every TICK_MS: heartbeats from the host, drift correction everywhere else (see above). */
function tick() {
  const status = step();
  const chip = $('sync-status');
  chip.hidden = !status;
  if (status) {
    chip.dataset.state = status[0];
    chip.textContent = status[1];
  }
}

/** One round of the sync loop; returns what to show as [state, text], or null for nothing. */
function step() {
  const ref = state.reference;
  if (!ref || !player?.ready || state.loadedVideoId !== state.video?.id) return null;
  if (!socket?.isOpen) return ['offline', 'Offline'];
  if (player.blocked) return ['waiting', 'Waiting for your click'];
  if (player.seeking || state.joining) return ['catching-up', 'Catching up…'];
  if (!ref.playing) {
    if (player.paused && Math.abs(player.time - ref.position) > DRIFT.pausedTolerance) seekTo(ref.position);
    return ['paused', `Paused at ${formatTime(ref.position)}`];
  }
  if (isHost() && serverNow() - state.lastCommandAt >= HOST_LEADS_AFTER_MS) {
    player.rate = 1;
    state.leadCheck = null;
    state.startCheck = null;
    if (!player.paused && now() - state.lastHeartbeatAt >= HEARTBEAT_MS) {
      state.lastHeartbeatAt = now();
      socket.send({ type: 'heartbeat', position: player.time + inTransit(), playing: true });
    }
    return ['leading', 'You lead playback'];
  }
  if (now() < state.settleUntil) return ['catching-up', 'Catching up…'];
  const expected = expectedPosition(ref, serverNow(), player.duration);
  if (player.paused) {
    // Playing room, paused player, no user action of ours: we fell out (a stall, the end of a load).
    if (expected < player.duration - 0.05) applyReference();
    return ['catching-up', 'Catching up…'];
  }
  const drift = player.time - expected;
  // We aimed `leadCheck` s ahead and ended up `drift` s off: the seek really took leadCheck - drift.
  // Likewise for starting early by `startCheck`.
  if (state.leadCheck !== null) seekLead.observe(state.leadCheck - drift);
  if (state.startCheck !== null) startLead.observe(state.startCheck - drift);
  state.leadCheck = null;
  state.startCheck = null;
  const decision = decideDrift(drift, player.rate !== 1);
  if (decision.action === 'seek') seekTo(Math.min(expected + seekLead.value, player.duration), seekLead.value);
  else if (decision.action === 'rate') player.rate = decision.rate;
  const ms = Math.round(Math.abs(drift) * 1000);
  return ms <= 50 ? ['in-sync', `In sync · ${ms} ms`] : ['catching-up', `Catching up · ${ms} ms`];
}

/** A play/pause/seek the user made on this page. */
function onLocalEvent(kind, position) {
  if (guard.swallow(kind, position, now())) return;
  const playing = kind === 'play' ? true : kind === 'pause' ? false : !player.paused;
  // A seek during playback stalls this player for about seekLead before it moves again: the room's
  // timeline starts from `position` then, not now, or this page would begin its own seek behind everyone.
  const startsIn = kind === 'seek' && playing ? seekLead.value : 0;
  // It is the room's state from now on, so the drift loop does not undo it while the echo travels.
  state.reference = { playing, position, rate: 1, updated_at: serverNow() + startsIn * 1000 };
  state.lastCommandAt = serverNow();
  if (startsIn > 0) {
    state.settleUntil = now() + SETTLE_AFTER_SEEK_MS;
    state.leadCheck = startsIn;
  }
  player.rate = 1;
  const sent = playing ? Math.max(0, position - startsIn + inTransit()) : position;
  if (socket.send({ type: kind, position: sent })) state.ownInFlight += 1;
  else toast('Not connected: the others will not see that until you are back online.', 'error');
}

function onCommand(message) {
  if (message.by === state.me && state.ownInFlight > 0) {
    state.ownInFlight -= 1;
    // A newer action of ours is on its way: applying this older echo would jump back and forth.
    if (state.ownInFlight > 0) return;
  }
  state.reference = { playing: message.playing, position: message.position, rate: 1, updated_at: message.server_time };
  state.lastCommandAt = message.server_time;
  // Our own seek's echo needs no exact landing: we are already there, give or take the travel time.
  applyReference({ exact: message.type === 'seek' && message.by !== state.me });
}

function onHeartbeat(message) {
  if (message.by === state.me) return;
  if (!acceptHeartbeat(state.reference, state.lastCommandAt, message)) return;
  state.reference = { playing: message.playing, position: message.position, rate: 1, updated_at: message.server_time };
}

// ---- Video source ---------------------------------------------------------------------------------

async function loadSource(url, mime) {
  const token = ++loadToken;
  $('player-empty').hidden = true;
  try {
    await player.load(url, mime);
  } catch (error) {
    if (token === loadToken) toast(`The video could not be played: ${error.message}`, 'error');
    return;
  }
  if (token !== loadToken) return;
  state.loadedVideoId = state.video?.id ?? null;
  applyReference();
}

function setVideo(video, playback) {
  state.video = video;
  state.reference = playback;
  state.lastCommandAt = playback?.updated_at ?? -Infinity;
  state.ownInFlight = 0;
  renderVideoInfo();
  if (!video) {
    loadToken += 1;
    state.loadedVideoId = null;
    player.unload();
    showEmpty('No video yet', 'Upload one or play a link, and everybody here watches it together.');
    return;
  }
  // Uploads and links play in VideoJS, YouTube videos in YouTube's player (players.js).
  player.use(video.kind);
  if (state.loadedVideoId === video.id && player.ready) applyReference();
  else {
    state.loadedVideoId = null;
    loadSource(video.url, video.mime);
  }
}

function showEmpty(title, text) {
  $('player-empty-title').textContent = title;
  $('player-empty-text').textContent = text;
  $('player-empty').hidden = false;
}

function renderVideoInfo() {
  const video = state.video;
  // Without a video the player area already says so.
  document.querySelector('.now-playing').hidden = !video;
  $('video-title').textContent = video ? video.original_name : '';
  const facts = video ? [video.size > 0 ? formatBytes(video.size) : '', video.mime] : [];
  $('video-meta').textContent = facts.filter(Boolean).join(' · ');
  for (const id of ['save-spot', 'resume-spot', 'refresh-video']) $(id).disabled = !video;
}

// ---- People ---------------------------------------------------------------------------------------

function setHost(host, announce) {
  const before = state.host;
  state.host = host;
  renderHost();
  renderViewers();
  if (!announce || before === host) return;
  if (host === state.me) toast('You are now the host: the others follow your playback.');
  else if (host) toast(`${labelFor(host)} is now the host.`);
  else toast('The room has no host right now.');
}

function renderHost() {
  const mine = isHost();
  document.body.dataset.host = mine ? 'me' : state.host ? 'other' : 'none';
  $('host-status').textContent = mine
    ? 'You are the host'
    : state.host
      ? `Host: ${labelFor(state.host)}`
      : 'No host';
  $('claim-host').hidden = mine;
}

// Joins and leaves show as notices in the chat (social.js).
function setViewers(count, viewers) {
  const next = new Map(viewers.map((v) => [v.client_id, v]));
  state.viewers = next;
  state.viewerCount = count;
  $('viewer-count').textContent = String(count);
  renderViewers();
  renderHost();
}

function renderViewers() {
  const list = $('viewers');
  list.replaceChildren();
  for (const viewer of state.viewers?.values() ?? []) {
    const item = document.createElement('li');
    const name = document.createElement('span');
    name.className = 'viewer-name';
    name.textContent = viewerLabel(viewer);
    name.style.color = viewer.color || '';
    item.append(name);
    if (viewer.client_id === state.host) {
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.textContent = 'host';
      item.append(badge);
      item.classList.add('is-host');
    }
    if (viewer.client_id === state.me) item.classList.add('is-me');
    list.append(item);
  }
  // Large rooms: the server lists the host and the earliest arrivals, and counts the rest.
  const unlisted = state.viewerCount - (state.viewers?.size ?? 0);
  if (unlisted > 0) {
    const more = document.createElement('li');
    more.className = 'viewers-more';
    more.textContent = `and ${unlisted} more`;
    list.append(more);
  }
}

// ---- Socket ---------------------------------------------------------------------------------------

function onMessage(message) {
  if (social.handle(message)) return;
  switch (message.type) {
    case 'snapshot': {
      const firstTime = state.me === null;
      state.me = message.you;
      clock.seed(message.server_time, now());
      const room = message.room;
      setViewers(room.viewer_count, room.viewers);
      setHost(room.host, !firstTime);
      setVideo(room.video, room.playback);
      break;
    }
    case 'play':
    case 'pause':
    case 'seek':
      onCommand(message);
      break;
    case 'heartbeat':
      onHeartbeat(message);
      break;
    case 'video':
      setVideo(message.video, message.playback);
      if (message.video) toast(`New video: ${message.video.original_name}`);
      break;
    case 'refresh':
      if (state.video) {
        toast('Reloading the video…');
        state.loadedVideoId = null;
        loadSource(message.url, state.video.mime);
      }
      break;
    case 'host':
      setHost(message.host, true);
      break;
    case 'viewers':
      setViewers(message.count, message.viewers);
      break;
    case 'name': {
      // Someone renamed themselves: show it now rather than at the next viewer list.
      const viewer = state.viewers?.get(message.client_id);
      if (viewer) {
        viewer.name = message.name;
        renderViewers();
        renderHost();
      }
      break;
    }
    case 'pong':
      clock.add(message.client_time, now(), message.server_time);
      break;
    case 'error':
      toast(message.message || 'The server refused that.', 'error');
      break;
    default:
      break;
  }
}

function onSocketStatus({ state: status, retryIn }) {
  const box = $('connection');
  box.dataset.state = status;
  $('connection-text').textContent =
    status === 'open'
      ? 'Connected'
      : status === 'connecting'
        ? 'Connecting…'
        : `Offline, retrying in ${Math.ceil(retryIn / 1000)} s`;
}

function onSocketOpen() {
  // A burst of pings gives the clock estimate a few low-latency samples within the first second.
  for (let i = 0; i < 5; i += 1) setTimeout(ping, i * 150);
}

function ping() {
  socket.send({ type: 'ping', client_time: now() });
}

// ---- Controls -------------------------------------------------------------------------------------

async function copyLink() {
  const link = `${location.origin}/r/${code}`;
  try {
    await navigator.clipboard.writeText(link);
    toast('Link copied. Send it to your friends.');
  } catch {
    // Clipboard needs a secure context (https or localhost): show the link to copy by hand instead.
    window.prompt('Copy this link:', link);
  }
}

let currentUpload = null;

function startUpload(file) {
  if (!file || currentUpload) return;
  const panel = $('upload-panel');
  const progress = $('upload-progress');
  panel.hidden = false;
  panel.dataset.state = 'uploading';
  $('upload-name').textContent = file.name;
  $('upload-error').textContent = '';
  $('upload-cancel').hidden = false;
  $('upload-button').disabled = true;
  const started = now();
  const show = (loaded, total) => {
    const { percent, speed, secondsLeft } = uploadStats(loaded, total, now() - started);
    progress.value = percent;
    panel.dataset.percent = String(percent);
    $('upload-percent').textContent = `${percent} %`;
    $('upload-speed').textContent = speed > 0 ? `${formatBytes(speed)}/s` : '';
    $('upload-eta').textContent = percent >= 100 ? '' : formatEta(secondsLeft);
  };
  show(0, file.size);
  const url = `${roomApi}/video?name=${encodeURIComponent(file.name)}`;
  currentUpload = uploadFile(url, file, show);
  currentUpload.done
    .then(() => {
      panel.dataset.state = 'done';
      $('upload-eta').textContent = 'Done';
      setTimeout(() => {
        if (panel.dataset.state === 'done') panel.hidden = true;
      }, 6000);
    })
    .catch((error) => {
      panel.dataset.state = error.cancelled ? 'cancelled' : 'failed';
      $('upload-error').textContent = error.message;
      if (!error.cancelled) toast(error.message, 'error');
    })
    .finally(() => {
      currentUpload = null;
      $('upload-cancel').hidden = true;
      $('upload-button').disabled = false;
      $('file-input').value = '';
    });
}

async function saveSpot() {
  try {
    const spot = await api('PUT', `${roomApi}/spot`, { position: player.time });
    toast(`Spot saved at ${formatTime(spot?.position ?? player.time)}.`);
  } catch (error) {
    toast(error.message, 'error');
  }
}

async function resumeSpot() {
  let spot;
  try {
    spot = await api('GET', `${roomApi}/spot`);
  } catch (error) {
    toast(error.status === 404 ? 'No saved spot for this video yet.' : error.message, error.status === 404 ? 'info' : 'error');
    return;
  }
  if (!player.ready || spot.video_id !== state.video?.id) return;
  // An ordinary seek: it reaches everyone, like any other.
  player.seek(spot.position);
  toast(`Back to your spot at ${formatTime(spot.position)}, for everyone.`);
}

async function claimHost() {
  try {
    const answer = await api('POST', `${roomApi}/host`);
    setHost(answer.host, true);
  } catch (error) {
    toast(error.message, 'error');
  }
}

async function refreshVideo() {
  try {
    await api('POST', `${roomApi}/refresh`);
  } catch (error) {
    toast(error.message, 'error');
  }
}

function wireControls() {
  $('copy-link').addEventListener('click', copyLink);
  $('upload-button').addEventListener('click', () => $('file-input').click());
  $('file-input').addEventListener('change', (e) => startUpload(e.target.files[0]));
  $('upload-cancel').addEventListener('click', () => currentUpload?.cancel());
  $('save-spot').addEventListener('click', saveSpot);
  $('resume-spot').addEventListener('click', resumeSpot);
  $('claim-host').addEventListener('click', claimHost);
  $('refresh-video').addEventListener('click', refreshVideo);
}

// ---- Start ----------------------------------------------------------------------------------------

async function main() {
  $('room-code').textContent = code;
  document.title = `${code} · Goblet`;
  $('my-name').textContent = myName() || 'Guest';
  wireControls();
  renderVideoInfo();

  try {
    await api('GET', roomApi);
  } catch (error) {
    if (error.status === 404) {
      document.body.dataset.missing = 'true';
      $('missing').hidden = false;
      $('room').hidden = true;
      return;
    }
    // Anything else may pass: the socket keeps retrying.
  }

  social = setupSocial({ code, roomApi, send: (message) => socket?.send(message) ?? false, serverNow });
  wireLinkForm(roomApi);
  player = roomPlayer({
    video: $('video'),
    youtubeBox: $('youtube'),
    onError: (message) => toast(message, 'error'),
    onEvent: onLocalEvent,
    // Runs inside the click, which is what lets play() through: seek first, then play, so the echo
    // guard sees the play at the position it expects.
    onUnblock: () => {
      state.settleUntil = 0;
      applyReference();
    },
  });
  player.on('seeked', () => {
    state.settleUntil = Math.max(state.settleUntil, now() + SETTLE_AFTER_SEEK_MS / 2);
  });

  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  socket = new ReconnectingSocket(`${scheme}://${location.host}/api/rooms/${encodeURIComponent(code)}/ws`, {
    onMessage,
    onStatus: onSocketStatus,
    onOpen: onSocketOpen,
  });
  setInterval(tick, TICK_MS);
  setInterval(ping, PING_EVERY_MS);
}

main();
