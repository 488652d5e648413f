import { beforeEach, describe, expect, it } from 'vitest';
import { ada, FakeNavigator, fakeApi, unauthorized } from '../test/fakes';
import { ApiError, NETWORK_ERROR_MESSAGE } from './api';
import { AuthController, PASSWORD_CHANGED, PASSWORD_CHANGED_SIGNED_IN } from './auth.svelte';

let api: ReturnType<typeof fakeApi>;
let nav: FakeNavigator;
let auth: AuthController;

beforeEach(() => {
  api = fakeApi();
  nav = new FakeNavigator();
  auth = new AuthController(api, nav);
});

const typed = { email: 'ada@example.com', password: 'a long enough passphrase' };

describe('start', () => {
  it('is signed in when validate names a user', async () => {
    api.currentUser.mockResolvedValueOnce(ada);
    expect(auth.state).toBe('checking');
    await auth.start();
    expect(auth.state).toBe('signed_in');
    expect(auth.user).toEqual(ada);
  });

  it('is signed out on 401 (null user)', async () => {
    await auth.start();
    expect(auth.state).toBe('signed_out');
    expect(auth.user).toBeNull();
  });

  it('is unavailable, with a sentence, when the server cannot be reached', async () => {
    api.currentUser.mockRejectedValueOnce(new ApiError(0, 'network_error', NETWORK_ERROR_MESSAGE));
    await auth.start();
    expect(auth.state).toBe('unavailable');
    expect(auth.startupError).toBe(NETWORK_ERROR_MESSAGE);

    api.currentUser.mockResolvedValueOnce(ada);
    await auth.start();
    expect(auth.state).toBe('signed_in');
    expect(auth.startupError).toBeNull();
  });
});

describe('login', () => {
  it('signs in, asks who is signed in, clears the password and goes home', async () => {
    auth.forms.login.email = typed.email;
    auth.forms.login.password = typed.password;
    api.currentUser.mockResolvedValueOnce(ada);

    await expect(auth.login(typed)).resolves.toBeNull();
    expect(api.login).toHaveBeenCalledWith(typed);
    expect(auth.state).toBe('signed_in');
    expect(auth.user).toEqual(ada);
    expect(auth.forms.login).toEqual({ email: typed.email, password: '' });
    expect(nav.path).toBe('/');
  });

  it('a wrong password (401) stays on the page with the server sentence and the typed values', async () => {
    await auth.start();
    nav.path = '/login';
    auth.forms.login.email = typed.email;
    auth.forms.login.password = typed.password;
    api.login.mockRejectedValueOnce(new ApiError(401, 'invalid_credentials', 'The email or password is wrong.'));

    await expect(auth.login(typed)).resolves.toBe('The email or password is wrong.');
    expect(auth.state).toBe('signed_out');
    expect(nav.visited).toEqual([]);
    expect(auth.forms.login).toEqual(typed);
  });

  it('shows the wait for a 429', async () => {
    api.login.mockRejectedValueOnce(new ApiError(429, 'rate_limited', 'Too many attempts.', 30));
    await expect(auth.login(typed)).resolves.toBe('Too many attempts. You can try again in 30 seconds.');
  });

  it('reports a session cookie that was not kept', async () => {
    api.currentUser.mockResolvedValueOnce(null);
    const sentence = await auth.login(typed);
    expect(sentence).toMatch(/session was not kept/);
    expect(auth.state).not.toBe('signed_in');
  });

  it('clears the notice from an earlier redirect', async () => {
    auth.notice = 'Your session has ended.';
    api.login.mockRejectedValueOnce(new ApiError(400, 'bad_request', 'Bad.'));
    await auth.login(typed);
    expect(auth.notice).toBeNull();
  });
});

