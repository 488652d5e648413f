/**
 * Whether the language model and the document search can be used right now, as Docent
 * reports it (`Api.getStatus`), and what the UI makes of it: the reason Send is disabled,
 * a warning about the document search, the notice that the session will not outlive the app.
 *
 * The status is only advice. When it cannot be read, nothing is disabled: sending then
 * says itself what went wrong. Nothing else depends on it either: workspaces,
 * conversations and their sources keep working while the remotes are down.
 */

import type { Api } from './api';
import type { ConnectionStatus, RemoteStatus } from './settings-types';

/** How often the chat asks again while it is open. */
export const STATUS_INTERVAL_MS = 30_000;

export const OFFLINE_MESSAGE = 'You are offline.';

export const KEYRING_NOTICE =
  'No OS keyring is available, so you will have to sign in again next time Docent starts.';

/** The server's own sentence when it gave one (it names the service and the address), else `fallback`. */
function reason(remote: RemoteStatus, fallback: string): string {
  const message = remote.message?.trim() ?? '';
  return message === '' ? fallback : /[.!?]$/.test(message) ? message : `${message}.`;
}

/** Said after the reason Send is off, when a question has been typed. */
export const QUESTION_KEPT = 'Your question is kept; send it when the model is back.';

/** Why questions cannot be sent, or null when they can (or when nobody knows). */
export function sendBlockedReason(status: ConnectionStatus | null): string | null {
  if (!status) return null;
  const { llm } = status;
  if (!llm.configured) {
    return reason(llm, 'No language model is set up: set its URL, model and key in Settings.');
  }
  if (!llm.reachable) {
    return reason(llm, 'The language model cannot be reached.');
  }
  return null;
}

/**
 * A warning when the document search is set up but cannot be reached; questions can still be
 * sent. Shown beside the reason Send is disabled, unless that reason already says it (offline).
 */
export function retrievalWarning(status: ConnectionStatus | null): string | null {
  if (!status) return null;
  const { llm, retrieval } = status;
  if (!retrieval.configured || retrieval.reachable) return null;
  if (!llm.reachable && retrieval.message !== null && retrieval.message === llm.message) return null;
  return `${reason(retrieval, 'The document search cannot be reached.')} Answers may fail or come without documents until it is back.`;
}

/** The status while the device is offline: what is set up stays as it was known, nothing is reachable. */
export function offlineStatus(previous: ConnectionStatus | null): ConnectionStatus {
  const offline = (known: RemoteStatus | undefined): RemoteStatus =>
    known && !known.configured ? known : { configured: true, reachable: false, message: OFFLINE_MESSAGE };
  return {
    llm: offline(previous?.llm),
    retrieval: offline(previous?.retrieval),
    sessionStorage: previous?.sessionStorage ?? 'cookie',
    maxDocumentBytes: previous?.maxDocumentBytes ?? null,
  };
}

/** What the monitor needs from the rest of the app. */
export interface ConnectionContext {
  api: Api;
  /** Handles a failed call: a 401 sends the user to sign in (`AuthController.handleError`). */
  onError(error: unknown): unknown;
  /** Whether the device is online; `navigator.onLine` unless a test says otherwise. */
  isOnline?(): boolean;
}

/** The window whose `online` and `offline` events `watch` follows; a test can pass its own. */
type WatchedWindow = Pick<Window, 'addEventListener' | 'removeEventListener'>;

/**
 * The connection status of the app. The app reads it once after signing in (for the
 * keyring notice); the chat watches it while it is open.
 */
export class ConnectionMonitor {
  /** The last status read; null before the first one, or when it could not be read. */
  status: ConnectionStatus | null = $state(null);
  /** A status request is on its way. */
  checking: boolean = $state(false);
  /** Docent said, at least once this run, that the session is kept in memory only. */
  sessionInMemory: boolean = $state(false);
  /** The user closed the keyring notice; it stays closed for the rest of the run. */
  keyringNoticeDismissed: boolean = $state(false);

  // Getters rather than `$derived`: the monitor outlives the views (and effects) that use it.

  /** Why Send is disabled, or null when it is not. */
  get sendBlockedReason(): string | null {
    return sendBlockedReason(this.status);
  }

  /** A warning about the document search, or null. */
  get retrievalWarning(): string | null {
    return retrievalWarning(this.status);
  }

  /** Whether to show `KEYRING_NOTICE`. */
  get showKeyringNotice(): boolean {
    return this.sessionInMemory && !this.keyringNoticeDismissed;
  }

  readonly #context: ConnectionContext;
  /** Counts requests, so that only the latest one's answer (or going offline) counts. */
  #generation = 0;
  #inflight: Promise<void> | null = null;

  constructor(context: ConnectionContext) {
    this.#context = context;
  }

  #online(): boolean {
    if (this.#context.isOnline) return this.#context.isOnline();
    return globalThis.navigator?.onLine !== false;
  }

  /**
   * Reads the status (again). Offline, nothing is asked: both remotes are unreachable.
   * A request already on its way is shared rather than repeated. Never rejects.
   */
  refresh(): Promise<void> {
    if (!this.#online()) {
      this.#generation += 1;
      this.#inflight = null;
      this.checking = false;
      this.status = offlineStatus(this.status);
      return Promise.resolve();
    }
    if (this.#inflight) return this.#inflight;

    const generation = ++this.#generation;
    this.checking = true;
    const run = (async () => {
      try {
        const status = await this.#context.api.getStatus();
        if (generation !== this.#generation) return;
        this.status = status;
        if (status.sessionStorage === 'memory') this.sessionInMemory = true;
      } catch (error) {
        if (generation !== this.#generation) return;
        // Unknown: nothing is disabled, and sending will say what is wrong.
        this.status = null;
        this.#context.onError(error);
      } finally {
        if (generation === this.#generation) {
          this.checking = false;
          this.#inflight = null;
        }
      }
    })();
    this.#inflight = run;
    return run;
  }

  /**
   * Reads the status now, every `STATUS_INTERVAL_MS`, and whenever the device goes online
   * or offline. Returns a function that stops.
   */
  watch(win: WatchedWindow = window): () => void {
    const refresh = () => void this.refresh();
    refresh();
    win.addEventListener('online', refresh);
    win.addEventListener('offline', refresh);
    const timer = setInterval(refresh, STATUS_INTERVAL_MS);
    return () => {
      clearInterval(timer);
      win.removeEventListener('online', refresh);
      win.removeEventListener('offline', refresh);
    };
  }

  /** Closes the keyring notice for the rest of the run. */
  dismissKeyringNotice(): void {
    this.keyringNoticeDismissed = true;
  }

  /** Forgets the status (signing out); an answer still on its way is ignored. */
  reset(): void {
    this.#generation += 1;
    this.#inflight = null;
    this.checking = false;
    this.status = null;
  }
}
