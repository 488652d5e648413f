/**
 * Component tests for the password-reset and passwordless sign-in views,
 * rendered through App like the other views (App.test.ts).
 */
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import App from './App.svelte';
import { ApiError, type Acknowledgement, type Api, type LoginResult } from './lib/api';
import { AuthController } from './lib/auth.svelte';
import { Router } from './lib/router.svelte';
import { ada, deferred, fakeApi } from './test/fakes';

let api: ReturnType<typeof fakeApi>;

function start(path = '/') {
  window.history.replaceState(null, '', path);
  const router = new Router();
  const auth = new AuthController(api, router);
  render(App, { auth, router });
  return { auth, router };
}

const signedIn: LoginResult = { userId: 'u1', expiresAt: '2030-01-01T00:00:00Z', notice: null };
const HINT = /at least 15 characters.*passphrase/;

beforeEach(() => {
  api = fakeApi();
});

describe('login page links', () => {
  it('"Forgot your password?" opens /forgot-password with the typed email', async () => {
    const user = userEvent.setup();
    start('/login');
    await user.type(await screen.findByLabelText('Email'), 'ada@example.com');
    await user.click(screen.getByRole('link', { name: 'Forgot your password?' }));
    expect(await screen.findByRole('heading', { name: 'Reset your password' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/forgot-password');
    expect(screen.getByLabelText('Email')).toHaveValue('ada@example.com');
  });

  it('"Sign in with an emailed link instead" opens /login/email', async () => {
    const user = userEvent.setup();
    start('/login');
    await user.click(await screen.findByRole('link', { name: 'Sign in with an emailed link instead' }));
    expect(await screen.findByRole('heading', { name: 'Sign in with email' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/login/email');
  });
});

describe('forgot-password page', () => {
  it("sends the request, then shows the server's sentence as a status and stays", async () => {
    const user = userEvent.setup();
    start('/forgot-password');
    await user.type(await screen.findByLabelText('Email'), 'ada@example.com');

    const request = deferred<Acknowledgement>();
    api.requestPasswordReset.mockReturnValueOnce(request.promise);
    await user.click(screen.getByRole('button', { name: 'Send reset link' }));
    expect(screen.getByRole('button', { name: 'Sending…' })).toBeDisabled();
    expect(api.requestPasswordReset).toHaveBeenCalledWith('ada@example.com');

    request.resolve({ message: 'If an account exists for that email, we sent a link.' });
    expect(await screen.findByText('If an account exists for that email, we sent a link.')).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('If an account exists for that email, we sent a link.');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(window.location.pathname).toBe('/forgot-password');
    expect(screen.getByRole('button', { name: 'Send reset link' })).toBeEnabled();

    await user.click(screen.getByRole('link', { name: 'Back to sign in' }));
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
  });

  it("shows the server's sentence in an alert when email is not set up", async () => {
    const user = userEvent.setup();
    start('/forgot-password');
    await user.type(await screen.findByLabelText('Email'), 'ada@example.com');
    api.requestPasswordReset.mockRejectedValueOnce(
      new ApiError(503, 'email_not_configured', 'This Docent server cannot send email yet.'),
    );
    await user.click(screen.getByRole('button', { name: 'Send reset link' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('This Docent server cannot send email yet.');
    expect(screen.getByRole('status')).toBeEmptyDOMElement();
    expect(screen.getByLabelText('Email')).toHaveValue('ada@example.com');
  });
});

describe('reset-password page', () => {
  it('has the passphrase hint and new-password autocomplete', async () => {
    start('/reset-password?token=tok-123');
    const password = await screen.findByLabelText('New password');
    expect(password).toHaveAttribute('type', 'password');
    expect(password).toHaveAttribute('autocomplete', 'new-password');
    expect(password).toHaveAccessibleDescription(HINT);
  });

  it('sets the password, drops the token from the URL and confirms on the login page', async () => {
    const user = userEvent.setup();
    start('/reset-password?token=tok-123');
    await user.type(await screen.findByLabelText('New password'), 'a brand new passphrase');

    const reset = deferred<Acknowledgement>();
    api.resetPassword.mockReturnValueOnce(reset.promise);
    const replace = vi.spyOn(window.history, 'replaceState');
    const push = vi.spyOn(window.history, 'pushState');
    await user.click(screen.getByRole('button', { name: 'Set new password' }));
    expect(screen.getByRole('button', { name: 'Setting your new password…' })).toBeDisabled();
    expect(api.resetPassword).toHaveBeenCalledWith({ token: 'tok-123', password: 'a brand new passphrase' });

    reset.resolve({ message: 'Your password was changed.' });
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/login');
    expect(screen.getByRole('status')).toHaveTextContent('Your password was changed. Sign in with the new one.');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(api.login).not.toHaveBeenCalled();

    // The reset entry was rewritten without its token before /login was pushed.
    expect(replace).toHaveBeenCalledWith(null, '', '/reset-password');
    expect(push).toHaveBeenCalledWith(null, '', '/login');
    expect(replace.mock.invocationCallOrder[0]).toBeLessThan(push.mock.invocationCallOrder[0] ?? 0);
    expect(window.location.href).not.toContain('tok-123');

    // The confirmation goes away with the next attempt.
    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'a brand new passphrase');
    api.login.mockRejectedValueOnce(new ApiError(401, 'invalid_credentials', 'The email or password is wrong.'));
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The email or password is wrong.');
    expect(screen.getByRole('status')).toBeEmptyDOMElement();
  });

  it("shows the password rule's sentence and keeps the form", async () => {
    const user = userEvent.setup();
    start('/reset-password?token=tok-123');
    await user.type(await screen.findByLabelText('New password'), 'password');
    api.resetPassword.mockRejectedValueOnce(
      new ApiError(422, 'password_too_short', 'Passwords need at least 15 characters.'),
    );
    await user.click(screen.getByRole('button', { name: 'Set new password' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('Passwords need at least 15 characters.');
    expect(screen.getByLabelText('New password')).toHaveValue('password');
    expect(window.location.search).toBe('?token=tok-123');
  });

  it('explains an expired or used link and offers a new one', async () => {
    const user = userEvent.setup();
    start('/reset-password?token=tok-123');
    await user.type(await screen.findByLabelText('New password'), 'a brand new passphrase');
    api.resetPassword.mockRejectedValueOnce(new ApiError(400, 'invalid_token', 'Invalid token.'));
    await user.click(screen.getByRole('button', { name: 'Set new password' }));

    expect(await screen.findByRole('alert')).toHaveTextContent(/expired or was already used/);
    expect(screen.queryByLabelText('New password')).not.toBeInTheDocument();
    const again = screen.getByRole('link', { name: 'Request a new reset link' });
    await waitFor(() => expect(again).toHaveFocus());

    await user.click(again);
    expect(await screen.findByRole('heading', { name: 'Reset your password' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/forgot-password');
  });

  it('explains a link without a token, with a way to ask for a new one', async () => {
    start('/reset-password');
    expect(await screen.findByRole('alert')).toHaveTextContent(/link is incomplete/);
    expect(screen.queryByLabelText('New password')).not.toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Request a new reset link' })).toHaveAttribute('href', '/forgot-password');
  });

  it('works for a browser that is still signed in, which stays signed in', async () => {
    const user = userEvent.setup();
    api.currentUser.mockResolvedValueOnce(ada).mockResolvedValueOnce(ada);
    start('/reset-password?token=tok-123');
    await user.type(await screen.findByLabelText('New password'), 'a brand new passphrase');
    await user.click(screen.getByRole('button', { name: 'Set new password' }));

    expect(await screen.findByText('Your password was changed.')).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('Your password was changed.');
    expect(window.location.pathname).toBe('/reset-password');
    expect(window.location.search).toBe('');
    expect(screen.getByRole('link', { name: 'Go to your workspaces' })).toBeInTheDocument();
  });
});

describe('email sign-in page', () => {
  it('emails a link, then signs in with the code typed in', async () => {
    const user = userEvent.setup();
    start('/login/email');
    await user.type(await screen.findByLabelText('Email'), 'ada@example.com');

    const request = deferred<Acknowledgement>();
    api.requestLoginEmail.mockReturnValueOnce(request.promise);
    await user.click(screen.getByRole('button', { name: 'Email me a sign-in link' }));
    expect(screen.getByRole('button', { name: 'Sending…' })).toBeDisabled();
    expect(api.requestLoginEmail).toHaveBeenCalledWith('ada@example.com');

    request.resolve({ message: 'If that email can sign in here, we sent it a link and a code.' });
    const code = await screen.findByLabelText('Code from the email');
    expect(screen.getByRole('status')).toHaveTextContent('If that email can sign in here, we sent it a link and a code.');
    expect(code).toHaveAccessibleDescription(/Open the link in the email, or type the code from the email here/);
    expect(code).toHaveAttribute('autocomplete', 'one-time-code');
    expect(code).toHaveAttribute('inputmode', 'text');
    await waitFor(() => expect(code).toHaveFocus());

    await user.type(code, 'k7qm-3xwp');
    expect(code).toHaveValue('K7QM-3XWP');

    const verify = deferred<LoginResult>();
    api.verifyLogin.mockReturnValueOnce(verify.promise);
    api.currentUser.mockResolvedValueOnce(ada);
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(screen.getByRole('button', { name: 'Signing in…' })).toBeDisabled();
    expect(api.verifyLogin).toHaveBeenCalledWith({ email: 'ada@example.com', code: 'K7QM3XWP' });

    verify.resolve(signedIn);
    expect(await screen.findByRole('link', { name: 'Personal' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/');
  });

  it("shows the server's sentence when the email's domain is not allowed", async () => {
    const user = userEvent.setup();
    start('/login/email');
    await user.type(await screen.findByLabelText('Email'), 'ada@elsewhere.org');
    api.requestLoginEmail.mockRejectedValueOnce(
      new ApiError(403, 'domain_not_allowed', 'Accounts from elsewhere.org cannot sign in here.'),
    );
    await user.click(screen.getByRole('button', { name: 'Email me a sign-in link' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('Accounts from elsewhere.org cannot sign in here.');
    expect(screen.queryByLabelText('Code from the email')).not.toBeInTheDocument();
    expect(screen.getByLabelText('Email')).toHaveValue('ada@elsewhere.org');
  });

  it('a wrong code shows the sentence; a new email can be requested', async () => {
    const user = userEvent.setup();
    start('/login/email');
    await user.type(await screen.findByLabelText('Email'), 'ada@example.com');
    await user.click(screen.getByRole('button', { name: 'Email me a sign-in link' }));
    const code = await screen.findByLabelText('Code from the email');
    await user.type(code, 'AAAA0000');

    api.verifyLogin.mockRejectedValueOnce(
      new ApiError(400, 'invalid_code', 'That code is not right. After 5 tries, request a new email.'),
    );
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'That code is not right. After 5 tries, request a new email.',
    );
    expect(code).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByRole('heading', { name: 'Sign in with email' })).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Request a new email' }));
    const email = await screen.findByLabelText('Email');
    expect(email).toHaveValue('ada@example.com');
    await waitFor(() => expect(email).toHaveFocus());
    expect(screen.getByRole('button', { name: 'Email me a sign-in link' })).toBeEnabled();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('checks the shape of the code before asking the server', async () => {
    const user = userEvent.setup();
    start('/login/email');
    await user.type(await screen.findByLabelText('Email'), 'ada@example.com');
    await user.click(screen.getByRole('button', { name: 'Email me a sign-in link' }));
    await user.type(await screen.findByLabelText('Code from the email'), 'K7QM-3X');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('alert')).toHaveTextContent(/8 letters and digits/);
    expect(api.verifyLogin).not.toHaveBeenCalled();
  });
});

describe('sign-in link page', () => {
  it('does not sign in on load; the button does, then the token leaves the URL', async () => {
    const user = userEvent.setup();
    start('/login/verify?token=tok-123');
    expect(await screen.findByRole('heading', { name: 'Sign in to Docent' })).toBeInTheDocument();
    expect(screen.getByText(/as requested from your email/)).toBeInTheDocument();
    expect(screen.getAllByRole('button')).toHaveLength(1);
    expect(api.verifyLogin).not.toHaveBeenCalled();

    const verify = deferred<LoginResult>();
    api.verifyLogin.mockReturnValueOnce(verify.promise);
    api.currentUser.mockResolvedValueOnce(ada);
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(screen.getByRole('button', { name: 'Signing in…' })).toBeDisabled();
    expect(api.verifyLogin).toHaveBeenCalledExactlyOnceWith({ token: 'tok-123' });

    verify.resolve(signedIn);
    expect(await screen.findByRole('link', { name: 'Personal' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/');
    expect(window.location.href).not.toContain('tok-123');
  });

  it('explains an expired or used link and links to a new sign-in email', async () => {
    const user = userEvent.setup();
    start('/login/verify?token=tok-123');
    api.verifyLogin.mockRejectedValueOnce(new ApiError(400, 'invalid_token', 'Invalid token.'));
    await user.click(await screen.findByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('alert')).toHaveTextContent(/expired or was already used/);
    expect(screen.queryByRole('button', { name: 'Sign in' })).not.toBeInTheDocument();
    const again = screen.getByRole('link', { name: 'Email me a new sign-in link' });
    await waitFor(() => expect(again).toHaveFocus());
    await user.click(again);
    expect(await screen.findByRole('heading', { name: 'Sign in with email' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/login/email');
  });

  it('shows other failures and lets the user try again', async () => {
    const user = userEvent.setup();
    start('/login/verify?token=tok-123');
    api.verifyLogin.mockRejectedValueOnce(new ApiError(0, 'network_error', "Docent's server cannot be reached."));
    await user.click(await screen.findByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent("Docent's server cannot be reached.");
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeEnabled();
    expect(window.location.search).toBe('?token=tok-123');
  });

  it('explains a link without a token', async () => {
    start('/login/verify');
    expect(await screen.findByRole('alert')).toHaveTextContent(/link is incomplete/);
    expect(screen.queryByRole('button', { name: 'Sign in' })).not.toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Email me a new sign-in link' })).toHaveAttribute('href', '/login/email');
  });

  it('a signed-in user who opens a link goes home, and the token leaves the URL', async () => {
    api.currentUser.mockResolvedValueOnce(ada);
    start('/login/verify?token=tok-123');
    expect(await screen.findByRole('link', { name: 'Personal' })).toBeInTheDocument();
    expect(api.verifyLogin).not.toHaveBeenCalled();
    expect(window.location.href).not.toContain('tok-123');
  });
});

describe('links handed over by the desktop app', () => {
  /** Gives the API the desktop app's `onAppLink`; `open` plays the OS handing a link over. */
  function desktopLinks() {
    let handler: ((path: string) => void) | null = null;
    const onAppLink = vi.fn<NonNullable<Api['onAppLink']>>(async (onLink) => {
      handler = onLink;
    });
    Object.assign(api, { onAppLink });
    return {
      onAppLink,
      open(path: string) {
        if (!handler) throw new Error('onAppLink was not called');
        handler(path);
      },
    };
  }

  it('a sign-in link opens its page, which reads the token of the link', async () => {
    const user = userEvent.setup();
    const links = desktopLinks();
    start('/login');
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(links.onAppLink).toHaveBeenCalledOnce();

    links.open('/login/verify?token=tok-9');
    expect(await screen.findByRole('heading', { name: 'Sign in to Docent' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/login/verify');
    api.currentUser.mockResolvedValueOnce(ada);
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(api.verifyLogin).toHaveBeenCalledExactlyOnceWith({ token: 'tok-9' });
    expect(await screen.findByRole('link', { name: 'Personal' })).toBeInTheDocument();
    expect(window.location.href).not.toContain('tok-9');
  });

  it('a new link while an expired one is shown starts again with the new token', async () => {
    const user = userEvent.setup();
    const links = desktopLinks();
    start('/login/verify?token=tok-old');
    api.verifyLogin.mockRejectedValueOnce(new ApiError(400, 'invalid_token', 'Invalid token.'));
    await user.click(await screen.findByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(/expired or was already used/);

    links.open('/login/verify?token=tok-new');
    await user.click(await screen.findByRole('button', { name: 'Sign in' }));
    expect(api.verifyLogin).toHaveBeenLastCalledWith({ token: 'tok-new' });
  });

  it('a password-reset link opens its page, also for a signed-in user', async () => {
    const user = userEvent.setup();
    const links = desktopLinks();
    api.currentUser.mockResolvedValue(ada);
    start('/');
    expect(await screen.findByRole('link', { name: 'Personal' })).toBeInTheDocument();

    links.open('/reset-password?token=reset-1');
    expect(await screen.findByRole('heading', { name: 'Set a new password' })).toBeInTheDocument();
    await user.type(screen.getByLabelText('New password'), 'a long enough passphrase');
    await user.click(screen.getByRole('button', { name: 'Set new password' }));
    expect(api.resetPassword).toHaveBeenCalledExactlyOnceWith({ token: 'reset-1', password: 'a long enough passphrase' });
    expect(await screen.findByRole('status')).toHaveTextContent('Your password was changed.');
  });
});
