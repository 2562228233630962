// Uploads one file as the raw request body with XHR: fetch() cannot report upload progress.

import { apiError } from './http.js';

/**
 * Starts the upload. `onProgress(loaded, total)` follows it; returns `{done, cancel}` where `done`
 * resolves with the server's JSON answer, or rejects with an Error (`cancelled` true after cancel()).
 */
export function uploadFile(url, file, onProgress) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    xhr.open('POST', url);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size));
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size, file.size);
        resolve(xhr.responseText ? JSON.parse(xhr.responseText) : null);
      } else {
        reject(apiError(xhr.status, xhr.responseText, `Upload failed (${xhr.status})`));
      }
    });
    xhr.addEventListener('error', () => reject(new Error('Upload failed: the connection was lost')));
    xhr.addEventListener('abort', () => reject(Object.assign(new Error('Upload cancelled'), { cancelled: true })));
    xhr.send(file);
  });
  return { done, cancel: () => xhr.abort() };
}
