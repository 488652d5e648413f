/**
 * The `Api` inside Docent's desktop app: every call is a command of the Tauri shell,
 * reached through `invoke`.
 *
 * The shell keeps the session token itself; it never reaches JavaScript. A failed
 * command rejects with `{ code, message }` (the same codes as the HTTP API), which
 * becomes an `ApiError` carrying the status the HTTP server would have used, so the
 * rest of the UI (a 401 sends the user to sign in) behaves the same in both places.
 */

import { Channel, invoke } from '@tauri-apps/api/core';
import {
  confirmationBody,
  credentialsBody,
  LOGIN_REQUESTED_MESSAGE,
  loginProofBody,
  PASSWORD_RESET_MESSAGE,
  readCurrentUser,
  readLoginResult,
  readAcknowledgement,
  readRegisteredUser,
  RESET_REQUESTED_MESSAGE,
  VERIFICATION_REQUESTED_MESSAGE,
  type Credentials,
} from './account';
import type { Api } from './contract';
import { abortedError, ApiError, INVALID_RESPONSE, readKind, statusOfKind } from './errors';
import {
  ChatStream,
  conversationBody,
  historyQueryBody,
  readChatAnswer,
  readChatHistory,
  readChatStarted,
  readConversation,
  readConversations,
  readExport,
  readHistoryEntries,
  readWorkspace,
  readWorkspaces,
  sendBody,
  workspaceBody,
  type ChatAnswer,
  type ChatStreamHandlers,
  type SendMessageRequest,
  type SendOptions,
} from '../chat-types';
import {
  readBytes,
  readDocument,
  readDocuments,
  readDroppedFiles,
  readFolderAdded,
  readFolders,
  readSearchHits,
  searchQueryBody,
  type DroppedFiles,
} from '../document-types';
import { appLinkPath } from '../routes';
import { readConnectionStatus, readSettings, settingsBody } from '../settings-types';
import { isRecord } from '../wire';


/** The UI's own code for a rejection from Tauri itself rather than from a Docent command. */
export const IPC_ERROR = 'ipc_error';

const IPC_ERROR_MESSAGE = "Docent's desktop app could not carry out the request";
const INVALID_RESPONSE_MESSAGE = 'Docent sent an answer the app could not read.';
/** Longest detail from Tauri quoted in an `ipc_error` sentence. */
const MAX_DETAIL = 200;

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
 * Turns a command's rejection into an `ApiError`: a Docent `{ code, kind, message }` keeps
 * its code, kind and sentence, with the HTTP status that stands for its kind; anything else
 * (a string from Tauri itself, e.g. an unknown command or a refused permission) is an
 * `ipc_error` with status 0, like a request that never got an answer.
 */
export function fromIpcError(value: unknown): ApiError {
  if (value instanceof ApiError) return value;
  if (isRecord(value) && typeof value['code'] === 'string' && value['code'].trim() !== '') {
    const code = value['code'];
    const kind = readKind(value['kind']);
    const status = statusOfKind(kind);
    const message =
      typeof value['message'] === 'string' && value['message'].trim() !== ''
        ? value['message']
        : fallbackMessage(status);
    return new ApiError(status, code, message, undefined, kind);
  }
  const detail = detailOf(value);
  return new ApiError(0, IPC_ERROR, detail ? `${IPC_ERROR_MESSAGE} (${detail}).` : `${IPC_ERROR_MESSAGE}.`);
}

/** Mirrors the HTTP implementation: an unreadable answer to a successful call. */
function invalidResponse(): ApiError {
  return new ApiError(200, INVALID_RESPONSE, INVALID_RESPONSE_MESSAGE);
}

/** Runs one command; a rejection becomes an `ApiError`. */
async function call(command: string, args?: Record<string, unknown>): Promise<unknown> {
  try {
    return await (args === undefined ? invoke<unknown>(command) : invoke<unknown>(command, args));
  } catch (error) {
    throw fromIpcError(error);
  }
}

/** Runs one command and reads its answer with `read`. */
async function callWith<T>(
  read: (value: unknown, fail: () => ApiError) => T,
  command: string,
  args?: Record<string, unknown>,
): Promise<T> {
  return read(await call(command, args), invalidResponse);
}

/** A message of the `chat_send` channel: `{event, data}`, with the same data as the SSE events. */
interface ChannelMessage {
  event: string;
  data: unknown;
}

