// End-to-end test of the dashboard in headless Chromium, against a running mock.
//
//   MOCK_BASE_URL=http://127.0.0.1:8080 node tests/browser/dashboard.test.mjs
//
// It drives the page as a person would: imports through the upload form, watches the job
// cards move between lanes, opens a failures file, adds and removes a fault rule. Exports are
// created through the Bulk Extract API, as a client would, and their cards followed to their
// lanes and files. It saves a screenshot taken while a lead import is running (with exports on
// the page) and prints `1 passed, 0 failed` (or `0 passed, 1 failed`, with a non-zero exit
// status) as its last line. Then it adds a second instance, `demo-2`, imports into it as that
// instance, and follows the instance picker: each instance's cards and journal lines show
// only under it, tagged with its client id, and the URL names the instance shown.
//
// Environment: MOCK_BASE_URL (or the first argument), CHROMIUM_PATH (/usr/bin/chromium),
// SCREENSHOT_PATH (target/browser-test/dashboard.png; docs/dashboard.png, the one the docs
// show, only when named), INSTANCES_SCREENSHOT_PATH (optional: a screenshot of the page
// showing `demo-2`), TEST_TIMEOUT_MS (120000).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BASE_URL = (process.env.MOCK_BASE_URL || process.argv[2] || '').replace(/\/+$/, '');
const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SCREENSHOT_PATH =
  process.env.SCREENSHOT_PATH || path.join(ROOT, 'target', 'browser-test', 'dashboard.png');
const INSTANCES_SCREENSHOT_PATH = process.env.INSTANCES_SCREENSHOT_PATH || '';
const TEST_TIMEOUT_MS = Number(process.env.TEST_TIMEOUT_MS || 120000);
const STEP_TIMEOUT_MS = 20000;
/** Set once the test drops demo-2: a poll of it already under way may then answer 404. */
let demoDropped = false;
const SAMPLES = path.join(ROOT, 'fixtures', 'samples');

const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

