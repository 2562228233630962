// The sync controller with a fake player and a fake clock: what it does to the player and what it sends,
// in the situations the room page meets (late join, bursts of seeks, echoes, host changes, reconnects,
// a paused room). Server time = local time here (the snapshot seeds an offset of 0).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncController } from '../../assets/js/sync-controller.js';
import { Emitter } from '../../assets/js/emitter.js';

/** A clock whose time moves only when told to, running due timers in order as it goes. */
class FakeClock {
  constructor(start = 1_000_000) {
    this.t = start;
    this.timers = new Map(); // id -> {at, fn}
    this.nextId = 1;
  }

  now() {
    return this.t;
  }

  setTimeout(fn, ms) {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(id) {
    this.timers.delete(id);
  }

  advance(ms) {
    const end = this.t + ms;
    for (;;) {
      let due = null;
      for (const [id, timer] of this.timers) if (timer.at <= end && (!due || timer.at < due.at)) due = { id, ...timer };
      if (!due) break;
      this.timers.delete(due.id);
      this.t = due.at;
      due.fn();
    }
    this.t = end;
  }
}

/**
 * A player with the interface of players.js. Its clock moves with the fake clock while it plays (from
 * `startLatency` s after play(), as a real one spins up); a seek holds it at the target until `land()`.
 * `log` records what the controller asked of it; `reports` the play/pause/seek events it would fire,
 * handed to the controller by `flush()` as a real player does a moment later.
 */
class FakePlayer {
  constructor(clock) {
    this.clock = clock;
    this.events = new Emitter();
    this.log = [];
    this.reports = [];
    this.duration = 120;
    this.ready = true;
    this.blocked = false;
    this.refuse = false; // play() is refused until a click (autoplay policy)
    this.seeking = false;
    this.paused = true;
    this.startLatency = 0.08;
    this.buffering = false;
    this.bufferedAhead = 0; // seconds of data from the position on
    this.speed = 1;
    this.base = 0; // position at `since`
    this.since = clock.now();
  }

  get time() {
    if (this.paused || this.seeking) return this.base;
    return this.base + (Math.max(0, this.clock.now() - this.since) / 1000) * this.speed;
  }

  /** Tests move the player to a position (it keeps playing or stays paused). */
  set time(position) {
    this.base = position;
    this.since = this.clock.now();
  }

  get rate() {
    return this.speed;
  }

  set rate(value) {
    const at = this.time;
    this.speed = value;
    this.time = at;
  }

  seek(position) {
    this.log.push(['seek', position]);
    this.base = position;
    this.seeking = true;
    this.reports.push(['seek', position]);
  }

  /** The user seeks in the player's controls: the player holds still until `land()`. */
  userSeek(position) {
    this.base = position;
    this.seeking = true;
  }

  /** The seek lands: the frame is there, the clock moves again (if playing). */
  land() {
    this.seeking = false;
    this.since = this.clock.now();
    this.events.emit('seeked');
  }

  pause() {
    const at = this.time;
    this.log.push(['pause', at]);
    this.base = at;
    this.paused = true;
    this.reports.push(['pause', at]);
  }

  play() {
    this.log.push(['play', this.time]);
    if (this.refuse) {
      this.blocked = true;
      return Promise.resolve('blocked');
    }
    this.paused = false;
    this.since = this.clock.now() + this.startLatency * 1000;
    this.reports.push(['play', this.base]);
    return Promise.resolve('playing');
  }

  dismissJoin() {
    this.log.push(['dismissJoin']);
    this.blocked = false;
  }

  on(type, fn) {
    return this.events.on(type, fn);
  }

  one(type, fn) {
    return this.events.one(type, fn);
  }

