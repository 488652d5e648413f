/**
 * A small parser for server-sent events (the `text/event-stream` format), fed with text
 * as it arrives. `EventSource` cannot send a POST, so the chat reads its stream with
 * `fetch` and hands the decoded text to this parser.
 *
 * It follows the WHATWG rules that matter here: lines end with CRLF, LF or CR (even when
 * a CRLF is split between two chunks); `data:` lines are joined with newlines; a blank
 * line ends an event; lines starting with `:` are comments (keep-alives); one space after
 * the colon is dropped; an event without data is not dispatched.
 */

export interface SseEvent {
  /** The `event:` field, or `message` when there was none. */
  event: string;
  /** The `data:` lines, joined with `\n`. */
  data: string;
  /** The last `id:` seen, or '' when none. */
  id: string;
}

export class SseParser {
  #buffer = '';
  /** The previous chunk ended with CR: a LF starting the next one belongs to it. */
  #afterCr = false;
  #event = '';
  #data: string[] = [];
  #hasData = false;
  #lastId = '';

  /** Adds decoded text; returns the events it completed, in order. */
  push(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    let chunk = text;
    if (this.#afterCr && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.#afterCr = false;
    this.#buffer += chunk;

    let start = 0;
    for (let i = 0; i < this.#buffer.length; i++) {
      const char = this.#buffer[i];
      if (char !== '\n' && char !== '\r') continue;
      const line = this.#buffer.slice(start, i);
      if (char === '\r') {
        if (i + 1 < this.#buffer.length) {
          if (this.#buffer[i + 1] === '\n') i++;
        } else {
          this.#afterCr = true;
        }
      }
      start = i + 1;
      const event = this.#line(line);
      if (event) events.push(event);
    }
    this.#buffer = this.#buffer.slice(start);
    return events;
  }

  /**
   * The end of the stream. An event that was not closed by a blank line is dropped, as
   * the standard says: it may have been cut off.
   */
  end(): SseEvent[] {
    this.#buffer = '';
    this.#reset();
    return [];
  }

  #line(line: string): SseEvent | null {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.#event = value;
        break;
      case 'data':
        this.#data.push(value);
        this.#hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.#lastId = value;
        break;
      default:
        // `retry` and unknown fields do not matter to a fetch-based reader.
        break;
    }
    return null;
  }

  #dispatch(): SseEvent | null {
    const event = this.#hasData ? { event: this.#event || 'message', data: this.#data.join('\n'), id: this.#lastId } : null;
    this.#reset();
    return event;
  }

  #reset(): void {
    this.#event = '';
    this.#data = [];
    this.#hasData = false;
  }
}
