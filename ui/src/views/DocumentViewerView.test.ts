import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/pdf', () => import('../test/fake-pdf'));

import App from '../App.svelte';
import PdfView from '../components/PdfView.svelte';
import { ApiError, type Api } from '../lib/api';
import { AuthController } from '../lib/auth.svelte';
import { Router } from '../lib/router.svelte';
import { viewerPath } from '../lib/viewer';
import { fakePdf, pdfError } from '../test/fake-pdf';
import * as fakePdfModule from '../test/fake-pdf';
import { ada, citation, conversation, doc, fakeApi, fakeDesktopApi, message } from '../test/fakes';

let api: ReturnType<typeof fakeApi>;
const scrolled: Element[] = [];

const threePages = doc({ id: 'd1', workspaceId: 'w1', name: 'three-pages.pdf' });
const PAGES = [
  ['Page one: facilities', 'The cafeteria opens at 7:30.'],
  ['Page two: parking', 'Parking permits are renewed every January.', 'Bicycles are stored in the basement cage.'],
  ['Page three: safety', 'Fire drills take place every quarter.'],
];

beforeEach(() => {
  api = fakeApi();
  api.currentUser.mockResolvedValue(ada);
  api.getDocument.mockResolvedValue(threePages);
  fakePdf.reset();
  fakePdf.pages = PAGES;
  scrolled.length = 0;
  // jsdom lays nothing out: record what the viewer brings into view.
  Element.prototype.scrollIntoView = function (this: Element) {
    scrolled.push(this);
  };
});

afterEach(() => {
  delete (Element.prototype as Partial<Element>).scrollIntoView;
});

function start(path: string, with_: Api = api) {
  window.history.replaceState(null, '', path);
  const router = new Router();
  const auth = new AuthController(with_, router);
  render(App, { auth, router });
  return { auth, router };
}

function pageSection(n: number): HTMLElement {
  return screen.getByRole('region', { name: `Page ${n} of ${PAGES.length}` });
}

async function drawn(n: number): Promise<HTMLElement> {
  const section = await screen.findByRole('region', { name: `Page ${n} of ${PAGES.length}` }, { timeout: 5000 });
  await waitFor(() => expect(section).toHaveAttribute('data-drawn', 'true'));
  return section;
}

