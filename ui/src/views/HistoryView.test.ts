import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import App from '../App.svelte';
import { ApiError } from '../lib/api';
import { AuthController } from '../lib/auth.svelte';
import { Router } from '../lib/router.svelte';
import { ada, conversation, fakeApi, historyEntry, personal, workspace } from '../test/fakes';

let api: ReturnType<typeof fakeApi>;

beforeEach(() => {
  api = fakeApi();
  api.currentUser.mockResolvedValue(ada);
  api.listWorkspaces.mockResolvedValue([personal, workspace({ id: 'w1', name: 'Research' })]);
  api.searchHistory.mockResolvedValue([
    historyEntry({ conversationId: 'c1', workspaceId: 'w1', title: 'Holiday policy' }),
    historyEntry({ conversationId: 'c2', workspaceId: 'w-personal', title: 'Sick pay', firstQuery: 'Who pays?' }),
  ]);
});

function start(path = '/app/history') {
  window.history.replaceState(null, '', path);
  const router = new Router();
  const auth = new AuthController(api, router);
  render(App, { auth, router });
  return { auth, router };
}

function results(): HTMLElement {
  return screen.getByRole('list', { name: 'Conversations' });
}

describe('history', () => {
  it('lists the user’s own conversations, newest first, linked into their workspaces', async () => {
    start();
    expect(await screen.findByRole('heading', { name: 'History', level: 1 })).toBeInTheDocument();
    const link = await within(await screen.findByRole('list', { name: 'Conversations' })).findByRole('link', {
      name: 'Holiday policy',
    });
    expect(link).toHaveAttribute('href', '/app/w/w1/c/c1');
    expect(within(results()).getByRole('link', { name: 'Sick pay' })).toHaveAttribute(
      'href',
      '/app/w/w-personal/c/c2',
    );
    expect(within(results()).getByText('Who pays?')).toBeInTheDocument();
    await waitFor(() => expect(results()).toHaveTextContent('Research'));
    expect(api.searchHistory).toHaveBeenCalledWith({
      scope: 'mine',
      q: undefined,
      from: undefined,
      to: undefined,
      workspaceId: undefined,
      limit: 21,
      offset: 0,
    });
    expect(screen.getByRole('tab', { name: 'Mine' })).toHaveAttribute('aria-selected', 'true');
  });

  it('searches with words, dates and a workspace', async () => {
    const user = userEvent.setup();
    start();
    await screen.findByRole('link', { name: 'Holiday policy' });
    await user.type(screen.getByRole('searchbox', { name: 'Search' }), 'holiday');
    await user.type(screen.getByLabelText('From'), '2030-01-01');
    await user.type(screen.getByLabelText('To'), '2030-01-31');
    await waitFor(() => expect(screen.getByRole('option', { name: 'Research' })).toBeInTheDocument());
    await user.selectOptions(screen.getByLabelText('Workspace'), 'Research');
    await user.click(screen.getByRole('button', { name: 'Search' }));

    expect(api.searchHistory).toHaveBeenLastCalledWith({
      scope: 'mine',
      q: 'holiday',
      // The start of the first day and the start of the day after the last, in local time.
      from: new Date(2030, 0, 1).toISOString(),
      to: new Date(2030, 1, 1).toISOString(),
      workspaceId: 'w1',
      limit: 21,
      offset: 0,
    });
  });

  it('refuses a "from" date after the "to" date', async () => {
    const user = userEvent.setup();
    start();
    await screen.findByRole('link', { name: 'Holiday policy' });
    const calls = api.searchHistory.mock.calls.length;
    await user.type(screen.getByLabelText('From'), '2030-02-01');
    await user.type(screen.getByLabelText('To'), '2030-01-01');
    await user.click(screen.getByRole('button', { name: 'Search' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The “from” date is after the “to” date.');
    expect(api.searchHistory).toHaveBeenCalledTimes(calls);
  });

  it('"My domain" lists shared conversations, which open read-only on their own', async () => {
    const user = userEvent.setup();
    start();
    await screen.findByRole('link', { name: 'Holiday policy' });
    api.searchHistory.mockResolvedValueOnce([
      historyEntry({ conversationId: 'c7', workspaceId: 'w-other', userId: 'u2', title: 'Expenses' }),
    ]);
    api.getConversation.mockResolvedValueOnce(conversation({ id: 'c7', title: 'Expenses', readOnly: true }));

    const mine = screen.getByRole('tab', { name: 'Mine' });
    mine.focus();
    await user.keyboard('{ArrowRight}');
    const domain = screen.getByRole('tab', { name: 'My domain' });
    expect(domain).toHaveAttribute('aria-selected', 'true');
    expect(domain).toHaveFocus();
    expect(api.searchHistory).toHaveBeenLastCalledWith(expect.objectContaining({ scope: 'domain', offset: 0 }));
    expect(screen.queryByLabelText('Workspace')).not.toBeInTheDocument();

    const link = await within(results()).findByRole('link', { name: 'Expenses' });
    expect(link).toHaveAttribute('href', '/app/c/c7');
    expect(within(results()).getByText('Read-only')).toBeInTheDocument();

    await user.click(link);
    expect(await screen.findByRole('heading', { name: 'Expenses', level: 1 })).toBeInTheDocument();
    expect(screen.getByText(/only the person who started it can write in it/)).toBeInTheDocument();
    expect(screen.queryByRole('textbox', { name: 'Your question' })).not.toBeInTheDocument();
  });

  it('pages through the results', async () => {
    const user = userEvent.setup();
    const page = (start: number, count: number) =>
      Array.from({ length: count }, (_, i) =>
        historyEntry({ conversationId: `c${start + i}`, title: `Conversation ${start + i}` }),
      );
    api.searchHistory.mockReset();
    api.searchHistory.mockResolvedValueOnce(page(0, 21)).mockResolvedValueOnce(page(20, 5)).mockResolvedValueOnce(page(0, 21));
    start();
    expect(await screen.findByRole('link', { name: 'Conversation 19' })).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Conversation 20' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Previous' })).toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Next' }));
    expect(await screen.findByRole('link', { name: 'Conversation 24' })).toBeInTheDocument();
    expect(api.searchHistory).toHaveBeenLastCalledWith(expect.objectContaining({ limit: 21, offset: 20 }));
    expect(screen.getByRole('button', { name: 'Next' })).toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Previous' }));
    expect(await screen.findByRole('link', { name: 'Conversation 0' })).toBeInTheDocument();
    expect(api.searchHistory).toHaveBeenLastCalledWith(expect.objectContaining({ offset: 0 }));
  });

  it('shows the server’s sentence when the search fails', async () => {
    api.searchHistory.mockRejectedValueOnce(new ApiError(400, 'bad_request', 'The dates cannot be read.'));
    start();
    expect(await screen.findByRole('alert')).toHaveTextContent('The dates cannot be read.');
  });

  it('keeps the filters when the user opens a conversation and comes back', async () => {
    const user = userEvent.setup();
    api.getConversation.mockResolvedValue(conversation({ id: 'c1', workspaceId: 'w1' }));
    start();
    await screen.findByRole('link', { name: 'Holiday policy' });
    await user.type(screen.getByRole('searchbox', { name: 'Search' }), 'holiday');
    await user.click(screen.getByRole('button', { name: 'Search' }));
    await user.click(await screen.findByRole('link', { name: 'Holiday policy' }));
    await waitFor(() => expect(window.location.pathname).toBe('/app/w/w1/c/c1'));

    await user.click(screen.getByRole('link', { name: 'History' }));
    expect(await screen.findByRole('searchbox', { name: 'Search' })).toHaveValue('holiday');
  });
});