function log(message) {
  console.log(`   ${message}`);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Chooses the import type and file in the upload form, fills the extra fields, submits,
 * and returns the batch id the page reports. */
async function importThroughForm(page, { type, file, fields = {} }) {
  await page.selectOption('#upload-type', type);
  for (const [selector, value] of Object.entries(fields)) {
    const tag = await page.$eval(selector, (node) => node.tagName);
    if (tag === 'SELECT') await page.selectOption(selector, value);
    else await page.fill(selector, value);
  }
  await page.setInputFiles('#upload-file', path.join(SAMPLES, file));
  await page.click('#upload-submit');
  const pattern = `Batch (\\d+) created from ${file.replace(/\./g, '\\.')}`;
  const handle = await page.waitForFunction(
    (source) => {
      const match = new RegExp(source).exec(document.querySelector('#upload-result').textContent);
      return match ? Number(match[1]) : null;
    },
    pattern,
    { timeout: STEP_TIMEOUT_MS },
  );
  const batchId = await handle.jsonValue();
  log(`${file}: batch ${batchId}`);
  return batchId;
}

function card(lane, batchId) {
  return `#lane-${lane} li[data-batch-id="${batchId}"]`;
}

function exportCard(lane, exportId) {
  return `#export-lane-${lane} li[data-export-id="${exportId}"]`;
}

/** A call to the mock from the test itself, as a Marketo client makes it: JSON back. A
 * `file` (a sample's name) is sent as a multipart upload. */
async function api(pathname, { method = 'GET', token, json, form, file } = {}) {
  const headers = {};
  let body;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = new URLSearchParams(form);
  } else if (file !== undefined) {
    body = new FormData();
    body.append('file', new Blob([fs.readFileSync(path.join(SAMPLES, file))], { type: 'text/csv' }), file);
  }
  const response = await fetch(`${BASE_URL}${pathname}`, { method, headers, body });
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${method} ${pathname}: HTTP ${response.status}, not JSON: ${text}`);
  }
}

/** An access token for the emulated API (a form POST keeps the secret out of the journal),
 * of the default instance unless another's credentials are given. */
async function accessToken(clientId = 'mock-client-id', clientSecret = 'mock-client-secret') {
  const data = await api('/identity/oauth/token', {
    method: 'POST',
    form: {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    },
  });
  check(data.access_token, `no access token: ${JSON.stringify(data)}`);
  return data.access_token;
}

/** Imports a sample lead file through the API with a token, and returns its batch id. */
async function importLeads(token, file) {
  const created = await api('/bulk/v1/leads.json?format=csv&lookupField=email', {
    method: 'POST',
    token,
    file,
  });
  const batchId = created.success && created.result && created.result[0]
    ? created.result[0].batchId : null;
  check(batchId, `POST /bulk/v1/leads.json: ${JSON.stringify(created)}`);
  return batchId;
}

/** The instance tags of every card in the lanes (import and export). */
async function laneTags(page) {
  return page.$$eval('.lane-list li', (nodes) => nodes.map((node) => {
    const tag = node.querySelector('.instance-tag');
    return tag ? tag.dataset.instance : null;
  }));
}

/** Waits until the lanes hold exactly these cards (`batch:N` or `export:ID`), each tagged
 * with the instance. */
async function waitForLanes(page, instance, expected) {
  try {
    await page.waitForFunction(
      ([id, wanted]) => {
        const nodes = [...document.querySelectorAll('.lane-list li')];
        const shown = nodes.map((node) => (node.dataset.batchId
          ? `batch:${node.dataset.batchId}` : `export:${node.dataset.exportId}`)).sort();
        const tagged = nodes.every((node) => {
          const tag = node.querySelector('.instance-tag');
          return tag && tag.dataset.instance === id && tag.textContent.includes(id);
        });
        return tagged && JSON.stringify(shown) === JSON.stringify([...wanted].sort());
      },
      [instance, expected],
      { timeout: STEP_TIMEOUT_MS },
    );
  } catch (error) {
    const cards = await page.$$eval('.lane-list li', (nodes) => nodes.map((node) => node.outerHTML));
    throw new Error(`the lanes do not show ${JSON.stringify(expected)} of ${instance}:\n${cards.join('\n')}\n${error.message}`);
  }
}

function instanceParam(page) {
  return new URL(page.url()).searchParams.get('instance');
}

/** Creates an export at a Bulk Extract base path (`/bulk/v1/leads/export`...), enqueues it
 * when asked, and returns its id. */
async function createExport(token, base, spec, { enqueue }) {
  const created = await api(`${base}/create.json`, { method: 'POST', token, json: spec });
  const exportId = created.success && created.result && created.result[0]
    ? created.result[0].exportId : null;
  check(exportId, `POST ${base}/create.json: ${JSON.stringify(created)}`);
  if (enqueue) {
    const queued = await api(`${base}/${exportId}/enqueue.json`, { method: 'POST', token });
    check(queued.success, `POST ${base}/${exportId}/enqueue.json: ${JSON.stringify(queued)}`);
  }
  log(`${base}: export ${exportId}${enqueue ? ', enqueued' : ''}`);
  return exportId;
}

async function counters(page, lane, batchId) {
  return page.$eval(card(lane, batchId), (node) => ({
    processed: Number(node.querySelector('.counter-processed dd').textContent),
    failed: Number(node.querySelector('.counter-failed dd').textContent),
    warned: Number(node.querySelector('.counter-warned dd').textContent),
  }));
}

async function setTimingThroughForm(page, { queueDelayMs, rowsPerSecond }) {
  await page.fill('#timing-delay', String(queueDelayMs));
  await page.fill('#timing-rate', String(rowsPerSecond));
  await page.click('#timing-form button[type="submit"]');
  await page.waitForFunction(
    ([delay, rate]) => {
      const text = document.querySelector('#timing-result').textContent;
      const rows = rate ? `${rate} rows/s` : 'unlimited rows/s';
      return text.includes(`${delay} ms in the queue`) && text.includes(rows);
    },
    [queueDelayMs, rowsPerSecond],
    { timeout: STEP_TIMEOUT_MS },
  );
}

async function dashboardTest(page) {
  log('GET / redirects to the dashboard');
  await page.goto(`${BASE_URL}/`);
  check(new URL(page.url()).pathname === '/_mock/ui', `/ led to ${page.url()}`);
  check((await page.title()) === 'Marketo Bulk Mock dashboard', `title: ${await page.title()}`);
  await page.waitForSelector('#connection.is-ok', { timeout: STEP_TIMEOUT_MS });
  await page.waitForFunction(
    () => /\d\d:\d\d:\d\d/.test(document.querySelector('#clock-now').textContent),
    null,
    { timeout: STEP_TIMEOUT_MS },
  );

  log('every form control has a label and every button a name');
  const unlabelled = await page.evaluate(() => [
    ...[...document.querySelectorAll('input, select, textarea')]
      .filter((control) => control.labels.length === 0)
      .map((control) => `control #${control.id}`),
    ...[...document.querySelectorAll('button')]
      .filter((button) => !(button.getAttribute('aria-label') || button.textContent.trim()))
      .map((button) => `button ${button.outerHTML}`),
  ]);
  check(unlabelled.length === 0, `unlabelled: ${unlabelled.join(', ')}`);

  const original = await page.evaluate(() => fetch('/_mock/timing').then((r) => r.json()));
  log(`timing at start: ${JSON.stringify(original)}`);

  log('a custom object import completes');
  const cars = await importThroughForm(page, {
    type: 'customObjects',
    file: 'cars.csv',
    fields: { '#upload-api-name': 'car_c' },
  });
  await page.waitForSelector(card('Complete', cars), { timeout: STEP_TIMEOUT_MS });

  log('leads-good.csv is imported into static list 2001, for an export to read');
  const listed = await importThroughForm(page, {
    type: 'leads',
    file: 'leads-good.csv',
    fields: { '#upload-lookup': 'email', '#upload-list': '2001' },
  });
  await page.waitForSelector(card('Complete', listed), { timeout: STEP_TIMEOUT_MS });
  // The later lead imports go to no list.
  await page.fill('#upload-list', '');

  log('a lead export created and enqueued through the API reaches the Completed lane');
  const token = await accessToken();
  const leadExport = await createExport(token, '/bulk/v1/leads/export', {
    fields: ['id', 'email'],
    filter: { staticListId: 2001 },
  }, { enqueue: true });
  const done = exportCard('Completed', leadExport);
  await page.waitForSelector(done, { timeout: STEP_TIMEOUT_MS });
  const exported = await api(`/_mock/jobs/${leadExport}`);
  check(exported.status === 'Completed' && exported.fileUrl, `export: ${JSON.stringify(exported)}`);
  // The card shows what the control plane says once the page has polled it.
  await page.waitForSelector(`${done} a[data-file="export"][href]`, { timeout: STEP_TIMEOUT_MS });
  const shown = await page.$eval(done, (node) => ({
    status: node.dataset.status,
    title: node.querySelector('.card-title').textContent,
    type: node.querySelector('.type-badge').textContent,
    target: node.querySelector('.card-target').textContent,
    records: node.querySelector('.counter-records dd').textContent,
    size: node.querySelector('.counter-size dd').textContent,
    href: node.querySelector('a[data-file="export"]').getAttribute('href'),
  }));
  check(
    shown.status === 'Completed' && shown.title === `Export ${leadExport.slice(0, 8)}` &&
      shown.type === 'Leads' && shown.target.includes('CSV') &&
      shown.target.includes('staticListId 2001') &&
      shown.records === String(exported.numberOfRecords) && shown.size === `${exported.fileSize} B`,
    `card of export ${leadExport}: ${JSON.stringify(shown)}, job: ${JSON.stringify(exported)}`,
  );
  check(shown.href === exported.fileUrl, `file link ${shown.href}, fileUrl ${exported.fileUrl}`);

  log('its file link opens the file in a new tab');
  const [tab] = await Promise.all([
    page.waitForEvent('popup', { timeout: STEP_TIMEOUT_MS }),
    page.click(`${done} a[data-file="export"]`),
  ]);
  await tab.waitForLoadState();
  check(new URL(tab.url()).pathname === exported.fileUrl, `the link opened ${tab.url()}`);
  const opened = (await tab.evaluate(() => document.body.innerText)).trim().split('\n');
  await tab.close();
  check(opened[0] === 'id,email', `export file header: ${opened[0]}`);
  check(
    opened.length - 1 === exported.numberOfRecords && exported.numberOfRecords >= 3,
    `export file of ${exported.numberOfRecords} records:\n${opened.join('\n')}`,
  );
  for (const email of ['alice.nguyen@example.com', 'bruno.schmidt@example.com', 'carla.rossi@example.com']) {
    check(opened.some((line) => line.endsWith(`,${email}`)), `export file lacks ${email}:\n${opened.join('\n')}`);
  }

  log('the same file shows in the page');
  await page.click(`${done} button[data-file="export-show"]`);
  await page.waitForSelector(`#file-content[data-export-id="${leadExport}"][data-file="export"]`, {
    timeout: STEP_TIMEOUT_MS,
  });
  const inPage = (await page.textContent('#file-content')).trim().split('\n');
  check(inPage.join('\n') === opened.join('\n'), `file in the page:\n${inPage.join('\n')}`);
  await page.click('#file-close');
  await page.waitForSelector('#file-panel', { state: 'hidden', timeout: STEP_TIMEOUT_MS });

  log('a custom object export created but not enqueued waits in the Created or queued lane');
  const clock = await api('/_mock/clock');
  const now = Date.parse(clock.now);
  const carExport = await createExport(token, '/bulk/v1/customobjects/car_c/export', {
    fields: ['vin', 'model'],
    format: 'TSV',
    filter: {
      updatedAt: {
        startAt: new Date(now - 86400000).toISOString().replace(/\.\d+Z$/, 'Z'),
        endAt: new Date(now + 86400000).toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    },
  }, { enqueue: false });
  await page.waitForSelector(`${exportCard('Queued', carExport)}[data-status="Created"]`, {
    timeout: STEP_TIMEOUT_MS,
  });
  const waiting = await page.$eval(exportCard('Queued', carExport), (node) => ({
    type: node.querySelector('.type-badge').textContent,
    target: node.querySelector('.card-target').textContent,
    linked: !node.querySelector('.card-actions').hidden,
  }));
  check(
    waiting.type === 'Custom object' && waiting.target.startsWith('car_c · TSV') && !waiting.linked,
    `card of export ${carExport}: ${JSON.stringify(waiting)}`,
  );

  log('a job fault fails the next custom object import');
  const fault = await page.evaluate(() => fetch('/_mock/faults', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      job: { type: 'customObjects', failWith: 'Import failed: internal error' },
      times: 1,
    }),
  }).then((r) => r.status));
  check(fault === 201, `adding the job fault answered ${fault}`);
  const subscriptions = await importThroughForm(page, {
    type: 'customObjects',
    file: 'subscriptions.csv',
    fields: { '#upload-api-name': 'subscription_c' },
  });
  await page.waitForSelector(card('Failed', subscriptions), { timeout: STEP_TIMEOUT_MS });

  log('a request fault rule is added through the form');
  await page.selectOption('#fault-method', 'GET');
  await page.fill('#fault-path', '/rest/v1/leads/*');
  await page.selectOption('#fault-effect', 'code');
  await page.fill('#fault-value', '606');
  await page.fill('#fault-times', '2');
  await page.click('#fault-form button[type="submit"]');
  await page.waitForSelector('#fault-list li[data-fault-id]:has-text("/rest/v1/leads/*")', {
    timeout: STEP_TIMEOUT_MS,
  });

  log('jobs are slowed to 2 rows a second through the timing form');
  await setTimingThroughForm(page, { queueDelayMs: 0, rowsPerSecond: 2 });

  log('leads-mixed.csv is uploaded through the form and imports');
  const leads = await importThroughForm(page, {
    type: 'leads',
    file: 'leads-mixed.csv',
    fields: { '#upload-lookup': 'email' },
  });
  await importThroughForm(page, {
    type: 'programMembers',
    file: 'program-members.csv',
    fields: { '#upload-program': '1001', '#upload-status': 'On List' },
  });
  await importThroughForm(page, { type: 'leads', file: 'leads-good.csv' });

  await page.waitForSelector(card('Importing', leads), { timeout: STEP_TIMEOUT_MS });
  await page.waitForSelector(`${card('Importing', leads)} .progress[role="progressbar"]`, {
    state: 'visible',
    timeout: STEP_TIMEOUT_MS,
  });
  // Two of its seven rows handled: the bar is part-way when the screenshot is taken.
  await page.waitForFunction(
    (selector) => {
      const bar = document.querySelector(`${selector} .progress`);
      return bar && Number(bar.getAttribute('aria-valuenow')) >= 2;
    },
    card('Importing', leads),
    { timeout: STEP_TIMEOUT_MS },
  );
  // The page as it first appears: top of the page, no focus ring from the last click; taller
  // than the window when the export lanes end below it, so that both sets of lanes show.
  const lanesBottom = await page.evaluate(() => {
    document.activeElement.blur();
    window.scrollTo(0, 0);
    const panel = document.querySelector('#export-lanes-heading').closest('section');
    return Math.ceil(panel.getBoundingClientRect().bottom + 20);
  });
  const viewport = page.viewportSize();
  fs.mkdirSync(path.dirname(SCREENSHOT_PATH), { recursive: true });
  await page.screenshot({
    path: SCREENSHOT_PATH,
    fullPage: true,
    clip: { x: 0, y: 0, width: viewport.width, height: Math.max(viewport.height, lanesBottom) },
  });
  log(`screenshot saved to ${path.relative(process.cwd(), SCREENSHOT_PATH) || SCREENSHOT_PATH}`);

  log('the lead job reaches the Complete lane');
  await page.waitForSelector(card('Complete', leads), { timeout: STEP_TIMEOUT_MS });
  const counted = await counters(page, 'Complete', leads);
  check(
    counted.processed === 4 && counted.failed === 3 && counted.warned === 2,
    `counters of batch ${leads}: ${JSON.stringify(counted)}`,
  );

  log('timing is set back through the form');
  await setTimingThroughForm(page, original);

  log('its failures file opens in the page');
  await page.click(`${card('Complete', leads)} button[data-file="failures"]`);
  await page.waitForSelector(`#file-content[data-batch-id="${leads}"][data-file="failures"]`, {
    timeout: STEP_TIMEOUT_MS,
  });
  const failures = await page.textContent('#file-content');
  check(failures.includes('Import Failure Reason'), `failures file:\n${failures}`);
  check(
    failures.includes('Invalid data type in field Lead Score'),
    `failures file lacks a reason:\n${failures}`,
  );
  const download = await page.getAttribute('#file-download', 'href');
  check(download && download.startsWith('blob:'), `download link: ${download}`);

  log('the journal shows the upload, newest first');
  await page.waitForSelector('#journal-rows tr:has-text("/bulk/v1/leads.json")', {
    timeout: STEP_TIMEOUT_MS,
  });

  log('the journal shows the export calls with their export');
  await page.waitForSelector(
    `#journal-rows tr:has-text("/bulk/v1/leads/export/${leadExport}/enqueue.json")` +
      ` td.col-job:has-text("${leadExport.slice(0, 8)}")`,
    { timeout: STEP_TIMEOUT_MS },
  );

  log('the export cancelled through the API moves to the Failed or cancelled lane');
  const cancelled = await api(`/bulk/v1/customobjects/car_c/export/${carExport}/cancel.json`, {
    method: 'POST',
    token,
  });
  check(cancelled.success, `cancelling export ${carExport}: ${JSON.stringify(cancelled)}`);
  await page.waitForSelector(`${exportCard('Failed', carExport)}[data-status="Cancelled"]`, {
    timeout: STEP_TIMEOUT_MS,
  });
  const why = await page.textContent(`${exportCard('Failed', carExport)} .card-message`);
  check(why === 'Cancelled before it was enqueued', `cancelled card says: ${why}`);

  log('the fault rule is removed with its button');
  await page.click('#fault-list button[data-fault-id]');
  await page.waitForSelector('#faults-empty', { state: 'visible', timeout: STEP_TIMEOUT_MS });

  log('the clock freezes and advances from the top bar');
  await page.click('#clock-freeze');
  await page.waitForSelector('#clock-mode.pill-frozen', { timeout: STEP_TIMEOUT_MS });
  const before = await page.evaluate(() => fetch('/_mock/clock').then((r) => r.json()));
  await page.click('button[data-advance="60000"]');
  await page.waitForFunction(
    (then) => fetch('/_mock/clock').then((r) => r.json())
      .then((clock) => Date.parse(clock.now) - Date.parse(then) >= 60000),
    before.now,
    { timeout: STEP_TIMEOUT_MS },
  );
  await page.click('#clock-run');
  await page.waitForSelector('#clock-mode.pill-running', { timeout: STEP_TIMEOUT_MS });

  log('reset asks first (this instance only: there is no other), then empties every lane');
  await page.click('#reset');
  await page.waitForSelector('#reset-dialog[open]', { timeout: STEP_TIMEOUT_MS });
  check(
    await page.isHidden('#reset-all'),
    'the reset dialog offers to reset every instance when there is only one',
  );
  await page.click('#reset-this');
  await page.waitForSelector('#notice:has-text("The mock was reset: instance mock-client-id")', {
    timeout: STEP_TIMEOUT_MS,
  });
  await page.waitForFunction(
    () => document.querySelectorAll('.lane-list li').length === 0,
    null,
    { timeout: STEP_TIMEOUT_MS },
  );
  const jobs = await page.evaluate(() => fetch('/_mock/jobs').then((r) => r.json()));
  check(jobs.jobs.length === 0, `jobs after the reset: ${JSON.stringify(jobs)}`);

  await instancesTest(page);
}

