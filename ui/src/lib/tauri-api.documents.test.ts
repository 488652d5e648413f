import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('@tauri-apps/api/core', () => import('../test/tauri-core'));

import { rejection } from '../test/fakes';
import { answer, FakeChannel, invoke as invokeMock, refuse, resetTauri } from '../test/tauri-core';
import { resetDropsForTests, tauriApi } from './api/tauri';
import type { DroppedFiles } from './document-types';

const wireDocument = {
  id: 'd1',
  workspace_id: 'w1',
  name: 'handbook.docx',
  format: 'docx',
  media_type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  bytes: 37472,
  sha256: 'cd34',
  status: 'ready',
  pages: 2,
  pages_done: 2,
  chunks: 6,
  error: null,
  folder_path: '/home/ada/Handbooks/handbook.docx',
  created_at: 't',
  indexed_at: 't2',
};

const document = {
  id: 'd1',
  workspaceId: 'w1',
  name: 'handbook.docx',
  format: 'docx',
  mediaType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  bytes: 37472,
  sha256: 'cd34',
  status: 'ready',
  pages: 2,
  pagesDone: 2,
  chunks: 6,
  error: null,
  folderPath: '/home/ada/Handbooks/handbook.docx',
  createdAt: 't',
  indexedAt: 't2',
};

const wireFolder = { id: 'f1', workspace_id: 'w1', path: '/home/ada/Handbooks', created_at: 't' };
const folder = { id: 'f1', workspaceId: 'w1', path: '/home/ada/Handbooks', createdAt: 't' };

beforeEach(() => {
  resetTauri();
  resetDropsForTests();
});

function lastCall(): [string, Record<string, unknown> | undefined] {
  const calls = invokeMock.mock.calls;
  const last = calls[calls.length - 1];
  if (!last) throw new Error('invoke was not called');
  return [last[0], last[1]];
}

describe('document commands', () => {
  it('says what the desktop app can do: its OS picker, drops and synced folders, no uploads', () => {
    expect(tauriApi.documents).toEqual({ upload: false, pickFiles: true, folders: true });
    expect(tauriApi.uploadDocument).toBeUndefined();
    expect(tauriApi.documentFileUrl).toBeUndefined();
  });

  it('document_list takes {workspaceId}; document_get and document_delete take {id}', async () => {
    answer([wireDocument]);
    await expect(tauriApi.listDocuments('w1')).resolves.toEqual([document]);
    expect(lastCall()).toEqual(['document_list', { workspaceId: 'w1' }]);

    answer(wireDocument);
    await expect(tauriApi.getDocument('d1')).resolves.toEqual(document);
    expect(lastCall()).toEqual(['document_get', { id: 'd1' }]);

    answer(null);
    await expect(tauriApi.deleteDocument('d1')).resolves.toBeUndefined();
    expect(lastCall()).toEqual(['document_delete', { id: 'd1' }]);
  });

  it('document_file answers raw bytes (an ArrayBuffer), without a media type', async () => {
    const bytes = new Uint8Array([1, 2, 3]);
    answer(bytes.buffer);
    const file = await tauriApi.documentFile('d1');
    expect(lastCall()).toEqual(['document_file', { id: 'd1' }]);
    expect(new Uint8Array(file.bytes)).toEqual(bytes);
    expect(file.contentType).toBeNull();

    // A typed array or an array of numbers reads the same; anything else is unreadable.
    answer(new Uint8Array([4, 5]));
    expect(new Uint8Array((await tauriApi.documentFile('d1')).bytes)).toEqual(new Uint8Array([4, 5]));
    answer([6, 7]);
    expect(new Uint8Array((await tauriApi.documentFile('d1')).bytes)).toEqual(new Uint8Array([6, 7]));
    answer({ bytes: 'no' });
    expect(await rejection(tauriApi.documentFile('d1'))).toMatchObject({ code: 'invalid_response' });
  });

  it('document_search takes {workspaceId, query: {q, limit}}', async () => {
    answer([{ chunk_id: 'p1', document_id: 'd1', name: 'handbook.docx', title: 'Expenses › Travel', page: 2, snippet: 'Voyagex.', score: 2 }]);
    await expect(tauriApi.searchDocuments('w1', { q: ' voyagex ', limit: 5 })).resolves.toEqual([
      { chunkId: 'p1', documentId: 'd1', name: 'handbook.docx', title: 'Expenses › Travel', page: 2, snippet: 'Voyagex.', score: 2 },
    ]);
    expect(lastCall()).toEqual(['document_search', { workspaceId: 'w1', query: { q: 'voyagex', limit: 5 } }]);

    answer([]);
    await tauriApi.searchDocuments('w1', { q: 'x' });
    expect(lastCall()).toEqual(['document_search', { workspaceId: 'w1', query: { q: 'x', limit: null } }]);
  });

  it('errors keep the core’s code and sentence, with the status of their kind', async () => {
    refuse({ code: 'read_only', kind: 'forbidden', message: 'Only its owner can add or remove its documents.' });
    expect(await rejection(tauriApi.deleteDocument('d1'))).toMatchObject({
      status: 403,
      code: 'read_only',
      message: 'Only its owner can add or remove its documents.',
    });
    refuse({ code: 'empty_query', kind: 'invalid', message: 'Type the words to look for.' });
    expect(await rejection(tauriApi.searchDocuments('w1', { q: 'the' }))).toMatchObject({ status: 400, code: 'empty_query' });
  });
});

