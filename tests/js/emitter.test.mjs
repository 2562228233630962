// The one event emitter the client uses (store, player switch, YouTube adapter).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter } from '../../assets/js/emitter.js';

test('emitter: on() hears every emit of its type, with the arguments, in the order added', () => {
  const events = new Emitter();
  const seen = [];
  events.on('seeked', (a, b) => seen.push(['first', a, b]));
  events.on('seeked', (a) => seen.push(['second', a]));
  events.on('play', () => seen.push(['play']));
  events.emit('seeked', 1, 2);
  events.emit('seeked', 3);
  assert.deepEqual(seen, [['first', 1, 2], ['second', 1], ['first', 3, undefined], ['second', 3]]);
  events.emit('nobody-listens');
});

test('emitter: one() fires once; off() and the returned function stop a handler', () => {
  const events = new Emitter();
  const seen = [];
  events.one('x', (n) => seen.push(`one:${n}`));
  const stop = events.on('x', (n) => seen.push(`on:${n}`));
  const handler = (n) => seen.push(`off:${n}`);
  events.on('x', handler);
  events.emit('x', 1);
  events.off('x', handler);
  stop();
  events.emit('x', 2);
  assert.deepEqual(seen, ['one:1', 'on:1', 'off:1']);
});

test('emitter: a one() handler that subscribes again waits for the next emit', () => {
  // room.js's join-ahead waits for 'seeked', and may wait again from inside that handler.
  const events = new Emitter();
  const seen = [];
  const again = (n) => {
    seen.push(n);
    if (n < 3) events.one('seeked', again);
  };
  events.one('seeked', again);
  events.emit('seeked', 1);
  assert.deepEqual(seen, [1]);
  events.emit('seeked', 2);
  events.emit('seeked', 3);
  events.emit('seeked', 4);
  assert.deepEqual(seen, [1, 2, 3]);
});
