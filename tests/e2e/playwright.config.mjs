// Playwright runs the tests against a docent-server that run.sh has started (with a real SMTP
// server and fake LLM and retrieval services); it reads their addresses from E2E_* variables.
// The browser is the system's Chromium: Playwright downloads nothing.

import { defineConfig } from '@playwright/test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = process.env.E2E_ARTIFACTS ?? path.resolve(here, '../artifacts/e2e');

export default defineConfig({
  testDir: './specs',
  testMatch: /.*\.spec\.mjs$/,
  // The flows share one server but use their own accounts, so they can run side by side.
  fullyParallel: true,
  workers: Number(process.env.E2E_WORKERS ?? 3),
  // A flow takes 5 to 20 s; the margin is for slow, busy CI machines.
  timeout: 90_000,
  expect: { timeout: 10_000 },
  retries: 0,
  forbidOnly: true,
  outputDir: path.join(artifacts, 'test-results'),
  reporter: [['list'], ['json', { outputFile: path.join(artifacts, 'results.json') }]],
  use: {
    baseURL: process.env.E2E_BASE_URL,
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: process.env.E2E_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
    viewport: { width: 1280, height: 800 },
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
