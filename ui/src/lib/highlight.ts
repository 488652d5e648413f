/**
 * Finding words and passages in text, for highlighting: a search's words in its results'
 * snippets, and a cited passage on its page of a PDF. Kept free of the DOM (text-layer.ts
 * applies it to pdf.js's text layer).
 *
 * Words are what the document search matches on (crates/core `SearchTerms`): runs of letters
 * and digits, lowercased, without the commonest English words; a word matches another when
 * their stems are the same ("permits" finds "permit", "renewed" finds "renew").
 */

/** Words too common to mark (the document search leaves them out too). */
const STOPWORDS: ReadonlySet<string> = new Set([
  'a', 'about', 'above', 'after', 'again', 'all', 'am', 'an', 'and', 'any', 'are', 'as', 'at',
  'be', 'because', 'been', 'before', 'being', 'below', 'between', 'both', 'but', 'by', 'can',
  'could', 'did', 'do', 'does', 'doing', 'down', 'during', 'each', 'few', 'for', 'from',
  'further', 'had', 'has', 'have', 'having', 'he', 'her', 'here', 'hers', 'him', 'his', 'how',
  'i', 'if', 'in', 'into', 'is', 'it', 'its', 'itself', 'just', 'me', 'more', 'most', 'my',
  'no', 'nor', 'not', 'now', 'of', 'off', 'on', 'once', 'only', 'or', 'other', 'our', 'ours',
  'out', 'over', 'own', 'same', 'she', 'should', 'so', 'some', 'such', 'than', 'that', 'the',
  'their', 'theirs', 'them', 'then', 'there', 'these', 'they', 'this', 'those', 'through',
  'to', 'too', 'under', 'until', 'up', 'very', 'was', 'we', 'were', 'what', 'when', 'where',
  'which', 'while', 'who', 'whom', 'why', 'will', 'with', 'would', 'you', 'your', 'yours',
]);

/** A word of a text, and where it is (`text.slice(start, end)`). */
export interface Token {
  /** The word as compared: NFKC (ligatures apart), lowercased. */
  word: string;
  start: number;
  end: number;
}

const WORD = /[\p{L}\p{N}]+/gu;

/** The words of `text`, in order, with their places. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const match of text.matchAll(WORD)) {
    tokens.push({ word: match[0].normalize('NFKC').toLowerCase(), start: match.index, end: match.index + match[0].length });
  }
  return tokens;
}

/** A crude English stem: the word without a plural, past or -ing ending. */
export function stem(word: string): string {
  const lower = word.toLowerCase();
  for (const suffix of ['ing', 'ed', 'es', 's']) {
    if (lower.endsWith(suffix) && lower.length - suffix.length >= 3) return lower.slice(0, -suffix.length);
  }
  return lower;
}

/** The words of a search worth marking, as stems, each once. */
export function queryWords(query: string): string[] {
  const words: string[] = [];
  for (const { word } of tokenize(query)) {
    const singleLetter = [...word].length < 2 && /^\p{L}$/u.test(word);
    if (singleLetter || STOPWORDS.has(word)) continue;
    const stemmed = stem(word);
    if (!words.includes(stemmed)) words.push(stemmed);
  }
  return words;
}

/** Whether a word of a text is one of the search's (`words` from `queryWords`). */
export function matchesWord(word: string, words: readonly string[]): boolean {
  return words.length > 0 && words.includes(stem(word));
}

/** A piece of text, marked when it is one of the search's words. */
export interface TextPart {
  text: string;
  mark: boolean;
}

/** `text` cut into pieces, the search's words marked (and nothing else changed). */
export function highlightParts(text: string, words: readonly string[]): TextPart[] {
  const parts: TextPart[] = [];
  let at = 0;
  for (const token of tokenize(text)) {
    if (!matchesWord(token.word, words)) continue;
    if (token.start > at) parts.push({ text: text.slice(at, token.start), mark: false });
    parts.push({ text: text.slice(token.start, token.end), mark: true });
    at = token.end;
  }
  if (at < text.length) parts.push({ text: text.slice(at), mark: false });
  return parts;
}

