/**
 * Component tests of confirming a password account's address: after registering, after a
 * password sign-in the server refused for an unconfirmed address, and from the emailed link.
 * Rendered through App like the other views (App.test.ts).
 */
import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import App from './App.svelte';
import { ApiError } from './lib/api';
import { AuthController } from './lib/auth.svelte';
import { Router } from './lib/router.svelte';
import { ada, fakeApi } from './test/fakes';

let api: ReturnType<typeof fakeApi>;

function start(path = '/') {
  window.history.replaceState(null, '', path);
  const router = new Router();
  const auth = new AuthController(api, router);
  render(App, { auth, router });
  return { auth, router };
}

const typed = { email: 'ada@example.com', password: 'a long enough passphrase' };
const CREATED = 'Your account was created. To sign in, confirm your address: open the link sent to ada@example.com.';
const NOT_VERIFIED = 'Confirm your email address first: open the link Docent emailed you, or type its code.';

beforeEach(() => {
  api = fakeApi();
});

describe('after registering where email is set up', () => {
  it('asks for the emailed code, keeps the password typed at registration, and signs in', async () => {
    const user = userEvent.setup();
    api.register.mockResolvedValueOnce({
      userId: 'u1',
      email: typed.email,
      emailVerified: false,
      verificationSent: true,
      message: CREATED,
    });
    start('/register');
    await user.type(await screen.findByLabelText('Email'), typed.email);
    await user.type(screen.getByLabelText('Password'), typed.password);
    await user.click(screen.getByRole('button', { name: 'Create account' }));

    expect(await screen.findByRole('heading', { name: 'Confirm your email' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/verify-email');
    expect(screen.getByText(CREATED)).toBeInTheDocument();
    expect(api.login).not.toHaveBeenCalled();
    expect(screen.getByLabelText('Email')).toHaveValue(typed.email);
    expect(screen.getByLabelText('Password')).toHaveValue(typed.password);

    await user.type(screen.getByLabelText('Code from the email'), 'k7qm-3xwp');
    api.currentUser.mockResolvedValueOnce(ada);
    await user.click(screen.getByRole('button', { name: 'Confirm and sign in' }));
    expect(await screen.findByRole('link', { name: 'Personal' })).toBeInTheDocument();
    expect(api.verifyEmail).toHaveBeenCalledWith({ email: typed.email, code: 'K7QM3XWP', password: typed.password });
    expect(window.location.pathname).toBe('/');
  });

  it('a code that is not 8 letters and digits is caught before anything is sent', async () => {
    const user = userEvent.setup();
    const { auth } = start('/verify-email');
    auth.forms.confirmEmail.email = typed.email;
    auth.forms.confirmEmail.password = typed.password;
    await user.type(await screen.findByLabelText('Code from the email'), 'K7QM');
    await user.click(screen.getByRole('button', { name: 'Confirm and sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('8 letters and digits');
    expect(api.verifyEmail).not.toHaveBeenCalled();
  });

  it('sends a new email on request and says so', async () => {
    const user = userEvent.setup();
    const { auth } = start('/verify-email');
    auth.forms.confirmEmail.email = typed.email;
    await user.click(await screen.findByRole('button', { name: 'Send a new email' }));
    expect(api.requestVerification).toHaveBeenCalledWith(typed.email);
    expect(await screen.findByText(/a new confirmation email is on its way/)).toBeInTheDocument();
  });

  it("a wrong password keeps the page, with the server's sentence", async () => {
    const user = userEvent.setup();
    const { auth } = start('/verify-email');
    auth.forms.confirmEmail.email = typed.email;
    api.verifyEmail.mockRejectedValueOnce(
      new ApiError(401, 'invalid_credentials', 'The email or password is incorrect.'),
    );
    await user.type(await screen.findByLabelText('Code from the email'), 'K7QM3XWP');
    await user.type(screen.getByLabelText('Password'), 'not the password');
    await user.click(screen.getByRole('button', { name: 'Confirm and sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The email or password is incorrect.');
    expect(window.location.pathname).toBe('/verify-email');
  });
});

describe('a password sign-in for an address not confirmed yet', () => {
  it('leads to the confirmation page with the reason, and the password kept', async () => {
    const user = userEvent.setup();
    api.login.mockRejectedValueOnce(new ApiError(403, 'email_not_verified', NOT_VERIFIED));
    start('/login');
    await user.type(await screen.findByLabelText('Email'), typed.email);
    await user.type(screen.getByLabelText('Password'), typed.password);
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('heading', { name: 'Confirm your email' })).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent(NOT_VERIFIED);
    expect(screen.getByLabelText('Password')).toHaveValue(typed.password);
    await user.click(screen.getByRole('button', { name: 'Send a new email' }));
    expect(api.requestVerification).toHaveBeenCalledWith(typed.email);
  });
});

describe('the emailed confirmation link', () => {
  it('asks for the password before anything is sent, then signs in', async () => {
    const user = userEvent.setup();
    start('/verify-email?token=tok-123');
    expect(await screen.findByRole('heading', { name: 'Confirm your email' })).toBeInTheDocument();
    expect(screen.queryByLabelText('Code from the email')).not.toBeInTheDocument();
    expect(api.verifyEmail).not.toHaveBeenCalled();
    await user.type(screen.getByLabelText('Password'), typed.password);
    api.currentUser.mockResolvedValueOnce(ada);
    await user.click(screen.getByRole('button', { name: 'Confirm and sign in' }));
    expect(await screen.findByRole('link', { name: 'Personal' })).toBeInTheDocument();
    expect(api.verifyEmail).toHaveBeenCalledWith({ token: 'tok-123', password: typed.password });
    expect(window.location.search).toBe('');
  });

  it('an expired link says so and offers a new email', async () => {
    const user = userEvent.setup();
    api.verifyEmail.mockRejectedValueOnce(
      new ApiError(400, 'invalid_token', 'This link has expired or has already been used. Request a new email.'),
    );
    const { auth } = start('/verify-email?token=tok-old');
    auth.forms.confirmEmail.email = typed.email;
    await user.type(await screen.findByLabelText('Password'), typed.password);
    await user.click(screen.getByRole('button', { name: 'Confirm and sign in' }));
    expect(await screen.findByText(/This confirmation link has expired/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Send a new email' }));
    expect(api.requestVerification).toHaveBeenCalledWith(typed.email);
  });
});

describe('signed in', () => {
  it('the home page shows what the sign-in must tell, until dismissed', async () => {
    const user = userEvent.setup();
    const removed = 'This account had a password that was set before anyone had proven this address.';
    api.verifyLogin.mockResolvedValueOnce({ userId: 'u1', expiresAt: '2030-01-01T00:00:00Z', notice: removed });
    api.currentUser.mockResolvedValueOnce(null).mockResolvedValueOnce(ada);
    start('/login/verify?token=tok-1');
    await user.click(await screen.findByRole('button', { name: 'Sign in' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(removed);
    await user.click(within(alert).getByRole('button', { name: 'Got it' }));
    expect(screen.queryByText(removed)).not.toBeInTheDocument();
  });

  it('an unconfirmed address is told why nothing of its domain shows', async () => {
    const user = userEvent.setup();
    api.currentUser.mockResolvedValueOnce({ ...ada, emailVerified: false });
    start('/app/history');
    await user.click(await screen.findByRole('tab', { name: 'My domain' }));
    expect(await screen.findByText(/Your address is not confirmed/)).toBeInTheDocument();
  });
});
