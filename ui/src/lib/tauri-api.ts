/**
 * The `Api` inside Docent's desktop app: every call is a command of the Tauri shell,
 * reached through `invoke`.
 *
 * The shell keeps the session token itself; it never reaches JavaScript. A failed
 * command rejects with `{ code, message }` (the same codes as the HTTP API), which
 * becomes an `ApiError` carrying the status the HTTP server would have used, so the
 * rest of the UI (a 401 sends the user to sign in) behaves the same in both places.
 */

import { invoke } from '@tauri-apps/api/core';
import {
  ApiError,
  INVALID_RESPONSE,
  LOGIN_REQUESTED_MESSAGE,
  loginProofBody,
  PASSWORD_RESET_MESSAGE,
  readMessage,
  RESET_REQUESTED_MESSAGE,
  type Api,
  type Credentials,
} from './api';

/** The UI's own code for a rejection from Tauri itself rather than from a Docent command. */
export const IPC_ERROR = 'ipc_error';

const IPC_ERROR_MESSAGE = "Docent's desktop app could not carry out the request";
const INVALID_RESPONSE_MESSAGE = 'Docent sent an answer the app could not read.';
/** Longest detail from Tauri quoted in an `ipc_error` sentence. */
const MAX_DETAIL = 200;

/** The status docent-server answers with for each code that is not caught by a pattern below. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  bad_request: 400,
  malformed_json: 400,
  // A reset or sign-in link that is unknown, expired or used; a wrong or expired code.
  invalid_token: 400,
  invalid_code: 400,
  invalid_credentials: 401,
  unauthenticated: 401,
  unauthorized: 401,
  session_expired: 401,
  forbidden: 403,
  domain_not_allowed: 403,
  not_found: 404,
  email_taken: 409,
  payload_too_large: 413,
  too_many_attempts: 429,
  rate_limited: 429,
  internal: 500,
  // Configuration errors: the server answers these with 503, like `*_not_configured`.
  email_not_configured: 503,
  invalid_setting: 503,
  database_too_new: 503,
};

/**
 * The HTTP status docent-server would send with an error `code`, so that the UI reacts
 * to a command's failure exactly as it does to the same failure over HTTP.
 */
export function statusForCode(code: string): number {
  const known = STATUS_BY_CODE[code];
  if (known !== undefined) return known;
  if (code.endsWith('_not_configured')) return 503;
  if (code.startsWith('invalid_') || code.startsWith('password_')) return 422;
  if (code.endsWith('_not_allowed') || code.endsWith('_forbidden')) return 403;
  if (code.endsWith('_not_found')) return 404;
  return 500;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A sentence for a code whose error came without one. */
function fallbackMessage(status: number): string {
  if (status === 401) return 'Please sign in to continue.';
  if (status === 403) return 'You are not allowed to do that.';
  if (status === 429) return 'Too many attempts. Please wait a moment.';
  if (status === 503) return 'Docent is not set up for this yet.';
  if (status >= 500) return 'Something went wrong inside Docent. Please try again.';
  return 'Docent refused the request.';
}

/** Some readable text out of whatever Tauri rejected with, or '' if there is none. */
function detailOf(value: unknown): string {
  let detail = '';
  if (typeof value === 'string') detail = value;
  else if (value instanceof Error) detail = value.message;
  else if (isRecord(value) && typeof value['message'] === 'string') detail = value['message'];
  detail = detail.trim().replace(/\s+/g, ' ').replace(/\.$/, '');
  return detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL - 1)}…` : detail;
}

/**
 * Turns a command's rejection into an `ApiError`: a Docent `{ code, message }` keeps its
 * code and sentence and gets the matching HTTP status; anything else (a string from
 * Tauri itself, e.g. an unknown command or a refused permission) is an `ipc_error`
 * with status 0, like a request that never got an answer.
 */
export function fromIpcError(value: unknown): ApiError {
  if (value instanceof ApiError) return value;
  if (isRecord(value) && typeof value['code'] === 'string' && value['code'].trim() !== '') {
    const code = value['code'];
    const status = statusForCode(code);
    const message =
      typeof value['message'] === 'string' && value['message'].trim() !== ''
        ? value['message']
        : fallbackMessage(status);
    return new ApiError(status, code, message);
  }
  const detail = detailOf(value);
  return new ApiError(0, IPC_ERROR, detail ? `${IPC_ERROR_MESSAGE} (${detail}).` : `${IPC_ERROR_MESSAGE}.`);
}

/** Mirrors the HTTP implementation: an unreadable answer to a successful call. */
function invalidResponse(): ApiError {
  return new ApiError(200, INVALID_RESPONSE, INVALID_RESPONSE_MESSAGE);
}

function readString(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw invalidResponse();
}

function readOptionalString(body: Record<string, unknown>, key: string): string | null {
  return body[key] === undefined || body[key] === null ? null : readString(body, key);
}

/** Runs one command; a rejection becomes an `ApiError`. */
async function call(command: string, args?: Record<string, unknown>): Promise<unknown> {
  try {
    return await (args === undefined ? invoke<unknown>(command) : invoke<unknown>(command, args));
  } catch (error) {
    throw fromIpcError(error);
  }
}

/** Like `call`, but the answer must be an object. */
async function callObject(command: string, args?: Record<string, unknown>): Promise<Record<string, unknown>> {
  const data = await call(command, args);
  if (!isRecord(data)) throw invalidResponse();
  return data;
}

/** The shell's commands take the credentials as one `credentials` argument. */
function credentialsArg({ email, password }: Credentials): Record<string, unknown> {
  return { credentials: { email, password } };
}

/** The `Api` over the Tauri shell's commands. */
export function createTauriApi(): Api {
  return {
    async register(credentials) {
      const data = await callObject('auth_register', credentialsArg(credentials));
      return { userId: readString(data, 'user_id'), email: readString(data, 'email') };
    },

    async login(credentials) {
      const data = await callObject('auth_login', credentialsArg(credentials));
      return { userId: readString(data, 'user_id'), expiresAt: readString(data, 'expires_at') };
    },

    async logout() {
      await call('auth_logout');
    },

    async logoutAll() {
      await call('auth_logout_all');
    },

    async requestPasswordReset(email) {
      return readMessage(await call('auth_request_reset', { request: { email } }), RESET_REQUESTED_MESSAGE);
    },

    async resetPassword({ token, password }) {
      const data = await call('auth_reset_password', { request: { token, password } });
      return readMessage(data, PASSWORD_RESET_MESSAGE);
    },

    async requestLoginEmail(email) {
      return readMessage(await call('auth_request_login', { request: { email } }), LOGIN_REQUESTED_MESSAGE);
    },

    async verifyLogin(proof) {
      const data = await callObject('auth_verify_login', { request: loginProofBody(proof) });
      return { userId: readString(data, 'user_id'), expiresAt: readString(data, 'expires_at') };
    },

    async currentUser() {
      let data: unknown;
      try {
        data = await call('auth_current_user');
      } catch (error) {
        // The shell answers null when nobody is signed in; an ended session may also
        // be reported as a 401 error. Either way there is no current user.
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
      if (data === null || data === undefined) return null;
      if (!isRecord(data)) throw invalidResponse();
      return {
        userId: readString(data, 'user_id'),
        email: readString(data, 'email'),
        domain: readOptionalString(data, 'domain'),
      };
    },
  };
}

/** The `Api` for the UI running inside Docent's desktop app. */
export const tauriApi: Api = createTauriApi();
