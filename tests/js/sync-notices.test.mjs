import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDrift, viewerStatus, waitText, waitOverText } from '../../assets/js/sync-notices.js';

test('drift reads in ms under a second, in seconds above, with its direction', () => {
  assert.equal(formatDrift(0), '0 ms');
  assert.equal(formatDrift(12.4), '12 ms ahead');
  assert.equal(formatDrift(-830), '830 ms behind');
  assert.equal(formatDrift(-1450), '1.4 s behind');
});

test('a viewer status: state, drift while playing or paused, round trip in the title', () => {
  assert.equal(viewerStatus(null), null);
  assert.equal(viewerStatus({ state: 'dancing', drift_ms: 1, rtt_ms: 1 }), null);
  const playing = viewerStatus({ state: 'playing', drift_ms: -35, rtt_ms: 80 });
  assert.deepEqual(playing, {
    state: 'playing',
    text: 'playing · 35 ms behind',
    title: 'State: playing, 35 ms behind the room, round trip 80 ms',
  });
  assert.equal(viewerStatus({ state: 'buffering', drift_ms: -2000, rtt_ms: null }).text, 'buffering');
  assert.equal(viewerStatus({ state: 'blocked', drift_ms: null, rtt_ms: null }).text, 'needs a click');
});

test('the wait notice names who the room waits for and counts down', () => {
  const label = (id, name) => name || `Guest ${id.slice(0, 4)}`;
  assert.equal(
    waitText([{ client_id: 'abcd1234', name: 'Bob' }], label, 6.2),
    'Waiting for Bob to catch up… resuming in 7 s',
  );
  assert.equal(
    waitText([{ client_id: 'a', name: 'Ann' }, { client_id: 'b', name: 'Bob' }, { client_id: 'cdef', name: null }], label, -1),
    'Waiting for Ann, Bob and Guest cdef to catch up… resuming in 0 s',
  );
  assert.equal(waitOverText('deadline'), 'Playing on without waiting any longer.');
  assert.equal(waitOverText('cancelled'), null);
});
