/**
 * The `Api` over HTTP, for the UI docent-server serves.
 *
 * Views only see the `Api` interface and `ApiError`; they never call `fetch`
 * themselves. `loadApi()` (index.ts) picks the implementation for the current runtime:
 * `httpApi` below, or `tauriApi` (./tauri.ts) inside the desktop app.
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
  type ChatStreamHandlers,
  type SendMessageRequest,
  type SendOptions,
} from '../chat-types';
import {
  readConnectionStatus,
  readSettings,
  settingsBody,
} from '../settings-types';
import { readDocument, readDocuments, readSearchHits, searchQueryString } from '../document-types';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export type * from '../chat-types';
export type * from '../settings-types';
export type * from '../document-types';

import {
  confirmationBody,
  credentialsBody,
  loginProofBody,
  LOGIN_REQUESTED_MESSAGE,
  PASSWORD_RESET_MESSAGE,
  readCurrentUser,
  readLoginResult,
  readAcknowledgement,
  readRegisteredUser,
  RESET_REQUESTED_MESSAGE,
  VERIFICATION_REQUESTED_MESSAGE,
} from './account';
import type { Api } from './contract';
import { errorFromBody, fallbackMessage, invalidResponse, parseRetryAfter } from './http-errors';
import {
  abortedError,
  ApiError,
  NETWORK_ERROR,
  NETWORK_ERROR_MESSAGE,
  statusOfKind,
  STREAM_INTERRUPTED,
  STREAM_INTERRUPTED_MESSAGE,
  TIMEOUT,
  TIMEOUT_MESSAGE,
  type ErrorKind,
} from './errors';

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
  /** How long a document's original file may take to arrive, in milliseconds. */
  fileTimeoutMs?: number;
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
  const fileTimeoutMs = options.fileTimeoutMs ?? 120_000;

  /**
   * Sends one request and reads the whole answer with `read` (as text by default). Throws an
   * `ApiError` for an error status (from the JSON envelope), a timeout or a network failure.
   */
  async function exchange(
    method: Method,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; headers: Headers; text: string }> {
    const { status, headers, data } = await send(method, path, body, timeoutMs, (response) => response.text());
    return { status, headers, text: data };
  }

  /**
   * Sends one request within `waitMs` and reads a successful answer with `read`; an error
   * status is read as text, for its JSON envelope.
   */
  async function send<T>(
    method: Method,
    path: string,
    body: unknown,
    waitMs: number,
    read: (response: Response) => Promise<T>,
  ): Promise<{ status: number; headers: Headers; data: T }> {
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
    }, waitMs);
    const failure = () =>
      timedOut ? new ApiError(0, TIMEOUT, TIMEOUT_MESSAGE) : new ApiError(0, NETWORK_ERROR, NETWORK_ERROR_MESSAGE);

    try {
      let response: Response;
      try {
        // Looked up on every call so tests (and polyfills) can replace it.
        response = await globalThis.fetch(baseUrl + path, init);
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
        const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
        throw errorFromBody(response.status, text, retryAfter);
      }

      let data: T;
      try {
        data = await read(response);
      } catch {
        throw failure();
      }
      return { status: response.status, headers: response.headers, data };
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

  /** The error of an `error` event in a streamed answer: the server's code, kind and sentence. */
  function streamError(code: string, message: string, kind: ErrorKind | null): ApiError {
    const status = statusOfKind(kind);
    return new ApiError(status, code, message.trim() ? message : fallbackMessage(status).message, undefined, kind);
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
      return requestWith(readRegisteredUser, 'POST', '/auth/register', credentialsBody({ email, password }));
    },

    login({ email, password }) {
      // `session_token` is ignored on purpose: the HttpOnly cookie carries the session.
      return requestWith(readLoginResult, 'POST', '/auth/login', credentialsBody({ email, password }));
    },

    async logout() {
      await request('POST', '/auth/logout');
    },

    async logoutAll() {
      await request('POST', '/auth/logout-all');
    },

    async requestPasswordReset(email) {
      const { data } = await request('POST', '/auth/reset-request', { email });
      return readAcknowledgement(data, RESET_REQUESTED_MESSAGE);
    },

    async resetPassword({ token, password }) {
      const { data } = await request('POST', '/auth/reset-password', { token, password });
      return readAcknowledgement(data, PASSWORD_RESET_MESSAGE);
    },

    async requestLoginEmail(email) {
      const { data } = await request('POST', '/auth/request-login', { email });
      return readAcknowledgement(data, LOGIN_REQUESTED_MESSAGE);
    },

    verifyLogin(proof) {
      // As with login, `session_token` is ignored: the HttpOnly cookie carries the session.
      return requestWith(readLoginResult, 'POST', '/auth/verify-login', loginProofBody(proof));
    },

    async requestVerification(email) {
      const { data } = await request('POST', '/auth/request-verification', { email });
      return readAcknowledgement(data, VERIFICATION_REQUESTED_MESSAGE);
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

    documents: { upload: true, pickFiles: false, folders: false },

    listDocuments(workspaceId) {
      return requestWith(readDocuments, 'GET', at('/workspaces', workspaceId, '/documents'));
    },

    getDocument(id) {
      return requestWith(readDocument, 'GET', at('/documents', id));
    },

    async deleteDocument(id) {
      await request('DELETE', at('/documents', id));
    },

    async documentFile(id) {
      const { headers, data } = await send('GET', at('/documents', id, '/file'), undefined, fileTimeoutMs, (response) =>
        response.arrayBuffer(),
      );
      return { bytes: data, contentType: headers.get('Content-Type') };
    },

    documentFileUrl(id) {
      return baseUrl + at('/documents', id, '/file');
    },

    searchDocuments(workspaceId, search) {
      return requestWith(readSearchHits, 'GET', at('/workspaces', workspaceId, `/search${searchQueryString(search)}`));
    },

    async uploadDocument(workspaceId, file, uploadOptions) {
      // Only the Documents page uploads: the code comes with it, not with the first screen.
      const { upload } = await import('./upload');
      return upload(baseUrl + at('/workspaces', workspaceId, '/documents'), file, uploadOptions);
    },
  };
}

/** The `Api` for the UI served over HTTP by docent-server (same origin). */
export const httpApi: Api = createHttpApi();
