import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('@tauri-apps/api/core', () => import('../test/tauri-core'));

import { rejection } from '../test/fakes';
import { answer, invoke as invokeMock, refuse, resetTauri } from '../test/tauri-core';
import { tauriApi } from './api/tauri';

const wireSettings = {
  llm_base_url: 'http://localhost:11434/v1',
  llm_model: 'llama3.1',
  llm_api_key_set: false,
  retrieval_url: 'http://localhost:8000',
  retrieval_api_key_set: true,
  editable: true,
};

beforeEach(() => {
  resetTauri();
});

describe('settings and status commands', () => {
  it('getSettings invokes settings_get without arguments and maps the fields', async () => {
    answer(wireSettings);
    await expect(tauriApi.getSettings()).resolves.toEqual({
      llmBaseUrl: 'http://localhost:11434/v1',
      llmModel: 'llama3.1',
      llmApiKeySet: false,
      retrievalUrl: 'http://localhost:8000',
      retrievalApiKeySet: true,
      editable: true,
    });
    expect(invokeMock.mock.calls).toEqual([['settings_get']]);
  });

  it('updateSettings invokes settings_update with the changed fields as `update`', async () => {
    answer(wireSettings);
    answer(wireSettings);
    answer(wireSettings);
    await tauriApi.updateSettings({ llmModel: 'mistral', llmApiKey: 'sk-1' });
    await tauriApi.updateSettings({ llmApiKey: '' });
    await tauriApi.updateSettings({ retrievalUrl: null });
    expect(invokeMock.mock.calls).toEqual([
      ['settings_update', { update: { llm_model: 'mistral', llm_api_key: 'sk-1' } }],
      ['settings_update', { update: { llm_api_key: '' } }],
      ['settings_update', { update: { retrieval_url: null } }],
    ]);
  });

  it('getStatus invokes app_status without arguments and maps the fields', async () => {
    answer({
      llm: { configured: false, reachable: false, message: 'No LLM base URL is set.' },
      retrieval: { configured: true, reachable: true, message: null },
      session_storage: 'memory',
      max_document_bytes: 5_000_000,
    });
    await expect(tauriApi.getStatus()).resolves.toEqual({
      llm: { configured: false, reachable: false, message: 'No LLM base URL is set.' },
      retrieval: { configured: true, reachable: true, message: null },
      sessionStorage: 'memory',
      maxDocumentBytes: 5_000_000,
    });
    expect(invokeMock.mock.calls).toEqual([['app_status']]);
  });

  it('errors keep their code and sentence, with the status the server would send', async () => {
    refuse({ code: 'invalid_url', kind: 'invalid', message: 'The retrieval URL is not a valid URL.' });
    refuse({ code: 'invalid_settings', kind: 'invalid', message: 'The model name cannot be empty.' });
    refuse({ code: 'settings_read_only', kind: 'forbidden', message: 'These settings are read-only.' });
    expect(await rejection(tauriApi.updateSettings({ retrievalUrl: 'x' }))).toMatchObject({
      status: 400,
      code: 'invalid_url',
      message: 'The retrieval URL is not a valid URL.',
    });
    expect(await rejection(tauriApi.updateSettings({ llmModel: '' }))).toMatchObject({
      status: 400,
      code: 'invalid_settings',
    });
    expect(await rejection(tauriApi.updateSettings({ llmModel: 'x' }))).toMatchObject({
      status: 403,
      code: 'settings_read_only',
    });
  });

  it('an answer of the wrong shape is invalid_response; an unknown command is ipc_error', async () => {
    answer({ llm: { configured: true }, retrieval: null, session_storage: 'cookie' });
    answer(null);
    refuse('command app_status not found');
    expect(await rejection(tauriApi.getStatus())).toMatchObject({ code: 'invalid_response' });
    expect(await rejection(tauriApi.getSettings())).toMatchObject({ code: 'invalid_response' });
    expect(await rejection(tauriApi.getStatus())).toMatchObject({ status: 0, code: 'ipc_error' });
  });
});
