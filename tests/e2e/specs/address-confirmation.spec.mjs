// Flow: a password account's address is confirmed before its password signs in. Registering
// sends a confirmation email; the password alone is refused until then; the emailed link asks
// for the password, then signs in.

import { test, expect } from '@playwright/test';
import {
  CONFIRM_SUBJECT,
  PASSWORD,
  env,
  expectConfirmationPage,
  expectLoginPage,
  expectNoPageErrors,
  expectSignedInHome,
  linkIn,
  loginWithPassword,
  logout,
  snap,
  uniqueEmail,
  waitForMail,
  watchPageErrors,
} from '../support/helpers.mjs';

const FLOW = 'confirm';

test('register, be refused until the address is confirmed, confirm by the emailed link', async ({ page }, testInfo) => {
  const errors = watchPageErrors(page);
  const email = uniqueEmail(FLOW);

  await page.goto('/register');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expectConfirmationPage(page);
  await expect(page.getByText(`open the link sent to ${email}`)).toBeVisible();
  const first = await waitForMail(email, CONFIRM_SUBJECT);
  await snap(page, FLOW, 'check-your-email');

  // The password alone does not sign in yet: the login page leads back here, saying why.
  await page.goto('/login');
  await expectLoginPage(page);
  await loginWithPassword(page, email, PASSWORD);
  await expectConfirmationPage(page);
  await expect(page.getByRole('alert').filter({ hasText: 'Confirm your email address first' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Log out', exact: true })).toHaveCount(0);
  await snap(page, FLOW, 'refused');

  // The emailed link, opened in the browser, asks for the password before anything happens.
  // (Sending the email again is limited to one a minute: the HTTP tests cover it.)
  const link = linkIn(first, '/verify-email');
  expect(new URL(link).origin).toBe(env.baseURL);
  await page.goto(link);
  await expectConfirmationPage(page);
  await expect(page.getByLabel('Code from the email')).toHaveCount(0);
  await snap(page, FLOW, 'link');
  await page.getByLabel('Password', { exact: true }).fill('Not-The-Password-At-All-9');
  await page.getByRole('button', { name: 'Confirm and sign in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'The email or password is incorrect.' })).toBeVisible();
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Confirm and sign in' }).click();
  await expectSignedInHome(page);
  expect(page.url()).not.toContain('token');
  await snap(page, FLOW, 'confirmed');

  // Confirmed, the password signs in on its own; the link is spent.
  await logout(page);
  await loginWithPassword(page, email, PASSWORD);
  await expectSignedInHome(page);
  await logout(page);
  await page.goto(link);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Confirm and sign in' }).click();
  await expect(page.getByText('This confirmation link has expired or was already used.')).toBeVisible();

  expectNoPageErrors(errors, testInfo);
});
