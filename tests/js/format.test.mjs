import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTime, formatBytes, uploadStats, formatEta, normalizeCode } from '../../assets/js/format.js';

test('formatTime', () => {
  assert.equal(formatTime(0), '0:00');
  assert.equal(formatTime(75.4), '1:15');
  assert.equal(formatTime(3725), '1:02:05');
  assert.equal(formatTime(NaN), '0:00');
});

test('formatBytes', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KB');
  assert.equal(formatBytes(50 * 1024 * 1024), '50 MB');
});

test('uploadStats: percent, mean speed and time left', () => {
  assert.deepEqual(uploadStats(500, 1000, 1000), { percent: 50, speed: 500, secondsLeft: 1 });
  assert.deepEqual(uploadStats(0, 1000, 0), { percent: 0, speed: 0, secondsLeft: null });
  assert.equal(uploadStats(1000, 1000, 10).percent, 100);
});

test('formatEta', () => {
  assert.equal(formatEta(null), '');
  assert.equal(formatEta(2.2), '3 s left');
  assert.equal(formatEta(125), '3 min left');
});

test('normalizeCode accepts codes and pasted links', () => {
  assert.equal(normalizeCode(' qwer-tyui '), 'QWERTYUI');
  assert.equal(normalizeCode('http://192.168.1.5:8080/r/ABCDEFGH?x=1'), 'ABCDEFGH');
  assert.equal(normalizeCode(''), '');
});
