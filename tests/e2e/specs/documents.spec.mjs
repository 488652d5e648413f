// Flow: a workspace's own documents. Register, open the Documents of Personal, upload a real
// PDF and a Word file (their progress bars, then "Ready"), search "parking permits" and open
// the passage found at its page in the PDF viewer (the page drawn by pdf.js, the passage
// highlighted in its text layer), open a Word passage (quoted, with the original to
// download), see an image refused in words, then ask in the chat and open the cited page.
// Then: search and the viewer on a second server that has no language model nor retrieval API.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  PASSWORD,
  expectNoPageErrors,
  expectSignedInHome,
  loginWithPassword,
  register,
  snap,
  uniqueEmail,
  watchPageErrors,
} from '../support/helpers.mjs';
import { expect, test } from '../support/server.mjs';

const FLOW = 'documents';
const here = path.dirname(fileURLToPath(import.meta.url));
const DATA = path.resolve(here, '../../data/documents');
const PDF = path.join(DATA, 'three-pages.pdf');
const DOCX = path.join(DATA, 'handbook.docx');
const PNG = path.join(DATA, 'image.png');
const PAGE_TWO = 'Parking permits are renewed every January.';

/** Records every progress bar the page shows (name and words), however briefly. */
async function recordProgressBars(page) {
  await page.evaluate(() => {
    const seen = [];
    window.__progressSeen = seen;
    const look = () => {
      for (const bar of document.querySelectorAll('progress')) {
        const state = `${bar.getAttribute('aria-label')} | ${bar.getAttribute('aria-valuetext')}`;
        if (!seen.includes(state)) seen.push(state);
      }
    };
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    look();
  });
}

/** The PDF viewer has drawn page `n` (canvas and text layer) with ink on it. */
async function expectPageDrawn(page, n) {
  const section = page.getByRole('region', { name: new RegExp(`^Page ${n} of \\d+$`) });
  await expect(section).toHaveAttribute('data-drawn', 'true', { timeout: 15_000 });
  const inked = await section.locator('canvas').evaluate((canvas) => {
    const context = canvas.getContext('2d');
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    let dark = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] < 128 && data[i + 3] > 0) dark += 1;
    return { width: canvas.width, height: canvas.height, dark };
  });
  expect(inked.width).toBeGreaterThan(100);
  expect(inked.dark, 'the page has text drawn on it').toBeGreaterThan(50);
  return section;
}

