import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from '../../assets/js/socket.js';

test('backoff grows exponentially up to the cap', () => {
  const fixed = { random: () => 1 };
  assert.deepEqual([0, 1, 2, 3].map((n) => backoffDelay(n, fixed)), [500, 1000, 2000, 4000]);
  assert.equal(backoffDelay(50, fixed), 15_000);
});

test('backoff jitter stays within half to all of the cap', () => {
  assert.equal(backoffDelay(2, { random: () => 0 }), 1000);
  for (let i = 0; i < 100; i += 1) {
    const delay = backoffDelay(3);
    assert.ok(delay >= 2000 && delay <= 4000, String(delay));
  }
});
