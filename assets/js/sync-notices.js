// What the page says about sync in the wild, as text (pure, tested in tests/js/sync-notices.test.mjs):
// a viewer's reported status in the viewer list, and the notice while the room waits for someone.

/** How far off a drift (ms) reads, rounded the way people read it: "12 ms", "1.4 s". */
export function formatDrift(ms) {
  const size = Math.abs(ms);
  const text = size < 1000 ? `${Math.round(size)} ms` : `${(size / 1000).toFixed(1)} s`;
  if (Math.round(size) === 0) return text;
  return `${text} ${ms > 0 ? 'ahead' : 'behind'}`;
}

const STATE_TEXT = Object.freeze({
  ready: 'ready',
  buffering: 'buffering',
  playing: 'playing',
  paused: 'paused',
  blocked: 'needs a click',
});

/**
 * A viewer's `status` ({state, drift_ms, rtt_ms} or null) as `{state, text, title}` for the viewer list,
 * or null when they have not reported yet. The drift shows while they play or are paused; `title` gives
 * the round trip too.
 */
export function viewerStatus(status) {
  if (!status || !STATE_TEXT[status.state]) return null;
  let text = STATE_TEXT[status.state];
  const drift = status.drift_ms;
  if (drift !== null && drift !== undefined && (status.state === 'playing' || status.state === 'paused')) {
    text += ` · ${formatDrift(drift)}`;
  }
  const facts = [`State: ${STATE_TEXT[status.state]}`];
  if (drift !== null && drift !== undefined) facts.push(`${formatDrift(drift)} the room`);
  if (status.rtt_ms !== null && status.rtt_ms !== undefined) facts.push(`round trip ${Math.round(status.rtt_ms)} ms`);
  return { state: status.state, text, title: facts.join(', ') };
}

/**
 * The notice while the room waits: "Waiting for Bob and Guest 1a2b… resuming in 6 s". `label(clientId,
 * name)` names a viewer; `secondsLeft` counts down to the wait's `until`.
 */
export function waitText(waitingFor, label, secondsLeft) {
  const names = waitingFor.map((v) => label(v.client_id, v.name));
  const who = names.length <= 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  const left = Math.max(0, Math.ceil(secondsLeft));
  return `Waiting for ${who || 'someone'} to catch up… resuming in ${left} s`;
}

/** What a `wait_over` says, by its reason (null: nothing worth a notice). */
export function waitOverText(reason) {
  switch (reason) {
    case 'ready':
      return 'Everyone is ready: playing on.';
    case 'deadline':
      return 'Playing on without waiting any longer.';
    case 'left':
      return 'They left: playing on.';
    default:
      return null;
  }
}
