/**
 * The state of the chat: one `ChatSession` per open conversation (its messages, the answer
 * being written, Stop, Retry, Clear), kept by a `ChatStore` so that an answer keeps
 * arriving while the user looks at another conversation, and so that a new conversation
 * keeps its state when it gets its id and address.
 *
 * Like `AuthController`, actions never reject: they resolve to the sentence to show, or
 * null when there is nothing to show (success, or the session ended and the user was
 * sent to sign in).
 */

import { ABORTED, describeError, toApiError, type Api } from './api';
import type {
  Citation,
  Conversation,
  ExportedFile,
  ExportFormat,
  Message,
  MessageStatus,
} from './chat-types';

/** One message as the chat shows it. */
export interface ChatEntry {
  /** Stable key for the list (the server id once known). */
  key: string;
  /** The server's id; null for a question whose id the server did not send. */
  id: string | null;
  role: 'user' | 'assistant';
  content: string;
  citations: Citation[];
  status: MessageStatus;
  errorCode: string | null;
  /** Why a failed answer failed, as a sentence. */
  error: string | null;
  /** Something to know about the answer (no document search…). */
  notice: string | null;
  /** For an answer: the question it answers, which Retry asks again. */
  question: string | null;
}

/** What the chat needs from the rest of the app. */
export interface ChatContext {
  api: Api;
  /**
   * The sentence for a failed call, or null when there is nothing to show because the
   * session ended and the user was sent to sign in (`AuthController.handleError`).
   */
  onError(error: unknown): string | null;
  /** Offers a file for download (tests replace it). */
  save?(file: ExportedFile): void;
}

/** Sentences for answers that failed earlier (the history only keeps the code). */
const FAILURES: Readonly<Record<string, string>> = {
  retrieval_unavailable: 'The document search could not be reached, so there is no answer.',
  llm_unavailable: 'The language model could not be reached, so there is no answer.',
  llm_rejected: 'The language model refused to answer.',
  llm_rate_limited: 'The language model was too busy to answer.',
  llm_timeout: 'The language model took too long to answer.',
  llm_not_configured: 'No language model is set up, so there is no answer.',
};

/** How often a conversation is read again while an answer in it is written elsewhere. */
export const UNFINISHED_POLL_MS = 1_000;
/** How long such an answer is waited for before giving up. */
export const UNFINISHED_LIMIT_MS = 120_000;
/** Said under an answer that was still being written when the waiting stopped. */
export const UNFINISHED_NOTICE =
  'This answer is still being written. Open the conversation again later to see the rest.';

export function failureSentence(code: string | null): string {
  return (code && FAILURES[code]) || 'This answer could not be finished.';
}

let counter = 0;
function localKey(): string {
  counter += 1;
  return `local-${counter}`;
}

/** The history's messages as entries; every answer knows the question before it. */
export function toEntries(messages: readonly Message[]): ChatEntry[] {
  let question: string | null = null;
  return messages.map((message) => {
    const entry: ChatEntry = {
      key: message.id,
      id: message.id,
      role: message.role,
      content: message.content,
      citations: message.citations,
      status: message.status,
      errorCode: message.errorCode,
      error: message.status === 'failed' ? failureSentence(message.errorCode) : null,
      notice: null,
      question: message.role === 'assistant' ? question : null,
    };
    if (message.role === 'user') question = message.content;
    return entry;
  });
}

export interface SessionOptions {
  workspaceId: string | null;
  conversationId: string | null;
  /** Whether the conversation this session makes (if it makes one) is temporary. */
  temporary?: boolean;
  /** Called when the session made its conversation, or when an answer ended. */
  onChange?(session: ChatSession): void;
}

export interface SendCallbacks {
  /** The question was accepted and stored: the draft can go. */
  onAccepted?(): void;
}