describe('a PDF', () => {
  it('opens at the page, its passage highlighted in the text layer and brought into view', async () => {
    start(viewerPath('d1', { page: 2, passage: 'Parking permits are renewed every January.', title: 'three-pages.pdf' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'three-pages.pdf' }, { timeout: 5000 })).toBeInTheDocument();
    const page2 = await drawn(2);
    expect(api.documentFile).toHaveBeenCalledWith('d1');
    expect(fakePdf.opened).toHaveLength(1);

    const marks = page2.querySelectorAll('.text-layer mark.passage');
    expect([...marks].map((mark) => mark.textContent)).toEqual(['Parking permits are renewed every January']);
    expect(screen.getByText('The passage is highlighted on page 2.')).toBeInTheDocument();
    expect(scrolled).toContain(marks[0]);
    expect(screen.getByLabelText('Page')).toHaveValue(2);
    expect(within(page2).getByText('Bicycles are stored in the basement cage.')).toBeInTheDocument();
    // Every page has its place (jsdom cannot tell which are near, so all are drawn); no other is marked.
    await drawn(1);
    await drawn(3);
    expect(pageSection(1).querySelector('mark')).toBeNull();
    expect(pageSection(2).querySelector('canvas')).toHaveAttribute('aria-hidden', 'true');

    // The passage is quoted too, with where it is; the original can be downloaded.
    expect(screen.getByRole('region', { name: 'Cited: page 2' })).toHaveTextContent('Parking permits are renewed every January.');
    const download = screen.getByRole('link', { name: 'Download the original' });
    expect(download).toHaveAttribute('href', '/documents/d1/file');
    expect(download).toHaveAttribute('download', 'three-pages.pdf');
    expect(screen.getByRole('link', { name: 'Documents' })).toHaveAttribute('href', '/app/w/w1/documents');
  });

  it('says when the passage is not on its page (the file changed, say), and still opens there', async () => {
    start(viewerPath('d1', { page: 2, passage: 'The assembly point is the flagpole on Marigold Lane.' }));
    const page2 = await drawn(2);
    expect(page2.querySelector('mark')).toBeNull();
    expect(
      screen.getByText('The passage could not be found on page 2 of this file; it is quoted above.'),
    ).toBeInTheDocument();
    expect(scrolled).toContain(page2);
  });

  it('marks a search’s words on every page, the passage on its own', async () => {
    start(viewerPath('d1', { page: 2, q: 'parking', passage: 'Parking permits are renewed every January.' }));
    const page2 = await drawn(2);
    expect([...page2.querySelectorAll('mark.term')].map((mark) => mark.textContent)).toEqual(['parking']);
    expect(page2.querySelectorAll('mark.passage')).toHaveLength(1);
    const quote = screen.getByRole('region', { name: 'Found: page 2' });
    expect([...quote.querySelectorAll('mark')].map((mark) => mark.textContent)).toEqual(['Parking']);
  });

  it('opens at the first page without a page, and at the last for a page past the end', async () => {
    start(viewerPath('d1', { page: 9 }));
    await drawn(3);
    expect(screen.getByLabelText('Page')).toHaveValue(3);
    expect(screen.getByRole('button', { name: 'Next page' })).toBeDisabled();
  });

  it('goes to a page by number or with Previous and Next, from the keyboard', async () => {
    const user = userEvent.setup();
    start(viewerPath('d1', { page: 1 }));
    await drawn(1);
    expect(screen.getByRole('button', { name: 'Previous page' })).toBeDisabled();
    await user.clear(screen.getByLabelText('Page'));
    await user.type(screen.getByLabelText('Page'), '3{Enter}');
    expect(scrolled.at(-1)).toBe(pageSection(3));
    await user.click(screen.getByRole('button', { name: 'Previous page' }));
    expect(scrolled.at(-1)).toBe(pageSection(2));
    expect(screen.getByLabelText('Page')).toHaveValue(2);
    // A page that does not exist goes nowhere.
    await user.clear(screen.getByLabelText('Page'));
    await user.type(screen.getByLabelText('Page'), '7{Enter}');
    expect(scrolled.at(-1)).toBe(pageSection(2));
  });

  it('zooms: the pages are drawn again, larger', async () => {
    const user = userEvent.setup();
    start(viewerPath('d1', { page: 1 }));
    const page1 = await drawn(1);
    expect(page1.style.width).toBe('600px');
    expect(screen.getByText('100%')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Zoom in' }));
    expect(screen.getByText('125%')).toBeInTheDocument();
    await waitFor(() => expect(pageSection(1).style.width).toBe('750px'));
    await waitFor(() => expect(fakePdf.drawn.some((d) => d.page === 1 && d.scale === 1.25)).toBe(true));
  });

  it('says so, in words, when the PDF cannot be shown', async () => {
    fakePdf.error = pdfError('PasswordException');
    start(viewerPath('d1'));
    expect(await screen.findByRole('alert', {}, { timeout: 5000 })).toHaveTextContent(
      'This PDF is protected by a password, so Docent cannot show it here. Download the original to open it.',
    );
    expect(screen.getByRole('link', { name: 'Download the original' })).toBeInTheDocument();
  });

  it('shows the server’s sentence when the file cannot be had', async () => {
    api.documentFile.mockRejectedValueOnce(new ApiError(404, 'not_found', 'Document not found.'));
    start(viewerPath('d1'));
    expect(await screen.findByRole('alert', {}, { timeout: 5000 })).toHaveTextContent('Document not found.');
  });

  it('lets go of the PDF when the page is left', async () => {
    const { router } = start(viewerPath('d1', { page: 1 }));
    await drawn(1);
    router.navigate('/app/history');
    await waitFor(() => expect(fakePdf.destroyed).toBe(1));
  });
});

describe('the PDF component alone', () => {
  it('says when pdf.js itself cannot be loaded', async () => {
    render(PdfView, {
      api,
      documentId: 'd1',
      describe: (error: unknown) => String(error),
      load: () => Promise.reject(new TypeError('Failed to fetch dynamically imported module')),
    });
    expect(await screen.findByRole('alert')).toHaveTextContent('The PDF viewer could not be loaded. Reload the page to try again.');
  });

  it('says when a file is not a PDF at all', async () => {
    fakePdf.error = pdfError('InvalidPDFException');
    render(PdfView, {
      api,
      documentId: 'd1',
      describe: (error: unknown) => String(error),
      load: async () => fakePdfModule as unknown as typeof import('../lib/pdf'),
    });
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'This file could not be read as a PDF. Download the original to open it with another program.',
    );
  });
});

