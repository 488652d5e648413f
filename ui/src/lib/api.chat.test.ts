import { afterEach, describe, expect, it, vi } from 'vitest';
import { rejection } from '../test/fakes';
import { bodyOf, call, envelope, json, stubFetch } from '../test/http';
import { ABORTED, createHttpApi, fileNameFrom, httpApi, STREAM_INTERRUPTED } from './api';
import type { ChatStarted, Citation } from './chat-types';

const wireWorkspace = {
  id: 'w1',
  name: 'Research',
  description: 'Papers',
  system_prompt: 'Be brief.',
  collection: null,
  top_k: 5,
  model: 'gpt-x',
  shared_with_domain: true,
  created_at: '2030-01-01T00:00:00Z',
  updated_at: '2030-01-02T00:00:00Z',
};

const workspace = {
  id: 'w1',
  name: 'Research',
  description: 'Papers',
  systemPrompt: 'Be brief.',
  collection: null,
  topK: 5,
  model: 'gpt-x',
  sharedWithDomain: true,
  createdAt: '2030-01-01T00:00:00Z',
  updatedAt: '2030-01-02T00:00:00Z',
};

const wireConversation = {
  id: 'c1',
  workspace_id: 'w1',
  user_id: 'u1',
  title: 'Holidays',
  first_query: 'How many days?',
  temporary: false,
  read_only: true,
  created_at: '2030-01-01T00:00:00Z',
  updated_at: '2030-01-01T00:00:00Z',
};

const wireCitation = {
  index: 1,
  chunk_id: 'k1',
  source: 'handbook.pdf',
  title: 'Handbook',
  url: 'https://intranet.example.com/h.pdf',
  page: 3,
  snippet: '25 days.',
};

const citation: Citation = {
  index: 1,
  chunkId: 'k1',
  source: 'handbook.pdf',
  title: 'Handbook',
  url: 'https://intranet.example.com/h.pdf',
  page: 3,
  snippet: '25 days.',
  // The retrieval API's chunk: the wire leaves `document_id` out (or sends null).
  documentId: null,
};

afterEach(() => {
  vi.useRealTimers();
});

describe('workspaces', () => {
  it('lists with GET /workspaces and maps the fields', async () => {
    const fetchMock = stubFetch(json(200, [wireWorkspace]));
    await expect(httpApi.listWorkspaces()).resolves.toEqual([workspace]);
    const [url, init] = call(fetchMock);
    expect(url).toBe('/workspaces');
    expect(init.method).toBe('GET');
    expect(init.credentials).toBe('same-origin');
  });

  it('creates with POST /workspaces and only the fields given, in snake_case', async () => {
    const fetchMock = stubFetch(json(201, wireWorkspace));
    await expect(httpApi.createWorkspace({ name: 'Research', topK: 5, sharedWithDomain: true })).resolves.toEqual(
      workspace,
    );
    const [url, init] = call(fetchMock);
    expect(url).toBe('/workspaces');
    expect(init.method).toBe('POST');
    expect(init.headers).toMatchObject({ 'Content-Type': 'application/json' });
    expect(bodyOf(init)).toEqual({ name: 'Research', top_k: 5, shared_with_domain: true });
  });

  it('gets, patches and deletes /workspaces/{id}; an empty collection or model is sent to reset it', async () => {
    const fetchMock = stubFetch(
      json(200, wireWorkspace),
      json(200, wireWorkspace),
      new Response(null, { status: 204 }),
    );
    await httpApi.getWorkspace('w 1');
    await httpApi.updateWorkspace('w1', { systemPrompt: 'Be kind.', collection: '', model: '', description: 'x' });
    await expect(httpApi.deleteWorkspace('w1')).resolves.toBeUndefined();

    expect(call(fetchMock, 0)).toEqual(['/workspaces/w%201', expect.objectContaining({ method: 'GET' })]);
    const [patchUrl, patch] = call(fetchMock, 1);
    expect(patchUrl).toBe('/workspaces/w1');
    expect(patch.method).toBe('PATCH');
    expect(bodyOf(patch)).toEqual({ system_prompt: 'Be kind.', collection: '', model: '', description: 'x' });
    const [deleteUrl, remove] = call(fetchMock, 2);
    expect(deleteUrl).toBe('/workspaces/w1');
    expect(remove.method).toBe('DELETE');
    expect(remove.body).toBeUndefined();
  });

  it("keeps the server's code and sentence for invalid settings", async () => {
    stubFetch(envelope(422, 'invalid_top_k', 'top_k must be between 1 and 50.'));
    expect(await rejection(httpApi.updateWorkspace('w1', { topK: 99 }))).toMatchObject({
      status: 422,
      code: 'invalid_top_k',
      message: 'top_k must be between 1 and 50.',
    });
  });

  it('an answer of the wrong shape is invalid_response', async () => {
    stubFetch(json(200, [{ id: 'w1' }]), json(200, { not: 'a list' }));
    expect(await rejection(httpApi.listWorkspaces())).toMatchObject({ code: 'invalid_response' });
    expect(await rejection(httpApi.listWorkspaces())).toMatchObject({ code: 'invalid_response' });
  });
});