/** A second instance: its jobs show under its name in the picker, and only there. */
async function instancesTest(page) {
  log('the picker shows the default instance, and the URL names none');
  await page.waitForFunction(
    () => document.querySelector('#instance-picker').value === 'mock-client-id',
    null,
    { timeout: STEP_TIMEOUT_MS },
  );
  check(instanceParam(page) === null, `URL before any choice: ${page.url()}`);

  log('a lead file is imported into the default instance through the API');
  const defaultBatch = await importLeads(await accessToken(), 'leads-good.csv');
  await waitForLanes(page, 'mock-client-id', [`batch:${defaultBatch}`]);

  log('a second instance, demo-2, is added through POST /_mock/instances');
  const made = await fetch(`${BASE_URL}/_mock/instances`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ clientId: 'demo-2', clientSecret: 's2' }),
  });
  check(made.status === 201, `POST /_mock/instances answered ${made.status}: ${await made.text()}`);

  log('a lead file is imported as demo-2, with its own token');
  const demoToken = await accessToken('demo-2', 's2');
  const demoBatch = await importLeads(demoToken, 'leads-good.csv');
  log(`demo-2: batch ${demoBatch}; the default instance: batch ${defaultBatch}`);
  await page.waitForSelector('#instance-picker option[value="demo-2"]', {
    state: 'attached',
    timeout: STEP_TIMEOUT_MS,
  });
  // The default instance's lanes are untouched by demo-2's import.
  await waitForLanes(page, 'mock-client-id', [`batch:${defaultBatch}`]);

  log('picking demo-2 shows its card only, tagged demo-2, and names it in the URL');
  await page.selectOption('#instance-picker', 'demo-2');
  check(instanceParam(page) === 'demo-2', `URL after picking demo-2: ${page.url()}`);
  await waitForLanes(page, 'demo-2', [`batch:${demoBatch}`]);
  await page.waitForSelector(`${card('Complete', demoBatch)} .instance-tag[data-instance="demo-2"]`, {
    timeout: STEP_TIMEOUT_MS,
  });
  const tags = await laneTags(page);
  check(!tags.includes('mock-client-id'), `a default instance's card shows under demo-2: ${tags}`);

  log('the header shows demo-2\'s counts from the instances listing');
  await page.waitForFunction(
    () => /\b3 leads\b/.test(document.querySelector('#instance-counts').textContent) &&
      /\b1 token\b/.test(document.querySelector('#instance-counts').textContent),
    null,
    { timeout: STEP_TIMEOUT_MS },
  );

  log('the journal shows demo-2\'s calls, each tagged demo-2');
  await page.waitForSelector('#journal-rows tr:has-text("/bulk/v1/leads.json") .instance-tag[data-instance="demo-2"]', {
    timeout: STEP_TIMEOUT_MS,
  });
  const journalTags = await page.$$eval('#journal-rows tr', (rows) => rows.map((row) => {
    const tag = row.querySelector('.instance-tag');
    return tag ? tag.dataset.instance : null;
  }));
  check(
    journalTags.length > 0 && journalTags.every((tag) => tag === 'demo-2'),
    `journal tags under demo-2: ${JSON.stringify(journalTags)}`,
  );

  log('the credentials follow the instance: demo-2\'s client id, its secret typed once');
  check(await page.inputValue('#client-id') === 'demo-2', `client id: ${await page.inputValue('#client-id')}`);
  check(await page.inputValue('#client-secret') === '', 'the secret of demo-2 was prefilled');
  await page.fill('#client-secret', 's2');
  const formBatch = await importThroughForm(page, { type: 'leads', file: 'leads-good.csv' });
  await waitForLanes(page, 'demo-2', [`batch:${demoBatch}`, `batch:${formBatch}`]);
  const demoJobs = await api('/_mock/instances/demo-2/jobs');
  check(
    demoJobs.jobs.some((job) => job.batchId === formBatch) && demoJobs.jobs.length === 2,
    `demo-2's jobs: ${JSON.stringify(demoJobs)}`,
  );
  const defaultJobs = await api('/_mock/jobs');
  check(defaultJobs.jobs.length === 1, `the default instance's jobs: ${JSON.stringify(defaultJobs)}`);

  log('an export of demo-2 links to its file under demo-2\'s routes');
  const demoClock = await api('/_mock/instances/demo-2/clock');
  const demoNow = Date.parse(demoClock.now);
  const demoExport = await createExport(demoToken, '/bulk/v1/leads/export', {
    fields: ['id', 'email'],
    filter: {
      createdAt: {
        startAt: new Date(demoNow - 86400000).toISOString().replace(/\.\d+Z$/, 'Z'),
        endAt: new Date(demoNow + 86400000).toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    },
  }, { enqueue: true });
  const demoDone = exportCard('Completed', demoExport);
  await page.waitForSelector(`${demoDone} .instance-tag[data-instance="demo-2"]`, {
    timeout: STEP_TIMEOUT_MS,
  });
  await page.waitForSelector(`${demoDone} a[data-file="export"][href]`, { timeout: STEP_TIMEOUT_MS });
  const demoHref = await page.getAttribute(`${demoDone} a[data-file="export"]`, 'href');
  check(
    demoHref === `/_mock/instances/demo-2/jobs/${demoExport}/file`,
    `demo-2's export links to ${demoHref}`,
  );
  const demoFile = await page.evaluate(
    (href) => fetch(href).then(async (r) => ({ status: r.status, text: await r.text() })),
    demoHref,
  );
  check(
    demoFile.status === 200 && demoFile.text.startsWith('id,email') &&
      demoFile.text.includes('alice.nguyen@example.com'),
    `demo-2's export file: ${JSON.stringify(demoFile)}`,
  );
  await waitForLanes(page, 'demo-2', [`batch:${demoBatch}`, `batch:${formBatch}`, `export:${demoExport}`]);

  if (INSTANCES_SCREENSHOT_PATH) {
    await page.evaluate(() => {
      document.activeElement.blur();
      window.scrollTo(0, 0);
    });
    fs.mkdirSync(path.dirname(INSTANCES_SCREENSHOT_PATH), { recursive: true });
    await page.screenshot({ path: INSTANCES_SCREENSHOT_PATH, fullPage: true });
    log(`screenshot of demo-2 saved to ${INSTANCES_SCREENSHOT_PATH}`);
  }

  log('switching back shows the default instance\'s card again, and the URL names none');
  await page.selectOption('#instance-picker', 'mock-client-id');
  check(instanceParam(page) === null, `URL after picking the default: ${page.url()}`);
  await waitForLanes(page, 'mock-client-id', [`batch:${defaultBatch}`]);
  await page.waitForSelector('#journal-rows .instance-tag[data-instance="mock-client-id"]', {
    timeout: STEP_TIMEOUT_MS,
  });
  check(
    await page.inputValue('#client-id') === 'mock-client-id' &&
      await page.inputValue('#client-secret') === 'mock-client-secret',
    'the default instance\'s credentials did not come back',
  );

  log('a link with ?instance=demo-2 opens on demo-2');
  await page.goto(`${BASE_URL}/_mock/ui?instance=demo-2`);
  await page.waitForSelector('#connection.is-ok', { timeout: STEP_TIMEOUT_MS });
  await waitForLanes(page, 'demo-2', [`batch:${demoBatch}`, `batch:${formBatch}`, `export:${demoExport}`]);
  check(await page.inputValue('#instance-picker') === 'demo-2', 'the picker does not show demo-2');
  check((await page.title()).startsWith('demo-2'), `title under demo-2: ${await page.title()}`);

  log('reset offers this instance or every one; demo-2 alone is reset');
  await page.click('#reset');
  await page.waitForSelector('#reset-dialog[open] #reset-all:visible', { timeout: STEP_TIMEOUT_MS });
  check(
    (await page.textContent('#reset-this')).includes('demo-2'),
    `the reset button says ${await page.textContent('#reset-this')}`,
  );
  await page.click('#reset-this');
  await page.waitForSelector('#notice:has-text("The mock was reset: instance demo-2")', {
    timeout: STEP_TIMEOUT_MS,
  });
  await waitForLanes(page, 'demo-2', []);
  const keptJobs = await api('/_mock/jobs');
  check(keptJobs.jobs.length === 1, `the default instance's jobs after demo-2's reset: ${JSON.stringify(keptJobs)}`);

  log('when demo-2 is dropped, the page goes back to the default instance');
  demoDropped = true;
  const dropped = await fetch(`${BASE_URL}/_mock/instances/demo-2`, { method: 'DELETE' });
  check(dropped.status === 204, `DELETE /_mock/instances/demo-2 answered ${dropped.status}`);
  await page.waitForSelector('#notice:has-text("is gone")', { timeout: STEP_TIMEOUT_MS });
  await waitForLanes(page, 'mock-client-id', [`batch:${defaultBatch}`]);
  check(instanceParam(page) === null, `URL after demo-2 was dropped: ${page.url()}`);
  check(
    !(await page.$('#instance-picker option[value="demo-2"]')),
    'the picker still lists demo-2',
  );
}

async function main() {
  if (!BASE_URL) throw new Error('set MOCK_BASE_URL (or pass the base URL) to the running mock');
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: LAUNCH_ARGS });
  const problems = [];
  try {
    const context = await browser.newContext({
      viewport: { width: 1440, height: 1000 },
      deviceScaleFactor: 1,
    });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      if (demoDropped && message.location().url.includes('/_mock/instances/demo-2/')) return;
      problems.push(`console error: ${message.text()}`);
    });
    let timer;
    const watchdog = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${TEST_TIMEOUT_MS} ms`)), TEST_TIMEOUT_MS);
    });
    try {
      await Promise.race([dashboardTest(page), watchdog]);
    } finally {
      clearTimeout(timer);
    }
    check(problems.length === 0, `the page reported problems:\n${problems.join('\n')}`);
  } finally {
    await browser.close();
  }
}

const name = 'the dashboard imports a file, follows the job to Complete and shows its failures,' +
  ' and links to a completed export\'s file';
try {
  await main();
  console.log(`ok - ${name}`);
  console.log('1 passed, 0 failed');
} catch (error) {
  console.log(`not ok - ${name}`);
  console.error(error && error.stack ? error.stack : error);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
}
