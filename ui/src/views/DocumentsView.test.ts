import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import App from '../App.svelte';
import { ApiError, type Api, type UploadOptions, type WorkspaceDocument } from '../lib/api';
import { AuthController } from '../lib/auth.svelte';
import { FOLDER_POLL_MS, POLL_MS } from '../lib/documents.svelte';
import { Router } from '../lib/router.svelte';
import { ada, connectionStatus, deferred, doc, fakeApi, fakeDesktopApi, searchHit, workspace } from '../test/fakes';

// A search result opens the PDF viewer, which must not load the real pdf.js here.
vi.mock('../lib/pdf', () => import('../test/fake-pdf'));

let api: ReturnType<typeof fakeApi>;
const research = workspace({ id: 'w1', name: 'Research' });

beforeEach(() => {
  api = fakeApi();
  api.currentUser.mockResolvedValue(ada);
  api.getWorkspace.mockResolvedValue(research);
});

afterEach(() => {
  vi.useRealTimers();
});

function start(with_: Api = api, path = '/app/w/w1/documents') {
  window.history.replaceState(null, '', path);
  const router = new Router();
  const auth = new AuthController(with_, router);
  render(App, { auth, router });
  return { auth, router };
}

async function heading() {
  // The first test waits for the signed-in views to be compiled and loaded.
  return screen.findByRole('heading', { level: 1, name: 'Documents of Research' }, { timeout: 5000 });
}

function documentList(): HTMLElement {
  return screen.getByRole('list', { name: 'Documents' });
}

function item(name: string): HTMLElement {
  const found = within(documentList())
    .getAllByRole('listitem')
    .find((li) => within(li).queryByRole('heading', { name }) !== null);
  if (!found) throw new Error(`no list item for ${name}`);
  return found;
}

function pdf(name: string, size = 1000): File {
  return new File([new Uint8Array(size)], name, { type: 'application/pdf' });
}

const ready = doc({ id: 'd1', name: 'three-pages.pdf', workspaceId: 'w1' });

describe('the documents of a workspace', () => {
  it('lists them with their state in words: ready, being read (a bar), failed (the reason)', async () => {
    api.listDocuments.mockResolvedValue([
      ready,
      doc({ id: 'd2', name: 'long.pdf', status: 'indexing', pages: 10, pagesDone: 4, chunks: 5 }),
      doc({
        id: 'd3',
        name: 'locked.pdf',
        status: 'failed',
        pages: null,
        error: { code: 'document_encrypted', kind: 'invalid', message: 'This PDF is protected by a password. Save it without one, then add it again.' },
      }),
      doc({ id: 'd4', name: 'notes.md', format: 'markdown', pages: null, chunks: 1, bytes: 537 }),
    ]);
    start();
    await heading();
    expect(await within(await screen.findByRole('list', { name: 'Documents' })).findAllByRole('listitem')).toHaveLength(4);
    expect(item('three-pages.pdf')).toHaveTextContent('PDF · 2.8 KB · added');
    expect(item('three-pages.pdf')).toHaveTextContent('Ready · 3 pages · 3 passages');
    const reading = within(item('long.pdf')).getByRole('progressbar', { name: 'Reading long.pdf' });
    expect(reading).toHaveAttribute('value', '4');
    expect(reading).toHaveAttribute('max', '10');
    expect(reading).toHaveAttribute('aria-valuetext', 'Reading: 4 of 10 pages');
    expect(item('locked.pdf')).toHaveTextContent('Could not be read');
    expect(item('locked.pdf')).toHaveTextContent('This PDF is protected by a password. Save it without one, then add it again.');
    expect(item('notes.md')).toHaveTextContent('Markdown · 537 bytes');
    expect(item('notes.md')).toHaveTextContent('Ready · 1 passage');
    expect(within(item('notes.md')).getByRole('link', { name: 'notes.md' })).toHaveAttribute('href', '/app/d/d4');
    expect(screen.getByRole('heading', { level: 2, name: 'Documents (4 documents)' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Research' })).toHaveAttribute('href', '/app/w/w1');
    expect(api.listDocuments).toHaveBeenCalledWith('w1');
  });

  it('says when there are none, and when they cannot be read (with Try again)', async () => {
    api.listDocuments.mockRejectedValueOnce(new ApiError(503, 'internal', 'Docent could not read the documents.'));
    start();
    expect(await screen.findByRole('alert')).toHaveTextContent('Docent could not read the documents.');
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('No documents yet. Add some above: they can be searched once read.')).toBeInTheDocument();
  });

  it('reads the list again about once a second while any is queued or being read, then stops', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const queued = doc({ id: 'd2', name: 'long.pdf', status: 'queued', pages: null, pagesDone: 0, chunks: 0 });
    api.listDocuments
      .mockResolvedValueOnce([ready, queued])
      .mockResolvedValueOnce([ready, { ...queued, status: 'indexing', pages: 10, pagesDone: 3 }])
      .mockResolvedValueOnce([ready, { ...queued, status: 'ready', pages: 10, pagesDone: 10, chunks: 12 }]);
    start();
    await heading();
    expect(await screen.findByText('Waiting to be read')).toBeInTheDocument();
    expect(api.listDocuments).toHaveBeenCalledTimes(1);

    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(await screen.findByText('Reading: 3 of 10 pages')).toBeInTheDocument();
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(await screen.findByText('Ready · 10 pages · 12 passages')).toBeInTheDocument();
    expect(api.listDocuments).toHaveBeenCalledTimes(3);
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();

    await vi.advanceTimersByTimeAsync(POLL_MS * 5);
    expect(api.listDocuments).toHaveBeenCalledTimes(3);
  });

  it('stops reading the list when the user leaves the page', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    api.listDocuments.mockResolvedValue([doc({ status: 'indexing', pages: null })]);
    const { router } = start();
    await screen.findByText('Reading…');
    router.navigate('/');
    await screen.findByRole('heading', { level: 1, name: 'Workspaces' });
    const calls = api.listDocuments.mock.calls.length;
    await vi.advanceTimersByTimeAsync(POLL_MS * 5);
    expect(api.listDocuments).toHaveBeenCalledTimes(calls);
  });
});

