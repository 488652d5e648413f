/**
 * Uploads over HTTP, apart from the rest of the HTTP `Api` (http.ts loads this file the
 * first time a file is uploaded).
 */

import { readDocuments, type UploadOptions, type WorkspaceDocument } from '../document-types';
import { ABORTED, ApiError, NETWORK_ERROR } from './errors';
import { errorFromBody, invalidResponse, parseRetryAfter } from './http-errors';

/** An upload the user (or the page) cancelled. */
export const UPLOAD_CANCELLED_MESSAGE = 'The upload was cancelled.';
/**
 * An upload whose connection broke before an answer came. A server refusing a file over
 * its size limit may close the connection while the file is still being sent, so say so.
 */
export const UPLOAD_CUT_OFF_MESSAGE =
  'The upload was cut off before Docent answered. If the file is very large, it may be over the server\'s limit; otherwise check the connection and try again.';

/**
 * Sends one file as `multipart/form-data` (a part named `file`) with XMLHttpRequest, the one
 * browser API that reports how far a request body has gone out. Resolves with the documents
 * the server made of it (202); rejects with an `ApiError` like every other call.
 */
export function upload(url: string, file: File, options: UploadOptions = {}): Promise<WorkspaceDocument[]> {
  const { onProgress, signal } = options;
  return new Promise((resolve, reject) => {
    const cancelled = () => new ApiError(0, ABORTED, UPLOAD_CANCELLED_MESSAGE);
    if (signal?.aborted) {
      reject(cancelled());
      return;
    }
    const xhr = new XMLHttpRequest();
    const onAbort = () => xhr.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (outcome: () => WorkspaceDocument[]) => {
      signal?.removeEventListener('abort', onAbort);
      try {
        resolve(outcome());
      } catch (error) {
        reject(error);
      }
    };

    xhr.open('POST', url);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (event) => {
      const total = event.lengthComputable && event.total > 0 ? event.total : file.size;
      onProgress?.({ loaded: Math.min(event.loaded, total), total });
    };
    xhr.onload = () =>
      settle(() => {
        const status = xhr.status;
        const text = xhr.responseText;
        if (status < 200 || status >= 300) {
          throw errorFromBody(status, text, parseRetryAfter(xhr.getResponseHeader('Retry-After')));
        }
        let data: unknown;
        try {
          data = JSON.parse(text);
        } catch {
          throw invalidResponse(status);
        }
        return readDocuments(data, () => invalidResponse(status));
      });
    xhr.onerror = () =>
      settle(() => {
        throw new ApiError(0, NETWORK_ERROR, UPLOAD_CUT_OFF_MESSAGE);
      });
    xhr.onabort = () =>
      settle(() => {
        throw cancelled();
      });

    const form = new FormData();
    form.append('file', file, file.name);
    onProgress?.({ loaded: 0, total: file.size });
    xhr.send(form);
  });
}
