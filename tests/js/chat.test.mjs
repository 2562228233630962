import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatLog, MAX_CHARS, counter, messageLength, continues, asStored } from '../../assets/js/chat.js';

let nextId = 1;
const msg = (fields = {}) => {
  const id = fields.id ?? nextId++;
  return { id, client_id: 'a', name: 'Ana', color: 'hsl(1, 70%, 68%)', text: `m${id}`, sent_at: 1_000_000 + id * 1000, ...fields };
};

test('messageLength counts characters as the server does: code points after trimming', () => {
  assert.equal(messageLength('  hi  '), 2);
  assert.equal(messageLength('\n\t'), 0);
  assert.equal(messageLength('😀😀'), 2, 'not UTF-16 units');
  assert.equal(messageLength('ü'.repeat(MAX_CHARS)), MAX_CHARS);
});

test('counter: quiet, then a warning near the limit, then over', () => {
  assert.deepEqual(counter(0), { text: '0 / 2,000', state: 'ok' });
  assert.equal(counter(1799).state, 'ok');
  assert.equal(counter(1800).state, 'near');
  assert.equal(counter(2000).state, 'near');
  assert.deepEqual(counter(2001), { text: '2,001 / 2,000', state: 'over' });
});

test('asStored matches what the server keeps of a text', () => {
  assert.equal(asStored('  hello\r\nthere\u0007 '), 'hello\nthere');
});

test('history replaces the messages (a reconnect shows no duplicates), notices stay', () => {
  const log = new ChatLog();
  const first = [msg({ id: 1 }), msg({ id: 2 })];
  log.replace(first);
  log.notice('Bo joined', first[1].sent_at + 10);
  log.add(msg({ id: 3 }));
  // Reconnect: the server sends the last messages again, plus one we missed.
  log.replace([msg({ id: 1 }), msg({ id: 2 }), msg({ id: 3 }), msg({ id: 4 })]);
  const entries = log.entries();
  assert.deepEqual(
    entries.map((e) => (e.kind === 'notice' ? e.text : e.id)),
    [1, 2, 'Bo joined', 3, 4],
  );
  assert.equal(log.add(msg({ id: 4 })), null, 'a message seen twice is added once');
});

test('a history with has_more leads to older pages, until a page says has_more is false', () => {
  const log = new ChatLog();
  const history = Array.from({ length: 50 }, (_, i) => msg({ id: 100 + i }));
  log.replace(history, true);
  assert.equal(log.hasMore, true);
  assert.equal(log.oldestId, 100);
  assert.equal(log.addOlder({ messages: [msg({ id: 98 }), msg({ id: 99 })], has_more: true }), 2);
  assert.equal(log.oldestId, 98);
  assert.equal(log.hasMore, true);
  // An overlapping page adds only what is new; an answer with nothing new stops the paging.
  assert.equal(log.addOlder({ messages: [msg({ id: 99 })], has_more: true }), 0);
  assert.equal(log.hasMore, false);
  assert.deepEqual(log.messages.map((m) => m.id).slice(0, 3), [98, 99, 100]);
});

test('a history without has_more has nothing older', () => {
  const log = new ChatLog();
  log.replace([msg()], false);
  assert.equal(log.hasMore, false);
  log.replace([], false);
  assert.equal(log.oldestId, null);
});

test('continues: one name line for a run of messages by the same author', () => {
  const a = { kind: 'message', ...msg({ client_id: 'a', name: 'Ana' }) };
  a.at = a.sent_at;
  const next = (fields) => ({ ...a, ...fields });
  assert.ok(continues(a, next({ at: a.at + 60_000 })));
  assert.ok(!continues(a, next({ at: a.at + 6 * 60_000 })), 'a long pause starts a new group');
  assert.ok(!continues(a, next({ client_id: 'b' })), 'another author');
  assert.ok(!continues(a, next({ name: 'Anna' })), 'a rename shows the new name');
  assert.ok(!continues({ kind: 'notice', text: 'x', at: a.at }, a), 'after a notice');
  assert.ok(!continues(null, a));
});
