// Dates as people read them: chat timestamps in the viewer's own time zone, "3 hours ago" for recent
// rooms, day headings in the chat. Server times are UTC milliseconds; `new Date(ms)` shows them in local
// time. Pure (the current time is an argument): tested in tests/js/dates.test.mjs.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

function startOfDay(ms) {
  const d = new Date(ms);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** Whole local calendar days from `ms` to `now` (0: the same day, 1: yesterday). */
function daysBetween(ms, now) {
  // Rounded: a day with a daylight-saving change is 23 or 25 hours long.
  return Math.round((startOfDay(now) - startOfDay(ms)) / DAY);
}

/** "14:03" (or "2:03 PM", as the viewer's locale has it), in local time. */
export function clockTime(ms, locale = undefined) {
  return new Date(ms).toLocaleTimeString(locale, { hour: 'numeric', minute: '2-digit' });
}

/** The full local date and time, for a tooltip. */
export function fullDateTime(ms, locale = undefined) {
  return new Date(ms).toLocaleString(locale, { dateStyle: 'full', timeStyle: 'short' });
}

/** Whether two times fall on the same local calendar day. */
export function sameDay(a, b) {
  return startOfDay(a) === startOfDay(b);
}

/** A chat day heading: "Today", "Yesterday", "Monday 9 November", with the year when it is not this year's. */
export function dayLabel(ms, now = Date.now()) {
  const days = daysBetween(ms, now);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  const date = new Date(ms);
  const options = { weekday: 'long', day: 'numeric', month: 'long' };
  if (date.getFullYear() !== new Date(now).getFullYear()) options.year = 'numeric';
  return date.toLocaleDateString('en-GB', options).replace(',', '');
}

/** "just now", "5 minutes ago", "3 hours ago", "yesterday", "4 days ago", then the date. */
export function relativeTime(ms, now = Date.now()) {
  const ago = Math.max(0, now - ms);
  if (ago < MINUTE) return 'just now';
  if (ago < HOUR) return relative.format(-Math.floor(ago / MINUTE), 'minute');
  const days = daysBetween(ms, now);
  // "2 hours ago" reads better than "yesterday" for 23:30 seen at 01:30.
  if (days === 0 || ago < 12 * HOUR) return relative.format(-Math.floor(ago / HOUR), 'hour');
  if (days < 7) return relative.format(-days, 'day');
  const options = { day: 'numeric', month: 'short' };
  if (new Date(ms).getFullYear() !== new Date(now).getFullYear()) options.year = 'numeric';
  return new Date(ms).toLocaleDateString('en-GB', options);
}