describe('register', () => {
  it('creates the account, signs in with the same credentials and goes home', async () => {
    auth.forms.register.email = typed.email;
    auth.forms.register.password = typed.password;
    api.currentUser.mockResolvedValueOnce(ada);
    const steps: string[] = [];

    await expect(auth.register(typed, (step) => steps.push(step))).resolves.toBeNull();
    expect(api.register).toHaveBeenCalledWith(typed);
    expect(api.login).toHaveBeenCalledWith(typed);
    expect(steps).toEqual(['signing_in']);
    expect(auth.state).toBe('signed_in');
    expect(auth.forms.register).toEqual({ email: '', password: '' });
    expect(nav.path).toBe('/');
  });

  it('shows the server sentence when the account cannot be created', async () => {
    api.register.mockRejectedValueOnce(
      new ApiError(422, 'password_too_short', 'Passwords need at least 15 characters.'),
    );
    await expect(auth.register(typed)).resolves.toBe('Passwords need at least 15 characters.');
    expect(api.login).not.toHaveBeenCalled();
    expect(nav.visited).toEqual([]);
  });

  it('a 401 sends the user to /login, keeping what they typed', async () => {
    nav.path = '/register';
    auth.forms.register.email = typed.email;
    auth.forms.register.password = typed.password;
    api.register.mockRejectedValueOnce(unauthorized('Please sign in first.'));

    await expect(auth.register(typed)).resolves.toBeNull();
    expect(nav.path).toBe('/login');
    expect(auth.notice).toBe('Please sign in first.');
    expect(auth.forms.register).toEqual(typed);
  });

  it('if signing in fails after creating the account, the login form is filled in', async () => {
    api.login.mockRejectedValueOnce(new ApiError(429, 'rate_limited', 'Too many attempts.', 10));

    await expect(auth.register(typed)).resolves.toBeNull();
    expect(nav.path).toBe('/login');
    expect(auth.forms.login).toEqual(typed);
    expect(auth.notice).toBe(
      'Your account was created, but signing in failed: Too many attempts. You can try again in 10 seconds.',
    );
  });
});

describe('logout', () => {
  beforeEach(async () => {
    api.currentUser.mockResolvedValueOnce(ada);
    await auth.start();
  });

  it('logout ends the session and keeps the email for next time', async () => {
    await expect(auth.logout()).resolves.toBeNull();
    expect(api.logout).toHaveBeenCalledOnce();
    expect(auth.state).toBe('signed_out');
    expect(auth.user).toBeNull();
    expect(auth.forms.login).toEqual({ email: ada.email, password: '' });
    expect(nav.path).toBe('/login');
  });

  it('logoutAll calls logout-all', async () => {
    await expect(auth.logoutAll()).resolves.toBeNull();
    expect(api.logoutAll).toHaveBeenCalledOnce();
    expect(api.logout).not.toHaveBeenCalled();
    expect(auth.state).toBe('signed_out');
  });

  it('a 401 means the session was already over: signed out all the same', async () => {
    api.logout.mockRejectedValueOnce(unauthorized());
    await expect(auth.logout()).resolves.toBeNull();
    expect(auth.state).toBe('signed_out');
    expect(nav.path).toBe('/login');
  });

  it('other failures leave the user signed in, with the sentence', async () => {
    api.logoutAll.mockRejectedValueOnce(new ApiError(500, 'internal', 'Something broke.'));
    await expect(auth.logoutAll()).resolves.toBe('Something broke.');
    expect(auth.state).toBe('signed_in');
    expect(nav.visited).toEqual([]);
  });
});

