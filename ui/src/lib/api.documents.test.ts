import { describe, expect, it, vi } from 'vitest';
import { rejection } from '../test/fakes';
import { call, envelope, FakeXhr, json, stubFetch, stubXhr } from '../test/http';
import { ABORTED, createHttpApi, httpApi, NETWORK_ERROR } from './api';
import type { SearchHit, WorkspaceDocument } from './document-types';

const wireDocument = {
  id: 'd1',
  workspace_id: 'w1',
  name: 'three-pages.pdf',
  format: 'pdf',
  media_type: 'application/pdf',
  bytes: 2811,
  sha256: 'ab12',
  status: 'indexing',
  pages: 3,
  pages_done: 1,
  chunks: 1,
  error: null,
  folder_path: null,
  created_at: '2030-01-01T00:00:00Z',
  indexed_at: null,
};

const document: WorkspaceDocument = {
  id: 'd1',
  workspaceId: 'w1',
  name: 'three-pages.pdf',
  format: 'pdf',
  mediaType: 'application/pdf',
  bytes: 2811,
  sha256: 'ab12',
  status: 'indexing',
  pages: 3,
  pagesDone: 1,
  chunks: 1,
  error: null,
  folderPath: null,
  createdAt: '2030-01-01T00:00:00Z',
  indexedAt: null,
};

const failedWire = {
  ...wireDocument,
  id: 'd2',
  name: 'locked.pdf',
  status: 'failed',
  pages: null,
  pages_done: 0,
  chunks: 0,
  error: { code: 'document_encrypted', kind: 'invalid', message: 'This PDF is protected by a password.' },
  indexed_at: '2030-01-01T00:00:01Z',
};

const wireHit = {
  chunk_id: 'p7',
  document_id: 'd1',
  name: 'three-pages.pdf',
  title: 'three-pages.pdf',
  page: 2,
  snippet: 'Parking permits are renewed every January.',
  score: 1.5,
};

const hit: SearchHit = {
  chunkId: 'p7',
  documentId: 'd1',
  name: 'three-pages.pdf',
  title: 'three-pages.pdf',
  page: 2,
  snippet: 'Parking permits are renewed every January.',
  score: 1.5,
};

