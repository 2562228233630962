// The landing page: pick a name (kept in this browser for now), start a party or join one by code.

import { api } from './http.js';
import { normalizeCode } from './format.js';

const $ = (id) => document.getElementById(id);
const NAME_KEY = 'goblet.name';

function showError(text) {
  $('landing-error').textContent = text;
}

function wireName() {
  const input = $('name');
  input.value = localStorage.getItem(NAME_KEY) || '';
  const note = $('name-note');
  input.addEventListener('input', () => {
    const name = input.value.trim();
    if (name) localStorage.setItem(NAME_KEY, name);
    else localStorage.removeItem(NAME_KEY);
    note.textContent = name ? `Others will know you as ${name}.` : 'Kept in this browser.';
  });
  if (input.value) note.textContent = `Others will know you as ${input.value}.`;
}

async function startParty(button) {
  button.disabled = true;
  showError('');
  try {
    const room = await api('POST', '/api/rooms');
    location.assign(`/r/${encodeURIComponent(room.code)}`);
  } catch (error) {
    showError(`Could not start a party: ${error.message}`);
    button.disabled = false;
  }
}

function joinParty(event) {
  event.preventDefault();
  const code = normalizeCode($('code').value);
  if (!code) {
    showError('Type the room code (or paste the link) first.');
    $('code').focus();
    return;
  }
  location.assign(`/r/${encodeURIComponent(code)}`);
}

wireName();
$('start').addEventListener('click', (e) => startParty(e.currentTarget));
$('join').addEventListener('submit', joinParty);
