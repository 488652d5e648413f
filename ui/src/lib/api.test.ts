import { afterEach, describe, expect, it, vi } from 'vitest';
import { rejection } from '../test/fakes';
import { call, envelope, json, stubFetch } from '../test/http';
import {
  ApiError,
  inDesktopApp,
  loadApi,
  createHttpApi,
  describeError,
  httpApi,
  NETWORK_ERROR,
  parseRetryAfter,
  toApiError,
} from './api';

const credentials = { email: 'ada@example.com', password: 'correct horse battery staple' };

afterEach(() => {
  vi.useRealTimers();
});

describe('request shape', () => {
  it('register posts JSON to /auth/register with same-origin credentials', async () => {
    const fetchMock = stubFetch(json(201, { user_id: 'u1', email: 'ada@example.com', email_verified: false, verification_sent: true, message: 'Confirm your address.' }));
    await httpApi.register(credentials);

    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = call(fetchMock);
    expect(url).toBe('/auth/register');
    expect(init.method).toBe('POST');
    expect(init.credentials).toBe('same-origin');
    expect(init.headers).toMatchObject({ 'Content-Type': 'application/json', Accept: 'application/json' });
    expect(JSON.parse(String(init.body))).toEqual(credentials);
  });

  it('login posts JSON to /auth/login', async () => {
    const fetchMock = stubFetch(
      json(200, { session_token: 'secret', user_id: 'u1', expires_at: '2030-01-01T00:00:00Z' }),
    );
    await httpApi.login(credentials);

    const [url, init] = call(fetchMock);
    expect(url).toBe('/auth/login');
    expect(init.method).toBe('POST');
    expect(init.credentials).toBe('same-origin');
    expect(init.headers).toMatchObject({ 'Content-Type': 'application/json' });
    expect(JSON.parse(String(init.body))).toEqual(credentials);
  });

  it('logout and logout-all are bodiless POSTs', async () => {
    const fetchMock = stubFetch(new Response(null, { status: 204 }), new Response(null, { status: 204 }));
    await expect(httpApi.logout()).resolves.toBeUndefined();
    await expect(httpApi.logoutAll()).resolves.toBeUndefined();

    const [logoutUrl, logoutInit] = call(fetchMock, 0);
    expect(logoutUrl).toBe('/auth/logout');
    expect(logoutInit.method).toBe('POST');
    expect(logoutInit.credentials).toBe('same-origin');
    expect(logoutInit.body).toBeUndefined();

    const [allUrl, allInit] = call(fetchMock, 1);
    expect(allUrl).toBe('/auth/logout-all');
    expect(allInit.method).toBe('POST');
    expect(allInit.credentials).toBe('same-origin');
  });

  it('currentUser is a GET to /auth/validate', async () => {
    const fetchMock = stubFetch(json(200, { user_id: 'u1', email: 'ada@example.com', domain: 'example.com', email_verified: true }));
    await httpApi.currentUser();

    const [url, init] = call(fetchMock);
    expect(url).toBe('/auth/validate');
    expect(init.method).toBe('GET');
    expect(init.credentials).toBe('same-origin');
    expect(init.body).toBeUndefined();
  });

  it('prefixes paths with baseUrl when given one', async () => {
    const fetchMock = stubFetch(new Response(null, { status: 204 }));
    await createHttpApi({ baseUrl: 'http://127.0.0.1:8787' }).logout();
    expect(call(fetchMock)[0]).toBe('http://127.0.0.1:8787/auth/logout');
  });
});

describe('success parsing', () => {
  it('register returns the new user', async () => {
    stubFetch(json(201, { user_id: 'u1', email: 'ada@example.com', email_verified: false, verification_sent: true, message: 'Confirm your address.' }));
    await expect(httpApi.register(credentials)).resolves.toEqual({
      userId: 'u1',
      email: 'ada@example.com',
      emailVerified: false,
      verificationSent: true,
      message: 'Confirm your address.',
    });
  });

  it('login returns the user id and expiry, never the session token', async () => {
    stubFetch(json(200, { session_token: 'secret', user_id: 'u1', expires_at: '2030-01-01T00:00:00Z' }));
    const result = await httpApi.login(credentials);
    expect(result).toEqual({ userId: 'u1', expiresAt: '2030-01-01T00:00:00Z', notice: null });
    expect(JSON.stringify(result)).not.toContain('secret');
  });

  it('accepts numeric user ids', async () => {
    stubFetch(json(201, { user_id: 42, email: 'ada@example.com' }));
    await expect(httpApi.register(credentials)).resolves.toMatchObject({ userId: '42', email: 'ada@example.com' });
  });

  it('currentUser returns the user, or null on 401', async () => {
    stubFetch(
      json(200, { user_id: 'u1', email: 'ada@example.com', domain: 'example.com', email_verified: true }),
      envelope(401, 'unauthenticated', 'Please sign in.'),
    );
    await expect(httpApi.currentUser()).resolves.toEqual({
      userId: 'u1',
      email: 'ada@example.com',
      domain: 'example.com',
      emailVerified: true,
    });
    await expect(httpApi.currentUser()).resolves.toBeNull();
  });

  it('currentUser accepts a null domain', async () => {
    stubFetch(json(200, { user_id: 'u1', email: 'ada@example.com', domain: null }));
    await expect(httpApi.currentUser()).resolves.toMatchObject({ domain: null });
  });

  it('a success body that is not the expected JSON is an invalid_response error', async () => {
    stubFetch(new Response('<html>hello</html>', { status: 200 }), json(200, { email: 'x' }));
    expect(await rejection(httpApi.login(credentials))).toMatchObject({ status: 200, code: 'invalid_response' });
    expect(await rejection(httpApi.login(credentials))).toMatchObject({ status: 200, code: 'invalid_response' });
  });
});

