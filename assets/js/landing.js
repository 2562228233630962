// The landing page: pick your display name (kept by the server for this browser's cookie), start a
// party, join one by code, or go back to a room you were in lately.

import { api } from './http.js';
import { normalizeCode } from './format.js';
import { relativeTime } from './dates.js';
import { loadMe, myName, saveMyName } from './identity.js';

const $ = (id) => document.getElementById(id);

function showError(text) {
  $('landing-error').textContent = text;
}

// ---- Your name ----

function describeName(name) {
  $('name-note').textContent = name ? `Others will know you as ${name}.` : 'Others see it beside your messages.';
}

/**
 * Saves the name in the field if it changed; false when the server refused it (its words are shown).
 * On the way into a room (`passing`) an emptied field is left alone: a name cannot be removed, and
 * that should not stop anyone from starting a party.
 */
async function saveName({ passing = false } = {}) {
  const input = $('name');
  const wanted = input.value.trim();
  if (wanted === myName() || (passing && !wanted)) return true;
  $('name-error').textContent = '';
  $('name-save').disabled = true;
  try {
    const me = await saveMyName(wanted);
    input.value = me.name;
    describeName(me.name);
    $('name-note').textContent = `Saved. Others will know you as ${me.name}.`;
    return true;
  } catch (error) {
    $('name-error').textContent = error.message;
    input.focus();
    return false;
  } finally {
    $('name-save').disabled = false;
  }
}

function wireName() {
  const input = $('name');
  // The cached name at once, then the server's.
  input.value = myName();
  describeName(input.value);
  loadMe()
    .then((me) => {
      // Unless the user already started typing.
      if (document.activeElement !== input) input.value = me.name || '';
      describeName(me.name);
    })
    .catch(() => {});
  input.addEventListener('input', () => ($('name-error').textContent = ''));
  $('name-form').addEventListener('submit', (event) => {
    event.preventDefault();
    saveName();
  });
}

// ---- Recent rooms ----

async function showRecentRooms() {
  let rooms;
  try {
    ({ rooms } = await api('GET', '/api/me/rooms'));
  } catch {
    return; // Only a convenience: the page works without it.
  }
  const list = $('recent-rooms');
  const now = Date.now();
  list.replaceChildren(
    ...rooms.map((room) => {
      const link = document.createElement('a');
      link.className = 'recent-room';
      link.href = `/r/${encodeURIComponent(room.code)}`;
      const name = document.createElement('span');
      name.className = 'recent-name';
      name.textContent = room.name || `Room ${room.code}`;
      const code = document.createElement('code');
      code.className = 'recent-code';
      code.textContent = room.code;
      const when = document.createElement('time');
      when.className = 'recent-when';
      when.dateTime = new Date(room.visited_at).toISOString();
      when.title = new Date(room.visited_at).toLocaleString();
      when.textContent = relativeTime(room.visited_at, now);
      link.append(name, code, when);
      const item = document.createElement('li');
      item.append(link);
      return item;
    }),
  );
  $('recent').hidden = rooms.length === 0;
}

// ---- Start or join ----

async function startParty(button) {
  button.disabled = true;
  showError('');
  // A name typed but not saved yet goes with us.
  if (!(await saveName({ passing: true }))) {
    button.disabled = false;
    return;
  }
  try {
    const room = await api('POST', '/api/rooms');
    location.assign(`/r/${encodeURIComponent(room.code)}`);
  } catch (error) {
    showError(`Could not start a party: ${error.message}`);
    button.disabled = false;
  }
}

async function joinParty(event) {
  event.preventDefault();
  const code = normalizeCode($('code').value);
  if (!code) {
    showError('Type the room code (or paste the link) first.');
    $('code').focus();
    return;
  }
  if (!(await saveName({ passing: true }))) return;
  location.assign(`/r/${encodeURIComponent(code)}`);
}

wireName();
showRecentRooms();
$('start').addEventListener('click', (e) => startParty(e.currentTarget));
$('join').addEventListener('submit', joinParty);
