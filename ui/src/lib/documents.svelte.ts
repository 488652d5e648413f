/**
 * A workspace's documents as the Documents view shows them: the list (read again about once
 * a second while any is queued or being read), the files being added (uploaded one at a
 * time over HTTP, each with its own progress and error; or added by the desktop app from its
 * file picker, a drop on the window or a synced folder), the batch they belong to, and the
 * synced folders.
 */

import { ABORTED, isApiError } from './api/errors';
import type { Api } from './api/contract';
import type { DocumentFolder, DocumentFormat, DroppedFiles, FolderAdded, WorkspaceDocument } from './document-types';

/** How often the list is read again while documents are being indexed. */
export const POLL_MS = 1000;

/**
 * How often the list is read again while the workspace has folders kept in sync (desktop): the
 * app adds, changes and removes their documents whenever their files change on disk.
 */
export const FOLDER_POLL_MS = 3000;

/** A file being uploaded (HTTP), from the moment it is chosen until the server has it. */
export interface UploadItem {
  key: string;
  name: string;
  /** Bytes. */
  size: number;
  /** Bytes sent so far. */
  loaded: number;
  state: 'waiting' | 'uploading' | 'done' | 'failed';
  /** Why it failed, in words (the server's sentence). */
  error: string | null;
}

/** Files added together: their bar sums up their own. */
interface Batch {
  /** Upload items of the batch, by key. */
  uploads: string[];
  /** Documents the batch made, by id. */
  documentIds: string[];
  /** Files the desktop app is adding (a picker or a drop, before it answers). */
  adding: number;
}

/** How far a batch has got, as its bar shows it. */
export interface BatchProgress {
  /** Files in the batch. */
  files: number;
  uploading: number;
  reading: number;
  ready: number;
  failed: number;
  /** 0 to 1: each file counts alike, half for its upload and half for its reading. */
  fraction: number;
}

export interface DocumentLibraryContext {
  readonly api: Api;
  /** The sentence for a failed call (null when the session ended and the user is sent to sign in). */
  onError(error: unknown): string | null;
  /**
   * The largest file the server takes as a document, in bytes (null: unknown). A larger file is
   * not uploaded: the server would refuse it only once it had received that much, and a
   * browser whose upload is cut off mid-way reports a network error, not the server's reason.
   */
  readonly maxDocumentBytes?: number | null;
}

/** Why a file larger than `limit` bytes is not uploaded (the server's own `document_too_large` reason). */
export function tooLargeText(limit: number): string {
  return `This file is larger than ${formatBytes(limit)}, the most Docent takes for one document. Split it into smaller files, or ask whoever runs Docent to raise DOCENT_MAX_DOCUMENT_BYTES.`;
}

/** Whether a document is still on its way to the index. */
export function isPending(document: WorkspaceDocument): boolean {
  return document.status === 'queued' || document.status === 'indexing';
}

/** How far a document's reading has got, 0 to 1 (1 once it is ready or failed). */
export function readingFraction(document: WorkspaceDocument): number {
  if (!isPending(document)) return 1;
  if (document.status === 'queued' || !document.pages) return 0;
  return Math.min(1, document.pagesDone / document.pages);
}

/** What people call each format. */
export const FORMAT_NAMES: Readonly<Record<DocumentFormat, string>> = {
  pdf: 'PDF',
  docx: 'Word',
  markdown: 'Markdown',
  html: 'HTML',
  text: 'Text',
};

/** A size for people: "812 bytes", "37 KB", "4.2 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return bytes === 1 ? '1 byte' : `${bytes} bytes`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** Where a document's indexing stands, in words. */
export function statusText(document: WorkspaceDocument): string {
  switch (document.status) {
    case 'queued':
      return 'Waiting to be read';
    case 'indexing':
      return document.pages
        ? `Reading: ${document.pagesDone} of ${plural(document.pages, 'page', 'pages')}`
        : 'Reading…';
    case 'ready': {
      const parts = ['Ready'];
      if (document.pages !== null) parts.push(plural(document.pages, 'page', 'pages'));
      parts.push(plural(document.chunks, 'passage', 'passages'));
      return parts.join(' · ');
    }
    case 'failed':
      return 'Could not be read';
  }
}

