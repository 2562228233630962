// Room control without the DOM: who may do what, which actions a viewer row offers, the read-only line,
// the settings form, and what a refused socket means for the page.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  viewerActions,
  mayControl,
  mayClaimHost,
  controlLine,
  readSettingsForm,
  sameSettings,
  removePasswordBody,
  passwordStatus,
  sentence,
  refusalOf,
  comeBackIn,
} from '../../assets/js/control.js';

const locked = { controls: 'host', max_viewers: null };
const open = { controls: 'everyone', max_viewers: null };

test('viewerActions: the owner may hand the room to anyone and remove anyone else', () => {
  const room = { me: 'own', host: 'own', owner: 'own' };
  assert.deepEqual(viewerActions('bo', room), ['make-owner', 'kick']);
  assert.deepEqual(viewerActions('own', room), [], 'nothing on our own row');
  // The owner away from the host role keeps both, the host's row included.
  assert.deepEqual(viewerActions('hst', { me: 'own', host: 'hst', owner: 'own' }), ['make-owner', 'kick']);
});

test('viewerActions: the host may remove others, never the owner; guests get nothing', () => {
  const room = { me: 'hst', host: 'hst', owner: 'own' };
  assert.deepEqual(viewerActions('bo', room), ['kick']);
  assert.deepEqual(viewerActions('own', room), [], 'nobody removes the owner');
  assert.deepEqual(viewerActions('hst', room), []);
  const guest = { me: 'bo', host: 'hst', owner: 'own' };
  for (const id of ['hst', 'own', 'cy', 'bo']) assert.deepEqual(viewerActions(id, guest), [], id);
  assert.deepEqual(viewerActions('bo', { me: null, host: null, owner: null }), [], 'before the snapshot');
  assert.deepEqual(viewerActions('bo', { me: 'hst', host: 'hst', owner: null }), ['kick'], 'a room with no owner');
});

test('mayControl and mayClaimHost follow the controls setting', () => {
  assert.equal(mayControl({ me: 'bo', host: 'hst', owner: 'own', settings: open }), true);
  assert.equal(mayControl({ me: 'bo', host: 'hst', owner: 'own', settings: locked }), false);
  assert.equal(mayControl({ me: 'hst', host: 'hst', owner: 'own', settings: locked }), true);
  assert.equal(mayControl({ me: 'own', host: 'hst', owner: 'own', settings: locked }), true);
  assert.equal(mayControl({ me: null, host: null, owner: null, settings: locked }), false);
  assert.equal(mayClaimHost({ me: 'bo', owner: 'own', settings: open }), true);
  assert.equal(mayClaimHost({ me: 'bo', owner: 'own', settings: locked }), false);
  assert.equal(mayClaimHost({ me: 'own', owner: 'own', settings: locked }), true);
});

test('controlLine: what non-owners read about the settings', () => {
  assert.equal(controlLine({ me: 'bo', host: 'hst', owner: 'own', settings: open }), '');
  assert.equal(
    controlLine({ me: 'bo', host: 'hst', owner: 'own', settings: locked }),
    'Only the host controls playback: your player follows theirs.',
  );
  assert.equal(
    controlLine({ me: 'hst', host: 'hst', owner: 'own', settings: { controls: 'host', max_viewers: 6 } }),
    'Only you (the host) and the owner control playback. At most 6 people may watch.',
  );
  assert.equal(controlLine({ me: 'bo', host: 'hst', owner: 'own', settings: { ...open, max_viewers: 1 } }), 'At most 1 person may watch.');
  assert.equal(controlLine({ me: 'own', host: 'own', owner: 'own', settings: locked }), '', 'the owner has the panel');
});

