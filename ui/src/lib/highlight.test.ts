import { describe, expect, it } from 'vitest';
import { excerpt, findPassage, highlightParts, matchesWord, queryWords, stem, tokenize } from './highlight';
import { markTextLayer } from './text-layer';

const words = (text: string) => tokenize(text).map((token) => token.word);

describe('words', () => {
  it('are runs of letters and digits, lowercased, with their places; ligatures are letters', () => {
    expect(tokenize('Café crème, 7:30! Ørjan’s ﬁle')).toEqual([
      { word: 'café', start: 0, end: 4 },
      { word: 'crème', start: 5, end: 10 },
      { word: '7', start: 12, end: 13 },
      { word: '30', start: 14, end: 16 },
      { word: 'ørjan', start: 18, end: 23 },
      { word: 's', start: 24, end: 25 },
      { word: 'file', start: 26, end: 29 },
    ]);
  });

  it('match by a crude stem: plurals, past tenses and -ing go', () => {
    expect(stem('Permits')).toBe('permit');
    expect(stem('renewed')).toBe('renew');
    expect(stem('parking')).toBe('park');
    expect(stem('boxes')).toBe('box');
    expect(stem('is')).toBe('is');
    expect(stem('bus')).toBe('bus');
  });

  it('of a search leave out common words and single letters, each word once', () => {
    expect(queryWords('When are the parking permits renewed? Parking, a permit!')).toEqual(['park', 'permit', 'renew']);
    expect(queryWords('the of and')).toEqual([]);
    expect(queryWords('OPS-4417 v2')).toEqual(['ops', '4417', 'v2']);
    expect(matchesWord('Permit', ['permit'])).toBe(true);
    expect(matchesWord('permission', ['permit'])).toBe(false);
    expect(matchesWord('anything', [])).toBe(false);
  });
});

describe('highlightParts', () => {
  it('marks the search’s words and keeps every other character', () => {
    const text = 'Parking permits are renewed every January.';
    const parts = highlightParts(text, queryWords('parking permit'));
    expect(parts).toEqual([
      { text: 'Parking', mark: true },
      { text: ' ', mark: false },
      { text: 'permits', mark: true },
      { text: ' are renewed every January.', mark: false },
    ]);
    expect(parts.map((part) => part.text).join('')).toBe(text);
  });

  it('marks nothing without words', () => {
    expect(highlightParts('Some text.', [])).toEqual([{ text: 'Some text.', mark: false }]);
    expect(highlightParts('', ['x'])).toEqual([]);
  });
});

describe('excerpt', () => {
  const long = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');

  it('keeps a short text whole (its spaces tidied)', () => {
    expect(excerpt('  A short\n passage. ', ['x'])).toBe('A short passage.');
  });

  it('cuts a long one around the first word searched for, saying where it was cut', () => {
    expect(excerpt(long, ['w50'], 30)).toBe(`…${Array.from({ length: 30 }, (_, i) => `w${42 + i}`).join(' ')}…`);
    expect(excerpt(long, ['w50'], 10)).toBe('…w47 w48 w49 w50 w51 w52 w53 w54 w55 w56…');
    expect(excerpt(long, ['nothing'], 5)).toBe('w0 w1 w2 w3 w4…');
    expect(excerpt(long, ['w99'], 5)).toBe('…w95 w96 w97 w98 w99');
  });
});

describe('findPassage', () => {
  const page = words(
    'Page two: parking. Parking permits are renewed every January. Bicycles are stored in the basement cage beside the boiler room. Footer 2',
  );

  it('finds a passage that is on the page, trimmed to its words', () => {
    const passage = words('Parking permits are renewed every January.');
    const found = findPassage(page, passage);
    expect(found).not.toBeNull();
    // The heading's "parking" just before is one too many: it is left out.
    expect(page.slice(found?.start, found?.end).join(' ')).toBe('parking permits are renewed every january');
    expect(found?.matched).toBe(passage.length);
  });

  it('tolerates what the page’s text adds or splits (a hyphen at a line’s end, a header)', () => {
    const split = words('Parking per- mits are renewed every January.');
    const passage = words('Parking permits are renewed every January. Bicycles are stored in the basement cage');
    const found = findPassage(split.concat(words('Bicycles are stored in the basement cage')), passage);
    expect(found).not.toBeNull();
    expect(found?.matched).toBe(passage.length - 1);
    expect(found?.start).toBe(0);
    expect(found?.end).toBe(14);
  });

  it('does not “find” a passage of another page in a few common words', () => {
    expect(findPassage(page, words('Fire drills take place every quarter at the assembly point.'))).toBeNull();
    expect(findPassage(page, words('quartz'))).toBeNull();
    expect(findPassage([], words('anything'))).toBeNull();
    expect(findPassage(page, [])).toBeNull();
  });

  it('finds a one-word passage only where it is', () => {
    expect(findPassage(page, ['bicycles'])).toMatchObject({ matched: 1 });
  });
});

/** A text layer as pdf.js makes one: a run of text per element, `<br>` at line ends. */
function textLayer(lines: string[][]): HTMLElement {
  const layer = document.createElement('div');
  for (const runs of lines) {
    for (const run of runs) {
      const span = document.createElement('span');
      span.textContent = run;
      layer.append(span);
    }
    layer.append(document.createElement('br'));
  }
  document.body.append(layer);
  return layer;
}

describe('markTextLayer', () => {
  it('wraps the passage in marks inside the runs of text, leaving the text as it was', () => {
    const layer = textLayer([['Page two: parking'], ['Parking permits are ', 'renewed every January.'], ['Bicycles are stored.']]);
    const before = layer.textContent;
    const marks = markTextLayer(layer, 'Parking permits are renewed every January.', []);
    expect(marks.passageFound).toBe(true);
    expect(layer.textContent).toBe(before);
    const marked = [...layer.querySelectorAll('mark.passage')];
    expect(marked.map((mark) => mark.parentElement?.tagName)).toEqual(['SPAN', 'SPAN']);
    // Across two runs; from the first word to the last (the full stop is not a word).
    expect(marked.map((mark) => mark.textContent).join('|')).toBe('Parking permits are |renewed every January');
    expect(marks.first).toBe(marked[0]);
    expect(layer.querySelectorAll('span')).toHaveLength(4);
  });

  it('marks the search’s words outside the passage, each on its own', () => {
    const layer = textLayer([['Parking permits are renewed every January.'], ['Visitor parking is free.']]);
    const marks = markTextLayer(layer, 'Parking permits are renewed every January.', queryWords('parking'));
    expect(marks).toMatchObject({ passageFound: true, terms: 1 });
    expect([...layer.querySelectorAll('mark.term')].map((mark) => mark.textContent)).toEqual(['parking']);
  });

  it('says when the passage is not on the page, still marking the words', () => {
    const layer = textLayer([['Fire drills take place every quarter.']]);
    const marks = markTextLayer(layer, 'Parking permits are renewed every January.', queryWords('fire drills'));
    expect(marks.passageFound).toBe(false);
    expect(marks.terms).toBe(2);
    expect(marks.first?.textContent).toBe('Fire');
  });

  it('marks nothing on an empty page, or with nothing to find', () => {
    expect(markTextLayer(textLayer([]), 'A passage here.', ['x'])).toEqual({ passageFound: false, terms: 0, first: null });
    const layer = textLayer([['Some words.']]);
    expect(markTextLayer(layer, null, [])).toEqual({ passageFound: false, terms: 0, first: null });
    expect(layer.querySelector('mark')).toBeNull();
  });
});
