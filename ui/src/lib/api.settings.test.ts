import { describe, expect, it } from 'vitest';
import { rejection } from '../test/fakes';
import { bodyOf, call, envelope, json, stubFetch } from '../test/http';
import { httpApi } from './api';
import type { AppSettings, ConnectionStatus } from './settings-types';

const wireSettings = {
  llm_base_url: 'https://llm.example.com/v1',
  llm_model: 'gpt-x',
  llm_api_key_set: true,
  retrieval_url: null,
  retrieval_api_key_set: false,
  editable: false,
};

const settings: AppSettings = {
  llmBaseUrl: 'https://llm.example.com/v1',
  llmModel: 'gpt-x',
  llmApiKeySet: true,
  retrievalUrl: null,
  retrievalApiKeySet: false,
  editable: false,
};

const wireStatus = {
  llm: { configured: true, reachable: false, message: 'Connection refused.' },
  retrieval: { configured: false, reachable: false, message: 'No retrieval URL is set.' },
  session_storage: 'cookie',
  max_document_bytes: 100_000_000,
};

const status: ConnectionStatus = {
  llm: { configured: true, reachable: false, message: 'Connection refused.' },
  retrieval: { configured: false, reachable: false, message: 'No retrieval URL is set.' },
  sessionStorage: 'cookie',
  maxDocumentBytes: 100_000_000,
};

describe('settings', () => {
  it('reads them with GET /settings', async () => {
    const fetchMock = stubFetch(json(200, wireSettings));
    await expect(httpApi.getSettings()).resolves.toEqual(settings);
    const [url, init] = call(fetchMock);
    expect(url).toBe('/settings');
    expect(init.method).toBe('GET');
    expect(init.credentials).toBe('same-origin');
    expect(init.body).toBeUndefined();
  });

  it('changes them with PUT /settings and only the fields given, in snake_case', async () => {
    const fetchMock = stubFetch(
      json(200, { ...wireSettings, editable: true }),
      json(200, { ...wireSettings, editable: true }),
    );
    await expect(
      httpApi.updateSettings({ llmBaseUrl: 'http://localhost:11434/v1', llmApiKey: 'sk-new', retrievalUrl: 'http://rag:8000' }),
    ).resolves.toEqual({ ...settings, editable: true });
    const [url, init] = call(fetchMock);
    expect(url).toBe('/settings');
    expect(init.method).toBe('PUT');
    expect(init.headers).toMatchObject({ 'Content-Type': 'application/json' });
    expect(bodyOf(init)).toEqual({
      llm_base_url: 'http://localhost:11434/v1',
      llm_api_key: 'sk-new',
      retrieval_url: 'http://rag:8000',
    });

    // An empty key removes it; an empty retrieval URL is sent as null, which removes it.
    await httpApi.updateSettings({ llmApiKey: '', retrievalUrl: '' });
    expect(bodyOf(call(fetchMock, 1)[1])).toEqual({ llm_api_key: '', retrieval_url: null });
  });

  it('an empty retrieval URL in the answer is no retrieval URL; missing flags are false', async () => {
    stubFetch(json(200, { llm_base_url: 'http://x', llm_model: 'm', retrieval_url: '' }));
    await expect(httpApi.getSettings()).resolves.toEqual({
      llmBaseUrl: 'http://x',
      llmModel: 'm',
      llmApiKeySet: false,
      retrievalUrl: null,
      retrievalApiKeySet: false,
      editable: false,
    });
  });

  it("keeps the server's code and sentence when it refuses", async () => {
    stubFetch(
      envelope(403, 'settings_read_only', 'The settings of this server are set by its operator.'),
      envelope(422, 'invalid_url', 'The LLM base URL is not a valid URL.'),
    );
    expect(await rejection(httpApi.updateSettings({ llmModel: 'x' }))).toMatchObject({
      status: 403,
      code: 'settings_read_only',
      message: 'The settings of this server are set by its operator.',
    });
    expect(await rejection(httpApi.updateSettings({ llmBaseUrl: 'nope' }))).toMatchObject({
      status: 422,
      code: 'invalid_url',
      message: 'The LLM base URL is not a valid URL.',
    });
  });

  it('an answer of the wrong shape is invalid_response', async () => {
    stubFetch(json(200, { ...wireSettings, llm_api_key_set: 'yes' }), json(200, ['not', 'an', 'object']));
    expect(await rejection(httpApi.getSettings())).toMatchObject({ code: 'invalid_response' });
    expect(await rejection(httpApi.getSettings())).toMatchObject({ code: 'invalid_response' });
  });
});

describe('status', () => {
  it('reads it with GET /status', async () => {
    const fetchMock = stubFetch(json(200, wireStatus));
    await expect(httpApi.getStatus()).resolves.toEqual(status);
    const [url, init] = call(fetchMock);
    expect(url).toBe('/status');
    expect(init.method).toBe('GET');
    expect(init.credentials).toBe('same-origin');
  });

  it('reads every kind of session storage; an unknown one is taken as a cookie', async () => {
    stubFetch(
      json(200, { ...wireStatus, session_storage: 'memory' }),
      json(200, { ...wireStatus, session_storage: 'keyring' }),
      json(200, { ...wireStatus, session_storage: 'somewhere-new' }),
    );
    expect((await httpApi.getStatus()).sessionStorage).toBe('memory');
    expect((await httpApi.getStatus()).sessionStorage).toBe('keyring');
    expect((await httpApi.getStatus()).sessionStorage).toBe('cookie');
  });

  it('a null or blank message is no message', async () => {
    stubFetch(
      json(200, {
        ...wireStatus,
        llm: { configured: true, reachable: true, message: null },
        retrieval: { configured: true, reachable: true, message: '  ' },
      }),
    );
    const read = await httpApi.getStatus();
    expect(read.llm.message).toBeNull();
    expect(read.retrieval.message).toBeNull();
  });

  it('a 401 keeps its status; a status without its parts is invalid_response', async () => {
    stubFetch(
      envelope(401, 'unauthenticated', 'Please sign in.'),
      json(200, { session_storage: 'cookie', llm: { configured: true, reachable: true } }),
    );
    expect(await rejection(httpApi.getStatus())).toMatchObject({ status: 401, code: 'unauthenticated' });
    expect(await rejection(httpApi.getStatus())).toMatchObject({ code: 'invalid_response' });
  });
});