/** One conversation: shown, or being started. */
export class ChatSession {
  readonly workspaceId: string | null;
  conversationId: string | null = $state(null);
  conversation: Conversation | null = $state(null);
  messages: ChatEntry[] = $state([]);
  /** Whether the next conversation this session makes is temporary. */
  temporary: boolean = $state(false);
  loading: boolean = $state(false);
  /** The messages were read from the server at least once. */
  loaded: boolean = $state(false);
  loadError: string | null = $state(null);
  /** A question was sent and its answer is not finished. */
  sending: boolean = $state(false);
  stopping: boolean = $state(false);
  /** Why the last question was not accepted; the draft is kept. */
  sendError: string | null = $state(null);

  // A getter rather than `$derived`: sessions outlive the views (and effects) that make them.

  /** A colleague's conversation, shared to be read. */
  get readOnly(): boolean {
    return this.conversation?.readOnly ?? false;
  }

  /**
   * The history shows an answer still being written, and not by this page: the page was
   * reloaded while it streamed (the server then stops it), or another window asked it.
   */
  get unfinished(): boolean {
    return !this.sending && this.messages.some((entry) => entry.status === 'streaming');
  }

  readonly #context: ChatContext;
  readonly #onChange: (session: ChatSession) => void;
  #abort: AbortController | null = null;
  #messageId: string | null = null;

  constructor(context: ChatContext, options: SessionOptions) {
    this.#context = context;
    this.workspaceId = options.workspaceId;
    this.conversationId = options.conversationId;
    this.temporary = options.temporary ?? false;
    this.#onChange = options.onChange ?? (() => undefined);
  }

  /** Reads the conversation and its messages (again). Messages being written are left alone. */
  async load(): Promise<void> {
    const id = this.conversationId;
    if (!id) return;
    this.loading = true;
    this.loadError = null;
    try {
      const [conversation, history] = await Promise.all([
        this.#context.api.getConversation(id),
        this.#context.api.chatHistory(id),
      ]);
      this.conversation = conversation;
      if (!this.sending) this.messages = toEntries(history.messages);
      this.loaded = true;
    } catch (error) {
      this.loadError = this.#context.onError(error);
    } finally {
      this.loading = false;
    }
  }

  /**
   * Asks a question. Resolves to true when the server accepted it (then it is in the
   * conversation, even if its answer fails), false when it was refused (`sendError` says
   * why; the draft should stay).
   */
  async send(text: string, callbacks: SendCallbacks = {}): Promise<boolean> {
    const question = text.trim();
    if (question === '' || this.sending || this.readOnly) return false;
    const api = this.#context.api;
    this.sendError = null;
    this.sending = true;
    this.stopping = false;

    this.messages.push(
      {
        key: localKey(),
        id: null,
        role: 'user',
        content: question,
        citations: [],
        status: 'complete',
        errorCode: null,
        error: null,
        notice: null,
        question: null,
      },
      {
        key: localKey(),
        id: null,
        role: 'assistant',
        content: '',
        citations: [],
        status: 'streaming',
        errorCode: null,
        error: null,
        notice: null,
        question,
      },
    );
    const askedAt = this.messages.length - 2;
    // The proxied entry, so that changes to it show.
    const answer = this.messages[this.messages.length - 1] as ChatEntry;
    let accepted = false;
    const controller = new AbortController();
    this.#abort = controller;

    try {
      let conversationId = this.conversationId;
      if (!conversationId && this.temporary && this.workspaceId) {
        // `POST /chat/message` makes ordinary conversations: make the temporary one first.
        const conversation = await api.createConversation(this.workspaceId, { temporary: true });
        this.conversation = conversation;
        conversationId = conversation.id;
        this.conversationId = conversation.id;
        // Made here: what this session holds is the whole conversation.
        this.loaded = true;
        this.#onChange(this);
      }
      const result = await api.sendMessage(
        { message: question, conversationId, workspaceId: conversationId ? null : this.workspaceId },
        {
          onStarted: (started) => {
            accepted = true;
            if (started.messageId) {
              this.#messageId = started.messageId;
              answer.id = started.messageId;
            }
            callbacks.onAccepted?.();
            if (!this.conversationId && started.conversationId) {
              this.conversationId = started.conversationId;
              this.loaded = true;
              this.#onChange(this);
              void this.#readConversation();
            }
          },
          onDelta: (delta) => {
            answer.content += delta;
          },
          onCitations: (citations) => {
            answer.citations = citations;
          },
        },
        { signal: controller.signal },
      );
      if (!accepted) {
        accepted = true;
        callbacks.onAccepted?.();
      }
      if (!this.conversationId) this.conversationId = result.conversationId;
      answer.id = result.messageId;
      answer.content = result.answer;
      answer.citations = result.citations;
      answer.status = result.status;
      answer.notice = result.notice;
      return true;
    } catch (error) {
      const apiError = toApiError(error);
      if (!accepted && apiError.code !== ABORTED) {
        // Refused before it was stored: take the question back out; the draft stays.
        this.messages.splice(askedAt, 2);
        this.sendError = this.#context.onError(apiError);
        return false;
      }
      if (apiError.code === ABORTED) {
        answer.status = 'stopped';
        return accepted;
      }
      if (apiError.status === 401) {
        this.#context.onError(apiError);
      }
      answer.status = 'failed';
      answer.errorCode = apiError.code;
      answer.error = describeError(apiError);
      return true;
    } finally {
      this.sending = false;
      this.stopping = false;
      this.#abort = null;
      this.#messageId = null;
      if (this.conversationId) this.#onChange(this);
    }
  }