describe('other formats', () => {
  const handbook = doc({
    id: 'd2',
    workspaceId: 'w1',
    name: 'handbook.docx',
    format: 'docx',
    mediaType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    bytes: 37472,
    pages: 2,
    chunks: 6,
  });

  it('quote the passage with where it is and its page, its words marked, and offer the original', async () => {
    api.getDocument.mockResolvedValue(handbook);
    start(
      viewerPath('d2', {
        page: 2,
        q: 'Voyagex portal',
        passage: 'Train tickets must be booked through the Voyagex portal.',
        title: 'Staff handbook › Expenses › Travel',
      }),
    );
    expect(await screen.findByRole('heading', { level: 1, name: 'handbook.docx' }, { timeout: 5000 })).toBeInTheDocument();
    const quote = screen.getByRole('region', { name: 'Found: Staff handbook › Expenses › Travel, page 2' });
    expect(quote).toHaveTextContent('Train tickets must be booked through the Voyagex portal.');
    expect([...quote.querySelectorAll('mark')].map((mark) => mark.textContent)).toEqual(['Voyagex', 'portal']);
    expect(screen.getByText(/This is a Word file: the passage is quoted above; download the original to read all of it\./)).toBeInTheDocument();
    expect(screen.getByText('Word · 37 KB · Ready · 2 pages · 6 passages')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Download the original' })).toHaveAttribute('href', '/documents/d2/file');
    expect(screen.queryByRole('toolbar')).not.toBeInTheDocument();
    expect(api.documentFile).not.toHaveBeenCalled();
  });

  it('without a passage, say how to read the file', async () => {
    api.getDocument.mockResolvedValue(doc({ id: 'd3', name: 'notes.md', format: 'markdown', pages: null }));
    start(viewerPath('d3'));
    expect(await screen.findByText(/This is a Markdown file: download the original to read it\./, {}, { timeout: 5000 })).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: /^(Cited|Found)/ })).not.toBeInTheDocument();
  });

  it('in the desktop app, the original’s bytes are fetched and saved through a link', async () => {
    const desktop = fakeDesktopApi();
    desktop.currentUser.mockResolvedValue(ada);
    desktop.getDocument.mockResolvedValue(handbook);
    desktop.documentFile.mockResolvedValue({ bytes: new Uint8Array([80, 75]).buffer, contentType: null });
    const blobs: Blob[] = [];
    // jsdom has no object URLs: this file's own (each test file has its own window).
    Object.defineProperty(URL, 'createObjectURL', {
      configurable: true,
      value: (blob: Blob) => {
        blobs.push(blob);
        return 'blob:docent/1';
      },
    });
    Object.defineProperty(URL, 'revokeObjectURL', { configurable: true, value: () => undefined });
    const clicked: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });
    const user = userEvent.setup();
    start(viewerPath('d2'), desktop);
    await user.click(await screen.findByRole('button', { name: 'Download the original' }, { timeout: 5000 }));
    await waitFor(() => expect(clicked).toHaveLength(1));
    expect(desktop.documentFile).toHaveBeenCalledWith('d2');
    expect(clicked[0]?.download).toBe('handbook.docx');
    expect(clicked[0]?.href).toBe('blob:docent/1');
    expect(blobs[0]?.type).toBe(handbook.mediaType);
    expect(blobs[0]?.size).toBe(2);
  });

  it('a deleted document says so, and the cited passage is still quoted', async () => {
    api.getDocument.mockRejectedValue(new ApiError(404, 'not_found', 'Document not found.'));
    start(viewerPath('gone', { page: 4, passage: 'What the answer quoted.', title: 'old.pdf' }));
    expect(await screen.findByRole('alert', {}, { timeout: 5000 })).toHaveTextContent('Document not found.');
    expect(screen.getByRole('heading', { level: 1, name: 'old.pdf' })).toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Cited: old.pdf, page 4' })).toHaveTextContent('What the answer quoted.');
  });
});

describe('a citation in the chat', () => {
  it('of a workspace’s own document opens the viewer at its page; the retrieval API’s keeps its link', async () => {
    const user = userEvent.setup();
    api.getConversation.mockResolvedValue(conversation({ id: 'c1', workspaceId: 'w1' }));
    api.chatHistory.mockResolvedValue({
      conversationId: 'c1',
      messages: [
        message({ id: 'm1', content: 'When are permits renewed?' }),
        message({
          id: 'm2',
          role: 'assistant',
          content: 'Every January [1], says the intranet [2].',
          citations: [
            citation({
              index: 1,
              chunkId: 'p3',
              source: 'three-pages.pdf',
              title: 'three-pages.pdf',
              url: null,
              page: 2,
              snippet: 'Parking permits are renewed every January.',
              documentId: 'd1',
            }),
            citation({ index: 2 }),
          ],
        }),
      ],
    });
    start('/app/w/w1/c/c1');
    const log = await screen.findByRole('log', { name: 'Messages' }, { timeout: 5000 });
    await user.click(await within(log).findByRole('button', { name: 'Source 1: three-pages.pdf' }));
    const panel = screen.getByRole('complementary', { name: 'Source 1' });
    expect(panel).toHaveTextContent('three-pages.pdf, page 2');
    const open = within(panel).getByRole('link', { name: 'Open the document at page 2' });
    expect(open).not.toHaveAttribute('target');
    const href = new URL(open.getAttribute('href') ?? '', 'http://x');
    expect(href.pathname).toBe('/app/d/d1');
    expect(Object.fromEntries(href.searchParams)).toEqual({
      page: '2',
      passage: 'Parking permits are renewed every January.',
      title: 'three-pages.pdf',
    });

    await user.click(within(log).getByRole('button', { name: 'Source 2: Staff handbook' }));
    const remote = within(screen.getByRole('complementary', { name: 'Source 2' })).getByRole('link', { name: 'Open the document' });
    expect(remote).toHaveAttribute('href', 'https://intranet.example.com/handbook.pdf');
    expect(remote).toHaveAttribute('target', '_blank');

    // The local one opens in the app, at the page, the passage highlighted.
    await user.click(within(log).getByRole('button', { name: 'Source 1: three-pages.pdf' }));
    await user.click(within(screen.getByRole('complementary', { name: 'Source 1' })).getByRole('link', { name: 'Open the document at page 2' }));
    expect(window.location.pathname).toBe('/app/d/d1');
    const page2 = await drawn(2);
    expect(page2.querySelector('mark.passage')).toHaveTextContent('Parking permits are renewed every January');
  });
});
