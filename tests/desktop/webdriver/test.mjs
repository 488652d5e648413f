// The desktop app through WebDriver: register, sign in with the password, open the Personal
// workspace, ask a question, see the answer stream in with its citation chips [1] [2]; add a
// PDF and a folder through the OS's own pickers (GTK dialogs, answered with xdotool), see the
// folder kept in sync and search both; then restart it: the keyring signs the user back in
// (auto-login) and the folder is still in sync, until they log out.
//
// Run it through run.sh, which starts the fakes, tauri-driver and a virtual display, and
// passes: WD_PORT (tauri-driver), WD_APPLICATION (the app to start), WD_ARTIFACTS,
// WD_RESULTS (where the counts go), E2E_LLM_URL and E2E_RETRIEVAL_URL (the fakes).
//
// The steps run in order; the first that fails ends the run (the rest are counted skipped),
// with a screenshot and the page's HTML saved as failure.png and failure.html.

import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { remote } from 'webdriverio';
import { ANSWER, CHUNKS } from '../../e2e/support/fakes.mjs';

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the test through tests/desktop/webdriver/run.sh`);
  return value;
}

const env = {
  port: Number(required('WD_PORT')),
  application: required('WD_APPLICATION'),
  artifacts: required('WD_ARTIFACTS'),
  results: process.env.WD_RESULTS,
  dataDir: process.env.WD_DATA_DIR,
  appLog: process.env.WD_APP_LOG,
  keyring: process.env.WD_KEYRING === '1',
  llmURL: required('E2E_LLM_URL'),
  retrievalURL: required('E2E_RETRIEVAL_URL'),
};

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../data/documents');
// The folder kept in sync: made here, filled and changed on disk by the steps.
const FOLDER = mkdtempSync(path.join(os.tmpdir(), 'docent-folder-'));
const PASSWORD = 'Tangerine-Orbit-Quietly-47';
const EMAIL = `desktop-${Date.now().toString(36)}@example.test`;
const QUESTION = 'What is our remote work policy?';
const FIRST_SENTENCE = 'Remote work is allowed two days a week';

// --- Small helpers ---------------------------------------------------------------------------

class CheckFailed extends Error {}

function check(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

/** Polls `probe` until it returns a truthy value (returned), or fails with `message`. */
async function until(probe, message, { timeout = 15_000, interval = 100 } = {}) {
  const started = Date.now();
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() - started > timeout) {
      const detail = last instanceof Error ? ` (last error: ${last.message})` : '';
      throw new CheckFailed(`${message}, within ${timeout} ms${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** Waits for a displayed element matching `selector` and returns it. */
async function shown(browser, selector, what, timeout = 15_000) {
  const element = await browser.$(selector);
  try {
    await element.waitForDisplayed({ timeout });
  } catch {
    throw new CheckFailed(`${what} did not show (${selector}) within ${timeout} ms`);
  }
  return element;
}

/**
 * Waits until the displayed `selector` has text containing `text`. The text is the rendered
 * one (WebDriver's "Get Element Text"): CSS `text-transform` applies, so the comparison
 * ignores case.
 */
async function hasText(browser, selector, text, what, timeout = 15_000) {
  await until(async () => {
    const element = await browser.$(selector);
    return (await element.isDisplayed()) && (await element.getText()).toLowerCase().includes(text.toLowerCase());
  }, `${what}: no "${text}" in ${selector}`, { timeout });
}

/** Types into a field, replacing what it held. */
async function fill(browser, selector, value) {
  const element = await shown(browser, selector, `the field ${selector}`);
  await element.clearValue();
  await element.setValue(value);
  const got = await element.getValue();
  check(got === value, `the field ${selector} holds "${got}", not "${value}"`);
}

async function snap(browser, step) {
  mkdirSync(env.artifacts, { recursive: true });
  await browser.saveScreenshot(path.join(env.artifacts, `${step}.png`));
}

async function requestsOf(url) {
  const response = await fetch(`${url}/__requests`);
  return response.json();
}

const xdotool = (...args) => promisify(execFile)('xdotool', args);

/**
 * Answers the OS's file dialog (GTK's, a window of its own that WebDriver cannot reach) titled
 * `title`, with keys sent through the X server (XTEST), as a person's would: to the home folder
 * (Alt+Home: out of "Recent", where the location bar opens nothing), the location bar (Ctrl+L),
 * `target` typed over what it held, Enter, which chooses a file. For a folder, Enter takes the
 * completion ("/"), Enter again opens the folder in the dialog, and "Open" (Alt+O) chooses it.
 * The dialog shows no sign of being ready for keys, so a try it did not take is made again.
 */
async function answerFileDialog(title, target, { folder = false } = {}) {
  const open = () => xdotool('search', '--onlyvisible', '--name', `^${title}$`);
  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const { stdout } = await until(() => open().catch(() => null), `the file dialog "${title}" opened`, { interval: 250 });
  const dialog = stdout.trim().split('\n').pop();
  for (let attempt = 1; ; attempt += 1) {
    await xdotool('windowfocus', '--sync', dialog).catch(() => {});
    await pause(700 * attempt);
    await xdotool('key', '--clearmodifiers', 'alt+Home');
    await pause(400 * attempt);
    await xdotool('key', '--clearmodifiers', 'ctrl+l');
    await xdotool('key', '--clearmodifiers', 'ctrl+a');
    await xdotool('type', '--delay', '10', target);
    await pause(400 * attempt);
    await xdotool('key', 'Return');
    if (folder) {
      await pause(500 * attempt);
      await xdotool('key', 'Return');
      await pause(600 * attempt);
      await xdotool('key', '--clearmodifiers', 'alt+o');
    }
    try {
      await until(() => open().then(() => false, () => true), `the file dialog "${title}" closed`, {
        timeout: 5_000,
        interval: 250,
      });
      return;
    } catch (error) {
      if (attempt < 3) continue;
      // The page's screenshot cannot show the dialog: the screen's can (an X window dump).
      await promisify(execFile)('xwd', ['-root', '-silent', '-out', path.join(env.artifacts, 'dialog.xwd')]).catch(() => {});
      throw error;
    }
  }
}

/** The names in the Documents list, each with its status line. */
async function documentsListed(browser) {
  return browser.execute(() =>
    [...document.querySelectorAll('ul[aria-label="Documents"] li.document-item')].map((item) => ({
      name: item.querySelector('.document-name')?.textContent?.trim() ?? '',
      status: item.querySelector('.document-status, [role="progressbar"]')?.textContent?.trim() ?? '',
      meta: item.querySelector('.meta')?.textContent?.replace(/\s+/g, ' ').trim() ?? '',
    })),
  );
}

/** Waits until the Documents list holds exactly `names`, each read ("Ready"). */
async function expectDocuments(browser, names, what, timeout = 30_000) {
  const want = [...names].sort();
  await until(
    async () => {
      const listed = await documentsListed(browser);
      const got = listed.map((doc) => doc.name).sort();
      return JSON.stringify(got) === JSON.stringify(want) && listed.every((doc) => doc.status.startsWith('Ready'));
    },
    `${what}: the list shows ${JSON.stringify(want)}, each Ready (it shows ${JSON.stringify(await documentsListed(browser).catch(() => []))})`,
    { timeout, interval: 250 },
  );
  return documentsListed(browser);
}

/** The signed-in workspaces view. */
async function expectWorkspacesView(browser, timeout = 15_000) {
  await hasText(browser, 'h1#home-title', 'Workspaces', 'the workspaces view', timeout);
  await shown(browser, '//header//button[normalize-space()="Log out"]', 'the Log out button');
}

// --- The steps ---------------------------------------------------------------------------------

const steps = [
  [
    'the app opens on its login view',
    async (browser) => {
      // The page records uncaught errors from here on; the last step reads them.
      await browser.execute(() => {
        window.__testErrors = [];
        window.addEventListener('error', (event) => window.__testErrors.push(String(event.message)));
        window.addEventListener('unhandledrejection', (event) => window.__testErrors.push(String(event.reason)));
      });
      await hasText(browser, 'h1#login-title', 'Sign in', 'the login view', 30_000);
      await until(async () => (await browser.getUrl()).endsWith('/login'), 'the address is /login');
      await shown(browser, '=Create an account', 'the "Create an account" link');
      await snap(browser, 'login');
    },
  ],
  [
    'register a new account (the app signs in at once)',
    async (browser) => {
      await (await browser.$('=Create an account')).click();
      await hasText(browser, 'h1#register-title', 'Create an account', 'the register view');
      await fill(browser, '#register-email', EMAIL);
      await fill(browser, '#register-password', PASSWORD);
      await snap(browser, 'register');
      await (await browser.$('//form//button[@type="submit"]')).click();
      await expectWorkspacesView(browser);
    },
  ],
  [
    'log out, sign in again with the password',
    async (browser) => {
      await (await browser.$('//header//button[normalize-space()="Log out"]')).click();
      await hasText(browser, 'h1#login-title', 'Sign in', 'the login view after logging out');
      await fill(browser, '#login-email', EMAIL);
      await fill(browser, '#login-password', PASSWORD);
      await (await browser.$('//form//button[@type="submit"]')).click();
      await expectWorkspacesView(browser);
      await hasText(browser, 'main', `Signed in as ${EMAIL}`, 'the workspaces view');
    },
  ],
  [
    'the workspaces view lists Personal',
    async (browser) => {
      await hasText(browser, 'ul[aria-label="Your workspaces"] h2', 'Personal', 'the workspace list');
      await snap(browser, 'workspaces');
    },
  ],
  [
    "open Personal's chat",
    async (browser) => {
      const open = await browser.$('ul[aria-label="Your workspaces"] li:first-child a.primary-link');
      check((await open.getText()).trim() === 'Open', 'the first workspace has an "Open" link');
      await open.click();
      await hasText(browser, 'h1#chat-title', 'New conversation', 'the chat view');
      await until(async () => /\/app\/w\/[A-Za-z0-9_-]+$/.test(await browser.getUrl()), 'the address is /app/w/<id>');
      await hasText(browser, 'main', 'in Personal', 'the chat view');
      await shown(browser, '#composer-input', 'the question box');
    },
  ],
  [
    'ask a question: the answer streams in, in pieces',
    async (browser) => {
      // The page records what the answer shows at every change, so the check does not depend
      // on how often this script polls.
      await browser.execute(() => {
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
      await fill(browser, '#composer-input', QUESTION);
      const send = await browser.$('form.composer button[type="submit"]');
      await until(async () => (await send.getText()) === 'Send' && (await send.isEnabled()), 'the Send button is enabled');
      await send.click();

      await hasText(browser, 'article[aria-label="Your question"]', QUESTION, 'the question in the conversation');
      await hasText(browser, 'article[aria-label="Answer"]', FIRST_SENTENCE, 'the streamed answer');
      await snap(browser, 'answer-streaming');
      await until(
        async () => (await (await browser.$('article[aria-label="Answer"]')).getAttribute('aria-busy')) === 'false',
        'the answer finished (aria-busy="false")',
      );
      await hasText(browser, 'article[aria-label="Answer"]', 'Equipment is reimbursed', 'the whole answer');

      const states = await browser.execute(() => window.__answerStates);
      const partial = states.findIndex(
        (state) => state.busy === 'true' && state.text.includes(FIRST_SENTENCE) && !state.text.includes('Equipment'),
      );
      check(partial >= 0, `a partial answer showed while streaming; states seen: ${JSON.stringify(states)}`);
      check(
        states.slice(partial + 1).some((state) => state.busy === 'true' && state.text.includes('Equipment')),
        'the second sentence streamed in too',
      );
      check(states[states.length - 1].busy === 'false', 'the last state is not busy');
      await until(
        async () => /\/app\/w\/[A-Za-z0-9_-]+\/c\/[A-Za-z0-9_-]+$/.test(await browser.getUrl()),
        'the conversation got its own address /app/w/<id>/c/<id>',
      );
    },
  ],
  [
    'the answer has citation chips [1] [2] and lists its sources',
    async (browser) => {
      const answer = 'article[aria-label="Answer"]';
      const text = await (await browser.$(`${answer} .answer`)).getText();
      // The chips show their numbers where the answer has "[1]" and "[2]".
      check(
        text.replace(/\s+/g, ' ').includes(ANSWER.replace('[1]', '1').replace('[2]', '2').replace(/\s+/g, ' ').slice(0, 30)),
        `the answer text is the fake LLM's: ${JSON.stringify(text)}`,
      );
      const chips = await browser.$$(`${answer} .answer button[data-cite]`);
      check(chips.length === 2, `two citation chips, not ${chips.length}`);
      check((await chips[0].getText()) === '1' && (await chips[1].getText()) === '2', 'the chips read 1 and 2');
      check(
        (await chips[0].getAttribute('aria-label')) === `Source 1: ${CHUNKS[0].title}`,
        `chip 1 names its source: ${await chips[0].getAttribute('aria-label')}`,
      );
      check(
        (await chips[1].getAttribute('aria-label')) === `Source 2: ${CHUNKS[1].title}`,
        `chip 2 names its source: ${await chips[1].getAttribute('aria-label')}`,
      );
      await hasText(browser, `${answer} .sources-title`, 'Sources', 'the sources list');
      const items = await browser.$$(`${answer} .sources-list li`);
      check(items.length === 2, `two sources listed, not ${items.length}`);
      check((await items[0].getText()).includes(`${CHUNKS[0].title}, p. ${CHUNKS[0].page}`), 'source 1 has title and page');
      check((await items[1].getText()).includes(CHUNKS[1].title), 'source 2 has its title');
      await shown(browser, 'form.composer button[type="submit"]', 'the Send button, back');
      await snap(browser, 'answer');
    },
  ],
  [
    'a chip opens its source',
    async (browser) => {
      const answer = 'article[aria-label="Answer"]';
      await (await browser.$(`${answer} .answer button[data-cite="1"]`)).click();
      const panel = `${answer} aside[aria-label="Source 1"]`;
      await hasText(browser, `${panel} blockquote`, CHUNKS[0].text, 'the source panel');
      await hasText(browser, panel, `${CHUNKS[0].source}, page ${CHUNKS[0].page}`, 'the source panel');
      const link = await browser.$(`${panel} a.source-link`);
      check((await link.getAttribute('href')) === CHUNKS[0].url, 'the panel links the document');
      await snap(browser, 'answer-source-1');
      await (await browser.$(`${panel} button[aria-label="Close source 1"]`)).click();
      await until(async () => !(await (await browser.$(panel)).isExisting()), 'the panel closed');
    },
  ],
  [
    'Documents: "Add files…" opens the OS picker; the chosen PDF is read, page by page',
    async (browser) => {
      await (await shown(browser, '//a[normalize-space()="Documents"]', 'the Documents link of the chat')).click();
      await hasText(browser, 'h1#documents-title', 'Documents of Personal', 'the Documents view');
      await shown(browser, '//div[@class="empty" or contains(@class,"empty")]', 'the empty list');
      const add = await shown(browser, '//button[normalize-space()="Add files…"]', 'the "Add files…" button');
      await add.click();
      await answerFileDialog('Add documents', path.join(FIXTURES, 'three-pages.pdf'));
      const [pdf] = await expectDocuments(browser, ['three-pages.pdf'], 'the picked PDF');
      check(/^Ready · 3 pages · \d+ passages?$/.test(pdf.status), `the PDF was read page by page: ${pdf.status}`);
      check(pdf.meta.startsWith('PDF'), `the PDF is named a PDF: ${pdf.meta}`);
      await snap(browser, 'documents-file');
    },
  ],
  [
    'Documents: "Add folder…" keeps a folder in sync: its files are read, new ones come, removed ones go',
    async (browser) => {
      copyFileSync(path.join(FIXTURES, 'handbook.md'), path.join(FOLDER, 'handbook.md'));
      copyFileSync(path.join(FIXTURES, 'notes.txt'), path.join(FOLDER, 'notes.txt'));
      await (await shown(browser, '//button[normalize-space()="Add folder…"]', 'the "Add folder…" button')).click();
      await answerFileDialog('Add a folder', FOLDER, { folder: true });
      await hasText(browser, 'ul.folder-list', FOLDER, 'the folders kept in sync');
      let listed = await expectDocuments(browser, ['three-pages.pdf', 'handbook.md', 'notes.txt'], "the folder's files");
      check(
        listed.filter((doc) => doc.meta.includes('· from ')).length === 2,
        `the folder's two files say where they come from: ${JSON.stringify(listed)}`,
      );
      await snap(browser, 'documents-folder');

      // A file added to the folder on disk arrives; one removed there leaves.
      copyFileSync(path.join(FIXTURES, 'handbook.html'), path.join(FOLDER, 'handbook.html'));
      await expectDocuments(browser, ['three-pages.pdf', 'handbook.md', 'notes.txt', 'handbook.html'], 'a file added to the folder');
      rmSync(path.join(FOLDER, 'notes.txt'));
      await expectDocuments(browser, ['three-pages.pdf', 'handbook.md', 'handbook.html'], 'a file removed from the folder');
    },
  ],
  [
    'Documents: search finds the passages of the folder and of the PDF; a hit opens its page',
    async (browser) => {
      const searchFor = async (words) => {
        await fill(browser, '#document-search', words);
        await (await browser.$('form[role="search"] button[type="submit"]')).click();
        await hasText(browser, '.live[role="status"]', `“${words}”`, `the search for ${words}`);
        return browser.execute(() =>
          [...document.querySelectorAll('ol[aria-label="Search results"] li')].map((hit) => ({
            name: hit.querySelector('.result-name')?.textContent?.trim(),
            page: hit.querySelector('.result-page')?.textContent?.trim() ?? null,
          })),
        );
      };
      // notes.txt left the folder, and its passages the index.
      check((await searchFor('Rheinauhafen')).length === 0, 'a removed file is not found');
      const handbook = await searchFor('Heronsgate');
      check(handbook[0]?.name === 'handbook.md', `the folder's handbook is found: ${JSON.stringify(handbook)}`);
      const flagpole = await searchFor('flagpole');
      check(
        flagpole[0]?.name === 'three-pages.pdf' && flagpole[0]?.page === 'page 3',
        `the PDF's third page is found: ${JSON.stringify(flagpole)}`,
      );
      await snap(browser, 'documents-search');
      await (await browser.$('ol[aria-label="Search results"] li:first-child a')).click();
      await until(async () => /\/app\/d\/[A-Za-z0-9_-]+\?page=3/.test(await browser.getUrl()), 'the viewer opened at page 3');
      // pdf.js draws page 3 in the app's own webview (WebKitGTK): ink on its canvas, the
      // passage marked in its text layer.
      const drawn = await until(
        () =>
          browser.execute(() => {
            const section = [...document.querySelectorAll('section[aria-label]')].find((s) =>
              /^Page 3 of \d+$/.test(s.getAttribute('aria-label') ?? ''),
            );
            if (section?.getAttribute('data-drawn') !== 'true') return null;
            const canvas = section.querySelector('canvas');
            const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
            let dark = 0;
            for (let i = 0; i < data.length; i += 4) if (data[i] < 128 && data[i + 3] > 0) dark += 1;
            const marked = [...section.querySelectorAll('.text-layer mark.passage')].map((m) => m.textContent).join(' ');
            return { width: canvas.width, dark, marked };
          }),
        'page 3 of the PDF was drawn',
        { timeout: 30_000, interval: 250 },
      );
      check(drawn.width > 100 && drawn.dark > 50, `page 3 has text drawn on it: ${JSON.stringify(drawn)}`);
      check(drawn.marked.includes('Marigold Lane'), `the passage is marked on page 3: ${JSON.stringify(drawn.marked)}`);
      await snap(browser, 'documents-viewer');
    },
  ],
  [
    'the app used the settings it was started with: fakes, data dir, keyring',
    async (browser) => {
      const retrieval = await requestsOf(env.retrievalURL);
      check(retrieval.some((r) => r.body?.query === QUESTION), 'the retrieval API was asked the question');
      const llm = await requestsOf(env.llmURL);
      const asked = llm.find((r) => JSON.stringify(r.body?.messages ?? '').includes(QUESTION));
      check(asked, 'the LLM was asked the question');
      check(asked.authorization === 'Bearer test-key', `the LLM got the key: ${asked.authorization}`);
      check(asked.body.model === 'test/model', `the LLM got the model: ${asked.body.model}`);
      check(JSON.stringify(asked.body.messages).includes(CHUNKS[0].text), 'the LLM got the passages');
      const errors = await browser.execute(() => window.__testErrors ?? []);
      check(errors.length === 0, `no uncaught errors in the page: ${errors.join('; ')}`);
      if (env.dataDir) {
        check(existsSync(path.join(env.dataDir, 'docent.sqlite3')), `the app keeps its database in DOCENT_DATA_DIR (${env.dataDir})`);
      }
      // With a keyring on the session bus, the shell stores the session token there; it logs a
      // warning whenever the keyring refuses.
      if (env.keyring && env.appLog) {
        const refusals = readFileSync(env.appLog, 'utf8')
          .split('\n')
          .filter((line) => /keyring/i.test(line) && /WARN|ERROR/.test(line));
        check(refusals.length === 0, `the OS keyring took the session:\n${refusals.join('\n')}`);
      }
    },
  ],
  [
    'restart: the session comes back from the keyring, with the conversation',
    async () => {
      await restartApp();
      if (!env.keyring) {
        // Without a keyring the session lasted for that run only.
        await hasText(browser, 'h1#login-title', 'Sign in', 'the login view after a restart without a keyring', 30_000);
        return;
      }
      await expectWorkspacesView(browser, 30_000);
      await hasText(browser, 'main', `Signed in as ${EMAIL}`, 'the workspaces view after a restart');
      await (await browser.$('ul[aria-label="Your workspaces"] li:first-child a.primary-link')).click();
      // The title is cut to the sidebar's width on screen, so its whole text is read from the page.
      await until(
        async () =>
          (await browser.execute(() =>
            [...document.querySelectorAll('aside[aria-label="Conversations"] .conversation-title')].map((title) => title.textContent),
          )).includes(QUESTION),
        'the conversation is listed after a restart',
      );
      await snap(browser, 'restart-signed-in');
    },
  ],
  [
    'restart: the folder is still kept in sync (a file added while the app was closed, and one after)',
    async () => {
      if (!env.keyring) return;
      await stopApp();
      copyFileSync(path.join(FIXTURES, 'latin1.txt'), path.join(FOLDER, 'latin1.txt'));
      browser = await startApp();
      await expectWorkspacesView(browser, 30_000);
      await (await browser.$('a[aria-label="Documents of Personal"]')).click();
      await hasText(browser, 'h1#documents-title', 'Documents of Personal', 'the Documents view after a restart');
      await hasText(browser, 'ul.folder-list', FOLDER, 'the folders kept in sync after a restart');
      await expectDocuments(browser, ['three-pages.pdf', 'handbook.md', 'handbook.html', 'latin1.txt'], 'a file added while the app was closed');
      copyFileSync(path.join(FIXTURES, 'notes.txt'), path.join(FOLDER, 'notes.txt'));
      await expectDocuments(
        browser,
        ['three-pages.pdf', 'handbook.md', 'handbook.html', 'latin1.txt', 'notes.txt'],
        'a file added after the restart',
      );
      await snap(browser, 'documents-after-restart');
    },
  ],
  [
    'log out, restart: the login view (the keyring entry is gone)',
    async () => {
      if (!env.keyring) return;
      await (await browser.$('//header//button[normalize-space()="Log out"]')).click();
      await hasText(browser, 'h1#login-title', 'Sign in', 'the login view after logging out');
      await restartApp();
      await hasText(browser, 'h1#login-title', 'Sign in', 'the login view after a restart', 30_000);
      await snap(browser, 'restart-signed-out');
    },
  ],
];

// --- The run -------------------------------------------------------------------------------------

const results = { passed: 0, failed: 0, skipped: 0, steps: [] };
const started = Date.now();
let browser;
let failure = null;

function record(name, outcome, ms, error) {
  results[outcome] += 1;
  results.steps.push({ name, outcome, ms, error: error ? String(error.message ?? error) : undefined });
  const mark = { passed: '\x1b[32m✓\x1b[0m', failed: '\x1b[31m✗\x1b[0m', skipped: '-' }[outcome];
  console.log(`  ${mark} ${name}${ms === undefined ? '' : ` (${(ms / 1000).toFixed(1)} s)`}`);
  if (error) console.log(`      ${String(error.stack ?? error).split('\n').join('\n      ')}`);
}

/** Starts the app through tauri-driver (a new WebDriver session) and returns its handle. */
async function startApp() {
  const t0 = Date.now();
  const started = await remote({
    hostname: '127.0.0.1',
    port: env.port,
    logLevel: 'warn',
    connectionRetryTimeout: 60_000,
    connectionRetryCount: 0,
    capabilities: {
      browserName: 'wry',
      'tauri:options': { application: env.application },
      // WebKitWebDriver speaks classic WebDriver only (no BiDi).
      'wdio:enforceWebDriverClassic': true,
    },
  });
  console.log(`  (the app started in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return started;
}

/** Ends the session (WebKitWebDriver closes the window, and the app exits); null when gone. */
async function stopApp() {
  await browser?.deleteSession().catch((error) => console.log(`  (could not end the session: ${error.message})`));
  browser = null;
}

/** Quits the app and starts it again, with the same data dir and keyring. */
async function restartApp() {
  await stopApp();
  browser = await startApp();
}

try {
  browser = await startApp();
} catch (error) {
  failure = error;
  record('start the app through tauri-driver', 'failed', undefined, error);
}

for (const [name, run] of steps) {
  if (failure) {
    record(name, 'skipped');
    continue;
  }
  const t = Date.now();
  try {
    await run(browser);
    record(name, 'passed', Date.now() - t);
  } catch (error) {
    failure = error;
    record(name, 'failed', Date.now() - t, error);
    try {
      await snap(browser, 'failure');
      writeFileSync(path.join(env.artifacts, 'failure.html'), await browser.getPageSource());
      console.log(`      (at ${await browser.getUrl()}; failure.png and failure.html saved)`);
    } catch (snapError) {
      console.log(`      (no failure screenshot: ${snapError.message})`);
    }
  }
}

await stopApp();
rmSync(FOLDER, { recursive: true, force: true });

results.seconds = (Date.now() - started) / 1000;
if (env.results) writeFileSync(env.results, JSON.stringify(results, null, 2));
console.log(
  `\n  ${results.passed} passed, ${results.failed} failed` +
    (results.skipped ? `, ${results.skipped} skipped` : '') +
    ` (${results.seconds.toFixed(1)} s)`,
);
process.exit(failure ? 1 : 0);
