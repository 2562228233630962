// The room's people side, next to the playback wiring in room.js: chat, your display name, the room's
// name, and the timeline notices in the chat. room.js passes every socket message to `handle()` first;
// it answers true for the messages only this side needs (chat, history, room names, chat errors) and
// only watches the rest (snapshot, viewers, host, video, name), which room.js handles as before.

import { api } from './http.js';
import { ChatPanel, CHAT_ERRORS } from './chat.js';
import { InlineEdit } from './inline-edit.js';
import { loadMe, myName, saveMyName, noteMyName, displayName } from './identity.js';
import { viewerNotices, hostNotice, renameNotice } from './timeline.js';

/**
 * `code`: the room code; `roomApi`: its REST prefix; `send(message)`: put a frame on the socket (false
 * when closed); `serverNow()`: the server clock, to stamp notices like messages.
 */
export function setupSocial({ code, roomApi, send, serverNow }) {
  const $ = (id) => document.getElementById(id);
  const chat = new ChatPanel($('chat'), {
    send,
    loadOlder: (before, limit) => api('GET', `${roomApi}/messages?before=${before}&limit=${limit}`),
  });

  let me = null;
  let seen = null; // what the last snapshot or update showed: {viewers: {count, viewers}, host, videoId, roomName}
  const names = new Map(); // client_id -> name, for notices about people

  const label = (id) => (id === me ? 'You' : displayName({ client_id: id, name: names.get(id) }));
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

  // ---- Socket messages ----
  function remember(viewers) {
    for (const v of viewers) names.set(v.client_id, v.name);
  }

  function onSnapshot(message) {
    me = message.you;
    chat.setMe(me);
    const room = message.room;
    const now = {
      viewers: { count: room.viewer_count, viewers: room.viewers },
      host: room.host,
      videoId: room.video?.id ?? null,
      roomName: room.name ?? null,
    };
    // A later snapshot (a reconnect) tells what changed while we were away, like the live messages.
    if (seen) {
      for (const text of viewerNotices(seen.viewers, now.viewers, me)) notice(text);
      if (now.host !== seen.host) notice(hostNotice(now.host, me, label));
      if (now.videoId !== seen.videoId && room.video) notice(`New video: ${room.video.original_name}`);
      if (now.roomName !== seen.roomName) roomRenamed(now.roomName);
    }
    remember(room.viewers);
    seen = now;
    showRoomName(room.name);
  }

  function roomRenamed(name) {
    notice(name ? `The room is now called “${name}”` : 'The room no longer has a name');
  }

  function onName({ client_id: id, name }) {
    const before = names.has(id) ? displayName({ client_id: id, name: names.get(id) }) : null;
    names.set(id, name);
    if (id === me) {
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
      case 'name':
        onName(message);
        return false;
      case 'room_name':
        if (seen && message.name !== seen.roomName) roomRenamed(message.name);
        if (seen) seen.roomName = message.name;
        showRoomName(message.name);
        return true;
      case 'viewers': {
        const now = { count: message.count, viewers: message.viewers };
        if (seen) for (const text of viewerNotices(seen.viewers, now, me)) notice(text);
        remember(message.viewers);
        if (seen) seen.viewers = now;
        return false;
      }
      case 'host':
        if (seen && message.host !== seen.host) notice(hostNotice(message.host, me, label));
        if (seen) seen.host = message.host;
        return false;
      case 'video':
        if (seen) seen.videoId = message.video?.id ?? null;
        notice(message.video ? `New video: ${message.video.original_name}` : 'The video was removed');
        return false;
      case 'error':
        if (!CHAT_ERRORS.has(message.code)) return false;
        chat.refused(message.message);
        return true;
      default:
        return false;
    }
  }

  return { handle };
}
