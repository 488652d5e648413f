/**
 * How docent-server's answers become `ApiError`s: its `{"error": {code, kind, message}}`
 * envelope, or a sentence per status when there is none. Shared by the HTTP `Api` (http.ts)
 * and its uploads (upload.ts).
 */

import { ApiError, INVALID_RESPONSE, INVALID_RESPONSE_MESSAGE, readKind } from './errors';
import { isRecord } from '../wire';

/**
 * `Retry-After` is either a number of seconds or an HTTP date.
 * Returns whole seconds (never negative), or undefined if absent or unreadable.
 */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  if (/^\d+$/.test(value)) return Number.parseInt(value, 10);
  // An HTTP date always names its day and month ("Wed, 21 Oct 2015 07:28:00 GMT").
  if (!/[a-z]/i.test(value)) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** A readable sentence for an error response whose body is not the JSON envelope. */
export function fallbackMessage(status: number): { code: string; message: string } {
  if (status === 401) return { code: 'unauthorized', message: 'Please sign in to continue.' };
  if (status === 403) return { code: 'forbidden', message: 'You are not allowed to do that.' };
  if (status === 413) return { code: 'payload_too_large', message: 'What you sent is too large.' };
  if (status === 429) return { code: 'rate_limited', message: 'Too many attempts. Please wait a moment.' };
  if (status >= 500)
    return {
      code: 'server_error',
      message: `Docent's server ran into a problem (HTTP ${status}). Please try again.`,
    };
  return {
    code: 'http_error',
    message: `Docent's server refused the request (HTTP ${status}).`,
  };
}

/** Reads `{"error": {"code", "message"}}`, or falls back to a sentence per status. */
export function errorFromBody(status: number, body: string, retryAfter: number | undefined): ApiError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const fallback = fallbackMessage(status);
  const envelope = isRecord(parsed) ? parsed['error'] : undefined;
  if (isRecord(envelope)) {
    const code = typeof envelope['code'] === 'string' && envelope['code'] ? envelope['code'] : fallback.code;
    const message =
      typeof envelope['message'] === 'string' && envelope['message'].trim()
        ? envelope['message']
        : fallback.message;
    return new ApiError(status, code, message, retryAfter, readKind(envelope['kind']));
  }
  return new ApiError(status, fallback.code, fallback.message, retryAfter);
}

/** An answer to a successful request that could not be read. */
export function invalidResponse(status: number): ApiError {
  return new ApiError(status, INVALID_RESPONSE, INVALID_RESPONSE_MESSAGE);
}
