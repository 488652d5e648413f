import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import App from '../App.svelte';
import { AuthController } from '../lib/auth.svelte';
import { Router } from '../lib/router.svelte';
import { ada, connectionStatus, fakeApi } from '../test/fakes';

const KEYRING_NOTICE = 'No OS keyring is available, so you will have to sign in again next time Docent starts.';

let api: ReturnType<typeof fakeApi>;

beforeEach(() => {
  api = fakeApi();
  api.currentUser.mockResolvedValue(ada);
});

function start(path = '/') {
  window.history.replaceState(null, '', path);
  const router = new Router();
  const auth = new AuthController(api, router);
  render(App, { auth, router });
  return { auth, router };
}

describe('the keyring notice', () => {
  it('is shown in the header when the session is kept in memory only, on every page, until dismissed', async () => {
    const user = userEvent.setup();
    api.getStatus.mockResolvedValue(connectionStatus({ sessionStorage: 'memory' }));
    start('/');
    const header = screen.getByRole('banner');
    expect(await within(header).findByText(KEYRING_NOTICE)).toBeInTheDocument();

    await user.click(within(header).getByRole('link', { name: 'History' }));
    expect(await screen.findByRole('heading', { name: 'History', level: 1 })).toBeInTheDocument();
    expect(within(header).getByText(KEYRING_NOTICE)).toBeInTheDocument();

    await user.click(within(header).getByRole('button', { name: 'Dismiss' }));
    expect(within(header).queryByText(KEYRING_NOTICE)).not.toBeInTheDocument();

    // Once per run: the chat reads the status again, and the notice stays closed.
    const calls = api.getStatus.mock.calls.length;
    await user.click(within(header).getByRole('link', { name: 'Workspaces' }));
    await user.click(await screen.findByRole('link', { name: 'Personal' }));
    await waitFor(() => expect(api.getStatus.mock.calls.length).toBeGreaterThan(calls));
    expect(within(header).queryByText(KEYRING_NOTICE)).not.toBeInTheDocument();
  });

  it('is not shown when the session is in a cookie or the OS keyring', async () => {
    api.getStatus.mockResolvedValueOnce(connectionStatus({ sessionStorage: 'keyring' }));
    start('/');
    expect(await screen.findByRole('link', { name: 'Personal' })).toBeInTheDocument();
    await waitFor(() => expect(api.getStatus).toHaveBeenCalledOnce());
    expect(screen.queryByText(KEYRING_NOTICE)).not.toBeInTheDocument();
  });

  it('nobody signed in: the status is not asked for', async () => {
    api.currentUser.mockResolvedValue(null);
    start('/');
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(api.getStatus).not.toHaveBeenCalled();
    expect(screen.queryByText(KEYRING_NOTICE)).not.toBeInTheDocument();
  });
});

describe('the header', () => {
  it('is as wide as the page below it: the whole width on the chat pages', async () => {
    const user = userEvent.setup();
    start('/');
    const header = screen.getByRole('banner');
    await user.click(await screen.findByRole('link', { name: 'Personal' }));
    expect(await screen.findByRole('heading', { name: 'New conversation', level: 1 })).toBeInTheDocument();
    expect(header).toHaveClass('wide');
    expect(screen.getByRole('main')).toHaveClass('wide');

    await user.click(within(header).getByRole('link', { name: 'History' }));
    expect(await screen.findByRole('heading', { name: 'History', level: 1 })).toBeInTheDocument();
    expect(header).not.toHaveClass('wide');
    expect(screen.getByRole('main')).not.toHaveClass('wide');
  });

  it('shows the whole email in a title, as a long one may be cut short', async () => {
    const email = 'augusta.ada.king.countess.of.lovelace@analytical-engines.example.com';
    api.currentUser.mockResolvedValue({ ...ada, email });
    start('/');
    const header = screen.getByRole('banner');
    expect(await within(header).findByText(email)).toHaveAttribute('title', `Signed in as ${email}`);
  });
});
