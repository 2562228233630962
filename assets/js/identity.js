// Who this browser is: the client ID (from the signed cookie), the display name and the name colour,
// all kept by the server (`GET/PUT /api/me`). The name is cached in localStorage only so the page can
// show it before the first answer arrives.

import { api } from './http.js';

const CACHE_KEY = 'goblet.name';

let me = null; // {client_id, name, color} once the server answered

function cachedName() {
  try {
    return localStorage.getItem(CACHE_KEY) || '';
  } catch {
    return ''; // Storage can be switched off; the cache is only a nicety.
  }
}

function cache(name) {
  try {
    if (name) localStorage.setItem(CACHE_KEY, name);
    else localStorage.removeItem(CACHE_KEY);
  } catch {
    // As above.
  }
}

/** The name others see, '' for none (they see "Guest 1a2b"). */
export function myName() {
  return me ? me.name || '' : cachedName();
}

export function myColor() {
  return me?.color || '';
}

/**
 * Asks the server who we are. A name kept by an older version of the page (in this browser only) is
 * sent to the server once, so nobody loses the name they picked.
 */
export async function loadMe() {
  me = await api('GET', '/api/me');
  const old = cachedName();
  if (!me.name && old) {
    try {
      me = await api('PUT', '/api/me', { name: old });
    } catch {
      cache(''); // The server refuses it (too long, say): forget it rather than retry forever.
    }
  }
  cache(me.name);
  return me;
}

/** Saves a new display name; throws an ApiError carrying the server's message when it refuses. */
export async function saveMyName(name) {
  me = await api('PUT', '/api/me', { name });
  cache(me.name);
  return me;
}

/** A `name` message about us (we renamed ourselves in another tab). */
export function noteMyName(name) {
  if (me) me.name = name;
  cache(name);
}

/** The label for someone without a name: "Guest" and the start of their client ID. */
export function guestName(clientId) {
  return `Guest ${String(clientId).slice(0, 4)}`;
}

/** The label for a viewer or a chat author: `{client_id, name}`. */
export function displayName(person) {
  return person?.name || guestName(person?.client_id ?? '');
}
