// Flow 4: when the language model cannot be reached, everything stored still opens and Send
// says why. A question is answered on the suite's server; then a second docent-server on the
// same data dir, whose LLM and retrieval URLs point at closed ports, shows the conversation,
// its sources and the settings, and keeps a new question in the box instead of sending it.

import {
  PASSWORD,
  env,
  expectCitedAnswer,
  expectNoPageErrors,
  expectSignedInHome,
  loginWithPassword,
  logout,
  register,
  snap,
  uniqueEmail,
  watchPageErrors,
} from '../support/helpers.mjs';
import { CHUNKS } from '../support/fakes.mjs';
import { closedPorts, expect, test } from '../support/server.mjs';

const FLOW = 'offline';
const QUESTION = 'How many days a week may I work from home?';
const OFFLINE_QUESTION = 'Is the equipment budget per year or per month?';
/** How often the chat reads GET /status again (STATUS_INTERVAL_MS in ui/src/lib/connection.svelte.ts). */
const STATUS_INTERVAL_MS = 30_000;
/** Said after the reason once a question is typed (QUESTION_KEPT in ui/src/lib/connection.svelte.ts). */
const QUESTION_KEPT = 'Your question is kept; send it when the model is back.';

/** `text` as a regular expression that matches it literally. */
function literally(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Opens the Personal workspace from the workspaces page. */
async function openPersonalWorkspace(page) {
  const workspaces = page.getByRole('list', { name: 'Your workspaces' });
  await expect(workspaces.getByRole('heading', { name: 'Personal' })).toBeVisible();
  await workspaces.getByRole('link', { name: 'Open' }).first().click();
  await expect(page).toHaveURL(/\/app\/w\/[A-Za-z0-9_-]+$/);
}

/** The requests the fake LLM and retrieval API received that mention `text`. */
async function remoteRequestsAbout(text) {
  const llm = await (await fetch(`${env.llmURL}/__requests`)).json();
  const retrieval = await (await fetch(`${env.retrievalURL}/__requests`)).json();
  return [...llm, ...retrieval].filter((request) => JSON.stringify(request.body).includes(text));
}

test('when the language model cannot be reached, everything stored still opens and Send says why', async ({
  page,
  browser,
  launchServer,
}, testInfo) => {
  const errors = watchPageErrors(page);
  const email = uniqueEmail(FLOW);

  // --- On the suite's server: register, sign in, ask, get the cited answer. -------------------
  await register(page, email, PASSWORD);
  await logout(page);
  await loginWithPassword(page, email, PASSWORD);
  await expectSignedInHome(page);
  await openPersonalWorkspace(page);
  await page.getByRole('textbox', { name: 'Your question' }).fill(QUESTION);
  await page.getByRole('button', { name: 'Send' }).click();
  const answer = page.getByRole('log', { name: 'Messages' }).getByRole('article', { name: 'Answer' });
  await expect(answer).toHaveAttribute('aria-busy', 'false', { timeout: 15_000 });
  await expect(answer).toContainText('Remote work is allowed two days a week');
  await expectCitedAnswer(answer);
  await expect(page).toHaveURL(/\/app\/w\/[A-Za-z0-9_-]+\/c\/[A-Za-z0-9_-]+$/);
  const conversationPath = new URL(page.url()).pathname;
  expect(await remoteRequestsAbout(QUESTION), 'the LLM and the retrieval API were asked once each').toHaveLength(2);
  await snap(page, FLOW, 'answered');
  expectNoPageErrors(errors, testInfo);

  // --- A second server on the same data, whose LLM and retrieval API cannot be reached. -------
  const [llmPort, retrievalPort] = await closedPorts(2);
  const llmURL = `http://127.0.0.1:${llmPort}/v1`;
  const retrievalURL = `http://127.0.0.1:${retrievalPort}/search`;
  const server = await launchServer({
    name: FLOW,
    settings: { DOCENT_LLM_BASE_URL: llmURL, DOCENT_RETRIEVAL_URL: retrievalURL },
  });
  expect(server.url).not.toBe(env.baseURL);

  const context = await browser.newContext({ baseURL: server.url });
  try {
    const offline = await context.newPage();
    const offlineErrors = watchPageErrors(offline);
    /** Every request the page sends from here on. */
    const sent = [];
    offline.on('request', (request) => sent.push({ method: request.method(), url: request.url() }));
    // The page's timers are Playwright's, so that the next status check need not take 30 s.
    await offline.clock.install();

    // Sign in there, with the same account.
    await offline.goto('/login');
    await loginWithPassword(offline, email, PASSWORD);
    await expectSignedInHome(offline);
    expect(new URL(offline.url()).origin).toBe(server.url);
    await snap(offline, FLOW, 'signed-in');

    // The workspace, and the conversation from its sidebar.
    await openPersonalWorkspace(offline);
    await offline.getByRole('link', { name: QUESTION }).click();
    await expect(offline).toHaveURL(`${server.url}${conversationPath}`);
    await expect(offline.getByRole('heading', { level: 1 })).toHaveText(QUESTION);
    const messages = offline.getByRole('log', { name: 'Messages' });
    await expect(messages.getByRole('article', { name: 'Your question' })).toHaveText(QUESTION);
    const stored = messages.getByRole('article', { name: 'Answer' });
    await expect(stored).toContainText('Remote work is allowed two days a week');
    await expect(stored).toContainText('Equipment is reimbursed');
    await expectCitedAnswer(stored);
    await snap(offline, FLOW, 'conversation');

    // A chip opens its source: the passage is stored with the answer.
    await stored.getByRole('button', { name: `Source 1: ${CHUNKS[0].title}` }).click();
    const panel = stored.getByRole('complementary', { name: 'Source 1' });
    await expect(panel.getByRole('heading', { name: CHUNKS[0].title })).toBeFocused();
    await expect(panel).toContainText(`${CHUNKS[0].source}, page ${CHUNKS[0].page}`);
    await expect(panel.locator('blockquote')).toHaveText(CHUNKS[0].text);
    await expect(panel.getByRole('link', { name: 'Open the document' })).toHaveAttribute('href', CHUNKS[0].url);
    await snap(offline, FLOW, 'source');
    await panel.getByRole('button', { name: 'Close source 1' }).click();
    await expect(panel).toHaveCount(0);

    // Send is disabled, and the server's own sentence next to it says why, naming the address.
    // (Why exactly, in the brackets, depends on the server build and the OS: "nothing answers
    // there" for a refused connection, or the OS's own words.)
    const send = offline.getByRole('button', { name: 'Send' });
    const because = `The language model at ${llmURL} cannot be reached (`;
    const reason = offline.getByRole('status').getByText(because);
    await expect(reason).toBeVisible();
    // The document search is down too: a warning of its own says so, beside the reason.
    await expect(
      offline.getByRole('status').getByText(`The document search at ${retrievalURL} cannot be reached (`),
    ).toContainText('Answers may fail or come without documents until it is back.');
    await expect(reason).toHaveText(new RegExp(`^\\s*${literally(because)}.+\\)\\.\\s*$`));
    await expect(reason).not.toContainText(QUESTION_KEPT);
    await expect(send).toBeDisabled();
    await snap(offline, FLOW, 'send-disabled');

    // A new question stays in the box: Send stays disabled, Enter does not send it, and the
    // sentence now says that it is kept.
    const composer = offline.getByRole('textbox', { name: 'Your question' });
    const typedAt = sent.length;
    await composer.fill(OFFLINE_QUESTION);
    await expect(send).toBeDisabled();
    await expect(reason).toHaveText(
      new RegExp(`^\\s*${literally(because)}.+\\)\\. ${literally(QUESTION_KEPT)}\\s*$`),
    );
    await expect(send).toHaveAccessibleDescription(
      new RegExp(`^${literally(because)}.+\\)\\. ${literally(QUESTION_KEPT)}$`),
    );
    await composer.press('Enter');
    await expect(composer).toHaveValue(OFFLINE_QUESTION);
    await snap(offline, FLOW, 'question-kept');

    // The next status check (every 30 s) finds the model still unreachable: nothing changes.
    // (A request sent from here on: not one of the checks made when the chat opened.)
    const nextCheck = offline.waitForRequest(
      (request) => new URL(request.url()).pathname === '/status' && request.method() === 'GET',
    );
    await offline.clock.fastForward(STATUS_INTERVAL_MS);
    const checked = await (await nextCheck).response();
    expect(checked?.status()).toBe(200);
    const status = await checked.json();
    expect(status.llm).toMatchObject({ configured: true, reachable: false });
    expect(status.llm.message).toContain(because);
    expect(status.retrieval).toMatchObject({ configured: true, reachable: false });
    expect(status.retrieval.message).toContain(retrievalURL);
    await expect(composer).toHaveValue(OFFLINE_QUESTION);
    await expect(send).toBeDisabled();
    await expect(reason).toContainText(QUESTION_KEPT);
    await expect(messages.getByRole('article', { name: 'Your question' })).toHaveCount(1);
    await snap(offline, FLOW, 'question-kept-after-check');

    // Nothing was sent: the page only read the status, and no service was asked the question.
    const since = sent.slice(typedAt);
    expect(since.some((request) => new URL(request.url).pathname === '/status'), 'the status check is seen').toBe(true);
    expect(since.filter((request) => request.method !== 'GET'), `requests since typing: ${JSON.stringify(since)}`).toEqual([]);
    expect(since.filter((request) => new URL(request.url).pathname.startsWith('/chat/'))).toEqual([]);
    expect(sent.filter((request) => new URL(request.url).pathname === '/chat/message')).toEqual([]);
    expect(await remoteRequestsAbout(OFFLINE_QUESTION)).toEqual([]);

    // Settings: read-only on the server, showing the (unreachable) URLs it was started with.
    await offline.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await expect(offline).toHaveURL(`${server.url}/app/settings`);
    await expect(offline.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
    await expect(offline.getByText('These settings are set by whoever runs this Docent server')).toBeVisible();
    await expect(offline.locator('dt:text-is("LLM base URL") + dd')).toHaveText(llmURL);
    await expect(offline.locator('dt:text-is("LLM model") + dd')).toHaveText('test/model');
    await expect(offline.locator('dt:text-is("LLM API key") + dd')).toHaveText('Set (not shown)');
    await expect(offline.locator('dt:text-is("Retrieval URL") + dd')).toHaveText(retrievalURL);
    await expect(offline.getByRole('textbox')).toHaveCount(0);
    await expect(offline.getByRole('button', { name: 'Save settings' })).toHaveCount(0);
    const settings = await (await offline.request.get('/settings')).json();
    expect(settings).toMatchObject({ llm_base_url: llmURL, retrieval_url: retrievalURL, editable: false });
    await snap(offline, FLOW, 'settings');

    expectNoPageErrors(offlineErrors, testInfo);
  } finally {
    await context.close();
    await server.stop();
  }
});
