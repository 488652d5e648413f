/**
 * Stands in for `@tauri-apps/api/core` in tests of the Tauri `Api`. A test file mocks the
 * module with it:
 *
 *     vi.mock('@tauri-apps/api/core', () => import('../test/tauri-core'));
 *
 * and plays the shell: `answer`/`refuse` script the next `invoke`, and `FakeChannel.last`
 * is the channel the UI passed last, whose `send` delivers a message as the shell would.
 */

import { vi } from 'vitest';

export const invoke = vi.fn<(command: string, args?: Record<string, unknown>) => Promise<unknown>>();

/** Stands in for Tauri's `Channel`: the test plays the shell's side with `send`. */
export class FakeChannel<T = unknown> {
  static last: FakeChannel | null = null;
  onmessage: (message: T) => void;
  constructor(onmessage?: (message: T) => void) {
    this.onmessage = onmessage ?? (() => undefined);
    FakeChannel.last = this as FakeChannel;
  }
  send(message: T) {
    this.onmessage(message);
  }
}

export { FakeChannel as Channel };

/** Makes the next `invoke` resolve with `value`. */
export function answer(value: unknown) {
  invoke.mockResolvedValueOnce(value);
}

/** Makes the next `invoke` reject with `value`. */
export function refuse(value: unknown) {
  invoke.mockRejectedValueOnce(value);
}

/** Forgets the calls and scripted answers of earlier tests. */
export function resetTauri() {
  invoke.mockReset();
  FakeChannel.last = null;
}
