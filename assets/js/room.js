// The room page: DOM wiring only. It builds the player, the sync controller (sync-controller.js: every
// playback decision, no DOM) and the reconnecting socket, files who is here in the room store
// (room-store.js, shared with social.js), and shows what those answer: the sync chip, the viewer list,
// the host line, the video's details, uploads and the buttons. Room control (the owner's settings, the
// viewer rows' actions, being removed or kept out of a full room) is room-control.js's; the password
// form, shown instead of the room until the server lets us in, is password-gate.js's; uploads the server
// is making playable (progress, cancel, failures) are processing-panel.js's.

import { SyncController, TICK_MS, PING_EVERY_MS } from './sync-controller.js';
import { RoomStore } from './room-store.js';
import { roomPlayer } from './players.js';
import { ReconnectingSocket } from './socket.js';
import { api } from './http.js';
import { uploadFile } from './upload.js';
import { toast } from './toast.js';
import { formatTime, formatBytes, formatEta, uploadStats } from './format.js';
import { myName } from './identity.js';
import { setupSocial } from './social.js';
import { wireLinkForm } from './video-link.js';
import { setupControl, showRemovedPage } from './room-control.js';
import { setupQueue } from './queue-panel.js';
import { setupProcessing } from './processing-panel.js';
import { refusalOf, mayClaimHost, comeBackIn } from './control.js';
import { askForPassword } from './password-gate.js';
import { asksForPassword } from './password.js';
import { setupSubtitles } from './subtitles.js';
import { viewerStatus, waitText, waitOverText } from './sync-notices.js';

const code = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() || '');
const roomApi = `/api/rooms/${encodeURIComponent(code)}`;
const now = () => performance.timeOrigin + performance.now();
// The controller's clock. Timers wrapped: the browser's setTimeout refuses to run as another object's
// method ("Illegal invocation").
const clock = { now, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (id) => clearTimeout(id) };
const $ = (id) => document.getElementById(id);

const store = new RoomStore(); // who is here: viewers, host, me
let video = null; // the room's video, as the last snapshot or `video` message described it
let player;
let sync; // the sync controller
let socket;
let social; // chat, names, room name: social.js
let control; // settings panel, viewer actions, removed / full: room-control.js
let queue; // the "Up next" card, preloads, the host's `ended`: queue-panel.js
let subtitles; // the video's subtitle tracks in the player, "Add subtitles": subtitles.js
let processing; // uploads being made playable: processing-panel.js
const loops = []; // the page's intervals, stopped when we are removed from the room
let loadToken = 0;
let wait = null; // the room waits for buffering viewers: the last `wait` message

function viewerLabel(viewer) {
  const name = viewer.name || (viewer.client_id === store.me && myName()) || `Guest ${viewer.client_id.slice(0, 4)}`;
  return viewer.client_id === store.me ? `${name} (you)` : name;
}

function labelFor(clientId) {
  const viewer = store.viewers?.get(clientId);
  if (viewer) return viewerLabel(viewer);
  return clientId === store.me ? 'You' : `Guest ${String(clientId).slice(0, 4)}`;
}

// ---- Playback: the controller decides, this shows ---------------------------------------------------

function tick() {
  queue.tick();
  const status = sync.tick();
  const chip = $('sync-status');
  chip.hidden = !status;
  if (status) {
    chip.dataset.state = status.state;
    chip.textContent = status.text;
  }
  $('resync').hidden = !sync.farOff;
  renderWait();
}

// ---- Waits: the room pauses for a viewer who ran out of data (sync-notices.js says it) -------------

function renderWait() {
  const box = $('wait-notice');
  box.hidden = !wait;
  if (!wait) return;
  const label = (id, name) => (id === store.me ? 'you' : name || labelFor(id));
  box.textContent = waitText(wait.waiting_for, label, (wait.until - sync.serverNow()) / 1000);
}

function onWait(message) {
  if (message.type === 'wait') wait = message;
  else {
    wait = null;
    const text = waitOverText(message.reason);
    if (text) toast(text);
  }
  renderWait();
}

function onLocalEvent(kind, position) {
  if (sync.onLocalEvent(kind, position) === 'offline') {
    toast('Not connected: the others will not see that until you are back online.', 'error');
  }
}

// ---- Video source ---------------------------------------------------------------------------------

async function loadSource(url, mime) {
  const token = ++loadToken;
  sync.sourceLoading();
  $('player-empty').hidden = true;
  try {
    await player.load(url, mime);
  } catch (error) {
    if (token === loadToken) toast(`The video could not be played: ${error.message}`, 'error');
    return;
  }
  if (token !== loadToken) return;
  sync.sourceLoaded();
}

