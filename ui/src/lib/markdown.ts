/**
 * Turns an answer's Markdown into HTML that is safe to put in the page.
 *
 * Answers come from a language model that read documents: anything in them may have been
 * written by someone else (prompt injection), so the Markdown is treated as hostile:
 *
 * - raw HTML in the Markdown is shown as text, never interpreted;
 * - images become plain links (an image would load by itself, and its URL could carry
 *   data out of the page);
 * - the result goes through DOMPurify, which removes scripts, event handlers and
 *   `javascript:` URLs whatever produced them;
 * - links open in a new tab with `rel="noopener noreferrer"`.
 *
 * Citation markers — `[1]`, `[2, 3]`, `[1][2]` — become numbered buttons
 * (`<button class="cite" data-cite="2">`) that the message view turns into a source panel.
 */

import DOMPurify from 'dompurify';
import { Marked, type Tokens, type TokenizerAndRendererExtension } from 'marked';
import type { Citation } from './chat-types';

/** A citation marker at the start of `src`: `[1]` or `[2, 3]`, not a link `[1](…)`. */
const CITATION = /^\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\](?!\()/;

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** What a citation chip is called for screen readers and in its tooltip. */
export function citationLabel(index: number, citation: Citation | undefined): string {
  const name = citation ? citation.title || citation.source : '';
  return name ? `Source ${index}: ${name}` : `Source ${index}`;
}

/**
 * The sources of the answer being rendered, or null while it is still being written (its
 * sources arrive at the end: until then every marker becomes a chip). Set only for the
 * duration of one synchronous `parse`.
 */
let sources: ReadonlyMap<number, Citation> | null = null;

interface CitationToken extends Tokens.Generic {
  type: 'citation';
  raw: string;
  numbers: number[];
}

const citationExtension: TokenizerAndRendererExtension = {
  name: 'citation',
  level: 'inline',
  start(src) {
    const found = src.search(/\[\d/);
    return found === -1 ? undefined : found;
  },
  tokenizer(src) {
    const match = CITATION.exec(src);
    if (!match?.[1]) return undefined;
    const numbers = match[1].split(',').map((part) => Number.parseInt(part.trim(), 10));
    const token: CitationToken = { type: 'citation', raw: match[0], numbers };
    return token;
  },
  renderer(token) {
    const { numbers, raw } = token as CitationToken;
    // Once the sources are known, a marker naming none of them is just text (a year…).
    if (sources !== null && !numbers.some((index) => sources?.has(index))) return escapeHtml(raw);
    return numbers
      .map((index) => {
        const citation = sources?.get(index);
        if (sources !== null && !citation) return escapeHtml(`[${index}]`);
        const label = escapeHtml(citationLabel(index, citation));
        return `<button type="button" class="cite" data-cite="${index}" aria-label="${label}" title="${label}">${index}</button>`;
      })
      .join('');
  },
};

const marked = new Marked({
  gfm: true,
  breaks: false,
  extensions: [citationExtension],
  renderer: {
    // Raw HTML from the model is shown as the text it is.
    html(token) {
      const text = escapeHtml(token.text);
      return 'block' in token && token.block ? `<p>${text}</p>` : text;
    },
    // Never load an image: link to it instead.
    image({ href, text }) {
      const label = escapeHtml(text || href);
      return `<a href="${escapeHtml(href)}">${label}</a>`;
    },
  },
});

const purify = DOMPurify(window);
purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

/**
 * The safe HTML of an answer. `citations` are its sources, or null while it is still being
 * written (then every marker is a chip, so the text does not jump when they arrive).
 */
export function renderAnswer(markdown: string, citations: readonly Citation[] | null): string {
  sources = citations === null ? null : new Map(citations.map((citation) => [citation.index, citation]));
  let html: string;
  try {
    html = marked.parse(markdown, { async: false });
  } finally {
    sources = null;
  }
  return purify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'img', 'svg', 'math', 'form', 'iframe', 'object', 'embed', 'video', 'audio'],
    FORBID_ATTR: ['style', 'srcset', 'src'],
  });
}

/** Whether a URL may be offered as a link: only http(s) and mailto, nothing that runs code. */
export function isSafeUrl(url: string | null): url is string {
  if (!url) return false;
  try {
    const parsed = new URL(url, 'https://invalid.example');
    return ['http:', 'https:', 'mailto:'].includes(parsed.protocol) && /^(https?:|mailto:)/i.test(url.trim());
  } catch {
    return false;
  }
}