/** Where an upload stands, in words. */
export function uploadText(item: UploadItem): string {
  switch (item.state) {
    case 'waiting':
      return 'Waiting to upload';
    case 'uploading':
      return `Uploading: ${item.size > 0 ? Math.floor((100 * item.loaded) / item.size) : 0}% of ${formatBytes(item.size)}`;
    case 'done':
      return 'Uploaded';
    case 'failed':
      return 'Not added';
  }
}

/** A batch's progress, in words. */
export function batchText(batch: BatchProgress): string {
  const parts: string[] = [];
  if (batch.uploading) parts.push(`${batch.uploading} uploading`);
  if (batch.reading) parts.push(`${batch.reading} being read`);
  parts.push(`${batch.ready} ready`);
  if (batch.failed) parts.push(`${batch.failed} not added or not readable`);
  return `Adding ${plural(batch.files, 'file', 'files')}: ${parts.join(', ')} (${Math.floor(batch.fraction * 100)}%)`;
}

let nextKey = 0;

export class DocumentLibrary {
  documents: WorkspaceDocument[] = $state([]);
  folders: DocumentFolder[] = $state([]);
  uploads: UploadItem[] = $state([]);
  loading = $state(true);
  loaded = $state(false);
  /** Why the list could not be read. */
  loadError: string | null = $state(null);
  /** Why an action on the list failed (delete, add, a folder). */
  actionError: string | null = $state(null);
  /** Good news of the last action, for the live region. */
  news: string | null = $state(null);
  /**
   * Whether the workspace is shared with the caller to read: its documents can be read and
   * searched, not changed. Learned from the server (a workspace the caller cannot get as
   * their own, or a `read_only` answer).
   */
  readOnly = $state(false);
  /** The desktop app is adding files (its picker is open, or a drop is being added). */
  adding = $state(false);
  #batch: Batch | null = $state(null);

  readonly #context: DocumentLibraryContext;
  readonly #workspaceId: string;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #refreshing = false;
  #uploadsRunning = false;
  readonly #files = new Map<string, File>();
  readonly #abort = new AbortController();
  /**
   * Counts the changes made here (documents added, deleted), and when each document was: a
   * list read while they were made is older than they are, and must not undo them.
   */
  #changes = 0;
  readonly #addedAt = new Map<string, number>();
  readonly #deletedAt = new Map<string, number>();

  constructor(context: DocumentLibraryContext, workspaceId: string) {
    this.#context = context;
    this.#workspaceId = workspaceId;
  }

  get workspaceId(): string {
    return this.#workspaceId;
  }

  /** Uploads not finished, as rows of the list (a finished one is its document's row). */
  readonly pendingUploads: UploadItem[] = $derived(this.uploads.filter((item) => item.state !== 'done'));

  /** Whether any document is queued or being read. */
  readonly indexing: boolean = $derived(this.documents.some(isPending));

  /** The current batch's progress; null when no batch is under way. */
  readonly batch: BatchProgress | null = $derived.by(() => {
    const batch = this.#batch;
    if (!batch) return null;
    const uploads = batch.uploads
      .map((key) => this.uploads.find((item) => item.key === key))
      .filter((item): item is UploadItem => item !== undefined && item.state !== 'done');
    const documents = batch.documentIds
      .map((id) => this.documents.find((document) => document.id === id))
      .filter((document): document is WorkspaceDocument => document !== undefined);
    const files = uploads.length + documents.length + batch.adding;
    if (files === 0) return null;
    let sum = 0;
    for (const item of uploads) sum += item.state === 'failed' ? 1 : item.size > 0 ? (0.5 * item.loaded) / item.size : 0;
    for (const document of documents) sum += 0.5 + 0.5 * readingFraction(document);
    return {
      files,
      uploading: uploads.filter((item) => item.state === 'waiting' || item.state === 'uploading').length + batch.adding,
      reading: documents.filter(isPending).length,
      ready: documents.filter((document) => document.status === 'ready').length,
      failed: uploads.filter((item) => item.state === 'failed').length + documents.filter((d) => d.status === 'failed').length,
      fraction: Math.min(1, sum / files),
    };
  });

