// fetch() for our JSON API: answers parsed, errors thrown with the server's own message.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Turns an error answer's body (`{code, message}` JSON, or anything else) into an ApiError. */
export function apiError(status, text, fallback) {
  try {
    const body = JSON.parse(text);
    if (body && typeof body.message === 'string') return new ApiError(status, body.code, body.message);
  } catch {
    // Not JSON (a proxy's error page, say): fall through to the generic message.
  }
  return new ApiError(status, null, fallback || `The server answered ${status}`);
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
  if (!response.ok) throw apiError(response.status, text);
  return text ? JSON.parse(text) : null;
}
