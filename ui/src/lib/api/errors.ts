/**
 * Errors of every call: the core's `{code, kind, message}` (over HTTP and IPC alike), and the
 * UI's own codes for failures on the way (no answer, a timeout, an unreadable answer).
 */

/**
 * What kind of failure an error is: Docent's core sends it with every error (`kind`), over
 * HTTP and IPC alike, with a code from its one list (the OpenAPI document enumerates both).
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

const STATUS_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** A kind sent by the core, or null for anything else. */
export function readKind(value: unknown): ErrorKind | null {
  return typeof value === 'string' && Object.hasOwn(STATUS_OF_KIND, value) ? (value as ErrorKind) : null;
}

/**
 * The HTTP status that stands for a kind where the transport gives none (a command of the
 * desktop shell, an `error` event of a streamed answer), so the UI reacts alike everywhere
 * (a 401 sends the user to sign in). Without a kind: 500.
 */
export function statusOfKind(kind: ErrorKind | null): number {
  return kind === null ? 500 : STATUS_OF_KIND[kind];
}

/** Codes the UI itself produces; every other code comes from the server. */
export const NETWORK_ERROR = 'network_error';
export const TIMEOUT = 'timeout';
export const INVALID_RESPONSE = 'invalid_response';
/** A streamed answer the user (or the app) stopped by aborting it. */
export const ABORTED = 'aborted';
/** A streamed answer whose connection ended before the answer did. */
export const STREAM_INTERRUPTED = 'stream_interrupted';

export const NETWORK_ERROR_MESSAGE =
  "Docent's server cannot be reached. Check that it is running, then try again.";
export const TIMEOUT_MESSAGE = "Docent's server took too long to answer. Please try again.";
export const INVALID_RESPONSE_MESSAGE = "Docent's server sent an answer the app could not read.";
export const ABORTED_MESSAGE = 'The answer was stopped.';
export const STREAM_INTERRUPTED_MESSAGE =
  "The connection to Docent's server ended before the answer was finished. Please try again.";

/** The error a stopped (aborted) answer rejects with. */
export function abortedError(): ApiError {
  return new ApiError(0, ABORTED, ABORTED_MESSAGE);
}

/** Any failed call: a server error envelope, or a failure on the way to it. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** HTTP status; 0 when no response was received. */
  readonly status: number;
  /** The server's snake_case code, or one of the UI's own codes above. */
  readonly code: string;
  /** The kind the core sent with it; null for the UI's own errors. */
  readonly kind: ErrorKind | null;
  /** Seconds to wait before trying again (from a 429's `Retry-After`). */
  readonly retryAfter?: number;

  constructor(status: number, code: string, message: string, retryAfter?: number, kind: ErrorKind | null = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.kind = kind;
    if (retryAfter !== undefined) this.retryAfter = retryAfter;
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}

/** Turns anything thrown by an `Api` call into an `ApiError`. */
export function toApiError(value: unknown): ApiError {
  if (value instanceof ApiError) return value;
  const detail = value instanceof Error && value.message ? ` (${value.message})` : '';
  return new ApiError(0, 'unexpected_error', `Something went wrong in the app${detail}.`);
}

/** The sentence to show a person for an error, with the wait for a 429. */
export function describeError(error: ApiError): string {
  if (error.retryAfter === undefined) return error.message;
  const seconds = error.retryAfter;
  const wait =
    seconds <= 1
      ? 'You can try again in a second.'
      : seconds < 120
        ? `You can try again in ${seconds} seconds.`
        : `You can try again in ${Math.ceil(seconds / 60)} minutes.`;
  return `${error.message} ${wait}`;
}
