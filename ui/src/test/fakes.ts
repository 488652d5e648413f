import { expect, vi } from 'vitest';
import {
  ApiError,
  type Api,
  type AppSettings,
  type ChatAnswer,
  type ConnectionStatus,
  type Citation,
  type Conversation,
  type CurrentUser,
  type DroppedFiles,
  type HistoryEntry,
  type Message,
  type SearchHit,
  type Workspace,
  type WorkspaceDocument,
} from '../lib/api';
import type { NavigateOptions, Navigator } from '../lib/router.svelte';
import { matchRoute, type RouteName } from '../lib/routes';

export const ada: CurrentUser = { userId: 'u1', email: 'ada@example.com', domain: 'example.com', emailVerified: true };

/** An `Api` whose every method is a mock; by default nobody is signed in. */
export function fakeApi() {
  return {
    register: vi.fn<Api['register']>(async ({ email }) => ({
      userId: 'u1',
      email,
      emailVerified: false,
      verificationSent: false,
      message: 'Your account was created.',
    })),
    login: vi.fn<Api['login']>(async () => ({ userId: 'u1', expiresAt: '2030-01-01T00:00:00Z', notice: null })),
    logout: vi.fn<Api['logout']>(async () => undefined),
    logoutAll: vi.fn<Api['logoutAll']>(async () => undefined),
    currentUser: vi.fn<Api['currentUser']>(async () => null),
    requestPasswordReset: vi.fn<Api['requestPasswordReset']>(async () => ({
      message: 'If an account exists for that email, we sent a link to reset its password.',
    })),
    resetPassword: vi.fn<Api['resetPassword']>(async () => ({ message: 'Your password was changed.' })),
    requestLoginEmail: vi.fn<Api['requestLoginEmail']>(async () => ({
      message: 'If that email can sign in here, we sent it a sign-in link and code.',
    })),
    verifyLogin: vi.fn<Api['verifyLogin']>(async () => ({
      userId: 'u1',
      expiresAt: '2030-01-01T00:00:00Z',
      notice: null,
    })),
    requestVerification: vi.fn<Api['requestVerification']>(async () => ({
      message: 'If that address has an account waiting to be confirmed, a new confirmation email is on its way.',
    })),
    verifyEmail: vi.fn<Api['verifyEmail']>(async () => ({
      userId: 'u1',
      expiresAt: '2030-01-01T00:00:00Z',
      notice: null,
    })),

    listWorkspaces: vi.fn<Api['listWorkspaces']>(async () => [personal]),
    createWorkspace: vi.fn<Api['createWorkspace']>(async ({ name }) => workspace({ id: 'w-new', name })),
    getWorkspace: vi.fn<Api['getWorkspace']>(async (id) => (id === personal.id ? personal : workspace({ id }))),
    updateWorkspace: vi.fn<Api['updateWorkspace']>(async (id, patch) => workspace({ id, ...patch })),
    deleteWorkspace: vi.fn<Api['deleteWorkspace']>(async () => undefined),
    listConversations: vi.fn<Api['listConversations']>(async () => []),
    createConversation: vi.fn<Api['createConversation']>(async (workspaceId, { title, temporary }) =>
      conversation({ id: 'c-new', workspaceId, title: title ?? 'New conversation', temporary: temporary ?? false }),
    ),
    getConversation: vi.fn<Api['getConversation']>(async (id) => conversation({ id })),
    renameConversation: vi.fn<Api['renameConversation']>(async (id, title) => conversation({ id, title })),
    deleteConversation: vi.fn<Api['deleteConversation']>(async () => undefined),
    exportConversation: vi.fn<Api['exportConversation']>(async (id, format) => ({
      contentType: format === 'json' ? 'application/json' : 'text/markdown',
      fileName: `${id}.${format}`,
      body: format === 'json' ? '{}' : '# Conversation',
    })),
    sendMessage: vi.fn<Api['sendMessage']>(async (request, handlers) => {
      const answer: ChatAnswer = {
        conversationId: request.conversationId ?? 'c-new',
        messageId: 'm-answer',
        answer: 'An answer.',
        citations: [],
        status: 'complete',
        notice: null,
      };
      handlers?.onStarted?.({ conversationId: answer.conversationId, messageId: answer.messageId });
      handlers?.onDelta?.(answer.answer);
      handlers?.onCitations?.(answer.citations);
      return answer;
    }),
    stopMessage: vi.fn<Api['stopMessage']>(async () => undefined),
    chatHistory: vi.fn<Api['chatHistory']>(async (conversationId) => ({ conversationId, messages: [] })),
    clearChat: vi.fn<Api['clearChat']>(async () => undefined),
    searchHistory: vi.fn<Api['searchHistory']>(async () => []),

    getSettings: vi.fn<Api['getSettings']>(async () => appSettings()),
    updateSettings: vi.fn<Api['updateSettings']>(async (update) => {
      const { llmApiKey, retrievalUrl, ...rest } = update;
      return appSettings({
        ...rest,
        ...(llmApiKey !== undefined ? { llmApiKeySet: llmApiKey !== '' } : {}),
        ...(retrievalUrl !== undefined ? { retrievalUrl: retrievalUrl || null } : {}),
      });
    }),
    getStatus: vi.fn<Api['getStatus']>(async () => connectionStatus()),

    // Over HTTP: uploads from the page, no OS picker or synced folders.
    documents: { upload: true, pickFiles: false, folders: false },
    listDocuments: vi.fn<Api['listDocuments']>(async () => []),
    getDocument: vi.fn<Api['getDocument']>(async (id) => doc({ id })),
    deleteDocument: vi.fn<Api['deleteDocument']>(async () => undefined),
    documentFile: vi.fn<Api['documentFile']>(async () => ({ bytes: new ArrayBuffer(8), contentType: 'application/pdf' })),
    documentFileUrl: vi.fn<NonNullable<Api['documentFileUrl']>>((id) => `/documents/${id}/file`),
    searchDocuments: vi.fn<Api['searchDocuments']>(async () => []),
    uploadDocument: vi.fn<NonNullable<Api['uploadDocument']>>(async (workspaceId, file) => [
      doc({ id: `d-${file.name}`, workspaceId, name: file.name, bytes: file.size, status: 'queued', pages: null, chunks: 0 }),
    ]),
  } satisfies Api;
}

