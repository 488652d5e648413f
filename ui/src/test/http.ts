/** Helpers for tests of the HTTP `Api` (`httpApi`, `createHttpApi`): a scripted `fetch`. */

import { vi } from 'vitest';

/** Replaces globalThis.fetch with a mock that answers `responses` in order. */
export function stubFetch(...responses: Array<Response | Error>) {
  const fetchMock = vi.fn<typeof fetch>();
  for (const response of responses) {
    if (response instanceof Error) fetchMock.mockRejectedValueOnce(response);
    else fetchMock.mockResolvedValueOnce(response);
  }
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

/** An error answer in the server's envelope. */
export function envelope(status: number, code: string, message: string, headers: Record<string, string> = {}) {
  return json(status, { error: { code, message } }, headers);
}

/** The `[url, init]` of the n-th fetch call. */
export function call(fetchMock: ReturnType<typeof stubFetch>, n = 0): [string, RequestInit] {
  const args = fetchMock.mock.calls[n];
  if (!args) throw new Error(`fetch was not called ${n + 1} time(s)`);
  return [String(args[0]), args[1] ?? {}];
}

/** The JSON body a request sent. */
export function bodyOf(init: RequestInit): unknown {
  return init.body === undefined ? undefined : JSON.parse(String(init.body));
}

/**
 * Stands in for `XMLHttpRequest` (uploads): records the request; the test plays the server
 * with `progress`, `respond`, `fail`. `FakeXhr.last` is the newest request.
 */
export class FakeXhr {
  static last: FakeXhr | null = null;
  static all: FakeXhr[] = [];
  method = '';
  url = '';
  readonly headers: Record<string, string> = {};
  body: unknown = undefined;
  status = 0;
  responseText = '';
  aborted = false;
  #responseHeaders: Record<string, string> = {};
  readonly upload: { onprogress: ((event: ProgressEvent) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;

  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }

  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }

  getResponseHeader(name: string): string | null {
    return this.#responseHeaders[name.toLowerCase()] ?? null;
  }

  send(body: unknown) {
    this.body = body;
    FakeXhr.last = this;
    FakeXhr.all.push(this);
  }

  abort() {
    this.aborted = true;
    this.onabort?.();
  }

  /** The browser reports `loaded` of `total` bytes of the body sent. */
  progress(loaded: number, total: number) {
    this.upload.onprogress?.({ lengthComputable: true, loaded, total } as ProgressEvent);
  }

  /** The server answers. */
  respond(status: number, body: unknown, headers: Record<string, string> = {}) {
    this.status = status;
    this.responseText = typeof body === 'string' ? body : JSON.stringify(body);
    for (const [name, value] of Object.entries(headers)) this.#responseHeaders[name.toLowerCase()] = value;
    this.onload?.();
  }

  /** The connection breaks. */
  fail() {
    this.onerror?.();
  }
}

/** Replaces `XMLHttpRequest` with `FakeXhr` (undone after each test: `unstubGlobals`). */
export function stubXhr() {
  FakeXhr.last = null;
  FakeXhr.all = [];
  vi.stubGlobal('XMLHttpRequest', FakeXhr);
}