function setVideo(next, playback) {
  video = next;
  renderVideoInfo();
  if (!video) {
    loadToken += 1;
    sync.setVideo(null, playback);
    player.unload();
    showEmpty('No video yet', 'Upload one or play a link, and everybody here watches it together.');
    return;
  }
  // Uploads and links play in VideoJS, YouTube videos in YouTube's player (players.js).
  player.use(video.kind);
  player.setPoster(video.poster);
  // The controller brings a player that already holds this video to the room; otherwise we load it.
  if (!sync.setVideo(video, playback)) loadSource(video.url, video.mime);
}

function showEmpty(title, text) {
  $('player-empty-title').textContent = title;
  $('player-empty-text').textContent = text;
  $('player-empty').hidden = false;
}

function renderVideoInfo() {
  // Without a video the player area already says so.
  document.querySelector('.now-playing').hidden = !video;
  $('video-title').textContent = video ? video.original_name : '';
  const facts = video ? [video.size > 0 ? formatBytes(video.size) : '', video.mime] : [];
  $('video-meta').textContent = facts.filter(Boolean).join(' · ');
  for (const id of ['save-spot', 'resume-spot', 'refresh-video', 'subtitles-button']) $(id).disabled = !video;
}

// ---- People: rendered from the store ----------------------------------------------------------------

function announceHost({ host }) {
  if (host === store.me) toast('You are now the host: the others follow your playback.');
  else if (host) toast(`${labelFor(host)} is now the host.`);
  else toast('The room has no host right now.');
}

function renderPeople() {
  $('viewer-count').textContent = String(store.count);
  renderViewers();
  renderHost();
}

function renderHost() {
  const mine = store.isHost;
  document.body.dataset.host = mine ? 'me' : store.host ? 'other' : 'none';
  $('host-status').textContent = mine
    ? 'You are the host'
    : store.host
      ? `Host: ${labelFor(store.host)}`
      : 'No host';
  // With host-only controls only the owner may take the role: the button would only be refused.
  $('claim-host').hidden = mine || !mayClaimHost({ me: store.me, owner: store.owner, settings: store.settings });
}

function announceOwner({ owner }) {
  if (owner === store.me) toast('You own this room now: its settings are yours.');
}

// Joins and leaves show as notices in the chat (social.js).
function renderViewers() {
  const list = $('viewers');
  list.replaceChildren();
  for (const viewer of store.viewers?.values() ?? []) {
    const item = document.createElement('li');
    const name = document.createElement('span');
    name.className = 'viewer-name';
    name.textContent = viewerLabel(viewer);
    name.style.color = viewer.color || '';
    item.append(name);
    const reported = viewerStatus(viewer.status);
    if (reported) {
      const state = document.createElement('span');
      state.className = 'viewer-status';
      state.dataset.state = reported.state;
      state.textContent = reported.text;
      state.title = reported.title;
      item.append(state);
    }
    // Text badges, so a screen reader reads "Ana owner host" too.
    if (viewer.client_id === store.owner) {
      item.append(badge('owner', 'Owns the room: its settings and who hosts'));
      item.classList.add('is-owner');
    }
    if (viewer.client_id === store.host) {
      item.append(badge('host', 'The host: the others follow their playback'));
      item.classList.add('is-host');
    }
    if (viewer.client_id === store.me) item.classList.add('is-me');
    item.dataset.clientId = viewer.client_id;
    const actions = control.rowActions(viewer);
    if (actions.length) {
      const box = document.createElement('div');
      box.className = 'viewer-actions';
      box.append(...actions);
      item.append(box);
    }
    list.append(item);
  }
  // Large rooms: the server lists the host and the earliest arrivals, and counts the rest.
  const unlisted = store.count - (store.viewers?.size ?? 0);
  if (unlisted > 0) {
    const more = document.createElement('li');
    more.className = 'viewers-more';
    more.textContent = `and ${unlisted} more`;
    list.append(more);
  }
}

function badge(text, title) {
  const node = document.createElement('span');
  node.className = `badge badge-${text}`;
  node.textContent = text;
  node.title = title;
  return node;
}

// ---- Socket ---------------------------------------------------------------------------------------

