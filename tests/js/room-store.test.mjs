// The room page's one record of who is here, which room.js and social.js both read.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RoomStore } from '../../assets/js/room-store.js';

const ana = { client_id: 'ana', name: 'Ana', color: '#f00' };
const bo = { client_id: 'bo', name: null, color: '#0f0' };
const cy = { client_id: 'cy', name: 'Cy', color: '#00f' };

/** A store with every event it emits recorded, in order. */
function recorded() {
  const store = new RoomStore();
  const events = [];
  for (const type of ['viewers', 'host', 'name', 'change']) store.on(type, (e) => events.push(e ? [type, e] : [type]));
  return { store, events };
}

test('store: the first snapshot fills it; neither its list nor its host is news', () => {
  const { store, events } = recorded();
  assert.equal(store.isHost, false);
  store.snapshot({ me: 'ana', host: 'ana', count: 2, viewers: [ana, bo] });
  assert.equal(store.me, 'ana');
  assert.equal(store.isHost, true);
  assert.equal(store.count, 2);
  assert.deepEqual([...store.viewers.keys()], ['ana', 'bo']);
  assert.deepEqual(events, [
    ['viewers', { before: null, after: { count: 2, viewers: [ana, bo] } }],
    ['change'],
  ]);
});

test('store: later lists carry the one before; host changes are news once', () => {
  const { store, events } = recorded();
  store.snapshot({ me: 'ana', host: 'ana', count: 2, viewers: [ana, bo] });
  events.length = 0;
  store.setViewers(3, [ana, bo, cy]);
  assert.deepEqual(events, [
    ['viewers', { before: { count: 2, viewers: [ana, bo] }, after: { count: 3, viewers: [ana, bo, cy] } }],
    ['change'],
  ]);
  events.length = 0;
  store.setHost('cy');
  store.setHost('cy'); // the socket's message after the REST answer said the same
  assert.deepEqual(events, [['host', { before: 'ana', host: 'cy' }], ['change'], ['change']]);
  assert.equal(store.isHost, false);
});

test('store: a reconnect snapshot reports what changed while away, like live messages', () => {
  const { store, events } = recorded();
  store.snapshot({ me: 'ana', host: 'ana', count: 2, viewers: [ana, bo] });
  events.length = 0;
  store.snapshot({ me: 'ana', host: 'bo', count: 2, viewers: [bo, ana] });
  assert.deepEqual(events.map(([type]) => type), ['viewers', 'host', 'change']);
  assert.deepEqual(events[0][1].before, { count: 2, viewers: [ana, bo] });
  assert.deepEqual(events[1][1], { before: 'ana', host: 'bo' });
});

test('store: names outlive the list, so a rename or a notice can still name someone who left', () => {
  const { store, events } = recorded();
  store.snapshot({ me: 'ana', host: null, count: 3, viewers: [{ ...ana }, { ...bo }, { ...cy }] });
  store.setViewers(1, [{ ...ana }]);
  assert.equal(store.names.get('cy'), 'Cy');
  events.length = 0;
  store.rename('ana', 'Ana B');
  assert.equal(store.viewers.get('ana').name, 'Ana B', 'the list shows it at once');
  store.rename('cy', 'Cyrus');
  store.rename('zed', 'Zed');
  assert.deepEqual(events, [
    ['name', { id: 'ana', name: 'Ana B', known: true, previous: 'Ana' }],
    ['change'],
    ['name', { id: 'cy', name: 'Cyrus', known: true, previous: 'Cy' }],
    ['change'],
    ['name', { id: 'zed', name: 'Zed', known: false, previous: undefined }],
    ['change'],
  ]);
  assert.equal(store.names.get('cy'), 'Cyrus');
});

test('store: the owner and the settings come with the snapshot; later changes are news once', () => {
  const { store, events } = recorded();
  for (const type of ['owner', 'settings']) store.on(type, (e) => events.push([type, e]));
  assert.deepEqual(store.settings, { controls: 'everyone', max_viewers: null, has_password: false }, 'the server default before we know');
  store.snapshot({ me: 'bo', host: 'ana', owner: 'ana', settings: { controls: 'host', max_viewers: 5 }, count: 2, viewers: [ana, bo] });
  assert.equal(store.owner, 'ana');
  assert.equal(store.isOwner, false);
  assert.deepEqual(store.settings, { controls: 'host', max_viewers: 5, has_password: false });
  assert.deepEqual(events.map(([type]) => type), ['viewers', 'change'], 'the first snapshot is not news');
  events.length = 0;

  store.setSettings({ controls: 'everyone', max_viewers: 5 });
  store.setSettings({ controls: 'everyone', max_viewers: 5 }); // a reconnect snapshot saying the same
  store.setOwner('bo');
  assert.equal(store.isOwner, true);
  assert.deepEqual(events, [
    [
      'settings',
      {
        before: { controls: 'host', max_viewers: 5, has_password: false },
        settings: { controls: 'everyone', max_viewers: 5, has_password: false },
      },
    ],
    ['change'],
    ['change'],
    ['owner', { before: 'ana', owner: 'bo' }],
    ['change'],
  ]);

  // A reconnect snapshot tells what changed while away, like the live messages.
  events.length = 0;
  store.snapshot({ me: 'bo', host: 'bo', owner: 'ana', settings: { controls: 'everyone', max_viewers: null }, count: 2, viewers: [ana, bo] });
  assert.deepEqual(events.map(([type]) => type), ['viewers', 'host', 'owner', 'settings', 'change']);

  // A password set is news; the same settings again are not.
  events.length = 0;
  store.setSettings({ controls: 'everyone', max_viewers: null, has_password: true });
  store.setSettings({ controls: 'everyone', max_viewers: null, has_password: true });
  assert.deepEqual(events.filter(([type]) => type === 'settings').length, 1);
  assert.equal(store.settings.has_password, true);
});