describe('a list read while the user changes it', () => {
  const queued = doc({ id: 'dq', name: 'queued.pdf', status: 'queued', pages: null, pagesDone: 0, chunks: 0 });

  it('does not drop a file added, nor bring back one deleted, meanwhile', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    const added = doc({ id: 'da', name: 'added.pdf', status: 'queued', pages: null, pagesDone: 0, chunks: 0 });
    const upload = deferred<WorkspaceDocument[]>();
    api.uploadDocument.mockReturnValueOnce(upload.promise);
    const older = deferred<WorkspaceDocument[]>();
    api.listDocuments.mockResolvedValueOnce([ready, queued]).mockReturnValueOnce(older.promise);
    start();
    await heading();
    await within(await screen.findByRole('list', { name: 'Documents' })).findByText('queued.pdf');

    // The list is being read again (queued.pdf is queued) when the upload ends and a delete goes through.
    await user.upload(screen.getByLabelText('Files to add'), [pdf('added.pdf')]);
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(api.listDocuments).toHaveBeenCalledTimes(2);
    upload.resolve([added]);
    expect(await within(documentList()).findByText('Waiting to be read', { selector: '*' }, {})).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Delete three-pages.pdf' }));
    await user.click(screen.getByRole('button', { name: 'Delete' }));
    await screen.findByText('“three-pages.pdf” deleted.');

    // The answer, read before both: the one added stays, the one deleted stays gone.
    api.listDocuments.mockResolvedValue([{ ...queued, status: 'ready' }, { ...added, status: 'ready', pages: 1 }]);
    older.resolve([ready, queued]);
    await waitFor(() => expect(within(documentList()).getByRole('heading', { name: 'added.pdf' })).toBeInTheDocument());
    expect(within(documentList()).queryByRole('heading', { name: 'three-pages.pdf' })).not.toBeInTheDocument();

    // And the list goes on being read until both are ready.
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(await screen.findByText('1 file added and ready to search.')).toBeInTheDocument();
    expect(item('added.pdf')).toHaveTextContent('Ready · 1 page');
  });
});

