// Room control, the DOM side: the owner's settings panel (the room's password too), the read-only line
// everyone else reads, the "Make owner" and "Remove" buttons of the viewer rows, and what the page shows
// when the server turns it away (removed from the room, or the room is full; the password form is
// password-gate.js's). Every decision is control.js's (no DOM, tested); who is here, the owner and the
// settings come from the room store, which room.js fills.

import { api } from './http.js';
import { toast } from './toast.js';
import {
  viewerActions,
  controlLine,
  readSettingsForm,
  sameSettings,
  removePasswordBody,
  passwordStatus,
} from './control.js';

/**
 * The page that says we were removed, in place of the room (and of the password form, when the join
 * answered `kicked`). `text` goes under its heading.
 */
export function showRemovedPage(text) {
  const $ = (id) => document.getElementById(id);
  $('removed-text').textContent = text;
  $('removed').hidden = false;
  $('room').hidden = true;
  $('locked').hidden = true;
  $('room-banner').hidden = true;
  delete document.body.dataset.locked;
  document.body.dataset.refused = 'removed';
}

/**
 * `roomApi`: the room's REST prefix; `store`: the page's RoomStore; `labelFor(id)`: a viewer's name as
 * the list shows it; `onRemoved()`: the page was removed from the room (room.js stops the socket and
 * the player).
 */
export function setupControl({ roomApi, store, labelFor, onRemoved }) {
  const $ = (id) => document.getElementById(id);
  const form = $('settings-form');
  let shown = null; // the settings the form last showed: a snapshot saying the same keeps any edit
  let removed = false;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = $('settings-error');
    error.textContent = '';
    const read = readSettingsForm({
      controls: form.elements.controls.value,
      cap: $('max-viewers').value,
      password: $('room-password').value,
    });
    if (read.error) {
      error.textContent = read.error;
      return;
    }
    await saveSettings($('settings-save'), read.settings, 'Settings saved.');
  });

  $('remove-password').addEventListener('click', async () => {
    if (!window.confirm('Remove the password? Anyone with the link can then come in.')) return;
    $('settings-error').textContent = '';
    await saveSettings($('remove-password'), removePasswordBody(store.settings), 'The password is removed.');
  });

  async function saveSettings(button, body, done) {
    button.disabled = true;
    try {
      const settings = await api('PUT', `${roomApi}/settings`, body);
      // Saved: a typed password is not kept on the page longer than needed.
      $('room-password').value = '';
      // The socket's `settings` message says the same to everyone (and notes it in the chat).
      store.setSettings(settings);
      toast(done);
    } catch (failure) {
      $('settings-error').textContent = failure.message;
    } finally {
      button.disabled = false;
    }
  }

  function render() {
    const mine = store.isOwner;
    $('settings-card').hidden = !mine;
    if (mine && !sameSettings(shown, store.settings)) showSettings(store.settings);
    if (!mine) shown = null; // handed back to us later: show what the room has then
    const line = controlLine({ me: store.me, host: store.host, owner: store.owner, settings: store.settings });
    $('control-line').textContent = line;
    $('control-line').hidden = !line;
    document.body.dataset.controls = store.settings.controls;
  }

  function showSettings(settings) {
    shown = settings;
    for (const radio of form.elements.controls) radio.checked = radio.value === settings.controls;
    $('max-viewers').value = settings.max_viewers ? String(settings.max_viewers) : '';
    $('room-password').value = '';
    $('password-status').textContent = passwordStatus(settings);
    $('remove-password').hidden = !settings.has_password;
    document.body.dataset.password = settings.has_password ? 'yes' : 'no';
    $('settings-error').textContent = '';
  }

  /** The buttons for one viewer row (none for most people). */
  function rowActions(viewer) {
    const id = viewer.client_id;
    const name = labelFor(id);
    return viewerActions(id, { me: store.me, host: store.host, owner: store.owner }).map((action) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = `button small viewer-action action-${action}`;
      if (action === 'kick') {
        button.textContent = 'Remove';
        button.setAttribute('aria-label', `Remove ${name}`);
        button.addEventListener('click', () =>
          act(button, `Remove ${name} from the room? They cannot come back for 10 minutes.`, 'kick', {
            client_id: id,
          }),
        );
      } else {
        button.textContent = 'Make owner';
        button.setAttribute('aria-label', `Make owner: ${name}`);
        button.addEventListener('click', () =>
          act(button, `Make ${name} the owner of this room? They become host and get its settings; you keep neither.`, 'owner', {
            owner: id,
          }),
        );
      }
      return button;
    });
  }

  async function act(button, question, path, body) {
    if (!window.confirm(question)) return;
    button.disabled = true;
    try {
      await api('POST', `${roomApi}/${path}`, body);
      // What changed reaches every page over the socket: the list, the badges, a notice in the chat.
    } catch (error) {
      toast(error.message, 'error');
      button.disabled = false;
    }
  }

  /** The room is full: say so above the room while the socket keeps trying (with its backoff). */
  function full(text) {
    if (removed) return;
    // Said again on every retry: only a change is news (the banner is an alert).
    const said = `${text} Goblet keeps trying and lets you in when someone leaves.`;
    if ($('room-banner-text').textContent !== said) $('room-banner-text').textContent = said;
    $('room-banner').hidden = false;
    document.body.dataset.refused = 'full';
  }

  /** We are in (a snapshot came): whatever kept us out is over. */
  function admitted() {
    $('room-banner').hidden = true;
    delete document.body.dataset.refused;
  }

  /** Removed from the room: the room gives way to a page that says so; the socket stops for good. */
  function remove(text) {
    if (removed) return;
    removed = true;
    showRemovedPage(text);
    onRemoved();
  }

  return {
    render,
    rowActions,
    full,
    admitted,
    remove,
    get removed() {
      return removed;
    },
  };
}
