// Small pure formatting helpers shared by the pages (tested in tests/js/format.test.mjs).

/** 75.4 -> "1:15", 3725 -> "1:02:05". */
export function formatTime(seconds) {
  const total = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** 1536 -> "1.5 KB" (powers of 1024, one decimal below 10). */
export function formatBytes(bytes) {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = Math.max(0, bytes || 0);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/**
 * Upload figures from bytes sent so far, the total and the time since the start (ms): whole percent,
 * mean speed in bytes/s and seconds left (null while unknown). The mean since the start is steadier than
 * the last interval's speed, which jumps with every buffer the browser flushes.
 */
export function uploadStats(loaded, total, elapsedMs) {
  const percent = total > 0 ? Math.min(100, Math.floor((loaded / total) * 100)) : 0;
  const speed = elapsedMs > 0 ? (loaded / elapsedMs) * 1000 : 0;
  const secondsLeft = speed > 0 ? Math.max(0, (total - loaded) / speed) : null;
  return { percent, speed, secondsLeft };
}

/** "3 s left", "2 min left", "" when unknown. */
export function formatEta(seconds) {
  if (seconds === null || !Number.isFinite(seconds)) return '';
  if (seconds < 60) return `${Math.ceil(seconds)} s left`;
  if (seconds < 3600) return `${Math.ceil(seconds / 60)} min left`;
  return `${(seconds / 3600).toFixed(1)} h left`;
}

/** Room codes are typed by people: accept "qwer tyui", a pasted link, or stray punctuation. */
export function normalizeCode(input) {
  const text = String(input ?? '').trim();
  const link = text.match(/\/r\/([^/?#]+)/);
  return (link ? link[1] : text).toUpperCase().replace(/[^A-Z0-9]/g, '');
}