test('documents: upload, progress, ready, search, the PDF viewer at the page, citations', async ({ page }, testInfo) => {
  const errors = watchPageErrors(page);
  const csp = [];
  page.on('console', (message) => {
    if (/Content.Security.Policy|Refused to/i.test(message.text())) csp.push(message.text());
  });
  const email = uniqueEmail(FLOW);
  await register(page, email, PASSWORD);

  // The workspaces list links to each workspace's documents.
  await page.getByRole('link', { name: 'Documents of Personal' }).click();
  await expect(page).toHaveURL(/\/app\/w\/[A-Za-z0-9_-]+\/documents$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Documents of Personal' })).toBeVisible();
  await expect(page.getByText('No documents yet.')).toBeVisible();
  await snap(page, FLOW, 'empty');

  // Upload the PDF and the Word file through the file picker, slowly enough to watch.
  await recordProgressBars(page);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 150,
    downloadThroughput: -1,
    uploadThroughput: 24 * 1024,
  });
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Choose files…' }).click();
  await (await chooser).setFiles([PDF, DOCX]);

  const batch = page.getByRole('progressbar', { name: 'All files being added' });
  await expect(batch).toBeVisible();
  await expect(page.getByRole('progressbar', { name: 'Upload of handbook.docx' })).toBeVisible();
  await expect(page.getByText(/^Uploading: \d+% of 37 KB$/)).toBeVisible();
  await snap(page, FLOW, 'uploading');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: -1,
  });

  // Both are read in the background; the list is read again until they are ready.
  const documents = page.getByRole('list', { name: 'Documents' });
  const pdfItem = documents.getByRole('listitem').filter({ hasText: 'three-pages.pdf' });
  const docxItem = documents.getByRole('listitem').filter({ hasText: 'handbook.docx' });
  await expect(pdfItem).toContainText('Ready · 3 pages', { timeout: 30_000 });
  await expect(docxItem).toContainText('Ready · 2 pages', { timeout: 30_000 });
  await expect(batch).toHaveCount(0);
  await expect(page.getByRole('status').filter({ hasText: '2 files added and ready to search.' })).toBeVisible();
  const seen = await page.evaluate(() => window.__progressSeen);
  for (const name of ['All files being added', 'Upload of three-pages.pdf', 'Upload of handbook.docx']) {
    expect(
      seen.some((state) => state.startsWith(`${name} |`)),
      `a progress bar "${name}" showed; seen: ${JSON.stringify(seen)}`,
    ).toBe(true);
  }
  expect(seen.some((state) => /^All files being added \| Adding 2 files: /.test(state))).toBe(true);
  await snap(page, FLOW, 'ready');

  // Search: no language model involved. The passage found on page 2, its words marked.
  await page.getByLabel('Words to find in these documents').fill('parking permits');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const results = page.getByRole('list', { name: 'Search results' });
  const first = results.getByRole('listitem').first();
  await expect(first).toContainText('three-pages.pdf');
  await expect(first).toContainText('page 2');
  await expect(first.locator('mark').first()).toHaveText(/parking|permits/i);
  await expect(first).toContainText(PAGE_TWO);
  await snap(page, FLOW, 'search');

  // Open it: the PDF viewer, at page 2, the passage highlighted there.
  await first.getByRole('link').click();
  await expect(page).toHaveURL(/\/app\/d\/[A-Za-z0-9_-]+\?page=2&/);
  await expect(page.getByRole('heading', { level: 1, name: 'three-pages.pdf' })).toBeVisible();
  const pageTwo = await expectPageDrawn(page, 2);
  await expect(pageTwo).toBeInViewport();
  await expect(page.getByLabel('Page', { exact: true })).toHaveValue('2');
  const passage = pageTwo.locator('.text-layer mark.passage');
  await expect(passage.first()).toBeAttached();
  expect((await passage.allTextContents()).join(' ')).toContain('Parking permits are renewed every January');
  await expect(page.getByText('The passage is highlighted on page 2.')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Download the original' })).toHaveAttribute('href', /\/documents\/[^/]+\/file$/);
  // The text layer is real text: it can be found (and selected, copied) like any.
  await expect(pageTwo.locator('.text-layer')).toContainText('Bicycles are stored in the basement cage');
  await snap(page, FLOW, 'viewer-pdf');

  // Page navigation by keyboard: page 3, then back.
  await page.getByLabel('Page', { exact: true }).fill('3');
  await page.getByLabel('Page', { exact: true }).press('Enter');
  await expectPageDrawn(page, 3);

  // Back to the list: the search is still there. A Word passage opens quoted, with its original.
  await page.goBack();
  await expect(page.getByRole('heading', { level: 1, name: 'Documents of Personal' })).toBeVisible();
  await expect(page.getByLabel('Words to find in these documents')).toHaveValue('parking permits');
  await page.getByLabel('Words to find in these documents').fill('Voyagex portal');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const wordHit = results.getByRole('listitem').first();
  await expect(wordHit).toContainText('handbook.docx');
  await expect(wordHit).toContainText('page 2');
  await wordHit.getByRole('link').click();
  await expect(page.getByRole('heading', { level: 1, name: 'handbook.docx' })).toBeVisible();
  const quoted = page.getByRole('region', { name: /^Found: .*page 2$/ });
  await expect(quoted).toContainText('Train tickets must be booked through the Voyagex portal.');
  await expect(quoted.locator('mark').first()).toHaveText('Voyagex');
  await expect(page.getByRole('link', { name: 'Download the original' })).toBeVisible();
  await expect(page.getByText('This is a Word file')).toBeVisible();
  await snap(page, FLOW, 'viewer-docx');
  await page.goBack();

  // An image is not a document Docent reads: the server's sentence says so.
  await expect(page.getByRole('heading', { level: 1, name: 'Documents of Personal' })).toBeVisible();
  const imageChooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Choose files…' }).click();
  await (await imageChooser).setFiles([PNG]);
  const imageItem = documents.getByRole('listitem').filter({ hasText: 'image.png' });
  await expect(imageItem).toContainText('Not added');
  await expect(imageItem).toContainText('316 bytes');
  await expect(imageItem.getByRole('alert')).toContainText(/cannot read .*image\.png/);
  await snap(page, FLOW, 'unsupported');
  await imageItem.getByRole('button', { name: 'Dismiss image.png' }).click();
  await expect(imageItem).toHaveCount(0);

  // The chat of Personal answers from the PDF; its citation opens the viewer at page 2.
  await page.getByRole('navigation', { name: 'Breadcrumbs' }).getByRole('link', { name: 'Personal' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'New conversation' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Documents', exact: true })).toBeVisible();
  await page.getByRole('textbox', { name: 'Your question' }).fill('When are parking permits renewed?');
  await page.getByRole('button', { name: 'Send' }).click();
  const answer = page.getByRole('log', { name: 'Messages' }).getByRole('article', { name: 'Answer' });
  await expect(answer).toHaveAttribute('aria-busy', 'false', { timeout: 15_000 });
  await expect(answer).toContainText('Parking permits are renewed every January');
  const chip = answer.locator('.answer button[data-cite="1"]');
  await expect(chip).toHaveAccessibleName(/^Source 1: three-pages\.pdf/);
  await chip.click();
  const panel = answer.getByRole('complementary', { name: 'Source 1' });
  await expect(panel).toContainText('three-pages.pdf, page 2');
  await snap(page, FLOW, 'chat-citation');
  await panel.getByRole('link', { name: 'Open the document at page 2' }).click();
  await expect(page).toHaveURL(/\/app\/d\/[A-Za-z0-9_-]+\?page=2&/);
  const cited = await expectPageDrawn(page, 2);
  await expect(cited).toBeInViewport();
  expect((await cited.locator('.text-layer mark.passage').allTextContents()).join(' ')).toContain(
    'Parking permits are renewed every January',
  );
  await expect(page.getByRole('region', { name: /^Cited: .*page 2$/ })).toContainText(PAGE_TWO);
  await snap(page, FLOW, 'viewer-citation');

  // Delete the Word file, with a confirmation.
  await page.getByRole('navigation', { name: 'Breadcrumbs' }).getByRole('link', { name: 'Documents' }).click();
  await docxItem.getByRole('button', { name: 'Delete handbook.docx' }).click();
  await docxItem.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(docxItem).toHaveCount(0);
  await expect(page.getByText('“handbook.docx” deleted.')).toBeVisible();
  await expect(pdfItem).toContainText('Ready');
  await snap(page, FLOW, 'deleted');

  expect(csp, 'no content security policy violations').toEqual([]);
  expectNoPageErrors(errors, testInfo);
});

test('documents: search and the viewer work on a server with no language model and no retrieval API', async ({
  page,
  browser,
  launchServer,
}, testInfo) => {
  const errors = watchPageErrors(page);
  const email = uniqueEmail(`${FLOW}-nollm`);
  await register(page, email, PASSWORD);
  await page.getByRole('link', { name: 'Documents of Personal' }).click();
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Choose files…' }).click();
  await (await chooser).setFiles([PDF]);
  const documents = page.getByRole('list', { name: 'Documents' });
  await expect(documents.getByRole('listitem').filter({ hasText: 'three-pages.pdf' })).toContainText('Ready', {
    timeout: 30_000,
  });
  expectNoPageErrors(errors, testInfo);

  // The same data, served with no language model and no retrieval API set up at all.
  const server = await launchServer({
    name: `${FLOW}-nollm`,
    settings: { DOCENT_LLM_BASE_URL: null, DOCENT_LLM_API_KEY: null, DOCENT_RETRIEVAL_URL: null },
  });
  const context = await browser.newContext({ baseURL: server.url });
  try {
    const bare = await context.newPage();
    const bareErrors = watchPageErrors(bare);
    await bare.goto('/login');
    await loginWithPassword(bare, email, PASSWORD);
    await expectSignedInHome(bare);
    const status = await (await bare.request.get('/status')).json();
    expect(status.llm.configured, 'no language model is set up on this server').toBe(false);
    await bare.getByRole('link', { name: 'Documents of Personal' }).click();
    await bare.getByLabel('Words to find in these documents').fill('parking permits');
    await bare.getByRole('button', { name: 'Search', exact: true }).click();
    const first = bare.getByRole('list', { name: 'Search results' }).getByRole('listitem').first();
    await expect(first).toContainText('three-pages.pdf');
    await expect(first).toContainText('page 2');
    await snap(bare, FLOW, 'no-llm-search');
    await first.getByRole('link').click();
    const pageTwo = await expectPageDrawn(bare, 2);
    expect((await pageTwo.locator('.text-layer mark.passage').allTextContents()).join(' ')).toContain(
      'Parking permits are renewed every January',
    );
    await snap(bare, FLOW, 'no-llm-viewer');
    expectNoPageErrors(bareErrors, testInfo);
  } finally {
    await context.close();
  }
});
