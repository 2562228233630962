import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Jobs, isOver, mayCancel, statusText } from '../../assets/js/processing.js';

const job = (id, state, extra = {}) => ({
  job: id, name: `${id}.mkv`, state, percent: 0, reason: null, by: 'uploader', kind: 'transcode', queue: false, ...extra,
});

test('a snapshot replaces the running jobs and keeps the finished ones still shown', () => {
  const jobs = new Jobs();
  jobs.update(job(1, 'progress'));
  jobs.update(job(2, 'failed', { reason: 'bad' }));
  jobs.reset([job(3, 'queued')]);
  assert.deepEqual(jobs.list().map((j) => j.job), [2, 3]);
  jobs.update(job(3, 'progress', { percent: 40 }));
  assert.equal(jobs.list()[1].percent, 40);
  jobs.forget(2);
  assert.deepEqual(jobs.list().map((j) => j.job), [3]);
  jobs.reset(undefined);
  assert.deepEqual(jobs.list(), []);
});

test('the uploader, the host or the owner may cancel a running job', () => {
  const running = job(1, 'progress');
  assert.equal(mayCancel(running, { me: 'uploader', host: 'h', owner: 'o' }), true);
  assert.equal(mayCancel(running, { me: 'h', host: 'h', owner: 'o' }), true);
  assert.equal(mayCancel(running, { me: 'o', host: 'h', owner: 'o' }), true);
  assert.equal(mayCancel(running, { me: 'someone', host: 'h', owner: 'o' }), false);
  assert.equal(mayCancel(running, { me: null, host: null, owner: null }), false);
  assert.equal(mayCancel(job(1, 'ready'), { me: 'uploader', host: 'h', owner: 'o' }), false);
  assert.equal(isOver(job(1, 'cancelled')), true);
  assert.equal(isOver(job(1, 'queued')), false);
});

test('each state says what happens and a failure says why', () => {
  assert.match(statusText(job(1, 'progress', { percent: 42.7 })), /Converting to H\.264\/AAC: 42 %; then it plays/);
  assert.match(statusText(job(1, 'progress', { kind: 'remux', queue: true })), /Repackaging as MP4: 0 %; then it joins the queue/);
  assert.match(statusText(job(1, 'queued')), /Waiting/);
  assert.equal(statusText(job(1, 'failed', { reason: 'ffmpeg failed' })), 'Failed: ffmpeg failed');
  assert.equal(statusText(job(1, 'ready', { queue: true })), 'Ready: added to the queue');
  assert.equal(statusText(job(1, 'cancelled')), 'Cancelled');
});
