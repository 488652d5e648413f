/**
 * A workspace's own documents: the shapes the UI works with, and how they are read from and
 * written to the wire. docent-server and the Tauri shell send the same snake_case JSON, so
 * both `Api` implementations share these readers (see wire.ts for how they fail).
 */

import { readKind, type ErrorKind } from './api/errors';
import type { QueryOf } from './api/wire-types';
import { int, list, optInt, optStr, record, str, type Fail } from './wire';

export type DocumentFormat = 'pdf' | 'docx' | 'markdown' | 'html' | 'text';

/** Where a document's indexing stands. */
export type DocumentStatus = 'queued' | 'indexing' | 'ready' | 'failed';

/** Why a document could not be indexed: the core's code, kind and sentence (what to do next). */
export interface DocumentError {
  code: string;
  kind: ErrorKind | null;
  message: string;
}

/** One of a workspace's documents (named so to stay clear of the DOM's `Document`). */
export interface WorkspaceDocument {
  id: string;
  workspaceId: string;
  /** The file's name. */
  name: string;
  format: DocumentFormat;
  /** The media type the original is served with. */
  mediaType: string;
  /** The file's size. */
  bytes: number;
  sha256: string;
  status: DocumentStatus;
  /** Its pages once counted (PDF and Word); null for formats without pages. */
  pages: number | null;
  /** Pages read so far. */
  pagesDone: number;
  /** Passages in the index. */
  chunks: number;
  error: DocumentError | null;
  /** Its path in the folder it is kept in sync with, if any (desktop). */
  folderPath: string | null;
  createdAt: string;
  /** When it became searchable (or failed). */
  indexedAt: string | null;
}

/** A passage a search of a workspace's documents found. */
export interface SearchHit {
  chunkId: string;
  documentId: string;
  /** The document's file name. */
  name: string;
  /** Where in the document: its heading path ("Leave policy › Annual leave"), else the name. */
  title: string;
  /** The page (1-based), for formats with pages. */
  page: number | null;
  /** The passage's text. */
  snippet: string;
  /** How well it matches (higher is better; only comparable within one search). */
  score: number;
}

export interface DocumentSearch {
  /** The words to find. */
  q: string;
  /** At most this many passages (1 to 50; the server's default is 10). */
  limit?: number;
}

/** A folder of this machine kept in sync with a workspace (desktop only). */
export interface DocumentFolder {
  id: string;
  workspaceId: string;
  path: string;
  createdAt: string;
}

/** What a folder's first sync did. */
export interface FolderSync {
  added: number;
  updated: number;
  removed: number;
  skipped: number;
}

export interface FolderAdded {
  folder: DocumentFolder;
  sync: FolderSync;
}

/** Files dropped on the desktop app's window, held by the shell under `id` until added. */
export interface DroppedFiles {
  id: number;
  names: string[];
}

/** A document's original file. */
export interface DocumentFile {
  bytes: ArrayBuffer;
  /** The media type it was sent with; null when the transport does not say (IPC). */
  contentType: string | null;
}

/** How far an upload has got, in bytes. */
export interface UploadProgress {
  loaded: number;
  total: number;
}

export interface UploadOptions {
  /** Called as the file's bytes go out. */
  onProgress?(progress: UploadProgress): void;
  /** Aborting cancels the upload (rejects with `aborted`). */
  signal?: AbortSignal;
}

/** What the transport can do with documents; the views offer only what it can. */
export interface DocumentCapabilities {
  /** Files sent from the page (the browser's file picker and drops): over HTTP. */
  upload: boolean;
  /** The OS's file picker, and files dropped on the window: the desktop app. */
  pickFiles: boolean;
  /** Folders of this machine kept in sync: the desktop app. */
  folders: boolean;
}

/** The formats Docent reads, as the browser's file picker filters them (by name, then by type). */
export const ACCEPTED_FILES = [
  '.pdf',
  '.docx',
  '.md',
  '.markdown',
  '.mdown',
  '.mkd',
  '.html',
  '.htm',
  '.xhtml',
  '.txt',
  '.text',
  '.log',
  '.csv',
  '.tsv',
  '.rst',
  '.adoc',
  '.org',
  'application/pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'text/markdown',
  'text/html',
  'text/plain',
].join(',');

// ---- reading -----------------------------------------------------------------------------

const FORMATS: readonly DocumentFormat[] = ['pdf', 'docx', 'markdown', 'html', 'text'];
const STATUSES: readonly DocumentStatus[] = ['queued', 'indexing', 'ready', 'failed'];

function oneOf<T extends string>(values: readonly T[], body: Record<string, unknown>, key: string, fail: Fail): T {
  const value = str(body, key, fail);
  if (!(values as readonly string[]).includes(value)) throw fail();
  return value as T;
}