test('readSettingsForm: a whole number from 1 to 100000, or empty for no limit', () => {
  assert.deepEqual(readSettingsForm({ controls: 'host', cap: '' }), { settings: { controls: 'host', max_viewers: null } });
  assert.deepEqual(readSettingsForm({ controls: 'everyone', cap: ' 12 ' }), {
    settings: { controls: 'everyone', max_viewers: 12 },
  });
  assert.deepEqual(readSettingsForm({ controls: 'host', cap: '100000' }).settings, { controls: 'host', max_viewers: 100000 });
  for (const cap of ['0', '-3', '2.5', '1e3', 'ten', '100001']) {
    assert.match(readSettingsForm({ controls: 'host', cap }).error ?? '', /whole number/, cap);
  }
  assert.ok(readSettingsForm({ controls: 'nobody', cap: '' }).error);
});

test('sameSettings and sentence', () => {
  assert.equal(sameSettings(open, { controls: 'everyone', max_viewers: null }), true);
  assert.equal(sameSettings(open, locked), false);
  assert.equal(sameSettings({ controls: 'host', max_viewers: 3 }, { controls: 'host', max_viewers: 4 }), false);
  assert.equal(sentence('the room is full (3 people)'), 'The room is full (3 people).');
  assert.equal(sentence('Done!'), 'Done!');
  assert.equal(sentence(''), '');
});

test('refusalOf: removed, full and refused, from the server\'s error codes', () => {
  assert.deepEqual(
    refusalOf({ type: 'error', code: 'kicked', message: 'you were removed from this room; you may come back in 10 min' }),
    { kind: 'removed', text: 'You may come back in 10 min.' },
  );
  assert.deepEqual(refusalOf({ type: 'error', code: 'kicked', message: 'go away' }), { kind: 'removed', text: 'Go away.' });
  assert.equal(comeBackIn(0.2), 'You may come back in 1 min.');
  assert.deepEqual(refusalOf({ type: 'error', code: 'room_full', message: 'the room is full (2 people)' }), {
    kind: 'full',
    text: 'The room is full (2 people).',
  });
  assert.equal(refusalOf({ type: 'error', code: 'not_allowed', message: 'x' }).kind, 'refused');
  assert.equal(refusalOf({ type: 'error', code: 'rate_limited', message: 'x' }), null);
  assert.equal(refusalOf({ type: 'chat', code: 'kicked' }), null);
});

test('readSettingsForm: the password is sent only when typed; an empty field keeps it', () => {
  const kept = readSettingsForm({ controls: 'everyone', cap: '', password: '' });
  assert.deepEqual(kept, { settings: { controls: 'everyone', max_viewers: null } });
  assert.equal('password' in kept.settings, false, 'left out, so the server keeps the room\'s password');
  assert.deepEqual(readSettingsForm({ controls: 'host', cap: '4', password: 'pop corn ' }), {
    settings: { controls: 'host', max_viewers: 4, password: 'pop corn ' },
  });
  assert.match(readSettingsForm({ controls: 'host', cap: '', password: 'x'.repeat(129) }).error, /at most 128/);
  assert.match(readSettingsForm({ controls: 'host', cap: 'ten', password: 'ok' }).error, /whole number/);
});

test('removePasswordBody keeps the other settings; passwordStatus says whether there is one', () => {
  assert.deepEqual(removePasswordBody({ controls: 'host', max_viewers: 3, has_password: true }), {
    controls: 'host',
    max_viewers: 3,
    password: null,
  });
  assert.match(passwordStatus({ ...open, has_password: true }), /asks for a password/);
  assert.match(passwordStatus(open), /No password/);
});

test('sameSettings and controlLine know about the password', () => {
  assert.equal(sameSettings(open, { ...open, has_password: true }), false);
  assert.equal(sameSettings({ ...open, has_password: false }, { controls: 'everyone', max_viewers: null }), true);
  assert.equal(
    controlLine({ me: 'bo', host: 'hst', owner: 'own', settings: { ...open, has_password: true } }),
    'This room asks for a password.',
  );
  assert.equal(
    controlLine({ me: 'own', host: 'own', owner: 'own', settings: { ...open, has_password: true } }),
    '',
    'the owner reads it in the panel',
  );
});
