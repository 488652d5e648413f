/**
 * The one place the UI talks to Docent's server.
 *
 * Views only see the `Api` interface and `ApiError`; they never call `fetch`
 * themselves. `chooseApi()` picks the implementation for the current runtime:
 * `httpApi` below, or `tauriApi` (./tauri-api.ts) inside the desktop app.
 *
 * Over HTTP, the session lives in the HttpOnly `session_id` cookie that the server
 * sets on login. The UI never reads, keeps or sends the session token itself: the
 * login response's `session_token` is deliberately dropped here. In the desktop
 * app, the Tauri shell keeps the token and never hands it to JavaScript.
 */

import {
  ChatStream,
  historySearch,
  readChatAnswer,
  readChatHistory,
  readConversation,
  readConversations,
  readHistoryEntries,
  readWorkspace,
  readWorkspaces,
  conversationBody,
  sendBody,
  workspaceBody,
  type ChatAnswer,
  type ChatHistory,
  type ChatStreamHandlers,
  type Conversation,
  type ExportedFile,
  type ExportFormat,
  type HistoryEntry,
  type HistoryQuery,
  type NewConversation,
  type NewWorkspace,
  type SendMessageRequest,
  type SendOptions,
  type Workspace,
  type WorkspacePatch,
} from './chat-types';
import { statusForCode } from './error-codes';
import {
  readConnectionStatus,
  readSettings,
  settingsBody,
  type AppSettings,
  type ConnectionStatus,
  type SettingsUpdate,
} from './settings-types';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { tauriApi } from './tauri-api';
import { isRecord, optBool, optStr, record, str, type Fail } from './wire';

export type * from './chat-types';
export type * from './settings-types';

/** The signed-in user, as `GET /auth/validate` describes them. */
export interface CurrentUser {
  userId: string;
  email: string;
  /** The user's domain, when the server names one. */
  domain: string | null;
  /**
   * Whether the address is proven (by an emailed link or code). Only then is the user a
   * member of the domain: an unproven account sees nothing colleagues share, and shares nothing.
   */
  emailVerified: boolean;
}

/** A newly created account (`POST /auth/register`). */
export interface RegisteredUser {
  userId: string;
  email: string;
  /** Whether the address is proven (never yet, at registration). */
  emailVerified: boolean;
  /**
   * Whether a confirmation email went out: the password signs in once the address is
   * confirmed with that email's link or code.
   */
  verificationSent: boolean;
  /** What happens next, as the server says it. */
  message: string | null;
}

/** A successful login (`POST /auth/login`). The token stays in the cookie. */
export interface LoginResult {
  userId: string;
  /** When the session ends, as the server wrote it (an RFC 3339 timestamp). */
  expiresAt: string;
  /** Something the user must be told about this sign-in (a password was removed), if anything. */
  notice: string | null;
}

export interface Credentials {
  email: string;
  password: string;
}

/**
 * The server's answer to a request it accepted (a reset or sign-in email): one sentence
 * for the user. It is the same whether or not an account exists for the email.
 */
export interface Acknowledgement {
  message: string;
}

/** A new password, with the token from the reset link (`POST /auth/reset-password`). */
export interface PasswordReset {
  token: string;
  password: string;
}

/**
 * What proves a passwordless sign-in (`POST /auth/verify-login`): the token from the
 * emailed link, or the email with the code from that email (e.g. `K7QM-3XWP`).
 */
export type LoginProof = { token: string } | { email: string; code: string };

/**
 * What confirms a password account's address (`POST /auth/verify-email`): the confirmation
 * email's link token, or the address with its code, and the account's password either way.
 */
export type EmailConfirmation = { token: string; password: string } | { email: string; code: string; password: string };

/** Sentences for an accepted request whose answer came without one. */
export const RESET_REQUESTED_MESSAGE =
  'If an account exists for that email, a link to reset its password is on its way.';
