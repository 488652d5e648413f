import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import App from '../App.svelte';
import { ApiError, type AppSettings } from '../lib/api';
import { AuthController } from '../lib/auth.svelte';
import { Router } from '../lib/router.svelte';
import { ada, appSettings, connectionStatus, deferred, fakeApi, unauthorized } from '../test/fakes';

let api: ReturnType<typeof fakeApi>;

beforeEach(() => {
  api = fakeApi();
  api.currentUser.mockResolvedValue(ada);
});

function start(path = '/app/settings') {
  window.history.replaceState(null, '', path);
  const router = new Router();
  const auth = new AuthController(api, router);
  render(App, { auth, router });
  return { auth, router };
}

const OPERATOR_NOTE =
  'These settings are set by whoever runs this Docent server (DOCENT_LLM_BASE_URL, DOCENT_LLM_MODEL, DOCENT_LLM_API_KEY, DOCENT_RETRIEVAL_URL).';

describe('the settings page', () => {
  it('is linked from the header, next to Workspaces and History', async () => {
    const user = userEvent.setup();
    start('/');
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    const link = within(nav).getByRole('link', { name: 'Settings' });
    expect(link).toHaveAttribute('href', '/app/settings');
    await user.click(link);
    expect(await screen.findByRole('heading', { name: 'Settings', level: 1 })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/app/settings');
    expect(within(nav).getByRole('link', { name: 'Settings' })).toHaveAttribute('aria-current', 'page');
    expect(within(nav).getByRole('link', { name: 'Workspaces' })).not.toHaveAttribute('aria-current');
  });

  it('is for signed-in users only', async () => {
    api.currentUser.mockResolvedValue(null);
    start('/app/settings');
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/login');
    expect(api.getSettings).not.toHaveBeenCalled();
  });
});

describe('editable settings (desktop app)', () => {
  it('shows progress, then the saved values; the key is never shown', async () => {
    const pending = deferred<AppSettings>();
    api.getSettings.mockReturnValueOnce(pending.promise);
    start();
    expect(await screen.findByText('Loading the settings…')).toHaveAttribute('role', 'status');

    pending.resolve(appSettings({ llmApiKeySet: true, retrievalUrl: 'http://localhost:8000' }));
    expect(await screen.findByLabelText('LLM base URL')).toHaveValue('http://localhost:11434/v1');
    expect(screen.getByLabelText('LLM model')).toHaveValue('llama3.1');
    expect(screen.getByLabelText('Retrieval URL')).toHaveValue('http://localhost:8000');
    const key = screen.getByLabelText('LLM API key');
    expect(key).toHaveAttribute('type', 'password');
    expect(key).toHaveValue('');
    expect(key).toHaveAttribute('placeholder', 'A key is saved in the OS keyring — type to replace it');
    expect(screen.getByRole('button', { name: 'Remove key' })).toBeEnabled();
    expect(screen.queryByText(OPERATOR_NOTE)).not.toBeInTheDocument();
  });

  it('saves only what changed, with progress; an empty key field keeps the saved key', async () => {
    const user = userEvent.setup();
    api.getSettings.mockResolvedValueOnce(appSettings({ llmApiKeySet: true, retrievalUrl: 'http://localhost:8000' }));
    start();
    const model = await screen.findByLabelText('LLM model');
    await user.clear(model);
    await user.type(model, '  mistral ');
    await user.clear(screen.getByLabelText('Retrieval URL'));

    const pending = deferred<AppSettings>();
    api.updateSettings.mockReturnValueOnce(pending.promise);
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(api.updateSettings).toHaveBeenCalledWith({ llmModel: 'mistral', retrievalUrl: null });
    expect(screen.getByRole('button', { name: 'Saving…' })).toBeDisabled();

    pending.resolve(appSettings({ llmModel: 'mistral', llmApiKeySet: true, retrievalUrl: null }));
    expect(await screen.findByText('Settings saved.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Save settings' })).toBeEnabled();
    expect(screen.getByLabelText('LLM model')).toHaveValue('mistral');
    expect(screen.getByLabelText('Retrieval URL')).toHaveValue('');

    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(await screen.findByText('Nothing to save: the settings are unchanged.')).toBeInTheDocument();
    expect(api.updateSettings).toHaveBeenCalledOnce();
  });

  it('a typed key replaces the saved one and leaves the field', async () => {
    const user = userEvent.setup();
    start();
    const key = await screen.findByLabelText('LLM API key');
    expect(key).toHaveAttribute('placeholder', 'None — leave empty if the model needs no key');
    expect(screen.queryByRole('button', { name: 'Remove key' })).not.toBeInTheDocument();

    await user.type(key, 'sk-secret{Enter}');
    expect(api.updateSettings).toHaveBeenCalledWith({ llmApiKey: 'sk-secret' });
    expect(await screen.findByText('Settings saved.')).toBeInTheDocument();
    expect(screen.getByLabelText('LLM API key')).toHaveValue('');
    expect(screen.getByLabelText('LLM API key')).toHaveAttribute(
      'placeholder',
      'A key is saved in the OS keyring — type to replace it',
    );
    expect(screen.getByRole('button', { name: 'Remove key' })).toBeInTheDocument();
  });

  it('Remove key asks first, then removes the saved key', async () => {
    const user = userEvent.setup();
    api.getSettings.mockResolvedValueOnce(appSettings({ llmApiKeySet: true }));
    start();
    await user.click(await screen.findByRole('button', { name: 'Remove key' }));
    const question = screen.getByRole('group', { name: 'Remove the saved API key from the OS keyring?' });

    const pending = deferred<AppSettings>();
    api.updateSettings.mockReturnValueOnce(pending.promise);
    await user.click(within(question).getByRole('button', { name: 'Remove' }));
    expect(api.updateSettings).toHaveBeenCalledWith({ llmApiKey: '' });
    expect(within(question).getByRole('button', { name: 'Removing…' })).toBeDisabled();

    pending.resolve(appSettings({ llmApiKeySet: false }));
    expect(await screen.findByText('The API key was removed.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Remove key' })).not.toBeInTheDocument();
    expect(screen.getByLabelText('LLM API key')).toHaveAttribute(
      'placeholder',
      'None — leave empty if the model needs no key',
    );
  });

  it('a failed removal shows why and keeps the key', async () => {
    const user = userEvent.setup();
    api.getSettings.mockResolvedValueOnce(appSettings({ llmApiKeySet: true }));
    api.updateSettings.mockRejectedValueOnce(
      new ApiError(500, 'keyring_unavailable', 'The OS keyring could not be reached.'),
    );
    start();
    await user.click(await screen.findByRole('button', { name: 'Remove key' }));
    await user.click(screen.getByRole('button', { name: 'Remove' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The OS keyring could not be reached.');
    expect(screen.getByRole('button', { name: 'Remove key' })).toBeInTheDocument();
  });

  it("checks the addresses first, then shows the server's sentence and keeps what was typed", async () => {
    const user = userEvent.setup();
    start();
    const baseUrl = await screen.findByLabelText('LLM base URL');
    await user.clear(baseUrl);
    await user.type(baseUrl, 'localhost:11434');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(screen.getByRole('alert')).toHaveTextContent(
      "The language model's base URL must be a web address starting with http:// or https://.",
    );
    expect(baseUrl).toHaveAttribute('aria-invalid', 'true');
    // The field is described by its hint, then by what is wrong with it.
    expect(baseUrl).toHaveAccessibleDescription(/^The address of an OpenAI-compatible API.*must be a web address/);
    expect(baseUrl).toHaveFocus();
    expect(api.updateSettings).not.toHaveBeenCalled();

    await user.clear(baseUrl);
    await user.type(baseUrl, 'http://llm.internal:9999/v1');
    await user.type(screen.getByLabelText('LLM API key'), 'sk-typed');
    api.updateSettings.mockRejectedValueOnce(
      new ApiError(422, 'invalid_url', 'The LLM base URL must not point at a private address.'),
    );
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The LLM base URL must not point at a private address.');
    expect(baseUrl).not.toHaveAttribute('aria-invalid');
    expect(baseUrl).toHaveValue('http://llm.internal:9999/v1');
    expect(screen.getByLabelText('LLM API key')).toHaveValue('sk-typed');
    expect(screen.getByRole('button', { name: 'Save settings' })).toBeEnabled();
  });

  it('Discard changes puts the saved values back', async () => {
    const user = userEvent.setup();
    start();
    const model = await screen.findByLabelText('LLM model');
    await user.type(model, '-big');
    await user.type(screen.getByLabelText('LLM API key'), 'sk-x');
    await user.click(screen.getByRole('button', { name: 'Discard changes' }));
    expect(model).toHaveValue('llama3.1');
    expect(screen.getByLabelText('LLM API key')).toHaveValue('');
    expect(screen.getByText('Changes discarded.')).toBeInTheDocument();
  });
});

describe('read-only settings (docent-server)', () => {
  it('shows the values without inputs, and says who sets them', async () => {
    api.getSettings.mockResolvedValueOnce(
      appSettings({
        llmBaseUrl: 'https://llm.example.com/v1',
        llmModel: 'gpt-x',
        llmApiKeySet: true,
        retrievalUrl: 'https://search.example.com',
        retrievalApiKeySet: false,
        editable: false,
      }),
    );
    start();
    expect(await screen.findByText(OPERATOR_NOTE)).toBeInTheDocument();
    /** The value shown for a setting: the `dd` after its `dt`. */
    const value = (name: string) => screen.getByText(name, { selector: 'dt' }).nextElementSibling;
    expect(value('LLM base URL')).toHaveTextContent('https://llm.example.com/v1');
    expect(value('LLM model')).toHaveTextContent('gpt-x');
    expect(value('LLM API key')).toHaveTextContent('Set (not shown)');
    expect(value('Retrieval URL')).toHaveTextContent('https://search.example.com');
    expect(value('Retrieval API key')).toHaveTextContent('Not set');
    expect(screen.queryByRole('textbox')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('LLM API key')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Save settings' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Remove key' })).not.toBeInTheDocument();
  });
});

