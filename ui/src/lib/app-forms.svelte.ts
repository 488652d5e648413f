import type { HistoryScope } from './chat-types';

/** A workspace's settings as typed into its settings form, before they are saved. */
export interface WorkspaceSettingsForm {
  name: string;
  description: string;
  systemPrompt: string;
  /** '' for the server's default collection. */
  collection: string;
  /** A number input's value: null while it is empty or not a number. */
  topK: number | null;
  /** '' for the server's default model. */
  model: string;
  sharedWithDomain: boolean;
}

/**
 * The app's settings as typed into the settings page, before they are saved. The API key
 * is not here: a secret stays on the page it was typed on.
 */
export interface AppSettingsForm {
  llmBaseUrl: string;
  llmModel: string;
  /** '' for no document search. */
  retrievalUrl: string;
}

/** The filters of the history page, kept while the user opens a conversation and comes back. */
export interface HistoryFilters {
  scope: HistoryScope;
  q: string;
  /** Dates from the date inputs (`YYYY-MM-DD`), '' when unset. */
  from: string;
  to: string;
  /** '' for every workspace. */
  workspaceId: string;
  /** The page shown, from 0. */
  page: number;
}

export function emptyHistoryFilters(): HistoryFilters {
  return { scope: 'mine', q: '', from: '', to: '', workspaceId: '', page: 0 };
}

/** The draft key of a conversation not started yet in a workspace. */
export function newConversationKey(workspaceId: string): string {
  return `new:${workspaceId}`;
}

/**
 * What the user typed in the signed-in part of the app. Like the account forms, it lives
 * outside the views, in memory only, so it survives view switches and a trip to the login
 * page when the session ends in the middle of something. Signing out clears it.
 */
export class AppForms {
  newWorkspace: { name: string } = $state({ name: '' });
  /** Settings being edited, by workspace id. */
  workspaceSettings: Record<string, WorkspaceSettingsForm> = $state({});
  /** Unsent questions: by conversation id, or `new:{workspaceId}` (`newConversationKey`). */
  drafts: Record<string, string> = $state({});
  /** Whether the next new conversation in a workspace is temporary, by workspace id. */
  temporary: Record<string, boolean> = $state({});
  /** The conversation search box of each workspace's sidebar, by workspace id. */
  conversationSearch: Record<string, string> = $state({});
  /** The search box of each workspace's documents, by workspace id. */
  documentSearch: Record<string, string> = $state({});
  history: HistoryFilters = $state(emptyHistoryFilters());
  /** The settings page's fields while they differ from what was saved; null until it is opened. */
  appSettings: AppSettingsForm | null = $state(null);

  clear(): void {
    this.newWorkspace = { name: '' };
    this.workspaceSettings = {};
    this.drafts = {};
    this.temporary = {};
    this.conversationSearch = {};
    this.documentSearch = {};
    this.history = emptyHistoryFilters();
    this.appSettings = null;
  }
}
