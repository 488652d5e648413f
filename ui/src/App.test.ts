import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import App from './App.svelte';
import { ApiError, NETWORK_ERROR_MESSAGE, type LoginResult, type RegisteredUser } from './lib/api';
import { AuthController } from './lib/auth.svelte';
import { Router } from './lib/router.svelte';
import { ada, deferred, fakeApi, unauthorized } from './test/fakes';

let api: ReturnType<typeof fakeApi>;

function start(path = '/') {
  window.history.replaceState(null, '', path);
  const router = new Router();
  const auth = new AuthController(api, router);
  render(App, { auth, router });
  return { auth, router };
}

beforeEach(() => {
  api = fakeApi();
});

describe('start', () => {
  it('shows progress, then sends a signed-out user to /login', async () => {
    const validate = deferred<null>();
    api.currentUser.mockReturnValueOnce(validate.promise);
    start('/');
    expect(screen.getByRole('status')).toHaveTextContent('Checking your session…');

    validate.resolve(null);
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/login');
  });

  it('sends a signed-in user home, with the email and both log-out buttons in the header', async () => {
    api.currentUser.mockResolvedValueOnce(ada);
    start('/login');
    expect(await screen.findByRole('link', { name: 'Personal' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/');
    const header = screen.getByRole('banner');
    expect(within(header).getByText(ada.email)).toBeInTheDocument();
    expect(within(header).getByRole('button', { name: 'Log out' })).toBeEnabled();
    expect(within(header).getByRole('button', { name: 'Log out everywhere' })).toBeEnabled();
  });

  it('explains when the server cannot be reached, and can try again', async () => {
    api.currentUser.mockRejectedValueOnce(new ApiError(0, 'network_error', NETWORK_ERROR_MESSAGE));
    start('/');
    expect(await screen.findByRole('alert')).toHaveTextContent(NETWORK_ERROR_MESSAGE);

    api.currentUser.mockResolvedValueOnce(ada);
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('link', { name: 'Personal' })).toBeInTheDocument();
  });

  it('unknown paths go to the login page', async () => {
    start('/no/such/page');
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/login');
  });
});

describe('login page', () => {
  it('has labelled inputs with the right types and autocomplete', async () => {
    start('/login');
    const email = await screen.findByLabelText('Email');
    const password = screen.getByLabelText('Password');
    expect(email).toHaveAttribute('type', 'email');
    expect(email).toHaveAttribute('autocomplete', 'email');
    expect(password).toHaveAttribute('type', 'password');
    expect(password).toHaveAttribute('autocomplete', 'current-password');
  });

  it('disables the button while signing in, then goes home', async () => {
    const user = userEvent.setup();
    start('/login');
    await user.type(await screen.findByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'a long enough passphrase');

    const login = deferred<LoginResult>();
    api.login.mockReturnValueOnce(login.promise);
    api.currentUser.mockResolvedValueOnce(ada);
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    const busy = screen.getByRole('button', { name: 'Signing in…' });
    expect(busy).toBeDisabled();
    expect(api.login).toHaveBeenCalledWith({ email: 'ada@example.com', password: 'a long enough passphrase' });

    login.resolve({ userId: 'u1', expiresAt: '2030-01-01T00:00:00Z', notice: null });
    expect(await screen.findByRole('link', { name: 'Personal' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/');
  });

  it("shows the server's sentence in an alert and keeps what was typed", async () => {
    const user = userEvent.setup();
    start('/login');
    await user.type(await screen.findByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'wrong passphrase here');
    api.login.mockRejectedValueOnce(new ApiError(401, 'invalid_credentials', 'The email or password is wrong.'));
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('The email or password is wrong.');
    expect(screen.getByLabelText('Email')).toHaveValue('ada@example.com');
    expect(screen.getByLabelText('Password')).toHaveValue('wrong passphrase here');
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeEnabled();
  });

  it('links to the register page without reloading', async () => {
    const user = userEvent.setup();
    start('/login');
    await user.click(await screen.findByRole('link', { name: 'Create an account' }));
    expect(await screen.findByRole('heading', { name: 'Create an account' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/register');
  });
});

describe('register page', () => {
  it('has the passphrase hint and new-password autocomplete', async () => {
    start('/register');
    const password = await screen.findByLabelText('Password');
    expect(password).toHaveAttribute('autocomplete', 'new-password');
    expect(password).toHaveAccessibleDescription(/at least 15 characters.*passphrase/);
  });

  it('creates the account, signs in automatically and goes home', async () => {
    const user = userEvent.setup();
    start('/register');
    await user.type(await screen.findByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'a long enough passphrase');

    const register = deferred<RegisteredUser>();
    api.register.mockReturnValueOnce(register.promise);
    api.currentUser.mockResolvedValueOnce(ada);
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(screen.getByRole('button', { name: 'Creating your account…' })).toBeDisabled();

    register.resolve({
      userId: 'u1',
      email: 'ada@example.com',
      emailVerified: false,
      verificationSent: false,
      message: 'Your account was created.',
    });
    expect(await screen.findByRole('link', { name: 'Personal' })).toBeInTheDocument();
    const credentials = { email: 'ada@example.com', password: 'a long enough passphrase' };
    expect(api.register).toHaveBeenCalledWith(credentials);
    expect(api.login).toHaveBeenCalledWith(credentials);
  });

  it('a 401 sends the user to /login and keeps the register form for later', async () => {
    const user = userEvent.setup();
    start('/register');
    await user.type(await screen.findByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'a long enough passphrase');
    api.register.mockRejectedValueOnce(unauthorized('Please sign in again.'));
    await user.click(screen.getByRole('button', { name: 'Create account' }));

    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/login');
    expect(screen.getByRole('alert')).toHaveTextContent('Please sign in again.');

    await user.click(screen.getByRole('link', { name: 'Create an account' }));
    expect(await screen.findByLabelText('Email')).toHaveValue('ada@example.com');
    expect(screen.getByLabelText('Password')).toHaveValue('a long enough passphrase');
  });
});

describe('home', () => {
  it('log out returns to the login page with the email filled in', async () => {
    const user = userEvent.setup();
    api.currentUser.mockResolvedValueOnce(ada);
    start('/');
    const pending = deferred<undefined>();
    api.logout.mockReturnValueOnce(pending.promise);
    await user.click(await screen.findByRole('button', { name: 'Log out' }));
    expect(screen.getByRole('button', { name: 'Logging out…' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Log out everywhere' })).toBeDisabled();

    pending.resolve(undefined);
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(screen.getByLabelText('Email')).toHaveValue(ada.email);
    expect(screen.queryByRole('button', { name: 'Log out' })).not.toBeInTheDocument();
  });

  it('a failed log-out everywhere shows the sentence and stays signed in', async () => {
    const user = userEvent.setup();
    api.currentUser.mockResolvedValueOnce(ada);
    start('/');
    api.logoutAll.mockRejectedValueOnce(new ApiError(503, 'unavailable', 'The server is restarting.'));
    await user.click(await screen.findByRole('button', { name: 'Log out everywhere' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('The server is restarting.');
    expect(api.logoutAll).toHaveBeenCalledOnce();
    expect(screen.getByRole('link', { name: 'Personal' })).toBeInTheDocument();
  });
});
