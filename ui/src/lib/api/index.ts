/**
 * The one place the UI talks to Docent's server.
 *
 * Views only see the `Api` interface and `ApiError`; they never call `fetch`
 * themselves. `chooseApi()` picks the implementation for the current runtime:
 * `httpApi` below, or `tauriApi` (./tauri-api.ts) inside the desktop app.
 *
 * Over HTTP, the session lives in the HttpOnly `session_id` cookie that the server
 * sets on login. The UI never reads, keeps or sends the session token itself: the
 * login response's `session_token` is deliberately dropped here. In the desktop
 * app, the Tauri shell keeps the token and never hands it to JavaScript.
 */

export * from './account';
export type { Api } from './contract';
export * from './errors';
export { createHttpApi, fileNameFrom, httpApi, parseRetryAfter, type HttpApiOptions } from './http';
export { createTauriApi, fromIpcError, IPC_ERROR, tauriApi } from './tauri';
export type * from '../chat-types';
export type * from '../settings-types';

import type { Api } from './contract';
import { httpApi } from './http';
import { tauriApi } from './tauri';

/**
 * Picks the `Api` for where the UI runs: inside the Tauri desktop app (which
 * defines `__TAURI_INTERNALS__` on the page's global object) the app's commands,
 * reached through `invoke`; everywhere else same-origin HTTP, which reaches
 * docent-server when the page itself was served by docent-server.
 */
export function chooseApi(): Api {
  return '__TAURI_INTERNALS__' in globalThis ? tauriApi : httpApi;
}
