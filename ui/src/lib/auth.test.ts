import { beforeEach, describe, expect, it } from 'vitest';
import { ada, FakeNavigator, fakeApi, unauthorized } from '../test/fakes';
import { ApiError, NETWORK_ERROR_MESSAGE } from './api';
import { AuthController } from './auth.svelte';

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