describe('conversations', () => {
  it('lists and creates in a workspace', async () => {
    const fetchMock = stubFetch(json(200, [wireConversation]), json(201, { ...wireConversation, temporary: true }));
    const [listed] = await httpApi.listConversations('w1');
    expect(listed).toMatchObject({ id: 'c1', workspaceId: 'w1', firstQuery: 'How many days?', readOnly: true });
    const created = await httpApi.createConversation('w1', { temporary: true });
    expect(created.temporary).toBe(true);

    expect(call(fetchMock, 0)[0]).toBe('/workspaces/w1/conversations');
    const [url, init] = call(fetchMock, 1);
    expect(url).toBe('/workspaces/w1/conversations');
    expect(init.method).toBe('POST');
    expect(bodyOf(init)).toEqual({ temporary: true });
  });

  it('gets, renames and deletes /conversations/{id}', async () => {
    const fetchMock = stubFetch(
      json(200, wireConversation),
      json(200, { ...wireConversation, title: 'New title' }),
      new Response(null, { status: 204 }),
    );
    await httpApi.getConversation('c1');
    await expect(httpApi.renameConversation('c1', 'New title')).resolves.toMatchObject({ title: 'New title' });
    await httpApi.deleteConversation('c1');

    expect(call(fetchMock, 0)[0]).toBe('/conversations/c1');
    const [renameUrl, rename] = call(fetchMock, 1);
    expect(renameUrl).toBe('/conversations/c1');
    expect(rename.method).toBe('PATCH');
    expect(bodyOf(rename)).toEqual({ title: 'New title' });
    expect(call(fetchMock, 2)).toEqual(['/conversations/c1', expect.objectContaining({ method: 'DELETE' })]);
  });

  it('exports as a file named by Content-Disposition', async () => {
    const fetchMock = stubFetch(
      new Response('# Holidays\n', {
        status: 200,
        headers: {
          'Content-Type': 'text/markdown; charset=utf-8',
          'Content-Disposition': 'attachment; filename="holidays.md"',
        },
      }),
    );
    await expect(httpApi.exportConversation('c1', 'md')).resolves.toEqual({
      contentType: 'text/markdown; charset=utf-8',
      fileName: 'holidays.md',
      body: '# Holidays\n',
    });
    const [url, init] = call(fetchMock);
    expect(url).toBe('/conversations/c1/export?format=md');
    expect(init.method).toBe('GET');
  });

  it('reads file names from Content-Disposition, with a fallback', () => {
    expect(fileNameFrom('attachment; filename="a b.json"', 'x')).toBe('a b.json');
    expect(fileNameFrom('attachment; filename=plain.md', 'x')).toBe('plain.md');
    expect(fileNameFrom("attachment; filename*=UTF-8''caf%C3%A9.md", 'x')).toBe('café.md');
    expect(fileNameFrom('attachment', 'conversation.md')).toBe('conversation.md');
    expect(fileNameFrom(null, 'conversation.json')).toBe('conversation.json');
  });
});

