// The room's queue without the DOM: what a queue row says and offers, the new order a move asks for,
// which upload to preload, and when the host's page tells the server that the current video ended
// (then the server plays the next one for everyone). queue-panel.js shows and wires what these answer.
// Tested in tests/js/queue.test.mjs.

import { displayName } from './identity.js';

/** How the row names a video's kind (`file`, `url`, `youtube` in the protocol). */
export function kindLabel(kind) {
  if (kind === 'file') return 'Upload';
  if (kind === 'youtube') return 'YouTube';
  return 'Link';
}

/** "added by Ada", "added by you", "added by Guest 1a2b". */
export function addedBy(item, me) {
  if (me != null && item.added_by === me) return 'added by you';
  return `added by ${displayName({ client_id: String(item.added_by ?? ''), name: item.added_by_name })}`;
}

/**
 * The buttons of the row at `index` in a queue of `length` items, for a page that may (`allowed`) change
 * the queue: 'up' (not for the first), 'down' (not for the last), 'remove'. None when not allowed.
 */
export function rowActions(index, length, allowed) {
  if (!allowed) return [];
  const actions = [];
  if (index > 0) actions.push('up');
  if (index < length - 1) actions.push('down');
  actions.push('remove');
  return actions;
}

/**
 * The IDs in the order that moves video `id` by `delta` places (-1 up, +1 down), for
 * `PUT /queue {ids}`; null when it cannot move that way (or is not queued).
 */
export function movedIds(queue, id, delta) {
  const ids = queue.map((item) => item.video.id);
  const from = ids.indexOf(id);
  const to = from + delta;
  if (from < 0 || to < 0 || to >= ids.length || to === from) return null;
  ids.splice(from, 1);
  ids.splice(to, 0, id);
  return ids;
}

/**
 * The queued upload to preload now: the next item when it is a file (links and YouTube videos are
 * not ours to fetch) and its ID is not in `done`; else null.
 */
export function preloadTarget(queue, done) {
  const next = queue?.[0];
  if (!next || next.video.kind !== 'file' || done.has(next.video.id)) return null;
  return next.video;
}

/** How much of the next upload a preload asks for: the first MiB is the first seconds of most videos. */
export const PRELOAD_BYTES = 1024 * 1024;

/**
 * The player stops within this of the duration (a real <video> lands exactly on it; some stop a frame
 * short).
 */
export const END_TOLERANCE = 0.3;

/**
 * Whether this page sees the room's video at its end: the player stopped at the end (the host's page
 * usually reports its end as a pause, so the room then reads paused there), or the room's own clock has
 * run past the end while it plays (a host whose player is stuck, say). `expected` is the room's
 * position now (not cut at the duration).
 */
export function atEnd({ time, paused, duration, playing, expected }) {
  if (!Number.isFinite(duration) || duration <= 0) return false;
  if (paused && time >= duration - END_TOLERANCE && expected >= duration - END_TOLERANCE) return true;
  return playing && expected >= duration;
}

/**
 * Tells the server when the current video ended, from the host's page only and once per video (and
 * next item: should something be queued while the room sits at the end, that is news to tell again).
 * Nothing is sent with an empty queue: the server would have nothing to play.
 */
export class EndWatch {
  constructor() {
    this.told = null; // `${videoId}:${nextId}` we last reported
  }

  /**
   * `state`: {host, videoId, nextId (the first queued video's ID, or null), time, paused, duration,
   * playing, expected}. Answers the `ended` message to send, or null.
   */
  check(state) {
    const { host, videoId, nextId, duration } = state;
    if (!host || videoId == null || nextId == null || !atEnd(state)) return null;
    const key = `${videoId}:${nextId}`;
    if (this.told === key) return null;
    this.told = key;
    return { type: 'ended', video_id: videoId, duration };
  }

  /** The report could not be sent: the next check may answer it again. */
  forget() {
    this.told = null;
  }
}
