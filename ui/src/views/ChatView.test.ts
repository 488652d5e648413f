import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import App from '../App.svelte';
import {
  abortedError,
  ApiError,
  type ChatAnswer,
  type ChatStreamHandlers,
  type ExportedFile,
  type SendMessageRequest,
} from '../lib/api';
import { AuthController } from '../lib/auth.svelte';
import { ChatStore, UNFINISHED_POLL_MS } from '../lib/chat.svelte';
import { ConnectionMonitor, OFFLINE_MESSAGE, QUESTION_KEPT } from '../lib/connection.svelte';
import { Router } from '../lib/router.svelte';
import {
  ada,
  citation,
  connectionStatus,
  conversation,
  deferred,
  fakeApi,
  historyEntry,
  message,
  unauthorized,
  workspace,
} from '../test/fakes';
import ChatView from './ChatView.svelte';

let api: ReturnType<typeof fakeApi>;

beforeEach(() => {
  api = fakeApi();
  api.currentUser.mockResolvedValue(ada);
  api.getWorkspace.mockImplementation(async (id) => workspace({ id, name: 'Research' }));
});

afterEach(() => {
  vi.useRealTimers();
});

/** The whole app, signed in, at `path`. */
function startApp(path: string) {
  window.history.replaceState(null, '', path);
  const router = new Router();
  const auth = new AuthController(api, router);
  render(App, { auth, router });
  return { auth, router };
}

/** The chat view alone, with a store whose downloads are recorded. */
async function startChat(workspaceId: string | null, conversationId: string | null) {
  window.history.replaceState(
    null,
    '',
    conversationId ? `/app/w/${workspaceId}/c/${conversationId}` : `/app/w/${workspaceId}`,
  );
  const router = new Router();
  const auth = new AuthController(api, router);
  await auth.start();
  const saved: ExportedFile[] = [];
  const chats = new ChatStore({ api, onError: (error) => auth.handleError(error), save: (file) => saved.push(file) });
  const connection = new ConnectionMonitor({ api, onError: (error) => auth.handleError(error) });
  render(ChatView, { auth, router, chats, connection, workspaceId, conversationId });
  return { auth, router, chats, connection, saved };
}

/** Holds the next `sendMessage` open: the test plays the server's events. */
function holdSend() {
  const result = deferred<ChatAnswer>();
  const call: { request?: SendMessageRequest; handlers: ChatStreamHandlers; signal?: AbortSignal | undefined } = {
    handlers: {},
  };
  api.sendMessage.mockImplementationOnce((request, handlers = {}, options = {}) => {
    call.request = request;
    call.handlers = handlers;
    call.signal = options.signal;
    options.signal?.addEventListener('abort', () => result.reject(abortedError()));
    return result.promise;
  });
  return { call, result };
}

function composer(): HTMLTextAreaElement {
  return screen.getByRole('textbox', { name: 'Your question' }) as HTMLTextAreaElement;
}

function log(): HTMLElement {
  return screen.getByRole('log', { name: 'Messages' });
}

function finalAnswer(fields: Partial<ChatAnswer> = {}): ChatAnswer {
  return {
    conversationId: 'c-new',
    messageId: 'm-1',
    answer: 'Twenty-five days [1].',
    citations: [citation({ index: 1 })],
    status: 'complete',
    notice: null,
    ...fields,
  };
}