describe('password reset', () => {
  it('requestPasswordReset passes on the server sentence', async () => {
    api.requestPasswordReset.mockResolvedValueOnce({ message: 'Check your email.' });
    await expect(auth.requestPasswordReset('ada@example.com')).resolves.toEqual({
      ok: true,
      message: 'Check your email.',
    });
    expect(api.requestPasswordReset).toHaveBeenCalledWith('ada@example.com');
    expect(nav.visited).toEqual([]);
  });

  it('requestPasswordReset reports the error code and sentence', async () => {
    api.requestPasswordReset.mockRejectedValueOnce(
      new ApiError(503, 'email_not_configured', 'This server cannot send email yet.'),
    );
    await expect(auth.requestPasswordReset('ada@example.com')).resolves.toEqual({
      ok: false,
      code: 'email_not_configured',
      error: 'This server cannot send email yet.',
    });
  });

  it('resetPassword clears the token from the URL, then sends the user to sign in with a confirmation', async () => {
    await auth.start();
    auth.notice = 'Your session has ended.';
    auth.forms.resetPassword.password = 'a brand new passphrase';
    auth.forms.login.password = 'the old one';

    await expect(auth.resetPassword('tok-123', 'a brand new passphrase')).resolves.toMatchObject({ ok: true });
    expect(api.resetPassword).toHaveBeenCalledWith({ token: 'tok-123', password: 'a brand new passphrase' });
    expect(nav.queryCleared).toBe(1);
    expect(nav.visited).toEqual([{ path: '/login', replace: false }]);
    expect(auth.confirmation).toBe(PASSWORD_CHANGED);
    expect(auth.notice).toBeNull();
    expect(auth.forms.resetPassword.password).toBe('');
    expect(auth.forms.login.password).toBe('');
    expect(api.login).not.toHaveBeenCalled();
    expect(auth.state).toBe('signed_out');
  });

  it('resetPassword reports an expired link and keeps everything', async () => {
    auth.forms.resetPassword.password = 'a brand new passphrase';
    api.resetPassword.mockRejectedValueOnce(new ApiError(400, 'invalid_token', 'This link has expired.'));
    await expect(auth.resetPassword('tok-123', 'a brand new passphrase')).resolves.toEqual({
      ok: false,
      code: 'invalid_token',
      error: 'This link has expired.',
    });
    expect(nav.queryCleared).toBe(0);
    expect(nav.visited).toEqual([]);
    expect(auth.forms.resetPassword.password).toBe('a brand new passphrase');
    expect(auth.confirmation).toBeNull();
  });

  it('a signed-in browser whose session survived the reset stays signed in, on the page', async () => {
    api.currentUser.mockResolvedValueOnce(ada);
    await auth.start();
    api.currentUser.mockResolvedValueOnce(ada);
    await expect(auth.resetPassword('tok-123', 'a brand new passphrase')).resolves.toEqual({
      ok: true,
      message: PASSWORD_CHANGED_SIGNED_IN,
    });
    expect(auth.state).toBe('signed_in');
    expect(nav.queryCleared).toBe(1);
    expect(nav.visited).toEqual([]);
  });

  it('a signed-in browser whose session ended with the reset is sent to sign in', async () => {
    api.currentUser.mockResolvedValueOnce(ada);
    await auth.start();
    api.currentUser.mockResolvedValueOnce(null);
    await auth.resetPassword('tok-123', 'a brand new passphrase');
    expect(auth.state).toBe('signed_out');
    expect(auth.confirmation).toBe(PASSWORD_CHANGED);
    expect(nav.path).toBe('/login');
  });
});

