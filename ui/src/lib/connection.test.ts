import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type ConnectionStatus } from './api';
import {
  ConnectionMonitor,
  offlineStatus,
  OFFLINE_MESSAGE,
  QUESTION_KEPT,
  retrievalWarning,
  sendBlockedReason,
  STATUS_INTERVAL_MS,
} from './connection.svelte';
import { connectionStatus, deferred, fakeApi, unauthorized } from '../test/fakes';

/** What the server says when nothing answers at the language model's address. */
const LLM_DOWN_MESSAGE = 'The language model at http://127.0.0.1:9/v1 cannot be reached (nothing answers there).';
const llmDown = connectionStatus({ llm: { configured: true, reachable: false, message: LLM_DOWN_MESSAGE } });

afterEach(() => {
  vi.useRealTimers();
});

describe('what the status means for sending', () => {
  it('nothing is blocked while the status is unknown or all is well', () => {
    expect(sendBlockedReason(null)).toBeNull();
    expect(sendBlockedReason(connectionStatus())).toBeNull();
    expect(retrievalWarning(null)).toBeNull();
    expect(retrievalWarning(connectionStatus())).toBeNull();
  });

  it("an unreachable language model blocks sending, with the server's own reason", () => {
    expect(sendBlockedReason(llmDown)).toBe(LLM_DOWN_MESSAGE);
    // A missing final stop is added; surrounding blanks go.
    expect(
      sendBlockedReason(
        connectionStatus({
          llm: { configured: true, reachable: false, message: '  The language model at x cannot be reached (boom) ' },
        }),
      ),
    ).toBe('The language model at x cannot be reached (boom).');
    // Without a message (or an empty one), a sentence of its own.
    for (const message of [null, '', '  ']) {
      expect(sendBlockedReason(connectionStatus({ llm: { configured: true, reachable: false, message } }))).toBe(
        'The language model cannot be reached.',
      );
    }
    // That the question is kept is the Composer's to say, once there is one.
    expect(sendBlockedReason(llmDown)).not.toContain(QUESTION_KEPT);
  });

  it('a language model that is not set up blocks sending', () => {
    const notSetUp = 'No language model is set up: set its URL, model and key in Settings.';
    expect(
      sendBlockedReason(connectionStatus({ llm: { configured: false, reachable: false, message: notSetUp } })),
    ).toBe(notSetUp);
    expect(
      sendBlockedReason(connectionStatus({ llm: { configured: false, reachable: false, message: null } })),
    ).toBe(notSetUp);
  });

  it('an unreachable document search only warns; one that is not set up says nothing', () => {
    const down = connectionStatus({
      retrieval: {
        configured: true,
        reachable: false,
        message: 'The document search at http://127.0.0.1:9 cannot be reached (no answer within 3 s)',
      },
    });
    expect(sendBlockedReason(down)).toBeNull();
    expect(retrievalWarning(down)).toBe(
      'The document search at http://127.0.0.1:9 cannot be reached (no answer within 3 s). Answers may fail or come without documents until it is back.',
    );
    expect(
      retrievalWarning(connectionStatus({ retrieval: { configured: true, reachable: false, message: null } })),
    ).toBe('The document search cannot be reached. Answers may fail or come without documents until it is back.');
    expect(
      retrievalWarning(connectionStatus({ retrieval: { configured: false, reachable: false, message: 'Not set.' } })),
    ).toBeNull();
  });

  it('warns about the document search beside a blocked model, unless the reason is the same', () => {
    const llmDown = { configured: true, reachable: false, message: 'The language model at http://127.0.0.1:9/v1 cannot be reached.' };
    const bothDown = connectionStatus({
      llm: llmDown,
      retrieval: { configured: true, reachable: false, message: 'The document search at http://127.0.0.1:8 cannot be reached.' },
    });
    expect(sendBlockedReason(bothDown)).toBe(llmDown.message);
    expect(retrievalWarning(bothDown)).toBe(
      'The document search at http://127.0.0.1:8 cannot be reached. Answers may fail or come without documents until it is back.',
    );
  });

  it('offline, both remotes are unreachable, but what is not set up stays so', () => {
    expect(offlineStatus(null)).toEqual({
      llm: { configured: true, reachable: false, message: OFFLINE_MESSAGE },
      retrieval: { configured: true, reachable: false, message: OFFLINE_MESSAGE },
      sessionStorage: 'cookie',
      maxDocumentBytes: null,
    });
    const notSetUp = connectionStatus({
      retrieval: { configured: false, reachable: false, message: 'Not set.' },
      sessionStorage: 'memory',
    });
    expect(offlineStatus(notSetUp)).toEqual({
      llm: { configured: true, reachable: false, message: OFFLINE_MESSAGE },
      retrieval: { configured: false, reachable: false, message: 'Not set.' },
      sessionStorage: 'memory',
      maxDocumentBytes: 100_000_000,
    });
    expect(sendBlockedReason(offlineStatus(null))).toBe(OFFLINE_MESSAGE);
    // Said once, as the reason Send is disabled.
    expect(retrievalWarning(offlineStatus(null))).toBeNull();
  });
});

