// Flow 3: passwordless sign-in with the code, or the link, emailed over real SMTP.

import { test, expect } from '@playwright/test';
import {
  PASSWORD,
  codeIn,
  env,
  expectLoginPage,
  expectNoPageErrors,
  expectSignedInHome,
  linkIn,
  logout,
  register,
  snap,
  uniqueEmail,
  waitForMail,
  watchPageErrors,
} from '../support/helpers.mjs';

const SUBJECT = 'Your Docent sign-in code';

/** From the login page to the sign-in-by-email page, and the email sent from there. */
async function requestSignInEmail(page, email, flow) {
  await page.goto('/login');
  await expectLoginPage(page);
  await page.getByRole('link', { name: 'Sign in with an emailed link instead' }).click();
  await expect(page).toHaveURL(/\/login\/email$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in with email' })).toBeVisible();
  await page.getByLabel('Email', { exact: true }).fill(email);
  await snap(page, flow, 'request');
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  await expect(page.getByRole('status').filter({ hasText: `on their way to ${email}` })).toBeVisible();
}

test('sign in with the code from the email, as a new user', async ({ page }, testInfo) => {
  const flow = 'code';
  const errors = watchPageErrors(page);
  const email = uniqueEmail(flow);

  await requestSignInEmail(page, email, flow);
  const codeField = page.getByLabel('Code from the email');
  await expect(codeField).toBeFocused();
  await snap(page, flow, 'code-step');

  const mail = await waitForMail(email, SUBJECT);
  const code = codeIn(mail);
  expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);

  // Typed the lazy way (lower case, no dash): the field upper-cases it, the server takes it.
  await codeField.pressSequentially(code.replace('-', '').toLowerCase());
  await expect(codeField).toHaveValue(code.replace('-', ''));
  await snap(page, flow, 'code-typed');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();

  // Signed in, as a new account with its Personal workspace, and no code left in the page.
  await expectSignedInHome(page);
  await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();
  await expect(page.getByRole('list', { name: 'Your workspaces' }).getByRole('heading', { name: 'Personal' })).toBeVisible();
  await snap(page, flow, 'signed-in');

  // The session is a real one: it survives a reload.
  await page.reload();
  await expectSignedInHome(page);

  expectNoPageErrors(errors, testInfo);
});

test('a wrong code is refused with a readable message', async ({ page }, testInfo) => {
  const flow = 'code-wrong';
  const errors = watchPageErrors(page);
  const email = uniqueEmail(flow);
  await requestSignInEmail(page, email, flow);
  const code = codeIn(await waitForMail(email, SUBJECT));
  // Same shape, different letters.
  const wrong = code.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
  await page.getByLabel('Code from the email').fill(wrong);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  const alert = page.getByRole('alert').filter({ hasText: /\S/ });
  await expect(alert).toBeVisible();
  await expect(alert).toHaveText(/code/i);
  await expect(page).toHaveURL(/\/login\/email$/);
  await snap(page, flow, 'refused');

  // The right code still works afterwards.
  await page.getByLabel('Code from the email').fill(code);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expectSignedInHome(page);

  expectNoPageErrors(errors, testInfo);
});

test('sign in with the emailed link: opening it does not sign in, the button does', async ({ page, browser }, testInfo) => {
  const flow = 'link';
  const errors = watchPageErrors(page);
  const email = uniqueEmail(flow);

  // An existing account, signed out.
  await register(page, email, PASSWORD);
  await logout(page);

  await requestSignInEmail(page, email, flow);
  const mail = await waitForMail(email, SUBJECT);
  const link = linkIn(mail, '/login/verify');
  const url = new URL(link);
  expect(url.origin).toBe(env.baseURL);
  expect(url.searchParams.get('token')).toMatch(/\S{16,}/);

  // A mail scanner fetches the link, and someone opens it in another browser without
  // pressing the button: neither uses it up.
  const scanned = await page.request.get(link);
  expect(scanned.status()).toBe(200);
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await otherPage.goto(link);
  await expect(otherPage.getByRole('heading', { level: 1, name: 'Sign in to Docent' })).toBeVisible();
  await other.close();

  // Opened here, the page asks before signing in.
  await page.goto(link);
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in to Docent' })).toBeVisible();
  await expect(page.getByText('Sign in to Docent as requested from your email.')).toBeVisible();
  await page.reload();
  const button = page.getByRole('button', { name: 'Sign in', exact: true });
  await expect(button).toBeVisible();
  await expect(page.getByRole('button', { name: 'Log out', exact: true })).toHaveCount(0);
  await snap(page, flow, 'verify');

  await button.click();
  await expectSignedInHome(page);
  expect(page.url()).not.toContain('token');
  await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();
  await snap(page, flow, 'signed-in');

  // Used once, the link is spent.
  await logout(page);
  await page.goto(link);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByText('This sign-in link has expired or was already used. Ask for a new one.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Log out', exact: true })).toHaveCount(0);
  await snap(page, flow, 'link-used');

  expectNoPageErrors(errors, testInfo);
});
