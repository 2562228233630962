// The room's people side, next to the playback wiring in room.js: chat, your display name, the room's
// name, and the timeline notices in the chat. Who is here (viewers, host, names, `me`) lives in the
// room store (room-store.js), which room.js fills from the socket; this side subscribes to its events
// for the notices. room.js then passes every socket message to `handle()`: it answers true for the
// messages only this side needs (chat, history, room names, chat errors, others' removals) and only
// watches snapshot, video and queue (for their notices), which room.js handles too.

import { api } from './http.js';
import { ChatPanel, CHAT_ERRORS } from './chat.js';
import { InlineEdit } from './inline-edit.js';
import { loadMe, myName, saveMyName, noteMyName, displayName } from './identity.js';
import {
  viewerNotices,
  hostNotice,
  renameNotice,
  settingsNotices,
  ownerNotice,
  kickNotice,
  queueNotices,
  videoNotice,
} from './timeline.js';

/**
 * `code`: the room code; `roomApi`: its REST prefix; `store`: the page's RoomStore; `send(message)`:
 * put a frame on the socket (false when closed); `serverNow()`: the server clock, to stamp notices like
 * messages.
 */
export function setupSocial({ code, roomApi, store, send, serverNow }) {
  const $ = (id) => document.getElementById(id);
  const chat = new ChatPanel($('chat'), {
    send,
    loadOlder: (before, limit) => api('GET', `${roomApi}/messages?before=${before}&limit=${limit}`),
  });

  let seen = null; // what the last snapshot or update showed: {videoId, roomName}
  let queue = null; // the room's queue as last told: additions are notices, its head says "Up next"

  const label = (id) => (id === store.me ? 'You' : displayName({ client_id: id, name: store.names.get(id) }));
  const notice = (text) => chat.notice(text, serverNow());

  // ---- Your name ----
  const myNameEdit = new InlineEdit($('my-name-edit'), {
    placeholder: 'Guest',
    save: async (text) => (await saveMyName(text)).name,
  });
  myNameEdit.set(myName()); // the cached name until the server answers
  loadMe()
    .then((answer) => myNameEdit.set(answer.name))
    .catch(() => {
      // Offline for now: the cached name stays up, and the server still knows the cookie's name.
    });

  // ---- The room's name ----
  const roomNameEdit = new InlineEdit($('room-name-edit'), {
    placeholder: 'Name this room',
    save: async (text) => (await api('PUT', `${roomApi}/name`, { name: text.trim() || null })).name,
  });
  function showRoomName(name) {
    roomNameEdit.set(name);
    document.title = name ? `${name} · Goblet` : `${code} · Goblet`;
  }

  // ---- People: the store's events ----
  // A later snapshot (a reconnect) tells what changed while we were away, like the live messages: the
  // store reports both alike, and stays quiet about the first list and host.
  store.on('viewers', ({ before, after }) => {
    if (before) for (const text of viewerNotices(before, after, store.me)) notice(text);
  });
  store.on('host', ({ host }) => notice(hostNotice(host, store.me, label)));
  store.on('owner', ({ owner }) => notice(ownerNotice(owner, store.me, label)));
  store.on('settings', ({ before, settings }) => {
    for (const text of settingsNotices(before, settings)) notice(text);
  });
  store.on('name', onName);

  // ---- Socket messages ----
  function onSnapshot(message) {
    chat.setMe(store.me);
    const room = message.room;
    const now = { videoId: room.video?.id ?? null, roomName: room.name ?? null };
    if (seen) {
      if (now.videoId !== seen.videoId && room.video) notice(videoNotice(room.video, queue));
      if (now.roomName !== seen.roomName) roomRenamed(now.roomName);
      queued(room.queue ?? []);
    }
    seen = now;
    queue = room.queue ?? [];
    showRoomName(room.name);
  }

  function queued(next) {
    const named = (id, name) => (id === store.me ? 'You' : name || displayName({ client_id: id, name: store.names.get(id) }));
    if (queue) for (const text of queueNotices(queue, next, named)) notice(text);
    queue = next;
  }

  function roomRenamed(name) {
    notice(name ? `The room is now called “${name}”` : 'The room no longer has a name');
  }

  function onName({ id, name, known, previous }) {
    const before = known ? displayName({ client_id: id, name: previous }) : null;
    if (id === store.me) {
      // Renamed here or in another tab: every label of ours follows (an open form keeps its text).
      noteMyName(name);
      myNameEdit.set(name);
      if (before !== name) notice(`You are now ${name}`);
    } else if (before) {
      const text = renameNotice(before, name);
      if (text) notice(text);
    }
  }

  function handle(message) {
    switch (message.type) {
      case 'snapshot':
        onSnapshot(message);
        return false;
      case 'history':
        chat.history(message.messages, message.has_more);
        return true;
      case 'chat':
        chat.receive(message);
        return true;
      case 'room_name':
        if (seen && message.name !== seen.roomName) roomRenamed(message.name);
        if (seen) seen.roomName = message.name;
        showRoomName(message.name);
        return true;
      case 'kicked':
        // Someone else was removed (our own removal is room.js's: the page says so instead).
        notice(kickNotice(message.client_id, label));
        return true;
      case 'video':
        if (seen) seen.videoId = message.video?.id ?? null;
        notice(videoNotice(message.video, queue));
        return false;
      case 'queue':
        queued(message.queue);
        return false;
      case 'error':
        if (!CHAT_ERRORS.has(message.code)) return false;
        // `rate_limited` also answers a play/pause/seek over its rate: that one is room.js's.
        if (message.code === 'rate_limited' && !chat.waiting) return false;
        chat.refused(message.message);
        return true;
      default:
        return false;
    }
  }

  return { handle };
}
