// Flow 2: a forgotten password, reset through the link emailed over real SMTP.

import { test, expect } from '@playwright/test';
import {
  NEW_PASSWORD,
  PASSWORD,
  env,
  expectLoginPage,
  expectNoPageErrors,
  expectSignedInHome,
  linkIn,
  loginWithPassword,
  logout,
  register,
  snap,
  uniqueEmail,
  waitForMail,
  watchPageErrors,
} from '../support/helpers.mjs';

const FLOW = 'reset';

test('reset a forgotten password through the emailed link', async ({ page }, testInfo) => {
  const errors = watchPageErrors(page);
  const email = uniqueEmail(FLOW);

  await register(page, email, PASSWORD, FLOW);
  await logout(page);

  // "Forgot your password?" on the login page, which carries the email typed there over.
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Reset your password' })).toBeVisible();
  await expect(page.getByLabel('Email', { exact: true })).toHaveValue(email);
  await snap(page, FLOW, 'forgot-password');
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page.getByRole('status').filter({ hasText: /\S/ })).toBeVisible();
  await snap(page, FLOW, 'forgot-password-sent');

  // The email arrives through SMTP, with a link to this server's reset page.
  const mail = await waitForMail(email, 'Reset your Docent password');
  expect(mail.from).toContain('docent@example.test');
  const link = linkIn(mail, '/reset-password');
  const url = new URL(link);
  expect(url.origin).toBe(env.baseURL);
  expect(url.searchParams.get('token')).toMatch(/\S{16,}/);
  expect(mail.html).toContain(link.replace(/&/g, '&amp;'));

  // Follow it and set a new password.
  await page.goto(link);
  await expect(page.getByRole('heading', { level: 1, name: 'Set a new password' })).toBeVisible();
  await snap(page, FLOW, 'reset-password');
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Set new password' }).click();

  // Back at the login page, with the confirmation and no token left in the address bar.
  await expectLoginPage(page);
  await expect(page.getByText('Your password was changed. Sign in with the new one.')).toBeVisible();
  expect(page.url()).not.toContain('token');
  await snap(page, FLOW, 'reset-done');

  // A "password changed" notice was emailed too.
  await waitForMail(email, 'Your Docent password was changed');

  // The old password no longer works, with a sentence a person can read.
  await loginWithPassword(page, email, PASSWORD);
  const alert = page.getByRole('alert').filter({ hasText: /\S/ });
  await expect(alert).toBeVisible();
  await expect(alert).toHaveText(/password/i);
  await expect(alert).not.toHaveText(/invalid_credentials|^\s*\{|undefined|null|\[object/);
  await expect(page).toHaveURL(/\/login$/);
  await snap(page, FLOW, 'old-password-refused');

  // The new one does.
  await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expectSignedInHome(page);
  await snap(page, FLOW, 'signed-in');

  // The link was used up: opening it again says so.
  await logout(page);
  await page.goto(link);
  await page.getByLabel('New password', { exact: true }).fill('Another-Passphrase-For-Nothing-9');
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expect(page.getByText('This password-reset link has expired or was already used. Ask for a new one.')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Request a new reset link' })).toBeFocused();
  await snap(page, FLOW, 'link-used');

  expectNoPageErrors(errors, testInfo);
});
