// Timeline notices: the chat's system lines for joins, leaves, host changes, renames, and room control
// (settings, ownership, removals), and the queue (what was queued, what plays next). The server
// sends no such events, only the current viewer list (batched, at most every ~100 ms, and capped at
// 100 entries), so joins and leaves are the difference between two successive lists. Pure: tested in
// tests/js/timeline.test.mjs.

import { displayName } from './identity.js';

/** More names than this in one batch are summed up ("Ana, Bo and 7 others joined"). */
const NAMES_SHOWN = 3;

/** "Ana", "Ana and Bo", "Ana, Bo and Cy", "Ana, Bo, Cy and 4 others". */
export function listNames(names) {
  if (names.length <= 1) return names.join('');
  if (names.length <= NAMES_SHOWN) return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  const rest = names.length - NAMES_SHOWN;
  return `${names.slice(0, NAMES_SHOWN).join(', ')} and ${rest} ${rest === 1 ? 'other' : 'others'}`;
}

function people(n) {
  return n === 1 ? '1 person' : `${n} people`;
}

/**
 * The notices between two viewer lists, each `{count, viewers}` as the server sends them. `me` (our
 * client ID) is left out: we know we came. When a list was cut at the server's cap, who is missing from
 * it says nothing (they may just sit past the cut), so only the change in the count is told.
 */
export function viewerNotices(before, after, me) {
  const complete = before.viewers.length >= before.count && after.viewers.length >= after.count;
  if (!complete) {
    const change = after.count - before.count;
    if (change > 0) return [`${people(change)} joined`];
    if (change < 0) return [`${people(-change)} left`];
    return [];
  }
  const had = new Set(before.viewers.map((v) => v.client_id));
  const has = new Set(after.viewers.map((v) => v.client_id));
  const joined = after.viewers.filter((v) => !had.has(v.client_id) && v.client_id !== me);
  const left = before.viewers.filter((v) => !has.has(v.client_id) && v.client_id !== me);
  const notices = [];
  if (joined.length) notices.push(`${listNames(joined.map(displayName))} joined`);
  if (left.length) notices.push(`${listNames(left.map(displayName))} left`);
  return notices;
}

/** The notice for a new host; `label(id)` names a client. */
export function hostNotice(host, me, label) {
  if (!host) return 'Nobody is hosting right now';
  if (host === me) return 'You are now the host';
  return `${label(host)} is now the host`;
}

/** The notice for a rename, or null when nothing visible changed. */
export function renameNotice(before, after) {
  if (before === after) return null;
  return `${before} is now ${after}`;
}

/** The notices for a change of the room's settings (`{controls, max_viewers, has_password}` before and after). */
export function settingsNotices(before, after) {
  const notices = [];
  if (before?.controls !== after.controls) {
    notices.push(after.controls === 'host' ? 'Only the host controls playback now' : 'Everyone controls playback now');
  }
  const cap = after.max_viewers ?? null;
  if ((before?.max_viewers ?? null) !== cap) {
    notices.push(cap ? `At most ${people(cap)} may watch now` : 'Any number of people may watch now');
  }
  const locked = Boolean(after.has_password);
  if (Boolean(before?.has_password) !== locked) {
    notices.push(locked ? 'The room now asks for a password' : 'The room no longer asks for a password');
  }
  return notices;
}

/** The notice for a new owner; `label(id)` names a client. */
export function ownerNotice(owner, me, label) {
  if (!owner) return 'The room has no owner now';
  if (owner === me) return 'You own this room now';
  return `${label(owner)} owns the room now`;
}

/** The notice when someone was removed from the room (not us: then the page says so instead). */
export function kickNotice(id, label) {
  return `${label(id)} was removed from the room`;
}

/**
 * The notices for videos added to the queue between two queues (each the protocol's items): "Ada
 * queued clip.webm". Removals, moves and the next video leaving the queue to play say nothing here.
 * `label(id, name)` names who added it.
 */
export function queueNotices(before, after, label) {
  const had = new Set((before ?? []).map((item) => item.video.id));
  return after
    .filter((item) => !had.has(item.video.id))
    .map((item) => `${label(item.added_by, item.added_by_name)} queued ${item.video.original_name}`);
}

/** The notice for the room's new video: "Up next: …" when it came from the queue (`queue`, as it was). */
export function videoNotice(video, queue) {
  if (!video) return 'The video was removed';
  if (queue?.[0]?.video.id === video.id) return `Up next: ${video.original_name}`;
  return `New video: ${video.original_name}`;
}