export const PASSWORD_RESET_MESSAGE = 'Your password was changed.';
export const LOGIN_REQUESTED_MESSAGE = 'If that email can sign in here, a sign-in email is on its way.';
export const VERIFICATION_REQUESTED_MESSAGE =
  'If that address has an account waiting to be confirmed, a new confirmation email is on its way.';

/** The sentence of an acknowledgement, or `fallback` when there is none. */
export function readMessage(data: unknown, fallback: string): Acknowledgement {
  const message = isRecord(data) ? data['message'] : undefined;
  return { message: typeof message === 'string' && message.trim() !== '' ? message : fallback };
}

/** A new account (`auth/register`, `auth_register`). */
export function readRegisteredUser(value: unknown, fail: Fail): RegisteredUser {
  const body = record(value, fail);
  return {
    userId: str(body, 'user_id', fail),
    email: str(body, 'email', fail),
    emailVerified: optBool(body, 'email_verified', fail),
    verificationSent: optBool(body, 'verification_sent', fail),
    message: optStr(body, 'message', fail),
  };
}

/**
 * A login or passwordless sign-in. A `session_token` in the answer is left out on purpose:
 * the HttpOnly cookie (or the desktop shell) keeps the session.
 */
export function readLoginResult(value: unknown, fail: Fail): LoginResult {
  const body = record(value, fail);
  return {
    userId: str(body, 'user_id', fail),
    expiresAt: str(body, 'expires_at', fail),
    notice: optStr(body, 'notice', fail),
  };
}

/** The signed-in user (`auth/validate`, `auth_current_user`). */
export function readCurrentUser(value: unknown, fail: Fail): CurrentUser {
  const body = record(value, fail);
  return {
    userId: str(body, 'user_id', fail),
    email: str(body, 'email', fail),
    domain: optStr(body, 'domain', fail),
    emailVerified: optBool(body, 'email_verified', fail),
  };
}

/** The body of a passwordless sign-in: only the fields of the proof that was given. */
export function loginProofBody(proof: LoginProof): Record<string, string> {
  return 'token' in proof ? { token: proof.token } : { email: proof.email, code: proof.code };
}

/** The body of an address confirmation: only the fields of the proof that was given. */
export function confirmationBody(proof: EmailConfirmation): Record<string, string> {
  return 'token' in proof
    ? { token: proof.token, password: proof.password }
    : { email: proof.email, code: proof.code, password: proof.password };
}

export interface Api {
  register(credentials: Credentials): Promise<RegisteredUser>;
  login(credentials: Credentials): Promise<LoginResult>;
  /** Ends this session. */
  logout(): Promise<void>;
  /** Ends every session of the signed-in user, on every device. */
  logoutAll(): Promise<void>;
  /** The signed-in user, or `null` when there is no valid session (401). */
  currentUser(): Promise<CurrentUser | null>;
  /** Asks for a password-reset email. The answer does not say whether the account exists. */
  requestPasswordReset(email: string): Promise<Acknowledgement>;
  /** Sets a new password with the token from a reset link. Does not sign in. */
  resetPassword(reset: PasswordReset): Promise<Acknowledgement>;
  /** Asks for a sign-in email (link and code). The answer does not say whether the account exists. */
  requestLoginEmail(email: string): Promise<Acknowledgement>;
  /** Signs in with the emailed link's token or code; like `login`, the token stays out of the UI. */
  verifyLogin(proof: LoginProof): Promise<LoginResult>;
  /** Asks for a new confirmation email for an address not confirmed yet (same answer either way). */
  requestVerification(email: string): Promise<Acknowledgement>;
  /** Confirms the address with the emailed link or code and the password, and signs in. */
  verifyEmail(proof: EmailConfirmation): Promise<LoginResult>;

  /** The signed-in user's workspaces (there is always a "Personal" one). */
  listWorkspaces(): Promise<Workspace[]>;
  createWorkspace(workspace: NewWorkspace): Promise<Workspace>;
  getWorkspace(id: string): Promise<Workspace>;
  /** Changes any subset of a workspace's settings; an empty collection or model means the default. */
  updateWorkspace(id: string, patch: WorkspacePatch): Promise<Workspace>;
  /** Deletes a workspace with its conversations. */
  deleteWorkspace(id: string): Promise<void>;