describe('chat history, clear, stop and search', () => {
  it('reads a conversation history with its citations', async () => {
    const fetchMock = stubFetch(
      json(200, {
        conversation_id: 'c1',
        messages: [
          { id: 'm1', role: 'user', content: 'Q', citations: [], status: 'complete', error_code: null, created_at: 't' },
          {
            id: 'm2',
            role: 'assistant',
            content: 'A [1]',
            citations: [wireCitation],
            status: 'failed',
            error_code: 'llm_timeout',
            created_at: 't',
          },
        ],
      }),
      json(200, { conversation_id: null, messages: [] }),
    );
    const history = await httpApi.chatHistory('c1');
    expect(history.conversationId).toBe('c1');
    expect(history.messages[1]).toEqual({
      id: 'm2',
      role: 'assistant',
      content: 'A [1]',
      citations: [citation],
      status: 'failed',
      errorCode: 'llm_timeout',
      createdAt: 't',
    });
    await expect(httpApi.chatHistory(null)).resolves.toEqual({ conversationId: null, messages: [] });
    expect(call(fetchMock, 0)[0]).toBe('/chat/history?conversation_id=c1');
    expect(call(fetchMock, 1)[0]).toBe('/chat/history');
  });

  it('clears with DELETE /chat/clear and stops with POST /chat/stop', async () => {
    const fetchMock = stubFetch(new Response(null, { status: 204 }), new Response(null, { status: 204 }));
    await httpApi.clearChat('c1');
    await httpApi.stopMessage('m2');
    expect(call(fetchMock, 0)).toEqual(['/chat/clear?conversation_id=c1', expect.objectContaining({ method: 'DELETE' })]);
    const [url, init] = call(fetchMock, 1);
    expect(url).toBe('/chat/stop');
    expect(init.method).toBe('POST');
    expect(bodyOf(init)).toEqual({ message_id: 'm2' });
  });

  it('searches history with only the filters given', async () => {
    const entry = {
      conversation_id: 'c1',
      workspace_id: 'w1',
      user_id: 'u2',
      title: 'Holidays',
      first_query: null,
      created_at: 't1',
      updated_at: 't2',
    };
    const fetchMock = stubFetch(json(200, [entry]), json(200, []));
    await expect(
      httpApi.searchHistory({
        scope: 'domain',
        q: '  holiday pay ',
        from: '2030-01-01T00:00:00.000Z',
        to: '',
        workspaceId: 'w1',
        limit: 21,
        offset: 20,
      }),
    ).resolves.toEqual([
      {
        conversationId: 'c1',
        workspaceId: 'w1',
        userId: 'u2',
        title: 'Holidays',
        firstQuery: null,
        createdAt: 't1',
        updatedAt: 't2',
      },
    ]);
    await httpApi.searchHistory({});

    const url = new URL(call(fetchMock, 0)[0], 'http://localhost');
    expect(url.pathname).toBe('/history');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      scope: 'domain',
      q: 'holiday pay',
      from: '2030-01-01T00:00:00.000Z',
      workspace_id: 'w1',
      limit: '21',
      offset: '20',
    });
    expect(call(fetchMock, 1)[0]).toBe('/history');
  });
});

/** A streamed answer: the body arrives in the given chunks. */
function sse(chunks: string[], headers: Record<string, string> = {}): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  return new Response(body, {
    status: 200,
    headers: {
      'Content-Type': 'text/event-stream',
      'x-conversation-id': 'c9',
      'x-message-id': 'm9',
      ...headers,
    },
  });
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

const stream = [
  'event: delta\ndata: {"text":"Twenty-five"}\n\n',
  ': keep-alive\n\n',
  'event: delta\ndata: {"text":" days [1]."}\n\n',
  `event: citations\ndata: ${JSON.stringify([wireCitation])}\n\n`,
  'event: done\ndata: {"conversation_id":"c9","message_id":"m9","status":"complete","notice":"No documents."}\n\n',
].join('');

