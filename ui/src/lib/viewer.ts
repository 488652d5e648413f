/**
 * The document viewer's addresses (`/app/d/{documentId}?page=…&q=…&passage=…&title=…`): the
 * page to open at, a search's words to mark, and the passage (cited or found) to highlight
 * and quote. Only the signed-in views use them, so they are not part of routes.ts.
 */

import { queryParam } from './routes';

/** Where the document viewer opens a document, and what it marks there. */
export interface ViewerQuery {
  /** The page (1-based), for formats with pages. */
  page?: number | null;
  /** A search's words, marked on the page. */
  q?: string | null;
  /** The cited or found passage, highlighted on the page (and quoted for formats the app does not show). */
  passage?: string | null;
  /** Where in the document the passage is ("Handbook › Leave policy"). */
  title?: string | null;
}

/** The longest passage a viewer address carries: enough to find it on its page. */
export const MAX_PASSAGE_IN_URL = 1500;

/** `?page=…&q=…&passage=…&title=…`, leaving out what is not given; '' when nothing is. */
export function viewerSearch(at: ViewerQuery): string {
  const params = new URLSearchParams();
  if (at.page && Number.isInteger(at.page) && at.page > 0) params.set('page', String(at.page));
  if (at.q?.trim()) params.set('q', at.q.trim());
  const passage = at.passage?.replace(/\s+/g, ' ').trim() ?? '';
  if (passage) {
    // Cut at a word's end: the rest of a long passage is on the page anyway.
    const cut = passage.length > MAX_PASSAGE_IN_URL ? passage.slice(0, MAX_PASSAGE_IN_URL).replace(/\s+\S*$/, '') : passage;
    params.set('passage', cut);
  }
  if (at.title?.trim()) params.set('title', at.title.trim());
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The viewer's address for a document: at a page, with the passage to show and the words to mark. */
export function viewerPath(documentId: string, at: ViewerQuery = {}): string {
  return `/app/d/${encodeURIComponent(documentId)}${viewerSearch(at)}`;
}

/** What a viewer address asks for (its query string), ignoring what cannot be used. */
export function viewerQuery(search: string): { page: number | null; q: string | null; passage: string | null; title: string | null } {
  const page = Number.parseInt(queryParam(search, 'page') ?? '', 10);
  return {
    page: Number.isInteger(page) && page > 0 ? page : null,
    q: queryParam(search, 'q'),
    passage: queryParam(search, 'passage'),
    title: queryParam(search, 'title'),
  };
}