  /** Reads the list (and the synced folders, where there are any) for the first time. */
  async start(): Promise<void> {
    this.loading = true;
    this.loadError = null;
    const since = this.#changes;
    try {
      const documents = await this.#context.api.listDocuments(this.#workspaceId);
      if (this.#stopped) return;
      this.documents = this.#withChangesSince(since, documents);
      this.loaded = true;
      if (this.#context.api.documents.folders) await this.#loadFolders();
    } catch (error) {
      if (!this.#stopped) this.loadError = this.#context.onError(error);
    } finally {
      this.loading = false;
      this.#schedule();
    }
  }

  /** Stops polling and cancels uploads (the view is leaving). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort.abort();
  }

  /** Reads the list again now. */
  async refresh(): Promise<void> {
    if (this.#refreshing || this.#stopped) return;
    this.#refreshing = true;
    clearTimeout(this.#timer);
    const since = this.#changes;
    try {
      const documents = await this.#context.api.listDocuments(this.#workspaceId);
      if (this.#stopped) return;
      this.documents = this.#withChangesSince(since, documents);
      this.loaded = true;
      this.loadError = null;
    } catch (error) {
      if (!this.#stopped) this.loadError = this.#context.onError(error);
    } finally {
      this.#refreshing = false;
      this.#schedule();
      this.#settleBatch();
    }
  }

  /**
   * While any document is on its way to the index, reads the list again in a second; while
   * the workspace has synced folders, every few seconds (their files change on disk).
   */
  #schedule(): void {
    clearTimeout(this.#timer);
    if (this.#stopped) return;
    const every = this.documents.some(isPending) ? POLL_MS : this.folders.length > 0 ? FOLDER_POLL_MS : null;
    if (every !== null) this.#timer = setTimeout(() => void this.refresh(), every);
  }

  /**
   * A list the server sent, with the changes made here since it was asked for (`since`): a
   * file added while the list was read is kept, a document deleted meanwhile stays gone.
   */
  #withChangesSince(since: number, listed: WorkspaceDocument[]): WorkspaceDocument[] {
    if (this.#changes === since) return listed;
    const after = (at: Map<string, number>, id: string) => (at.get(id) ?? -1) > since;
    const documents = listed.filter((document) => !after(this.#deletedAt, document.id));
    for (const document of this.documents) {
      if (after(this.#addedAt, document.id) && !documents.some((d) => d.id === document.id)) documents.push(document);
    }
    return documents;
  }

  /** Puts documents the server made into the list (a file it had already is that document). */
  #merge(added: WorkspaceDocument[]): void {
    const documents = [...this.documents];
    this.#changes += 1;
    for (const document of added) {
      this.#addedAt.set(document.id, this.#changes);
      const at = documents.findIndex((d) => d.id === document.id);
      if (at >= 0) documents[at] = document;
      else documents.push(document);
    }
    this.documents = documents;
    this.#schedule();
  }

  #joinBatch(): Batch {
    this.#batch ??= { uploads: [], documentIds: [], adding: 0 };
    return this.#batch;
  }

  /** Once every file of the batch is ready or failed, says how it went and closes it. */
  #settleBatch(): void {
    const batch = this.#batch;
    if (!batch || batch.adding > 0) return;
    const items = batch.uploads.map((key) => this.uploads.find((item) => item.key === key));
    if (items.some((item) => item && (item.state === 'waiting' || item.state === 'uploading'))) return;
    const documents = batch.documentIds
      .map((id) => this.documents.find((document) => document.id === id))
      .filter((document): document is WorkspaceDocument => document !== undefined);
    if (documents.some(isPending)) return;
    const failedUploads = items.filter((item) => item?.state === 'failed').length;
    const ready = documents.filter((document) => document.status === 'ready').length;
    const failed = documents.length - ready + failedUploads;
    const files = documents.length + failedUploads;
    this.#batch = null;
    if (files === 0) return;
    const what = files === 1 ? '1 file' : `${files} files`;
    if (failed === 0) this.news = `${what} added and ready to search.`;
    else if (ready === 0) this.news = null;
    else this.news = `${what} handled: ${ready} ready to search, ${failed} could not be added or read.`;
  }

  /** Over HTTP: uploads files one after the other, each with its own progress and error. */
  upload(files: Iterable<File>): void {
    const api = this.#context.api;
    if (!api.uploadDocument) return;
    this.news = null;
    this.actionError = null;
    const batch = this.#joinBatch();
    const items: UploadItem[] = [];
    const limit = this.#context.maxDocumentBytes ?? null;
    for (const file of files) {
      const key = `upload-${++nextKey}`;
      const name = file.name || 'Unnamed file';
      if (limit !== null && file.size > limit) {
        items.push({ key, name, size: file.size, loaded: 0, state: 'failed', error: tooLargeText(limit) });
      } else {
        this.#files.set(key, file);
        items.push({ key, name, size: file.size, loaded: 0, state: 'waiting', error: null });
      }
      batch.uploads.push(key);
    }
    if (items.length === 0) return;
    this.uploads = [...this.uploads, ...items];
    void this.#runUploads();
  }

  #update(key: string, change: Partial<UploadItem>): void {
    const at = this.uploads.findIndex((item) => item.key === key);
    if (at < 0) return;
    const item = this.uploads[at] as UploadItem;
    this.uploads[at] = { ...item, ...change };
  }

  async #runUploads(): Promise<void> {
    const upload = this.#context.api.uploadDocument;
    if (this.#uploadsRunning || !upload) return;
    this.#uploadsRunning = true;
    try {
      for (;;) {
        const next = this.uploads.find((item) => item.state === 'waiting');
        if (!next || this.#stopped) break;
        const file = this.#files.get(next.key);
        if (!file) {
          this.#update(next.key, { state: 'failed', error: 'This file is no longer available; choose it again.' });
          continue;
        }
        this.#update(next.key, { state: 'uploading' });
        try {
          const added = await upload(this.#workspaceId, file, {
            signal: this.#abort.signal,
            // What went out of the request's body (the file, and a little around it), as bytes of the file.
            onProgress: ({ loaded, total }) =>
              this.#update(next.key, { loaded: total > 0 ? Math.round((file.size * loaded) / total) : 0 }),
          });
          this.#files.delete(next.key);
          this.#update(next.key, { state: 'done', loaded: file.size });
          this.#batch?.documentIds.push(...added.map((document) => document.id));
          this.#merge(added);
        } catch (error) {
          if (this.#stopped || (isApiError(error) && error.code === ABORTED)) break;
          this.#files.delete(next.key);
          if (isApiError(error) && error.code === 'read_only') this.readOnly = true;
          const sentence = this.#context.onError(error);
          this.#update(next.key, { state: 'failed', error: sentence ?? 'This file was not added.' });
        }
      }
    } finally {
      this.#uploadsRunning = false;
      this.#settleBatch();
    }
  }

  /** Takes a failed upload off the list. */
  dismiss(key: string): void {
    this.uploads = this.uploads.filter((item) => item.key !== key);
    if (this.#batch) this.#batch.uploads = this.#batch.uploads.filter((k) => k !== key);
    this.#settleBatch();
  }

  /** Desktop: adds what `add` returns (the picker's files, a drop's) as one batch. */
  async #addWith(add: () => Promise<WorkspaceDocument[]>, expected: number): Promise<void> {
    this.news = null;
    this.actionError = null;
    const batch = this.#joinBatch();
    batch.adding += expected;
    this.adding = true;
    try {
      const added = await add();
      if (this.#stopped) return;
      batch.documentIds.push(...added.map((document) => document.id));
      this.#merge(added);
      if (added.length > 0) this.news = added.length === 1 ? `Adding “${added[0]?.name}”.` : `Adding ${added.length} files.`;
    } catch (error) {
      if (isApiError(error) && error.code === 'read_only') this.readOnly = true;
      this.actionError = this.#context.onError(error);
    } finally {
      batch.adding -= expected;
      this.adding = false;
      this.#settleBatch();
      // Files of a dropped folder arrive through the folder's sync: read the list again.
      if (this.#context.api.documents.folders) await this.#loadFolders();
    }
  }

  /** Desktop: the OS's file picker (nothing happens when it is cancelled). */
  addPicked(): Promise<void> {
    const pick = this.#context.api.addPickedDocuments;
    if (!pick) return Promise.resolve();
    return this.#addWith(() => pick(this.#workspaceId), 1);
  }

  /** Desktop: files dropped on the window. */
  addDropped(dropped: DroppedFiles): Promise<void> {
    const add = this.#context.api.addDroppedDocuments;
    if (!add) return Promise.resolve();
    return this.#addWith(() => add(this.#workspaceId, dropped.id), Math.max(1, dropped.names.length)).then(() =>
      this.refresh(),
    );
  }

  /** Desktop: the OS's folder picker; the folder chosen is kept in sync. */
  async addFolder(): Promise<FolderAdded | null> {
    const pick = this.#context.api.addPickedFolder;
    if (!pick) return null;
    this.news = null;
    this.actionError = null;
    this.adding = true;
    try {
      const added = await pick(this.#workspaceId);
      if (!added || this.#stopped) return null;
      const { sync } = added;
      const parts = [`${sync.added} added`];
      if (sync.updated) parts.push(`${sync.updated} updated`);
      if (sync.removed) parts.push(`${sync.removed} removed`);
      if (sync.skipped) parts.push(`${sync.skipped} skipped (formats Docent does not read)`);
      this.news = `Keeping “${added.folder.path}” in sync: ${parts.join(', ')}.`;
      await this.#loadFolders();
      await this.refresh();
      return added;
    } catch (error) {
      if (isApiError(error) && error.code === 'read_only') this.readOnly = true;
      this.actionError = this.#context.onError(error);
      return null;
    } finally {
      this.adding = false;
    }
  }

  async #loadFolders(): Promise<void> {
    const list = this.#context.api.listFolders;
    if (!list) return;
    try {
      const folders = await list(this.#workspaceId);
      if (this.#stopped) return;
      this.folders = folders;
      this.#schedule();
    } catch (error) {
      if (isApiError(error) && error.code === 'read_only') return;
      if (!this.#stopped) this.actionError = this.#context.onError(error);
    }
  }

  /** Desktop: stops keeping a folder in sync; the documents it brought go. */
  async removeFolder(folder: DocumentFolder): Promise<boolean> {
    const remove = this.#context.api.removeFolder;
    if (!remove) return false;
    this.news = null;
    this.actionError = null;
    try {
      await remove(folder.id);
      this.folders = this.folders.filter((f) => f.id !== folder.id);
      this.news = `“${folder.path}” is no longer kept in sync; its documents were removed.`;
      await this.refresh();
      return true;
    } catch (error) {
      if (isApiError(error) && error.code === 'read_only') this.readOnly = true;
      this.actionError = this.#context.onError(error);
      return false;
    }
  }

  /** Deletes a document; resolves with whether it went. */
  async remove(document: WorkspaceDocument): Promise<boolean> {
    this.news = null;
    this.actionError = null;
    try {
      await this.#context.api.deleteDocument(document.id);
      this.#changes += 1;
      this.#deletedAt.set(document.id, this.#changes);
      this.documents = this.documents.filter((d) => d.id !== document.id);
      this.news = `“${document.name}” deleted.`;
      return true;
    } catch (error) {
      if (isApiError(error) && error.code === 'read_only') this.readOnly = true;
      this.actionError = this.#context.onError(error);
      return false;
    }
  }
}
