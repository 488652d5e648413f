import { describe, expect, it } from 'vitest';
import { internalPathForClick, isPrivate, parseRoute, appPaths, redirectFor } from './routes';
import { MAX_PASSAGE_IN_URL, viewerPath, viewerQuery, viewerSearch } from './viewer';

describe('the documents routes', () => {
  it('match a workspace’s documents and a document, both private', () => {
    expect(parseRoute('/app/w/w1/documents')).toEqual({ name: 'workspaceDocuments', params: { workspaceId: 'w1' } });
    expect(parseRoute('/app/d/d-1')).toEqual({ name: 'document', params: { documentId: 'd-1' } });
    expect(parseRoute('/app/d/d-1?page=2')).toEqual({ name: 'document', params: { documentId: 'd-1' } });
    expect(parseRoute('/app/d/bad%20id')).toBeNull();
    expect(isPrivate('workspaceDocuments')).toBe(true);
    expect(isPrivate('document')).toBe(true);
    expect(redirectFor('document', 'signed_out')).toBe('/login');
    expect(redirectFor('document', 'signed_in')).toBeNull();
    expect(appPaths.workspaceDocuments('w 1')).toBe('/app/w/w%201/documents');
  });

  it('a click on a viewer link keeps its query; other in-app links drop theirs', () => {
    const click = { button: 0, defaultPrevented: false, metaKey: false, ctrlKey: false, shiftKey: false, altKey: false };
    const here = 'http://127.0.0.1:8787/app/w/w1/documents';
    const link = (href: string) => ({ href, target: '', hasDownload: false });
    expect(internalPathForClick(click, link('/app/d/d1?page=2&q=parking'), here)).toBe('/app/d/d1?page=2&q=parking');
    expect(internalPathForClick(click, link('/app/w/w1/documents?x=1'), here)).toBe('/app/w/w1/documents');
    expect(internalPathForClick(click, link('/documents/d1/file'), here)).toBeNull();
  });
});

describe('viewer addresses', () => {
  it('carry the page, the search’s words, the passage and its title, leaving out what is not given', () => {
    const path = viewerPath('d 1', { page: 2, q: ' parking permits ', passage: 'Parking\n permits  are renewed.', title: 'Handbook › Parking' });
    expect(path).toBe('/app/d/d%201?page=2&q=parking+permits&passage=Parking+permits+are+renewed.&title=Handbook+%E2%80%BA+Parking');
    expect(viewerQuery(path.slice(path.indexOf('?')))).toEqual({
      page: 2,
      q: 'parking permits',
      passage: 'Parking permits are renewed.',
      title: 'Handbook › Parking',
    });
    expect(viewerPath('d1')).toBe('/app/d/d1');
    expect(viewerSearch({ page: null, q: '', passage: '   ', title: null })).toBe('');
    expect(viewerSearch({ page: 0 })).toBe('');
  });

  it('cut a long passage at a word’s end', () => {
    const passage = 'word '.repeat(1000).trim();
    const cut = viewerQuery(viewerSearch({ passage })).passage ?? '';
    expect(cut.length).toBeLessThanOrEqual(MAX_PASSAGE_IN_URL);
    expect(cut.endsWith('word')).toBe(true);
  });

  it('ignore a page that is not a positive whole number', () => {
    expect(viewerQuery('?page=abc').page).toBeNull();
    expect(viewerQuery('?page=-3').page).toBeNull();
    expect(viewerQuery('').page).toBeNull();
  });
});
