// The room page's one record of who is here: us (`me`), the host, the owner, the room's control
// settings, the viewer list and count, and the names of everyone we have seen. room.js writes it from socket messages; room.js (the viewer list, the
// host line, the sync controller's host flag) and social.js (chat notices, your name) read it and
// subscribe to its events, so the two never disagree. No DOM: tested in tests/js/room-store.test.mjs.
//
// Events (an Emitter):
//   'viewers' ({before, after})        each {count, viewers}; `before` null for the first list we get
//   'host'    ({before, host})         the host changed after the first snapshot told us who it was
//   'owner'   ({before, owner})        ownership was handed on, after the first snapshot told us the owner
//   'settings' ({before, settings})    the owner changed the settings, after the first snapshot
//   'name'    ({id, name, known, previous})   someone renamed; `previous` their name before, if `known`
//   'change'  ()                       after any of the above, or a new `me`: time to re-render

import { Emitter } from './emitter.js';
import { DEFAULT_SETTINGS, sameSettings } from './control.js';

export class RoomStore extends Emitter {
  constructor() {
    super();
    this.me = null; // our client ID, from the snapshot
    this.host = null;
    this.hostKnown = false; // a snapshot told us the host: later changes are news
    this.owner = null; // the client that owns the room (made it, or was handed it)
    this.settings = DEFAULT_SETTINGS; // {controls: 'everyone' | 'host', max_viewers, has_password}
    this.controlKnown = false; // a snapshot told us the owner and settings: later changes are news
    this.viewers = null; // Map client_id -> viewer, null before the first list
    this.count = 0; // everyone in the room; the list above may be cut short by the server
    // client_id -> name (null for a guest) of everyone we have seen, also after they left or when they
    // sit past the list's cut: a notice about them can still name them.
    this.names = new Map();
  }

  get isHost() {
    return this.me !== null && this.host === this.me;
  }

  get isOwner() {
    return this.me !== null && this.owner === this.me;
  }

  /** A snapshot (first connect or reconnect): everything at once. */
  snapshot({ me, host, owner = null, settings = DEFAULT_SETTINGS, count, viewers }) {
    this.me = me;
    this.setViewers(count, viewers, { quiet: true });
    this.setHost(host, { quiet: true });
    this.setOwner(owner, { quiet: true });
    this.setSettings(settings, { quiet: true });
    this.controlKnown = true;
    this.emit('change');
  }

  /** The server's viewer list: `count` people, `viewers` the listed ones. */
  setViewers(count, viewers, { quiet = false } = {}) {
    const before = this.viewers ? { count: this.count, viewers: [...this.viewers.values()] } : null;
    this.viewers = new Map(viewers.map((v) => [v.client_id, v]));
    this.count = count;
    for (const v of viewers) this.names.set(v.client_id, v.name);
    this.emit('viewers', { before, after: { count, viewers } });
    if (!quiet) this.emit('change');
  }

  setHost(host, { quiet = false } = {}) {
    const before = this.host;
    const news = this.hostKnown && before !== host;
    this.host = host;
    this.hostKnown = true;
    if (news) this.emit('host', { before, host });
    if (!quiet) this.emit('change');
  }

  setOwner(owner, { quiet = false } = {}) {
    const before = this.owner;
    this.owner = owner ?? null;
    if (this.controlKnown && before !== this.owner) this.emit('owner', { before, owner: this.owner });
    if (!quiet) this.emit('change');
  }

  setSettings(settings, { quiet = false } = {}) {
    const before = this.settings;
    this.settings = { ...DEFAULT_SETTINGS, ...settings };
    if (this.controlKnown && !sameSettings(before, this.settings)) {
      this.emit('settings', { before, settings: this.settings });
    }
    if (!quiet) this.emit('change');
  }

  /** Someone renamed themselves: known at once, rather than at the next viewer list. */
  rename(id, name) {
    const known = this.names.has(id);
    const previous = this.names.get(id);
    this.names.set(id, name);
    const viewer = this.viewers?.get(id);
    if (viewer) viewer.name = name;
    this.emit('name', { id, name, known, previous });
    this.emit('change');
  }
}