describe('failures', () => {
  it('signing out forgets what was typed', async () => {
    const user = userEvent.setup();
    start();
    await user.type(await screen.findByLabelText('LLM model'), '-unsaved');
    await user.click(screen.getByRole('button', { name: 'Log out' }));
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();

    await user.type(screen.getByLabelText('Password'), 'a long enough passphrase');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    await screen.findByRole('link', { name: 'Personal' });
    await user.click(screen.getByRole('link', { name: 'Settings' }));
    expect(await screen.findByLabelText('LLM model')).toHaveValue('llama3.1');
  });

  it('a failed load can be tried again', async () => {
    const user = userEvent.setup();
    api.getSettings.mockRejectedValueOnce(new ApiError(0, 'network_error', "Docent's server cannot be reached."));
    start();
    expect(await screen.findByRole('alert')).toHaveTextContent("Docent's server cannot be reached.");
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByLabelText('LLM base URL')).toHaveValue('http://localhost:11434/v1');
  });

  it('a 401 sends the user to sign in; signing in again comes back here with what was typed, but not the key', async () => {
    const user = userEvent.setup();
    start();
    await user.type(await screen.findByLabelText('LLM model'), '-new');
    await user.type(screen.getByLabelText('LLM API key'), 'sk-secret');
    api.updateSettings.mockRejectedValueOnce(unauthorized('Your session has ended. Please sign in again.'));
    await user.click(screen.getByRole('button', { name: 'Save settings' }));

    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('Your session has ended. Please sign in again.');

    await user.type(screen.getByLabelText('Email'), ada.email);
    await user.type(screen.getByLabelText('Password'), 'a long enough passphrase');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByLabelText('LLM model')).toHaveValue('llama3.1-new');
    expect(screen.getByLabelText('LLM API key')).toHaveValue('');
    expect(window.location.pathname).toBe('/app/settings');
  });
});

