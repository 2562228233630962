// Room control without the DOM: who may do what (the room's owner, its host, the `controls` setting),
// which actions a viewer row offers, the read-only line others see, the settings form's reading, and
// what a refused socket means for the page. room-control.js shows what these answer. Tested in
// tests/js/control.test.mjs.

import { readPassword } from './password.js';

/** The largest viewer cap the server takes. */
export const MAX_VIEWERS_LIMIT = 100_000;

export const DEFAULT_SETTINGS = Object.freeze({ controls: 'everyone', max_viewers: null, has_password: false });

/**
 * Whether this page may play, pause, seek, change or refresh the video, as the server decides it:
 * anyone with `controls: "everyone"`, else only the host and the owner.
 */
export function mayControl({ me, host, owner, settings }) {
  if ((settings?.controls ?? 'everyone') === 'everyone') return true;
  return me !== null && me !== undefined && (me === host || me === owner);
}

/** Whether "Claim host" would be taken: with host-only controls only the owner may claim it. */
export function mayClaimHost({ me, owner, settings }) {
  return (settings?.controls ?? 'everyone') === 'everyone' || (me != null && me === owner);
}

/**
 * What the row of viewer `id` offers us (`me`), given the room's `host` and `owner`: 'make-owner'
 * (the owner hands the room on) and 'kick' (the host or the owner removes someone; never the owner,
 * never ourselves). In that order.
 */
export function viewerActions(id, { me, host, owner }) {
  if (me == null || id === me) return [];
  const actions = [];
  if (owner === me) actions.push('make-owner');
  if ((host === me || owner === me) && id !== owner) actions.push('kick');
  return actions;
}

/**
 * The short read-only line for someone who is not the owner (the owner has the settings panel), or ''
 * when there is nothing to say.
 */
export function controlLine({ me, host, owner, settings }) {
  if (me != null && me === owner) return '';
  const parts = [];
  if (settings?.controls === 'host') {
    parts.push(
      me != null && me === host
        ? 'Only you (the host) and the owner control playback.'
        : 'Only the host controls playback: your player follows theirs.',
    );
  }
  if (settings?.max_viewers) parts.push(`At most ${people(settings.max_viewers)} may watch.`);
  // Those watching are in already: this is for the link they pass on.
  if (settings?.has_password) parts.push('This room asks for a password.');
  return parts.join(' ');
}

function people(n) {
  return n === 1 ? '1 person' : `${n} people`;
}

/**
 * Reads the settings form: `controls` ('everyone' | 'host'), `cap` (the viewer limit field's text,
 * empty for none) and `password` (the password field's text: empty keeps the room's password as it
 * is, so the key is left out; anything typed is sent as typed). Answers `{settings}` to send, or
 * `{error}` to show.
 */
export function readSettingsForm({ controls, cap, password = '' }) {
  if (controls !== 'everyone' && controls !== 'host') return { error: 'Choose who can control playback.' };
  const text = String(cap ?? '').trim();
  let max_viewers = null;
  if (text !== '') {
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isInteger(n) || n < 1 || n > MAX_VIEWERS_LIMIT) {
      return { error: `The viewer limit is a whole number from 1 to ${MAX_VIEWERS_LIMIT}, or empty for none.` };
    }
    max_viewers = n;
  }
  if (password === '' || password == null) return { settings: { controls, max_viewers } };
  const read = readPassword(password);
  if (read.error) return { error: read.error };
  return { settings: { controls, max_viewers, password: read.password } };
}

/** The body of "Remove password": the room's settings as they are, and no password. */
export function removePasswordBody(settings) {
  return { controls: settings?.controls ?? 'everyone', max_viewers: settings?.max_viewers ?? null, password: null };
}

/** The owner panel's line on the password. */
export function passwordStatus(settings) {
  return settings?.has_password
    ? 'This room asks for a password. Newcomers give it once; whoever is in stays in.'
    : 'No password: anyone with the link can come in.';
}

export function sameSettings(a, b) {
  return (
    (a?.controls ?? null) === (b?.controls ?? null) &&
    (a?.max_viewers ?? null) === (b?.max_viewers ?? null) &&
    Boolean(a?.has_password) === Boolean(b?.has_password)
  );
}

/** "You may come back in 10 min." */
export function comeBackIn(minutes) {
  return `You may come back in ${Math.max(1, Math.ceil(minutes))} min.`;
}

/** "the room is full (3 people)" -> "The room is full (3 people)." */
export function sentence(text) {
  const t = String(text ?? '').trim();
  if (!t) return '';
  const capital = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/**
 * What a socket error means for the page. 'removed': we were kicked (the server closes the socket and
 * keeps refusing us for a while, so the page must stop reconnecting); 'full': the room is at its cap
 * (the socket closes, and trying again later may get in); 'refused': a play/pause/seek or the like was
 * not ours to do (the server resyncs us with a snapshot). Null for anything else.
 */
export function refusalOf(message) {
  if (message?.type !== 'error') return null;
  switch (message.code) {
    case 'kicked': {
      // The page's heading already says "removed": the text tells when they may come back.
      const minutes = /come back in (\d+) min/.exec(message.message ?? '')?.[1];
      return { kind: 'removed', text: minutes ? comeBackIn(Number(minutes)) : sentence(message.message) };
    }
    case 'room_full':
      return { kind: 'full', text: sentence(message.message || 'the room is full') };
    case 'not_allowed':
      return { kind: 'refused', text: 'Only the host controls playback here: your player went back to the room.' };
    default:
      return null;
  }
}
