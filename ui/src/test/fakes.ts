import { vi } from 'vitest';
import { ApiError, type Api, type CurrentUser } from '../lib/api';
import type { NavigateOptions, Navigator } from '../lib/router.svelte';
import { matchRoute, type RouteName } from '../lib/routes';

export const ada: CurrentUser = { userId: 'u1', email: 'ada@example.com', domain: 'example.com' };

/** An `Api` whose every method is a mock; by default nobody is signed in. */
export function fakeApi() {
  return {
    register: vi.fn<Api['register']>(async ({ email }) => ({ userId: 'u1', email })),
    login: vi.fn<Api['login']>(async () => ({ userId: 'u1', expiresAt: '2030-01-01T00:00:00Z' })),
    logout: vi.fn<Api['logout']>(async () => undefined),
    logoutAll: vi.fn<Api['logoutAll']>(async () => undefined),
    currentUser: vi.fn<Api['currentUser']>(async () => null),
    requestPasswordReset: vi.fn<Api['requestPasswordReset']>(async () => ({
      message: 'If an account exists for that email, we sent a link to reset its password.',
    })),
    resetPassword: vi.fn<Api['resetPassword']>(async () => ({ message: 'Your password was changed.' })),
    requestLoginEmail: vi.fn<Api['requestLoginEmail']>(async () => ({
      message: 'If that email can sign in here, we sent it a sign-in link and code.',
    })),
    verifyLogin: vi.fn<Api['verifyLogin']>(async () => ({ userId: 'u1', expiresAt: '2030-01-01T00:00:00Z' })),
  } satisfies Api;
}

/** A `Navigator` that only records where it was sent. */
export class FakeNavigator implements Navigator {
  path = '/';
  readonly visited: Array<{ path: string; replace: boolean }> = [];

  get route(): RouteName | null {
    return matchRoute(this.path);
  }

  navigate(path: string, options: NavigateOptions = {}): void {
    this.path = path;
    this.visited.push({ path, replace: options.replace ?? false });
  }

  /** How many times the query string was cleared. */
  queryCleared = 0;

  clearQuery(): void {
    this.queryCleared += 1;
  }
}

export function unauthorized(message = 'Your session has ended. Please sign in again.'): ApiError {
  return new ApiError(401, 'unauthenticated', message);
}

/** A promise with its resolve/reject handles, to hold a call in flight. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