function readChannelMessage(value: unknown): ChannelMessage {
  if (!isRecord(value) || typeof value['event'] !== 'string') throw invalidResponse();
  return { event: value['event'], data: value['data'] };
}

/**
 * Asks a question through `chat_send`. The shell reports progress on a channel —
 * `started` first (so the answer can be stopped), then `delta`s, `citations`, `done`,
 * or `error` — and the command resolves with the final answer, which is what counts:
 * channel messages still in flight when it resolves change nothing.
 */
async function sendMessage(
  request: SendMessageRequest,
  handlers: ChatStreamHandlers = {},
  options: SendOptions = {},
): Promise<ChatAnswer> {
  const signal = options.signal;
  if (signal?.aborted) throw abortedError();

  let finished = false;
  let messageId: string | null = null;
  let streamError: ApiError | null = null;
  const stream = new ChatStream(handlers, invalidResponse, (code, message, kind) =>
    fromIpcError({ code, kind, message }),
  );
  const channel = new Channel<unknown>((raw) => {
    if (finished || streamError) return;
    try {
      const message = readChannelMessage(raw);
      if (message.event === 'started') {
        const started = readChatStarted(message.data, invalidResponse);
        messageId = started.messageId;
        handlers.onStarted?.(started);
        return;
      }
      stream.apply(message.event, message.data);
    } catch (error) {
      streamError = fromIpcError(error);
    }
  });

  const command = call('chat_send', { request: sendBody(request), events: channel });
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      // The command cannot be cancelled from here: ask the shell to stop the answer.
      if (messageId !== null) call('chat_stop', { messageId }).catch(() => undefined);
      reject(abortedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  // Whichever loses the race must not surface as an unhandled rejection.
  command.catch(() => undefined);
  stopped.catch(() => undefined);

  try {
    const data = await (signal ? Promise.race([command, stopped]) : command);
    const answer = readChatAnswer(data, invalidResponse);
    // An `error` event wins over an answer that somehow still resolved.
    if (streamError) throw streamError;
    return answer;
  } finally {
    finished = true;
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Files dropped on the window: the shell sends them on one channel (`app_drops` keeps only
 * the last one it was given), so it is set up once and passes each drop to whoever listens.
 */
const dropListeners = new Set<(dropped: DroppedFiles) => void>();
let dropsChannel: Promise<void> | null = null;

async function onFilesDropped(handler: (dropped: DroppedFiles) => void): Promise<() => void> {
  dropListeners.add(handler);
  if (!dropsChannel) {
    const channel = new Channel<unknown>((message) => {
      let dropped: DroppedFiles;
      try {
        dropped = readDroppedFiles(message, invalidResponse);
      } catch {
        return;
      }
      for (const listener of dropListeners) listener(dropped);
    });
    const subscribed = call('app_drops', { onDrop: channel }).then(() => undefined);
    // A failed subscription can be tried again by the next listener.
    subscribed.catch(() => (dropsChannel = null));
    dropsChannel = subscribed;
  }
  try {
    await dropsChannel;
  } catch (error) {
    dropListeners.delete(handler);
    throw error;
  }
  return () => {
    dropListeners.delete(handler);
  };
}

/** Forgets the drops channel (for tests, which load the module once). */
export function resetDropsForTests(): void {
  dropListeners.clear();
  dropsChannel = null;
}

/** The shell's commands take the credentials as one `credentials` argument. */
function credentialsArg(credentials: Credentials): Record<string, unknown> {
  return { credentials: credentialsBody(credentials) };
}

/** The `Api` over the Tauri shell's commands. */
export function createTauriApi(): Api {
  return {
    register(credentials) {
      return callWith(readRegisteredUser, 'auth_register', credentialsArg(credentials));
    },

    login(credentials) {
      return callWith(readLoginResult, 'auth_login', credentialsArg(credentials));
    },

    async logout() {
      await call('auth_logout');
    },

    async logoutAll() {
      await call('auth_logout_all');
    },

    async requestPasswordReset(email) {
      return readAcknowledgement(await call('auth_request_reset', { request: { email } }), RESET_REQUESTED_MESSAGE);
    },

    async resetPassword({ token, password }) {
      const data = await call('auth_reset_password', { request: { token, password } });
      return readAcknowledgement(data, PASSWORD_RESET_MESSAGE);
    },

    async requestLoginEmail(email) {
      return readAcknowledgement(await call('auth_request_login', { request: { email } }), LOGIN_REQUESTED_MESSAGE);
    },

    verifyLogin(proof) {
      return callWith(readLoginResult, 'auth_verify_login', { request: loginProofBody(proof) });
    },

    async requestVerification(email) {
      const data = await call('auth_request_verification', { request: { email } });
      return readAcknowledgement(data, VERIFICATION_REQUESTED_MESSAGE);
    },

    verifyEmail(proof) {
      return callWith(readLoginResult, 'auth_verify_email', { request: confirmationBody(proof) });
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
      return readCurrentUser(data, invalidResponse);
    },

    listWorkspaces() {
      return callWith(readWorkspaces, 'workspace_list');
    },

    createWorkspace(workspace) {
      return callWith(readWorkspace, 'workspace_create', { request: workspaceBody(workspace) });
    },

    getWorkspace(id) {
      return callWith(readWorkspace, 'workspace_get', { id });
    },

    updateWorkspace(id, patch) {
      return callWith(readWorkspace, 'workspace_update', { id, request: workspaceBody(patch) });
    },

    async deleteWorkspace(id) {
      await call('workspace_delete', { id });
    },

    listConversations(workspaceId) {
      return callWith(readConversations, 'conversation_list', { workspaceId });
    },

    createConversation(workspaceId, conversation) {
      return callWith(readConversation, 'conversation_create', {
        workspaceId,
        request: conversationBody(conversation),
      });
    },

    getConversation(id) {
      return callWith(readConversation, 'conversation_get', { id });
    },

    renameConversation(id, title) {
      return callWith(readConversation, 'conversation_update', { id, request: { title } });
    },

    async deleteConversation(id) {
      await call('conversation_delete', { id });
    },

    exportConversation(id, format) {
      return callWith(readExport, 'conversation_export', { id, format });
    },

    sendMessage,

    async stopMessage(messageId) {
      await call('chat_stop', { messageId });
    },

    chatHistory(conversationId) {
      return callWith(readChatHistory, 'chat_history', { conversationId });
    },

    async clearChat(conversationId) {
      await call('chat_clear', { conversationId });
    },

    searchHistory(query) {
      return callWith(readHistoryEntries, 'history_search', { query: historyQueryBody(query) });
    },

    getSettings() {
      return callWith(readSettings, 'settings_get');
    },

    updateSettings(update) {
      return callWith(readSettings, 'settings_update', { update: settingsBody(update) });
    },

    getStatus() {
      return callWith(readConnectionStatus, 'app_status');
    },

    documents: { upload: false, pickFiles: true, folders: true },

    listDocuments(workspaceId) {
      return callWith(readDocuments, 'document_list', { workspaceId });
    },

    getDocument(id) {
      return callWith(readDocument, 'document_get', { id });
    },

    async deleteDocument(id) {
      await call('document_delete', { id });
    },

    async documentFile(id) {
      // A raw IPC response: the bytes come as an ArrayBuffer, without a media type.
      return { bytes: await callWith(readBytes, 'document_file', { id }), contentType: null };
    },

    searchDocuments(workspaceId, search) {
      return callWith(readSearchHits, 'document_search', { workspaceId, query: searchQueryBody(search) });
    },

    addPickedDocuments(workspaceId) {
      return callWith(readDocuments, 'document_add_picked', { workspaceId });
    },

    onFilesDropped,

    addDroppedDocuments(workspaceId, dropId) {
      return callWith(readDocuments, 'document_add_dropped', { workspaceId, dropId });
    },

    addPickedFolder(workspaceId) {
      return callWith(readFolderAdded, 'folder_add_picked', { workspaceId });
    },

    listFolders(workspaceId) {
      return callWith(readFolders, 'folder_list', { workspaceId });
    },

    async removeFolder(id) {
      await call('folder_remove', { id });
    },

    async onAppLink(handler) {
      // The command answers at once; the links come on the channel, now and later.
      const links = new Channel<string>((message) => {
        const path = appLinkPath(message);
        if (path !== null) handler(path);
      });
      await call('app_links', { onLink: links });
    },
  };
}

/** The `Api` for the UI running inside Docent's desktop app. */
export const tauriApi: Api = createTauriApi();
