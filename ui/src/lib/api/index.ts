/**
 * The one place the UI talks to Docent's server.
 *
 * Views only see the `Api` interface and `ApiError`; they never call `fetch`
 * themselves. `loadApi()` picks the implementation for the current runtime:
 * `httpApi` (./http.ts), or `tauriApi` (./tauri.ts) inside the desktop app.
 *
 * Over HTTP, the session lives in the HttpOnly `session_id` cookie that the server
 * sets on login. The UI never reads, keeps or sends the session token itself: the
 * login response's `session_token` is deliberately dropped here. In the desktop
 * app, the Tauri shell keeps the token and never hands it to JavaScript.
 */

export * from './account';
export type { Api } from './contract';
export * from './errors';
export { createHttpApi, fileNameFrom, httpApi, type HttpApiOptions } from './http';
export { parseRetryAfter } from './http-errors';
export type * from '../chat-types';
export type * from '../settings-types';
export type * from '../document-types';

import type { Api } from './contract';
import { httpApi } from './http';

/** Whether the UI runs inside the Tauri desktop app (which defines `__TAURI_INTERNALS__`). */
export function inDesktopApp(): boolean {
  return '__TAURI_INTERNALS__' in globalThis;
}

/**
 * The `Api` for where the UI runs: inside the desktop app, the app's commands, reached
 * through `invoke` (./tauri.ts); everywhere else same-origin HTTP, which reaches
 * docent-server when the page itself was served by docent-server. The desktop transport is
 * a file of its own that only the desktop app loads: a browser's first screen does without it.
 */
export async function loadApi(): Promise<Api> {
  if (!inDesktopApp()) return httpApi;
  const { tauriApi } = await import('./tauri');
  return tauriApi;
}