  /** A workspace's conversations, newest first. */
  listConversations(workspaceId: string): Promise<Conversation[]>;
  createConversation(workspaceId: string, conversation: NewConversation): Promise<Conversation>;
  /** One conversation; `readOnly` when a colleague shared it. */
  getConversation(id: string): Promise<Conversation>;
  renameConversation(id: string, title: string): Promise<Conversation>;
  deleteConversation(id: string): Promise<void>;
  /** A conversation with its sources, as a Markdown or JSON file. */
  exportConversation(id: string, format: ExportFormat): Promise<ExportedFile>;

  /**
   * Asks a question and follows the answer as it is written. Resolves with the final
   * answer (status `complete`, or `stopped`). Rejects with an `ApiError`: before
   * `onStarted` the question was refused and not stored; after it, the question is stored
   * and the answer failed (`llm_timeout`…). Aborting `options.signal` stops the answer
   * and rejects with code `aborted`.
   */
  sendMessage(request: SendMessageRequest, handlers?: ChatStreamHandlers, options?: SendOptions): Promise<ChatAnswer>;
  /** Stops an answer being written; what was written is kept, with status `stopped`. */
  stopMessage(messageId: string): Promise<void>;
  /** A conversation's messages (null: the most recent conversation). */
  chatHistory(conversationId: string | null): Promise<ChatHistory>;
  /** Removes every message of a conversation (null: the most recent conversation). */
  clearChat(conversationId: string | null): Promise<void>;
  /** Searches the user's conversations, or those colleagues shared (`scope: 'domain'`). */
  searchHistory(query: HistoryQuery): Promise<HistoryEntry[]>;

  /** Which language model and document search Docent uses; `editable` says whether they can be changed here. */
  getSettings(): Promise<AppSettings>;
  /**
   * Changes the settings (a field left out stays as it is) and resolves with all of them.
   * Rejects with `settings_read_only` (403) on docent-server, whose operator sets them,
   * and with `invalid_url` or `invalid_settings` (422) for a value that cannot be used.
   */
  updateSettings(update: SettingsUpdate): Promise<AppSettings>;
  /** Whether the language model and the document search are set up and can be reached, and where the session is kept. */
  getStatus(): Promise<ConnectionStatus>;

  /**
   * Desktop app only (absent over HTTP, where emailed links open in the browser): follows
   * the sign-in and password-reset links (`docent://login/verify?token=…`) that the OS hands
   * to the app, also while it runs. `handler` gets each as an app path with its query
   * (`/login/verify?token=…`, `/reset-password?token=…`; nothing else); a link that arrived
   * before the UI was ready comes right away. Call it once, at start.
   */
  onAppLink?(handler: (path: string) => void): Promise<void>;
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
const TIMEOUT_MESSAGE = "Docent's server took too long to answer. Please try again.";
const INVALID_RESPONSE_MESSAGE = "Docent's server sent an answer the app could not read.";
export const ABORTED_MESSAGE = 'The answer was stopped.';
const STREAM_INTERRUPTED_MESSAGE =
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
  /** Seconds to wait before trying again (from a 429's `Retry-After`). */
  readonly retryAfter?: number;