describe('sendMessage (SSE)', () => {
  it('posts the question asking for an event stream, and follows the events', async () => {
    const fetchMock = stubFetch(sse([stream]));
    const { log, handlers } = recorder();
    const answer = await httpApi.sendMessage({ message: 'How many days?', workspaceId: 'w1' }, handlers);

    const [url, init] = call(fetchMock);
    expect(url).toBe('/chat/message');
    expect(init.method).toBe('POST');
    expect(init.credentials).toBe('same-origin');
    expect(init.headers).toMatchObject({ Accept: 'text/event-stream', 'Content-Type': 'application/json' });
    expect(bodyOf(init)).toEqual({ message: 'How many days?', workspace_id: 'w1' });

    expect(log).toEqual([
      ['started', { conversationId: 'c9', messageId: 'm9' }],
      ['delta', 'Twenty-five'],
      ['delta', ' days [1].'],
      ['citations', [citation]],
    ]);
    expect(answer).toEqual({
      conversationId: 'c9',
      messageId: 'm9',
      answer: 'Twenty-five days [1].',
      citations: [citation],
      status: 'complete',
      notice: 'No documents.',
    });
  });

  it('sends the conversation id instead of the workspace when continuing a conversation', async () => {
    const fetchMock = stubFetch(sse([stream]));
    await httpApi.sendMessage({ message: 'And more?', conversationId: 'c9', workspaceId: 'w1' });
    expect(bodyOf(call(fetchMock)[1])).toEqual({ message: 'And more?', conversation_id: 'c9' });
  });

  it('gives the same result whatever the chunk boundaries, even inside a UTF-8 character', async () => {
    const encoded = new TextEncoder().encode(stream.replace('Twenty-five', 'Vingt-cinq jours — 😀'));
    for (const size of [1, 2, 3, 7, 64]) {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < encoded.length; i += size) controller.enqueue(encoded.slice(i, i + size));
          controller.close();
        },
      });
      stubFetch(new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } }));
      const deltas: string[] = [];
      const answer = await httpApi.sendMessage({ message: 'q' }, { onDelta: (text) => deltas.push(text) });
      expect(answer.answer, `chunks of ${size}`).toBe('Vingt-cinq jours — 😀 days [1].');
      expect(deltas).toEqual(['Vingt-cinq jours — 😀', ' days [1].']);
      expect(answer.citations).toEqual([citation]);
    }
  });

  it('reads CRLF line ends split between chunks, skips keep-alive comments, and drops a cut-off event', async () => {
    const crlf = stream.replaceAll('\n', '\r\n');
    const cut = crlf.indexOf('\r\n') + 1; // between the CR and the LF of the first line
    stubFetch(sse([': keep-alive\r\n\r\n', crlf.slice(0, cut), crlf.slice(cut)]));
    const answer = await httpApi.sendMessage({ message: 'q' });
    expect(answer.answer).toBe('Twenty-five days [1].');

    stubFetch(sse(['event: delta\ndata: {"text":"Part"}\n\n', 'event: done\ndata: {"conversation_id":"c9"']));
    expect(await rejection(httpApi.sendMessage({ message: 'q' }))).toMatchObject({ code: 'stream_interrupted' });
  });

  it('reports a stopped answer with what was written', async () => {
    stubFetch(
      sse([
        'event: delta\ndata: {"text":"Part"}\n\n',
        'event: citations\ndata: []\n\n',
        'event: done\ndata: {"conversation_id":"c9","message_id":"m9","status":"stopped","notice":null}\n\n',
      ]),
    );
    await expect(httpApi.sendMessage({ message: 'q' })).resolves.toMatchObject({ answer: 'Part', status: 'stopped' });
  });

  it('an error event rejects with its code, sentence and the matching status, after onStarted', async () => {
    stubFetch(
      sse([
        'event: delta\ndata: {"text":"Par"}\n\n',
        'event: error\ndata: {"code":"llm_timeout","kind":"unavailable","message":"The language model did not answer in time."}\n\n',
      ]),
    );
    const { log, handlers } = recorder();
    const error = await rejection(httpApi.sendMessage({ message: 'q' }, handlers));
    expect(error).toMatchObject({
      status: 503,
      code: 'llm_timeout',
      message: 'The language model did not answer in time.',
    });
    expect(log.map(([kind]) => kind)).toEqual(['started', 'delta']);
  });

  it('an error before the stream is the JSON envelope, and onStarted is never called', async () => {
    stubFetch(envelope(503, 'llm_not_configured', 'No language model is set up.'));
    const { log, handlers } = recorder();
    expect(await rejection(httpApi.sendMessage({ message: 'q' }, handlers))).toMatchObject({
      status: 503,
      code: 'llm_not_configured',
      message: 'No language model is set up.',
    });
    stubFetch(envelope(403, 'read_only', 'This conversation is shared with you to read.'));
    expect(await rejection(httpApi.sendMessage({ message: 'q', conversationId: 'c1' }, handlers))).toMatchObject({
      status: 403,
      code: 'read_only',
    });
    expect(log).toEqual([]);
  });

  it('a stream that ends without done or error is stream_interrupted', async () => {
    stubFetch(sse(['event: delta\ndata: {"text":"Par"}\n\n', 'event: delta\ndata: {"te']));
    expect(await rejection(httpApi.sendMessage({ message: 'q' }))).toMatchObject({ status: 0, code: STREAM_INTERRUPTED });
  });

  it('unreadable event data is invalid_response; unknown events are ignored', async () => {
    stubFetch(sse(['event: future\ndata: {"x":1}\n\n', 'event: delta\ndata: not json\n\n']));
    expect(await rejection(httpApi.sendMessage({ message: 'q' }))).toMatchObject({ code: 'invalid_response' });
  });

  it('aborting the signal drops the connection and rejects with aborted', async () => {
    const encoder = new TextEncoder();
    let cancelled = false;
    const fetchMock = vi.fn<typeof fetch>(async (_url, init) => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode('event: delta\ndata: {"text":"Hel"}\n\n'));
          init?.signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
        },
        cancel() {
          cancelled = true;
        },
      });
      return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream', 'x-message-id': 'm9' } });
    });
    vi.stubGlobal('fetch', fetchMock);

    const controller = new AbortController();
    const deltas: string[] = [];
    const pending = rejection(
      httpApi.sendMessage(
        { message: 'q' },
        {
          onDelta: (text) => {
            deltas.push(text);
            controller.abort();
          },
        },
        { signal: controller.signal },
      ),
    );
    expect(await pending).toMatchObject({ code: ABORTED });
    expect(deltas).toEqual(['Hel']);
    expect(cancelled || fetchMock.mock.calls[0]?.[1]?.signal?.aborted).toBe(true);
  });

  it('an already aborted signal does not even send', async () => {
    const fetchMock = stubFetch(sse([stream]));
    const controller = new AbortController();
    controller.abort();
    expect(await rejection(httpApi.sendMessage({ message: 'q' }, {}, { signal: controller.signal }))).toMatchObject({
      code: ABORTED,
    });
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('gives up on a silent stream', async () => {
    vi.useFakeTimers();
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>(async (_url, init) => {
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            init?.signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
          },
        });
        return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
      }),
    );
    const pending = rejection(createHttpApi({ streamIdleMs: 5000 }).sendMessage({ message: 'q' }));
    await vi.advanceTimersByTimeAsync(5000);
    expect(await pending).toMatchObject({ status: 0, code: 'timeout' });
  });

  it('accepts a whole JSON answer when something on the way did not stream', async () => {
    stubFetch(
      json(200, {
        conversation_id: 'c9',
        message_id: 'm9',
        answer: 'All at once [1].',
        citations: [wireCitation],
        status: 'complete',
        notice: null,
      }),
    );
    const { log, handlers } = recorder();
    const answer = await httpApi.sendMessage({ message: 'q' }, handlers);
    expect(answer).toMatchObject({ answer: 'All at once [1].', citations: [citation], status: 'complete' });
    expect(log).toEqual([
      ['started', { conversationId: 'c9', messageId: 'm9' }],
      ['delta', 'All at once [1].'],
      ['citations', [citation]],
    ]);
  });

  it('a network failure before any answer is network_error', async () => {
    stubFetch(new TypeError('Failed to fetch'));
    expect(await rejection(httpApi.sendMessage({ message: 'q' }))).toMatchObject({ status: 0, code: 'network_error' });
  });
});