describe('asking a question', () => {
  it('shows progress, streams the answer in, gives the new conversation its address and renders cited sources', async () => {
    const user = userEvent.setup();
    startApp('/app/w/w1');
    expect(await screen.findByRole('heading', { name: 'New conversation', level: 1 })).toBeInTheDocument();

    const { call, result } = holdSend();
    await user.type(composer(), 'How many days of holiday?{Enter}');

    expect(api.sendMessage).toHaveBeenCalledOnce();
    expect(call.request).toEqual({ message: 'How many days of holiday?', conversationId: null, workspaceId: 'w1' });
    expect(within(log()).getByText('How many days of holiday?')).toBeInTheDocument();
    expect(within(log()).getByRole('status')).toHaveTextContent('Searching the documents and writing an answer…');
    expect(screen.getByRole('button', { name: 'Stop' })).toBeEnabled();
    // Not accepted yet: the draft is still there.
    expect(composer()).toHaveValue('How many days of holiday?');

    call.handlers.onStarted?.({ conversationId: 'c-new', messageId: 'm-1' });
    await waitFor(() => expect(window.location.pathname).toBe('/app/w/w1/c/c-new'));
    await waitFor(() => expect(composer()).toHaveValue(''));

    call.handlers.onDelta?.('Twenty-five');
    expect(await within(log()).findByText('Twenty-five')).toBeInTheDocument();
    expect(within(log()).queryByRole('status')).not.toBeInTheDocument();

    call.handlers.onDelta?.(' days [1].');
    await waitFor(() => expect(within(log()).getByRole('button', { name: 'Source 1' })).toBeInTheDocument());

    call.handlers.onCitations?.([citation({ index: 1 })]);
    result.resolve(finalAnswer({ notice: 'The document search failed, so this answer has no sources.' }));

    expect(await screen.findByRole('button', { name: 'Send' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Stop' })).not.toBeInTheDocument();
    expect(screen.getByText('The document search failed, so this answer has no sources.')).toBeInTheDocument();

    // The chip opens the source's panel; Escape closes it and gives the focus back.
    const chip = within(log()).getByRole('button', { name: 'Source 1: Staff handbook' });
    await user.click(chip);
    const panel = screen.getByRole('complementary', { name: 'Source 1' });
    expect(within(panel).getByRole('heading', { name: /Staff handbook/ })).toHaveFocus();
    expect(panel).toHaveTextContent('handbook.pdf, page 12');
    expect(panel).toHaveTextContent('Everyone gets 25 days of paid holiday a year.');
    const link = within(panel).getByRole('link', { name: 'Open the document' });
    expect(link).toHaveAttribute('href', 'https://intranet.example.com/handbook.pdf');
    expect(link).toHaveAttribute('rel', 'noopener noreferrer');
    expect(link).toHaveAttribute('target', '_blank');
    expect(chip).toHaveAttribute('aria-expanded', 'true');

    await user.keyboard('{Escape}');
    expect(screen.queryByRole('complementary', { name: 'Source 1' })).not.toBeInTheDocument();
    expect(chip).toHaveFocus();
  });

  it('Shift+Enter starts a new line; Enter sends; an empty question is not sent', async () => {
    const user = userEvent.setup();
    startApp('/app/w/w1');
    const input = await screen.findByRole('textbox', { name: 'Your question' });
    await user.type(input, '   {Enter}');
    expect(api.sendMessage).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();

    await user.clear(input);
    await user.type(input, 'line one{Shift>}{Enter}{/Shift}line two');
    expect(input).toHaveValue('line one\nline two');
    expect(api.sendMessage).not.toHaveBeenCalled();

    await user.keyboard('{Enter}');
    expect(api.sendMessage).toHaveBeenCalledWith(
      { message: 'line one\nline two', conversationId: null, workspaceId: 'w1' },
      expect.any(Object),
      expect.any(Object),
    );
  });

  it('Stop asks the server to stop the answer and keeps what was written', async () => {
    const user = userEvent.setup();
    startApp('/app/w/w1');
    const { call, result } = holdSend();
    await user.type(await screen.findByRole('textbox', { name: 'Your question' }), 'Tell me everything{Enter}');
    call.handlers.onStarted?.({ conversationId: 'c-new', messageId: 'm-1' });
    call.handlers.onDelta?.('The first part');
    expect(await within(log()).findByText('The first part')).toBeInTheDocument();

    const stopped = deferred<undefined>();
    api.stopMessage.mockReturnValueOnce(stopped.promise);
    await user.click(screen.getByRole('button', { name: 'Stop' }));
    expect(api.stopMessage).toHaveBeenCalledWith('m-1');
    expect(screen.getByRole('button', { name: 'Stopping…' })).toBeDisabled();

    stopped.resolve(undefined);
    result.resolve(finalAnswer({ answer: 'The first part', citations: [], status: 'stopped' }));
    expect(await screen.findByText(/Stopped\. The answer ends where it was stopped\./)).toBeInTheDocument();
    expect(within(log()).getByText('The first part')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Send' })).toBeInTheDocument();
  });

  it('Stop drops the connection when the server cannot be asked', async () => {
    const user = userEvent.setup();
    startApp('/app/w/w1');
    const { call } = holdSend();
    await user.type(await screen.findByRole('textbox', { name: 'Your question' }), 'Question{Enter}');
    call.handlers.onStarted?.({ conversationId: 'c-new', messageId: 'm-1' });
    call.handlers.onDelta?.('Half');
    api.stopMessage.mockRejectedValueOnce(new ApiError(0, 'network_error', 'Unreachable.'));
    await user.click(await screen.findByRole('button', { name: 'Stop' }));

    expect(await screen.findByText(/Stopped\./)).toBeInTheDocument();
    expect(within(log()).getByText('Half')).toBeInTheDocument();
  });

  it("a failed answer shows the server's sentence, and Retry asks the same question again", async () => {
    const user = userEvent.setup();
    startApp('/app/w/w1');
    const { call, result } = holdSend();
    await user.type(await screen.findByRole('textbox', { name: 'Your question' }), 'How many days?{Enter}');
    call.handlers.onStarted?.({ conversationId: 'c-new', messageId: 'm-1' });
    result.reject(new ApiError(504, 'llm_timeout', 'The language model did not answer in time.'));

    expect(await within(log()).findByRole('alert')).toHaveTextContent('The language model did not answer in time.');
    // The question was stored: it stays in the conversation, and the draft is gone.
    expect(within(log()).getByText('How many days?')).toBeInTheDocument();
    expect(composer()).toHaveValue('');

    await user.click(within(log()).getByRole('button', { name: 'Retry' }));
    expect(api.sendMessage).toHaveBeenLastCalledWith(
      { message: 'How many days?', conversationId: 'c-new', workspaceId: null },
      expect.any(Object),
      expect.any(Object),
    );
    expect(await within(log()).findByText('An answer.')).toBeInTheDocument();
    expect(within(log()).getAllByText('How many days?')).toHaveLength(2);
  });

  it('a question refused before streaming keeps the draft and shows why', async () => {
    const user = userEvent.setup();
    startApp('/app/w/w1');
    api.sendMessage.mockRejectedValueOnce(
      new ApiError(503, 'llm_not_configured', 'No language model is set up, so Docent cannot answer.'),
    );
    await user.type(await screen.findByRole('textbox', { name: 'Your question' }), 'Anyone there?{Enter}');

    expect(await screen.findByRole('alert')).toHaveTextContent('No language model is set up, so Docent cannot answer.');
    expect(composer()).toHaveValue('Anyone there?');
    expect(within(log()).queryByText('Anyone there?')).not.toBeInTheDocument();
    expect(window.location.pathname).toBe('/app/w/w1');
  });

  it('a temporary chat makes a temporary conversation first, then asks in it', async () => {
    const user = userEvent.setup();
    startApp('/app/w/w1');
    const toggle = await screen.findByRole('switch', { name: 'Temporary chat' });
    expect(toggle).not.toBeChecked();
    await user.click(toggle);
    expect(toggle).toBeChecked();

    await user.type(composer(), 'Off the record{Enter}');
    expect(api.createConversation).toHaveBeenCalledWith('w1', { temporary: true });
    expect(api.sendMessage).toHaveBeenCalledWith(
      { message: 'Off the record', conversationId: 'c-new', workspaceId: null },
      expect.any(Object),
      expect.any(Object),
    );
    await waitFor(() => expect(window.location.pathname).toBe('/app/w/w1/c/c-new'));
    expect(screen.getAllByText('Temporary').length).toBeGreaterThan(0);
  });

  it('a 401 sends the user to sign in, and signing in again brings back the page and the draft', async () => {
    const user = userEvent.setup();
    startApp('/app/w/w1');
    api.sendMessage.mockRejectedValueOnce(unauthorized('Your session has ended. Please sign in again.'));
    await user.type(await screen.findByRole('textbox', { name: 'Your question' }), 'Still there?{Enter}');

    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/login');
    expect(screen.getByRole('alert')).toHaveTextContent('Your session has ended. Please sign in again.');

    await user.type(screen.getByLabelText('Email'), ada.email);
    await user.type(screen.getByLabelText('Password'), 'a long enough passphrase');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('textbox', { name: 'Your question' })).toHaveValue('Still there?');
    expect(window.location.pathname).toBe('/app/w/w1');
  });
});

describe('an existing conversation', () => {
  beforeEach(() => {
    api.getConversation.mockImplementation(async (id) => conversation({ id, title: 'Holiday policy' }));
    api.chatHistory.mockResolvedValue({
      conversationId: 'c1',
      messages: [
        message({ id: 'm1', content: 'How many days?' }),
        message({
          id: 'm2',
          role: 'assistant',
          content: 'Partial',
          status: 'failed',
          errorCode: 'llm_timeout',
        }),
      ],
    });
  });

  it('shows its messages, a failed answer with its reason, and Retry', async () => {
    const user = userEvent.setup();
    startApp('/app/w/w1/c/c1');
    expect(await screen.findByRole('heading', { name: 'Holiday policy', level: 1 })).toBeInTheDocument();
    expect(await within(log()).findByText('How many days?')).toBeInTheDocument();
    expect(within(log()).getByRole('alert')).toHaveTextContent('The language model took too long to answer.');
    expect(api.chatHistory).toHaveBeenCalledWith('c1');

    await user.click(within(log()).getByRole('button', { name: 'Retry' }));
    expect(api.sendMessage).toHaveBeenCalledWith(
      { message: 'How many days?', conversationId: 'c1', workspaceId: null },
      expect.any(Object),
      expect.any(Object),
    );
  });

  it('Clear asks first, then removes every message', async () => {
    const user = userEvent.setup();
    startApp('/app/w/w1/c/c1');
    await within(await screen.findByRole('log', { name: 'Messages' })).findByText('How many days?');

    await user.click(screen.getByRole('button', { name: 'Clear this conversation' }));
    const question = screen.getByRole('group', { name: 'Remove every message of this conversation?' });
    expect(within(question).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await user.click(within(question).getByRole('button', { name: 'Cancel' }));
    expect(api.clearChat).not.toHaveBeenCalled();

    await user.click(screen.getByRole('button', { name: 'Clear this conversation' }));
    await user.click(
      within(screen.getByRole('group', { name: 'Remove every message of this conversation?' })).getByRole('button', {
        name: 'Clear',
      }),
    );
    expect(api.clearChat).toHaveBeenCalledWith('c1');
    await waitFor(() => expect(within(log()).queryByText('How many days?')).not.toBeInTheDocument());
  });
});

describe('an answer still being written when the page was loaded (reloaded while it streamed)', () => {
  const question = message({ id: 'm1', content: 'How many days?' });
  const streaming = message({ id: 'm2', role: 'assistant', content: '', status: 'streaming' });
  const WRITING = 'Searching the documents and writing an answer…';

  beforeEach(() => {
    // Fake timers that still move on their own, so that the waits of Testing Library work.
    vi.useFakeTimers({ shouldAdvanceTime: true });
    api.getConversation.mockImplementation(async (id) => conversation({ id, title: 'Holiday policy' }));
  });

  it('reads the conversation again until the server has finished the answer, then shows how it ended', async () => {
    api.chatHistory
      .mockResolvedValueOnce({ conversationId: 'c1', messages: [question, streaming] })
      .mockResolvedValueOnce({
        conversationId: 'c1',
        messages: [question, { ...streaming, content: 'Twenty-five', status: 'stopped' }],
      });
    startApp('/app/w/w1/c/c1');
    expect(await within(await screen.findByRole('log', { name: 'Messages' })).findByText(WRITING)).toBeInTheDocument();

    await vi.advanceTimersByTimeAsync(UNFINISHED_POLL_MS);
    expect(await within(log()).findByText(/^Stopped\./)).toBeInTheDocument();
    expect(within(log()).getByText('Twenty-five')).toBeInTheDocument();
    expect(within(log()).queryByText(WRITING)).not.toBeInTheDocument();
    expect(api.chatHistory).toHaveBeenCalledTimes(2);

    await vi.advanceTimersByTimeAsync(UNFINISHED_POLL_MS * 5);
    expect(api.chatHistory).toHaveBeenCalledTimes(2);
  });

  it('stops reading it when the user leaves the conversation', async () => {
    api.chatHistory.mockResolvedValue({ conversationId: 'c1', messages: [question, streaming] });
    const { router } = startApp('/app/w/w1/c/c1');
    await within(await screen.findByRole('log', { name: 'Messages' })).findByText(WRITING);
    await vi.advanceTimersByTimeAsync(UNFINISHED_POLL_MS);
    await waitFor(() => expect(api.chatHistory).toHaveBeenCalledTimes(2));

    router.navigate('/app/w/w1');
    expect(await screen.findByRole('heading', { name: 'New conversation', level: 1 })).toBeInTheDocument();
    await vi.advanceTimersByTimeAsync(UNFINISHED_POLL_MS * 5);
    expect(api.chatHistory).toHaveBeenCalledTimes(2);
  });
});

describe('a conversation shared by a colleague', () => {
  it('is read-only: no composer, no Retry or Clear, and it says who can write', async () => {
    api.getConversation.mockResolvedValue(
      conversation({ id: 'c7', userId: 'u2', title: 'Expenses', readOnly: true, workspaceId: 'w-other' }),
    );
    api.chatHistory.mockResolvedValue({
      conversationId: 'c7',
      messages: [
        message({ id: 'm1', content: 'Can I expense a taxi?' }),
        message({ id: 'm2', role: 'assistant', content: 'Yes [1].', citations: [citation({ index: 1 })] }),
        message({ id: 'm3', content: 'And a train?' }),
        message({ id: 'm4', role: 'assistant', content: '', status: 'failed', errorCode: 'llm_unavailable' }),
      ],
    });
    startApp('/app/c/c7');

    expect(await screen.findByRole('heading', { name: 'Expenses', level: 1 })).toBeInTheDocument();
    expect(await within(log()).findByText('Can I expense a taxi?')).toBeInTheDocument();
    expect(screen.getByText(/only the person who started it can write in it/)).toBeInTheDocument();
    expect(screen.getByText('Read-only')).toBeInTheDocument();
    expect(screen.queryByRole('textbox', { name: 'Your question' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Retry' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Clear this conversation' })).not.toBeInTheDocument();
    // Sources can still be read.
    expect(within(log()).getByRole('button', { name: 'Source 1: Staff handbook' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/app/c/c7');
  });

  it('one of the user’s own conversations opened on its own moves into its workspace', async () => {
    api.getConversation.mockResolvedValue(conversation({ id: 'c1', workspaceId: 'w1' }));
    startApp('/app/c/c1');
    await waitFor(() => expect(window.location.pathname).toBe('/app/w/w1/c/c1'));
    expect(await screen.findByRole('textbox', { name: 'Your question' })).toBeInTheDocument();
  });
});

/** The actions menu of a conversation in the sidebar. */
function menu(title: string): HTMLElement {
  const details = screen.getByLabelText(`Actions for ${title}`).closest('details');
  if (!details) throw new Error(`no menu for ${title}`);
  return details;
}

describe('the conversations sidebar', () => {
  beforeEach(() => {
    api.listConversations.mockResolvedValue([
      conversation({ id: 'c1', title: 'Holiday policy' }),
      conversation({ id: 'c2', title: 'Parental leave', temporary: true }),
    ]);
  });

  it('lists the workspace’s conversations and links to them', async () => {
    await startChat('w1', 'c1');
    const sidebar = screen.getByRole('complementary', { name: 'Conversations' });
    const current = await within(sidebar).findByRole('link', { name: /Holiday policy/ });
    expect(current).toHaveAttribute('href', '/app/w/w1/c/c1');
    expect(current).toHaveAttribute('aria-current', 'page');
    expect(within(sidebar).getByRole('link', { name: /Parental leave/ })).not.toHaveAttribute('aria-current');
    expect(within(sidebar).getByRole('heading', { name: 'Research' })).toBeInTheDocument();
  });

  it('searching asks the history for that workspace and shows the matches', async () => {
    const user = userEvent.setup();
    api.searchHistory.mockResolvedValue([historyEntry({ conversationId: 'c9', title: 'Sick pay' })]);
    await startChat('w1', null);
    const sidebar = screen.getByRole('complementary', { name: 'Conversations' });
    await within(sidebar).findByRole('link', { name: /Holiday policy/ });

    await user.type(within(sidebar).getByRole('searchbox', { name: 'Search conversations' }), 'pay');
    expect(await within(sidebar).findByRole('link', { name: /Sick pay/ })).toHaveAttribute('href', '/app/w/w1/c/c9');
    expect(api.searchHistory).toHaveBeenLastCalledWith({ scope: 'mine', q: 'pay', workspaceId: 'w1', limit: 50 });
    expect(within(sidebar).queryByRole('link', { name: /Holiday policy/ })).not.toBeInTheDocument();

    await user.clear(within(sidebar).getByRole('searchbox', { name: 'Search conversations' }));
    expect(await within(sidebar).findByRole('link', { name: /Holiday policy/ })).toBeInTheDocument();
  });

  it('renames, exports and deletes a conversation from its menu', async () => {
    const user = userEvent.setup();
    const { saved } = await startChat('w1', null);
    const sidebar = screen.getByRole('complementary', { name: 'Conversations' });
    await within(sidebar).findByRole('link', { name: /Holiday policy/ });

    await user.click(within(sidebar).getByLabelText('Actions for Holiday policy'));
    await user.click(within(menu('Holiday policy')).getByRole('button', { name: 'Rename' }));
    const title = within(sidebar).getByRole('textbox', { name: 'New title for Holiday policy' });
    expect(title).toHaveFocus();
    await user.clear(title);
    await user.type(title, 'Annual leave{Enter}');
    expect(api.renameConversation).toHaveBeenCalledWith('c1', 'Annual leave');

    await user.click(within(sidebar).getByLabelText('Actions for Parental leave'));
    expect(menu('Parental leave')).toHaveAttribute('open');
    await user.click(within(menu('Parental leave')).getByRole('button', { name: 'Export as JSON' }));
    expect(api.exportConversation).toHaveBeenCalledWith('c2', 'json');
    expect(saved).toEqual([{ contentType: 'application/json', fileName: 'c2.json', body: '{}' }]);
    expect(menu('Parental leave')).not.toHaveAttribute('open');

    await user.click(within(sidebar).getByLabelText('Actions for Parental leave'));
    await user.click(within(menu('Parental leave')).getByRole('button', { name: 'Delete Parental leave' }));
    api.listConversations.mockResolvedValue([conversation({ id: 'c1', title: 'Annual leave' })]);
    await user.click(
      within(within(sidebar).getByRole('group', { name: 'Delete “Parental leave”?' })).getByRole('button', {
        name: 'Delete',
      }),
    );
    expect(api.deleteConversation).toHaveBeenCalledWith('c2');
    await waitFor(() => expect(within(sidebar).queryByRole('link', { name: /Parental leave/ })).not.toBeInTheDocument());
  });

  it('shows why an export failed', async () => {
    const user = userEvent.setup();
    await startChat('w1', null);
    const sidebar = screen.getByRole('complementary', { name: 'Conversations' });
    await within(sidebar).findByRole('link', { name: /Holiday policy/ });
    api.exportConversation.mockRejectedValueOnce(new ApiError(404, 'not_found', 'Conversation not found.'));
    await user.click(within(sidebar).getByLabelText('Actions for Holiday policy'));
    await user.click(within(menu('Holiday policy')).getByRole('button', { name: 'Export as Markdown' }));
    expect(await within(sidebar).findByRole('alert')).toHaveTextContent('Conversation not found.');
  });
});

it('keeps streaming an answer while another conversation is looked at', async () => {
  const user = userEvent.setup();
  api.listConversations.mockResolvedValue([conversation({ id: 'c1', title: 'Holiday policy' })]);
  startApp('/app/w/w1');
  const { call, result } = holdSend();
  await user.type(await screen.findByRole('textbox', { name: 'Your question' }), 'Long question{Enter}');
  call.handlers.onStarted?.({ conversationId: 'c-new', messageId: 'm-1' });
  call.handlers.onDelta?.('Beginning');
  await waitFor(() => expect(window.location.pathname).toBe('/app/w/w1/c/c-new'));

  await user.click(await screen.findByRole('link', { name: /Holiday policy/ }));
  await waitFor(() => expect(window.location.pathname).toBe('/app/w/w1/c/c1'));
  expect(call.signal?.aborted).toBe(false);

  call.handlers.onDelta?.(' and end.');
  api.chatHistory.mockImplementation(async (id) => ({
    conversationId: id,
    messages:
      id === 'c-new'
        ? [
            message({ id: 'q', content: 'Long question' }),
            message({ id: 'm-1', role: 'assistant', content: 'Beginning and end.' }),
          ]
        : [],
  }));
  result.resolve(finalAnswer({ answer: 'Beginning and end.', citations: [] }));
  window.history.back();
  await waitFor(() => expect(window.location.pathname).toBe('/app/w/w1/c/c-new'));
  expect(await within(log()).findByText('Beginning and end.')).toBeInTheDocument();
  expect(vi.mocked(api.sendMessage)).toHaveBeenCalledOnce();
});

describe('when the language model or the document search cannot be used', () => {
  /** The server's own sentence, shown as it is. */
  const UNREACHABLE = 'The language model at http://127.0.0.1:9/v1 cannot be reached (nothing answers there).';
  /** The same, once a question has been typed. */
  const UNREACHABLE_KEPT = `${UNREACHABLE} ${QUESTION_KEPT}`;

  function llmDown() {
    return connectionStatus({ llm: { configured: true, reachable: false, message: UNREACHABLE } });
  }

  it('disables Send with the reason, keeps the question, and sends it once the model is back', async () => {
    const user = userEvent.setup();
    api.getStatus.mockResolvedValue(llmDown());
    startApp('/app/w/w1');
    const reason = await screen.findByText(UNREACHABLE);
    expect(reason.closest('[role="status"]')).not.toBeNull();

    await user.type(composer(), 'Is the canteen open?{Enter}');
    const send = screen.getByRole('button', { name: 'Send' });
    expect(send).toBeDisabled();
    expect(send).toHaveAccessibleDescription(UNREACHABLE_KEPT);
    expect(api.sendMessage).not.toHaveBeenCalled();
    expect(composer()).toHaveValue('Is the canteen open?');

    // The model is back: the next check (here, the device coming online) enables Send.
    api.getStatus.mockResolvedValue(connectionStatus());
    window.dispatchEvent(new Event('online'));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Send' })).toBeEnabled());
    expect(screen.queryByText(UNREACHABLE_KEPT)).not.toBeInTheDocument();
    expect(screen.queryByText(QUESTION_KEPT, { exact: false })).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Send' }));
    expect(api.sendMessage).toHaveBeenCalledWith(
      { message: 'Is the canteen open?', conversationId: null, workspaceId: 'w1' },
      expect.any(Object),
      expect.any(Object),
    );
  });

  it('says when no language model is set up', async () => {
    api.getStatus.mockResolvedValue(
      connectionStatus({
        llm: {
          configured: false,
          reachable: false,
          message: 'No language model is set up: set its URL, model and key in Settings.',
        },
      }),
    );
    startApp('/app/w/w1');
    expect(
      await screen.findByText('No language model is set up: set its URL, model and key in Settings.'),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
  });

  it('says that the question is kept only once something is typed', async () => {
    const user = userEvent.setup();
    api.getStatus.mockResolvedValue(llmDown());
    startApp('/app/w/w1');
    const send = await screen.findByRole('button', { name: 'Send' });
    await waitFor(() => expect(send).toHaveAccessibleDescription(UNREACHABLE));
    expect(screen.queryByText(QUESTION_KEPT, { exact: false })).not.toBeInTheDocument();

    // Blanks are not a question.
    await user.type(composer(), '   ');
    expect(send).toHaveAccessibleDescription(UNREACHABLE);
    expect(screen.queryByText(QUESTION_KEPT, { exact: false })).not.toBeInTheDocument();

    await user.type(composer(), 'Lunch?');
    expect(screen.getByText(UNREACHABLE_KEPT)).toBeInTheDocument();
    expect(send).toHaveAccessibleDescription(UNREACHABLE_KEPT);

    await user.clear(composer());
    expect(screen.getByText(UNREACHABLE)).toBeInTheDocument();
    expect(screen.queryByText(QUESTION_KEPT, { exact: false })).not.toBeInTheDocument();
  });

  it('an unreachable document search only warns: Send stays enabled', async () => {
    const user = userEvent.setup();
    api.getStatus.mockResolvedValue(
      connectionStatus({
        retrieval: {
          configured: true,
          reachable: false,
          message: 'The document search at http://127.0.0.1:9 cannot be reached (no answer within 3 s).',
        },
      }),
    );
    startApp('/app/w/w1');
    const warning =
      'The document search at http://127.0.0.1:9 cannot be reached (no answer within 3 s). Answers may fail or come without documents until it is back.';
    expect(await screen.findByText(warning)).toBeInTheDocument();
    // Send is not blocked, so nothing is said about keeping the question.
    await user.type(composer(), 'Anything?');
    expect(screen.getByText(warning)).toBeInTheDocument();
    expect(screen.queryByText(QUESTION_KEPT, { exact: false })).not.toBeInTheDocument();
    await user.type(composer(), '{Enter}');
    expect(api.sendMessage).toHaveBeenCalledOnce();
  });

  it('with both down, says why Send is disabled and warns about the document search', async () => {
    api.getStatus.mockResolvedValue(
      connectionStatus({
        llm: { configured: true, reachable: false, message: UNREACHABLE },
        retrieval: { configured: true, reachable: false, message: 'The document search at http://127.0.0.1:8 cannot be reached.' },
      }),
    );
    startApp('/app/w/w1');
    expect(await screen.findByText(UNREACHABLE)).toBeInTheDocument();
    expect(
      screen.getByText(
        'The document search at http://127.0.0.1:8 cannot be reached. Answers may fail or come without documents until it is back.',
      ),
    ).toBeInTheDocument();
    const send = screen.getByRole('button', { name: 'Send' });
    expect(send).toBeDisabled();
    expect(send).toHaveAccessibleDescription(UNREACHABLE);
  });

  it('offline, it does not ask: both are unreachable until the device is back online', async () => {
    const user = userEvent.setup();
    const onLine = vi.spyOn(window.navigator, 'onLine', 'get').mockReturnValue(false);
    startApp('/app/w/w1');
    expect(await screen.findByText(OFFLINE_MESSAGE)).toBeInTheDocument();
    expect(api.getStatus).not.toHaveBeenCalled();
    await user.type(composer(), 'Offline question');
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
    expect(screen.getByText(`${OFFLINE_MESSAGE} ${QUESTION_KEPT}`)).toBeInTheDocument();

    onLine.mockReturnValue(true);
    window.dispatchEvent(new Event('online'));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Send' })).toBeEnabled());
    expect(api.getStatus).toHaveBeenCalled();
    expect(composer()).toHaveValue('Offline question');

    onLine.mockReturnValue(false);
    const calls = api.getStatus.mock.calls.length;
    window.dispatchEvent(new Event('offline'));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled());
    expect(api.getStatus).toHaveBeenCalledTimes(calls);
  });

  it('conversations, their messages and sources can still be read', async () => {
    const user = userEvent.setup();
    api.getStatus.mockResolvedValue(llmDown());
    api.listConversations.mockResolvedValue([conversation({ id: 'c1', title: 'Holiday policy' })]);
    api.getConversation.mockImplementation(async (id) => conversation({ id, title: 'Holiday policy' }));
    api.chatHistory.mockResolvedValue({
      conversationId: 'c1',
      messages: [
        message({ id: 'm1', content: 'How many days?' }),
        message({ id: 'm2', role: 'assistant', content: 'Twenty-five [1].', citations: [citation({ index: 1 })] }),
        message({ id: 'm3', content: 'And sick days?' }),
        message({ id: 'm4', role: 'assistant', content: '', status: 'failed', errorCode: 'llm_unavailable' }),
      ],
    });
    startApp('/app/w/w1/c/c1');
    await screen.findByText(UNREACHABLE);
    expect(await within(log()).findByText('How many days?')).toBeInTheDocument();
    const sidebar = screen.getByRole('complementary', { name: 'Conversations' });
    expect(within(sidebar).getByRole('link', { name: /Holiday policy/ })).toBeInTheDocument();

    await user.click(within(log()).getByRole('button', { name: 'Source 1: Staff handbook' }));
    expect(screen.getByRole('complementary', { name: 'Source 1' })).toHaveTextContent(
      'Everyone gets 25 days of paid holiday a year.',
    );
    // Asking again would fail the same way: no Retry until the model is back.
    expect(within(log()).queryByRole('button', { name: 'Retry' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
  });
});