describe('adding files over HTTP', () => {
  /** Holds each upload until the test answers it, keeping its progress reporter. */
  function holdUploads() {
    const held: Array<{
      file: File;
      options: UploadOptions | undefined;
      done: ReturnType<typeof deferred<WorkspaceDocument[]>>;
    }> = [];
    api.uploadDocument.mockImplementation((_workspaceId, file, options) => {
      const done = deferred<WorkspaceDocument[]>();
      held.push({ file, options, done });
      return done.promise;
    });
    return held;
  }

  it('uploads the files chosen one at a time, each with its progress, and the batch’s, then follows their reading', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    const held = holdUploads();
    start();
    await heading();
    await screen.findByText('No documents yet. Add some above: they can be searched once read.');

    await user.upload(screen.getByLabelText('Files to add'), [pdf('a.pdf', 2000), pdf('b.pdf', 1000)]);
    await waitFor(() => expect(held).toHaveLength(1));
    expect(api.uploadDocument).toHaveBeenCalledWith('w1', held[0]?.file, expect.anything());
    expect(within(item('b.pdf')).getByRole('progressbar', { name: 'Upload of b.pdf' })).toHaveAttribute(
      'aria-valuetext',
      'Waiting to upload',
    );

    // The body on the wire is a little larger than the file: progress is its share.
    held[0]?.options?.onProgress?.({ loaded: 1100, total: 2200 });
    const bar = await within(item('a.pdf')).findByRole('progressbar', { name: 'Upload of a.pdf' });
    await waitFor(() => expect(bar).toHaveAttribute('aria-valuetext', 'Uploading: 50% of 2.0 KB'));
    expect(bar).toHaveAttribute('value', '1000');
    expect(bar).toHaveAttribute('max', '2000');
    const batch = screen.getByRole('progressbar', { name: 'All files being added' });
    expect(batch).toHaveAttribute('aria-valuetext', 'Adding 2 files: 2 uploading, 0 ready (12%)');

    const a = doc({ id: 'da', name: 'a.pdf', status: 'queued', pages: null, pagesDone: 0, chunks: 0 });
    held[0]?.done.resolve([a]);
    await waitFor(() => expect(held).toHaveLength(2));
    expect(await within(item('a.pdf')).findByText('Waiting to be read')).toBeInTheDocument();
    const b = doc({ id: 'db', name: 'b.pdf', status: 'queued', pages: null, pagesDone: 0, chunks: 0 });
    api.listDocuments.mockResolvedValueOnce([{ ...a, status: 'indexing', pages: 4, pagesDone: 2 }, b]);
    held[1]?.done.resolve([b]);
    await waitFor(() =>
      expect(screen.getByRole('progressbar', { name: 'All files being added' })).toHaveAttribute(
        'aria-valuetext',
        'Adding 2 files: 2 being read, 0 ready (50%)',
      ),
    );

    await vi.advanceTimersByTimeAsync(POLL_MS);
    await waitFor(() =>
      expect(screen.getByRole('progressbar', { name: 'All files being added' })).toHaveAttribute(
        'aria-valuetext',
        'Adding 2 files: 2 being read, 0 ready (62%)',
      ),
    );
    expect(within(item('a.pdf')).getByRole('progressbar', { name: 'Reading a.pdf' })).toHaveAttribute(
      'aria-valuetext',
      'Reading: 2 of 4 pages',
    );

    api.listDocuments.mockResolvedValueOnce([
      { ...a, status: 'ready', pages: 4, pagesDone: 4, chunks: 4 },
      { ...b, status: 'ready', pages: 1, pagesDone: 1, chunks: 1 },
    ]);
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(await screen.findByText('2 files added and ready to search.')).toBeInTheDocument();
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
    expect(item('b.pdf')).toHaveTextContent('Ready · 1 page · 1 passage');
  });

  it('shows each file’s refusal in the server’s words, goes on with the others, and lets it be dismissed', async () => {
    const user = userEvent.setup({ applyAccept: false });
    api.uploadDocument
      .mockRejectedValueOnce(
        new ApiError(415, 'unsupported_document', 'Docent cannot read "image.png": it takes PDF, Word (.docx), Markdown, HTML or plain text files.'),
      )
      .mockRejectedValueOnce(new ApiError(413, 'document_too_large', 'That file is larger than the 50 MB Docent takes.'));
    start();
    await heading();
    await user.upload(screen.getByLabelText('Files to add'), [
      new File(['png'], 'image.png', { type: 'image/png' }),
      pdf('huge.pdf'),
      pdf('fine.pdf'),
    ]);
    expect(await within(await screen.findByRole('list', { name: 'Documents' })).findByText('fine.pdf')).toBeInTheDocument();
    const image = item('image.png');
    expect(image).toHaveTextContent('Not added');
    expect(within(image).getByRole('alert')).toHaveTextContent('Docent cannot read "image.png"');
    expect(within(item('huge.pdf')).getByRole('alert')).toHaveTextContent('That file is larger than the 50 MB Docent takes.');
    expect(api.uploadDocument).toHaveBeenCalledTimes(3);

    await user.click(within(image).getByRole('button', { name: 'Dismiss image.png' }));
    expect(within(documentList()).queryByText('image.png')).not.toBeInTheDocument();
  });

  it('does not upload a file larger than the server takes: it says so at once, and names the limit', async () => {
    const user = userEvent.setup();
    api.getStatus.mockResolvedValue(connectionStatus({ maxDocumentBytes: 2_000 }));
    start();
    await heading();
    expect(await screen.findByText(/up to 2\.0 KB each/)).toBeInTheDocument();
    await user.upload(screen.getByLabelText('Files to add'), [pdf('big.pdf', 2_001), pdf('fits.pdf', 2_000)]);
    expect(await within(await screen.findByRole('list', { name: 'Documents' })).findByText('fits.pdf')).toBeInTheDocument();
    expect(within(item('big.pdf')).getByRole('alert')).toHaveTextContent(
      'This file is larger than 2.0 KB, the most Docent takes for one document.',
    );
    expect(api.uploadDocument).toHaveBeenCalledTimes(1);
    expect(api.uploadDocument).toHaveBeenCalledWith('w1', expect.objectContaining({ name: 'fits.pdf' }), expect.anything());
  });

  it('takes files dropped on the page', async () => {
    start();
    await heading();
    const file = pdf('dropped.pdf');
    const dataTransfer = { types: ['Files'], files: [file], dropEffect: 'none' };
    await fireEvent.dragEnter(window, { dataTransfer });
    expect(document.querySelector('.drop-zone')).toHaveClass('dragging');
    await fireEvent.dragOver(window, { dataTransfer });
    expect(dataTransfer.dropEffect).toBe('copy');
    await fireEvent.drop(window, { dataTransfer });
    await waitFor(() => expect(api.uploadDocument).toHaveBeenCalledWith('w1', file, expect.anything()));
    expect(document.querySelector('.drop-zone')).not.toHaveClass('dragging');
    // Dragging text, not files, is none of this page's business.
    await fireEvent.drop(window, { dataTransfer: { types: ['text/plain'], files: [] } });
    expect(api.uploadDocument).toHaveBeenCalledTimes(1);
  });

  it('a workspace shared to read answers read_only: the sentence, and adding is no longer offered', async () => {
    const user = userEvent.setup();
    api.uploadDocument.mockRejectedValueOnce(
      new ApiError(403, 'read_only', 'This workspace is shared with you to read. Only its owner can add or remove its documents.'),
    );
    api.listDocuments.mockResolvedValue([ready]);
    start();
    await heading();
    await user.upload(screen.getByLabelText('Files to add'), [pdf('x.pdf')]);
    expect(await within(item('x.pdf')).findByRole('alert')).toHaveTextContent(
      'Only its owner can add or remove its documents.',
    );
    expect(screen.queryByRole('button', { name: 'Choose files…' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Delete three-pages.pdf' })).not.toBeInTheDocument();
    expect(screen.getByText(/This workspace is shared with you to read/, { selector: 'p' })).toBeInTheDocument();
  });
});

describe('a workspace that is not the caller’s own', () => {
  it('is shared to read: its documents can be searched and opened, not added or deleted', async () => {
    api.getWorkspace.mockRejectedValue(new ApiError(404, 'not_found', 'Workspace not found.'));
    api.listDocuments.mockResolvedValue([ready]);
    start();
    expect(await screen.findByRole('heading', { level: 1, name: 'Documents' })).toBeInTheDocument();
    expect(
      await screen.findByText(
        'This workspace is shared with you to read: you can search and open its documents, but only its owner can add or delete them.',
      ),
    ).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Add documents' })).not.toBeInTheDocument();
    expect(within(item('three-pages.pdf')).getByRole('link', { name: 'Open three-pages.pdf' })).toBeInTheDocument();
    expect(within(item('three-pages.pdf')).queryByRole('button', { name: /Delete/ })).not.toBeInTheDocument();
    expect(screen.getByRole('search', { name: 'Documents' })).toBeInTheDocument();
  });
});

describe('deleting a document', () => {
  it('asks first, then deletes it and says so', async () => {
    const user = userEvent.setup();
    api.listDocuments.mockResolvedValue([ready, doc({ id: 'd2', name: 'other.pdf' })]);
    start();
    await heading();
    await user.click(await screen.findByRole('button', { name: 'Delete three-pages.pdf' }));
    expect(screen.getByRole('group', { name: 'Delete “three-pages.pdf”? Answers that cite it keep their quotes.' })).toBeInTheDocument();
    expect(api.deleteDocument).not.toHaveBeenCalled();
    await user.click(screen.getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(api.deleteDocument).toHaveBeenCalledWith('d1'));
    expect(await screen.findByText('“three-pages.pdf” deleted.')).toBeInTheDocument();
    expect(within(documentList()).queryByText('three-pages.pdf')).not.toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 2, name: 'Documents (1 document)' })).toHaveFocus();
  });

  it('keeps it and shows the server’s sentence when it is refused', async () => {
    const user = userEvent.setup();
    api.listDocuments.mockResolvedValue([ready]);
    api.deleteDocument.mockRejectedValueOnce(new ApiError(403, 'read_only', 'Only its owner can add or remove its documents.'));
    start();
    await heading();
    await user.click(await screen.findByRole('button', { name: 'Delete three-pages.pdf' }));
    await user.click(screen.getByRole('button', { name: 'Delete' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Only its owner can add or remove its documents.');
    expect(item('three-pages.pdf')).toBeInTheDocument();
  });
});

describe('searching the documents', () => {
  it('shows each passage found with its document, where it is, the page, and the words marked; each opens the viewer there', async () => {
    const user = userEvent.setup();
    api.searchDocuments.mockResolvedValue([
      searchHit(),
      searchHit({
        chunkId: 'p9',
        documentId: 'd2',
        name: 'handbook.docx',
        title: 'Expenses › Travel',
        page: null,
        snippet: 'Permits for parking at the station are not reimbursed.',
      }),
    ]);
    start();
    await heading();
    await user.type(screen.getByLabelText('Words to find in these documents'), 'parking permits');
    await user.click(screen.getByRole('button', { name: 'Search' }));
    expect(api.searchDocuments).toHaveBeenCalledWith('w1', { q: 'parking permits', limit: 20 });
    const results = await screen.findByRole('list', { name: 'Search results' });
    expect(screen.getByText('2 passages match “parking permits”.')).toBeInTheDocument();
    const [first, second] = within(results).getAllByRole('listitem');
    const link = within(first as HTMLElement).getByRole('link');
    expect(link).toHaveTextContent('handbook.pdf page 2');
    const href = new URL(link.getAttribute('href') ?? '', 'http://x');
    expect(href.pathname).toBe('/app/d/d1');
    expect(Object.fromEntries(href.searchParams)).toEqual({
      page: '2',
      q: 'parking permits',
      passage: 'Page two: parking. Parking permits are renewed every January.',
      title: 'handbook.pdf',
    });
    expect([...(first as HTMLElement).querySelectorAll('mark')].map((mark) => mark.textContent)).toEqual([
      'parking',
      'Parking',
      'permits',
    ]);
    expect(second).toHaveTextContent('handbook.docx Expenses › Travel Permits for parking');
    expect(second).not.toHaveTextContent('page');

    // Opening one goes to the viewer with the query.
    await user.click(link);
    expect(window.location.pathname).toBe('/app/d/d1');
    expect(window.location.search).toContain('page=2');
  });

  it('says so when nothing matches; an empty search is not sent; the server’s sentence shows', async () => {
    const user = userEvent.setup();
    start();
    await heading();
    await user.click(screen.getByRole('button', { name: 'Search' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Type the words to look for in these documents.');
    expect(api.searchDocuments).not.toHaveBeenCalled();

    await user.type(screen.getByLabelText('Words to find in these documents'), 'zebra');
    await user.keyboard('{Enter}');
    expect(await screen.findByText('No passage matches “zebra”.')).toBeInTheDocument();

    api.searchDocuments.mockRejectedValueOnce(new ApiError(422, 'empty_query', 'Type the words to look for in this workspace’s documents.'));
    await user.clear(screen.getByLabelText('Words to find in these documents'));
    await user.type(screen.getByLabelText('Words to find in these documents'), 'the');
    await user.keyboard('{Enter}');
    expect(await screen.findByRole('alert')).toHaveTextContent('Type the words to look for in this workspace’s documents.');
  });

  it('works without a language model (the search is the document index’s, not the chat’s)', async () => {
    const user = userEvent.setup();
    api.getStatus.mockResolvedValue({
      llm: { configured: false, reachable: false, message: 'No language model is set up.' },
      retrieval: { configured: false, reachable: false, message: null },
      sessionStorage: 'cookie',
      maxDocumentBytes: 100_000_000,
    });
    api.searchDocuments.mockResolvedValue([searchHit()]);
    start();
    await heading();
    await user.type(screen.getByLabelText('Words to find in these documents'), 'parking');
    await user.keyboard('{Enter}');
    expect(await screen.findByRole('list', { name: 'Search results' })).toBeInTheDocument();
  });
});

describe('adding files in the desktop app', () => {
  let desktop: ReturnType<typeof fakeDesktopApi>;

  beforeEach(() => {
    desktop = fakeDesktopApi();
    desktop.currentUser.mockResolvedValue(ada);
    desktop.getWorkspace.mockResolvedValue(research);
  });

  it('offers the OS file picker and folder picker, not uploads', async () => {
    const user = userEvent.setup();
    const picked = doc({ id: 'd9', name: 'picked.pdf', status: 'queued', pages: null, pagesDone: 0, chunks: 0 });
    desktop.addPickedDocuments.mockResolvedValueOnce([picked]);
    start(desktop);
    await heading();
    expect(screen.queryByLabelText('Files to add')).not.toBeInTheDocument();
    expect(screen.getByText('Drop files or folders on this window to add them, or')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Add files…' }));
    expect(desktop.addPickedDocuments).toHaveBeenCalledWith('w1');
    expect(await within(documentList()).findByText('picked.pdf')).toBeInTheDocument();
    expect(screen.getByText('Adding “picked.pdf”.')).toBeInTheDocument();
    expect(screen.getByRole('progressbar', { name: 'All files being added' })).toHaveAttribute(
      'aria-valuetext',
      'Adding 1 file: 1 being read, 0 ready (50%)',
    );
  });

  it('a cancelled picker adds nothing and says nothing', async () => {
    const user = userEvent.setup();
    start(desktop);
    await heading();
    await user.click(screen.getByRole('button', { name: 'Add files…' }));
    await waitFor(() => expect(desktop.addPickedDocuments).toHaveBeenCalled());
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('adds what is dropped on the window to the open workspace', async () => {
    desktop.addDroppedDocuments.mockResolvedValueOnce([doc({ id: 'd7', name: 'dropped.md', format: 'markdown', pages: null })]);
    start(desktop);
    await heading();
    await waitFor(() => expect(desktop.onFilesDropped).toHaveBeenCalled());
    desktop.drop({ id: 7, names: ['dropped.md'] });
    await waitFor(() => expect(desktop.addDroppedDocuments).toHaveBeenCalledWith('w1', 7));
    expect(await within(documentList()).findByText('dropped.md')).toBeInTheDocument();
  });

  it('keeps a folder in sync, lists it, and stops on request', async () => {
    const user = userEvent.setup();
    const folder = { id: 'f1', workspaceId: 'w1', path: '/home/ada/Handbooks', createdAt: '2030-01-01T00:00:00Z' };
    desktop.addPickedFolder.mockResolvedValueOnce({ folder, sync: { added: 3, updated: 0, removed: 0, skipped: 2 } });
    desktop.listFolders.mockResolvedValueOnce([]).mockResolvedValue([folder]);
    start(desktop);
    await heading();
    expect(await screen.findByText(/^None\. A folder added here is watched/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Add folder…' }));
    expect(
      await screen.findByText('Keeping “/home/ada/Handbooks” in sync: 3 added, 2 skipped (formats Docent does not read).'),
    ).toBeInTheDocument();
    expect(screen.getByText('/home/ada/Handbooks')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Stop syncing /home/ada/Handbooks' }));
    await user.click(screen.getByRole('button', { name: 'Stop syncing' }));
    await waitFor(() => expect(desktop.removeFolder).toHaveBeenCalledWith('f1'));
    expect(
      await screen.findByText('“/home/ada/Handbooks” is no longer kept in sync; its documents were removed.'),
    ).toBeInTheDocument();
  });

  it('reads the list again every few seconds while a folder is kept in sync: its files change on disk', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const folder = { id: 'f1', workspaceId: 'w1', path: '/home/ada/Handbooks', createdAt: '2030-01-01T00:00:00Z' };
    const handbook = doc({ id: 'd5', name: 'handbook.md', format: 'markdown', pages: null, folderPath: 'handbook.md' });
    desktop.listFolders.mockResolvedValue([folder]);
    desktop.listDocuments.mockResolvedValueOnce([ready]).mockResolvedValue([ready, handbook]);
    start(desktop);
    await heading();
    expect(await screen.findByText('/home/ada/Handbooks')).toBeInTheDocument();
    expect(desktop.listDocuments).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(FOLDER_POLL_MS);
    expect(await within(documentList()).findByText('handbook.md')).toBeInTheDocument();
    expect(desktop.listDocuments).toHaveBeenCalledTimes(2);

    // No folder left to sync: the list is not read again.
    desktop.listFolders.mockResolvedValue([]);
    await userEvent.setup({ advanceTimers: vi.advanceTimersByTime }).click(
      screen.getByRole('button', { name: 'Stop syncing /home/ada/Handbooks' }),
    );
    await userEvent.setup({ advanceTimers: vi.advanceTimersByTime }).click(screen.getByRole('button', { name: 'Stop syncing' }));
    await waitFor(() => expect(desktop.removeFolder).toHaveBeenCalledWith('f1'));
    await vi.advanceTimersByTimeAsync(100);
    const reads = desktop.listDocuments.mock.calls.length;
    await vi.advanceTimersByTimeAsync(FOLDER_POLL_MS * 3);
    expect(desktop.listDocuments).toHaveBeenCalledTimes(reads);
  });

  it('a document from a synced folder is not deleted here (the folder would bring it back)', async () => {
    desktop.listDocuments.mockResolvedValue([doc({ folderPath: '/home/ada/Handbooks/handbook.pdf', name: 'handbook.pdf' })]);
    start(desktop);
    await heading();
    expect(await within(await screen.findByRole('list', { name: 'Documents' })).findByText(/from \/home\/ada\/Handbooks/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Delete handbook.pdf' })).not.toBeInTheDocument();
  });
});

describe('links to the documents', () => {
  it('the workspaces list and the chat link to each workspace’s documents', async () => {
    api.listWorkspaces.mockResolvedValue([research]);
    const { router } = start(api, '/');
    expect(await screen.findByRole('link', { name: 'Documents of Research' })).toHaveAttribute('href', '/app/w/w1/documents');
    router.navigate('/app/w/w1');
    expect(await screen.findByRole('link', { name: 'Documents' })).toHaveAttribute('href', '/app/w/w1/documents');
  });
});