describe('documents over HTTP', () => {
  it('says what this transport can do: uploads, no OS picker or synced folders', () => {
    expect(httpApi.documents).toEqual({ upload: true, pickFiles: false, folders: false });
    expect(httpApi.uploadDocument).toBeTypeOf('function');
    expect(httpApi.addPickedDocuments).toBeUndefined();
    expect(httpApi.onFilesDropped).toBeUndefined();
    expect(httpApi.addPickedFolder).toBeUndefined();
    expect(httpApi.listFolders).toBeUndefined();
  });

  it('lists with GET /workspaces/{id}/documents and maps the fields, a failure’s sentence too', async () => {
    const fetchMock = stubFetch(json(200, [wireDocument, failedWire]));
    const listed = await httpApi.listDocuments('w 1');
    expect(listed).toEqual([
      document,
      {
        ...document,
        id: 'd2',
        name: 'locked.pdf',
        status: 'failed',
        pages: null,
        pagesDone: 0,
        chunks: 0,
        error: { code: 'document_encrypted', kind: 'invalid', message: 'This PDF is protected by a password.' },
        indexedAt: '2030-01-01T00:00:01Z',
      },
    ]);
    const [url, init] = call(fetchMock);
    expect(url).toBe('/workspaces/w%201/documents');
    expect(init.method).toBe('GET');
  });

  it('refuses a document of an unknown format or status as an unreadable answer', async () => {
    stubFetch(json(200, [{ ...wireDocument, format: 'xlsx' }]), json(200, [{ ...wireDocument, status: 'done' }]));
    expect(await rejection(httpApi.listDocuments('w1'))).toMatchObject({ code: 'invalid_response', status: 200 });
    expect(await rejection(httpApi.listDocuments('w1'))).toMatchObject({ code: 'invalid_response' });
  });

  it('gets one with GET /documents/{id} and deletes with DELETE (204)', async () => {
    const fetchMock = stubFetch(json(200, wireDocument), new Response(null, { status: 204 }));
    await expect(httpApi.getDocument('d1')).resolves.toEqual(document);
    await expect(httpApi.deleteDocument('d1')).resolves.toBeUndefined();
    expect(call(fetchMock, 0)[0]).toBe('/documents/d1');
    const [url, init] = call(fetchMock, 1);
    expect(url).toBe('/documents/d1');
    expect(init.method).toBe('DELETE');
  });

  it('a delete in a workspace shared to read is refused with the server’s sentence', async () => {
    stubFetch(envelope(403, 'read_only', 'Only its owner can add or remove its documents.'));
    expect(await rejection(httpApi.deleteDocument('d1'))).toMatchObject({
      status: 403,
      code: 'read_only',
      message: 'Only its owner can add or remove its documents.',
    });
  });

  it('fetches the original’s bytes with their media type, and gives its address for a download link', async () => {
    const bytes = new Uint8Array([0x25, 0x50, 0x44, 0x46]);
    const fetchMock = stubFetch(new Response(bytes, { status: 200, headers: { 'Content-Type': 'application/pdf' } }));
    const file = await httpApi.documentFile('d1');
    expect(new Uint8Array(file.bytes)).toEqual(bytes);
    expect(file.contentType).toBe('application/pdf');
    expect(call(fetchMock)[0]).toBe('/documents/d1/file');
    expect(httpApi.documentFileUrl?.('d 1')).toBe('/documents/d%201/file');
    expect(createHttpApi({ baseUrl: 'http://host:1' }).documentFileUrl?.('d1')).toBe('http://host:1/documents/d1/file');
  });

  it('a missing original is an error with the server’s sentence', async () => {
    stubFetch(envelope(404, 'not_found', 'Document not found.'));
    expect(await rejection(httpApi.documentFile('d1'))).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('searches with GET /workspaces/{id}/search?q=…&limit=…', async () => {
    const fetchMock = stubFetch(json(200, [wireHit]), json(200, []));
    await expect(httpApi.searchDocuments('w1', { q: '  parking permits ', limit: 5 })).resolves.toEqual([hit]);
    await httpApi.searchDocuments('w1', { q: 'café & crème' });
    expect(call(fetchMock, 0)[0]).toBe('/workspaces/w1/search?q=parking+permits&limit=5');
    expect(call(fetchMock, 1)[0]).toBe('/workspaces/w1/search?q=caf%C3%A9+%26+cr%C3%A8me');
  });

  it('a hit without a page or title reads as such', async () => {
    stubFetch(json(200, [{ ...wireHit, page: null, title: undefined }]));
    await expect(httpApi.searchDocuments('w1', { q: 'x' })).resolves.toEqual([{ ...hit, page: null, title: hit.name }]);
  });

  it('an empty search is refused with the server’s sentence', async () => {
    stubFetch(envelope(422, 'empty_query', 'Type the words to look for in this workspace’s documents.'));
    expect(await rejection(httpApi.searchDocuments('w1', { q: 'the' }))).toMatchObject({
      status: 422,
      code: 'empty_query',
      message: 'Type the words to look for in this workspace’s documents.',
    });
  });
});

describe('uploads over HTTP', () => {
  function pdfFile(name = 'three-pages.pdf', size = 1000): File {
    return new File([new Uint8Array(size)], name, { type: 'application/pdf' });
  }

  async function sent(): Promise<FakeXhr> {
    await vi.waitFor(() => expect(FakeXhr.last).not.toBeNull());
    return FakeXhr.last as FakeXhr;
  }

  it('sends one file as multipart/form-data in a part named "file", reporting its progress', async () => {
    stubXhr();
    const progress: Array<[number, number]> = [];
    const file = pdfFile();
    const pending = httpApi.uploadDocument?.('w 1', file, { onProgress: (p) => progress.push([p.loaded, p.total]) });
    const xhr = await sent();
    expect(xhr.method).toBe('POST');
    expect(xhr.url).toBe('/workspaces/w%201/documents');
    expect(xhr.headers['Accept']).toBe('application/json');
    expect(xhr.body).toBeInstanceOf(FormData);
    const part = (xhr.body as FormData).get('file');
    expect(part).toBeInstanceOf(File);
    expect((part as File).name).toBe('three-pages.pdf');
    expect((xhr.body as FormData).getAll('file')).toHaveLength(1);

    xhr.progress(600, 1200);
    xhr.progress(1200, 1200);
    xhr.respond(202, [{ ...wireDocument, status: 'queued', pages: null, pages_done: 0, chunks: 0 }]);
    await expect(pending).resolves.toEqual([{ ...document, status: 'queued', pages: null, pagesDone: 0, chunks: 0 }]);
    expect(progress).toEqual([
      [0, 1000],
      [600, 1200],
      [1200, 1200],
    ]);
  });

  it.each([
    [415, 'unsupported_document', 'Docent cannot read "image.png": it takes PDF, Word (.docx), Markdown, HTML or plain text files.'],
    [413, 'document_too_large', 'That file is larger than the 50 MB Docent takes.'],
    [403, 'read_only', 'This workspace is shared with you to read. Only its owner can add or remove its documents.'],
  ])('a %i answer is an error with its code (%s) and the server’s sentence', async (status, code, message) => {
    stubXhr();
    const pending = httpApi.uploadDocument?.('w1', pdfFile('image.png')) as Promise<unknown>;
    (await sent()).respond(status, { error: { code, kind: 'invalid', message } });
    expect(await rejection(pending)).toMatchObject({ status, code, message, kind: 'invalid' });
  });

  it('a 413 from something on the way (no envelope) still says what happened', async () => {
    stubXhr();
    const pending = httpApi.uploadDocument?.('w1', pdfFile()) as Promise<unknown>;
    (await sent()).respond(413, '<html>Request Entity Too Large</html>');
    expect(await rejection(pending)).toMatchObject({ status: 413, code: 'payload_too_large', message: 'What you sent is too large.' });
  });

  it('a broken connection says the upload was cut off, and why that may be', async () => {
    stubXhr();
    const pending = httpApi.uploadDocument?.('w1', pdfFile()) as Promise<unknown>;
    (await sent()).fail();
    const error = await rejection(pending);
    expect(error).toMatchObject({ status: 0, code: NETWORK_ERROR });
    expect(error.message).toMatch(/^The upload was cut off before Docent answered\. If the file is very large/);
  });

  it('an unreadable answer is invalid_response', async () => {
    stubXhr();
    const pending = httpApi.uploadDocument?.('w1', pdfFile()) as Promise<unknown>;
    (await sent()).respond(202, 'not json');
    expect(await rejection(pending)).toMatchObject({ status: 202, code: 'invalid_response' });
  });

  it('aborting the signal cancels the upload', async () => {
    stubXhr();
    const controller = new AbortController();
    const pending = httpApi.uploadDocument?.('w1', pdfFile(), { signal: controller.signal }) as Promise<unknown>;
    const xhr = await sent();
    controller.abort();
    expect(xhr.aborted).toBe(true);
    expect(await rejection(pending)).toMatchObject({ code: ABORTED, message: 'The upload was cancelled.' });
  });

  it('an already aborted signal sends nothing', async () => {
    stubXhr();
    const controller = new AbortController();
    controller.abort();
    expect(await rejection(httpApi.uploadDocument?.('w1', pdfFile(), { signal: controller.signal }) as Promise<unknown>)).toMatchObject({
      code: ABORTED,
    });
    expect(FakeXhr.all).toHaveLength(0);
  });
});
