/**
 * Marks a cited passage and a search's words on a page's text layer: the transparent,
 * selectable text pdf.js lays over the page's canvas, one element per run of text, a `<br>`
 * at each line's end. The marks are `<mark>` elements around the matching text, inside those
 * runs, so they sit exactly over the words on the canvas.
 */

import { findPassage, matchesWord, tokenize } from './highlight';

/** What was marked on a page. */
export interface PageMarks {
  /** Whether the passage was found (false when there was none to find). */
  passageFound: boolean;
  /** How many of the search's words were marked. */
  terms: number;
  /** The first mark on the page, to scroll to; null when nothing was marked. */
  first: HTMLElement | null;
}

interface Span {
  start: number;
  end: number;
  className: string;
}

/**
 * Marks, in the text layer `container`, the stretch of text that best matches `passage`
 * (class `passage`) and, outside it, each of the search's `words` (class `term`, `words` as
 * from `queryWords`).
 */
export function markTextLayer(container: HTMLElement, passage: string | null, words: readonly string[]): PageMarks {
  // The page's text as one string, each text node's place in it, a line break per <br>.
  const nodes: Array<{ node: Text; start: number }> = [];
  let text = '';
  const walker = container.ownerDocument.createTreeWalker(container, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.nodeType === Node.TEXT_NODE) {
      nodes.push({ node: node as Text, start: text.length });
      text += (node as Text).data;
    } else if ((node as Element).tagName === 'BR') {
      text += '\n';
    }
  }

  const tokens = tokenize(text);
  const spans: Span[] = [];
  let passageFound = false;
  if (passage && passage.trim()) {
    const found = findPassage(
      tokens.map((token) => token.word),
      tokenize(passage).map((token) => token.word),
    );
    const first = found ? tokens[found.start] : undefined;
    const last = found ? tokens[found.end - 1] : undefined;
    if (first && last) {
      spans.push({ start: first.start, end: last.end, className: 'passage' });
      passageFound = true;
    }
  }
  const inPassage = spans[0];
  let terms = 0;
  for (const token of tokens) {
    if (inPassage && token.start >= inPassage.start && token.end <= inPassage.end) continue;
    if (!matchesWord(token.word, words)) continue;
    spans.push({ start: token.start, end: token.end, className: 'term' });
    terms += 1;
  }
  spans.sort((a, b) => a.start - b.start);

  // Text nodes and spans both go in order, so the marks do too.
  const marks: HTMLElement[] = [];
  for (const { node, start } of nodes) {
    const end = start + node.data.length;
    let current: Text | null = node;
    let offset = start;
    for (const span of spans) {
      if (!current || span.end <= offset || span.start >= end) continue;
      const from = Math.max(span.start, offset) - offset;
      const to = Math.min(span.end, end) - offset;
      const target: Text = from > 0 ? current.splitText(from) : current;
      const rest: Text | null = to - from < target.data.length ? target.splitText(to - from) : null;
      const mark = container.ownerDocument.createElement('mark');
      mark.className = span.className;
      target.replaceWith(mark);
      mark.append(target);
      marks.push(mark);
      current = rest;
      offset += to;
    }
  }
  return { passageFound, terms, first: marks[0] ?? null };
}
