// Shared by the specs: the addresses run.sh passes, the mailbox of the SMTP sink,
// screenshots, and the account steps every flow needs.

import { readdirSync, readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from '@playwright/test';
import { CHUNKS } from './fakes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through tests/e2e/run.sh`);
  return value;
}

export const env = {
  get baseURL() {
    return required('E2E_BASE_URL');
  },
  get mailDir() {
    return required('E2E_MAIL_DIR');
  },
  get llmURL() {
    return required('E2E_LLM_URL');
  },
  get retrievalURL() {
    return required('E2E_RETRIEVAL_URL');
  },
  /** The docent-server binary run.sh started, its data dir, and its settings (`NAME=value` lines). */
  get serverBin() {
    return required('E2E_SERVER_BIN');
  },
  get dataDir() {
    return required('E2E_DATA_DIR');
  },
  get serverEnv() {
    return required('E2E_SERVER_ENV');
  },
  artifacts: process.env.E2E_ARTIFACTS ?? path.resolve(here, '../../artifacts/e2e'),
};

/** A password that passes the server's policy (15 characters or more). */
export const PASSWORD = 'Tangerine-Orbit-Quietly-47';
export const NEW_PASSWORD = 'Marigold-Lantern-Drifts-Slowly-8';

/** A fresh address per test (and per run), so flows never share an account or rate limit. */
export function uniqueEmail(flow) {
  const stamp = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
  return `${flow}-${stamp}@example.test`;
}

/** Saves a full-page screenshot as `<artifacts>/<flow>-<step>.png`. */
export async function snap(page, flow, step) {
  mkdirSync(env.artifacts, { recursive: true });
  await page.screenshot({ path: path.join(env.artifacts, `${flow}-${step}.png`), fullPage: true });
}

/** Every email the SMTP sink has received, oldest first. */
export function receivedMail() {
  let names;
  try {
    names = readdirSync(env.mailDir).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  return names.sort().map((name) => JSON.parse(readFileSync(path.join(env.mailDir, name), 'utf8')));
}

function isFor(mail, to) {
  const address = to.toLowerCase();
  return mail.rcpt_tos.some((rcpt) => rcpt.toLowerCase() === address) || mail.to.toLowerCase().includes(address);
}

/**
 * Waits until `to` has received an email whose subject contains `subject` (and, with
 * `after`, more than `after` such emails), and returns the newest.
 */
export async function waitForMail(to, subject, { after = 0, timeout = 15_000 } = {}) {
  const started = Date.now();
  for (;;) {
    const mails = receivedMail().filter((mail) => isFor(mail, to) && mail.subject.includes(subject));
    if (mails.length > after) return mails[mails.length - 1];
    if (Date.now() - started > timeout) {
      const all = receivedMail().map((mail) => `${mail.rcpt_tos.join(',')}: ${mail.subject}`);
      throw new Error(`no email "${subject}" for ${to} within ${timeout} ms; received:\n${all.join('\n') || '(none)'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The first link in the email's text part whose path starts with `pathPrefix`. */
export function linkIn(mail, pathPrefix) {
  const links = mail.text.match(/https?:\/\/[^\s<>"')]+/g) ?? [];
  const link = links.find((candidate) => new URL(candidate).pathname.startsWith(pathPrefix));
  if (!link) throw new Error(`no ${pathPrefix} link in the email:\n${mail.text}`);
  return link;
}

/** The sign-in code (`ABCD-EFGH`) of a sign-in email: in its subject, and in its text. */
export function codeIn(mail) {
  const fromSubject = mail.subject.match(/\b([A-Z0-9]{4}-[A-Z0-9]{4})\b/);
  if (!fromSubject) throw new Error(`no sign-in code in the subject "${mail.subject}"`);
  expect(mail.text, 'the code is in the text too').toContain(fromSubject[1]);
  return fromSubject[1];
}

/** The workspaces page of a signed-in user. */
export async function expectSignedInHome(page) {
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Workspaces' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Log out', exact: true })).toBeVisible();
}

/** The login page. */
export async function expectLoginPage(page) {
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
}

/** The subject of the email that confirms a password account's address (its code follows). */
export const CONFIRM_SUBJECT = 'Confirm your email for Docent';

/** The page that confirms an address. */
export async function expectConfirmationPage(page) {
  await expect(page).toHaveURL(/\/verify-email(\?|$)/);
  await expect(page.getByRole('heading', { level: 1, name: 'Confirm your email' })).toBeVisible();
}

/**
 * Creates an account through the register page, then confirms its address with the code of
 * the emailed confirmation (the page keeps the password typed at registration); the app
 * signs in and lands home.
 */
export async function register(page, email, password, flow) {
  await page.goto('/register');
  await expect(page.getByRole('heading', { level: 1, name: 'Create an account' })).toBeVisible();
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  if (flow) await snap(page, flow, 'register');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expectConfirmationPage(page);
  const mail = await waitForMail(email, CONFIRM_SUBJECT);
  await page.getByLabel('Code from the email').fill(codeIn(mail));
  if (flow) await snap(page, flow, 'confirm');
  await page.getByRole('button', { name: 'Confirm and sign in' }).click();
  await expectSignedInHome(page);
}

/** Signs in on the login page (which the page must be showing). */
export async function loginWithPassword(page, email, password) {
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Logs out with the header's button; the app goes to the login page. */
export async function logout(page) {
  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await expectLoginPage(page);
}

/**
 * Watches the page for what a user would not see but should never happen: uncaught errors
 * in the page and server errors (5xx) from Docent. `expectNoPageErrors` checks at the end.
 * Console errors are only reported: the 4xx answers a flow expects (a refused password…)
 * log one too.
 */
export function watchPageErrors(page) {
  const watch = { errors: [], console: [] };
  page.on('pageerror', (error) => watch.errors.push(`uncaught: ${String(error)}`));
  page.on('response', (response) => {
    if (response.status() >= 500) {
      watch.errors.push(`${response.status()} from ${response.request().method()} ${response.url()}`);
    }
  });
  page.on('console', (message) => {
    if (message.type() === 'error') watch.console.push(`${message.text()} (${message.location().url})`);
  });
  return watch;
}

export function expectNoPageErrors(watch, testInfo) {
  if (watch.console.length > 0) {
    testInfo.annotations.push({ type: 'console errors', description: watch.console.join('\n') });
  }
  expect(watch.errors, 'no uncaught errors in the page, no 5xx from the server').toEqual([]);
}

/** The answer's text has chips 1 and 2, named after their sources, and a list of both sources. */
export async function expectCitedAnswer(answer) {
  const chips = answer.locator('.answer button[data-cite]');
  await expect(chips).toHaveCount(2);
  await expect(chips.nth(0)).toHaveText('1');
  await expect(chips.nth(1)).toHaveText('2');
  await expect(answer.getByRole('button', { name: `Source 1: ${CHUNKS[0].title}` })).toBeVisible();
  await expect(answer.getByRole('button', { name: `Source 2: ${CHUNKS[1].title}` })).toBeVisible();
  await expect(answer.getByRole('heading', { name: 'Sources' })).toBeVisible();
  const sources = answer.getByRole('list');
  await expect(sources.getByRole('listitem')).toHaveCount(2);
  await expect(sources.getByRole('listitem').nth(0)).toContainText(`${CHUNKS[0].title}, p. ${CHUNKS[0].page}`);
  await expect(sources.getByRole('listitem').nth(1)).toContainText(CHUNKS[1].title);
}