  /** Asks the question of a failed answer again. */
  retry(entry: ChatEntry): Promise<boolean> {
    if (!entry.question) return Promise.resolve(false);
    return this.send(entry.question);
  }

  /**
   * Stops the answer being written; what was written is kept. The server is asked to stop
   * it; if that fails (or the answer has no id yet), the connection is dropped, which stops
   * it too.
   */
  async stop(): Promise<void> {
    if (!this.sending || this.stopping) return;
    this.stopping = true;
    const messageId = this.#messageId;
    if (messageId) {
      try {
        await this.#context.api.stopMessage(messageId);
        return;
      } catch {
        // Fall back to dropping the connection.
      }
    }
    this.#abort?.abort();
  }

  /** Removes every message of the conversation. */
  async clear(): Promise<string | null> {
    const id = this.conversationId;
    if (!id || this.sending) return null;
    try {
      await this.#context.api.clearChat(id);
      this.messages = [];
      this.#onChange(this);
      return null;
    } catch (error) {
      return this.#context.onError(error);
    }
  }

  /**
   * While `unfinished`, reads the messages again every `UNFINISHED_POLL_MS`, so that the
   * answer shows its final state (stopped with what was written, complete, or failed) once
   * the server has one. Gives up after `UNFINISHED_LIMIT_MS`, saying so under the answer.
   * Returns a function that stops (the view calls it when it goes).
   */
  followUnfinished(): () => void {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let waited = 0;
    const poll = async () => {
      waited += UNFINISHED_POLL_MS;
      if (stopped || !this.unfinished) return;
      await this.#readMessages();
      if (stopped || !this.unfinished) return;
      if (waited >= UNFINISHED_LIMIT_MS) {
        for (const entry of this.messages) {
          if (entry.status === 'streaming') entry.notice = UNFINISHED_NOTICE;
        }
        return;
      }
      timer = setTimeout(() => void poll(), UNFINISHED_POLL_MS);
    };
    timer = setTimeout(() => void poll(), UNFINISHED_POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }

  /** Reads the messages again, unless this page is writing an answer or reading them already. */
  async #readMessages(): Promise<void> {
    const id = this.conversationId;
    if (!id) return;
    try {
      const history = await this.#context.api.chatHistory(id);
      if (this.conversationId === id && !this.sending && !this.loading) this.messages = toEntries(history.messages);
    } catch (error) {
      // The session ended: the user is sent to sign in. Anything else: the next turn tries again.
      if (toApiError(error).status === 401) this.#context.onError(error);
    }
  }

