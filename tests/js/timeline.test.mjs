import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  viewerNotices,
  listNames,
  hostNotice,
  renameNotice,
  settingsNotices,
  ownerNotice,
  kickNotice,
} from '../../assets/js/timeline.js';

const v = (id, name = null) => ({ client_id: id, name, color: 'hsl(1, 70%, 68%)', host: false });
const list = (...viewers) => ({ count: viewers.length, viewers });

test('listNames', () => {
  assert.equal(listNames(['Ana']), 'Ana');
  assert.equal(listNames(['Ana', 'Bo']), 'Ana and Bo');
  assert.equal(listNames(['Ana', 'Bo', 'Cy']), 'Ana, Bo and Cy');
  assert.equal(listNames(['Ana', 'Bo', 'Cy', 'Di']), 'Ana, Bo, Cy and 1 other');
  assert.equal(listNames(['Ana', 'Bo', 'Cy', 'Di', 'Ed']), 'Ana, Bo, Cy and 2 others');
});

test('viewerNotices: joins and leaves from two lists, by name or as a guest', () => {
  const before = list(v('me'), v('a', 'Ana'));
  const after = list(v('me'), v('b', 'Bo'), v('c9f1aaaa'));
  assert.deepEqual(viewerNotices(before, after, 'me'), ['Bo and Guest c9f1 joined', 'Ana left']);
});

test('viewerNotices: nothing about ourselves, nothing when nobody changed', () => {
  assert.deepEqual(viewerNotices(list(v('a', 'Ana')), list(v('a', 'Ana'), v('me')), 'me'), []);
  assert.deepEqual(viewerNotices(list(v('me'), v('a', 'Ana')), list(v('a', 'Ana'), v('me')), 'me'), []);
});

test('viewerNotices: a crowd arriving in one batch is one line', () => {
  const crowd = ['A', 'B', 'C', 'D', 'E', 'F'].map((n) => v(n, n));
  assert.deepEqual(viewerNotices(list(v('me')), list(v('me'), ...crowd), 'me'), ['A, B, C and 3 others joined']);
});

test('viewerNotices: a list cut at the server cap only tells the change in numbers', () => {
  const first = Array.from({ length: 100 }, (_, i) => v(`x${i}`));
  const shifted = Array.from({ length: 100 }, (_, i) => v(`x${i + 1}`));
  // 150 people, then 153: the list is only a window, so who is missing from it means nothing.
  assert.deepEqual(viewerNotices({ count: 150, viewers: first }, { count: 153, viewers: shifted }, 'me'), [
    '3 people joined',
  ]);
  assert.deepEqual(viewerNotices({ count: 150, viewers: first }, { count: 149, viewers: shifted }, 'me'), [
    '1 person left',
  ]);
  assert.deepEqual(viewerNotices({ count: 150, viewers: first }, { count: 150, viewers: shifted }, 'me'), []);
});

test('hostNotice and renameNotice', () => {
  const label = (id) => ({ a: 'Ana' })[id] ?? 'Guest';
  assert.equal(hostNotice('a', 'me', label), 'Ana is now the host');
  assert.equal(hostNotice('me', 'me', label), 'You are now the host');
  assert.equal(hostNotice(null, 'me', label), 'Nobody is hosting right now');
  assert.equal(renameNotice('Guest 1a2b', 'Sam'), 'Guest 1a2b is now Sam');
  assert.equal(renameNotice('Sam', 'Sam'), null);
});

test('settingsNotices: one line per setting that changed', () => {
  const everyone = { controls: 'everyone', max_viewers: null };
  assert.deepEqual(settingsNotices(everyone, { controls: 'host', max_viewers: null }), ['Only the host controls playback now']);
  assert.deepEqual(settingsNotices({ controls: 'host', max_viewers: 1 }, { controls: 'everyone', max_viewers: 8 }), [
    'Everyone controls playback now',
    'At most 8 people may watch now',
  ]);
  assert.deepEqual(settingsNotices({ controls: 'host', max_viewers: 8 }, { controls: 'host', max_viewers: null }), [
    'Any number of people may watch now',
  ]);
  assert.deepEqual(settingsNotices(everyone, { controls: 'everyone', max_viewers: 1 }), ['At most 1 person may watch now']);
  assert.deepEqual(settingsNotices(everyone, { ...everyone }), []);
});

test('settingsNotices: a password set or removed', () => {
  const open = { controls: 'everyone', max_viewers: null, has_password: false };
  const locked = { ...open, has_password: true };
  assert.deepEqual(settingsNotices(open, locked), ['The room now asks for a password']);
  assert.deepEqual(settingsNotices(locked, open), ['The room no longer asks for a password']);
  assert.deepEqual(settingsNotices(locked, { ...locked }), [], 'a new password is no news to those in');
  assert.deepEqual(settingsNotices({ controls: 'everyone', max_viewers: null }, locked), ['The room now asks for a password']);
});

test('ownerNotice and kickNotice', () => {
  const label = (id) => ({ a: 'Ana' })[id] ?? 'Guest 1a2b';
  assert.equal(ownerNotice('a', 'me', label), 'Ana owns the room now');
  assert.equal(ownerNotice('me', 'me', label), 'You own this room now');
  assert.equal(ownerNotice(null, 'me', label), 'The room has no owner now');
  assert.equal(kickNotice('a', label), 'Ana was removed from the room');
  assert.equal(kickNotice('x', label), 'Guest 1a2b was removed from the room');
});

test('queue notices: additions only, named; the next video from the queue is "Up next"', async () => {
  const { queueNotices, videoNotice } = await import('../../assets/js/timeline.js');
  const item = (id, by, name) => ({ video: { id, original_name: `clip-${id}.webm` }, added_by: by, added_by_name: name });
  const label = (id, name) => (id === 'me' ? 'You' : name || 'Guest');
  assert.deepEqual(queueNotices([item(1, 'a', 'Ada')], [item(1, 'a', 'Ada'), item(2, 'me', 'Bo'), item(3, 'c', null)], label), [
    'You queued clip-2.webm',
    'Guest queued clip-3.webm',
  ]);
  assert.deepEqual(queueNotices([item(1, 'a', 'Ada'), item(2, 'a', 'Ada')], [item(2, 'a', 'Ada')], label), [], 'the head went to play');
  assert.deepEqual(queueNotices([item(1, 'a'), item(2, 'a')], [item(2, 'a'), item(1, 'a')], label), [], 'a new order');
  const queue = [item(4, 'a', 'Ada')];
  assert.equal(videoNotice({ id: 4, original_name: 'clip-4.webm' }, queue), 'Up next: clip-4.webm');
  assert.equal(videoNotice({ id: 9, original_name: 'other.mp4' }, queue), 'New video: other.mp4');
  assert.equal(videoNotice({ id: 9, original_name: 'other.mp4' }, null), 'New video: other.mp4');
  assert.equal(videoNotice(null, queue), 'The video was removed');
});