  constructor(status: number, code: string, message: string, retryAfter?: number) {
    super(message);
    this.status = status;
    this.code = code;
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
function fallbackMessage(status: number): { code: string; message: string } {
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
function errorFromBody(status: number, body: string, retryAfter: number | undefined): ApiError {
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
    return new ApiError(status, code, message, retryAfter);
  }
  return new ApiError(status, fallback.code, fallback.message, retryAfter);
}

function invalidResponse(status: number): ApiError {
  return new ApiError(status, INVALID_RESPONSE, INVALID_RESPONSE_MESSAGE);
}

export interface HttpApiOptions {
  /** Prefix for every path; '' means the page's own origin. */
  baseUrl?: string;
  /** How long to wait for an answer before giving up, in milliseconds. */
  timeoutMs?: number;
  /**
   * How long a streamed answer may stay silent before it is given up, in milliseconds.
   * The server sends a keep-alive every 15 seconds, so this only trips on a dead connection.
   */
  streamIdleMs?: number;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** `filename="…"` (or RFC 5987 `filename*=UTF-8''…`) of a Content-Disposition header. */
export function fileNameFrom(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
  if (extended?.[1]) {
    try {
      return decodeURIComponent(extended[1].trim());
    } catch {
      // Fall through to the plain form.
    }
  }
  const plain = /filename\s*=\s*(?:"([^"]*)"|([^;]+))/.exec(disposition);
  const name = (plain?.[1] ?? plain?.[2] ?? '').trim();
  return name || fallback;
}

/** `/path/{id}` with the id escaped. */
function at(prefix: string, id: string, suffix = ''): string {
  return `${prefix}/${encodeURIComponent(id)}${suffix}`;
}

/** `?conversation_id=…`, or nothing for "the most recent conversation". */
function conversationQuery(conversationId: string | null): string {
  return conversationId ? `?conversation_id=${encodeURIComponent(conversationId)}` : '';
}

/** The `Api` over HTTP, for the UI served by docent-server. */
export function createHttpApi(options: HttpApiOptions = {}): Api {
  const baseUrl = options.baseUrl ?? '';
  const timeoutMs = options.timeoutMs ?? 20_000;
  const streamIdleMs = options.streamIdleMs ?? 60_000;

  /**
   * Sends one request and reads the whole answer as text. Throws an `ApiError` for an
   * error status (from the JSON envelope), a timeout or a network failure.
   */
  async function exchange(
    method: Method,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; headers: Headers; text: string }> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const init: RequestInit = { method, credentials: 'same-origin', headers };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }

    const controller = new AbortController();
    init.signal = controller.signal;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);

    try {
      let response: Response;
      try {
        // Looked up on every call so tests (and polyfills) can replace it.
        response = await globalThis.fetch(baseUrl + path, init);
      } catch {
        if (timedOut) throw new ApiError(0, TIMEOUT, TIMEOUT_MESSAGE);
        throw new ApiError(0, NETWORK_ERROR, NETWORK_ERROR_MESSAGE);
      }

      let text: string;
      try {
        text = await response.text();
      } catch {
        if (timedOut) throw new ApiError(0, TIMEOUT, TIMEOUT_MESSAGE);
        throw new ApiError(0, NETWORK_ERROR, NETWORK_ERROR_MESSAGE);
      }

      if (!response.ok) {
        const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
        throw errorFromBody(response.status, text, retryAfter);
      }
      return { status: response.status, headers: response.headers, text };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends one request; resolves with the status and parsed JSON body (null for 204). */
  async function request(method: Method, path: string, body?: unknown): Promise<{ status: number; data: unknown }> {
    const { status, text } = await exchange(method, path, body);
    if (status === 204 || text.trim() === '') return { status, data: null };
    try {
      return { status, data: JSON.parse(text) as unknown };
    } catch {
      throw invalidResponse(status);
    }
  }

  /** Sends one request and reads its JSON answer with `read`. */
  async function requestWith<T>(
    read: (value: unknown, fail: () => ApiError) => T,
    method: Method,
    path: string,
    body?: unknown,
  ): Promise<T> {
    const { status, data } = await request(method, path, body);
    return read(data, () => invalidResponse(status));
  }

  /** The error of an `error` event in a streamed answer: the server's code and sentence. */
  function streamError(code: string, message: string): ApiError {
    const status = statusForCode(code);
    return new ApiError(status, code, message.trim() ? message : fallbackMessage(status).message);
  }

  async function sendMessage(
    request: SendMessageRequest,
    handlers: ChatStreamHandlers = {},
    sendOptions: SendOptions = {},
  ): Promise<ChatAnswer> {
    const outer = sendOptions.signal;
    if (outer?.aborted) throw abortedError();
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    outer?.addEventListener('abort', onAbort);

    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    /** (Re)starts the wait: for the first answer, then between pieces of the stream. */
    const wait = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, ms);
    };
    /** Why the connection failed: the user stopped it, it timed out, or the network. */
    const failure = () => {
      if (outer?.aborted) return abortedError();
      if (timedOut) return new ApiError(0, TIMEOUT, TIMEOUT_MESSAGE);
      return new ApiError(0, NETWORK_ERROR, NETWORK_ERROR_MESSAGE);
    };