  /** Reads the conversation's title and flags (for a conversation this session just made). */
  async #readConversation(): Promise<void> {
    const id = this.conversationId;
    if (!id) return;
    try {
      const conversation = await this.#context.api.getConversation(id);
      if (this.conversationId === id) this.conversation = conversation;
    } catch {
      // The header keeps its placeholder title; the sidebar lists the conversation anyway.
    }
  }

  /** Drops the connection of an answer being written (leaving, signing out). */
  abort(): void {
    this.#abort?.abort();
  }
}

/** Saves a file through a temporary link (the browser's download). */
export function saveFile(file: ExportedFile): void {
  const blob = new Blob([file.body], { type: file.contentType });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = file.fileName;
  link.rel = 'noopener';
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // Give the download time to start before the data goes.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The open conversations, and the actions on conversations as a whole. */
export class ChatStore {
  /** Goes up whenever a conversation was made, renamed, deleted or written to: lists reload. */
  changes: number = $state(0);
  readonly #context: ChatContext;
  readonly #sessions = new Map<string, ChatSession>();
  /** The conversation being started in each workspace, before it has an id. */
  readonly #fresh = new Map<string, ChatSession>();
  /** The session last handed to a view. */
  #shown: ChatSession | null = null;

  constructor(context: ChatContext) {
    this.#context = context;
  }

  /** The session of a new conversation in a workspace. */
  fresh(workspaceId: string, temporary = false): ChatSession {
    const current = this.#fresh.get(workspaceId);
    if (current && !current.conversationId) {
      if (!current.sending) current.temporary = temporary;
      this.#shown = current;
      return current;
    }
    const session = new ChatSession(this.#context, {
      workspaceId,
      conversationId: null,
      temporary,
      onChange: (changed) => this.#changed(changed),
    });
    this.#fresh.set(workspaceId, session);
    this.#shown = session;
    return session;
  }

  /**
   * The session of a conversation. Coming back to a conversation reads it again from the
   * server, unless an answer is still being written in it; the session already shown (a
   * new conversation that just got its address) is kept as it is.
   */
  open(conversationId: string, workspaceId: string | null): ChatSession {
    let session = this.#sessions.get(conversationId);
    if (!session) {
      session = new ChatSession(this.#context, {
        workspaceId,
        conversationId,
        onChange: (changed) => this.#changed(changed),
      });
      this.#sessions.set(conversationId, session);
    }
    if (session !== this.#shown && !session.sending && !session.loading) void session.load();
    this.#shown = session;
    return session;
  }

  async rename(conversationId: string, title: string): Promise<string | null> {
    try {
      const conversation = await this.#context.api.renameConversation(conversationId, title);
      const session = this.#sessions.get(conversationId);
      if (session) session.conversation = conversation;
      this.changes += 1;
      return null;
    } catch (error) {
      return this.#context.onError(error);
    }
  }

  async remove(conversationId: string): Promise<string | null> {
    try {
      await this.#context.api.deleteConversation(conversationId);
      this.#sessions.get(conversationId)?.abort();
      this.#sessions.delete(conversationId);
      this.changes += 1;
      return null;
    } catch (error) {
      return this.#context.onError(error);
    }
  }

  async export(conversationId: string, format: ExportFormat): Promise<string | null> {
    try {
      const file = await this.#context.api.exportConversation(conversationId, format);
      (this.#context.save ?? saveFile)(file);
      return null;
    } catch (error) {
      return this.#context.onError(error);
    }
  }

  /** Forgets everything (signing out): answers being written are stopped. */
  reset(): void {
    for (const session of [...this.#sessions.values(), ...this.#fresh.values()]) session.abort();
    this.#sessions.clear();
    this.#fresh.clear();
    this.#shown = null;
  }

  #changed(session: ChatSession): void {
    if (session.conversationId && this.#sessions.get(session.conversationId) !== session) {
      this.#sessions.set(session.conversationId, session);
    }
    this.changes += 1;
  }
}