describe('ConnectionMonitor', () => {
  function monitor(online = { value: true }) {
    const api = fakeApi();
    const onError = vi.fn();
    const connection = new ConnectionMonitor({ api, onError, isOnline: () => online.value });
    return { api, onError, connection, online };
  }

  it('reads the status, and shares a request already on its way', async () => {
    const { api, connection } = monitor();
    const pending = deferred<ConnectionStatus>();
    api.getStatus.mockReturnValueOnce(pending.promise);
    const first = connection.refresh();
    const second = connection.refresh();
    expect(connection.checking).toBe(true);
    pending.resolve(llmDown);
    await Promise.all([first, second]);
    expect(api.getStatus).toHaveBeenCalledOnce();
    expect(connection.status).toEqual(llmDown);
    expect(connection.checking).toBe(false);
    expect(connection.sendBlockedReason).toBe(LLM_DOWN_MESSAGE);
  });

  it('offline, it does not ask and says so; an answer still on its way is ignored', async () => {
    const { api, connection, online } = monitor();
    const pending = deferred<ConnectionStatus>();
    api.getStatus.mockReturnValueOnce(pending.promise);
    const run = connection.refresh();
    online.value = false;
    await connection.refresh();
    pending.resolve(connectionStatus());
    await run;
    expect(api.getStatus).toHaveBeenCalledOnce();
    expect(connection.status?.llm).toEqual({ configured: true, reachable: false, message: OFFLINE_MESSAGE });
    expect(connection.checking).toBe(false);

    online.value = true;
    await connection.refresh();
    expect(api.getStatus).toHaveBeenCalledTimes(2);
    expect(connection.sendBlockedReason).toBeNull();
  });

  it('a status that cannot be read blocks nothing; a 401 is handed on', async () => {
    const { api, connection, onError } = monitor();
    api.getStatus.mockResolvedValueOnce(llmDown);
    await connection.refresh();
    const failure = new ApiError(0, 'network_error', 'Unreachable.');
    api.getStatus.mockRejectedValueOnce(failure);
    await connection.refresh();
    expect(connection.status).toBeNull();
    expect(connection.sendBlockedReason).toBeNull();
    expect(onError).toHaveBeenCalledWith(failure);

    const ended = unauthorized();
    api.getStatus.mockRejectedValueOnce(ended);
    await connection.refresh();
    expect(onError).toHaveBeenLastCalledWith(ended);
  });

  it('the keyring notice shows once Docent says the session is in memory, until dismissed for the run', async () => {
    const { api, connection } = monitor();
    await connection.refresh();
    expect(connection.showKeyringNotice).toBe(false);

    api.getStatus.mockResolvedValue(connectionStatus({ sessionStorage: 'memory' }));
    await connection.refresh();
    expect(connection.showKeyringNotice).toBe(true);

    connection.reset();
    expect(connection.status).toBeNull();
    expect(connection.showKeyringNotice).toBe(true);

    connection.dismissKeyringNotice();
    await connection.refresh();
    expect(connection.showKeyringNotice).toBe(false);
  });

  it('watch asks now, every 30 seconds and on online/offline, until stopped', async () => {
    vi.useFakeTimers();
    const { api, connection, online } = monitor();
    const win = new EventTarget() as unknown as Window;
    const stop = connection.watch(win);
    await vi.advanceTimersByTimeAsync(0);
    expect(api.getStatus).toHaveBeenCalledTimes(1);

    await vi.advanceTimersByTimeAsync(STATUS_INTERVAL_MS);
    expect(api.getStatus).toHaveBeenCalledTimes(2);

    online.value = false;
    win.dispatchEvent(new Event('offline'));
    expect(connection.status?.llm.message).toBe(OFFLINE_MESSAGE);
    expect(api.getStatus).toHaveBeenCalledTimes(2);

    online.value = true;
    win.dispatchEvent(new Event('online'));
    await vi.advanceTimersByTimeAsync(0);
    expect(api.getStatus).toHaveBeenCalledTimes(3);
    expect(connection.sendBlockedReason).toBeNull();

    stop();
    win.dispatchEvent(new Event('online'));
    await vi.advanceTimersByTimeAsync(STATUS_INTERVAL_MS * 3);
    expect(api.getStatus).toHaveBeenCalledTimes(3);
  });
});
