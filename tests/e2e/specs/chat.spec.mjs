// Flow 1: register, sign in with the password, ask a question in the Personal workspace, watch
// the answer stream in with its sources, reload, log out.

import { test, expect } from '@playwright/test';
import {
  PASSWORD,
  env,
  expectCitedAnswer,
  expectLoginPage,
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

const FLOW = 'chat';
const QUESTION = 'What is our remote work policy?';

test('register, sign in with a password, chat with cited sources, reload, log out', async ({ page }, testInfo) => {
  const errors = watchPageErrors(page);
  const email = uniqueEmail(FLOW);

  // Register (the app signs in at once), then log out and sign in with the password.
  await register(page, email, PASSWORD, FLOW);
  await logout(page);
  await snap(page, FLOW, 'login');
  await loginWithPassword(page, email, PASSWORD);
  await expectSignedInHome(page);
  await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();

  // The workspaces view lists the Personal workspace every account starts with.
  const workspaces = page.getByRole('list', { name: 'Your workspaces' });
  await expect(workspaces.getByRole('heading', { name: 'Personal' })).toBeVisible();
  await snap(page, FLOW, 'workspaces');

  // Open its chat.
  await workspaces.getByRole('link', { name: 'Open' }).first().click();
  await expect(page).toHaveURL(/\/app\/w\/[A-Za-z0-9_-]+$/);
  await expect(page.getByRole('heading', { level: 1, name: 'New conversation' })).toBeVisible();
  await expect(page.getByText('in Personal')).toBeVisible();
  await snap(page, FLOW, 'chat-empty');

  // Ask; the answer streams in. The page records what the answer shows at every change, so
  // that the check does not depend on how fast this test polls (CI machines are slow).
  await page.evaluate(() => {
    const seen = [];
    window.__answerStates = seen;
    new MutationObserver(() => {
      const answer = document.querySelector('article[aria-label="Answer"]');
      if (!answer) return;
      const state = { busy: answer.getAttribute('aria-busy'), text: answer.textContent ?? '' };
      const last = seen[seen.length - 1];
      if (!last || last.busy !== state.busy || last.text !== state.text) seen.push(state);
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  const composer = page.getByRole('textbox', { name: 'Your question' });
  await composer.fill(QUESTION);
  await page.getByRole('button', { name: 'Send' }).click();

  const log = page.getByRole('log', { name: 'Messages' });
  await expect(log.getByRole('article', { name: 'Your question' })).toHaveText(QUESTION);
  const answer = log.getByRole('article', { name: 'Answer' });
  await expect(answer).toContainText('Remote work is allowed two days a week', { timeout: 15_000 });
  await snap(page, FLOW, 'chat-streaming');

  // Done: the whole text, the conversation got its own address, chips [1] and [2] name their sources.
  await expect(answer).toHaveAttribute('aria-busy', 'false', { timeout: 15_000 });
  await expect(answer).toContainText('Equipment is reimbursed');

  // It came in pieces: the first sentence showed, still being written, before the second.
  const states = await page.evaluate(() => window.__answerStates);
  const partial = states.findIndex(
    (state) =>
      state.busy === 'true' &&
      state.text.includes('Remote work is allowed two days a week') &&
      !state.text.includes('Equipment'),
  );
  expect(partial, `a partial answer showed while streaming; states seen: ${JSON.stringify(states)}`).toBeGreaterThanOrEqual(0);
  const later = states.slice(partial + 1);
  expect(later.some((state) => state.busy === 'true' && state.text.includes('Equipment'))).toBe(true);
  expect(states[states.length - 1].busy).toBe('false');
  expect(new Set(states.filter((state) => state.busy === 'true').map((state) => state.text)).size).toBeGreaterThanOrEqual(3);

  await expect(page).toHaveURL(/\/app\/w\/[A-Za-z0-9_-]+\/c\/[A-Za-z0-9_-]+$/);
  const conversationUrl = page.url();
  await expectCitedAnswer(answer);
  await expect(page.getByRole('button', { name: 'Send' })).toBeVisible();
  await snap(page, FLOW, 'chat-answered');

  // A chip opens its source: title, file, page and the quoted passage.
  await answer.getByRole('button', { name: `Source 1: ${CHUNKS[0].title}` }).click();
  const panel = answer.getByRole('complementary', { name: 'Source 1' });
  await expect(panel).toBeVisible();
  await expect(panel.getByRole('heading', { name: CHUNKS[0].title })).toBeFocused();
  await expect(panel).toContainText(`${CHUNKS[0].source}, page ${CHUNKS[0].page}`);
  await expect(panel.locator('blockquote')).toHaveText(CHUNKS[0].text);
  await expect(panel.getByRole('link', { name: 'Open the document' })).toHaveAttribute('href', CHUNKS[0].url);
  await snap(page, FLOW, 'chat-source-1');

  // The other chip switches the panel to its source.
  await answer.getByRole('button', { name: `Source 2: ${CHUNKS[1].title}` }).click();
  const panel2 = answer.getByRole('complementary', { name: 'Source 2' });
  await expect(panel2.locator('blockquote')).toHaveText(CHUNKS[1].text);
  await expect(panel2).toContainText(CHUNKS[1].source);
  await expect(answer.getByRole('complementary', { name: 'Source 1' })).toHaveCount(0);
  await snap(page, FLOW, 'chat-source-2');
  await panel2.getByRole('button', { name: 'Close source 2' }).click();
  await expect(panel2).toHaveCount(0);

  // The retrieval API was asked the question; the LLM got the passages and the model name.
  const retrieval = await (await fetch(`${env.retrievalURL}/__requests`)).json();
  expect(retrieval.some((r) => r.body.query === QUESTION)).toBe(true);
  const llm = await (await fetch(`${env.llmURL}/__requests`)).json();
  const asked = llm.find((r) => JSON.stringify(r.body.messages).includes(QUESTION));
  expect(asked, 'the LLM was asked the question').toBeTruthy();
  expect(asked.authorization).toBe('Bearer test-key');
  expect(asked.body.model).toBe('test/model');
  expect(JSON.stringify(asked.body.messages)).toContain(CHUNKS[0].text);

  // Reload: still signed in, the conversation comes back from the server with its sources.
  await page.reload();
  await expect(page).toHaveURL(conversationUrl);
  await expect(page.getByRole('button', { name: 'Log out', exact: true })).toBeVisible();
  const reloadedLog = page.getByRole('log', { name: 'Messages' });
  await expect(reloadedLog.getByRole('article', { name: 'Your question' })).toHaveText(QUESTION);
  const reloaded = reloadedLog.getByRole('article', { name: 'Answer' });
  await expect(reloaded).toContainText('Remote work is allowed two days a week', { timeout: 15_000 });
  await expect(reloaded).toContainText('Equipment is reimbursed');
  await expectCitedAnswer(reloaded);
  // The conversation is titled after the question, here and in the sidebar.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(QUESTION);
  await expect(page.getByRole('link', { name: QUESTION })).toBeVisible();
  await reloaded.getByRole('button', { name: `Source 2: ${CHUNKS[1].title}` }).click();
  await expect(reloaded.getByRole('complementary', { name: 'Source 2' }).locator('blockquote')).toHaveText(CHUNKS[1].text);
  await snap(page, FLOW, 'chat-reloaded');

  // Log out: back at the login page, and private pages lead there.
  await logout(page);
  await snap(page, FLOW, 'logged-out');
  await page.goto(conversationUrl);
  await expectLoginPage(page);
  await page.goto('/');
  await expectLoginPage(page);
  await page.goto('/app/history');
  await expectLoginPage(page);
  await snap(page, FLOW, 'protected-redirect');

  expectNoPageErrors(errors, testInfo);
});