/** Who is here goes to the store first: the viewer list, social.js and the controller follow its events. */
function filePeople(message) {
  switch (message.type) {
    case 'snapshot': {
      const { room } = message;
      store.snapshot({
        me: message.you,
        host: room.host,
        owner: room.owner ?? null,
        settings: room.settings,
        count: room.viewer_count,
        viewers: room.viewers,
      });
      break;
    }
    case 'viewers':
      store.setViewers(message.count, message.viewers);
      break;
    case 'host':
      store.setHost(message.host);
      break;
    case 'owner':
      store.setOwner(message.owner);
      break;
    case 'settings':
      store.setSettings(message.settings);
      break;
    case 'name':
      // Someone renamed themselves: show it now rather than at the next viewer list.
      store.rename(message.client_id, message.name);
      break;
    default:
      break;
  }
}

function onMessage(message) {
  if (control.removed) return;
  const refusal = refusalOf(message);
  if (refusal) {
    onRefusal(refusal);
    return;
  }
  if (message.type === 'kicked' && message.client_id === store.me) {
    // Our own removal, told to the room: the error on our socket says the same, whichever comes first.
    control.remove(comeBackIn((message.until - sync.serverNow()) / 60_000));
    return;
  }
  filePeople(message);
  if (social.handle(message)) return;
  if (sync.handle(message)) return; // play, pause, seek, heartbeat, pong
  switch (message.type) {
    case 'snapshot':
      control.admitted();
      // A wait under way when we joined (or fell behind) is in the snapshot.
      onWait(message.wait ? { type: 'wait', ...message.wait } : { type: 'wait_over', reason: 'cancelled' });
      sync.welcome(message);
      setVideo(message.room.video, message.room.playback);
      queue.show(message.room.queue);
      subtitles.show(message.room.subtitles);
      processing.show(message.processing);
      break;
    case 'subtitles':
      subtitles.show(message.tracks);
      break;
    case 'processing':
      processing.update(message);
      break;
    case 'queue':
      queue.show(message.queue);
      break;
    case 'wait':
    case 'wait_over':
      onWait(message);
      break;
    case 'catch_up':
      // The room no longer waits for us: our player catches up on its own, as it always does.
      toast(message.message);
      break;
    case 'video':
      setVideo(message.video, message.playback);
      if (message.video) toast(`New video: ${message.video.original_name}`);
      break;
    case 'refresh':
      if (video) {
        toast('Reloading the video…');
        loadSource(message.url, video.mime);
      }
      break;
    case 'error':
      toast(message.message || 'The server refused that.', 'error');
      break;
    default:
      break;
  }
}

/** The server refused us (control.js `refusalOf`): removed, the room full, or an action not ours. */
function onRefusal({ kind, text }) {
  if (kind === 'removed') control.remove(text);
  else if (kind === 'full') control.full(text);
  else {
    // Only the host controls playback: the room did not move, so neither does our player.
    sync.refused();
    toast(text, 'error');
  }
}

/** Removed from the room: no more reconnects (the server would refuse each), no more playing. */
function leaveForGood() {
  socket?.close();
  for (const id of loops) clearInterval(id);
  stopPlaying();
}

/** Out of the room (for good, or until the password is given): the player stops and forgets the video. */
function stopPlaying() {
  loadToken += 1;
  sync.setVideo(null, null);
  player.unload();
}

function showMissing() {
  document.body.dataset.missing = 'true';
  $('missing').hidden = false;
  $('room').hidden = true;
  $('locked').hidden = true;
}

/**
 * The socket (re)connects until we are removed. Every server-side refusal of the upgrade looks the same
 * to the browser, so after an attempt that never opened we ask the room's state why (`checkWhyOut`).
 */
function openSocket() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  socket = new ReconnectingSocket(`${scheme}://${location.host}/api/rooms/${encodeURIComponent(code)}/ws`, {
    onMessage,
    onStatus: onSocketStatus,
    // A refusal (room full, removed) comes before the server closes: it must not reset the backoff.
    healthy: (message) => message.type === 'snapshot',
    onFail: checkWhyOut,
  });
}

let checking = false;

/**
 * A socket that could not open: if the room asks for a password we have not given (set while this page
 * waited at a full room, say), stop retrying (each try would be refused) and show the form; once let
 * in, connect again. Anything else (the server down, a network drop) the socket's backoff handles.
 */
async function checkWhyOut() {
  if (checking || control.removed) return;
  checking = true;
  let refusal = null;
  try {
    await api('GET', roomApi);
  } catch (error) {
    refusal = error;
  } finally {
    checking = false;
  }
  if (control.removed || socket.stopped) return;
  if (refusal?.status === 404) {
    leaveForGood();
    showMissing();
    return;
  }
  if (!asksForPassword(refusal)) return;
  socket.close();
  stopPlaying();
  const outcome = await askForPassword({ roomApi });
  if (outcome.kind === 'admitted') openSocket();
  else if (outcome.kind === 'removed') control.remove(outcome.text);
  else {
    leaveForGood();
    showMissing();
  }
}

