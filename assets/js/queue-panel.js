// The queue, the DOM side: the "Up next" card (the queued videos in order, who added each, and for
// those who may change the queue: move up or down, remove, "Skip to next"), the preload of the next
// upload, and the host page's `ended` report when the current video played to its end. Decisions are
// queue.js's (no DOM, tested); who may act comes from the room store and control.js, the playback
// state from the sync controller. room.js hands it the queue from snapshots and `queue` messages and
// calls `tick()` with its sync loop.

import { api } from './http.js';
import { toast } from './toast.js';
import { formatBytes } from './format.js';
import { mayControl } from './control.js';
import { expectedPosition } from './sync.js';
import { kindLabel, addedBy, rowActions, movedIds, preloadTarget, PRELOAD_BYTES, EndWatch } from './queue.js';

const LABELS = { up: 'Move up', down: 'Move down', remove: 'Remove' };
const ICONS = { up: '↑', down: '↓', remove: '✕' };

/**
 * `roomApi`: the room's REST prefix; `store`: the page's RoomStore; `send(message)`: a frame on the
 * socket; `player` and `sync`: the page's player and sync controller (what plays, and where the room is).
 */
export function setupQueue({ roomApi, store, send, player, sync }) {
  const $ = (id) => document.getElementById(id);
  let items = []; // the queue, next first, as the server last told it
  // A change of ours is on its way: another click is ignored until the server answers, or until the
  // new queue arrives (whichever comes first: a click after it acts on what the user sees).
  let busy = false;
  const preloaded = new Set(); // video IDs whose start we fetched already
  const ends = new EndWatch();

  const allowed = () => mayControl({ me: store.me, host: store.host, owner: store.owner, settings: store.settings });

  /** The queue as the server sent it (snapshot or `queue` message). */
  function show(queue) {
    items = Array.isArray(queue) ? queue : [];
    busy = false;
    render();
    preload();
  }

  let shown = ''; // what the list shows, so that a store change that alters nothing here (a viewer
  // joined) does not rebuild it under the user's pointer or keyboard focus

  function render() {
    const may = allowed();
    $('queue-count').textContent = String(items.length);
    $('queue-empty').hidden = items.length > 0;
    $('queue-skip').hidden = !may || items.length === 0;
    const key = JSON.stringify([items, may, store.me]);
    if (key === shown) return;
    shown = key;
    const list = $('queue-list');
    // The same button keeps the focus across a rebuild (a moved row's "Move down", say), where it still is.
    const focused = list.contains(document.activeElement) ? document.activeElement : null;
    const keep = focused && { id: focused.closest('.queue-item')?.dataset.videoId, action: focused.dataset.action };
    list.replaceChildren(...items.map((item, index) => row(item, index, may)));
    if (keep) {
      const item = [...list.children].find((li) => li.dataset.videoId === keep.id);
      const again = item?.querySelector(`[data-action="${keep.action}"]`) ?? item?.querySelector('button');
      (again ?? $('queue-heading')).focus?.();
    }
  }

  function row(item, index, may) {
    const { video } = item;
    const li = document.createElement('li');
    li.className = 'queue-item';
    li.dataset.videoId = String(video.id);
    const text = document.createElement('div');
    text.className = 'queue-text';
    const name = document.createElement('span');
    name.className = 'queue-name';
    name.textContent = video.original_name;
    name.title = video.original_name;
    const meta = document.createElement('span');
    meta.className = 'queue-meta muted';
    const facts = [kindLabel(video.kind), video.kind === 'file' && video.size > 0 ? formatBytes(video.size) : ''];
    meta.textContent = `${facts.filter(Boolean).join(' · ')} · ${addedBy(item, store.me)}`;
    text.append(name, meta);
    li.append(text);
    const actions = rowActions(index, items.length, may);
    if (actions.length) {
      const box = document.createElement('div');
      box.className = 'queue-actions';
      for (const action of actions) box.append(button(action, video));
      li.append(box);
    }
    return li;
  }

  function button(action, video) {
    const node = document.createElement('button');
    node.type = 'button';
    node.className = `button small queue-action action-${action}`;
    node.dataset.action = action;
    node.textContent = ICONS[action];
    node.title = LABELS[action];
    node.setAttribute('aria-label', `${LABELS[action]}: ${video.original_name}`);
    node.addEventListener('click', () => {
      if (action === 'remove') change('DELETE', `/queue/${video.id}`);
      else {
        const ids = movedIds(items, video.id, action === 'up' ? -1 : 1);
        if (ids) change('PUT', '/queue', { ids });
      }
    });
    return node;
  }

  /** One change to the queue; the new queue reaches every page (this one too) as a `queue` message. */
  async function change(method, path, body) {
    // Buttons stay enabled (a disabled one would lose the keyboard focus): `busy` drops a double click.
    if (busy) return;
    busy = true;
    try {
      await api(method, `${roomApi}${path}`, body);
    } catch (error) {
      toast(error.message, 'error');
    } finally {
      busy = false;
    }
  }

  /**
   * The first bytes of the next upload into the browser's cache, once per video, so that its start
   * loads quickly when it comes up. The whole body is read: an unread response is not kept.
   */
  function preload() {
    const video = preloadTarget(items, preloaded);
    if (!video) return;
    preloaded.add(video.id);
    fetch(video.url, { headers: { Range: `bytes=0-${PRELOAD_BYTES - 1}` } })
      .then((response) => response.arrayBuffer())
      .catch(() => {
        // Only a head start: the player loads it anyway when its turn comes.
      });
  }

  /** Every sync round: the host's page says when the current video ended (queue.js EndWatch). */
  function tick() {
    const ref = sync.reference;
    if (!sync.host || !sync.current || !ref) return;
    const message = ends.check({
      host: sync.host,
      videoId: sync.videoId,
      nextId: items[0]?.video.id ?? null,
      time: player.time,
      paused: player.paused,
      duration: player.duration,
      playing: ref.playing,
      expected: expectedPosition(ref, sync.serverNow()),
    });
    // Not sent (offline): tell it once the socket is back.
    if (message && !send(message)) ends.forget();
  }

  $('queue-skip').addEventListener('click', () => change('POST', '/queue/next'));
  // Who may change the queue follows the host, the owner and the settings.
  store.on('change', render);
  render();

  return { show, tick };
}
