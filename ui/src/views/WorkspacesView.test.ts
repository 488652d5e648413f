import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import App from '../App.svelte';
import { ApiError, type Workspace } from '../lib/api';
import { AuthController } from '../lib/auth.svelte';
import { Router } from '../lib/router.svelte';
import { ada, deferred, fakeApi, personal, unauthorized, workspace } from '../test/fakes';

let api: ReturnType<typeof fakeApi>;

const research = workspace({
  id: 'w1',
  name: 'Research',
  description: 'Papers and studies',
  sharedWithDomain: true,
  topK: 8,
  collection: 'papers',
});

beforeEach(() => {
  api = fakeApi();
  api.currentUser.mockResolvedValue(ada);
  api.listWorkspaces.mockResolvedValue([personal, research]);
});

function start(path = '/') {
  window.history.replaceState(null, '', path);
  const router = new Router();
  const auth = new AuthController(api, router);
  render(App, { auth, router });
  return { auth, router };
}

function list(): HTMLElement {
  return screen.getByRole('list', { name: 'Your workspaces' });
}

describe('the workspaces list (home)', () => {
  it('shows progress, then each workspace with a link to its chat and its settings', async () => {
    const pending = deferred<Workspace[]>();
    api.listWorkspaces.mockReturnValueOnce(pending.promise);
    start('/');
    expect(await screen.findByText('Loading your workspaces…')).toHaveAttribute('role', 'status');

    pending.resolve([personal, research]);
    const item = (await screen.findByRole('link', { name: 'Research' })).closest('li') as HTMLElement;
    expect(within(item).getByRole('link', { name: 'Research' })).toHaveAttribute('href', '/app/w/w1');
    expect(within(item).getByRole('link', { name: 'Settings of Research' })).toHaveAttribute(
      'href',
      '/app/w/w1/settings',
    );
    expect(item).toHaveTextContent('Papers and studies');
    expect(item).toHaveTextContent('Shared with your email domain');
    expect(within(list()).getByRole('link', { name: 'Personal' })).toHaveAttribute('href', '/app/w/w-personal');
  });

  it('the header links to Workspaces and History', async () => {
    const user = userEvent.setup();
    start('/');
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'Workspaces' })).toHaveAttribute('aria-current', 'page');
    await user.click(within(nav).getByRole('link', { name: 'History' }));
    expect(await screen.findByRole('heading', { name: 'History', level: 1 })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/app/history');
    expect(within(nav).getByRole('link', { name: 'History' })).toHaveAttribute('aria-current', 'page');
  });

  it('opens a workspace’s chat without reloading', async () => {
    const user = userEvent.setup();
    start('/');
    await user.click(await screen.findByRole('link', { name: 'Research' }));
    expect(await screen.findByRole('heading', { name: 'New conversation', level: 1 })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/app/w/w1');
  });

  it('creates a workspace', async () => {
    const user = userEvent.setup();
    start('/');
    await screen.findByRole('link', { name: 'Research' });
    const pending = deferred<Workspace>();
    api.createWorkspace.mockReturnValueOnce(pending.promise);
    await user.type(screen.getByLabelText('New workspace'), '  HR policies  ');
    await user.click(screen.getByRole('button', { name: 'Create workspace' }));
    expect(screen.getByRole('button', { name: 'Creating…' })).toBeDisabled();
    expect(api.createWorkspace).toHaveBeenCalledWith({ name: 'HR policies' });

    pending.resolve(workspace({ id: 'w2', name: 'HR policies' }));
    expect(await within(list()).findByRole('link', { name: 'HR policies' })).toBeInTheDocument();
    expect(screen.getByText('Workspace “HR policies” created.')).toBeInTheDocument();
    expect(screen.getByLabelText('New workspace')).toHaveValue('');
  });

  it('checks the name first, and shows the server’s sentence, keeping what was typed', async () => {
    const user = userEvent.setup();
    start('/');
    await screen.findByRole('link', { name: 'Research' });
    await user.click(screen.getByRole('button', { name: 'Create workspace' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Give the workspace a name.');
    expect(api.createWorkspace).not.toHaveBeenCalled();

    api.createWorkspace.mockRejectedValueOnce(new ApiError(422, 'invalid_name', 'That name cannot be used.'));
    await user.type(screen.getByLabelText('New workspace'), 'Bad name');
    await user.click(screen.getByRole('button', { name: 'Create workspace' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('That name cannot be used.');
    expect(screen.getByLabelText('New workspace')).toHaveValue('Bad name');
  });

  it('renames a workspace in place; Escape cancels', async () => {
    const user = userEvent.setup();
    start('/');
    await screen.findByRole('link', { name: 'Research' });

    await user.click(screen.getByRole('button', { name: 'Rename Research' }));
    const input = screen.getByRole('textbox', { name: 'New name for Research' });
    expect(input).toHaveFocus();
    expect(input).toHaveValue('Research');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('textbox', { name: 'New name for Research' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Rename Research' })).toHaveFocus();

    api.updateWorkspace.mockResolvedValueOnce({ ...research, name: 'Science' });
    await user.click(screen.getByRole('button', { name: 'Rename Research' }));
    await user.clear(screen.getByRole('textbox', { name: 'New name for Research' }));
    await user.type(screen.getByRole('textbox', { name: 'New name for Research' }), 'Science{Enter}');
    expect(api.updateWorkspace).toHaveBeenCalledWith('w1', { name: 'Science' });
    expect(await within(list()).findByRole('link', { name: 'Science' })).toBeInTheDocument();
  });

  it('deletes a workspace only after confirming', async () => {
    const user = userEvent.setup();
    start('/');
    await screen.findByRole('link', { name: 'Research' });

    await user.click(screen.getByRole('button', { name: 'Delete Research' }));
    const question = screen.getByRole('group', { name: 'Delete “Research” and all its conversations?' });
    await user.click(within(question).getByRole('button', { name: 'Cancel' }));
    expect(api.deleteWorkspace).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Delete Research' })).toHaveFocus();

    await user.click(screen.getByRole('button', { name: 'Delete Research' }));
    await user.click(
      within(screen.getByRole('group', { name: 'Delete “Research” and all its conversations?' })).getByRole('button', {
        name: 'Delete',
      }),
    );
    expect(api.deleteWorkspace).toHaveBeenCalledWith('w1');
    await waitFor(() => expect(within(list()).queryByRole('link', { name: 'Research' })).not.toBeInTheDocument());
    expect(screen.getByText('Workspace “Research” deleted.')).toBeInTheDocument();
  });

  it('a failed list can be tried again', async () => {
    const user = userEvent.setup();
    api.listWorkspaces.mockRejectedValueOnce(new ApiError(500, 'internal', 'Something went wrong inside Docent.'));
    start('/');
    expect(await screen.findByRole('alert')).toHaveTextContent('Something went wrong inside Docent.');
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('link', { name: 'Research' })).toBeInTheDocument();
  });

  it('a 401 sends the user to sign in, keeping the typed workspace name', async () => {
    const user = userEvent.setup();
    start('/');
    await screen.findByRole('link', { name: 'Research' });
    api.createWorkspace.mockRejectedValueOnce(unauthorized('Please sign in again.'));
    await user.type(screen.getByLabelText('New workspace'), 'Legal');
    await user.click(screen.getByRole('button', { name: 'Create workspace' }));

    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('Please sign in again.');

    await user.type(screen.getByLabelText('Email'), ada.email);
    await user.type(screen.getByLabelText('Password'), 'a long enough passphrase');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByLabelText('New workspace')).toHaveValue('Legal');
  });

  it('signing out forgets what was typed', async () => {
    const user = userEvent.setup();
    start('/');
    await screen.findByRole('link', { name: 'Research' });
    await user.type(screen.getByLabelText('New workspace'), 'Secret project');
    await user.click(screen.getByRole('button', { name: 'Log out' }));
    await screen.findByRole('heading', { name: 'Sign in' });
    await user.type(screen.getByLabelText('Password'), 'a long enough passphrase');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByLabelText('New workspace')).toHaveValue('');
  });
});

describe('workspace settings', () => {
  beforeEach(() => {
    api.getWorkspace.mockResolvedValue(research);
  });

  it('shows the saved settings and saves only what changed', async () => {
    const user = userEvent.setup();
    start('/app/w/w1/settings');
    expect(await screen.findByRole('heading', { name: 'Research: settings', level: 1 })).toBeInTheDocument();
    expect(screen.getByLabelText('Name')).toHaveValue('Research');
    expect(screen.getByLabelText('Description')).toHaveValue('Papers and studies');
    expect(screen.getByLabelText('Collection')).toHaveValue('papers');
    expect(screen.getByLabelText('Passages per question (top-k)')).toHaveValue(8);
    expect(screen.getByLabelText('Model')).toHaveValue('');
    expect(screen.getByLabelText('Share conversations with my email domain')).toBeChecked();

    await user.type(screen.getByLabelText('System prompt'), 'Answer in French.');
    await user.clear(screen.getByLabelText('Collection'));
    await user.clear(screen.getByLabelText('Passages per question (top-k)'));
    await user.type(screen.getByLabelText('Passages per question (top-k)'), '12');
    await user.click(screen.getByLabelText('Share conversations with my email domain'));
    api.updateWorkspace.mockResolvedValueOnce({
      ...research,
      systemPrompt: 'Answer in French.',
      collection: null,
      topK: 12,
      sharedWithDomain: false,
    });
    await user.click(screen.getByRole('button', { name: 'Save settings' }));

    expect(api.updateWorkspace).toHaveBeenCalledWith('w1', {
      systemPrompt: 'Answer in French.',
      collection: '',
      topK: 12,
      sharedWithDomain: false,
    });
    expect(await screen.findByText('Settings saved.')).toBeInTheDocument();
  });

  it('checks top-k and the name before saving, and shows the server’s sentence', async () => {
    const user = userEvent.setup();
    start('/app/w/w1/settings');
    const topK = await screen.findByLabelText('Passages per question (top-k)');
    await user.clear(topK);
    await user.type(topK, '99');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(screen.getByRole('alert')).toHaveTextContent('from 1 to 50');
    expect(topK).toHaveAttribute('aria-invalid', 'true');
    expect(topK).toHaveAccessibleDescription(/^How many passages are retrieved for each question \(1–50\)\..*from 1 to 50/);
    expect(topK).toHaveFocus();
    expect(api.updateWorkspace).not.toHaveBeenCalled();

    await user.clear(topK);
    await user.type(topK, '5');
    await user.clear(screen.getByLabelText('Name'));
    await user.type(screen.getByLabelText('Name'), 'x'.repeat(10));
    api.updateWorkspace.mockRejectedValueOnce(new ApiError(422, 'invalid_name', 'That name is taken here.'));
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('That name is taken here.');
    expect(screen.getByLabelText('Name')).toHaveAttribute('aria-invalid', 'true');
  });

  it('deletes the workspace after confirming, and goes back to the list', async () => {
    const user = userEvent.setup();
    start('/app/w/w1/settings');
    await user.click(await screen.findByRole('button', { name: 'Delete workspace' }));
    await user.click(
      within(screen.getByRole('group', { name: 'Delete “Research” and all its conversations?' })).getByRole('button', {
        name: 'Delete',
      }),
    );
    expect(api.deleteWorkspace).toHaveBeenCalledWith('w1');
    await waitFor(() => expect(window.location.pathname).toBe('/'));
  });
});