    wait(timeoutMs);
    try {
      let response: Response;
      try {
        response = await globalThis.fetch(baseUrl + '/chat/message', {
          method: 'POST',
          credentials: 'same-origin',
          headers: { Accept: 'text/event-stream', 'Content-Type': 'application/json' },
          body: JSON.stringify(sendBody(request)),
          signal: controller.signal,
        });
      } catch {
        throw failure();
      }

      if (!response.ok) {
        let text: string;
        try {
          text = await response.text();
        } catch {
          throw failure();
        }
        throw errorFromBody(response.status, text, parseRetryAfter(response.headers.get('Retry-After')));
      }

      const status = response.status;
      const fail = () => invalidResponse(status);
      const contentType = response.headers.get('Content-Type') ?? '';
      if (!contentType.includes('text/event-stream')) {
        // Something on the way answered with the whole answer as JSON instead of a stream.
        let text: string;
        try {
          text = await response.text();
        } catch {
          throw failure();
        }
        let data: unknown;
        try {
          data = JSON.parse(text);
        } catch {
          throw fail();
        }
        const answer = readChatAnswer(data, fail);
        handlers.onStarted?.({ conversationId: answer.conversationId, messageId: answer.messageId });
        if (answer.answer) handlers.onDelta?.(answer.answer);
        handlers.onCitations?.(answer.citations);
        return answer;
      }

      handlers.onStarted?.({
        conversationId: response.headers.get('x-conversation-id') || request.conversationId || null,
        messageId: response.headers.get('x-message-id') || null,
      });

      const reader = response.body?.getReader();
      if (!reader) throw fail();
      const stream = new ChatStream(handlers, fail, streamError);
      // The WHATWG event-stream rules (line ends, comments, multi-line data) come from a kept
      // library; an event cut off at the end of the stream is never dispatched.
      const received: EventSourceMessage[] = [];
      const parser = createParser({ onEvent: (event) => received.push(event) });
      const decoder = new TextDecoder();
      wait(streamIdleMs);
      try {
        for (;;) {
          let chunk: ReadableStreamReadResult<Uint8Array>;
          try {
            chunk = await reader.read();
          } catch {
            throw failure();
          }
          // A character split between two chunks is held back by the decoder until it is whole.
          parser.feed(chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true }));
          for (const event of received.splice(0)) {
            let data: unknown;
            try {
              data = JSON.parse(event.data);
            } catch {
              throw fail();
            }
            const done = stream.apply(event.event ?? 'message', data);
            if (done) return done;
          }
          if (chunk.done) break;
          wait(streamIdleMs);
        }
      } finally {
        // Whatever ended the reading, let go of the connection.
        reader.cancel().catch(() => undefined);
      }
      if (outer?.aborted) throw abortedError();
      throw new ApiError(0, STREAM_INTERRUPTED, STREAM_INTERRUPTED_MESSAGE);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    }
  }

  return {
    register({ email, password }) {
      return requestWith(readRegisteredUser, 'POST', '/auth/register', { email, password });
    },

    login({ email, password }) {
      // `session_token` is ignored on purpose: the HttpOnly cookie carries the session.
      return requestWith(readLoginResult, 'POST', '/auth/login', { email, password });
    },

    async logout() {
      await request('POST', '/auth/logout');
    },

    async logoutAll() {
      await request('POST', '/auth/logout-all');
    },

    async requestPasswordReset(email) {
      const { data } = await request('POST', '/auth/reset-request', { email });
      return readMessage(data, RESET_REQUESTED_MESSAGE);
    },

    async resetPassword({ token, password }) {
      const { data } = await request('POST', '/auth/reset-password', { token, password });
      return readMessage(data, PASSWORD_RESET_MESSAGE);
    },

    async requestLoginEmail(email) {
      const { data } = await request('POST', '/auth/request-login', { email });
      return readMessage(data, LOGIN_REQUESTED_MESSAGE);
    },

    verifyLogin(proof) {
      // As with login, `session_token` is ignored: the HttpOnly cookie carries the session.
      return requestWith(readLoginResult, 'POST', '/auth/verify-login', loginProofBody(proof));
    },

    async requestVerification(email) {
      const { data } = await request('POST', '/auth/request-verification', { email });
      return readMessage(data, VERIFICATION_REQUESTED_MESSAGE);
    },

    verifyEmail(proof) {
      return requestWith(readLoginResult, 'POST', '/auth/verify-email', confirmationBody(proof));
    },

    async currentUser() {
      try {
        return await requestWith(readCurrentUser, 'GET', '/auth/validate');
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },

    listWorkspaces() {
      return requestWith(readWorkspaces, 'GET', '/workspaces');
    },

    createWorkspace(workspace) {
      return requestWith(readWorkspace, 'POST', '/workspaces', workspaceBody(workspace));
    },

    getWorkspace(id) {
      return requestWith(readWorkspace, 'GET', at('/workspaces', id));
    },

    updateWorkspace(id, patch) {
      return requestWith(readWorkspace, 'PATCH', at('/workspaces', id), workspaceBody(patch));
    },

    async deleteWorkspace(id) {
      await request('DELETE', at('/workspaces', id));
    },

    listConversations(workspaceId) {
      return requestWith(readConversations, 'GET', at('/workspaces', workspaceId, '/conversations'));
    },

    createConversation(workspaceId, conversation) {
      return requestWith(
        readConversation,
        'POST',
        at('/workspaces', workspaceId, '/conversations'),
        conversationBody(conversation),
      );
    },

    getConversation(id) {
      return requestWith(readConversation, 'GET', at('/conversations', id));
    },

    renameConversation(id, title) {
      return requestWith(readConversation, 'PATCH', at('/conversations', id), { title });
    },

    async deleteConversation(id) {
      await request('DELETE', at('/conversations', id));
    },

    async exportConversation(id, format) {
      const { headers, text } = await exchange('GET', at('/conversations', id, `/export?format=${format}`));
      const contentType = headers.get('Content-Type') ?? (format === 'json' ? 'application/json' : 'text/markdown');
      return {
        contentType,
        fileName: fileNameFrom(headers.get('Content-Disposition'), `conversation.${format}`),
        body: text,
      };
    },

    sendMessage,

    async stopMessage(messageId) {
      await request('POST', '/chat/stop', { message_id: messageId });
    },

    chatHistory(conversationId) {
      return requestWith(readChatHistory, 'GET', `/chat/history${conversationQuery(conversationId)}`);
    },

    async clearChat(conversationId) {
      await request('DELETE', `/chat/clear${conversationQuery(conversationId)}`);
    },

    searchHistory(query) {
      return requestWith(readHistoryEntries, 'GET', `/history${historySearch(query)}`);
    },

    getSettings() {
      return requestWith(readSettings, 'GET', '/settings');
    },

    updateSettings(update) {
      return requestWith(readSettings, 'PUT', '/settings', settingsBody(update));
    },

    getStatus() {
      return requestWith(readConnectionStatus, 'GET', '/status');
    },
  };
}

/** The `Api` for the UI served over HTTP by docent-server (same origin). */
export const httpApi: Api = createHttpApi();

/**
 * Picks the `Api` for where the UI runs: inside the Tauri desktop app (which
 * defines `__TAURI_INTERNALS__` on the page's global object) the app's commands,
 * reached through `invoke`; everywhere else same-origin HTTP, which reaches
 * docent-server when the page itself was served by docent-server.
 */
export function chooseApi(): Api {
  return '__TAURI_INTERNALS__' in globalThis ? tauriApi : httpApi;
}
