// Uploads one file with tus (resumable uploads, tus-js-client loaded as the global `tus` from
// /static/.../tus/tus.min.js). A dropped connection is retried from the last byte the server has;
// after a reload, picking the same file again resumes it, as the upload's URL is kept in this
// browser's localStorage under the file's name, type, size and date (cleared once it is done).

import { apiError } from './http.js';

/** Seconds between tries after a failure: about two minutes of retrying in all. */
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000, 30000, 30000, 30000];
/** Statuses worth another try: the network (0), the server, a stall, a busy upload, a full slot. */
const RETRYABLE = new Set([0, 408, 409, 423, 429]);

/**
 * Starts (or resumes) the upload of `file` to the room whose API is `roomApi`; with `queue` the
 * video joins the end of the room's queue. `onProgress(loaded, total)` follows it. Returns
 * `{done, cancel}`: `done` resolves when the server has the whole file (and registered the video),
 * or rejects with an Error (`cancelled` true after cancel()); cancel() stops and deletes it.
 */
export function uploadFile(roomApi, file, { queue = false } = {}, onProgress = () => {}) {
  let upload = null;
  let cancelled = false;
  let rejectDone;
  const done = new Promise((resolve, reject) => {
    rejectDone = reject;
    upload = new window.tus.Upload(file, {
      endpoint: `${roomApi}/uploads`,
      retryDelays: RETRY_DELAYS,
      metadata: { filename: file.name, queue: String(queue) },
      removeFingerprintOnSuccess: true,
      onShouldRetry(error) {
        const status = error.originalResponse ? error.originalResponse.getStatus() : 0;
        return RETRYABLE.has(status) || status >= 500;
      },
      onProgress: (loaded, total) => onProgress(loaded, total),
      onSuccess: () => {
        onProgress(file.size, file.size);
        resolve(null);
      },
      onError: (error) => {
        if (cancelled) return;
        const response = error.originalResponse;
        reject(
          response
            ? apiError(response.getStatus(), response.getBody(), `Upload failed (${response.getStatus()})`)
            : new Error('Upload failed: the connection was lost'),
        );
      },
    });
  });
  upload
    .findPreviousUploads()
    .then((previous) => {
      if (cancelled) return;
      if (previous.length > 0) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    })
    .catch(() => upload.start());
  const cancel = () => {
    if (cancelled) return;
    cancelled = true;
    // abort(true) also sends DELETE, so the server drops what it received.
    upload.abort(true).catch(() => {});
    rejectDone(Object.assign(new Error('Upload cancelled'), { cancelled: true }));
  };
  return { done, cancel };
}
