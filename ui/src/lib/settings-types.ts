/**
 * The app's own settings (which language model answers, where the documents are searched)
 * and the state of its connections to them: the shapes the UI works with, and how they are
 * read from and written to the wire. docent-server (`GET`/`PUT /settings`, `GET /status`)
 * and the Tauri shell (`settings_get`, `settings_update`, `app_status`) send the same
 * snake_case JSON, so both `Api` implementations share these readers and writers.
 *
 * Readers throw the error their caller provides (`invalid_response`) when an answer does
 * not have the expected shape (see wire.ts).
 */

import type { Wire } from './api/wire-types';
import { bool, optBool, optInt, optStr, record, type Fail } from './wire';

/** The settings as Docent reports them. A stored API key is never sent back, only whether there is one. */
export interface AppSettings {
  /** Where the language model is reached (an OpenAI-compatible API). */
  llmBaseUrl: string;
  llmModel: string;
  /** Whether an API key for the language model is stored (in the OS keyring on the desktop). */
  llmApiKeySet: boolean;
  /** Where the documents are searched; null when there is no document search. */
  retrievalUrl: string | null;
  retrievalApiKeySet: boolean;
  /**
   * Whether they can be changed here: true in the desktop app; false on docent-server,
   * whose operator sets them through DOCENT_* variables.
   */
  editable: boolean;
}

/**
 * A change to the settings: a field left out stays as it is. An empty `llmApiKey` removes
 * the stored key; a null or empty `retrievalUrl` removes the document search.
 */
export interface SettingsUpdate {
  llmBaseUrl?: string;
  llmModel?: string;
  llmApiKey?: string;
  retrievalUrl?: string | null;
}

/** One remote service Docent depends on. */
export interface RemoteStatus {
  configured: boolean;
  reachable: boolean;
  /** Why it is not configured or not reachable, as a sentence; null when all is well. */
  message: string | null;
}

/**
 * Where the session is kept: the browser's cookie, the OS keyring, or (on a desktop
 * without a keyring) only in memory, so that it ends when the app does.
 */
export type SessionStorageKind = 'cookie' | 'keyring' | 'memory';

export interface ConnectionStatus {
  /** The language model, which writes the answers. */
  llm: RemoteStatus;
  /** The document search. */
  retrieval: RemoteStatus;
  sessionStorage: SessionStorageKind;
  /** The largest file taken as a document, in bytes; null when the server does not say. */
  maxDocumentBytes: number | null;
}

// ---- reading -----------------------------------------------------------------------------

export function readSettings(value: unknown, fail: Fail): AppSettings {
  const body = record(value, fail);
  const retrievalUrl = optStr(body, 'retrieval_url', fail);
  return {
    llmBaseUrl: optStr(body, 'llm_base_url', fail) ?? '',
    llmModel: optStr(body, 'llm_model', fail) ?? '',
    llmApiKeySet: optBool(body, 'llm_api_key_set', fail),
    retrievalUrl: retrievalUrl === '' ? null : retrievalUrl,
    retrievalApiKeySet: optBool(body, 'retrieval_api_key_set', fail),
    editable: optBool(body, 'editable', fail),
  };
}

function readRemote(value: unknown, fail: Fail): RemoteStatus {
  const body = record(value, fail);
  const message = optStr(body, 'message', fail);
  return {
    configured: bool(body, 'configured', fail),
    reachable: bool(body, 'reachable', fail),
    message: message !== null && message.trim() !== '' ? message.trim() : null,
  };
}

const STORAGE_KINDS: readonly SessionStorageKind[] = ['cookie', 'keyring', 'memory'];

export function readConnectionStatus(value: unknown, fail: Fail): ConnectionStatus {
  const body = record(value, fail);
  const storage = body['session_storage'];
  return {
    llm: readRemote(body['llm'], fail),
    retrieval: readRemote(body['retrieval'], fail),
    // A kind this UI does not know yet is not worth refusing the whole answer for.
    sessionStorage: STORAGE_KINDS.find((kind) => kind === storage) ?? 'cookie',
    maxDocumentBytes: optInt(body, 'max_document_bytes', fail),
  };
}

// ---- writing -----------------------------------------------------------------------------

/** The JSON body of a settings change: only the fields that were given; an empty retrieval URL is null. */
export function settingsBody(update: SettingsUpdate): Wire['RemoteSettingsUpdate'] {
  const body: Wire['RemoteSettingsUpdate'] = {};
  if (update.llmBaseUrl !== undefined) body.llm_base_url = update.llmBaseUrl;
  if (update.llmModel !== undefined) body.llm_model = update.llmModel;
  if (update.llmApiKey !== undefined) body.llm_api_key = update.llmApiKey;
  if (update.retrievalUrl !== undefined) {
    body.retrieval_url = update.retrievalUrl === null || update.retrievalUrl.trim() === '' ? null : update.retrievalUrl;
  }
  return body;
}