describe('the connection', () => {
  function connectionBox() {
    return screen.getByRole('region', { name: 'Connection' });
  }

  it('says whether the model and the document search answer, and checks again after a save', async () => {
    const user = userEvent.setup();
    api.getStatus.mockResolvedValue(
      connectionStatus({
        llm: { configured: true, reachable: false, message: 'The language model at http://127.0.0.1:9/v1 cannot be reached.' },
        retrieval: { configured: false, reachable: false, message: 'No document search is set up.' },
      }),
    );
    start();
    await screen.findByLabelText('LLM base URL');
    const box = connectionBox();
    await within(box).findByText('The language model at http://127.0.0.1:9/v1 cannot be reached.');
    expect(within(box).getByText('No document search is set up.')).toBeInTheDocument();

    api.getStatus.mockResolvedValue(connectionStatus());
    const checks = api.getStatus.mock.calls.length;
    await user.clear(screen.getByLabelText('LLM base URL'));
    await user.type(screen.getByLabelText('LLM base URL'), 'http://127.0.0.1:11434/v1{Enter}');
    expect(await screen.findByText('Settings saved.')).toBeInTheDocument();
    expect(api.getStatus.mock.calls.length).toBeGreaterThan(checks);
    expect(await within(box).findAllByText('Reachable.')).toHaveLength(2);
  });

  it('"Check again" asks again, with progress', async () => {
    const user = userEvent.setup();
    start();
    await screen.findByLabelText('LLM base URL');
    await within(connectionBox()).findAllByText('Reachable.');
    const pending = deferred<ReturnType<typeof connectionStatus>>();
    api.getStatus.mockReturnValueOnce(pending.promise);
    await user.click(within(connectionBox()).getByRole('button', { name: 'Check again' }));
    expect(within(connectionBox()).getByRole('button', { name: 'Checking…' })).toBeDisabled();
    pending.resolve(connectionStatus({ retrieval: { configured: true, reachable: false, message: null } }));
    expect(await within(connectionBox()).findByText('Cannot be reached.')).toBeInTheDocument();
    expect(within(connectionBox()).getByRole('button', { name: 'Check again' })).toBeEnabled();
  });

  it('without an OS keyring, says the key lasts until Docent closes', async () => {
    const user = userEvent.setup();
    api.getStatus.mockResolvedValue(connectionStatus({ sessionStorage: 'memory' }));
    api.getSettings.mockResolvedValueOnce(appSettings({ llmApiKeySet: true }));
    start();
    const key = await screen.findByLabelText('LLM API key');
    await waitFor(() =>
      expect(key).toHaveAccessibleDescription(
        'The saved key is never shown. Leave this empty to keep it. No OS keyring is available: a key set here lasts until Docent closes.',
      ),
    );
    expect(key).toHaveAttribute('placeholder', 'A key is set until Docent closes — type to replace it');
    await user.click(screen.getByRole('button', { name: 'Remove key' }));
    expect(screen.getByRole('group', { name: 'Remove the API key?' })).toBeInTheDocument();
  });
});
