import { test } from 'node:test';
import assert from 'node:assert/strict';
import { relativeTime, dayLabel, sameDay, clockTime } from '../../assets/js/dates.js';

// Local times: these read the way the viewer's clock does, whatever the machine's time zone.
const at = (y, mo, d, h = 12, mi = 0) => new Date(y, mo - 1, d, h, mi).getTime();
const now = at(2026, 11, 23, 15, 30);

test('relativeTime: recent visits in words, older ones as a date', () => {
  assert.equal(relativeTime(now - 20_000, now), 'just now');
  assert.equal(relativeTime(now + 5_000, now), 'just now', 'a clock slightly ahead is not the future');
  assert.equal(relativeTime(now - 60_000, now), '1 minute ago');
  assert.equal(relativeTime(now - 45 * 60_000, now), '45 minutes ago');
  assert.equal(relativeTime(at(2026, 11, 23, 12, 10), now), '3 hours ago');
  assert.equal(relativeTime(at(2026, 11, 22, 9), now), 'yesterday');
  assert.equal(relativeTime(at(2026, 11, 19, 9), now), '4 days ago');
  assert.equal(relativeTime(at(2026, 11, 2), now), '2 Nov');
  assert.equal(relativeTime(at(2025, 10, 19), now), '19 Oct 2025');
});

test('relativeTime: a few hours back across midnight still counts hours', () => {
  assert.equal(relativeTime(at(2026, 11, 22, 23, 30), at(2026, 11, 23, 1, 40)), '2 hours ago');
});

test('dayLabel: today, yesterday, then the weekday and date', () => {
  assert.equal(dayLabel(at(2026, 11, 23, 0, 5), now), 'Today');
  assert.equal(dayLabel(at(2026, 11, 22, 23, 59), now), 'Yesterday');
  assert.equal(dayLabel(at(2026, 11, 20), now), 'Friday 20 November');
  assert.equal(dayLabel(at(2025, 10, 19), now), 'Sunday 19 October 2025');
});

test('sameDay and clockTime work in local time', () => {
  assert.ok(sameDay(at(2026, 11, 23, 0, 1), at(2026, 11, 23, 23, 59)));
  assert.ok(!sameDay(at(2026, 11, 22, 23, 59), at(2026, 11, 23, 0, 1)));
  assert.equal(clockTime(at(2026, 11, 23, 9, 5), 'en-GB'), '9:05');
  assert.equal(clockTime(at(2026, 11, 23, 21, 5), 'en-GB'), '21:05');
  assert.equal(clockTime(at(2026, 11, 23, 21, 5), 'en-US'), '9:05 PM');
});
