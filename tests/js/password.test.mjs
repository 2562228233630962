// Room passwords without the DOM: reading a typed password, the join answer, and Retry-After.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readPassword, waitText, joinOutcome, asksForPassword, PASSWORD_MAX } from '../../assets/js/password.js';
import { ApiError, apiError } from '../../assets/js/http.js';

test('readPassword: anything from 1 to 128 characters, sent exactly as typed', () => {
  assert.deepEqual(readPassword(' popcorn '), { password: ' popcorn ' }, 'spaces are part of it');
  assert.match(readPassword('').error, /Type the password/);
  assert.match(readPassword(undefined).error, /Type the password/);
  assert.deepEqual(readPassword('x'.repeat(PASSWORD_MAX)), { password: 'x'.repeat(128) });
  assert.match(readPassword('x'.repeat(129)).error, /at most 128 characters/);
  // Characters as the server counts them: an emoji is one, though two UTF-16 units.
  assert.ok(readPassword('🍿'.repeat(128)).password, '128 emoji are 128 characters');
  assert.ok(readPassword('🍿'.repeat(129)).error);
});

test('joinOutcome: in, wrong, removed, missing', () => {
  assert.deepEqual(joinOutcome(null), { kind: 'admitted' });
  const wrong = joinOutcome(new ApiError(403, 'wrong_password', "that is not the room's password"));
  assert.equal(wrong.kind, 'wrong');
  assert.match(wrong.text, /not the password/);
  const kicked = joinOutcome(new ApiError(403, 'kicked', 'you were removed from this room; try again later'));
  assert.equal(kicked.kind, 'removed');
  assert.match(kicked.text, /later/);
  assert.equal(joinOutcome(new ApiError(404, 'room_not_found', 'there is no room with this code')).kind, 'missing');
});

test('joinOutcome: too many tries says how long to wait, from Retry-After', () => {
  assert.deepEqual(joinOutcome(new ApiError(429, 'rate_limited', 'too many requests', 42)), {
    kind: 'wait',
    seconds: 42,
    text: 'Too many tries. Wait 42 s, then try again.',
  });
  // No usable header: a minute, the server's window.
  const unknown = joinOutcome(new ApiError(429, 'rate_limited', 'too many requests'));
  assert.equal(unknown.seconds, 60);
  assert.match(unknown.text, /Wait 60 s/);
});

test('joinOutcome: anything else is said and the form stays', () => {
  assert.deepEqual(joinOutcome(new ApiError(0, 'network', 'Cannot reach the server')), {
    kind: 'error',
    text: 'Cannot reach the server. Try again in a moment.',
  });
  assert.deepEqual(joinOutcome(new ApiError(500, 'internal', 'something went wrong on the server')), {
    kind: 'error',
    text: 'something went wrong on the server',
  });
});

test('waitText', () => {
  assert.equal(waitText(1), '1 s');
  assert.equal(waitText(0.2), '1 s');
  assert.equal(waitText(89), '89 s');
  assert.equal(waitText(90), '2 min');
  assert.equal(waitText(600), '10 min');
});

test('asksForPassword: only a 401 password_required', () => {
  assert.equal(asksForPassword(new ApiError(401, 'password_required', 'this room asks for a password')), true);
  assert.equal(asksForPassword(new ApiError(404, 'room_not_found', 'no')), false);
  assert.equal(asksForPassword(new ApiError(401, 'other', 'no')), false);
  assert.equal(asksForPassword(undefined), false);
});

test('apiError keeps a 429\'s Retry-After seconds', () => {
  const body = JSON.stringify({ code: 'rate_limited', message: 'too many requests; try again in 37 s' });
  const error = apiError(429, body, undefined, '37');
  assert.equal(error.code, 'rate_limited');
  assert.equal(error.retryAfter, 37);
  assert.equal(apiError(429, body).retryAfter, null);
  assert.equal(apiError(429, body, undefined, 'Wed, 21 Oct 2026 07:28:00 GMT').retryAfter, null, 'a date is not seconds');
  assert.equal(apiError(502, '<html>', 'Bad gateway', '5').retryAfter, 5);
});