describe('desktop-only document commands', () => {
  it('document_add_picked opens the OS picker: the documents added, none when it was cancelled', async () => {
    answer([wireDocument]);
    await expect(tauriApi.addPickedDocuments?.('w1')).resolves.toEqual([document]);
    expect(lastCall()).toEqual(['document_add_picked', { workspaceId: 'w1' }]);
    answer([]);
    await expect(tauriApi.addPickedDocuments?.('w1')).resolves.toEqual([]);
  });

  it('app_drops is subscribed to once; each drop goes to every listener until it stops listening', async () => {
    answer(null);
    const first: DroppedFiles[] = [];
    const second: DroppedFiles[] = [];
    const stopFirst = await tauriApi.onFilesDropped?.((dropped) => first.push(dropped));
    const stopSecond = await tauriApi.onFilesDropped?.((dropped) => second.push(dropped));
    expect(invokeMock).toHaveBeenCalledTimes(1);
    expect(lastCall()[0]).toBe('app_drops');
    const channel = FakeChannel.last as FakeChannel;
    expect(lastCall()[1]).toEqual({ onDrop: channel });

    channel.send({ id: 1, names: ['a.pdf', 'b.md'] });
    stopFirst?.();
    channel.send({ id: 2, names: ['c.txt'] });
    channel.send({ nonsense: true });
    stopSecond?.();
    channel.send({ id: 3, names: [] });
    expect(first).toEqual([{ id: 1, names: ['a.pdf', 'b.md'] }]);
    expect(second).toEqual([
      { id: 1, names: ['a.pdf', 'b.md'] },
      { id: 2, names: ['c.txt'] },
    ]);
  });

  it('a refused app_drops subscription rejects, and the next listener tries again', async () => {
    refuse('command app_drops not allowed');
    expect(await rejection(tauriApi.onFilesDropped?.(() => undefined) as Promise<unknown>)).toMatchObject({ code: 'ipc_error' });
    answer(null);
    await tauriApi.onFilesDropped?.(() => undefined);
    expect(invokeMock).toHaveBeenCalledTimes(2);
  });

  it('document_add_dropped takes {workspaceId, dropId}', async () => {
    answer([wireDocument]);
    await expect(tauriApi.addDroppedDocuments?.('w1', 4)).resolves.toEqual([document]);
    expect(lastCall()).toEqual(['document_add_dropped', { workspaceId: 'w1', dropId: 4 }]);
    refuse({ code: 'not_found', kind: 'not_found', message: 'Those dropped files are gone; drop them again.' });
    expect(await rejection(tauriApi.addDroppedDocuments?.('w1', 4) as Promise<unknown>)).toMatchObject({
      status: 404,
      message: 'Those dropped files are gone; drop them again.',
    });
  });

  it('folder_add_picked: the folder and its first sync, or null when the picker was cancelled', async () => {
    answer({ folder: wireFolder, sync: { added: 3, updated: 0, removed: 0, skipped: 1 } });
    await expect(tauriApi.addPickedFolder?.('w1')).resolves.toEqual({
      folder,
      sync: { added: 3, updated: 0, removed: 0, skipped: 1 },
    });
    expect(lastCall()).toEqual(['folder_add_picked', { workspaceId: 'w1' }]);
    answer(null);
    await expect(tauriApi.addPickedFolder?.('w1')).resolves.toBeNull();
  });

  it('folder_list takes {workspaceId}; folder_remove takes {id}', async () => {
    answer([wireFolder]);
    await expect(tauriApi.listFolders?.('w1')).resolves.toEqual([folder]);
    expect(lastCall()).toEqual(['folder_list', { workspaceId: 'w1' }]);
    answer(null);
    await expect(tauriApi.removeFolder?.('f1')).resolves.toBeUndefined();
    expect(lastCall()).toEqual(['folder_remove', { id: 'f1' }]);
  });
});
