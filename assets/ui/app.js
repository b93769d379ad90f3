// The dashboard: polls the control plane and renders import and export jobs, the clock, fault
// rules and the request journal; drives imports through the emulated API with a Bearer token.
// It shows one instance at a time, chosen in the top bar and named in the URL (`?instance=`):
// every control call goes to that instance's routes and every import uses its client id.
'use strict';

(() => {
  const POLL_MS = 500;
  /** While the tab is hidden nobody watches: poll slowly. */
  const HIDDEN_POLL_MS = 3000;
  const JOURNAL_ROWS = 50;
  const LANES = ['Queued', 'Importing', 'Complete', 'Failed'];
  const TYPE_LABELS = {
    leads: 'Leads',
    customObjects: 'Custom object',
    programMembers: 'Program members',
  };
  /** Export lanes, and the lane of each export status: Created and Queued wait, Failed and
   * Cancelled ended without a file. */
  const EXPORT_LANES = ['Queued', 'Processing', 'Completed', 'Failed'];
  const EXPORT_LANE_OF = {
    Created: 'Queued',
    Queued: 'Queued',
    Processing: 'Processing',
    Completed: 'Completed',
    Failed: 'Failed',
    Cancelled: 'Failed',
  };
  const EXPORT_TYPE_LABELS = {
    leadsExport: 'Leads',
    programMembersExport: 'Program members',
    customObjectsExport: 'Custom object',
  };

  const $ = (id) => document.getElementById(id);
  const TITLE = document.title;

  // ---------------------------------------------------------------------------------------
  // Small helpers

  /** Creates an element with a class name and text. */
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function setText(node, text) {
    const value = text === undefined || text === null ? '' : String(text);
    if (node.textContent !== value) node.textContent = value;
  }

  function pad(n, width = 2) {
    return String(n).padStart(width, '0');
  }

  /** A timestamp as local wall-clock time, `HH:MM:SS`, with milliseconds when asked. */
  function clockTime(iso, withMillis = false) {
    if (!iso) return '';
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso;
    const base = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
    return withMillis ? `${base}.${pad(date.getMilliseconds(), 3)}` : base;
  }

  /** The time between two timestamps, in words a person reads at a glance. */
  function duration(fromIso, toIso) {
    if (!fromIso || !toIso) return '';
    const ms = new Date(toIso).getTime() - new Date(fromIso).getTime();
    if (!Number.isFinite(ms) || ms < 0) return '';
    if (ms < 1000) return `${ms} ms`;
    if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
    const minutes = Math.floor(ms / 60000);
    return `${minutes} min ${Math.round((ms % 60000) / 1000)} s`;
  }

  function plural(n, one, many) {
    return `${n} ${n === 1 ? one : many}`;
  }

  /** A byte count as a person reads it: `90 B`, `12.3 KB`, `4.5 MB` (1 KB = 1024 B). */
  function byteSize(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  }

  /** An export id as cards and the journal show it: its first eight hex digits. */
  function shortId(exportId) {
    return String(exportId).slice(0, 8);
  }

  function isExport(job) {
    return typeof job.exportId === 'string';
  }

  let noticeTimer = null;
  /** Shows a message above the page; errors stay until the next notice. */
  function notify(message, kind = 'error') {
    const notice = $('notice');
    notice.textContent = message;
    notice.className = `notice notice-${kind}`;
    notice.hidden = false;
    clearTimeout(noticeTimer);
    if (kind !== 'error') noticeTimer = setTimeout(() => { notice.hidden = true; }, 4000);
  }

  function showResult(node, message, ok) {
    node.textContent = message;
    node.classList.toggle('is-error', !ok);
    node.classList.toggle('is-ok', ok);
  }

  // ---------------------------------------------------------------------------------------
  // The chosen instance

  /** The instance the page shows, `{id, isDefault}`: null until the first listing. */
  let instance = null;
  /** The client id the URL asks for (`?instance=`), or null for the default instance. */
  let wanted = new URLSearchParams(window.location.search).get('instance') || null;
  let defaultId = null;
  /** Every instance, as the last listing gave them. */
  let instanceList = [];
  /** Bumped on every switch: an answer asked for before a switch is not shown after it. */
  let epoch = 0;
  /** The client secret typed for each instance. */
  const secrets = new Map();

  /** A control route for the chosen instance: `/_mock/X` itself for the default instance,
   * else `/_mock/instances/{clientId}/X`. The instances routes are the server's own. */
  function scoped(path) {
    if (!instance || instance.isDefault || !path.startsWith('/_mock/')
      || path.startsWith('/_mock/instances')) return path;
    return `/_mock/instances/${encodeURIComponent(instance.id)}/${path.slice('/_mock/'.length)}`;
  }

  /** A small tag naming the instance a card or journal line belongs to. */
  function instanceTag(id) {
    const tag = el('span', 'instance-tag');
    tag.dataset.instance = id;
    tag.title = `Instance ${id}`;
    tag.append(el('span', 'visually-hidden', 'Instance '), id);
    return tag;
  }

  // ---------------------------------------------------------------------------------------
  // Talking to the server

  /** A control-plane call, to the chosen instance's route unless `ofInstance` is false: JSON
   * in, JSON out, `{"error": ...}` thrown as an Error. */
  async function control(method, path, body, ofInstance = true) {
    const init = { method, headers: {} };
    const adminToken = $('admin-token').value.trim();
    if (adminToken) init.headers['X-Admin-Token'] = adminToken;
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(ofInstance ? scoped(path) : path, init);
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      throw new Error((data && data.error) || `HTTP ${response.status}`);
    }
    return data;
  }

  const auth = { token: null, expiresAt: 0, clientId: null };

  function forgetToken() {
    auth.token = null;
    auth.expiresAt = 0;
    auth.clientId = null;
  }

  /** An access token for the emulated API, from the credentials in the settings form: the
   * chosen instance's client id and the secret typed for it. */
  async function accessToken(force = false) {
    const clientId = $('client-id').value.trim();
    if (!force && auth.token && auth.clientId === clientId && Date.now() < auth.expiresAt - 5000) {
      return auth.token;
    }
    const secret = $('client-secret').value;
    if (!secret) {
      const reason = `type the client secret of ${clientId} under Settings`;
      showResult($('token-result'), `No token: ${reason}`, false);
      throw new Error(`No access token: ${reason}`);
    }
    // A form POST keeps the secret out of the query string, and so out of the journal.
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
    });
    const response = await fetch('/identity/oauth/token', { method: 'POST', body });
    const data = await response.json().catch(() => ({}));
    if (!response.ok || !data.access_token) {
      forgetToken();
      const reason = data.error_description || data.error || `HTTP ${response.status}`;
      showResult($('token-result'), `No token: ${reason}`, false);
      throw new Error(`No access token: ${reason}`);
    }
    if ($('client-id').value.trim() !== clientId) throw new Error('The instance changed');
    auth.token = data.access_token;
    auth.expiresAt = Date.now() + Number(data.expires_in || 0) * 1000;
    auth.clientId = clientId;
    showResult($('token-result'), `Token issued to ${clientId}, valid for ${data.expires_in} s`, true);
    return auth.token;
  }

  /** A Marketo error from an envelope, or null. */
  function envelopeError(data) {
    if (data && data.success === false && Array.isArray(data.errors) && data.errors.length) {
      return data.errors[0];
    }
    return null;
  }

  /** A call to the emulated API with the Bearer token; a refused token is renewed once. */
  async function marketo(path, init = {}, retry = true) {
    const token = await accessToken();
    const headers = new Headers(init.headers || {});
    headers.set('Authorization', `Bearer ${token}`);
    const response = await fetch(path, { ...init, headers });
    const type = response.headers.get('content-type') || '';
    if (retry && type.includes('json')) {
      const error = envelopeError(await response.clone().json().catch(() => null));
      if (error && ['601', '602'].includes(error.code)) {
        forgetToken();
        return marketo(path, init, false);
      }
    }
    return response;
  }

  // ---------------------------------------------------------------------------------------
  // Jobs

  /** Rows in files uploaded from this page, so their progress can be a fraction. */
  const uploadedRows = new Map();
  const cards = new Map();

  /** Data rows in an upload: non-blank records after the header (CSV quotes respected). */
  function countRows(text, format) {
    let records = 0;
    let inQuotes = false;
    let content = false;
    for (let i = 0; i < text.length; i += 1) {
      const c = text[i];
      if (format === 'csv' && c === '"') inQuotes = !inQuotes;
      if (c === '\n' && !inQuotes) {
        if (content) records += 1;
        content = false;
      } else if (c !== '\r' && c !== ' ' && c !== '\t' && c !== '\uFEFF') {
        content = true;
      }
    }
    if (content) records += 1;
    return Math.max(0, records - 1);
  }

  function targetText(job) {
    const p = job.params || {};
    const parts = [];
    if (job.type === 'customObjects' && p.objectApiName) parts.push(p.objectApiName);
    if (job.type === 'programMembers') {
      if (p.programId !== undefined && p.programId !== null) parts.push(`program ${p.programId}`);
      if (p.programMemberStatus) parts.push(`“${p.programMemberStatus}”`);
    }
    if (job.type === 'leads') {
      if (p.lookupField) parts.push(`lookup ${p.lookupField}`);
      if (p.listId !== undefined && p.listId !== null) parts.push(`list ${p.listId}`);
      if (p.partitionName) parts.push(`partition ${p.partitionName}`);
    }
    if (p.format) parts.push(String(p.format).toUpperCase());
    return parts.join(' · ');
  }

  /** The route of a job's failures or warnings file. */
  function resultFilePath(job, kind) {
    const id = encodeURIComponent(job.batchId);
    switch (job.type) {
      case 'customObjects': {
        const apiName = encodeURIComponent((job.params && job.params.objectApiName) || '');
        return `/bulk/v1/customobjects/${apiName}/import/${id}/${kind}.json`;
      }
      case 'programMembers':
        return `/bulk/v1/program/members/import/${id}/${kind}.json`;
      default:
        return `/bulk/v1/leads/batch/${id}/${kind}.json`;
    }
  }

  function counter(label, className) {
    const wrap = el('div', `counter ${className}`);
    const dt = el('dt', null, label);
    const dd = el('dd', null, '0');
    wrap.append(dt, dd);
    return { wrap, value: dd };
  }

  function timeItem(label) {
    const wrap = el('div', 'time-item');
    const dt = el('dt', null, label);
    const dd = el('dd');
    const time = el('time');
    dd.append(time);
    wrap.append(dt, dd);
    return { wrap, time };
  }

  function createCard(batchId) {
    const li = el('li', 'card');
    li.dataset.batchId = String(batchId);
    const titleId = `job-${batchId}-title`;
    li.setAttribute('aria-labelledby', titleId);

    const head = el('div', 'card-head');
    const title = el('h4', 'card-title', `Batch ${batchId}`);
    title.id = titleId;
    const type = el('span', 'type-badge');
    const tags = el('div', 'card-tags');
    tags.append(instanceTag(instance.id), type);
    head.append(title, tags);

    const target = el('p', 'card-target');

    const progress = el('div', 'progress');
    progress.setAttribute('role', 'progressbar');
    progress.setAttribute('aria-label', `Batch ${batchId} progress`);
    const bar = el('div', 'progress-bar');
    progress.append(bar);
    const progressText = el('p', 'progress-text');

    const counters = el('dl', 'counters');
    const processed = counter('Processed', 'counter-processed');
    const failed = counter('Failed', 'counter-failed');
    const warned = counter('Warnings', 'counter-warned');
    counters.append(processed.wrap, failed.wrap, warned.wrap);

    const message = el('p', 'card-message');

    const times = el('dl', 'times');
    const queued = timeItem('Queued');
    const started = timeItem('Started');
    const finished = timeItem('Finished');
    times.append(queued.wrap, started.wrap, finished.wrap);

    const actions = el('div', 'card-actions');
    const failuresButton = el('button', 'btn btn-small btn-link');
    failuresButton.type = 'button';
    failuresButton.dataset.file = 'failures';
    const warningsButton = el('button', 'btn btn-small btn-link');
    warningsButton.type = 'button';
    warningsButton.dataset.file = 'warnings';
    actions.append(failuresButton, warningsButton);

    li.append(head, target, progress, progressText, counters, message, times, actions);
    const card = {
      li,
      job: null,
      refs: {
        type, target, progress, bar, progressText, message, actions,
        processed: processed.value, failed: failed.value, warned: warned.value,
        processedWrap: processed.wrap, failedWrap: failed.wrap, warnedWrap: warned.wrap,
        queued: queued.time, started: started.time, finished: finished.time,
        startedWrap: started.wrap, finishedWrap: finished.wrap,
        failuresButton, warningsButton,
      },
    };
    failuresButton.addEventListener('click', () => showResultFile(card.job, 'failures'));
    warningsButton.addEventListener('click', () => showResultFile(card.job, 'warnings'));
    return card;
  }

  function updateCard(card, job) {
    const { refs } = card;
    const previous = card.job;
    card.job = job;
    if (previous && JSON.stringify(previous) === JSON.stringify(job)) return;

    const status = job.status;
    card.li.className = `card card-${status.toLowerCase()}`;
    card.li.dataset.status = status;
    card.li.dataset.type = job.type;
    setText(refs.type, TYPE_LABELS[job.type] || job.type);
    refs.type.className = `type-badge type-${job.type}`;
    setText(refs.target, targetText(job));

    const processed = job.numOfRowsProcessed || 0;
    const failed = job.numOfRowsFailed || 0;
    const warned = job.numOfRowsWithWarning || 0;
    setText(refs.processed, processed);
    setText(refs.failed, failed);
    setText(refs.warned, warned);
    refs.failedWrap.classList.toggle('is-nonzero', failed > 0);
    refs.warnedWrap.classList.toggle('is-nonzero', warned > 0);

    // Rows handled so far: processed ones (including warned) and failed ones.
    const handled = processed + failed;
    const importing = status === 'Importing';
    refs.progress.hidden = !importing;
    refs.progressText.hidden = !importing;
    if (importing) {
      const total = uploadedRows.get(job.batchId);
      if (total) {
        const fraction = Math.min(1, handled / total);
        refs.progress.classList.remove('is-indeterminate');
        refs.bar.style.width = `${(fraction * 100).toFixed(1)}%`;
        refs.progress.setAttribute('aria-valuemin', '0');
        refs.progress.setAttribute('aria-valuemax', String(total));
        refs.progress.setAttribute('aria-valuenow', String(Math.min(handled, total)));
        refs.progress.setAttribute('aria-valuetext', `${handled} of ${total} rows`);
        setText(refs.progressText, `${handled} of ${plural(total, 'row', 'rows')} handled`);
      } else {
        refs.progress.classList.add('is-indeterminate');
        refs.bar.style.width = '';
        refs.progress.removeAttribute('aria-valuemin');
        refs.progress.removeAttribute('aria-valuemax');
        refs.progress.removeAttribute('aria-valuenow');
        refs.progress.setAttribute('aria-valuetext', `${plural(handled, 'row', 'rows')} handled`);
        setText(refs.progressText, `${plural(handled, 'row', 'rows')} handled`);
      }
    }

    setText(refs.message, job.message || '');
    refs.message.hidden = !job.message;

    refs.queued.dateTime = job.queuedAt || '';
    setText(refs.queued, clockTime(job.queuedAt));
    refs.queued.title = job.queuedAt || '';
    refs.startedWrap.hidden = !job.startedAt;
    refs.started.dateTime = job.startedAt || '';
    setText(refs.started, job.startedAt
      ? `${clockTime(job.startedAt)} · waited ${duration(job.queuedAt, job.startedAt)}` : '');
    refs.started.title = job.startedAt || '';
    refs.finishedWrap.hidden = !job.finishedAt;
    refs.finished.dateTime = job.finishedAt || '';
    setText(refs.finished, job.finishedAt
      ? `${clockTime(job.finishedAt)} · took ${duration(job.startedAt || job.queuedAt, job.finishedAt)}` : '');
    refs.finished.title = job.finishedAt || '';

    const finished = status === 'Complete' || status === 'Failed';
    const showFailures = finished && failed > 0;
    const showWarnings = finished && warned > 0;
    refs.failuresButton.hidden = !showFailures;
    refs.warningsButton.hidden = !showWarnings;
    refs.actions.hidden = !showFailures && !showWarnings;
    setText(refs.failuresButton, `Failures file (${failed})`);
    refs.failuresButton.setAttribute('aria-label', `Show the failures file of batch ${job.batchId}`);
    setText(refs.warningsButton, `Warnings file (${warned})`);
    refs.warningsButton.setAttribute('aria-label', `Show the warnings file of batch ${job.batchId}`);
  }

  function laneOrder(lane) {
    if (lane === 'Queued' || lane === 'Importing') return (a, b) => a.job.batchId - b.job.batchId;
    // Finished lanes: the newest first.
    const finished = (card) => Date.parse(card.job.finishedAt || '') || 0;
    return (a, b) => finished(b) - finished(a) || b.job.batchId - a.job.batchId;
  }

  /** Puts each lane's cards in order in its list, and updates its count and empty text. */
  function placeCards(prefix, lanes, byLane, order) {
    for (const lane of lanes) {
      const list = $(`${prefix}lane-${lane}`);
      const wanted = byLane[lane].sort(order(lane));
      wanted.forEach((card, index) => {
        if (list.children[index] !== card.li) list.insertBefore(card.li, list.children[index] || null);
      });
      setText($(`${prefix}count-${lane}`), wanted.length);
      $(`${prefix}empty-${lane}`).hidden = wanted.length > 0;
    }
  }

  let lastJobsJson = '';
  function renderJobs(data) {
    const json = JSON.stringify(data);
    if (json === lastJobsJson) return;
    lastJobsJson = json;
    const all = (data && data.jobs) || [];
    renderImports(all.filter((job) => !isExport(job)), data);
    renderExports(all.filter(isExport), data);
  }

  function renderImports(jobs, data) {
    const byLane = Object.fromEntries(LANES.map((lane) => [lane, []]));
    const seen = new Set();
    for (const job of jobs) {
      seen.add(job.batchId);
      let card = cards.get(job.batchId);
      if (!card) {
        card = createCard(job.batchId);
        cards.set(job.batchId, card);
      }
      updateCard(card, job);
      (byLane[job.status] || byLane.Failed).push(card);
    }
    for (const [id, card] of cards) {
      if (!seen.has(id)) {
        card.li.remove();
        cards.delete(id);
        uploadedRows.delete(id);
      }
    }
    placeCards('', LANES, byLane, laneOrder);
    const counts = LANES.map((lane) => byLane[lane].length);
    const summary = jobs.length === 0
      ? 'No jobs yet'
      : `${plural(jobs.length, 'job', 'jobs')} · ${counts[1]} importing · ${counts[0]} queued` +
        ` · at most ${data.mostImportingAtOnce || 0} importing at once so far`;
    setText($('jobs-summary'), summary);
  }

  // ---------------------------------------------------------------------------------------
  // Export jobs

  const exportCards = new Map();

  /** What an export reads: the object, the format, the fields and the filter. */
  function exportTargetText(job) {
    const p = job.params || {};
    const parts = [];
    if (job.apiName) parts.push(job.apiName);
    if (job.format) parts.push(job.format);
    if (Array.isArray(p.fields)) parts.push(plural(p.fields.length, 'field', 'fields'));
    for (const [name, value] of Object.entries(p.filter || {})) {
      const scalar = value === null || typeof value !== 'object';
      parts.push(scalar ? `${name} ${value}` : name);
    }
    return parts.join(' · ');
  }

  /** Why a card has no file, or what it waits for; empty when there is nothing to say. */
  function exportMessage(job) {
    switch (job.status) {
      case 'Created':
        return 'Created, not enqueued yet';
      case 'Failed':
        return job.errorMsg || 'Failed';
      case 'Cancelled':
        if (job.startedAt) return 'Cancelled while processing';
        return job.queuedAt ? 'Cancelled in the queue' : 'Cancelled before it was enqueued';
      case 'Completed':
        return job.fileUrl ? '' : 'Its file is no longer available';
      default:
        return '';
    }
  }

  function createExportCard(exportId) {
    const short = shortId(exportId);
    const li = el('li', 'card');
    li.dataset.exportId = exportId;
    const titleId = `export-${exportId}-title`;
    li.setAttribute('aria-labelledby', titleId);

    const head = el('div', 'card-head');
    const title = el('h4', 'card-title', `Export ${short}`);
    title.id = titleId;
    title.title = exportId;
    const type = el('span', 'type-badge');
    const tags = el('div', 'card-tags');
    tags.append(instanceTag(instance.id), type);
    head.append(title, tags);

    const target = el('p', 'card-target');

    // Nothing counts rows while a file is written: the bar only says that it is.
    const progress = el('div', 'progress is-indeterminate');
    progress.setAttribute('role', 'progressbar');
    progress.setAttribute('aria-label', `Export ${short} progress`);
    progress.setAttribute('aria-valuetext', 'Writing the file');
    progress.append(el('div', 'progress-bar'));

    const counters = el('dl', 'counters counters-two');
    const records = counter('Records', 'counter-records');
    const size = counter('File size', 'counter-size');
    counters.append(records.wrap, size.wrap);

    const message = el('p', 'card-message');

    const times = el('dl', 'times');
    const created = timeItem('Created');
    const queued = timeItem('Queued');
    const started = timeItem('Started');
    const finished = timeItem('Finished');
    times.append(created.wrap, queued.wrap, started.wrap, finished.wrap);

    const actions = el('div', 'card-actions');
    const fileLink = el('a', 'btn btn-small btn-link', 'Open file');
    fileLink.dataset.file = 'export';
    fileLink.target = '_blank';
    fileLink.rel = 'noopener';
    const showButton = el('button', 'btn btn-small btn-link', 'Show in page');
    showButton.type = 'button';
    showButton.dataset.file = 'export-show';
    actions.append(fileLink, showButton);

    li.append(head, target, progress, counters, message, times, actions);
    const card = {
      li,
      job: null,
      refs: {
        type, target, progress, counters, message, actions, fileLink, showButton,
        records: records.value, size: size.value, recordsWrap: records.wrap, sizeWrap: size.wrap,
        created: created.time, queued: queued.time, started: started.time, finished: finished.time,
        queuedWrap: queued.wrap, startedWrap: started.wrap, finishedWrap: finished.wrap,
      },
    };
    // A link cannot send the admin token: with one set, the file opens in the page instead.
    fileLink.addEventListener('click', (event) => {
      if ($('admin-token').value.trim()) {
        event.preventDefault();
        showExportFile(card.job);
      }
    });
    showButton.addEventListener('click', () => showExportFile(card.job));
    return card;
  }

  function setTimeItem(time, iso, text) {
    time.dateTime = iso || '';
    time.title = iso || '';
    setText(time, iso ? text : '');
  }

  function updateExportCard(card, job) {
    const { refs } = card;
    const previous = card.job;
    card.job = job;
    if (previous && JSON.stringify(previous) === JSON.stringify(job)) return;

    const status = job.status;
    const short = shortId(job.exportId);
    card.li.className = `card card-${status.toLowerCase()}`;
    card.li.dataset.status = status;
    card.li.dataset.type = job.type;
    setText(refs.type, EXPORT_TYPE_LABELS[job.type] || job.type);
    refs.type.className = `type-badge type-${String(job.type).replace(/Export$/, '')}`;
    setText(refs.target, exportTargetText(job));

    refs.progress.hidden = status !== 'Processing';

    const hasRecords = job.numberOfRecords !== null && job.numberOfRecords !== undefined;
    const hasSize = job.fileSize !== null && job.fileSize !== undefined;
    refs.counters.hidden = !hasRecords && !hasSize;
    refs.recordsWrap.hidden = !hasRecords;
    refs.sizeWrap.hidden = !hasSize;
    setText(refs.records, hasRecords ? job.numberOfRecords : '');
    setText(refs.size, hasSize ? byteSize(job.fileSize) : '');
    refs.sizeWrap.title = hasSize
      ? `${plural(job.fileSize, 'byte', 'bytes')}${job.fileChecksum ? `, ${job.fileChecksum}` : ''}`
      : '';

    const message = exportMessage(job);
    setText(refs.message, message);
    refs.message.hidden = !message;

    setTimeItem(refs.created, job.createdAt, clockTime(job.createdAt));
    refs.queuedWrap.hidden = !job.queuedAt;
    setTimeItem(refs.queued, job.queuedAt, clockTime(job.queuedAt));
    refs.startedWrap.hidden = !job.startedAt;
    setTimeItem(refs.started, job.startedAt,
      `${clockTime(job.startedAt)} · waited ${duration(job.queuedAt, job.startedAt)}`);
    refs.finishedWrap.hidden = !job.finishedAt;
    setTimeItem(refs.finished, job.finishedAt,
      `${clockTime(job.finishedAt)} · took ${duration(job.startedAt || job.queuedAt, job.finishedAt)}`);

    refs.actions.hidden = !job.fileUrl;
    if (job.fileUrl) {
      refs.fileLink.href = scoped(job.fileUrl);
      refs.fileLink.setAttribute('aria-label', `Open the file of export ${short} in a new tab`);
      refs.showButton.setAttribute('aria-label', `Show the file of export ${short} in the page`);
    } else {
      refs.fileLink.removeAttribute('href');
    }
  }

  /** The latest time an export reached: finished, else started, queued, created. */
  function exportReached(job) {
    return Date.parse(job.finishedAt || job.startedAt || job.queuedAt || job.createdAt || '') || 0;
  }

  function exportLaneOrder(lane) {
    const created = (card) => Date.parse(card.job.createdAt || '') || 0;
    // Waiting and running: the oldest first, as the queue takes them.
    if (lane === 'Queued' || lane === 'Processing') return (a, b) => created(a) - created(b);
    // Finished lanes: the newest first.
    return (a, b) => exportReached(b.job) - exportReached(a.job) || created(b) - created(a);
  }

  function renderExports(jobs, data) {
    const byLane = Object.fromEntries(EXPORT_LANES.map((lane) => [lane, []]));
    const seen = new Set();
    const statuses = {};
    for (const job of jobs) {
      seen.add(job.exportId);
      statuses[job.status] = (statuses[job.status] || 0) + 1;
      let card = exportCards.get(job.exportId);
      if (!card) {
        card = createExportCard(job.exportId);
        exportCards.set(job.exportId, card);
      }
      updateExportCard(card, job);
      byLane[EXPORT_LANE_OF[job.status] || 'Failed'].push(card);
    }
    for (const [id, card] of exportCards) {
      if (!seen.has(id)) {
        card.li.remove();
        exportCards.delete(id);
      }
    }
    placeCards('export-', EXPORT_LANES, byLane, exportLaneOrder);
    let summary = 'No exports yet';
    if (jobs.length > 0) {
      summary = `${plural(jobs.length, 'export', 'exports')} · ${statuses.Processing || 0} processing` +
        ` · ${statuses.Queued || 0} queued`;
      if (statuses.Created) summary += ` · ${statuses.Created} not enqueued`;
      summary += ` · at most ${data.mostProcessingExportsAtOnce || 0} processing at once so far`;
    }
    setText($('exports-summary'), summary);
  }

  // ---------------------------------------------------------------------------------------
  // Result files

  let fileUrl = null;
  /** The lanes heading that takes the focus back when the file panel closes. */
  let fileReturnHeading = 'lanes-heading';

  /** Opens the file panel, empty, under a heading. */
  function openFilePanel(heading, returnHeading) {
    const content = $('file-content');
    setText($('file-heading'), heading);
    setText($('file-meta'), 'Loading…');
    content.textContent = '';
    delete content.dataset.batchId;
    delete content.dataset.exportId;
    delete content.dataset.file;
    $('file-download').hidden = true;
    $('file-panel').hidden = false;
    fileReturnHeading = returnHeading;
  }

  /** Shows a file's text in the panel, with a download link to a copy of it. */
  function fillFilePanel(meta, text, name, mime) {
    const download = $('file-download');
    setText($('file-meta'), meta);
    $('file-content').textContent = text;
    if (fileUrl) URL.revokeObjectURL(fileUrl);
    fileUrl = URL.createObjectURL(new Blob([text], { type: mime }));
    download.href = fileUrl;
    download.download = name;
    setText(download, `Download ${name.split('.').pop().toUpperCase()}`);
    download.hidden = false;
  }

  function focusFilePanel() {
    $('file-heading').focus();
    $('file-panel').scrollIntoView({ block: 'nearest' });
  }

  async function showResultFile(job, kind) {
    if (!job) return;
    const content = $('file-content');
    const label = kind === 'failures' ? 'Failures' : 'Warnings';
    openFilePanel(`${label} file of batch ${job.batchId}`, 'lanes-heading');
    try {
      const path = resultFilePath(job, kind);
      const response = await marketo(path);
      const type = response.headers.get('content-type') || '';
      const text = await response.text();
      if (type.includes('json')) {
        let error = null;
        try {
          error = envelopeError(JSON.parse(text));
        } catch {
          error = null;
        }
        setText($('file-meta'), error
          ? `No file: ${error.code} ${error.message}`
          : `Unexpected answer (HTTP ${response.status})`);
        content.textContent = text;
      } else {
        const lines = text.split('\n').filter((line) => line.length > 0).length;
        fillFilePanel(`GET ${path} · ${type} · ${plural(Math.max(0, lines - 1), 'row', 'rows')}`,
          text, `batch-${job.batchId}-${kind}.csv`, 'text/csv');
      }
      content.dataset.batchId = String(job.batchId);
      content.dataset.file = kind;
    } catch (error) {
      setText($('file-meta'), `Could not load the file: ${error.message}`);
    }
    focusFilePanel();
  }

  /** A completed export's file, from the control plane's route (no access token needed). */
  async function showExportFile(job) {
    if (!job || !job.fileUrl) return;
    const content = $('file-content');
    openFilePanel(`File of export ${shortId(job.exportId)}`, 'export-lanes-heading');
    try {
      const headers = {};
      const adminToken = $('admin-token').value.trim();
      if (adminToken) headers['X-Admin-Token'] = adminToken;
      const url = scoped(job.fileUrl);
      const response = await fetch(url, { headers });
      const type = response.headers.get('content-type') || '';
      const text = await response.text();
      if (!response.ok) {
        let reason = `HTTP ${response.status}`;
        try {
          reason = JSON.parse(text).error || reason;
        } catch {
          // Not JSON: the status says enough.
        }
        setText($('file-meta'), `No file: ${reason}`);
      } else {
        const format = String(job.format || 'csv').toLowerCase();
        const records = plural(job.numberOfRecords || 0, 'record', 'records');
        fillFilePanel(`GET ${url} · ${type} · ${records} · ${byteSize(new Blob([text]).size)}`,
          text, `export-${job.exportId}.${format}`, format === 'csv' ? 'text/csv' : 'text/plain');
      }
      content.dataset.exportId = job.exportId;
      content.dataset.file = 'export';
    } catch (error) {
      setText($('file-meta'), `Could not load the file: ${error.message}`);
    }
    focusFilePanel();
  }

  function closeResultFile(refocus = true) {
    $('file-panel').hidden = true;
    if (fileUrl) URL.revokeObjectURL(fileUrl);
    fileUrl = null;
    if (refocus) $(fileReturnHeading).focus();
  }

  // ---------------------------------------------------------------------------------------
  // Clock and timing

  let lastClockJson = '';
  function renderClock(clock) {
    const json = JSON.stringify(clock);
    if (json === lastClockJson) return;
    lastClockJson = json;
    const frozen = clock.mode === 'frozen';
    const mode = $('clock-mode');
    setText(mode, frozen ? 'Frozen' : 'Real time');
    mode.className = `pill ${frozen ? 'pill-frozen' : 'pill-running'}`;
    const now = $('clock-now');
    now.dateTime = clock.now;
    now.title = `Mock clock: ${clock.now}`;
    setText(now, clockTime(clock.now));
    $('clock-freeze').setAttribute('aria-pressed', String(frozen));
    $('clock-run').setAttribute('aria-pressed', String(!frozen));
  }

  async function setClockMode(mode) {
    try {
      renderClock(await control('PUT', '/_mock/clock', { mode }));
    } catch (error) {
      notify(`Could not switch the clock: ${error.message}`);
    }
  }

  async function advanceClock(milliseconds) {
    try {
      renderClock(await control('POST', '/_mock/clock/advance', { milliseconds }));
    } catch (error) {
      notify(`Could not advance the clock: ${error.message}`);
    }
  }

  let lastTimingJson = '';
  function renderTiming(timing, fillInputs = false) {
    const json = JSON.stringify(timing);
    if (json === lastTimingJson && !fillInputs) return;
    const changed = json !== lastTimingJson;
    lastTimingJson = json;
    const delay = $('timing-delay');
    const rate = $('timing-rate');
    const editing = document.activeElement === delay || document.activeElement === rate;
    if (fillInputs || (changed && !editing)) {
      delay.value = timing.queueDelayMs;
      rate.value = timing.rowsPerSecond;
    }
    const rows = timing.rowsPerSecond ? `${timing.rowsPerSecond} rows/s` : 'unlimited rows/s';
    const meta = `Now: ${timing.queueDelayMs} ms in the queue, ${rows}`;
    const result = $('timing-result');
    if (!result.classList.contains('is-error')) showResult(result, meta, true);
  }

  async function applyTiming(event) {
    event.preventDefault();
    const queueDelayMs = Number.parseInt($('timing-delay').value, 10);
    const rowsPerSecond = Number.parseInt($('timing-rate').value, 10);
    if (!(queueDelayMs >= 0) || !(rowsPerSecond >= 0)) {
      showResult($('timing-result'), 'Both values must be whole numbers, 0 or more', false);
      return;
    }
    try {
      const timing = await control('PUT', '/_mock/timing', { queueDelayMs, rowsPerSecond });
      $('timing-result').classList.remove('is-error');
      renderTiming(timing, true);
    } catch (error) {
      showResult($('timing-result'), error.message, false);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Fault rules

  function faultDescription(rule) {
    if (rule.job) {
      const kind = rule.job.type;
      let type = 'Any';
      if (kind && kind !== 'any') {
        type = TYPE_LABELS[kind] || (EXPORT_TYPE_LABELS[kind] ? `${EXPORT_TYPE_LABELS[kind]} export` : kind);
      }
      return { target: `${type} jobs`, effect: `fail with “${rule.job.failWith}”` };
    }
    if (rule.row) {
      return {
        target: `Rows where ${rule.row.column} = “${rule.row.value}”`,
        effect: `fail: “${rule.row.reason}”`,
      };
    }
    let effect = '';
    if (rule.code !== undefined) effect = `code ${rule.code}`;
    else if (rule.httpStatus !== undefined) effect = `HTTP ${rule.httpStatus}`;
    else if (rule.latencyMs !== undefined) effect = `+${rule.latencyMs} ms`;
    return { target: `${rule.method || 'Any'} ${rule.path}`, effect };
  }

  let lastFaultsJson = '';
  function renderFaults(data) {
    const json = JSON.stringify(data);
    if (json === lastFaultsJson) return;
    lastFaultsJson = json;
    const rules = (data && data.faults) || [];
    const list = $('fault-list');
    const focusedId = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.faultId : undefined;
    list.replaceChildren(...rules.map((rule) => {
      const { target, effect } = faultDescription(rule);
      const li = el('li', 'fault');
      li.dataset.faultId = String(rule.id);
      const body = el('div', 'fault-body');
      const line = el('p', 'fault-line');
      line.append(el('span', 'fault-id', `#${rule.id}`), el('code', 'fault-target', target));
      const meta = [effect];
      if (rule.times !== undefined) meta.push(`${rule.times} left`);
      if (rule.percent !== undefined) meta.push(`${rule.percent}%${rule.seed !== undefined ? ` (seed ${rule.seed})` : ''}`);
      meta.push(plural(rule.hits || 0, 'hit', 'hits'));
      body.append(line, el('p', 'fault-meta', meta.join(' · ')));
      const remove = el('button', 'btn btn-small btn-quiet', 'Remove');
      remove.type = 'button';
      remove.dataset.faultId = String(rule.id);
      remove.setAttribute('aria-label', `Remove fault rule ${rule.id}`);
      remove.addEventListener('click', () => removeFault(rule.id));
      li.append(body, remove);
      return li;
    }));
    if (focusedId !== undefined) {
      const again = list.querySelector(`button[data-fault-id="${focusedId}"]`);
      if (again) again.focus();
    }
    $('faults-empty').hidden = rules.length > 0;
  }

  async function removeFault(id) {
    try {
      await control('DELETE', `/_mock/faults/${encodeURIComponent(id)}`);
      showResult($('fault-result'), `Rule ${id} removed`, true);
      await refresh();
    } catch (error) {
      showResult($('fault-result'), `Could not remove rule ${id}: ${error.message}`, false);
    }
  }

  function updateFaultValueHint() {
    const effect = $('fault-effect').value;
    const value = $('fault-value');
    const examples = { code: '606', httpStatus: '503', latencyMs: '2000' };
    value.placeholder = examples[effect];
    value.inputMode = effect === 'code' ? 'text' : 'numeric';
    if (value.dataset.touched !== 'true') value.value = examples[effect];
  }

  async function addFault(event) {
    event.preventDefault();
    const result = $('fault-result');
    const path = $('fault-path').value.trim();
    const effect = $('fault-effect').value;
    const raw = $('fault-value').value.trim();
    const timesRaw = $('fault-times').value.trim();
    if (!path) {
      showResult(result, 'A path glob is needed, for example /rest/v1/leads/*', false);
      $('fault-path').focus();
      return;
    }
    const spec = { path };
    const method = $('fault-method').value;
    if (method) spec.method = method;
    if (effect === 'code') {
      if (!raw) {
        showResult(result, 'A Marketo code is needed, for example 606', false);
        $('fault-value').focus();
        return;
      }
      spec.code = raw;
    } else {
      const number = Number(raw);
      if (!Number.isInteger(number) || number < 0) {
        showResult(result, 'The value must be a whole number', false);
        $('fault-value').focus();
        return;
      }
      spec[effect] = number;
    }
    if (timesRaw) {
      const times = Number(timesRaw);
      if (!Number.isInteger(times) || times < 1) {
        showResult(result, 'Times must be a whole number of at least 1, or blank', false);
        $('fault-times').focus();
        return;
      }
      spec.times = times;
    }
    try {
      const rule = await control('POST', '/_mock/faults', spec);
      showResult(result, `Rule ${rule.id} added`, true);
      await refresh();
    } catch (error) {
      showResult(result, error.message, false);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Request journal

  /** The job a call named: its batch id, or its export's short id (the whole one on hover). */
  function jobCell(entry) {
    const cell = el('td', 'col-job');
    if (entry.batchId !== undefined) {
      cell.textContent = String(entry.batchId);
    } else if (entry.exportId !== undefined) {
      const code = el('code', null, shortId(entry.exportId));
      code.title = `Export ${entry.exportId}`;
      cell.append(code);
    }
    return cell;
  }

  let lastJournalJson = '';
  function renderJournal(data) {
    // `/` only redirects a browser here: it is not an emulated call.
    const entries = ((data && data.requests) || [])
      .filter((entry) => entry.path !== '/')
      .slice(-JOURNAL_ROWS)
      .reverse();
    const json = JSON.stringify(entries);
    if (json === lastJournalJson) return;
    lastJournalJson = json;
    $('journal-rows').replaceChildren(...entries.map((entry) => {
      const tr = el('tr');
      const failed = entry.httpStatus >= 400 || entry.code;
      if (failed) tr.className = 'is-error';
      const time = el('time', null, clockTime(entry.time, true));
      time.dateTime = entry.time;
      const timeCell = el('td', 'col-time');
      timeCell.append(time);
      const path = entry.query ? `${entry.path}?${entry.query}` : entry.path;
      const pathCell = el('td', 'col-path');
      const pathCode = el('code', null, path);
      pathCode.title = path;
      pathCell.append(pathCode);
      const status = el('td', 'col-status');
      status.append(el('span', `status ${entry.httpStatus >= 400 ? 'status-bad' : 'status-ok'}`, entry.httpStatus));
      const code = el('td', 'col-code');
      if (entry.code) code.append(el('span', 'status status-bad', entry.code));
      const instanceCell = el('td', 'col-instance');
      instanceCell.append(instanceTag(instance.id));
      tr.append(
        timeCell,
        instanceCell,
        el('td', 'col-method', entry.method),
        pathCell,
        status,
        code,
        jobCell(entry),
      );
      return tr;
    }));
    $('journal-empty').hidden = entries.length > 0;
  }

  // ---------------------------------------------------------------------------------------
  // Uploads

  let objectsLoaded = false;
  async function loadCustomObjects() {
    const select = $('upload-api-name');
    const at = epoch;
    try {
      const response = await marketo('/rest/v1/customobjects.json');
      const data = await response.json();
      if (at !== epoch) return;
      const error = envelopeError(data);
      if (error) throw new Error(`${error.code} ${error.message}`);
      const previous = select.value;
      select.replaceChildren(...(data.result || []).map((object) => {
        const option = el('option', null, `${object.displayName || object.name} (${object.name})`);
        option.value = object.name;
        return option;
      }));
      if (previous && [...select.options].some((o) => o.value === previous)) select.value = previous;
      objectsLoaded = true;
    } catch (error) {
      if (at !== epoch) return;
      select.replaceChildren(el('option', null, 'Could not load custom objects'));
      select.options[0].value = '';
      showResult($('upload-result'), `Custom objects: ${error.message}`, false);
    }
  }

  function updateUploadFields() {
    const type = $('upload-type').value;
    for (const node of document.querySelectorAll('[data-for-type]')) {
      node.hidden = node.dataset.forType !== type;
    }
    if (type === 'customObjects' && !objectsLoaded) loadCustomObjects();
  }

  function guessFormat() {
    const file = $('upload-file').files[0];
    if (!file) return;
    const extension = file.name.split('.').pop().toLowerCase();
    if (['csv', 'tsv', 'ssv'].includes(extension)) $('upload-format').value = extension;
  }

  async function startImport(event) {
    event.preventDefault();
    const result = $('upload-result');
    const submit = $('upload-submit');
    const file = $('upload-file').files[0];
    if (!file) {
      showResult(result, 'Choose a file to import first', false);
      $('upload-file').focus();
      return;
    }
    const type = $('upload-type').value;
    const format = $('upload-format').value;
    const query = new URLSearchParams({ format });
    let path;
    if (type === 'leads') {
      path = '/bulk/v1/leads.json';
      for (const [id, name] of [['upload-lookup', 'lookupField'], ['upload-list', 'listId'], ['upload-partition', 'partitionName']]) {
        const value = $(id).value.trim();
        if (value) query.set(name, value);
      }
    } else if (type === 'customObjects') {
      const apiName = $('upload-api-name').value;
      if (!apiName) {
        showResult(result, 'Choose a custom object', false);
        $('upload-api-name').focus();
        return;
      }
      path = `/bulk/v1/customobjects/${encodeURIComponent(apiName)}/import.json`;
    } else {
      const programId = $('upload-program').value.trim();
      const status = $('upload-status').value.trim();
      if (!programId) {
        showResult(result, 'A program id is needed', false);
        $('upload-program').focus();
        return;
      }
      if (!status) {
        showResult(result, 'A program member status is needed', false);
        $('upload-status').focus();
        return;
      }
      path = `/bulk/v1/program/${encodeURIComponent(programId)}/members/import.json`;
      query.set('programMemberStatus', status);
    }
    submit.disabled = true;
    showResult(result, `Uploading ${file.name}…`, true);
    const at = epoch;
    const clientId = instance ? instance.id : $('client-id').value.trim();
    try {
      const rows = countRows(await file.text(), format);
      const form = new FormData();
      form.append('file', file, file.name);
      const response = await marketo(`${path}?${query}`, { method: 'POST', body: form });
      const data = await response.json().catch(() => null);
      const error = envelopeError(data);
      if (data && data.success && data.result && data.result[0]) {
        const created = data.result[0];
        if (at === epoch) uploadedRows.set(created.batchId, rows);
        result.dataset.batchId = String(created.batchId);
        showResult(result, `Batch ${created.batchId} created from ${file.name} (${plural(rows, 'row', 'rows')}) in ${clientId}: ${created.status}`, true);
        await refresh();
      } else if (error) {
        showResult(result, `Refused: ${error.code} ${error.message}`, false);
      } else {
        showResult(result, `Unexpected answer: HTTP ${response.status}`, false);
      }
    } catch (error) {
      showResult(result, `Upload failed: ${error.message}`, false);
    } finally {
      submit.disabled = false;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Instances: the picker, the URL and the switch

  /** Names the wanted instance in the URL, so that a link opens on it; none for the default. */
  function writeUrl() {
    const url = new URL(window.location.href);
    if (wanted) url.searchParams.set('instance', wanted);
    else url.searchParams.delete('instance');
    if (url.href !== window.location.href) window.history.replaceState(null, '', url);
  }

  /** The counts of the chosen instance, from the listing (its Munchkin id on hover). */
  function renderInstanceSummary(one) {
    if (!one) return;
    const counts = $('instance-counts');
    setText(counts, [
      plural(one.leads || 0, 'lead', 'leads'),
      plural(one.activities || 0, 'activity', 'activities'),
      plural(one.tokens || 0, 'token', 'tokens'),
    ].join(' · '));
    const title = `${one.clientId}${one.default ? ', the default instance' : ''}` +
      `${one.munchkinId ? `, Munchkin id ${one.munchkinId}` : ''}`;
    if (counts.title !== title) counts.title = title;
  }

  let lastInstanceIds = null;
  /** Lists the instances in the picker and switches to the wanted one; one that is not (or no
   * longer) there gives way to the default instance. */
  function renderInstances(listing) {
    defaultId = listing.defaultClientId;
    instanceList = listing.instances || [];
    const ids = instanceList.map((one) => one.clientId);
    const picker = $('instance-picker');
    if (ids.join('\n') !== lastInstanceIds) {
      lastInstanceIds = ids.join('\n');
      picker.replaceChildren(...instanceList.map((one) => {
        const option = el('option', null, one.default ? `${one.clientId} (default)` : one.clientId);
        option.value = one.clientId;
        return option;
      }));
    }
    let id = wanted || defaultId;
    if (!ids.includes(id)) {
      notify(instance && instance.id === id
        ? `Instance “${id}” is gone: showing the default instance, ${defaultId}`
        : `There is no instance “${id}”: showing the default instance, ${defaultId}`);
      wanted = null;
      writeUrl();
      id = defaultId;
    }
    if (picker.value !== id) picker.value = id;
    if (!instance || instance.id !== id) enterInstance(id);
    renderInstanceSummary(instanceList.find((one) => one.clientId === id));
  }

  /** Whether the next timing answer fills the timing form (after a switch or a reset). */
  let fillTiming = true;

  /** Shows another instance: forgets what the page showed of the last one, and takes up its
   * client id and the secret typed for it. */
  function enterInstance(id) {
    instance = { id, isDefault: id === defaultId };
    epoch += 1;
    for (const card of cards.values()) card.li.remove();
    cards.clear();
    for (const card of exportCards.values()) card.li.remove();
    exportCards.clear();
    uploadedRows.clear();
    lastJobsJson = '';
    lastJournalJson = '';
    lastFaultsJson = '';
    lastClockJson = '';
    fillTiming = true;
    $('timing-result').classList.remove('is-error');
    if (!$('file-panel').hidden) closeResultFile(false);
    for (const node of ['upload-result', 'fault-result', 'token-result']) showResult($(node), '', true);

    forgetToken();
    const secret = $('client-secret');
    $('client-id').value = id;
    if (secrets.has(id)) secret.value = secrets.get(id);
    else secret.value = instance.isDefault ? secret.defaultValue : '';
    secret.placeholder = `The client secret of ${id}`;

    document.title = instance.isDefault ? TITLE : `${id} · ${TITLE}`;
    setText($('journal-meta'), `Emulated calls to ${id}, newest first (last ${JOURNAL_ROWS})`);
    objectsLoaded = false;
    if ($('upload-type').value === 'customObjects') loadCustomObjects();
  }

  /** The picker's choice: shown at once and kept in the URL. */
  function chooseInstance(id) {
    if (!id) return;
    wanted = id === defaultId ? null : id;
    writeUrl();
    // A notice was about the instance left.
    clearTimeout(noticeTimer);
    $('notice').hidden = true;
    if (!instance || instance.id !== id) enterInstance(id);
    renderInstanceSummary(instanceList.find((one) => one.clientId === id));
    refresh().then(() => setConnection(true), (error) => setConnection(false, error.message));
  }

  // ---------------------------------------------------------------------------------------
  // Reset and credentials

  /** Asks whether to reset the chosen instance or every instance. */
  function resetMock() {
    if (!instance) return;
    const count = instanceList.length;
    const many = count > 1;
    setText($('reset-this'), `Reset ${instance.id}`);
    setText($('reset-all'), `Reset all ${count} instances`);
    $('reset-all').hidden = !many;
    setText($('reset-dialog-text'),
      `Every job, token, record, fault rule and journal entry of ${instance.id} is forgotten, ` +
      `and its fixtures are reloaded.${many ? ` Or reset all ${count} instances the same way;` +
        ' none of them is removed.' : ''}`);
    const dialog = $('reset-dialog');
    dialog.returnValue = '';
    dialog.showModal();
    $('reset-cancel').focus();
  }

  async function afterResetDialog() {
    const choice = $('reset-dialog').returnValue;
    $('reset').focus();
    if (choice !== 'this' && choice !== 'all') return;
    const id = instance.id;
    const count = instanceList.length;
    try {
      if (choice === 'all') await control('POST', '/_mock/reset?all=true', undefined, false);
      else await control('POST', '/_mock/reset');
      forgetToken();
      uploadedRows.clear();
      objectsLoaded = false;
      if (!$('file-panel').hidden) closeResultFile(false);
      for (const node of ['upload-result', 'fault-result', 'token-result']) showResult($(node), '', true);
      $('timing-result').classList.remove('is-error');
      fillTiming = true;
      if ($('upload-type').value === 'customObjects') loadCustomObjects();
      await refresh();
      notify(choice === 'all'
        ? `The mock was reset: all ${count} instances`
        : `The mock was reset: instance ${id}`, 'ok');
    } catch (error) {
      notify(`Reset failed: ${error.message}`);
    }
  }

  async function renewToken(event) {
    event.preventDefault();
    forgetToken();
    try {
      await accessToken(true);
      if ($('upload-type').value === 'customObjects') loadCustomObjects();
    } catch {
      // accessToken has shown why.
    }
  }

  // ---------------------------------------------------------------------------------------
  // Polling

  let connected = null;
  function setConnection(ok, detail) {
    if (ok === connected) return;
    connected = ok;
    const node = $('connection');
    node.className = `connection ${ok ? 'is-ok' : 'is-down'}`;
    setText(node, ok ? 'Live' : `Disconnected${detail ? `: ${detail}` : ''}, retrying…`);
  }

  /** The instances first (which may switch the page to another), then the chosen one's state;
   * answers that arrive after a switch are dropped. */
  async function refresh() {
    renderInstances(await control('GET', '/_mock/instances', undefined, false));
    const at = epoch;
    let answers;
    try {
      answers = await Promise.all([
        control('GET', '/_mock/jobs'),
        control('GET', '/_mock/clock'),
        control('GET', '/_mock/faults'),
        control('GET', '/_mock/requests'),
        control('GET', '/_mock/timing'),
      ]);
    } catch (error) {
      if (at !== epoch) return;
      throw error;
    }
    if (at !== epoch) return;
    const [jobs, clock, faults, requests, timing] = answers;
    renderJobs(jobs);
    renderClock(clock);
    renderFaults(faults);
    renderJournal(requests);
    renderTiming(timing, fillTiming);
    fillTiming = false;
  }

  async function poll() {
    try {
      await refresh();
      setConnection(true);
    } catch (error) {
      setConnection(false, error.message);
    } finally {
      setTimeout(poll, document.hidden ? HIDDEN_POLL_MS : POLL_MS);
    }
  }

  function start() {
    $('instance-picker').addEventListener('change', (event) => chooseInstance(event.target.value));
    $('clock-freeze').addEventListener('click', () => setClockMode('frozen'));
    $('clock-run').addEventListener('click', () => setClockMode('real'));
    for (const button of document.querySelectorAll('[data-advance]')) {
      button.addEventListener('click', () => advanceClock(Number(button.dataset.advance)));
    }
    $('reset').addEventListener('click', resetMock);
    for (const button of $('reset-dialog').querySelectorAll('button[data-choice]')) {
      button.addEventListener('click', () => $('reset-dialog').close(button.dataset.choice));
    }
    $('reset-dialog').addEventListener('close', afterResetDialog);
    $('file-close').addEventListener('click', () => closeResultFile());
    $('upload-form').addEventListener('submit', startImport);
    $('upload-type').addEventListener('change', updateUploadFields);
    $('upload-file').addEventListener('change', guessFormat);
    $('fault-form').addEventListener('submit', addFault);
    $('fault-effect').addEventListener('change', updateFaultValueHint);
    $('fault-value').addEventListener('input', () => { $('fault-value').dataset.touched = 'true'; });
    $('timing-form').addEventListener('submit', applyTiming);
    $('settings-form').addEventListener('submit', renewToken);
    $('client-secret').addEventListener('input', (event) => {
      if (instance) secrets.set(instance.id, event.target.value);
      forgetToken();
    });
    $('file-panel').addEventListener('keydown', (event) => {
      if (event.key === 'Escape') closeResultFile();
    });
    updateUploadFields();
    updateFaultValueHint();
    poll();
  }

  start();
})();
