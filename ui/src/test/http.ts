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
