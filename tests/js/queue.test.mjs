import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  kindLabel,
  addedBy,
  rowActions,
  movedIds,
  preloadTarget,
  atEnd,
  EndWatch,
  END_TOLERANCE,
} from '../../assets/js/queue.js';

const item = (id, kind = 'file', by = 'ada-id', name = 'Ada') => ({
  video: { id, kind, url: `/media/${id}.webm`, original_name: `${id}.webm`, size: 10, mime: 'video/webm' },
  added_by: by,
  added_by_name: name,
  added_at: 0,
});

test('a row says the kind and who added it', () => {
  assert.equal(kindLabel('file'), 'Upload');
  assert.equal(kindLabel('url'), 'Link');
  assert.equal(kindLabel('youtube'), 'YouTube');
  assert.equal(addedBy(item(1), 'me-id'), 'added by Ada');
  assert.equal(addedBy(item(1, 'file', 'me-id'), 'me-id'), 'added by you');
  assert.equal(addedBy(item(1, 'file', 'abcd1234-x', null), 'me-id'), 'added by Guest abcd');
});

test('row actions: up except first, down except last, remove; nothing when not allowed', () => {
  assert.deepEqual(rowActions(0, 3, true), ['down', 'remove']);
  assert.deepEqual(rowActions(1, 3, true), ['up', 'down', 'remove']);
  assert.deepEqual(rowActions(2, 3, true), ['up', 'remove']);
  assert.deepEqual(rowActions(0, 1, true), ['remove']);
  assert.deepEqual(rowActions(1, 3, false), []);
});

test('moving up or down gives every ID once in the new order', () => {
  const queue = [item(4), item(7), item(9)];
  assert.deepEqual(movedIds(queue, 7, -1), [7, 4, 9]);
  assert.deepEqual(movedIds(queue, 7, 1), [4, 9, 7]);
  assert.deepEqual(movedIds(queue, 4, 1), [7, 4, 9]);
  assert.equal(movedIds(queue, 4, -1), null, 'the first cannot go up');
  assert.equal(movedIds(queue, 9, 1), null, 'the last cannot go down');
  assert.equal(movedIds(queue, 5, 1), null, 'not queued');
  assert.deepEqual(queue.map((i) => i.video.id), [4, 7, 9], 'the queue itself is left alone');
});

test('preload: the next item only, only an upload, once', () => {
  const done = new Set();
  assert.equal(preloadTarget([], done), null);
  assert.equal(preloadTarget(null, done), null);
  assert.equal(preloadTarget([item(1, 'url'), item(2)], done), null, 'a link is not ours to fetch');
  assert.equal(preloadTarget([item(1, 'youtube')], done), null);
  assert.equal(preloadTarget([item(3), item(2)], done)?.id, 3);
  done.add(3);
  assert.equal(preloadTarget([item(3), item(2)], done), null, 'once');
  assert.equal(preloadTarget([item(2), item(3)], done)?.id, 2, 'a new head is preloaded');
});

test('at the end: a stopped player at the duration, or the room past it', () => {
  const base = { duration: 3, playing: true };
  assert.equal(atEnd({ ...base, time: 1, paused: false, expected: 1 }), false);
  assert.equal(atEnd({ ...base, time: 3, paused: true, expected: 2.98 }), true, 'ended a hair before the room');
  assert.equal(atEnd({ ...base, time: 3, paused: true, playing: false, expected: 3 }), true, 'the room paused at the end');
  assert.equal(atEnd({ ...base, time: 3, paused: true, expected: 1 }), false, 'the room is elsewhere');
  assert.equal(atEnd({ ...base, time: 2.5, paused: false, expected: 2.5 }), false);
  assert.equal(atEnd({ ...base, time: 3 - END_TOLERANCE / 2, paused: false, expected: 3 }), true, 'the room got there');
  assert.equal(atEnd({ ...base, time: 0, paused: true, playing: false, expected: 0.5 }), false, 'paused early');
  assert.equal(atEnd({ ...base, duration: Infinity, time: 3, paused: true, expected: 50 }), false, 'unknown duration');
});

test('the host reports the end once per video, and only with something queued', () => {
  const watch = new EndWatch();
  const end = { host: true, videoId: 5, nextId: 6, time: 3, paused: true, duration: 3, playing: true, expected: 3 };
  assert.equal(watch.check({ ...end, time: 1, paused: false, expected: 1 }), null, 'not yet');
  assert.equal(watch.check({ ...end, host: false }), null, 'a follower never does');
  assert.equal(watch.check({ ...end, nextId: null }), null, 'nothing to play next');
  assert.deepEqual(watch.check(end), { type: 'ended', video_id: 5, duration: 3 });
  assert.equal(watch.check(end), null, 'once');
  assert.equal(watch.check({ ...end, expected: 4 }), null, 'still once, later on');
  assert.deepEqual(watch.check({ ...end, nextId: 8 }), { type: 'ended', video_id: 5, duration: 3 }, 'something new was queued at the end');
  assert.equal(watch.check({ ...end, videoId: 6, nextId: 8, time: 0.2, paused: false, expected: 0.2 }), null, 'the next one just began');
  assert.deepEqual(watch.check({ ...end, videoId: 6, nextId: 8, duration: 4, time: 4, expected: 4 }), {
    type: 'ended',
    video_id: 6,
    duration: 4,
  });
});

test('a report that could not be sent is made again', () => {
  const watch = new EndWatch();
  const end = { host: true, videoId: 5, nextId: 6, time: 3, paused: true, duration: 3, playing: true, expected: 3 };
  assert.ok(watch.check(end));
  watch.forget();
  assert.ok(watch.check(end));
});