function onSocketStatus({ state: status, retryIn }) {
  sync.setConnected(status === 'open');
  const box = $('connection');
  box.dataset.state = status === 'stopped' ? 'closed' : status;
  $('connection-text').textContent =
    status === 'open'
      ? 'Connected'
      : status === 'connecting'
        ? 'Connecting…'
        : status === 'stopped'
          ? 'Not connected'
          : `Offline, retrying in ${Math.ceil(retryIn / 1000)} s`;
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
let uploadToQueue = false; // which button picked the file: "Upload video" or "Upload to queue"

function pickFile(toQueue) {
  uploadToQueue = toQueue;
  $('file-input').click();
}

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
  $('queue-upload').disabled = true;
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
  currentUpload = uploadFile(roomApi, file, { queue: uploadToQueue }, show);
  currentUpload.done
    .then((answer) => {
      panel.dataset.state = 'done';
      // 202: the server makes it playable first; its progress shows in the processing list.
      $('upload-eta').textContent = answer?.job ? 'Uploaded: being made playable' : 'Done';
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
      $('queue-upload').disabled = false;
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
  if (!player.ready || spot.video_id !== video?.id) return;
  // An ordinary seek: it reaches everyone, like any other.
  player.seek(spot.position);
  toast(`Back to your spot at ${formatTime(spot.position)}, for everyone.`);
}

async function claimHost() {
  try {
    const answer = await api('POST', `${roomApi}/host`);
    store.setHost(answer.host);
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
  $('upload-button').addEventListener('click', () => pickFile(false));
  $('queue-upload').addEventListener('click', () => pickFile(true));
  $('file-input').addEventListener('change', (e) => startUpload(e.target.files[0]));
  $('upload-cancel').addEventListener('click', () => currentUpload?.cancel());
  $('save-spot').addEventListener('click', saveSpot);
  $('resume-spot').addEventListener('click', resumeSpot);
  $('claim-host').addEventListener('click', claimHost);
  $('refresh-video').addEventListener('click', refreshVideo);
  $('resync').addEventListener('click', () => sync.resync());
}

// ---- Start ----------------------------------------------------------------------------------------

async function main() {
  $('room-code').textContent = code;
  document.title = `${code} · Goblet`;
  $('my-name').textContent = myName() || 'Guest';
  wireControls();
  renderVideoInfo();

  let refusal = null;
  try {
    await api('GET', roomApi);
  } catch (error) {
    refusal = error;
  }
  if (refusal?.status === 404) {
    showMissing();
    return;
  }
  // A password room we are not in yet: nothing else (chat, socket) would be let in before it is given.
  if (asksForPassword(refusal)) {
    const outcome = await askForPassword({ roomApi });
    if (outcome.kind === 'missing') {
      showMissing();
      return;
    }
    if (outcome.kind === 'removed') {
      showRemovedPage(outcome.text);
      return;
    }
  }
  // Anything else may pass: the socket keeps retrying.

  const send = (message) => socket?.send(message) ?? false;
  social = setupSocial({ code, roomApi, store, send, serverNow: () => sync.serverNow() });
  wireLinkForm(roomApi);
  player = roomPlayer({
    video: $('video'),
    youtubeBox: $('youtube'),
    onError: (message) => toast(message, 'error'),
    onEvent: onLocalEvent,
    onUnblock: () => sync.unblocked(),
  });
  sync = new SyncController({
    player,
    clock,
    send,
    onBlocked: () => toast('Your browser wants a click before it plays: press "Click to join playback".'),
  });
  control = setupControl({ roomApi, store, labelFor, onRemoved: leaveForGood });
  queue = setupQueue({ roomApi, store, send, player, sync });
  subtitles = setupSubtitles({ roomApi, player, button: $('subtitles-button'), input: $('subtitles-input') });
  processing = setupProcessing({ roomApi, store });
  store.on('host', announceHost);
  store.on('owner', announceOwner);
  store.on('change', () => {
    control.render();
    renderPeople();
    sync.setHost(store.isHost);
  });

  openSocket();
  loops.push(setInterval(tick, TICK_MS), setInterval(() => sync.ping(), PING_EVERY_MS));
}

main();