describe('email sign-in', () => {
  it('requestLoginEmail moves the form to the code step with the server sentence', async () => {
    auth.forms.emailLogin.code = 'OLD';
    api.requestLoginEmail.mockResolvedValueOnce({ message: 'Check your email.' });
    await expect(auth.requestLoginEmail('ada@example.com')).resolves.toEqual({
      ok: true,
      message: 'Check your email.',
    });
    expect(api.requestLoginEmail).toHaveBeenCalledWith('ada@example.com');
    expect(auth.forms.emailLogin).toEqual({ email: 'ada@example.com', code: '', sent: 'Check your email.' });
  });

  it('requestLoginEmail stays at the first step on an error', async () => {
    api.requestLoginEmail.mockRejectedValueOnce(
      new ApiError(403, 'domain_not_allowed', 'This email domain cannot sign in here.'),
    );
    await expect(auth.requestLoginEmail('ada@elsewhere.org')).resolves.toEqual({
      ok: false,
      code: 'domain_not_allowed',
      error: 'This email domain cannot sign in here.',
    });
    expect(auth.forms.emailLogin.sent).toBeNull();
  });

  it('restartEmailLogin goes back to the first step, keeping the email', async () => {
    await auth.requestLoginEmail('ada@example.com');
    auth.forms.emailLogin.code = 'K7QM';
    auth.restartEmailLogin();
    expect(auth.forms.emailLogin).toEqual({ email: 'ada@example.com', code: '', sent: null });
  });

  it('verifyLogin with a code signs in, clears the form and goes home', async () => {
    await auth.start();
    await auth.requestLoginEmail('ada@example.com');
    auth.forms.emailLogin.code = 'K7QM-3XWP';
    auth.notice = 'Your session has ended.';
    api.currentUser.mockResolvedValueOnce(ada);

    await expect(auth.verifyLogin({ email: 'ada@example.com', code: 'K7QM3XWP' })).resolves.toMatchObject({
      ok: true,
    });
    expect(api.verifyLogin).toHaveBeenCalledWith({ email: 'ada@example.com', code: 'K7QM3XWP' });
    expect(auth.state).toBe('signed_in');
    expect(auth.user).toEqual(ada);
    expect(auth.notice).toBeNull();
    expect(auth.forms.emailLogin).toEqual({ email: '', code: '', sent: null });
    expect(nav.path).toBe('/');
  });

  it('verifyLogin with a link token clears it from the URL before going home', async () => {
    api.currentUser.mockResolvedValueOnce(ada);
    await auth.verifyLogin({ token: 'tok-123' });
    expect(api.verifyLogin).toHaveBeenCalledWith({ token: 'tok-123' });
    expect(nav.queryCleared).toBe(1);
    expect(nav.visited).toEqual([{ path: '/', replace: false }]);
  });

  it('a wrong code keeps the user on the code step with the sentence', async () => {
    await auth.start();
    await auth.requestLoginEmail('ada@example.com');
    api.verifyLogin.mockRejectedValueOnce(
      new ApiError(400, 'invalid_code', 'That code is wrong or has expired.'),
    );
    await expect(auth.verifyLogin({ email: 'ada@example.com', code: 'AAAA0000' })).resolves.toEqual({
      ok: false,
      code: 'invalid_code',
      error: 'That code is wrong or has expired.',
    });
    expect(auth.state).toBe('signed_out');
    expect(auth.forms.emailLogin.sent).not.toBeNull();
    expect(nav.queryCleared).toBe(0);
    expect(nav.visited).toEqual([]);
  });

  it('reports a session that was not kept', async () => {
    api.currentUser.mockResolvedValueOnce(null);
    const outcome = await auth.verifyLogin({ token: 'tok-123' });
    expect(outcome).toMatchObject({ ok: false, code: 'session_not_kept' });
    expect(auth.state).not.toBe('signed_in');
  });

  it('logging out clears the new forms too', async () => {
    api.currentUser.mockResolvedValueOnce(ada);
    await auth.start();
    auth.forms.forgotPassword.email = 'x@example.com';
    auth.forms.resetPassword.password = 'secret passphrase';
    auth.forms.emailLogin = { email: 'x@example.com', code: 'K7QM', sent: 'Sent.' };
    await auth.logout();
    expect(auth.forms.forgotPassword).toEqual({ email: '' });
    expect(auth.forms.resetPassword).toEqual({ password: '' });
    expect(auth.forms.emailLogin).toEqual({ email: '', code: '', sent: null });
  });

  it('prefillEmail copies the login email into an empty form only', () => {
    auth.forms.login.email = 'ada@example.com';
    auth.forms.prefillEmail('forgotPassword');
    expect(auth.forms.forgotPassword.email).toBe('ada@example.com');
    auth.forms.emailLogin.email = 'other@example.com';
    auth.forms.prefillEmail('emailLogin');
    expect(auth.forms.emailLogin.email).toBe('other@example.com');
  });
});

