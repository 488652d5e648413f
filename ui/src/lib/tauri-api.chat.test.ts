import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('@tauri-apps/api/core', () => import('../test/tauri-core'));

import { rejection } from '../test/fakes';
import { answer, FakeChannel, invoke as invokeMock, resetTauri } from '../test/tauri-core';
import { ABORTED } from './api';
import type { ChatStarted, Citation } from './chat-types';
import { tauriApi } from './api/tauri';

const wireWorkspace = {
  id: 'w1',
  name: 'Research',
  description: '',
  system_prompt: '',
  collection: 'papers',
  top_k: 8,
  model: null,
  shared_with_domain: false,
  created_at: 't',
  updated_at: 't',
};

const wireConversation = {
  id: 'c1',
  workspace_id: 'w1',
  user_id: 'u1',
  title: 'Holidays',
  first_query: null,
  temporary: true,
  read_only: false,
  created_at: 't',
  updated_at: 't',
};

const wireCitation = {
  index: 2,
  chunk_id: 'k2',
  source: 'policy.md',
  title: null,
  url: null,
  page: null,
  snippet: 'Text.',
  document_id: 'd2',
};

const citation: Citation = {
  index: 2,
  chunkId: 'k2',
  source: 'policy.md',
  title: null,
  url: null,
  page: null,
  snippet: 'Text.',
  // A passage of one of the workspace's own documents.
  documentId: 'd2',
};

beforeEach(() => {
  resetTauri();
});

describe('workspace and conversation commands', () => {
  it('invokes each command with the argument names the shell expects', async () => {
    answer([wireWorkspace]);
    answer(wireWorkspace);
    answer(wireWorkspace);
    answer(wireWorkspace);
    answer(null);
    answer([wireConversation]);
    answer(wireConversation);
    answer(wireConversation);
    answer(wireConversation);
    answer(null);
    answer({ content_type: 'application/json', file_name: 'holidays.json', body: '{}' });

    await expect(tauriApi.listWorkspaces()).resolves.toEqual([
      expect.objectContaining({ id: 'w1', collection: 'papers', topK: 8, model: null, sharedWithDomain: false }),
    ]);
    await tauriApi.createWorkspace({ name: 'Research', description: 'Papers' });
    await tauriApi.getWorkspace('w1');
    await tauriApi.updateWorkspace('w1', { topK: 8, model: '' });
    await expect(tauriApi.deleteWorkspace('w1')).resolves.toBeUndefined();
    await expect(tauriApi.listConversations('w1')).resolves.toEqual([
      expect.objectContaining({ id: 'c1', workspaceId: 'w1', temporary: true, readOnly: false }),
    ]);
    await tauriApi.createConversation('w1', { temporary: true });
    await tauriApi.getConversation('c1');
    await tauriApi.renameConversation('c1', 'Leave');
    await tauriApi.deleteConversation('c1');
    await expect(tauriApi.exportConversation('c1', 'json')).resolves.toEqual({
      contentType: 'application/json',
      fileName: 'holidays.json',
      body: '{}',
    });

    expect(invokeMock.mock.calls).toEqual([
      ['workspace_list'],
      ['workspace_create', { request: { name: 'Research', description: 'Papers' } }],
      ['workspace_get', { id: 'w1' }],
      ['workspace_update', { id: 'w1', request: { top_k: 8, model: '' } }],
      ['workspace_delete', { id: 'w1' }],
      ['conversation_list', { workspaceId: 'w1' }],
      ['conversation_create', { workspaceId: 'w1', request: { temporary: true } }],
      ['conversation_get', { id: 'c1' }],
      ['conversation_update', { id: 'c1', request: { title: 'Leave' } }],
      ['conversation_delete', { id: 'c1' }],
      ['conversation_export', { id: 'c1', format: 'json' }],
    ]);
  });

  it('history, clear, stop and search', async () => {
    answer({ conversation_id: null, messages: [] });
    answer(null);
    answer(null);
    answer([]);
    answer([]);

    await expect(tauriApi.chatHistory(null)).resolves.toEqual({ conversationId: null, messages: [] });
    await tauriApi.clearChat('c1');
    await tauriApi.stopMessage('m1');
    await tauriApi.searchHistory({ scope: 'mine', q: ' pay ', workspaceId: 'w1', limit: 21, offset: 0 });
    await tauriApi.searchHistory({});

    expect(invokeMock.mock.calls).toEqual([
      ['chat_history', { conversationId: null }],
      ['chat_clear', { conversationId: 'c1' }],
      ['chat_stop', { messageId: 'm1' }],
      [
        'history_search',
        { query: { scope: 'mine', q: 'pay', from: null, to: null, workspace_id: 'w1', limit: 21, offset: 0 } },
      ],
      [
        'history_search',
        { query: { scope: null, q: null, from: null, to: null, workspace_id: null, limit: null, offset: null } },
      ],
    ]);
  });

  it('command errors keep their code and get the HTTP status', async () => {
    invokeMock.mockRejectedValueOnce({ code: 'invalid_name', kind: 'invalid', message: 'A name is 1 to 100 characters.' });
    expect(await rejection(tauriApi.createWorkspace({ name: '' }))).toMatchObject({
      status: 400,
      code: 'invalid_name',
      message: 'A name is 1 to 100 characters.',
    });
    invokeMock.mockRejectedValueOnce({ code: 'read_only', kind: 'forbidden', message: 'Shared with you to read.' });
    expect(await rejection(tauriApi.renameConversation('c1', 'x'))).toMatchObject({ status: 403, code: 'read_only' });
  });
});

