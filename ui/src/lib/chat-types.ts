/**
 * Workspaces, conversations, chat and history: the shapes the UI works with, and how they
 * are read from and written to the wire. docent-server and the Tauri shell send the same
 * snake_case JSON, so both `Api` implementations share these readers and writers.
 *
 * Readers throw the error their caller provides (`invalid_response`) when an answer does
 * not have the expected shape (see wire.ts); ids that come as numbers become strings.
 */

import { readKind, type ApiError, type ErrorKind } from './api/errors';
import type { QueryOf, Wire } from './api/wire-types';
import { int, isRecord, list, optBool, optInt, optStr, record, str, type Fail } from './wire';

export interface Workspace {
  id: string;
  name: string;
  description: string;
  systemPrompt: string;
  /** The document collection searched; null for the server's default. */
  collection: string | null;
  /** How many passages are retrieved per question (1–50). */
  topK: number;
  /** The language model; null for the server's default. */
  model: string | null;
  /** Whether people with the owner's email domain may read its conversations. */
  sharedWithDomain: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface NewWorkspace {
  name: string;
  description?: string;
  systemPrompt?: string;
  collection?: string;
  topK?: number;
  model?: string;
  sharedWithDomain?: boolean;
}

/** Any subset of a workspace's settings. An empty `collection` or `model` means the default. */
export type WorkspacePatch = Partial<NewWorkspace>;

export const MAX_WORKSPACE_NAME = 100;
export const MIN_TOP_K = 1;
export const MAX_TOP_K = 50;

export interface Conversation {
  id: string;
  workspaceId: string;
  /** The owner. */
  userId: string;
  title: string;
  firstQuery: string | null;
  /** Not kept in history; gone when the session that made it ends. */
  temporary: boolean;
  /** Shared with the caller by a colleague: it can be read, not written to. */
  readOnly: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface NewConversation {
  title?: string;
  temporary?: boolean;
}

/** A source an answer cites as `[index]`. */
export interface Citation {
  index: number;
  chunkId: string;
  source: string;
  title: string | null;
  url: string | null;
  page: number | null;
  snippet: string;
  /**
   * The workspace's own document the passage comes from (it may have been deleted since);
   * null for the retrieval API's chunks, which link to `url` instead.
   */
  documentId: string | null;
}

export type MessageStatus = 'complete' | 'streaming' | 'stopped' | 'failed';

export interface Message {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  citations: Citation[];
  status: MessageStatus;
  /** Why an answer failed (`llm_timeout`…), when it did. */
  errorCode: string | null;
  createdAt: string;
}

export interface ChatHistory {
  /** The conversation shown; null when the user has none yet. */
  conversationId: string | null;
  messages: Message[];
}

export interface SendMessageRequest {
  message: string;
  /** The conversation to continue; without it a new one is made. */
  conversationId?: string | null;
  /** Where a new conversation goes (by default the Personal workspace). */
  workspaceId?: string | null;
}

/** Names the answer being written, as soon as the server has accepted the question. */
export interface ChatStarted {
  conversationId: string | null;
  /** The id to stop the answer with; null when the server did not say. */
  messageId: string | null;
}

export interface ChatAnswer {
  conversationId: string;
  messageId: string;
  answer: string;
  citations: Citation[];
  status: 'complete' | 'stopped';
  /** Something the user should know about the answer (no document search…). */
  notice: string | null;
}

/** What the caller of `sendMessage` hears while the answer is written. */
export interface ChatStreamHandlers {
  /** The question was accepted and stored; the answer is on its way. */
  onStarted?(started: ChatStarted): void;
  /** More text of the answer. */
  onDelta?(text: string): void;
  /** The answer's sources (they come after the text). */
  onCitations?(citations: Citation[]): void;
}

export interface SendOptions {
  /** Aborting stops the answer (what was written is kept). */
  signal?: AbortSignal;
}

export type HistoryScope = 'mine' | 'domain';

export interface HistoryQuery {
  scope?: HistoryScope;
  /** Words to find in titles and messages. */
  q?: string;
  /** Conversations updated at or after this instant (RFC 3339). */
  from?: string;
  /** Conversations updated before this instant (RFC 3339). */
  to?: string;
  workspaceId?: string;
  limit?: number;
  offset?: number;
}

export interface HistoryEntry {
  conversationId: string;
  workspaceId: string;
  userId: string;
  title: string;
  firstQuery: string | null;
  createdAt: string;
  updatedAt: string;
}

export type ExportFormat = 'md' | 'json';

/** An exported conversation, ready to be saved as a file. */
export interface ExportedFile {
  contentType: string;
  fileName: string;
  body: string;
}

// ---- reading -----------------------------------------------------------------------------

export function readWorkspace(value: unknown, fail: Fail): Workspace {
  const body = record(value, fail);
  return {
    id: str(body, 'id', fail),
    name: str(body, 'name', fail),
    description: optStr(body, 'description', fail) ?? '',
    systemPrompt: optStr(body, 'system_prompt', fail) ?? '',
    collection: optStr(body, 'collection', fail),
    topK: int(body, 'top_k', fail),
    model: optStr(body, 'model', fail),
    sharedWithDomain: optBool(body, 'shared_with_domain', fail),
    createdAt: str(body, 'created_at', fail),
    updatedAt: str(body, 'updated_at', fail),
  };
}

export function readWorkspaces(value: unknown, fail: Fail): Workspace[] {
  return list(value, fail).map((item) => readWorkspace(item, fail));
}

export function readConversation(value: unknown, fail: Fail): Conversation {
  const body = record(value, fail);
  return {
    id: str(body, 'id', fail),
    workspaceId: str(body, 'workspace_id', fail),
    userId: str(body, 'user_id', fail),
    title: str(body, 'title', fail),
    firstQuery: optStr(body, 'first_query', fail),
    temporary: optBool(body, 'temporary', fail),
    readOnly: optBool(body, 'read_only', fail),
    createdAt: str(body, 'created_at', fail),
    updatedAt: str(body, 'updated_at', fail),
  };
}

export function readConversations(value: unknown, fail: Fail): Conversation[] {
  return list(value, fail).map((item) => readConversation(item, fail));
}

export function readCitation(value: unknown, fail: Fail): Citation {
  const body = record(value, fail);
  return {
    index: int(body, 'index', fail),
    chunkId: str(body, 'chunk_id', fail),
    source: str(body, 'source', fail),
    title: optStr(body, 'title', fail),
    url: optStr(body, 'url', fail),
    page: optInt(body, 'page', fail),
    snippet: optStr(body, 'snippet', fail) ?? '',
    documentId: optStr(body, 'document_id', fail),
  };
}

export function readCitations(value: unknown, fail: Fail): Citation[] {
  return list(value, fail).map((item) => readCitation(item, fail));
}

const STATUSES: readonly MessageStatus[] = ['complete', 'streaming', 'stopped', 'failed'];

function status(body: Record<string, unknown>, fail: Fail): MessageStatus {
  const value = str(body, 'status', fail);
  return (STATUSES as readonly string[]).includes(value) ? (value as MessageStatus) : 'complete';
}

export function readMessage(value: unknown, fail: Fail): Message {
  const body = record(value, fail);
  const role = str(body, 'role', fail);
  if (role !== 'user' && role !== 'assistant') throw fail();
  return {
    id: str(body, 'id', fail),
    role,
    content: optStr(body, 'content', fail) ?? '',
    citations: body['citations'] === undefined || body['citations'] === null ? [] : readCitations(body['citations'], fail),
    status: status(body, fail),
    errorCode: optStr(body, 'error_code', fail),
    createdAt: str(body, 'created_at', fail),
  };
}

export function readChatHistory(value: unknown, fail: Fail): ChatHistory {
  const body = record(value, fail);
  return {
    conversationId: optStr(body, 'conversation_id', fail),
    messages: list(body['messages'], fail).map((item) => readMessage(item, fail)),
  };
}

function finalStatus(body: Record<string, unknown>, fail: Fail): 'complete' | 'stopped' {
  return str(body, 'status', fail) === 'stopped' ? 'stopped' : 'complete';
}

export function readChatAnswer(value: unknown, fail: Fail): ChatAnswer {
  const body = record(value, fail);
  return {
    conversationId: str(body, 'conversation_id', fail),
    messageId: str(body, 'message_id', fail),
    answer: optStr(body, 'answer', fail) ?? '',
    citations: body['citations'] === undefined || body['citations'] === null ? [] : readCitations(body['citations'], fail),
    status: finalStatus(body, fail),
    notice: optStr(body, 'notice', fail),
  };
}

export function readChatStarted(value: unknown, fail: Fail): ChatStarted {
  const body = record(value, fail);
  return {
    conversationId: optStr(body, 'conversation_id', fail),
    messageId: optStr(body, 'message_id', fail),
  };
}

export function readHistoryEntry(value: unknown, fail: Fail): HistoryEntry {
  const body = record(value, fail);
  return {
    conversationId: str(body, 'conversation_id', fail),
    workspaceId: str(body, 'workspace_id', fail),
    userId: str(body, 'user_id', fail),
    title: str(body, 'title', fail),
    firstQuery: optStr(body, 'first_query', fail),
    createdAt: str(body, 'created_at', fail),
    updatedAt: str(body, 'updated_at', fail),
  };
}

export function readHistoryEntries(value: unknown, fail: Fail): HistoryEntry[] {
  return list(value, fail).map((item) => readHistoryEntry(item, fail));
}

export function readExport(value: unknown, fail: Fail): ExportedFile {
  const body = record(value, fail);
  return {
    contentType: str(body, 'content_type', fail),
    fileName: str(body, 'file_name', fail),
    body: optStr(body, 'body', fail) ?? '',
  };
}

// ---- writing -----------------------------------------------------------------------------

/** The JSON body of a workspace create or change: only the fields that were given. */
export function workspaceBody(fields: WorkspacePatch): Wire['WorkspacePatch'] {
  const body: Wire['WorkspacePatch'] = {};
  if (fields.name !== undefined) body.name = fields.name;
  if (fields.description !== undefined) body.description = fields.description;
  if (fields.systemPrompt !== undefined) body.system_prompt = fields.systemPrompt;
  if (fields.collection !== undefined) body.collection = fields.collection;
  if (fields.topK !== undefined) body.top_k = fields.topK;
  if (fields.model !== undefined) body.model = fields.model;
  if (fields.sharedWithDomain !== undefined) body.shared_with_domain = fields.sharedWithDomain;
  return body;
}

export function conversationBody(fields: NewConversation): Wire['NewConversation'] {
  const body: Wire['NewConversation'] = {};
  if (fields.title !== undefined) body.title = fields.title;
  if (fields.temporary !== undefined) body.temporary = fields.temporary;
  return body;
}

/** The body of `POST /chat/message`: ids only when given. */
export function sendBody(request: SendMessageRequest): Wire['SendMessage'] {
  const body: Wire['SendMessage'] = { message: request.message };
  if (request.conversationId) body.conversation_id = request.conversationId;
  else if (request.workspaceId) body.workspace_id = request.workspaceId;
  return body;
}

/** A history query with every field named, unset ones as null (the Tauri command's form). */
export function historyQueryBody(query: HistoryQuery): QueryOf<'history_search'> {
  return {
    scope: query.scope ?? null,
    q: query.q?.trim() ? query.q.trim() : null,
    from: query.from || null,
    to: query.to || null,
    workspace_id: query.workspaceId || null,
    limit: query.limit ?? null,
    offset: query.offset ?? null,
  };
}

/** A history query as a query string (`?scope=mine&q=…`), leaving out unset fields. */
export function historySearch(query: HistoryQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(historyQueryBody(query))) {
    if (value !== null) params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

// ---- streaming ---------------------------------------------------------------------------

/**
 * Follows the events of one streamed answer (`delta`, `citations`, `done`, `error`), the same
 * over SSE and over a Tauri channel: passes text and sources on to the handlers and gives
 * the final answer at `done`. An `error` event is thrown as the error `errorFor` makes.
 * Unknown events are ignored, so the server may add new ones.
 */
export class ChatStream {
  answer = '';
  citations: Citation[] = [];
  readonly #handlers: ChatStreamHandlers;
  readonly #fail: Fail;
  readonly #errorFor: (code: string, message: string, kind: ErrorKind | null) => ApiError;

  constructor(
    handlers: ChatStreamHandlers,
    fail: Fail,
    errorFor: (code: string, message: string, kind: ErrorKind | null) => ApiError,
  ) {
    this.#handlers = handlers;
    this.#fail = fail;
    this.#errorFor = errorFor;
  }

  /** Applies one event; returns the final answer at `done`, else null. */
  apply(event: string, data: unknown): ChatAnswer | null {
    const fail = this.#fail;
    switch (event) {
      case 'delta': {
        const text = str(record(data, fail), 'text', fail);
        if (text === '') return null;
        this.answer += text;
        this.#handlers.onDelta?.(text);
        return null;
      }
      case 'citations':
        this.citations = readCitations(data, fail);
        this.#handlers.onCitations?.(this.citations);
        return null;
      case 'done': {
        const body = record(data, fail);
        return {
          conversationId: str(body, 'conversation_id', fail),
          messageId: str(body, 'message_id', fail),
          answer: this.answer,
          citations: this.citations,
          status: finalStatus(body, fail),
          notice: optStr(body, 'notice', fail),
        };
      }
      case 'error': {
        const body = isRecord(data) ? data : {};
        const code = typeof body['code'] === 'string' && body['code'] ? body['code'] : 'stream_error';
        const message = typeof body['message'] === 'string' ? body['message'] : '';
        throw this.#errorFor(code, message, readKind(body['kind']));
      }
      default:
        return null;
    }
  }
}