describe('handleError (the signed-in views)', () => {
  beforeEach(async () => {
    api.currentUser.mockResolvedValueOnce(ada);
    await auth.start();
    nav.path = '/app/w/w1/c/c1';
  });

  it("passes other errors' sentences on and stays signed in", () => {
    expect(auth.handleError(new ApiError(504, 'llm_timeout', 'Too slow.'))).toBe('Too slow.');
    expect(auth.state).toBe('signed_in');
    expect(auth.handleError(new Error('boom'))).toMatch(/^Something went wrong in the app/);
  });

  it('a 401 signs out and sends to /login with the sentence; what was typed stays', () => {
    auth.forms.app.drafts['c1'] = 'Half a question';
    expect(auth.handleError(unauthorized('Please sign in again.'))).toBeNull();
    expect(auth.state).toBe('signed_out');
    expect(auth.notice).toBe('Please sign in again.');
    expect(nav.path).toBe('/login');
    expect(auth.forms.app.drafts['c1']).toBe('Half a question');
  });

  it('signing in again as the same person goes back to where they were', async () => {
    auth.handleError(unauthorized());
    api.currentUser.mockResolvedValueOnce(ada);
    await auth.login({ email: ada.email, password: 'a long enough passphrase' });
    expect(nav.path).toBe('/app/w/w1/c/c1');

    // Only once: the next sign-in goes home.
    await auth.logout();
    api.currentUser.mockResolvedValueOnce(ada);
    await auth.login({ email: ada.email, password: 'a long enough passphrase' });
    expect(nav.path).toBe('/');
  });

  it('someone else signing in goes home, and the previous person’s drafts are forgotten', async () => {
    auth.forms.app.drafts['c1'] = 'Private question';
    auth.forms.app.newWorkspace.name = 'Private project';
    auth.handleError(unauthorized());
    api.currentUser.mockResolvedValueOnce({ userId: 'u2', email: 'bob@example.com', domain: 'example.com', emailVerified: true });
    await auth.login({ email: 'bob@example.com', password: 'another long passphrase' });
    expect(nav.path).toBe('/');
    expect(auth.forms.app.drafts).toEqual({});
    expect(auth.forms.app.newWorkspace.name).toBe('');
  });

  it('logging out forgets the app forms', async () => {
    auth.forms.app.drafts['c1'] = 'x';
    auth.forms.app.history.q = 'holiday';
    auth.forms.app.temporary['w1'] = true;
    await auth.logout();
    expect(auth.forms.app.drafts).toEqual({});
    expect(auth.forms.app.history.q).toBe('');
    expect(auth.forms.app.temporary).toEqual({});
  });
});

describe('confirming an address', () => {
  it('registering where email is set up goes to the confirmation page with the password kept', async () => {
    api.register.mockResolvedValueOnce({
      userId: 'u1',
      email: typed.email,
      emailVerified: false,
      verificationSent: true,
      message: 'Confirm your address.',
    });
    auth.forms.register = { ...typed };
    await expect(auth.register(typed)).resolves.toBeNull();
    expect(api.login).not.toHaveBeenCalled();
    expect(nav.path).toBe('/verify-email');
    expect(auth.confirmation).toBe('Confirm your address.');
    expect(auth.forms.confirmEmail).toEqual({ email: typed.email, code: '', password: typed.password });
    expect(auth.forms.register).toEqual({ email: '', password: '' });
  });

  it('a sign-in refused for an unconfirmed address goes there with the reason', async () => {
    api.login.mockRejectedValueOnce(new ApiError(403, 'email_not_verified', 'Confirm your email address first.'));
    await expect(auth.login(typed)).resolves.toBeNull();
    expect(nav.path).toBe('/verify-email');
    expect(auth.notice).toBe('Confirm your email address first.');
    expect(auth.forms.confirmEmail.password).toBe(typed.password);
    expect(auth.state).not.toBe('signed_in');
  });

  it('confirming signs in, forgets the password and goes home', async () => {
    auth.forms.confirmEmail = { email: typed.email, code: 'K7QM3XWP', password: typed.password };
    api.currentUser.mockResolvedValueOnce(ada);
    const outcome = await auth.verifyEmail({ email: typed.email, code: 'K7QM3XWP', password: typed.password });
    expect(outcome.ok).toBe(true);
    expect(auth.state).toBe('signed_in');
    expect(auth.forms.confirmEmail).toEqual({ email: '', code: '', password: '' });
    expect(nav.path).toBe('/');
  });

  it('a sign-in that removed a password leaves an announcement until dismissed or signed out', async () => {
    api.verifyLogin.mockResolvedValueOnce({ userId: 'u1', expiresAt: '2030-01-01T00:00:00Z', notice: 'Removed.' });
    api.currentUser.mockResolvedValueOnce(ada);
    await auth.verifyLogin({ token: 't' });
    expect(auth.announcement).toBe('Removed.');
    auth.dismissAnnouncement();
    expect(auth.announcement).toBeNull();
    api.verifyLogin.mockResolvedValueOnce({ userId: 'u1', expiresAt: '2030-01-01T00:00:00Z', notice: 'Removed.' });
    api.currentUser.mockResolvedValueOnce(ada);
    await auth.verifyLogin({ token: 't' });
    await auth.logout();
    expect(auth.announcement).toBeNull();
  });
});