/**
 * At most `maxWords` words of `text`, starting a few words before the first of the search's
 * words, with "…" where it was cut. The whole text when it is short enough.
 */
export function excerpt(text: string, words: readonly string[], maxWords = 60): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  const tokens = tokenize(clean);
  if (tokens.length <= maxWords) return clean;
  const first = Math.max(0, tokens.findIndex((token) => matchesWord(token.word, words)));
  // A few words before the first match, for context, but never so many that it falls out.
  const lead = Math.min(8, Math.floor(maxWords / 3));
  const from = Math.min(Math.max(0, first - lead), tokens.length - maxWords);
  const to = from + maxWords;
  const start = from === 0 ? 0 : (tokens[from]?.start ?? 0);
  const end = to >= tokens.length ? clean.length : (tokens[to - 1]?.end ?? clean.length);
  return `${from > 0 ? '…' : ''}${clean.slice(start, end)}${to < tokens.length ? '…' : ''}`;
}

/** Where a passage was found among a page's words: tokens `start` to `end` (exclusive). */
export interface PassageMatch {
  start: number;
  end: number;
  /** How many of the passage's words the range holds. */
  matched: number;
}

/**
 * Finds a passage among a page's words (`page` and `passage` as from `tokenize`, words only).
 * The text of a PDF page as pdf.js reads it differs a little from what the indexer read
 * (hyphens at line ends, ligatures, headers), so this looks for the stretch of the page, a
 * little longer than the passage, that holds the most of its words, then keeps the shortest
 * part of it that holds as many (no word the passage lacks at either end). Null when no
 * stretch holds at least half of them (and two, at the least), so a passage from another
 * page is not "found" in a few common words.
 */
export function findPassage(page: readonly string[], passage: readonly string[]): PassageMatch | null {
  const n = passage.length;
  if (n === 0 || page.length === 0) return null;
  const wanted = new Map<string, number>();
  for (const word of passage) wanted.set(word, (wanted.get(word) ?? 0) + 1);

  // Room for a few words the page has and the passage has not (a word split in two…).
  const width = Math.min(n + Math.ceil(n / 10) + 2, page.length);
  const held = new Map<string, number>();
  let score = 0;
  const add = (word: string) => {
    const count = (held.get(word) ?? 0) + 1;
    held.set(word, count);
    if (count <= (wanted.get(word) ?? 0)) score += 1;
  };
  const remove = (word: string) => {
    const count = held.get(word) ?? 0;
    held.set(word, count - 1);
    if (count <= (wanted.get(word) ?? 0)) score -= 1;
  };

  for (let i = 0; i < width; i++) add(page[i] as string);
  let best = score;
  let bestStart = 0;
  for (let start = 1; start + width <= page.length; start++) {
    remove(page[start - 1] as string);
    add(page[start + width - 1] as string);
    if (score > best) {
      best = score;
      bestStart = start;
    }
  }

  const needed = Math.max(Math.min(2, n), Math.ceil(n / 2));
  if (best < needed) return null;
  // The shortest stretch of the best one that still holds as many of the passage's words:
  // for each end, the latest start that loses none (the first such stretch wins a tie).
  held.clear();
  score = 0;
  let start = bestStart;
  let end = bestStart + width;
  let left = bestStart;
  for (let right = bestStart; right < bestStart + width; right++) {
    add(page[right] as string);
    for (;;) {
      const word = page[left] as string;
      if (left >= right || (held.get(word) ?? 0) <= (wanted.get(word) ?? 0)) break;
      remove(word);
      left += 1;
    }
    if (score === best && right + 1 - left < end - start) {
      start = left;
      end = right + 1;
    }
  }
  return { start, end, matched: best };
}