describe('error envelope', () => {
  it('turns {"error": {code, message}} into an ApiError', async () => {
    stubFetch(envelope(409, 'email_taken', 'An account with this email already exists.'));
    const error = await rejection(httpApi.register(credentials));
    expect(error.status).toBe(409);
    expect(error.code).toBe('email_taken');
    expect(error.message).toBe('An account with this email already exists.');
    expect(error.retryAfter).toBeUndefined();
  });

  it.each([400, 401, 403, 413, 422, 500, 503])('keeps the server sentence for HTTP %i', async (status) => {
    stubFetch(envelope(status, 'some_code', 'The server says why.'));
    const error = await rejection(httpApi.login(credentials));
    expect(error).toMatchObject({ status, code: 'some_code', message: 'The server says why.' });
  });

  it('a 401 from an action is an error (only currentUser maps it to null)', async () => {
    stubFetch(envelope(401, 'invalid_credentials', 'The email or password is wrong.'));
    expect(await rejection(httpApi.login(credentials))).toMatchObject({
      status: 401,
      code: 'invalid_credentials',
    });
  });

  it('a non-JSON error body still gives a readable sentence', async () => {
    stubFetch(new Response('Bad Gateway', { status: 502, headers: { 'Content-Type': 'text/plain' } }));
    const error = await rejection(httpApi.login(credentials));
    expect(error.status).toBe(502);
    expect(error.code).toBe('server_error');
    expect(error.message).toMatch(/^Docent's server .*\(HTTP 502\)/);
  });

  it('JSON without the envelope, or an empty body, falls back per status', async () => {
    stubFetch(json(400, { detail: 'nope' }), new Response('', { status: 403 }), new Response('', { status: 418 }));
    expect(await rejection(httpApi.register(credentials))).toMatchObject({ status: 400, code: 'http_error' });
    expect(await rejection(httpApi.logout())).toMatchObject({ status: 403, code: 'forbidden' });
    const teapot = await rejection(httpApi.logout());
    expect(teapot.message).toContain('HTTP 418');
  });

  it('an envelope with an empty message falls back to a sentence', async () => {
    stubFetch(json(422, { error: { code: 'weak_password', message: '' } }));
    const error = await rejection(httpApi.register(credentials));
    expect(error.code).toBe('weak_password');
    expect(error.message.length).toBeGreaterThan(10);
  });

  it('currentUser rethrows errors other than 401', async () => {
    stubFetch(envelope(500, 'internal', 'Something broke.'));
    expect(await rejection(httpApi.currentUser())).toMatchObject({ status: 500, code: 'internal' });
  });
});

describe('network failures', () => {
  it('a rejected fetch becomes network_error with a readable sentence', async () => {
    stubFetch(new TypeError('Failed to fetch'));
    const error = await rejection(httpApi.login(credentials));
    expect(error.status).toBe(0);
    expect(error.code).toBe(NETWORK_ERROR);
    expect(error.message).toMatch(/^Docent's server cannot be reached/);
  });

  it('currentUser reports a network failure instead of "signed out"', async () => {
    stubFetch(new TypeError('Failed to fetch'));
    expect(await rejection(httpApi.currentUser())).toMatchObject({ code: NETWORK_ERROR });
  });

  it('gives up after the timeout', async () => {
    vi.useFakeTimers();
    const fetchMock = vi.fn<typeof fetch>(
      (_url, init) =>
        new Promise<Response>((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        }),
    );
    vi.stubGlobal('fetch', fetchMock);
    const pending = rejection(createHttpApi({ timeoutMs: 1000 }).currentUser());
    await vi.advanceTimersByTimeAsync(1000);
    expect(await pending).toMatchObject({ status: 0, code: 'timeout' });
  });
});

describe('429 and Retry-After', () => {
  it('carries retryAfter in seconds', async () => {
    stubFetch(envelope(429, 'rate_limited', 'Too many sign-in attempts.', { 'Retry-After': '30' }));
    const error = await rejection(httpApi.login(credentials));
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', retryAfter: 30 });
    expect(describeError(error)).toBe('Too many sign-in attempts. You can try again in 30 seconds.');
  });

  it('works with a non-JSON 429 too', async () => {
    stubFetch(new Response('slow down', { status: 429, headers: { 'Retry-After': '5' } }));
    const error = await rejection(httpApi.login(credentials));
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', retryAfter: 5 });
  });

  it('parses seconds and HTTP dates, ignores junk', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Tue, 01 Jan 2030 00:01:30 GMT', now)).toBe(90);
    expect(parseRetryAfter('Mon, 31 Dec 2029 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });

  it('describes long and short waits', () => {
    expect(describeError(new ApiError(429, 'rate_limited', 'Slow down.', 1))).toBe(
      'Slow down. You can try again in a second.',
    );
    expect(describeError(new ApiError(429, 'rate_limited', 'Slow down.', 600))).toBe(
      'Slow down. You can try again in 10 minutes.',
    );
    expect(describeError(new ApiError(400, 'bad', 'Bad.'))).toBe('Bad.');
  });
});

describe('helpers', () => {
  it('toApiError keeps ApiErrors and wraps anything else', () => {
    const original = new ApiError(409, 'email_taken', 'Taken.');
    expect(toApiError(original)).toBe(original);
    expect(toApiError(new Error('boom'))).toMatchObject({ status: 0, code: 'unexpected_error' });
    expect(toApiError('weird')).toBeInstanceOf(ApiError);
  });

  it('loadApi gives the HTTP implementation outside the desktop app', async () => {
    expect(inDesktopApp()).toBe(false);
    await expect(loadApi()).resolves.toBe(httpApi);
  });
});

describe('password reset and email sign-in', () => {
  const accepted = { message: 'If an account exists for that email, we sent a link.' };

  it('requestPasswordReset posts the email to /auth/reset-request and returns the sentence', async () => {
    const fetchMock = stubFetch(json(202, accepted));
    await expect(httpApi.requestPasswordReset('ada@example.com')).resolves.toEqual(accepted);

    const [url, init] = call(fetchMock);
    expect(url).toBe('/auth/reset-request');
    expect(init.method).toBe('POST');
    expect(init.credentials).toBe('same-origin');
    expect(init.headers).toMatchObject({ 'Content-Type': 'application/json', Accept: 'application/json' });
    expect(JSON.parse(String(init.body))).toEqual({ email: 'ada@example.com' });
  });

  it('resetPassword posts the token and password to /auth/reset-password', async () => {
    const fetchMock = stubFetch(json(200, { message: 'Your password was changed.' }));
    await expect(httpApi.resetPassword({ token: 'tok-123', password: 'a brand new passphrase' })).resolves.toEqual({
      message: 'Your password was changed.',
    });

    const [url, init] = call(fetchMock);
    expect(url).toBe('/auth/reset-password');
    expect(init.method).toBe('POST');
    expect(JSON.parse(String(init.body))).toEqual({ token: 'tok-123', password: 'a brand new passphrase' });
  });

  it('requestVerification posts the email to /auth/request-verification', async () => {
    const fetchMock = stubFetch(json(202, accepted), json(202, {}));
    await expect(httpApi.requestVerification('ada@example.com')).resolves.toEqual(accepted);
    const [url, init] = call(fetchMock);
    expect(url).toBe('/auth/request-verification');
    expect(JSON.parse(String(init.body))).toEqual({ email: 'ada@example.com' });
    const fallback = await httpApi.requestVerification('ada@example.com');
    expect(fallback.message).toMatch(/confirmation email/);
  });

  it('verifyEmail posts only the proof given, with the password, and reads the notice', async () => {
    const fetchMock = stubFetch(
      json(200, { session_token: 'secret', user_id: 'u1', expires_at: '2030-01-01T00:00:00Z', notice: null }),
      json(200, { session_token: 'secret', user_id: 'u1', expires_at: '2030-01-01T00:00:00Z', notice: 'Removed.' }),
    );
    const result = await httpApi.verifyEmail({ token: 'tok-1', password: 'the passphrase' });
    expect(result).toEqual({ userId: 'u1', expiresAt: '2030-01-01T00:00:00Z', notice: null });
    expect(JSON.stringify(result)).not.toContain('secret');
    await expect(
      httpApi.verifyEmail({ email: 'ada@example.com', code: 'K7QM3XWP', password: 'the passphrase' }),
    ).resolves.toMatchObject({ notice: 'Removed.' });
    expect(fetchMock.mock.calls.map(([url, init]) => [url, JSON.parse(String(init?.body))])).toEqual([
      ['/auth/verify-email', { token: 'tok-1', password: 'the passphrase' }],
      ['/auth/verify-email', { email: 'ada@example.com', code: 'K7QM3XWP', password: 'the passphrase' }],
    ]);
  });

  it('requestLoginEmail posts the email to /auth/request-login', async () => {
    const fetchMock = stubFetch(json(202, accepted));
    await expect(httpApi.requestLoginEmail('ada@example.com')).resolves.toEqual(accepted);

    const [url, init] = call(fetchMock);
    expect(url).toBe('/auth/request-login');
    expect(init.method).toBe('POST');
    expect(JSON.parse(String(init.body))).toEqual({ email: 'ada@example.com' });
  });

  it('an accepted request without a sentence gets one', async () => {
    stubFetch(new Response(null, { status: 202 }), json(202, { message: '  ' }), json(200, {}));
    const reset = await httpApi.requestPasswordReset('ada@example.com');
    const login = await httpApi.requestLoginEmail('ada@example.com');
    const changed = await httpApi.resetPassword({ token: 't', password: 'p' });
    for (const { message } of [reset, login, changed]) expect(message.trim().length).toBeGreaterThan(10);
  });

  it('verifyLogin posts only the token, or only the email and code, to /auth/verify-login', async () => {
    const body = { session_token: 'secret', user_id: 'u1', domain: 'example.com', expires_at: '2030-01-01T00:00:00Z' };
    const fetchMock = stubFetch(json(200, body), json(200, body));

    await httpApi.verifyLogin({ token: 'tok-123', email: 'stray' } as { token: string });
    await httpApi.verifyLogin({ email: 'ada@example.com', code: 'K7QM3XWP' });

    const [url, init] = call(fetchMock, 0);
    expect(url).toBe('/auth/verify-login');
    expect(init.method).toBe('POST');
    expect(init.credentials).toBe('same-origin');
    expect(JSON.parse(String(init.body))).toEqual({ token: 'tok-123' });
    const [codeUrl, codeInit] = call(fetchMock, 1);
    expect(codeUrl).toBe('/auth/verify-login');
    expect(JSON.parse(String(codeInit.body))).toEqual({ email: 'ada@example.com', code: 'K7QM3XWP' });
  });

  it('verifyLogin returns the user id and expiry, never the session token', async () => {
    stubFetch(
      json(200, { session_token: 'secret', user_id: 'u1', domain: 'example.com', expires_at: '2030-01-01T00:00:00Z' }),
    );
    const result = await httpApi.verifyLogin({ token: 'tok-123' });
    expect(result).toEqual({ userId: 'u1', expiresAt: '2030-01-01T00:00:00Z', notice: null });
    expect(JSON.stringify(result)).not.toContain('secret');
  });

  it('verifyLogin needs user_id and expires_at', async () => {
    stubFetch(json(200, { user_id: 'u1' }));
    expect(await rejection(httpApi.verifyLogin({ token: 't' }))).toMatchObject({
      status: 200,
      code: 'invalid_response',
    });
  });

  it('keeps the codes and sentences of the new errors', async () => {
    stubFetch(
      envelope(503, 'email_not_configured', 'This server cannot send email yet.'),
      envelope(400, 'invalid_token', 'This link has expired.'),
      envelope(422, 'password_too_common', 'This password is too common.'),
      envelope(403, 'domain_not_allowed', 'This email domain cannot sign in here.'),
      envelope(400, 'invalid_code', 'That code is wrong. Request a new email.'),
      envelope(400, 'invalid_token', 'This link has expired.'),
    );
    expect(await rejection(httpApi.requestPasswordReset('ada@example.com'))).toMatchObject({
      status: 503,
      code: 'email_not_configured',
      message: 'This server cannot send email yet.',
    });
    expect(await rejection(httpApi.resetPassword({ token: 't', password: 'p' }))).toMatchObject({
      status: 400,
      code: 'invalid_token',
    });
    expect(await rejection(httpApi.resetPassword({ token: 't', password: 'p' }))).toMatchObject({
      status: 422,
      code: 'password_too_common',
    });
    expect(await rejection(httpApi.requestLoginEmail('ada@elsewhere.org'))).toMatchObject({
      status: 403,
      code: 'domain_not_allowed',
      message: 'This email domain cannot sign in here.',
    });
    expect(await rejection(httpApi.verifyLogin({ email: 'ada@example.com', code: 'AAAA0000' }))).toMatchObject({
      status: 400,
      code: 'invalid_code',
      message: 'That code is wrong. Request a new email.',
    });
    expect(await rejection(httpApi.verifyLogin({ token: 't' }))).toMatchObject({ status: 400, code: 'invalid_token' });
  });
});