/** Makes `chat_send` wait until the test resolves or rejects it. */
function pendingSend() {
  let resolve!: (value: unknown) => void;
  let reject!: (reason: unknown) => void;
  invokeMock.mockImplementationOnce(
    () =>
      new Promise((res, rej) => {
        resolve = res;
        reject = rej;
      }),
  );
  return {
    resolve: (value: unknown) => resolve(value),
    reject: (reason: unknown) => reject(reason),
    get channel(): FakeChannel {
      if (!FakeChannel.last) throw new Error('no channel yet');
      return FakeChannel.last;
    },
  };
}

function recorder() {
  const log: Array<[string, unknown]> = [];
  return {
    log,
    handlers: {
      onStarted: (started: ChatStarted) => log.push(['started', started]),
      onDelta: (text: string) => log.push(['delta', text]),
      onCitations: (citations: Citation[]) => log.push(['citations', citations]),
    },
  };
}

const final = {
  conversation_id: 'c1',
  message_id: 'm1',
  answer: 'Hello there [2].',
  citations: [wireCitation],
  status: 'complete',
  notice: null,
};

describe('chat_send over a channel', () => {
  it('passes the request and a channel, maps channel messages to the handlers, and resolves with the answer', async () => {
    const send = pendingSend();
    const { log, handlers } = recorder();
    const result = tauriApi.sendMessage({ message: 'Hi?', workspaceId: 'w1' }, handlers);

    const [command, args] = invokeMock.mock.calls[0] ?? [];
    expect(command).toBe('chat_send');
    expect(args).toEqual({ request: { message: 'Hi?', workspace_id: 'w1' }, events: send.channel });

    send.channel.send({ event: 'started', data: { conversation_id: 'c1', message_id: 'm1' } });
    send.channel.send({ event: 'delta', data: { text: 'Hello' } });
    send.channel.send({ event: 'delta', data: { text: ' there [2].' } });
    send.channel.send({ event: 'citations', data: [wireCitation] });
    send.channel.send({
      event: 'done',
      data: { conversation_id: 'c1', message_id: 'm1', status: 'complete', notice: null },
    });
    send.resolve(final);

    await expect(result).resolves.toEqual({
      conversationId: 'c1',
      messageId: 'm1',
      answer: 'Hello there [2].',
      citations: [citation],
      status: 'complete',
      notice: null,
    });
    expect(log).toEqual([
      ['started', { conversationId: 'c1', messageId: 'm1' }],
      ['delta', 'Hello'],
      ['delta', ' there [2].'],
      ['citations', [citation]],
    ]);
  });

  it("the command's answer counts even if channel messages are late", async () => {
    const send = pendingSend();
    const { log, handlers } = recorder();
    const result = tauriApi.sendMessage({ message: 'Hi?' }, handlers);
    send.resolve({ ...final, status: 'stopped', notice: 'No documents.' });
    await expect(result).resolves.toMatchObject({ answer: 'Hello there [2].', status: 'stopped', notice: 'No documents.' });
    send.channel.send({ event: 'delta', data: { text: 'late' } });
    expect(log).toEqual([]);
  });

  it('an error after started rejects with its code and status', async () => {
    const send = pendingSend();
    const { log, handlers } = recorder();
    const result = rejection(tauriApi.sendMessage({ message: 'Hi?', conversationId: 'c1' }, handlers));
    expect(invokeMock.mock.calls[0]?.[1]).toMatchObject({ request: { message: 'Hi?', conversation_id: 'c1' } });

    send.channel.send({ event: 'started', data: { conversation_id: 'c1', message_id: 'm1' } });
    send.channel.send({ event: 'error', data: { code: 'llm_unavailable', kind: 'unavailable', message: 'The model is down.' } });
    send.reject({ code: 'llm_unavailable', kind: 'unavailable', message: 'The model is down.' });

    expect(await result).toMatchObject({ status: 503, code: 'llm_unavailable', message: 'The model is down.' });
    expect(log.map(([kind]) => kind)).toEqual(['started']);
  });

  it('a refusal before started rejects without calling onStarted', async () => {
    const send = pendingSend();
    const { log, handlers } = recorder();
    const result = rejection(tauriApi.sendMessage({ message: '' }, handlers));
    send.reject({ code: 'empty_message', kind: 'invalid', message: 'Type a question first.' });
    expect(await result).toMatchObject({ status: 400, code: 'empty_message', message: 'Type a question first.' });
    expect(log).toEqual([]);
  });

  it('a malformed channel message fails the answer as invalid_response', async () => {
    const send = pendingSend();
    const result = rejection(tauriApi.sendMessage({ message: 'q' }));
    send.channel.send('garbage');
    send.resolve(final);
    expect(await result).toMatchObject({ code: 'invalid_response' });
  });

  it('aborting asks the shell to stop the answer and rejects with aborted', async () => {
    const send = pendingSend();
    invokeMock.mockResolvedValueOnce(null); // chat_stop
    const controller = new AbortController();
    const result = rejection(tauriApi.sendMessage({ message: 'q' }, {}, { signal: controller.signal }));
    send.channel.send({ event: 'started', data: { conversation_id: 'c1', message_id: 'm1' } });
    controller.abort();

    expect(await result).toMatchObject({ code: ABORTED });
    expect(invokeMock.mock.calls[1]).toEqual(['chat_stop', { messageId: 'm1' }]);
    // The command settling later changes nothing.
    send.resolve(final);
  });
});
