// Uploads of a registration's files to the console, with their progress.

import { ApiError, apiErrorFrom } from './errors.js';

// Uploads one file (PUT /api/uploads/NAME), reporting the bytes sent so far.
export function uploadFile(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `/api/uploads/${encodeURIComponent(file.name)}`);
    xhr.withCredentials = true;
    xhr.setRequestHeader('X-Strongroom-Console', '1');
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => {
      if (xhr.status < 200 || xhr.status >= 300) {
        reject(apiErrorFrom(xhr.status, xhr.statusText, xhr.responseText));
        return;
      }
      try {
        resolve(JSON.parse(xhr.responseText));
      } catch (_) {
        reject(new ApiError(`Uploading ${file.name}: the console answered something that is not JSON.`, xhr.status));
      }
    };
    xhr.onerror = () => reject(new ApiError(`Uploading ${file.name} failed: the console cannot be reached.`, 0));
    xhr.onabort = () => reject(new ApiError(`Uploading ${file.name} was stopped.`, 0));
    xhr.send(file);
  });
}
