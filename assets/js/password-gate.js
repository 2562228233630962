// The password form, shown in place of the room when the server answers 401 `password_required`. It
// posts the password to `/join` and settles once the answer lets the page go on: in (the page loads or
// reconnects the room), removed, or the room gone. A wrong password or too many tries keep the form.
// What each answer means is password.js's (no DOM, tested); this only shows it.

import { api } from './http.js';
import { readPassword, joinOutcome } from './password.js';

/**
 * Shows the form until the server lets us in. Resolves to `{kind: 'admitted'}`, `{kind: 'removed',
 * text}` or `{kind: 'missing'}`; the room is shown again only for 'admitted' (the caller shows the
 * others). `roomApi`: the room's REST prefix.
 */
export function askForPassword({ roomApi }) {
  const $ = (id) => document.getElementById(id);
  const form = $('password-form');
  const input = $('password-input');
  const submit = $('password-submit');
  const error = $('password-error');
  let waitUntil = 0; // too many tries: the button stays off until then (ms, Date.now())

  $('room').hidden = true;
  $('room-banner').hidden = true;
  $('locked').hidden = false;
  document.body.dataset.locked = 'true';
  input.value = '';
  error.textContent = '';
  input.focus();

  return new Promise((settle) => {
    async function onSubmit(event) {
      event.preventDefault();
      if (Date.now() < waitUntil) return;
      const read = readPassword(input.value);
      if (read.error) {
        error.textContent = read.error;
        input.focus();
        return;
      }
      error.textContent = '';
      submit.disabled = true;
      let outcome;
      try {
        await api('POST', `${roomApi}/join`, { password: read.password });
        outcome = joinOutcome(null);
      } catch (failure) {
        outcome = joinOutcome(failure);
      }
      submit.disabled = false;
      switch (outcome.kind) {
        case 'admitted':
        case 'removed':
        case 'missing':
          finish(outcome);
          return;
        case 'wait':
          error.textContent = outcome.text;
          waitUntil = Date.now() + outcome.seconds * 1000;
          submit.disabled = true;
          setTimeout(() => {
            submit.disabled = false;
            if (error.textContent === outcome.text) error.textContent = '';
          }, outcome.seconds * 1000);
          break;
        default: // 'wrong', 'error'
          error.textContent = outcome.text;
          input.select();
      }
    }

    function finish(outcome) {
      form.removeEventListener('submit', onSubmit);
      input.value = '';
      $('locked').hidden = true;
      delete document.body.dataset.locked;
      if (outcome.kind === 'admitted') $('room').hidden = false;
      settle(outcome);
    }

    form.addEventListener('submit', onSubmit);
  });
}