/**
 * An `Api` like the desktop app's: documents come from the OS's file picker, drops on the
 * window and synced folders, not from uploads. `drop` plays the shell dropping files.
 */
export function fakeDesktopApi() {
  const { uploadDocument: _upload, documentFileUrl: _url, ...rest } = fakeApi();
  const dropHandlers = new Set<(dropped: DroppedFiles) => void>();
  const api = {
    ...rest,
    documents: { upload: false, pickFiles: true, folders: true },
    addPickedDocuments: vi.fn<NonNullable<Api['addPickedDocuments']>>(async () => []),
    onFilesDropped: vi.fn<NonNullable<Api['onFilesDropped']>>(async (handler) => {
      dropHandlers.add(handler);
      return () => dropHandlers.delete(handler);
    }),
    addDroppedDocuments: vi.fn<NonNullable<Api['addDroppedDocuments']>>(async () => []),
    addPickedFolder: vi.fn<NonNullable<Api['addPickedFolder']>>(async () => null),
    listFolders: vi.fn<NonNullable<Api['listFolders']>>(async () => []),
    removeFolder: vi.fn<NonNullable<Api['removeFolder']>>(async () => undefined),
  } satisfies Api;
  return Object.assign(api, {
    drop(dropped: DroppedFiles) {
      for (const handler of dropHandlers) handler(dropped);
    },
  });
}

const created = '2030-01-01T09:00:00Z';

export function workspace(fields: Partial<Workspace> = {}): Workspace {
  return {
    id: 'w1',
    name: 'Research',
    description: '',
    systemPrompt: '',
    collection: null,
    topK: 5,
    model: null,
    sharedWithDomain: false,
    createdAt: created,
    updatedAt: created,
    ...fields,
  };
}

