/** What the UI can ask of Docent, whichever transport carries it (HTTP or the desktop shell). */

import type {
  ChatAnswer,
  ChatHistory,
  ChatStreamHandlers,
  Conversation,
  ExportedFile,
  ExportFormat,
  HistoryEntry,
  HistoryQuery,
  NewConversation,
  NewWorkspace,
  SendMessageRequest,
  SendOptions,
  Workspace,
  WorkspacePatch,
} from '../chat-types';
import type {
  DocumentCapabilities,
  DocumentFile,
  DocumentFolder,
  DocumentSearch,
  DroppedFiles,
  FolderAdded,
  SearchHit,
  UploadOptions,
  WorkspaceDocument,
} from '../document-types';
import type { AppSettings, ConnectionStatus, SettingsUpdate } from '../settings-types';
import type {
  Acknowledgement,
  Credentials,
  CurrentUser,
  EmailConfirmation,
  LoginProof,
  LoginResult,
  PasswordReset,
  RegisteredUser,
} from './account';

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
   * What this transport can do with documents: upload files from the page (HTTP), or use
   * the OS's file picker, drops on the window and synced folders (the desktop app). The
   * methods marked "HTTP only" or "desktop app only" below exist only where their flag is set.
   */
  readonly documents: DocumentCapabilities;
  /** A workspace's documents, oldest first, with how far their indexing is. */
  listDocuments(workspaceId: string): Promise<WorkspaceDocument[]>;
  getDocument(id: string): Promise<WorkspaceDocument>;
  /**
   * Deletes a document; its passages leave the index at once. Rejects with `read_only` (403)
   * in a workspace shared with the caller to read.
   */
  deleteDocument(id: string): Promise<void>;
  /** The original file's bytes (a PDF is shown from them). */
  documentFile(id: string): Promise<DocumentFile>;
  /**
   * HTTP only: the address of the original file, which the server sends as an attachment
   * (a download link needs no bytes in the page).
   */
  documentFileUrl?(id: string): string;
  /**
   * Searches a workspace's documents: the passages that best match, best first. Works
   * without a language model. Rejects with `empty_query` (422) when there is no word to find.
   */
  searchDocuments(workspaceId: string, search: DocumentSearch): Promise<SearchHit[]>;
  /**
   * HTTP only (`documents.upload`): sends one file, reporting its progress; resolves with the
   * documents made (queued, then indexed in the background). Rejects with
   * `document_too_large` (413), `unsupported_document` (415) or `read_only` (403).
   */
  uploadDocument?(workspaceId: string, file: File, options?: UploadOptions): Promise<WorkspaceDocument[]>;
  /** Desktop app only (`documents.pickFiles`): the OS's file picker; [] when it is cancelled. */
  addPickedDocuments?(workspaceId: string): Promise<WorkspaceDocument[]>;
  /**
   * Desktop app only (`documents.pickFiles`): calls `handler` for each set of files dropped on
   * the window from now on; resolves with a function that stops calling it.
   */
  onFilesDropped?(handler: (dropped: DroppedFiles) => void): Promise<() => void>;
  /** Desktop app only: adds the files (and folders) of a drop to a workspace. */
  addDroppedDocuments?(workspaceId: string, dropId: number): Promise<WorkspaceDocument[]>;
  /**
   * Desktop app only (`documents.folders`): the OS's folder picker; the folder chosen is kept
   * in sync with the workspace. Null when the picker is cancelled.
   */
  addPickedFolder?(workspaceId: string): Promise<FolderAdded | null>;
  /** Desktop app only: the folders kept in sync with a workspace. */
  listFolders?(workspaceId: string): Promise<DocumentFolder[]>;
  /** Desktop app only: stops keeping a folder in sync; the documents it brought go. */
  removeFolder?(id: string): Promise<void>;

  /**
   * Desktop app only (absent over HTTP, where emailed links open in the browser): follows
   * the sign-in and password-reset links (`docent://login/verify?token=…`) that the OS hands
   * to the app, also while it runs. `handler` gets each as an app path with its query
   * (`/login/verify?token=…`, `/reset-password?token=…`; nothing else); a link that arrived
   * before the UI was ready comes right away. Call it once, at start.
   */
  onAppLink?(handler: (path: string) => void): Promise<void>;
}