/** A count the answer may leave out: 0 then. */
function count(body: Record<string, unknown>, key: string, fail: Fail): number {
  return optInt(body, key, fail) ?? 0;
}

function readDocumentError(value: unknown, fail: Fail): DocumentError | null {
  if (value === undefined || value === null) return null;
  const body = record(value, fail);
  return {
    code: str(body, 'code', fail),
    kind: readKind(body['kind']),
    message: optStr(body, 'message', fail) ?? 'This document could not be read.',
  };
}

export function readDocument(value: unknown, fail: Fail): WorkspaceDocument {
  const body = record(value, fail);
  return {
    id: str(body, 'id', fail),
    workspaceId: str(body, 'workspace_id', fail),
    name: str(body, 'name', fail),
    format: oneOf(FORMATS, body, 'format', fail),
    mediaType: optStr(body, 'media_type', fail) ?? 'application/octet-stream',
    bytes: count(body, 'bytes', fail),
    sha256: optStr(body, 'sha256', fail) ?? '',
    status: oneOf(STATUSES, body, 'status', fail),
    pages: optInt(body, 'pages', fail),
    pagesDone: count(body, 'pages_done', fail),
    chunks: count(body, 'chunks', fail),
    error: readDocumentError(body['error'], fail),
    folderPath: optStr(body, 'folder_path', fail),
    createdAt: str(body, 'created_at', fail),
    indexedAt: optStr(body, 'indexed_at', fail),
  };
}

export function readDocuments(value: unknown, fail: Fail): WorkspaceDocument[] {
  return list(value, fail).map((item) => readDocument(item, fail));
}

export function readSearchHit(value: unknown, fail: Fail): SearchHit {
  const body = record(value, fail);
  const name = str(body, 'name', fail);
  const score = body['score'];
  return {
    chunkId: str(body, 'chunk_id', fail),
    documentId: str(body, 'document_id', fail),
    name,
    title: optStr(body, 'title', fail) ?? name,
    page: optInt(body, 'page', fail),
    snippet: optStr(body, 'snippet', fail) ?? '',
    score: typeof score === 'number' && Number.isFinite(score) ? score : 0,
  };
}

export function readSearchHits(value: unknown, fail: Fail): SearchHit[] {
  return list(value, fail).map((item) => readSearchHit(item, fail));
}

export function readFolder(value: unknown, fail: Fail): DocumentFolder {
  const body = record(value, fail);
  return {
    id: str(body, 'id', fail),
    workspaceId: str(body, 'workspace_id', fail),
    path: str(body, 'path', fail),
    createdAt: str(body, 'created_at', fail),
  };
}

export function readFolders(value: unknown, fail: Fail): DocumentFolder[] {
  return list(value, fail).map((item) => readFolder(item, fail));
}

/** The answer of `folder_add_picked`: null when the picker was cancelled. */
export function readFolderAdded(value: unknown, fail: Fail): FolderAdded | null {
  if (value === null || value === undefined) return null;
  const body = record(value, fail);
  const sync = record(body['sync'], fail);
  return {
    folder: readFolder(body['folder'], fail),
    sync: {
      added: count(sync, 'added', fail),
      updated: count(sync, 'updated', fail),
      removed: count(sync, 'removed', fail),
      skipped: count(sync, 'skipped', fail),
    },
  };
}

/** A message of the `app_drops` channel. */
export function readDroppedFiles(value: unknown, fail: Fail): DroppedFiles {
  const body = record(value, fail);
  const names = body['names'] === undefined || body['names'] === null ? [] : list(body['names'], fail);
  return {
    id: int(body, 'id', fail),
    names: names.filter((name): name is string => typeof name === 'string'),
  };
}

/**
 * The bytes of a file as the desktop shell sends them: an `ArrayBuffer` (a raw IPC
 * response), a typed array, or (from an older shell) an array of numbers.
 */
export function readBytes(value: unknown, fail: Fail): ArrayBuffer {
  if (value instanceof ArrayBuffer) return value;
  if (ArrayBuffer.isView(value)) {
    const view = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return view.slice().buffer;
  }
  if (Array.isArray(value) && value.every((n) => typeof n === 'number' && n >= 0 && n <= 255 && Number.isInteger(n))) {
    return Uint8Array.from(value as number[]).buffer;
  }
  throw fail();
}

// ---- writing -----------------------------------------------------------------------------

/** A search with every field named, unset ones as null (the Tauri command's `query`). */
export function searchQueryBody(search: DocumentSearch): QueryOf<'document_search'> {
  return { q: search.q.trim(), limit: search.limit ?? null };
}

/** A search as a query string (`?q=…&limit=…`), leaving out unset fields. */
export function searchQueryString(search: DocumentSearch): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(searchQueryBody(search))) {
    if (value !== null) params.set(key, String(value));
  }
  return `?${params.toString()}`;
}