/** Settings that can be changed here (the desktop app's), with no key and no document search. */
export function appSettings(fields: Partial<AppSettings> = {}): AppSettings {
  return {
    llmBaseUrl: 'http://localhost:11434/v1',
    llmModel: 'llama3.1',
    llmApiKeySet: false,
    retrievalUrl: null,
    retrievalApiKeySet: false,
    editable: true,
    ...fields,
  };
}

/** Everything set up and reachable, the session in a cookie; `fields` replace whole parts. */
export function connectionStatus(fields: Partial<ConnectionStatus> = {}): ConnectionStatus {
  return {
    llm: { configured: true, reachable: true, message: null },
    retrieval: { configured: true, reachable: true, message: null },
    sessionStorage: 'cookie',
    maxDocumentBytes: 100_000_000,
    ...fields,
  };
}

export function doc(fields: Partial<WorkspaceDocument> = {}): WorkspaceDocument {
  return {
    id: 'd1',
    workspaceId: 'w1',
    name: 'handbook.pdf',
    format: 'pdf',
    mediaType: 'application/pdf',
    bytes: 2811,
    sha256: 'ab'.repeat(32),
    status: 'ready',
    pages: 3,
    pagesDone: 3,
    chunks: 3,
    error: null,
    folderPath: null,
    createdAt: created,
    indexedAt: created,
    ...fields,
  };
}

export function searchHit(fields: Partial<SearchHit> = {}): SearchHit {
  return {
    chunkId: 'p1',
    documentId: 'd1',
    name: 'handbook.pdf',
    title: 'handbook.pdf',
    page: 2,
    snippet: 'Page two: parking. Parking permits are renewed every January.',
    score: 3.2,
    ...fields,
  };
}

export const personal: Workspace = workspace({ id: 'w-personal', name: 'Personal' });

export function conversation(fields: Partial<Conversation> = {}): Conversation {
  return {
    id: 'c1',
    workspaceId: 'w1',
    userId: 'u1',
    title: 'Holiday policy',
    firstQuery: 'How many days of holiday do I get?',
    temporary: false,
    readOnly: false,
    createdAt: created,
    updatedAt: created,
    ...fields,
  };
}

export function message(fields: Partial<Message> = {}): Message {
  return {
    id: 'm1',
    role: 'user',
    content: 'How many days of holiday do I get?',
    citations: [],
    status: 'complete',
    errorCode: null,
    createdAt: created,
    ...fields,
  };
}

export function citation(fields: Partial<Citation> = {}): Citation {
  return {
    index: 1,
    chunkId: 'chunk-1',
    source: 'handbook.pdf',
    title: 'Staff handbook',
    url: 'https://intranet.example.com/handbook.pdf',
    page: 12,
    snippet: 'Everyone gets 25 days of paid holiday a year.',
    documentId: null,
    ...fields,
  };
}

export function historyEntry(fields: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    conversationId: 'c1',
    workspaceId: 'w1',
    userId: 'u1',
    title: 'Holiday policy',
    firstQuery: 'How many days of holiday do I get?',
    createdAt: created,
    updatedAt: created,
    ...fields,
  };
}

/** A `Navigator` that only records where it was sent. */
export class FakeNavigator implements Navigator {
  path = '/';
  readonly visited: Array<{ path: string; replace: boolean }> = [];

  get route(): RouteName | null {
    return matchRoute(this.path);
  }

  navigate(path: string, options: NavigateOptions = {}): void {
    this.path = path;
    this.visited.push({ path, replace: options.replace ?? false });
  }

  /** How many times the query string was cleared. */
  queryCleared = 0;

  clearQuery(): void {
    this.queryCleared += 1;
  }
}

export function unauthorized(message = 'Your session has ended. Please sign in again.'): ApiError {
  return new ApiError(401, 'unauthenticated', message);
}

/** The `ApiError` a call rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error('expected the call to fail');
}

/** A promise with its resolve/reject handles, to hold a call in flight. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
