import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('@tauri-apps/api/core', () => import('../test/tauri-core'));

import { rejection } from '../test/fakes';
import { answer, FakeChannel, invoke as invokeMock, refuse, resetTauri } from '../test/tauri-core';
import { ApiError, describeError, httpApi, inDesktopApp, loadApi } from './api';
import { createTauriApi, fromIpcError, IPC_ERROR, tauriApi } from './api/tauri';

const credentials = { email: 'ada@example.com', password: 'correct horse battery staple' };

beforeEach(() => {
  resetTauri();
});

describe('commands and arguments', () => {
  it('register invokes auth_register with the credentials', async () => {
    answer({ user_id: 'u1', email: 'ada@example.com', email_verified: false, verification_sent: true, message: 'Confirm your address.' });
    await tauriApi.register(credentials);
    expect(invokeMock).toHaveBeenCalledTimes(1);
    expect(invokeMock).toHaveBeenCalledWith('auth_register', { credentials });
  });

  it('login invokes auth_login with the credentials and nothing else', async () => {
    answer({ user_id: 'u1', expires_at: '2030-01-01T00:00:00Z' });
    await tauriApi.login({ ...credentials, extra: 'ignored' } as typeof credentials);
    expect(invokeMock).toHaveBeenCalledWith('auth_login', { credentials });
  });

  it('logout and logoutAll invoke their commands without arguments and resolve to undefined', async () => {
    answer(null);
    answer(null);
    await expect(tauriApi.logout()).resolves.toBeUndefined();
    await expect(tauriApi.logoutAll()).resolves.toBeUndefined();
    expect(invokeMock.mock.calls).toEqual([['auth_logout'], ['auth_logout_all']]);
  });

  it('currentUser invokes auth_current_user without arguments', async () => {
    answer(null);
    await tauriApi.currentUser();
    expect(invokeMock.mock.calls).toEqual([['auth_current_user']]);
  });

  it('createTauriApi builds an equivalent implementation', async () => {
    answer(null);
    await createTauriApi().logout();
    expect(invokeMock).toHaveBeenCalledWith('auth_logout');
  });
});

describe('results', () => {
  it('register maps user_id and email', async () => {
    answer({ user_id: 'u1', email: 'ada@example.com', email_verified: false, verification_sent: true, message: 'Confirm your address.' });
    await expect(tauriApi.register(credentials)).resolves.toEqual({
      userId: 'u1',
      email: 'ada@example.com',
      emailVerified: false,
      verificationSent: true,
      message: 'Confirm your address.',
    });
  });

  it('login maps user_id and expires_at, and nothing else', async () => {
    answer({ user_id: 'u1', expires_at: '2030-01-01T00:00:00Z', session_token: 'must not surface' });
    const result = await tauriApi.login(credentials);
    expect(result).toEqual({ userId: 'u1', expiresAt: '2030-01-01T00:00:00Z', notice: null });
  });

  it('numeric ids become strings', async () => {
    answer({ user_id: 42, email: 'ada@example.com' });
    await expect(tauriApi.register(credentials)).resolves.toMatchObject({ userId: '42', email: 'ada@example.com' });
  });

  it('currentUser maps user_id, email and domain', async () => {
    answer({ user_id: 'u1', email: 'ada@example.com', domain: 'example.com', email_verified: true });
    await expect(tauriApi.currentUser()).resolves.toEqual({
      userId: 'u1',
      email: 'ada@example.com',
      domain: 'example.com',
      emailVerified: true,
    });
  });

  it('currentUser without a domain gives domain null', async () => {
    answer({ user_id: 'u1', email: 'ada@example.com', domain: null });
    await expect(tauriApi.currentUser()).resolves.toMatchObject({ domain: null });
    answer({ user_id: 'u1', email: 'ada@example.com', email_verified: false, verification_sent: true, message: 'Confirm your address.' });
    await expect(tauriApi.currentUser()).resolves.toMatchObject({ domain: null });
  });

  it('currentUser is null when nobody is signed in', async () => {
    answer(null);
    await expect(tauriApi.currentUser()).resolves.toBeNull();
  });

  it('currentUser is null when the shell reports an ended session as an error', async () => {
    refuse({ code: 'session_expired', kind: 'unauthenticated', message: 'Your session has expired. Please sign in again.' });
    await expect(tauriApi.currentUser()).resolves.toBeNull();
    refuse({ code: 'unauthenticated', kind: 'unauthenticated', message: 'You are not signed in. Please sign in.' });
    await expect(tauriApi.currentUser()).resolves.toBeNull();
  });

  it('currentUser passes on other errors', async () => {
    refuse({ code: 'internal', kind: 'internal', message: 'Something went wrong inside Docent; the details have been logged.' });
    expect(await rejection(tauriApi.currentUser())).toMatchObject({ status: 500, code: 'internal' });
    refuse('command auth_current_user not found');
    expect(await rejection(tauriApi.currentUser())).toMatchObject({ status: 0, code: IPC_ERROR });
  });

  it('answers of the wrong shape are invalid_response', async () => {
    answer({ user_id: 'u1' });
    expect(await rejection(tauriApi.login(credentials))).toMatchObject({ code: 'invalid_response' });
    answer('u1');
    expect(await rejection(tauriApi.register(credentials))).toMatchObject({ code: 'invalid_response' });
    answer(null);
    expect(await rejection(tauriApi.login(credentials))).toMatchObject({ code: 'invalid_response' });
    answer(['u1', 'ada@example.com', null]);
    expect(await rejection(tauriApi.currentUser())).toMatchObject({ code: 'invalid_response' });
    answer({ user_id: 'u1', email: 'ada@example.com', domain: 7n });
    expect(await rejection(tauriApi.currentUser())).toMatchObject({ code: 'invalid_response' });
  });
});

