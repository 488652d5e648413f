import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { citation, deferred, fakeApi, message } from '../test/fakes';
import { abortedError, ApiError, type ChatAnswer } from './api';
import {
  ChatStore,
  failureSentence,
  toEntries,
  UNFINISHED_LIMIT_MS,
  UNFINISHED_NOTICE,
  UNFINISHED_POLL_MS,
} from './chat.svelte';

let api: ReturnType<typeof fakeApi>;
let onError: ReturnType<typeof vi.fn<(error: unknown) => string | null>>;
let store: ChatStore;

beforeEach(() => {
  api = fakeApi();
  onError = vi.fn((error: unknown) => (error instanceof Error ? error.message : 'error'));
  store = new ChatStore({ api, onError });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('toEntries', () => {
  it('gives every answer the question before it, and failed answers a sentence', () => {
    const entries = toEntries([
      message({ id: 'm1', content: 'First?' }),
      message({ id: 'm2', role: 'assistant', content: 'One [1].', citations: [citation()] }),
      message({ id: 'm3', content: 'Second?' }),
      message({ id: 'm4', role: 'assistant', content: '', status: 'failed', errorCode: 'retrieval_unavailable' }),
    ]);
    expect(entries.map((e) => [e.key, e.question, e.error])).toEqual([
      ['m1', null, null],
      ['m2', 'First?', null],
      ['m3', null, null],
      ['m4', 'Second?', 'The document search could not be reached, so there is no answer.'],
    ]);
    expect(failureSentence('something_new')).toBe('This answer could not be finished.');
    expect(failureSentence(null)).toBe('This answer could not be finished.');
  });
});

describe('ChatSession', () => {
  it('a new conversation: asks in the workspace, takes the id it was given, and bumps the changes', async () => {
    const session = store.fresh('w1');
    const before = store.changes;
    const accepted = vi.fn();
    await expect(session.send('  Hello?  ', { onAccepted: accepted })).resolves.toBe(true);
    expect(api.sendMessage.mock.calls[0]?.[0]).toEqual({ message: 'Hello?', conversationId: null, workspaceId: 'w1' });
    expect(accepted).toHaveBeenCalledOnce();
    expect(session.conversationId).toBe('c-new');
    expect(session.messages.map((m) => [m.role, m.content, m.status])).toEqual([
      ['user', 'Hello?', 'complete'],
      ['assistant', 'An answer.', 'complete'],
    ]);
    expect(store.changes).toBeGreaterThan(before);
    // The same session is found under its new id, without reading it again.
    expect(store.open('c-new', 'w1')).toBe(session);
    expect(api.chatHistory).not.toHaveBeenCalled();
    // And the next new conversation is a different one.
    expect(store.fresh('w1')).not.toBe(session);
  });

  it('a refused question is taken back out and reported, and the draft stays', async () => {
    const session = store.fresh('w1');
    api.sendMessage.mockRejectedValueOnce(new ApiError(422, 'message_too_long', 'Too long.'));
    const accepted = vi.fn();
    await expect(session.send('x', { onAccepted: accepted })).resolves.toBe(false);
    expect(session.messages).toEqual([]);
    expect(session.sendError).toBe('Too long.');
    expect(accepted).not.toHaveBeenCalled();
    expect(session.sending).toBe(false);
  });

  it('does not send empty questions, twice at once, or into a read-only conversation', async () => {
    const session = store.fresh('w1');
    await expect(session.send('   ')).resolves.toBe(false);
    const pending = deferred<ChatAnswer>();
    api.sendMessage.mockReturnValueOnce(pending.promise);
    const first = session.send('one');
    await expect(session.send('two')).resolves.toBe(false);
    pending.reject(abortedError());
    await first;
    expect(api.sendMessage).toHaveBeenCalledOnce();

    api.getConversation.mockResolvedValueOnce({ ...(await api.getConversation('c7')), id: 'c7', readOnly: true });
    const shared = store.open('c7', null);
    await vi.waitFor(() => expect(shared.readOnly).toBe(true));
    await expect(shared.send('hi')).resolves.toBe(false);
  });

  it('reset stops the answers being written', async () => {
    const session = store.fresh('w1');
    let signal: AbortSignal | undefined;
    api.sendMessage.mockImplementationOnce((_request, handlers, options) => {
      signal = options?.signal;
      handlers?.onStarted?.({ conversationId: 'c1', messageId: 'm1' });
      return new Promise<ChatAnswer>((_resolve, reject) => {
        options?.signal?.addEventListener('abort', () => reject(abortedError()));
      });
    });
    const sent = session.send('Long one');
    store.reset();
    await expect(sent).resolves.toBe(true);
    expect(signal?.aborted).toBe(true);
    expect(session.messages[1]?.status).toBe('stopped');
  });

  it('opening a conversation again reads it again, unless an answer is being written in it', async () => {
    const first = store.open('c1', 'w1');
    await vi.waitFor(() => expect(first.loaded).toBe(true));
    const second = store.open('c2', 'w1');
    await vi.waitFor(() => expect(second.loaded).toBe(true));
    expect(store.open('c1', 'w1')).toBe(first);
    await vi.waitFor(() => expect(api.chatHistory.mock.calls.map(([id]) => id)).toEqual(['c1', 'c2', 'c1']));

    // While an answer is being written, it is left alone.
    api.sendMessage.mockReturnValueOnce(new Promise<ChatAnswer>(() => undefined));
    void first.send('Still going');
    store.open('c2', 'w1');
    store.open('c1', 'w1');
    await Promise.resolve();
    expect(api.chatHistory).toHaveBeenCalledTimes(4);
    expect(first.messages.at(-1)?.status).toBe('streaming');
  });

  it('rename, remove and export report failures as sentences', async () => {
    api.renameConversation.mockRejectedValueOnce(new ApiError(403, 'read_only', 'Read only.'));
    await expect(store.rename('c1', 'x')).resolves.toBe('Read only.');
    await expect(store.remove('c1')).resolves.toBeNull();
    const saved: unknown[] = [];
    const saving = new ChatStore({ api, onError, save: (file) => saved.push(file) });
    await expect(saving.export('c1', 'md')).resolves.toBeNull();
    expect(saved).toEqual([{ contentType: 'text/markdown', fileName: 'c1.md', body: '# Conversation' }]);
  });
});

describe('an answer still being written when the conversation was read', () => {
  const question = message({ id: 'm1', content: 'How many days?' });
  const answer = (fields: Parameters<typeof message>[0]) =>
    message({ id: 'm2', role: 'assistant', content: 'Twenty', status: 'streaming', ...fields });
  const history = (...messages: ReturnType<typeof message>[]) => ({ conversationId: 'c1', messages });

  it('is read again every second until it is finished, then no more', async () => {
    vi.useFakeTimers();
    api.chatHistory
      .mockResolvedValueOnce(history(question, answer({})))
      .mockResolvedValueOnce(history(question, answer({ content: 'Twenty-five' })))
      .mockResolvedValueOnce(history(question, answer({ content: 'Twenty-five days', status: 'stopped' })));
    const session = store.open('c1', 'w1');
    await vi.advanceTimersByTimeAsync(0);
    expect(session.unfinished).toBe(true);

    const stop = session.followUnfinished();
    await vi.advanceTimersByTimeAsync(UNFINISHED_POLL_MS);
    expect(api.chatHistory).toHaveBeenCalledTimes(2);
    expect(session.messages[1]).toMatchObject({ content: 'Twenty-five', status: 'streaming' });

    await vi.advanceTimersByTimeAsync(UNFINISHED_POLL_MS);
    expect(api.chatHistory).toHaveBeenCalledTimes(3);
    expect(session.messages[1]).toMatchObject({ content: 'Twenty-five days', status: 'stopped' });
    expect(session.unfinished).toBe(false);

    await vi.advanceTimersByTimeAsync(UNFINISHED_POLL_MS * 10);
    expect(api.chatHistory).toHaveBeenCalledTimes(3);
    stop();
  });

  it('stops when told (the view went), and gives up after two minutes, saying so', async () => {
    vi.useFakeTimers();
    api.chatHistory.mockResolvedValue(history(question, answer({})));
    const session = store.open('c1', 'w1');
    await vi.advanceTimersByTimeAsync(0);

    const stop = session.followUnfinished();
    await vi.advanceTimersByTimeAsync(UNFINISHED_POLL_MS);
    expect(api.chatHistory).toHaveBeenCalledTimes(2);
    stop();
    await vi.advanceTimersByTimeAsync(UNFINISHED_POLL_MS * 10);
    expect(api.chatHistory).toHaveBeenCalledTimes(2);

    session.followUnfinished();
    await vi.advanceTimersByTimeAsync(UNFINISHED_LIMIT_MS);
    expect(api.chatHistory).toHaveBeenCalledTimes(2 + UNFINISHED_LIMIT_MS / UNFINISHED_POLL_MS);
    expect(session.messages[1]).toMatchObject({ status: 'streaming', notice: UNFINISHED_NOTICE });
    await vi.advanceTimersByTimeAsync(UNFINISHED_POLL_MS * 10);
    expect(api.chatHistory).toHaveBeenCalledTimes(2 + UNFINISHED_LIMIT_MS / UNFINISHED_POLL_MS);
  });

  it('is not what this page is writing itself, and failed reads are tried again', async () => {
    vi.useFakeTimers();
    const session = store.fresh('w1');
    api.sendMessage.mockReturnValueOnce(new Promise<ChatAnswer>(() => undefined));
    void session.send('Still going');
    expect(session.messages[1]?.status).toBe('streaming');
    expect(session.unfinished).toBe(false);

    api.chatHistory
      .mockResolvedValueOnce(history(question, answer({})))
      .mockRejectedValueOnce(new ApiError(0, 'network_error', 'Offline.'))
      .mockResolvedValueOnce(history(question, answer({ status: 'complete' })));
    const other = store.open('c1', 'w1');
    await vi.advanceTimersByTimeAsync(0);
    other.followUnfinished();
    await vi.advanceTimersByTimeAsync(UNFINISHED_POLL_MS);
    expect(other.unfinished).toBe(true);
    expect(onError).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(UNFINISHED_POLL_MS);
    expect(other.messages[1]?.status).toBe('complete');
    expect(api.chatHistory).toHaveBeenCalledTimes(3);
  });
});
