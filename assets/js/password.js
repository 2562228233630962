// Room passwords without the DOM: reading a typed password, and what the page shows for each answer to
// `POST /api/rooms/{code}/join`. password-gate.js (the form) and room-control.js (the owner's panel)
// show what these answer. Tested in tests/js/password.test.mjs.

/** The longest password the server takes, in characters (Unicode code points, as Rust counts them). */
export const PASSWORD_MAX = 128;

/** A password as typed, checked: `{password}` to send or `{error}` to show. Sent exactly as typed. */
export function readPassword(text) {
  const password = String(text ?? '');
  if (password === '') return { error: 'Type the password.' };
  if ([...password].length > PASSWORD_MAX) return { error: `A password is at most ${PASSWORD_MAX} characters.` };
  return { password };
}

/** "42 s", "2 min": how long to wait, from `Retry-After` seconds. */
export function waitText(seconds) {
  const s = Math.max(1, Math.ceil(Number(seconds) || 0));
  return s < 90 ? `${s} s` : `${Math.ceil(s / 60)} min`;
}

/**
 * What the password form does with the join answer: `error` null for a 204, else the ApiError
 * (`{status, code, message, retryAfter}`). Answers one of
 *   {kind: 'admitted'}                    in: load the room
 *   {kind: 'wrong', text}                 say so, keep the form
 *   {kind: 'wait', text, seconds}         too many tries: say how long, keep the form
 *   {kind: 'removed', text}               kicked: the removed page, `text` under its heading
 *   {kind: 'missing'}                     the room is gone
 *   {kind: 'error', text}                 anything else: say it, keep the form
 */
export function joinOutcome(error) {
  if (!error) return { kind: 'admitted' };
  const { status, code } = error;
  if (status === 403 && code === 'wrong_password') return { kind: 'wrong', text: 'That is not the password. Try again.' };
  if (status === 403 && code === 'kicked') return { kind: 'removed', text: 'You may try again later.' };
  if (status === 429) {
    const seconds = Number.isFinite(error.retryAfter) && error.retryAfter > 0 ? error.retryAfter : 60;
    return { kind: 'wait', seconds, text: `Too many tries. Wait ${waitText(seconds)}, then try again.` };
  }
  if (status === 404) return { kind: 'missing' };
  if (status === 0) return { kind: 'error', text: 'Cannot reach the server. Try again in a moment.' };
  return { kind: 'error', text: error.message || `The server answered ${status}.` };
}

/** Whether an API error means "this room asks for a password, and you have not given it". */
export function asksForPassword(error) {
  return error?.status === 401 && error?.code === 'password_required';
}