  /** Hands the events fired since the last flush to `onEvent`; returns what it answered to each. */
  flush(onEvent) {
    const reports = this.reports;
    this.reports = [];
    return reports.map(([kind, position]) => onEvent(kind, position));
  }
}

const VIDEO = { id: 'v1', kind: 'file', url: '/media/v1.webm', mime: 'video/webm' };
const near = (actual, expected, what = '') =>
  assert.ok(Math.abs(actual - expected) < 1e-6, `${what} ${actual} is not ${expected}`);
const seeks = (player) => player.log.filter(([kind]) => kind === 'seek').map(([, at]) => at);
const onLocal = (sync) => (kind, position) => sync.onLocalEvent(kind, position);

/** A connected page that knows it is 'me'; `sent` holds what it sent (pings apart). */
function setup() {
  const clock = new FakeClock();
  const player = new FakePlayer(clock);
  const sent = [];
  const pings = [];
  const statuses = [];
  const blocked = [];
  const net = { online: true };
  const sync = new SyncController({
    player,
    clock,
    send: (message) => {
      if (!net.online) return false;
      (message.type === 'ping' ? pings : message.type === 'status' ? statuses : sent).push(message);
      return true;
    },
    onBlocked: () => blocked.push(clock.now()),
  });
  sync.setConnected(true);
  sync.welcome({ you: 'me', server_time: clock.now() });
  return { clock, player, sync, sent, pings, statuses, blocked, net };
}

const playingAt = (position, at) => ({ playing: true, position, rate: 1, updated_at: at });
const pausedAt = (position, at) => ({ playing: false, position, rate: 1, updated_at: at });

/** A page already playing in step with a room that plays from 5 s. */
function inStep() {
  const page = setup();
  const { clock, player, sync } = page;
  player.paused = false;
  player.time = 5;
  sync.setVideo(VIDEO, playingAt(5, clock.now()));
  sync.sourceLoaded();
  assert.deepEqual(player.log, [], 'already in step: nothing to do');
  return page;
}

/** A command as the server broadcasts it. */
function command(type, position, { by = 'other', at }) {
  return { type, position, playing: type === 'pause' ? false : true, by, server_time: at };
}

// ---- Late join ----

test('late join into a playing room: seeks past the room, waits on that frame, starts as the room arrives', async () => {
  const { clock, player, sync, sent } = setup();
  const t0 = clock.now();
  assert.equal(sync.setVideo(VIDEO, playingAt(10, t0)), false, 'not loaded yet: the page loads it');
  assert.equal(sync.tick(), null, 'nothing to show before the source is there');
  clock.advance(500); // loading took half a second: the room is at 10.5 s
  sync.sourceLoaded();
  // The room is at 10.5 s; we aim 0.3 s past it (at least twice the seek lead).
  assert.equal(seeks(player).length, 1);
  near(seeks(player)[0], 10.8, 'join-ahead seek');
  assert.equal(sync.tick().state, 'catching-up');

  clock.advance(100); // the seek takes 100 ms; the room is at 10.6 s
  player.land();
  assert.equal(player.log.filter(([k]) => k === 'play').length, 0, 'the frame waits for the room');
  // 10.8 - 10.6 - 0.08 (start lead): it starts 120 ms from now, 80 ms before the room gets there.
  clock.advance(119);
  assert.equal(player.log.filter(([k]) => k === 'play').length, 0);
  clock.advance(1);
  assert.deepEqual(player.log.at(-1)[0], 'play');
  near(player.log.at(-1)[1], 10.8, 'starts on the frame it sought');

  await Promise.resolve();
  assert.deepEqual(player.flush(onLocal(sync)), ['echo', 'echo'], 'its own seek and play are not sent');
  assert.deepEqual(sent, []);
  clock.advance(400); // past the settling time
  const status = sync.tick();
  assert.equal(status.state, 'in-sync');
  assert.ok(Math.abs(status.drift) < 0.001, `landed ${status.drift} s off`);
  assert.equal(player.rate, 1);
  assert.equal(seeks(player).length, 1, 'no second seek');
});

test('late join: should the seek never land, the drift loop gets its turn back after 5 s', () => {
  const { clock, player, sync } = setup();
  sync.setVideo(VIDEO, playingAt(10, clock.now()));
  sync.sourceLoaded();
  assert.equal(seeks(player).length, 1);
  player.seeking = false; // a load error: no 'seeked'
  clock.advance(4999);
  assert.equal(sync.tick().state, 'catching-up', 'still joining');
  assert.equal(seeks(player).length, 1);
  clock.advance(1);
  sync.tick(); // paused player, playing room: it joins again
  assert.equal(seeks(player).length, 2);
  near(seeks(player)[1], 15.3, 'aims past where the room is now');
});

test('late join with autoplay refused: says so, waits for the click, then joins', async () => {
  const { clock, player, sync, blocked } = setup();
  player.refuse = true;
  sync.setVideo(VIDEO, playingAt(10, clock.now()));
  sync.sourceLoaded();
  clock.advance(100);
  player.land();
  clock.advance(200);
  await Promise.resolve();
  assert.equal(blocked.length, 1, 'the page is told to ask for a click');
  assert.equal(sync.tick().state, 'waiting');
  sync.tick();
  assert.equal(seeks(player).length, 1, 'no seeking while the join button is up');

  clock.advance(2000); // the user takes two seconds to click: the room is at 12.3 s
  player.refuse = false;
  player.blocked = false;
  sync.unblocked(); // inside the click
  assert.equal(seeks(player).length, 2, 'seeks ahead again, then plays when the room arrives');
  near(seeks(player)[1], 12.6);
});

// ---- Bursts of seeks ----

test('a burst of our own seeks: the last one wins, older echoes do not pull us back', () => {
  const { clock, player, sync, sent } = inStep();
  const sentAt = [];
  for (const target of [20, 40, 60]) {
    clock.advance(50);
    player.userSeek(target); // the user clicks along the bar
    sentAt.push(clock.now());
    assert.equal(sync.onLocalEvent('seek', target), 'sent');
    assert.equal(sync.tick().state, 'starting', 'held on the frame until the room starts there');
  }
  // Sent as they are: the server schedules the start a moment ahead, for everyone alike.
  assert.deepEqual(sent.map((m) => [m.type, m.position]), [['seek', 20], ['seek', 40], ['seek', 60]]);
  assert.equal(player.paused, true, 'a start of ours holds until its `at`');
  clock.advance(100);
  player.land();

  // The server echoes each to everyone, us included, to start 300 ms after it got it.
  const echoes = sent.map((m, i) => ({ ...command('seek', m.position, { by: 'me', at: sentAt[i] }), at: sentAt[i] + 300 }));
  sync.handle(echoes[0]);
  assert.equal(sync.reference.position, 60, 'an older echo does not replace our latest seek');
  sync.handle(echoes[1]);
  assert.equal(sync.reference.position, 60);
  sync.handle(echoes[2]);
  assert.equal(sync.reference.position, 60, 'the last echo is the room');
  assert.equal(sync.reference.updated_at, sentAt[2] + 300);
  assert.deepEqual(seeks(player), [], 'we are already there: no seek back and forth');
  const started = () => player.log.filter(([kind]) => kind === 'play');
  clock.advance(sentAt[2] + 300 - clock.now() - 100);
  assert.equal(started().length, 0, 'not before `at` minus the start lead');
  clock.advance(100);
  assert.equal(started().length, 1, 'started on time');

  clock.advance(500);
  const status = sync.tick();
  assert.equal(status.state, 'in-sync');
  assert.ok(Math.abs(status.drift) < 0.001, `${status.drift} s off`);
  assert.deepEqual(seeks(player), []);
});

test('a burst of remote seeks: each is followed exactly, the last one is where we end up', () => {
  const { clock, player, sync, sent } = inStep();
  for (const target of [20, 40, 60]) {
    sync.handle(command('seek', target, { at: clock.now() }));
    clock.advance(30);
  }
  const aims = seeks(player);
  assert.equal(aims.length, 3);
  aims.forEach((aim, i) => near(aim, [20, 40, 60][i] + 0.1, 'aimed one seek lead ahead'));
  assert.deepEqual(player.flush(onLocal(sync)), ['echo', 'echo', 'echo'], 'our following is not sent back');
  assert.deepEqual(sent, []);

  clock.advance(70); // the last seek takes 100 ms, as the seek lead foresaw
  player.land();
  clock.advance(400);
  const status = sync.tick();
  assert.equal(status.state, 'in-sync');
  near(player.time, 60.1 + 0.4, 'on the last seek');
});

test('a remote seek moves even a short way (someone asked for that spot); our own echo does not', () => {
  const { clock, player, sync } = inStep();
  clock.advance(1000); // room and player at 6 s
  sync.handle(command('seek', 6.2, { by: 'me', at: clock.now() }));
  assert.deepEqual(seeks(player), [], 'our own seek: already there');
  sync.handle(command('seek', 6.2, { at: clock.now() }));
  assert.equal(seeks(player).length, 1);
  near(seeks(player)[0], 6.3);
});

// ---- Echoes ----

test('the echo of a remote command is swallowed; a real action right after is sent', () => {
  const { clock, player, sync, sent } = inStep();
  clock.advance(2000); // at 7 s
  sync.handle(command('pause', 7, { at: clock.now() }));
  assert.deepEqual(player.log, [['pause', 7]], 'paused where the room paused: no seek needed');
  clock.advance(20);
  assert.deepEqual(player.flush(onLocal(sync)), ['echo'], 'the pause event it causes is ours');
  assert.deepEqual(sent, []);

  clock.advance(100);
  assert.equal(sync.onLocalEvent('play', 7), 'sent', 'the user presses play at once');
  assert.deepEqual(sent, [{ type: 'play', position: 7 }]);
  clock.advance(100);
  assert.equal(sync.onLocalEvent('pause', 7.1), 'sent', 'the expectation matched once only');
  assert.deepEqual(sent.at(-1), { type: 'pause', position: 7.1 });
});

test('an expected echo that never comes expires: the same action later is the user\'s', () => {
  const { clock, player, sync, sent } = inStep();
  sync.handle(command('pause', 5, { at: clock.now() }));
  player.reports = []; // the player never fired its pause event
  clock.advance(801);
  assert.equal(sync.onLocalEvent('pause', 5), 'sent');
  assert.deepEqual(sent, [{ type: 'pause', position: 5 }]);
});

// ---- Host ----

test('the host leads with heartbeats and leaves its player alone; handed over, it corrects drift', () => {
  const { clock, player, sync, sent } = inStep();
  sync.setHost(true);
  // A pong with a 40 ms round trip: positions we report travel about 20 ms.
  sync.handle({ type: 'pong', client_time: clock.now() - 40, server_time: clock.now() - 20 });

  clock.advance(1000);
  player.time = player.time + 0.3; // off the room's timeline
  assert.notEqual(sync.tick().state, 'leading', 'right after a command the host follows it too');
  assert.ok(player.rate < 1, 'and corrects like everyone');

  clock.advance(1000); // two seconds after the command; the nudge won back 0.1 s of the 0.3
  assert.equal(sync.tick().state, 'leading');
  assert.equal(player.rate, 1, 'the host stops nudging');
  assert.equal(sent.length, 1);
  assert.equal(sent[0].type, 'heartbeat');
  assert.equal(sent[0].playing, true);
  near(sent[0].position, player.time + 0.02, 'heartbeat position');
  clock.advance(250);
  sync.tick();
  assert.equal(sent.length, 1, 'about one heartbeat a second');
  clock.advance(750);
  sync.tick();
  assert.equal(sent.length, 2);
  assert.deepEqual(seeks(player), [], 'the host never seeks to follow');

  // Someone claims host: from now on this page follows.
  sync.setHost(false);
  const status = sync.tick();
  assert.equal(status.state, 'catching-up');
  near(status.drift, 0.2, 'drift');
  near(player.rate, 0.9, 'the largest nudge (10 %) back towards the room');
  assert.equal(sent.length, 2, 'no more heartbeats');

  // The new host reports where the room is: 1 s behind us, so we seek.
  clock.advance(250);
  sync.handle({ type: 'heartbeat', position: player.time - 1, playing: true, by: 'other', server_time: clock.now() });
  clock.advance(250);
  sync.tick();
  assert.equal(seeks(player).length, 1);
  near(seeks(player)[0], sync.reference.position + 0.25 + 0.1, 'seek to the new host, one lead ahead');
});

test('heartbeats: our own and one right after a command are ignored', () => {
  const { clock, sync } = inStep();
  const t0 = clock.now();
  clock.advance(500);
  sync.handle({ type: 'heartbeat', position: 50, playing: true, by: 'other', server_time: clock.now() });
  assert.equal(sync.reference.position, 5, 'too soon after the command');
  clock.advance(1000);
  sync.handle({ type: 'heartbeat', position: 50, playing: true, by: 'me', server_time: clock.now() });
  assert.equal(sync.reference.position, 5, 'our own');
  sync.handle({ type: 'heartbeat', position: 6.6, playing: true, by: 'other', server_time: clock.now() });
  assert.deepEqual(sync.reference, playingAt(6.6, t0 + 1500));
});

// ---- Reconnect ----

test('reconnect: offline while away; the new snapshot resyncs and forgets echoes that will not come', () => {
  const { clock, player, sync, sent, pings, net } = inStep();
  assert.equal(pings.length, 0);
  clock.advance(600);
  assert.equal(pings.length, 5, 'a burst of pings on connect');

  // Two seeks of ours go out, then the socket drops before their echoes.
  for (const target of [30, 50]) {
    player.time = target;
    sync.onLocalEvent('seek', target);
  }
  assert.equal(sent.length, 2);
  sync.setConnected(false);
  net.online = false;
  clock.advance(1000);
  assert.equal(sync.tick().state, 'offline');
  assert.equal(sync.onLocalEvent('pause', player.time), 'offline', 'the page warns that nobody saw it');
  assert.equal(sent.length, 2);

  net.online = true;
  sync.setConnected(true);
  clock.advance(600);
  assert.equal(pings.length, 10, 'another burst on the new socket');
  // The snapshot: the room went on from 30 s while we were away, and we hold the same video.
  sync.welcome({ you: 'me', server_time: clock.now() });
  player.paused = false;
  player.time = 50;
  assert.equal(sync.setVideo(VIDEO, playingAt(30, clock.now())), true, 'same video: no reload');
  assert.equal(seeks(player).length, 1);
  near(seeks(player)[0], 30.1, 'back to the room');
  player.land();

  // A seek of ours from another tab (same client): applied, not taken for a stale echo.
  sync.handle(command('seek', 80, { by: 'me', at: clock.now() }));
  assert.equal(seeks(player).length, 2);
  near(seeks(player)[1], 80.1);
});

test('reconnect to a room with another video: the page must load it, nothing syncs until then', () => {
  const { clock, player, sync } = inStep();
  assert.equal(sync.setVideo({ ...VIDEO, id: 'v2' }, playingAt(0, clock.now())), false);
  assert.equal(sync.tick(), null);
  sync.handle(command('seek', 40, { at: clock.now() }));
  assert.deepEqual(seeks(player), [], 'the old video is not moved');
});

// ---- Paused room ----

test('a paused room: the player pauses at the room position, and is sought back when it strays', () => {
  const { clock, player, sync, sent } = setup();
  player.paused = false;
  player.time = 3;
  sync.setVideo(VIDEO, pausedAt(12, clock.now()));
  sync.sourceLoaded();
  assert.deepEqual(player.log, [['pause', 3], ['seek', 12]]);
  assert.deepEqual(player.flush(onLocal(sync)), ['echo', 'echo']);
  assert.deepEqual(sent, []);
  player.land();

  clock.advance(5000);
  assert.deepEqual(sync.tick(), { state: 'paused', text: 'Paused at 0:12', drift: null });
  player.time = 12.08; // within the paused tolerance (0.1 s)
  sync.tick();
  assert.equal(seeks(player).length, 1);
  player.time = 12.5;
  sync.tick();
  assert.deepEqual(seeks(player), [12, 12], 'sought back to the room');
});

test('a room that pauses while the join button is up takes the button away', () => {
  const { clock, player, sync } = setup();
  player.blocked = true;
  sync.setVideo(VIDEO, playingAt(10, clock.now()));
  sync.sourceLoaded();
  assert.deepEqual(player.log, [], 'nothing happens before the click');
  sync.handle(command('pause', 10.5, { at: clock.now() }));
  assert.deepEqual(player.log, [['dismissJoin'], ['seek', 10.5]]);
});

// ---- Refused actions (host-only controls) ----

test('a refused play goes back to the paused room at once, and is not waited for as an echo', () => {
  const { clock, player, sync, sent } = setup();
  sync.setVideo(VIDEO, pausedAt(12, clock.now()));
  sync.sourceLoaded();
  player.land();
  player.flush(onLocal(sync));
  player.log.length = 0;

  // The guest presses play: the player starts, the page sends it, the server says no.
  player.play();
  assert.deepEqual(player.flush(onLocal(sync)), ['sent']);
  assert.equal(sent.length, 1);
  clock.advance(300);
  sync.refused();
  assert.equal(player.paused, true, 'paused again, like the room');
  assert.ok(Math.abs(player.time - 12) <= 0.05, `back at the room's 12 s, not ${player.time}`);
  assert.deepEqual(player.flush(onLocal(sync)).filter((r) => r !== 'echo'), [], 'going back is not sent');
  assert.equal(sent.length, 1);
  player.land();
  clock.advance(2000);
  assert.equal(sync.tick().state, 'paused');
  assert.equal(player.paused, true, 'and it stays paused');

  // Nothing of ours is in flight any more: the host's next play is followed at once.
  sync.handle(command('play', 12, { by: 'host', at: clock.now() }));
  assert.equal(player.paused, false);
});

test('a refused seek during playback goes back to where the room plays', () => {
  const { clock, player, sync } = inStep();
  clock.advance(1000);
  player.userSeek(60);
  player.land();
  sync.onLocalEvent('seek', 60);
  clock.advance(200);
  sync.refused();
  const back = seeks(player).at(-1);
  assert.ok(back > 6 && back < 7, `sought back near the room's 6.2 s, to ${back}`);
});

// ---- The end of the video ----

test('a follower stopping at the end sends nothing and waits there; the host\'s end is a pause', () => {
  const { clock, player, sync, sent } = inStep();
  player.duration = 6;
  clock.advance(960); // the room at 5.96 s, this player a little ahead: it stops at its end
  player.paused = true;
  player.time = 6;
  assert.equal(sync.onLocalEvent('pause', 6), 'ended');
  assert.deepEqual(sent, [], 'a late pause from here could pause the next video');
  for (let i = 0; i < 4; i += 1) {
    clock.advance(250);
    sync.tick();
  }
  assert.deepEqual(player.log, [], 'not started over from the beginning, nor sought back');

  // A pause before the end is the user's, as ever.
  const other = inStep();
  other.player.duration = 6;
  assert.equal(other.sync.onLocalEvent('pause', 5.5), 'sent');
  // The host's own end goes out as a pause: the room stops there when nothing comes next.
  const host = inStep();
  host.player.duration = 6;
  host.sync.setHost(true);
  assert.equal(host.sync.onLocalEvent('pause', 6), 'sent');
  assert.equal(host.sent[0].type, 'pause');
});

test('a follower whose player stops at its end after the host\'s pause arrived sends nothing either', () => {
  const { clock, player, sync, sent } = inStep();
  player.duration = 6;
  clock.advance(980);
  // The player has just stalled a hair before its end when the host's pause at the end arrives
  // (the host got there first); then the player reports its own stop at the end.
  player.paused = true;
  player.time = 5.99;
  sync.handle(command('pause', 6, { by: 'host', at: sync.serverNow() }));
  player.time = 6;
  assert.equal(sync.onLocalEvent('pause', 6), 'ended');
  assert.deepEqual(sent, [], 'a pause from here would reach the room after the next video began');
});

test('a follower stopped at its end long before the room gets there is brought back to the room', () => {
  const { player, sync } = inStep();
  player.duration = 8;
  player.paused = true;
  player.time = 8; // 3 s ahead: something went wrong, not a hair ahead at the end
  assert.equal(sync.onLocalEvent('pause', 8), 'ended');
  sync.tick();
  assert.deepEqual(seeks(player).length, 1, 'it joins the room again');
});

// ---- Scheduled starts (`at`) ----

const plays = (player) => player.log.filter(([kind]) => kind === 'play');

test('a play scheduled for later: the paused page holds on the frame and starts at `at` minus its start lead', async () => {
  const { clock, player, sync, sent } = setup();
  player.time = 30;
  sync.setVideo(VIDEO, pausedAt(30, clock.now()));
  sync.sourceLoaded();
  const at = clock.now() + 600;
  sync.handle({ ...command('play', 30, { at: clock.now() }), at });
  assert.deepEqual(seeks(player), [], 'already on the frame');
  assert.equal(sync.tick().state, 'starting');
  clock.advance(600 - 80 - 1);
  assert.equal(plays(player).length, 0, 'not before `at` minus the start lead');
  clock.advance(1);
  assert.equal(plays(player).length, 1);
  await Promise.resolve();
  assert.deepEqual(player.flush(onLocal(sync)), ['echo']);
  assert.deepEqual(sent, []);
  clock.advance(480);
  const status = sync.tick();
  assert.equal(status.state, 'in-sync');
  assert.ok(Math.abs(status.drift) < 0.001, `${status.drift} s off`);
});

test('a seek scheduled for later reaches a playing page: it pauses, seeks to `position`, starts on time', () => {
  const { clock, player, sync } = inStep();
  clock.advance(1000);
  const at = clock.now() + 500;
  sync.handle({ ...command('seek', 70, { at: clock.now() }), at });
  assert.equal(player.paused, true, 'holds');
  assert.deepEqual(seeks(player), [70], 'on the frame the room starts from');
  // A real player fires its pause after the seek began, reading the seek's target then.
  assert.equal(sync.onLocalEvent('pause', 70), 'echo', 'the hold is not sent as a pause');
  assert.equal(sync.onLocalEvent('seek', 70), 'echo');
  clock.advance(150);
  player.land();
  clock.advance(500 - 150 - 81);
  assert.equal(plays(player).length, 0);
  clock.advance(1);
  assert.equal(plays(player).length, 1);
  clock.advance(600);
  const status = sync.tick();
  assert.ok(Math.abs(status.drift) < 0.001, `${status.drift} s off`);
});

test('a page that must seek later than `at` aims ahead and starts as the room arrives', () => {
  const { clock, player, sync } = inStep();
  sync.seekLead.value = 0.3; // this page's seeks are slow
  const at = clock.now() + 250;
  sync.handle({ ...command('seek', 70, { at: clock.now() }), at });
  near(seeks(player)[0], 70.35, 'twice the seek lead ahead of now, past the start');
  clock.advance(300);
  player.land();
  // The room reaches 70.35 at `at` + 350 ms: start 80 ms before.
  clock.advance(at + 350 - 80 - clock.now() - 1);
  assert.equal(plays(player).length, 0);
  clock.advance(1);
  assert.equal(plays(player).length, 1);
});

test('a resume by the server (`by: null`) is applied like anyone\'s', () => {
  const { clock, player, sync } = inStep();
  const where = player.time;
  sync.handle({ ...command('pause', where, { at: clock.now() }), by: null });
  assert.equal(player.paused, true);
  const at = clock.now() + 400;
  sync.handle({ ...command('play', where, { at: clock.now() }), by: null, at });
  clock.advance(400);
  assert.equal(plays(player).length, 1);
});

test('a snapshot whose playback starts later (`updated_at` in the future) holds until then, never counts back', () => {
  const { clock, player, sync } = setup();
  player.time = 12;
  sync.setVideo(VIDEO, playingAt(12, clock.now() + 700));
  sync.sourceLoaded();
  assert.deepEqual(seeks(player), []);
  assert.equal(sync.tick().state, 'starting');
  clock.advance(600);
  assert.equal(plays(player).length, 0);
  clock.advance(100);
  assert.equal(plays(player).length, 1);
});

test('our own play holds until the echo\'s `at`, then starts with everyone', async () => {
  const { clock, player, sync, sent } = inStep();
  sync.handle(command('pause', 5, { at: clock.now() }));
  await Promise.resolve();
  player.flush(onLocal(sync));
  clock.advance(2000);
  player.paused = false; // the user presses play
  player.since = clock.now();
  assert.equal(sync.onLocalEvent('play', 5), 'sent');
  assert.deepEqual(sent.at(-1), { type: 'play', position: 5 }, 'the position as it is: the server schedules');
  assert.equal(player.paused, true, 'held');
  clock.advance(50);
  const at = clock.now() + 300;
  sync.handle({ ...command('play', 5, { by: 'me', at: clock.now() }), at });
  clock.advance(300 - 81);
  assert.equal(plays(player).length, 0);
  clock.advance(1);
  assert.equal(plays(player).length, 1);
});

test('drift loop: a page 20 ms behind is nudged, not left in the band', () => {
  const { clock, player, sync } = inStep();
  clock.advance(1000);
  player.time = player.time - 0.02;
  sync.tick();
  assert.ok(player.rate > 1, `rate ${player.rate}`);
  for (let i = 0; i < 20; i += 1) {
    clock.advance(250);
    sync.tick();
  }
  assert.equal(player.rate, 1, 'back to normal speed once settled');
  assert.ok(Math.abs(sync.drift) < 0.005, `${sync.drift}`);
});

// ---- Status reports and waits ----

test('status: sent on a change, at most every 600 ms, with drift and round trip', () => {
  const { clock, player, sync, statuses } = inStep();
  sync.handle({ type: 'pong', client_time: clock.now() - 40, server_time: clock.now() - 20 });
  sync.tick();
  assert.deepEqual(statuses.at(-1), { type: 'status', state: 'playing', drift_ms: 0, rtt_ms: 40 });
  const count = statuses.length;
  clock.advance(250);
  sync.tick();
  assert.equal(statuses.length, count, 'nothing changed: nothing sent');
  sync.handle(command('pause', player.time, { at: clock.now() }));
  sync.tick();
  assert.equal(statuses.length, count, 'changed, but too soon after the last');
  clock.advance(350);
  sync.tick();
  assert.equal(statuses.at(-1).state, 'paused');
  sync.setConnected(false);
  sync.setConnected(true);
  clock.advance(600);
  sync.tick();
  assert.equal(statuses.at(-1).state, 'paused', 'a new socket hears it again');
  assert.equal(statuses.length, count + 2);
});

test('status: a stall after playing in step is buffering; a late joiner finding its frame is not', () => {
  const page = setup();
  page.sync.setVideo(VIDEO, playingAt(10, page.clock.now()));
  page.sync.sourceLoaded();
  page.player.buffering = true;
  assert.equal(page.sync.state, null, 'a join still loading says nothing');

  const { clock, player, sync, statuses } = inStep();
  clock.advance(500);
  sync.tick();
  assert.equal(sync.state, 'playing');
  player.buffering = true;
  assert.equal(sync.state, 'buffering');
  clock.advance(600);
  sync.tick();
  const count = statuses.length;
  assert.equal(statuses.at(-1).state, 'buffering');
  clock.advance(500);
  sync.tick();
  assert.equal(statuses.length, count, 'not again within a second');
  clock.advance(500);
  sync.tick();
  assert.equal(statuses.length, count + 1, 'said again while it lasts');
});

test('status: a late joiner that seeks, or follows a seek of the room, before it played in step reports a stall', () => {
  const lateJoiner = () => {
    const page = setup();
    page.sync.setVideo(VIDEO, playingAt(10, page.clock.now()));
    page.sync.sourceLoaded();
    page.player.buffering = true;
    assert.equal(page.sync.state, null, 'finding its frame');
    return page;
  };

  const own = lateJoiner();
  own.player.userSeek(30);
  assert.equal(own.sync.onLocalEvent('seek', 30), 'sent');
  assert.equal(own.sync.state, 'buffering', 'its own seek: the room\'s grace covers the loading, then it counts');
  own.clock.advance(600);
  own.sync.tick();
  assert.equal(own.statuses.at(-1).state, 'buffering', 'and the room hears it');

  const theirs = lateJoiner();
  theirs.sync.handle(command('seek', 40, { at: theirs.clock.now() + 300 }));
  assert.equal(theirs.sync.state, 'buffering', 'a seek of the room\'s');

  const stillLoading = setup();
  stillLoading.sync.setVideo(VIDEO, playingAt(10, stillLoading.clock.now()));
  stillLoading.sync.handle(command('seek', 40, { at: stillLoading.clock.now() }));
  stillLoading.sync.sourceLoaded();
  stillLoading.player.buffering = true;
  assert.equal(stillLoading.sync.state, null, 'a seek heard before the video loaded: still the join\'s own loading');
});

test('status: the viewer a wait names is buffering until it has data, then ready; blocked says so', () => {
  const { clock, player, sync } = inStep();
  sync.tick();
  player.buffering = true;
  const until = clock.now() + 8000;
  sync.handle({ ...command('pause', player.time, { at: clock.now() }), by: null });
  assert.equal(sync.handle({ type: 'wait', waiting_for: [{ client_id: 'me', name: null }], until }), false);
  assert.equal(sync.waitedFor, true);
  assert.equal(sync.state, 'buffering', 'paused by the room, but still without data');
  player.buffering = false;
  assert.equal(sync.state, 'ready');
  sync.handle({ type: 'wait_over', reason: 'ready' });
  assert.equal(sync.state, 'paused');
  player.blocked = true;
  assert.equal(sync.state, 'blocked');
});

test('a wait under way in the snapshot counts like a wait message; a snapshot without one ends it', () => {
  const { clock, sync } = inStep();
  const until = clock.now() + 8000;
  sync.welcome({ you: 'me', server_time: clock.now(), wait: { waiting_for: [{ client_id: 'me', name: null }], until } });
  assert.equal(sync.waitedFor, true);
  assert.equal(sync.wait.until, until);
  sync.welcome({ you: 'me', server_time: clock.now(), wait: null });
  assert.equal(sync.waitedFor, false);
  assert.equal(sync.wait, null);
});

test('status: a waited-for page paused with data ahead is ready even while its player says it lacks data', () => {
  const { clock, player, sync, statuses } = inStep();
  sync.tick();
  player.buffering = true;
  player.bufferedAhead = 0;
  sync.handle({ ...command('pause', player.time, { at: clock.now() }), by: null });
  sync.handle({ type: 'wait', waiting_for: [{ client_id: 'me', name: null }], until: clock.now() + 8000 });
  player.land();
  assert.equal(sync.state, 'buffering', 'nothing held ahead: still buffering');
  clock.advance(1000);
  sync.tick();
  assert.equal(statuses.at(-1).state, 'buffering');
  // The data is back, but a paused Chromium video may stay at HAVE_CURRENT_DATA (buffering = true).
  player.bufferedAhead = 0.4;
  assert.equal(sync.state, 'buffering', 'a fraction of a second is not enough to play on');
  player.bufferedAhead = 3;
  assert.equal(sync.state, 'ready');
  clock.advance(250);
  sync.tick();
  assert.equal(statuses.at(-1).state, 'ready', 'the room hears it at once, not REPORT_GAP_MS after the last');
  player.seeking = true;
  assert.equal(sync.state, 'buffering', 'a seek still landing has no frame yet');
  player.seeking = false;
  player.time = player.duration - 0.5;
  player.bufferedAhead = 0.45;
  assert.equal(sync.state, 'ready', 'near the end, the rest of the video is enough');
});

test('status: the end of a stall is said at once, not REPORT_GAP_MS after the buffering report', () => {
  const { clock, player, sync, statuses } = inStep();
  sync.tick();
  clock.advance(600);
  player.buffering = true;
  sync.tick();
  assert.equal(statuses.at(-1).state, 'buffering');
  const count = statuses.length;
  clock.advance(250);
  player.buffering = false;
  sync.tick();
  assert.equal(statuses.length, count + 1, 'the room may be about to wait for a stall that is over');
  assert.equal(statuses.at(-1).state, 'playing');
  clock.advance(250);
  player.rate = 1.05; // a drift change alone still waits its turn
  player.time = player.time - 0.1;
  sync.tick();
  assert.equal(statuses.length, count + 1);
});

test('status: ready is said again while the room still waits for us, not once the wait is over', () => {
  const { clock, player, sync, statuses } = inStep();
  sync.tick();
  sync.handle({ ...command('pause', player.time, { at: clock.now() }), by: null });
  sync.handle({ type: 'wait', waiting_for: [{ client_id: 'me', name: null }], until: clock.now() + 8000 });
  player.land();
  clock.advance(1000);
  sync.tick();
  assert.equal(statuses.at(-1).state, 'ready');
  const count = statuses.length;
  clock.advance(600);
  sync.tick();
  assert.equal(statuses.length, count, 'not again within a second');
  clock.advance(500);
  sync.tick();
  assert.equal(statuses.length, count + 1, 'again: the first may have been dropped over the rate');
  assert.equal(statuses.at(-1).state, 'ready');
  sync.handle({ type: 'wait_over', reason: 'ready' });
  clock.advance(2000);
  sync.tick();
  assert.equal(statuses.at(-1).state, 'paused');
  const after = statuses.length;
  clock.advance(2000);
  sync.tick();
  assert.equal(statuses.length, after, 'a paused page says it once');
});

test('far off: a page more than a second from the room is offered a resync, which brings it back', () => {
  const { clock, player, sync } = inStep();
  clock.advance(1000);
  sync.seekLead.max = 0; // keep the numbers simple
  player.paused = true; // fell out: a stall the drift loop has not fixed yet
  player.time = 4;
  sync.cancelJoin();
  sync.drift = player.time - 6;
  assert.equal(sync.farOff, true);
  sync.resync();
  assert.ok(seeks(player).length >= 1, 'sought back to the room');
  assert.ok(seeks(player).at(-1) > 6);
});

test('a page out of data mid-play does not seek ahead while it fills; once it plays again it catches up', () => {
  const { clock, player, sync } = inStep();
  clock.advance(1000);
  player.buffering = true;
  player.time = player.time; // the clock stops while it waits for data
  player.paused = true;
  player.paused = false;
  const at = player.time;
  player.speed = 0;
  clock.advance(2000);
  assert.equal(sync.tick().text, 'Buffering…');
  assert.deepEqual(seeks(player), [], 'no seek while the data is on its way');
  assert.ok(sync.drift < -1.9, `${sync.drift}`);
  player.buffering = false;
  player.speed = 1;
  player.time = at;
  sync.tick();
  assert.equal(seeks(player).length, 1, 'playing again, two seconds behind: one seek');
});

test('a stalled page the room pauses ahead of it: its player\'s pause, read after the seek, is not sent', () => {
  const { clock, player, sync } = inStep();
  clock.advance(1000);
  player.buffering = true;
  player.speed = 0; // stalled at about 6 s while the room went on
  clock.advance(700);
  sync.handle({ ...command('pause', 6.9, { at: clock.now() }), by: null });
  assert.equal(player.paused, true);
  assert.deepEqual(seeks(player), [6.9]);
  // A real player fires its pause after the seek began: it reads 6.9, not where it paused.
  assert.equal(sync.onLocalEvent('pause', 6.9), 'echo');
  assert.equal(sync.onLocalEvent('seek', 6.9), 'echo');
});

test('a seek that lands late with the data ahead loaded seeks again a short way, within it', () => {
  const { clock, player, sync } = inStep();
  const at = clock.now() + 500;
  sync.handle({ ...command('seek', 70, { at: clock.now() }), at });
  near(seeks(player)[0], 70, 'the start\'s position');
  clock.advance(700); // the range request took long: the room is at 70.2 s
  player.bufferedAhead = 3;
  player.land();
  assert.equal(seeks(player).length, 2, 'seeks again instead of starting 200 ms behind');
  near(seeks(player)[1], 70.4, 'a short way ahead: the data is here');
  clock.advance(50);
  player.land();
  // The room reaches 70.4 s at `at` + 400 ms: start 80 ms before.
  clock.advance(at + 400 - 80 - clock.now() - 1);
  assert.equal(plays(player).length, 0);
  clock.advance(1);
  assert.equal(plays(player).length, 1);
});

test('a late join whose seek lands after the room passed its frame seeks again, further ahead, and learns the seek time', () => {
  const { clock, player, sync } = setup();
  sync.setVideo(VIDEO, playingAt(10, clock.now()));
  sync.sourceLoaded();
  near(seeks(player)[0], 10.3, 'the first aim: 0.3 s ahead');
  clock.advance(600); // a slow link: the seek takes 600 ms, the room is at 10.6 s
  player.land();
  assert.equal(seeks(player).length, 2, 'seeks again instead of starting 300 ms behind');
  assert.ok(sync.seekLead.value > 0.2, `the seek lead learnt: ${sync.seekLead.value}`);
  near(seeks(player)[1], 10.6 + 2 * sync.seekLead.value, 'twice the learnt seek lead ahead');
  clock.advance(300);
  player.land();
  assert.equal(plays(player).length, 0, 'on time now: waits for the room');
  clock.advance(1000);
  assert.equal(plays(player).length, 1);
  assert.equal(sync.startLead.value, 0.08, 'untouched by the late landing');
});