describe('errors', () => {
  it('keeps the code, kind and sentence of a command error and adds the status of its kind', async () => {
    refuse({ code: 'invalid_credentials', kind: 'unauthenticated', message: 'The email or password is incorrect.' });
    const error = await rejection(tauriApi.login(credentials));
    expect(error).toMatchObject({
      name: 'ApiError',
      status: 401,
      code: 'invalid_credentials',
      kind: 'unauthenticated',
      message: 'The email or password is incorrect.',
    });
    expect(error.retryAfter).toBeUndefined();
  });

  it('gives each kind the status docent-server answers it with, and 500 without one', async () => {
    const cases: Array<[string, string | undefined, number]> = [
      ['invalid_email', 'invalid', 400],
      ['invalid_credentials', 'unauthenticated', 401],
      ['session_expired', 'unauthenticated', 401],
      ['domain_not_allowed', 'forbidden', 403],
      ['email_not_verified', 'forbidden', 403],
      ['not_found', 'not_found', 404],
      ['email_taken', 'conflict', 409],
      ['too_many_attempts', 'rate_limited', 429],
      ['llm_not_configured', 'unavailable', 503],
      ['internal', 'internal', 500],
      ['something_new', undefined, 500],
      ['something_newer', 'a_kind_from_the_future', 500],
    ];
    for (const [code, kind, status] of cases) {
      refuse({ code, kind, message: `Failed with ${code}.` });
      expect(await rejection(tauriApi.register(credentials)), code).toMatchObject({
        status,
        code,
        message: `Failed with ${code}.`,
      });
    }
  });

  it('a 429 keeps the sentence, which already names the wait', async () => {
    const message = 'Too many failed sign-in attempts for this email. Try again in 2 minutes.';
    refuse({ code: 'too_many_attempts', kind: 'rate_limited', message });
    const error = await rejection(tauriApi.login(credentials));
    expect(error).toMatchObject({ status: 429, code: 'too_many_attempts' });
    expect(describeError(error)).toBe(message);
  });

  it('a command error without a sentence gets one', async () => {
    refuse({ code: 'unauthenticated', kind: 'unauthenticated' });
    expect(await rejection(tauriApi.logout())).toMatchObject({
      status: 401,
      code: 'unauthenticated',
      message: 'Please sign in to continue.',
    });
    refuse({ code: 'email_taken', kind: 'conflict', message: '   ' });
    const taken = await rejection(tauriApi.register(credentials));
    expect(taken).toMatchObject({ status: 409, code: 'email_taken' });
    expect(taken.message.trim()).not.toBe('');
  });

  it('a string from Tauri itself becomes ipc_error with a readable sentence', async () => {
    refuse('Command auth_logout_all not allowed by ACL');
    const error = await rejection(tauriApi.logoutAll());
    expect(error.status).toBe(0);
    expect(error.code).toBe(IPC_ERROR);
    expect(error.message).toBe(
      "Docent's desktop app could not carry out the request (Command auth_logout_all not allowed by ACL).",
    );
  });

  it('other rejections become ipc_error too', async () => {
    for (const value of [undefined, null, 42, '', { message: 'no code here' }, { code: 7 }, new TypeError('x is undefined')]) {
      refuse(value);
      const error = await rejection(tauriApi.logout());
      expect(error).toMatchObject({ status: 0, code: IPC_ERROR });
      expect(error.message).toMatch(/^Docent's desktop app could not carry out the request.*\.$/);
    }
  });

  it('quotes only a bounded amount of what Tauri said', () => {
    const error = fromIpcError('x'.repeat(5000));
    expect(error.code).toBe(IPC_ERROR);
    expect(error.message.length).toBeLessThan(300);
  });

  it('leaves an ApiError as it is', () => {
    const original = new ApiError(409, 'email_taken', 'Taken.');
    expect(fromIpcError(original)).toBe(original);
  });
});

describe('loadApi', () => {
  it('gives the HTTP implementation outside Tauri', async () => {
    expect('__TAURI_INTERNALS__' in globalThis).toBe(false);
    expect(inDesktopApp()).toBe(false);
    await expect(loadApi()).resolves.toBe(httpApi);
  });

  it('loads the Tauri implementation when __TAURI_INTERNALS__ exists', async () => {
    vi.stubGlobal('__TAURI_INTERNALS__', {});
    expect(inDesktopApp()).toBe(true);
    await expect(loadApi()).resolves.toBe(tauriApi);
  });

  it('goes back to HTTP once the global is gone', async () => {
    await expect(loadApi()).resolves.toBe(httpApi);
  });
});

describe('password reset and email sign-in', () => {
  it('requestPasswordReset invokes auth_request_reset with {request: {email}}', async () => {
    answer({ message: 'If an account exists, we sent a link.' });
    await expect(tauriApi.requestPasswordReset('ada@example.com')).resolves.toEqual({
      message: 'If an account exists, we sent a link.',
    });
    expect(invokeMock.mock.calls).toEqual([['auth_request_reset', { request: { email: 'ada@example.com' } }]]);
  });

  it('resetPassword invokes auth_reset_password with {request: {token, password}}', async () => {
    answer({ message: 'Your password was changed.' });
    await expect(tauriApi.resetPassword({ token: 'tok-123', password: 'a brand new passphrase' })).resolves.toEqual({
      message: 'Your password was changed.',
    });
    expect(invokeMock.mock.calls).toEqual([
      ['auth_reset_password', { request: { token: 'tok-123', password: 'a brand new passphrase' } }],
    ]);
  });

  it('requestLoginEmail invokes auth_request_login with {request: {email}}', async () => {
    answer({ message: 'Check your email.' });
    await expect(tauriApi.requestLoginEmail('ada@example.com')).resolves.toEqual({ message: 'Check your email.' });
    expect(invokeMock.mock.calls).toEqual([['auth_request_login', { request: { email: 'ada@example.com' } }]]);
  });

  it('requestVerification and verifyEmail invoke their commands with {request}', async () => {
    answer({ message: 'On its way.' });
    answer({ user_id: 'u1', expires_at: '2030-01-01T00:00:00Z', email_verified: true, notice: null });
    await expect(tauriApi.requestVerification('ada@example.com')).resolves.toEqual({ message: 'On its way.' });
    await expect(
      tauriApi.verifyEmail({ email: 'ada@example.com', code: 'K7QM3XWP', password: 'the passphrase' }),
    ).resolves.toEqual({ userId: 'u1', expiresAt: '2030-01-01T00:00:00Z', notice: null });
    expect(invokeMock.mock.calls).toEqual([
      ['auth_request_verification', { request: { email: 'ada@example.com' } }],
      [
        'auth_verify_email',
        { request: { email: 'ada@example.com', code: 'K7QM3XWP', password: 'the passphrase' } },
      ],
    ]);
  });

  it('an unconfirmed address is a 403, as over HTTP', async () => {
    invokeMock.mockRejectedValueOnce({ code: 'email_not_verified', kind: 'forbidden', message: 'Confirm your email address first.' });
    expect(await rejection(tauriApi.login(credentials))).toMatchObject({ status: 403, code: 'email_not_verified' });
  });

  it('a request answered without a sentence gets one', async () => {
    answer(null);
    answer(undefined);
    answer({});
    for (const result of [
      await tauriApi.requestPasswordReset('ada@example.com'),
      await tauriApi.requestLoginEmail('ada@example.com'),
      await tauriApi.resetPassword({ token: 't', password: 'p' }),
    ]) {
      expect(result.message.trim().length).toBeGreaterThan(10);
    }
  });

  it('verifyLogin invokes auth_verify_login with the token, or the email and code', async () => {
    answer({ user_id: 'u1', expires_at: '2030-01-01T00:00:00Z' });
    answer({ user_id: 'u1', expires_at: '2030-01-01T00:00:00Z' });
    await tauriApi.verifyLogin({ token: 'tok-123', code: 'stray' } as { token: string });
    await tauriApi.verifyLogin({ email: 'ada@example.com', code: 'K7QM3XWP' });
    expect(invokeMock.mock.calls).toEqual([
      ['auth_verify_login', { request: { token: 'tok-123' } }],
      ['auth_verify_login', { request: { email: 'ada@example.com', code: 'K7QM3XWP' } }],
    ]);
  });

  it('verifyLogin maps user_id and expires_at, and needs both', async () => {
    answer({ user_id: 'u1', expires_at: '2030-01-01T00:00:00Z', session_token: 'must not surface' });
    await expect(tauriApi.verifyLogin({ token: 't' })).resolves.toEqual({
      userId: 'u1',
      expiresAt: '2030-01-01T00:00:00Z',
      notice: null,
    });
    answer({ user_id: 'u1' });
    expect(await rejection(tauriApi.verifyLogin({ token: 't' }))).toMatchObject({ code: 'invalid_response' });
    answer(null);
    expect(await rejection(tauriApi.verifyLogin({ token: 't' }))).toMatchObject({ code: 'invalid_response' });
  });

  it('the email commands keep the kinds of their errors', async () => {
    const cases: Array<[string, string, number, () => Promise<unknown>]> = [
      ['invalid_token', 'invalid', 400, () => tauriApi.verifyLogin({ token: 't' })],
      ['invalid_code', 'invalid', 400, () => tauriApi.verifyLogin({ email: 'ada@example.com', code: 'AAAA0000' })],
      ['invalid_token', 'invalid', 400, () => tauriApi.resetPassword({ token: 't', password: 'p' })],
      ['domain_not_allowed', 'forbidden', 403, () => tauriApi.requestLoginEmail('ada@elsewhere.org')],
      ['email_not_configured', 'unavailable', 503, () => tauriApi.requestPasswordReset('ada@example.com')],
    ];
    for (const [code, kind, status, run] of cases) {
      refuse({ code, kind, message: `Failed with ${code}.` });
      expect(await rejection(run()), code).toMatchObject({ status, code, kind, message: `Failed with ${code}.` });
    }
  });
});

describe('links handed over by the OS', () => {
  it('onAppLink invokes app_links once with a channel, and passes on sign-in and reset paths only', async () => {
    answer(null);
    const opened: string[] = [];
    await expect(tauriApi.onAppLink?.((path) => opened.push(path))).resolves.toBeUndefined();
    expect(invokeMock).toHaveBeenCalledOnce();
    const channel = FakeChannel.last;
    expect(invokeMock).toHaveBeenCalledWith('app_links', { onLink: channel });

    channel?.send('/login/verify?token=abc');
    channel?.send('/app/settings');
    channel?.send({ path: '/reset-password?token=x' });
    channel?.send('/reset-password?token=def');
    expect(opened).toEqual(['/login/verify?token=abc', '/reset-password?token=def']);
  });

  it('a shell without app_links rejects with ipc_error; over HTTP there is no onAppLink', async () => {
    refuse('command app_links not found');
    expect(await rejection(tauriApi.onAppLink?.(() => undefined) ?? Promise.resolve())).toMatchObject({
      status: 0,
      code: IPC_ERROR,
    });
    expect(httpApi.onAppLink).toBeUndefined();
  });
});
