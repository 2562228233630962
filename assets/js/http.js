// fetch() for our JSON API: answers parsed, errors thrown with the server's own message.

export class ApiError extends Error {
  /** `retryAfter`: the seconds a 429's `Retry-After` asks us to wait, else null. */
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/**
 * Turns an error answer's body (`{code, message}` JSON, or anything else) into an ApiError;
 * `retryAfter` is the answer's `Retry-After` header, when it has one (seconds; a date is not used here).
 */
export function apiError(status, text, fallback, retryAfter = null) {
  const seconds = retryAfter == null || !/^\d+$/.test(String(retryAfter).trim()) ? null : Number(retryAfter);
  try {
    const body = JSON.parse(text);
    if (body && typeof body.message === 'string') return new ApiError(status, body.code, body.message, seconds);
  } catch {
    // Not JSON (a proxy's error page, say): fall through to the generic message.
  }
  return new ApiError(status, null, fallback || `The server answered ${status}`, seconds);
}

export async function api(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the server');
  }
  const text = await response.text();
  if (!response.ok) throw apiError(response.status, text, undefined, response.headers.get('Retry-After'));
  return text ? JSON.parse(text) : null;
}
