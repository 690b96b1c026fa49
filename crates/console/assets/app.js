// strongroom console: the browser side.
//
// Everything the node sends is untrusted text: it only ever reaches the page through
// textContent and attributes set by the `h()` builder, never through innerHTML.
// The browser holds no key: every change goes through the signing flow
// (POST /api/prepare, shown to the member, then POST /api/commit).
'use strict';

(function () {
  const APP = 'strongroom console';
  const CATALOG_PAGE = 50;
  const AUDIT_PAGE = 100;
  const LIST_LIMIT = 100;
  // docs/console.md names both the action's tag and the dataset's kind `kind` in
  // register_dataset; one JSON object cannot hold both, so the dataset's kind travels
  // under this name.
  const REGISTER_KIND_FIELD = 'dataset_kind';
  const MAX_PAGES = 50;

  // ------------------------------------------------------------------------------
  // DOM helpers

  function appendAll(el, children) {
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child)) appendAll(el, child);
      else if (child instanceof Node) el.append(child);
      else el.append(document.createTextNode(String(child)));
    }
  }

  function setProps(el, props) {
    if (!props) return;
    for (const [key, value] of Object.entries(props)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') el.setAttribute('class', value);
      else if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key.startsWith('on') && typeof value === 'function') {
        el.addEventListener(key.slice(2), value);
      } else if (value === true) el.setAttribute(key, '');
      else el.setAttribute(key, String(value));
    }
  }

  // An HTML element: h('a', {href: '#/node'}, 'Node'). Strings become text nodes.
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    setProps(el, props);
    appendAll(el, children);
    return el;
  }

  // An SVG element, built the same way.
  function svg(tag, props, ...children) {
    const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
    setProps(el, props);
    appendAll(el, children);
    return el;
  }

  function code(text) {
    if (text === null || text === undefined || text === '') return dash();
    const value = String(text);
    // Long hex (hashes, keys) may break anywhere; ids stay whole where they can.
    return h('code', { class: value.length > 24 ? 'id hash' : 'id' }, value);
  }

  function dash() {
    return h('span', { class: 'muted' }, '—');
  }

  function pre(text, props) {
    // Focusable, since it may scroll.
    return h('pre', Object.assign({ tabindex: '0' }, props || {}), text);
  }

  function prettyJson(value) {
    return JSON.stringify(value, null, 2);
  }

  function iso(ms) {
    if (ms === null || ms === undefined) return null;
    const date = new Date(Number(ms));
    if (Number.isNaN(date.getTime())) return String(ms);
    return date.toISOString();
  }

  function time(ms, fallback) {
    const text = iso(ms);
    if (text === null) return fallback === undefined ? dash() : fallback;
    return h('time', { datetime: text }, text);
  }

  function party(p) {
    if (!p) return '—';
    if (typeof p === 'string') return p;
    const who = `${p.msp_id}/${p.name}`;
    return p.role ? `${who} (${p.role})` : who;
  }

  function epsText(micro) {
    if (micro === null || micro === undefined) return null;
    const n = Number(micro);
    const whole = Math.floor(n / 1e6);
    const fraction = n % 1e6;
    if (!fraction) return String(whole);
    return `${whole}.${String(fraction).padStart(6, '0').replace(/0+$/, '')}`;
  }

  function bytes(n) {
    if (n === null || n === undefined) return '—';
    const value = Number(n);
    const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
    let v = value;
    let i = 0;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i += 1;
    }
    return i === 0 ? `${value} bytes` : `${v.toFixed(1)} ${units[i]} (${value} bytes)`;
  }

  function tags(list) {
    if (!list || list.length === 0) return dash();
    return list.map((item) => h('span', { class: 'tag' }, String(item)));
  }

  function codes(list) {
    if (!list || list.length === 0) return dash();
    return list.map((item, i) => [i ? ', ' : null, code(item)]);
  }

  function rowsText(range) {
    if (!range) return 'all rows';
    return `rows from ${iso(range.from_ms)} up to ${iso(range.to_ms)} (exclusive)`;
  }

  // A <dl> of [term, value, id] triples; rows whose value is undefined are left out.
  function facts(rows) {
    const dl = h('dl', { class: 'facts' });
    for (const [term, value, id] of rows) {
      if (value === undefined) continue;
      dl.append(h('dt', null, term), h('dd', { id }, value === null ? dash() : value));
    }
    return dl;
  }

  // A table with a header row; `rows` are <tr> elements.
  function table(id, caption, columns, rows, empty) {
    const body = h('tbody');
    if (rows.length === 0) {
      body.append(h('tr', null, h('td', { class: 'empty', colspan: String(columns.length) }, empty || 'Nothing to show.')));
    } else {
      appendAll(body, rows);
    }
    return h(
      'table',
      { id },
      caption ? h('caption', null, caption) : null,
      h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col' }, c)))),
      body,
    );
  }

  function field(id, label, control, hint) {
    const hintId = hint ? `${id}-hint` : null;
    if (hintId) control.setAttribute('aria-describedby', hintId);
    return h(
      'div',
      { class: 'field' },
      h('label', { for: id }, label),
      hint ? h('span', { class: 'hint', id: hintId }, hint) : null,
      control,
    );
  }

  function checkbox(id, label, checked) {
    const box = h('input', { type: 'checkbox', id, checked: !!checked });
    return { box, el: h('div', { class: 'check' }, box, h('label', { for: id }, label)) };
  }

  // Where an error of a control or a section shows, right after it.
  function slot() {
    return h('div', { class: 'slot' });
  }

  function errorBox(err) {
    return h('div', { class: 'error', role: 'alert' }, messageOf(err));
  }

  function showError(where, err) {
    where.replaceChildren(errorBox(err));
  }

  function clear(where) {
    where.replaceChildren();
  }

  function setTitle(text) {
    document.title = `${text} · ${APP}`;
  }

  function splitList(text) {
    return String(text || '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }

  function optionalInt(input, what) {
    const text = input.value.trim();
    if (text === '') return null;
    if (!/^\d+$/.test(text)) throw new Error(`${what} must be a whole number.`);
    return Number(text);
  }

  function optionalNumber(input, what) {
    const text = input.value.trim();
    if (text === '') return null;
    const n = Number(text);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${what} must be a number, 0 or more.`);
    return n;
  }

  function dateMs(input) {
    const text = input.value.trim();
    if (text === '') return null;
    const ms = Date.parse(`${text}T00:00:00Z`);
    if (Number.isNaN(ms)) throw new Error(`${text} is not a date.`);
    return ms;
  }

  function routeLink(path, text, props) {
    return h('a', Object.assign({ href: `#/${path}` }, props || {}), text);
  }

  function datasetLink(id, text) {
    return routeLink(`datasets/${encodeURIComponent(id)}`, text === undefined ? code(id) : text);
  }

  function taskLink(id, text) {
    return routeLink(`tasks/${encodeURIComponent(id)}`, text === undefined ? code(id) : text);
  }

  // ------------------------------------------------------------------------------
  // The console API

  class ApiError extends Error {
    constructor(message, status) {
      super(message);
      this.status = status;
    }
  }

  function messageOf(err) {
    if (err instanceof ApiError) return err.message;
    if (err instanceof TypeError) return `The console cannot be reached (${err.message}).`;
    if (err && err.message) return err.message;
    return String(err);
  }

  function apiErrorFrom(status, statusText, text) {
    let message = '';
    try {
      const body = JSON.parse(text);
      if (body && typeof body.error === 'string') message = body.error;
    } catch (_) {
      message = '';
    }
    if (!message) message = text && text.length < 500 ? text.trim() : '';
    if (!message) message = `The console answered ${status} ${statusText || ''}`.trim();
    return new ApiError(message, status);
  }

  async function api(method, path, body) {
    const options = {
      method,
      credentials: 'same-origin',
      headers: { 'X-Strongroom-Console': '1', Accept: 'application/json' },
    };
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    const text = await response.text();
    if (!response.ok) throw apiErrorFrom(response.status, response.statusText, text);
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch (_) {
      throw new ApiError('The console answered something that is not JSON.', response.status);
    }
  }

  // Query fields that are null or undefined are left out.
  function compact(object) {
    const out = {};
    for (const [k, v] of Object.entries(object)) if (v !== null && v !== undefined) out[k] = v;
    return out;
  }

  function query(q) {
    return api('POST', '/api/query', { query: compact(q) });
  }

  function governanceQuery(q) {
    return api('POST', '/api/governance/query', { query: compact(q) });
  }

  // Every item of a paged list ({items, next}), following `next`.
  async function allPages(fetchPage) {
    const items = [];
    let after = null;
    for (let i = 0; i < MAX_PAGES; i += 1) {
      const page = await fetchPage(after);
      items.push(...((page && page.items) || []));
      if (!page || page.next === null || page.next === undefined) break;
      after = page.next;
    }
    return items;
  }

  function listAlgorithms() {
    return allPages((after) => query({ op: 'list_algorithms', after, limit: LIST_LIMIT }));
  }

  // Items a listing page shows at once: long lists page, so a page draws quickly.
  const LIST_PAGE = 50;

  // One page of a listing, with a "Next page" button while there are more:
  // `fetchPage(after)` answers {items, next}; `show(items)` answers what to draw.
  async function paged(container, nextId, fetchPage, show) {
    const load = async (after) => {
      container.replaceChildren();
      try {
        const page = await fetchPage(after);
        container.append(show(page.items || []));
        if (page.next !== null && page.next !== undefined) {
          container.append(
            h('button', { type: 'button', id: nextId, onclick: () => busy(() => load(page.next)) }, 'Next page'),
          );
        }
      } catch (err) {
        container.append(errorBox(err));
      }
    };
    await load(null);
  }

  function requestsPage50(after) {
    return query({ op: 'list_my_requests', after, limit: LIST_PAGE });
  }

  function tasksPage50(after) {
    return query({ op: 'list_my_tasks', after, limit: LIST_PAGE });
  }

  // Uploads one file (PUT /api/uploads/NAME), reporting the bytes sent so far.
  function uploadFile(file, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('PUT', `/api/uploads/${encodeURIComponent(file.name)}`);
      xhr.withCredentials = true;
      xhr.setRequestHeader('X-Strongroom-Console', '1');
      xhr.setRequestHeader('Content-Type', 'application/octet-stream');
      xhr.upload.onprogress = (event) => onProgress(event.loaded);
      xhr.onload = () => {
        if (xhr.status < 200 || xhr.status >= 300) {
          reject(apiErrorFrom(xhr.status, xhr.statusText, xhr.responseText));
          return;
        }
        try {
          resolve(JSON.parse(xhr.responseText));
        } catch (_) {
          reject(new ApiError(`Uploading ${file.name}: the console answered something that is not JSON.`, xhr.status));
        }
      };
      xhr.onerror = () => reject(new ApiError(`Uploading ${file.name} failed: the console cannot be reached.`, 0));
      xhr.onabort = () => reject(new ApiError(`Uploading ${file.name} was stopped.`, 0));
      xhr.send(file);
    });
  }

  // ------------------------------------------------------------------------------
  // Readiness (for the browser tests) and routing

  const pageEl = document.getElementById('page');
  const navEl = document.querySelector('nav[aria-label="Main"]');
  const view = { gen: 0, pending: 0, started: 0, match: null, signArea: null, first: true };

  function markReady() {
    pageEl.dataset.ready = '1';
    window.strongroomRender = { route: location.hash, ms: performance.now() - view.started };
  }

  // Runs `fn` as work of the current page: data-ready is '0' until all such work ends.
  function busy(fn) {
    const gen = view.gen;
    if (view.pending === 0 && pageEl.dataset.ready === '1') view.started = performance.now();
    view.pending += 1;
    pageEl.dataset.ready = '0';
    return Promise.resolve()
      .then(fn)
      .catch((err) => {
        // Handlers show their own errors; this only keeps a bug visible.
        if (gen === view.gen) pageEl.append(errorBox(err));
      })
      .finally(() => {
        if (gen !== view.gen) return;
        view.pending -= 1;
        if (view.pending === 0) markReady();
      });
  }

  const ROUTES = [
    { re: /^#\/node$/, nav: 'node', page: nodePage },
    { re: /^#\/catalog$/, nav: 'catalog', page: catalogPage },
    { re: /^#\/datasets\/([^/]+)$/, nav: 'catalog', page: datasetPage },
    { re: /^#\/my-datasets$/, nav: 'my-datasets', page: myDatasetsPage },
    { re: /^#\/inbox$/, nav: 'inbox', page: inboxPage },
    { re: /^#\/requests$/, nav: 'requests', page: requestsPage },
    { re: /^#\/tasks\/([^/]+)$/, nav: 'requests', page: taskPage },
    { re: /^#\/results\/([^/]+)$/, nav: 'requests', page: resultPage },
    { re: /^#\/audit\/([^/]+)$/, nav: 'my-datasets', page: auditPage },
    { re: /^#\/governance$/, nav: 'governance', page: governancePage },
  ];

  function matchRoute(hash) {
    for (const route of ROUTES) {
      const m = route.re.exec(hash);
      if (m) {
        let arg = null;
        if (m[1] !== undefined) {
          try {
            arg = decodeURIComponent(m[1]);
          } catch (_) {
            arg = m[1];
          }
        }
        return { route, arg };
      }
    }
    return { route: { nav: null, page: notFoundPage }, arg: null };
  }

  function markNav(key) {
    for (const a of navEl.querySelectorAll('a[data-nav]')) {
      if (a.dataset.nav === key) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  }

  async function runPage(match, root) {
    try {
      await match.route.page(root, match.arg);
    } catch (err) {
      if (!root.querySelector('h1')) {
        setTitle('Error');
        root.prepend(h('h1', { tabindex: '-1' }, 'Something went wrong'));
      }
      root.append(errorBox(err));
    }
  }

  function onRoute() {
    const hash = location.hash;
    if (hash === '' || hash === '#' || hash === '#/') {
      history.replaceState(null, '', '#/node');
    }
    const match = matchRoute(location.hash);
    view.gen += 1;
    view.pending = 0;
    view.started = performance.now();
    view.match = match;
    pageEl.dataset.ready = '0';
    markNav(match.route.nav);

    const active = document.activeElement;
    const moveFocus = !view.first && (!active || active === document.body || navEl.contains(active) || !active.isConnected);
    view.first = false;

    const content = h('div', { id: 'page-content' });
    const loading = h('p', { class: 'loading', role: 'status' }, 'Loading…');
    view.signArea = h('div', { id: 'sign-area' });
    pageEl.replaceChildren(content, loading, view.signArea);
    const gen = view.gen;
    busy(async () => {
      await showBanner();
      await runPage(match, content);
      loading.remove();
      if (moveFocus && gen === view.gen) {
        const h1 = content.querySelector('h1');
        if (h1) h1.focus();
      }
    });
  }

  // Renders the current page again (after a change was recorded), in place.
  async function refresh() {
    const gen = view.gen;
    const fresh = h('div', { id: 'page-content' });
    await runPage(view.match, fresh);
    if (gen !== view.gen) return;
    const old = pageEl.querySelector('#page-content');
    if (old) old.replaceWith(fresh);
    else pageEl.prepend(fresh);
  }

  // ------------------------------------------------------------------------------
  // Who I am, and the INSECURE banner on every page

  let node = null;

  async function loadNode() {
    node = await api('GET', '/api/node');
    showWhoami();
    return node;
  }

  function showWhoami() {
    const who = document.getElementById('whoami');
    if (!who) return;
    if (node && node.member) {
      who.textContent = `Signed in as ${party(node.member)}`;
    } else {
      who.textContent = '';
    }
  }

  async function showBanner() {
    if (!node) {
      try {
        await loadNode();
      } catch (_) {
        // The page says what is wrong; the banner waits for the next page.
      }
    }
    updateBanner();
  }

  function updateBanner() {
    const header = document.getElementById('top');
    const old = document.getElementById('insecure-banner');
    const att = node && node.attestation;
    if (!att || !att.insecure) {
      if (old) old.remove();
      return;
    }
    const text =
      'INSECURE SIMULATION: the node runs on a simulated platform with no hardware protection. ' +
      'Its attestation proves nothing; do not share real data with it.';
    if (old) {
      if (old.textContent !== text) old.textContent = text;
      return;
    }
    header.append(h('div', { id: 'insecure-banner', role: 'alert' }, text));
  }

  function myMsp() {
    return node && node.member ? node.member.msp_id : null;
  }

  async function requireNode() {
    if (!node) await loadNode();
    return node;
  }

  // ------------------------------------------------------------------------------
  // Signing: prepare, show what will be signed, then commit

  function signerText(signer) {
    if (signer === null || signer === undefined) return '—';
    if (typeof signer === 'string') return signer;
    if (typeof signer === 'object' && signer.msp_id) return party(signer);
    return JSON.stringify(signer);
  }

  function parsedJson(json) {
    if (typeof json !== 'string') return { ok: true, value: json };
    try {
      return { ok: true, value: JSON.parse(json) };
    } catch (_) {
      return { ok: false, value: json };
    }
  }

  // One transaction: its JSON, pretty-printed. Several: a JSON array of them, in order.
  function signedText(transactions) {
    const parsed = transactions.map((t) => parsedJson(t.json));
    if (parsed.length === 1) {
      return parsed[0].ok ? prettyJson(parsed[0].value) : String(parsed[0].value);
    }
    if (parsed.every((p) => p.ok)) return prettyJson(parsed.map((p) => p.value));
    return parsed.map((p) => (p.ok ? prettyJson(p.value) : String(p.value))).join('\n\n');
  }

  // Asks the console what `action` would sign, and shows it. `where` is the error slot
  // next to the control that asked; `opener` gets the focus back on cancel.
  async function sign(action, where, opener) {
    clear(where);
    let prepared;
    try {
      prepared = await api('POST', '/api/prepare', { action });
    } catch (err) {
      showError(where, err);
      return;
    }
    showPreview(prepared || {}, opener);
  }

  function showPreview(prepared, opener) {
    const gen = view.gen;
    const area = view.signArea;
    const transactions = Array.isArray(prepared.transactions) ? prepared.transactions : [];
    const errors = slot();
    const progress = h('p', { role: 'status', class: 'muted' });
    const confirm = h('button', { type: 'button', id: 'sign-confirm', class: 'primary' }, 'Sign and submit');
    const cancel = h('button', { type: 'button', id: 'sign-cancel' }, 'Cancel');
    const count =
      transactions.length === 1
        ? 'One transaction:'
        : `${transactions.length} transactions, signed and submitted in this order:`;
    const section = h(
      'section',
      { id: 'sign-preview', class: 'sign-preview', role: 'region', 'aria-label': 'What will be signed', tabindex: '-1' },
      h('h2', null, 'What will be signed'),
      h('p', null, 'Signer: ', h('strong', { id: 'sign-signer' }, signerText(prepared.signer))),
      h('p', null, count),
      h('ol', { id: 'sign-ops' }, transactions.map((t) => h('li', null, code(t.op)))),
      pre(signedText(transactions), { id: 'sign-json' }),
      prepared.note ? h('p', { id: 'sign-note' }, String(prepared.note)) : null,
      h('p', { class: 'muted' }, 'SHA-256 of what will be signed: ', code(prepared.digest)),
      h('div', { class: 'actions' }, confirm, cancel),
      progress,
      errors,
    );

    cancel.addEventListener('click', () => {
      section.remove();
      if (opener && opener.isConnected) opener.focus();
    });

    confirm.addEventListener('click', () =>
      busy(async () => {
        if (gen !== view.gen) return;
        confirm.disabled = true;
        cancel.disabled = true;
        clear(errors);
        progress.textContent = 'Signing and submitting…';
        let done;
        try {
          done = await api('POST', '/api/commit', { digest: prepared.digest });
        } catch (err) {
          progress.textContent = '';
          showError(errors, err);
          cancel.disabled = false;
          return;
        }
        progress.textContent = 'Recorded; reading the page again…';
        await refresh();
        if (gen !== view.gen) return;
        const entry = signedEntry(done || {});
        area.replaceChildren(entry);
        entry.scrollIntoView({ block: 'nearest' });
        entry.focus();
        loadNode().then(updateBanner, () => {});
      }),
    );

    area.replaceChildren(section);
    section.scrollIntoView({ block: 'nearest' });
    section.focus();
  }

  function createdLink(id) {
    if (typeof id !== 'string') return code(id);
    if (id.startsWith('ds-')) return datasetLink(id);
    if (id.startsWith('task-')) return taskLink(id);
    return code(id);
  }

  function signedEntry(done) {
    const receipt = done.receipt || {};
    const value = done.value;
    let answer = null;
    if (value && typeof value === 'object' && typeof value.id === 'string' && Object.keys(value).length === 1) {
      answer = h('p', { id: 'signed-value' }, 'Created ', createdLink(value.id));
    } else if (value !== null && value !== undefined) {
      answer = h('details', { id: 'signed-value' }, h('summary', null, 'The ledger’s answer'), pre(prettyJson(value)));
    }
    const verified = receipt.verified === true;
    return h(
      'div',
      { id: 'signed-entry', class: 'signed', 'data-sequence': String(done.sequence), role: 'status', tabindex: '-1' },
      h('p', { class: 'entry' }, `Recorded in ledger entry ${done.sequence}`),
      h(
        'p',
        { id: 'signed-receipt', class: verified ? 'ok' : 'bad' },
        verified ? 'receipt verified' : 'receipt NOT verified',
        receipt.sequence !== undefined && receipt.sequence !== done.sequence ? ` (entry ${receipt.sequence})` : null,
        receipt.root ? [' · ledger root ', code(receipt.root)] : null,
      ),
      answer,
    );
  }

  // A button that runs `makeAction()` through the signing flow, errors next to it.
  function actionButton(label, props, makeAction, where) {
    const button = h('button', Object.assign({ type: 'button' }, props), label);
    button.addEventListener('click', () =>
      busy(async () => {
        clear(where);
        let action;
        try {
          action = await makeAction();
        } catch (err) {
          showError(where, err);
          return;
        }
        await sign(action, where, button);
      }),
    );
    return button;
  }

  // A <form> whose submit runs `handler(where)` as page work; errors go to `where`.
  function form(props, children, handler) {
    const where = slot();
    const el = h('form', Object.assign({ novalidate: true }, props), children, where);
    el.addEventListener('submit', (event) => {
      event.preventDefault();
      busy(async () => {
        clear(where);
        try {
          await handler(where, el);
        } catch (err) {
          showError(where, err);
        }
      });
    });
    return el;
  }

  // ------------------------------------------------------------------------------
  // Node

  async function nodePage(root) {
    setTitle('Node');
    root.append(h('h1', { tabindex: '-1' }, 'Node'));
    const info = await loadNode();
    updateBanner();
    const member = info.member || {};
    const att = info.attestation || {};
    const ledger = info.ledger || {};
    const last = info.last_receipt;

    let verdict = att.verdict;
    if (typeof verdict === 'boolean') verdict = verdict ? 'accepted' : 'refused';
    const verdictText = [verdict === undefined || verdict === null ? '' : String(verdict), att.detail ? String(att.detail) : '']
      .filter(Boolean)
      .join(': ');
    const text = (value) => (value === undefined || value === null ? null : String(value));
    const optional = (value) => (value === undefined || value === null ? undefined : String(value));

    let lastText;
    if (!last) lastText = 'none yet';
    else {
      lastText = h(
        'span',
        null,
        `entry ${last.sequence}: `,
        h('span', { class: last.verified ? 'ok' : 'bad' }, last.verified ? 'verified' : 'NOT verified'),
        last.root ? [' · root ', code(last.root)] : null,
      );
    }

    root.append(
      h('h2', null, 'Who I am'),
      facts([
        ['Organization', code(member.msp_id), 'member-msp'],
        ['Member', text(member.name), 'member-name'],
        ['Role', text(member.role), 'member-role'],
      ]),
      h('h2', null, 'Node'),
      facts([['Address', info.node ? code(info.node) : null, 'node-url']]),
      h('h2', null, 'Attestation'),
      verdict !== undefined && verdict !== null && verdict !== 'accepted'
        ? h('div', { class: 'error', role: 'alert', id: 'attestation-refused' }, `The console does not trust this node${att.detail ? `: ${String(att.detail).replace(/\.$/, '')}.` : '.'} Only this page is available until it does.`)
        : null,
      facts([
        ['Platform', text(att.platform), 'attestation-platform'],
        ['Measurement', code(att.measurement), 'attestation-measurement'],
        ['Verdict', verdictText || null, 'attestation-verdict'],
        ['Simulated', att.insecure ? 'yes: INSECURE, no hardware protection' : 'no', 'attestation-insecure'],
        ['TCB status', optional(att.tcb_status), 'attestation-tcb'],
        ['Debug mode', att.debug === undefined || att.debug === null ? undefined : att.debug ? 'yes' : 'no', 'attestation-debug'],
      ]),
      h('h2', null, 'Ledger'),
      facts([
        ['Sequence', text(ledger.sequence), 'ledger-sequence'],
        ['Root', code(ledger.root), 'ledger-root'],
        ['Leader', optional(ledger.leader), 'ledger-leader'],
        ['Last receipt', lastText, 'last-receipt'],
      ]),
    );
  }

  // ------------------------------------------------------------------------------
  // Catalog

  const KINDS = [
    ['blob', 'Blob (opaque files)'],
    ['csv', 'CSV tables'],
    ['parquet', 'Parquet tables'],
    ['vcf', 'VCF genomes'],
  ];

  async function catalogPage(root) {
    setTitle('Catalog');
    const text = h('input', { type: 'search', id: 'catalog-text', autocomplete: 'off' });
    const kind = h(
      'select',
      { id: 'catalog-kind' },
      h('option', { value: '' }, 'Any kind'),
      KINDS.map(([value, label]) => h('option', { value }, label)),
    );
    const label = h('input', { type: 'text', id: 'catalog-label', autocomplete: 'off' });
    const results = h('div', { id: 'catalog-area' });
    let filters = {};
    const afters = []; // `after` of each page shown, for "Previous page"

    const searchForm = form(
      { role: 'search', 'aria-label': 'Search the catalog' },
      [
        h(
          'div',
          { class: 'grid' },
          field('catalog-text', 'Search text', text, 'Every word must appear in the name, description, labels or columns.'),
          field('catalog-kind', 'Kind', kind),
          field('catalog-label', 'Label', label, 'Comma separated; every label must match.'),
        ),
        h('button', { type: 'submit', id: 'catalog-search', class: 'primary' }, 'Search'),
      ],
      async (where) => {
        filters = {
          text: text.value.trim() || null,
          kind: kind.value || null,
          labels: splitList(label.value),
        };
        afters.length = 0;
        await show(null, where);
      },
    );

    async function show(after, where) {
      const page = await query(Object.assign({ op: 'search_catalog', limit: CATALOG_PAGE, after }, filters));
      afters.push(after);
      render(page || { items: [], next: null }, where);
    }

    function render(page, where) {
      const items = page.items || [];
      const rows = items.map((d) =>
        h(
          'tr',
          { dataset: { dataset: d.id } },
          h('td', null, datasetLink(d.id, d.name)),
          h('td', null, code(d.id)),
          h('td', null, String(d.kind)),
          h('td', null, code(d.owner_msp)),
          h('td', null, tags(d.labels)),
          h('td', null, tags(d.consent && d.consent.purposes)),
          h('td', { class: 'num' }, bytes(d.size_bytes)),
          h('td', null, time(d.registered_at_ms)),
        ),
      );
      const pageNumber = afters.length;
      const pager = h('div', { class: 'actions' });
      const pagerErrors = slot();
      if (pageNumber > 1) {
        const prev = h('button', { type: 'button', id: 'catalog-prev' }, 'Previous page');
        prev.addEventListener('click', () =>
          busy(async () => {
            const saved = afters.slice();
            afters.pop();
            const after = afters.pop();
            try {
              await show(after === undefined ? null : after, null);
            } catch (err) {
              afters.splice(0, afters.length, ...saved);
              showError(pagerErrors, err);
            }
          }),
        );
        pager.append(prev);
      }
      if (page.next !== null && page.next !== undefined) {
        const next = h('button', { type: 'button', id: 'catalog-next' }, 'Next page');
        next.addEventListener('click', () =>
          busy(async () => {
            try {
              await show(page.next, null);
            } catch (err) {
              showError(pagerErrors, err);
            }
          }),
        );
        pager.append(next);
      }
      results.replaceChildren(
        h('p', { id: 'catalog-summary', role: 'status' }, `Page ${pageNumber}: ${items.length} dataset${items.length === 1 ? '' : 's'}.`),
        table(
          'catalog-results',
          null,
          ['Name', 'Id', 'Kind', 'Owner', 'Labels', 'Consented purposes', 'Size', 'Registered (UTC)'],
          rows,
          'No dataset matches.',
        ),
        pager,
        pagerErrors,
      );
      if (where) clear(where);
    }

    root.append(h('h1', { tabindex: '-1' }, 'Catalog'), searchForm, h('h2', null, 'Datasets'), results);
    const initial = slot();
    results.append(initial);
    try {
      await show(null, null);
    } catch (err) {
      showError(initial, err);
    }
  }

  // ------------------------------------------------------------------------------
  // One dataset

  function genomeText(g) {
    if (!g) return null;
    const contigs = g.contigs || [];
    const shown = contigs.slice(0, 12).join(', ');
    return `${g.samples} samples, ${g.records} records, ${contigs.length} contigs${contigs.length ? `: ${shown}${contigs.length > 12 ? ', …' : ''}` : ''}`;
  }

  function budgetText(summary) {
    if (summary.epsilon_budget_micro === undefined || summary.epsilon_budget_micro === null) return undefined;
    const spent = summary.epsilon_spent_micro;
    return `ε ${epsText(summary.epsilon_budget_micro)}${spent !== undefined && spent !== null ? `, ε ${epsText(spent)} reserved or spent` : ''}`;
  }

  async function datasetPage(root, id) {
    setTitle(`Dataset ${id}`);
    const heading = h('h1', { tabindex: '-1' }, 'Dataset');
    root.append(heading);
    const [dataset, algorithms] = await Promise.all([
      query({ op: 'get_dataset', id }),
      listAlgorithms().then(
        (items) => ({ items }),
        (error) => ({ error }),
      ),
    ]);
    const s = dataset.summary || {};
    heading.textContent = s.name || id;
    setTitle(`Dataset ${s.name || id}`);
    const files = dataset.files || [];
    const genomes = new Map((s.genomes || []).map((g) => [g.file, g.summary]));

    root.append(
      facts([
        ['Id', code(s.id || id), 'dataset-id'],
        ['Kind', String(s.kind), 'dataset-kind'],
        ['Status', dataset.status ? String(dataset.status) : null, 'dataset-status'],
        ['Owner organization', code(s.owner_msp), 'dataset-owner'],
        ['Registered', time(s.registered_at_ms), 'dataset-registered'],
        ['Registered by', dataset.registered_by ? party(dataset.registered_by) : undefined, 'dataset-registered-by'],
        ['Description', s.description ? String(s.description) : null, 'dataset-description'],
        ['Labels', tags(s.labels), 'dataset-labels'],
        ['Size', bytes(s.size_bytes), 'dataset-size'],
        ['Time column', s.time_column ? code(s.time_column) : 'none', 'dataset-time-column'],
        ['Minimum cell size', String(s.min_cell_size), 'dataset-min-cell'],
        ['Privacy budget', budgetText(s), 'dataset-budget'],
        ['Revision', dataset.revision === undefined || dataset.revision === null ? undefined : String(dataset.revision), 'dataset-revision'],
      ]),
      h('p', null, routeLink(`audit/${encodeURIComponent(s.id || id)}`, 'Audit trail', { id: 'audit-link' })),
      h('h2', null, 'Consent'),
      facts([
        ['Purposes', tags(s.consent && s.consent.purposes), 'consent-purposes'],
        ['Ends', time(s.consent && s.consent.expires_at_ms, 'no end'), 'consent-expires'],
      ]),
      h('h2', null, 'Files'),
      table(
        'dataset-files',
        null,
        ['File', 'Size', 'Columns', 'Genome', 'Plaintext SHA-256'],
        files.map((f) =>
          h(
            'tr',
            null,
            h('td', null, code(f.name)),
            h('td', { class: 'num' }, bytes(f.size_bytes)),
            h('td', null, codes(f.columns)),
            h('td', null, genomeText(f.genome || genomes.get(f.name)) || dash()),
            h('td', null, code(f.plaintext_sha256)),
          ),
        ),
        'No files are shown.',
      ),
      requestAccessForm(s, id, algorithms),
    );
  }

  function requestAccessForm(s, id, algorithms) {
    const purposes = (s.consent && s.consent.purposes) || [];
    const columns = s.columns || [];
    const purpose = h('input', {
      type: 'text',
      id: 'request-purpose',
      list: 'request-purpose-list',
      autocomplete: 'off',
      value: purposes.length === 1 ? purposes[0] : null,
    });
    const purposeList = h('datalist', { id: 'request-purpose-list' }, purposes.map((p) => h('option', { value: p })));
    const columnsInput = h('input', { type: 'text', id: 'request-columns', autocomplete: 'off', placeholder: 'all columns' });
    const boxes = [];
    let algorithmsPart;
    if (algorithms.error) {
      algorithmsPart = errorBox(algorithms.error);
    } else if (algorithms.items.length === 0) {
      algorithmsPart = h('p', null, 'No algorithm is registered yet, so no permission can be asked for.');
    } else {
      algorithmsPart = h(
        'fieldset',
        null,
        h('legend', null, 'Algorithms the permission allows'),
        algorithms.items.map((a, i) => {
          const c = checkbox(`request-algorithm-${i}`, `${a.name} (${a.kind}${a.differentially_private ? ', differentially private' : ''}${a.aggregate_only ? ', aggregates only' : ''})`, i < 32);
          c.box.value = a.id;
          boxes.push(c.box);
          return c.el;
        }),
      );
    }
    const from = h('input', { type: 'date', id: 'request-rows-from' });
    const to = h('input', { type: 'date', id: 'request-rows-to' });
    const expires = h('input', { type: 'date', id: 'request-expires' });

    return h(
      'section',
      { 'aria-labelledby': 'request-heading' },
      h('h2', { id: 'request-heading' }, 'Request access'),
      form(
        { id: 'request-form' },
        [
          purposeList,
          field('request-purpose', 'Purpose', purpose, purposes.length ? `One of the consented purposes: ${purposes.join(', ')}.` : null),
          field(
            'request-columns',
            'Columns (optional, comma separated)',
            columnsInput,
            columns.length ? `Empty asks for every column: ${columns.join(', ')}.` : 'Empty asks for every column.',
          ),
          algorithmsPart,
          s.time_column
            ? h(
                'div',
                { class: 'grid' },
                field('request-rows-from', `Rows from (optional, ${s.time_column}, UTC date)`, from),
                field('request-rows-to', 'Rows up to (optional, exclusive, UTC date)', to),
              )
            : null,
          field('request-expires', 'Permission ends (optional, UTC date)', expires, 'Empty: when the consent ends.'),
          h('button', { type: 'submit', id: 'request-access', class: 'primary' }, 'Request access'),
        ],
        async (where, el) => {
          const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
          if (!purpose.value.trim()) throw new Error('Name the purpose: one of the dataset’s consented purposes.');
          if (chosen.length === 0) throw new Error('Choose at least one algorithm the permission allows.');
          const wanted = splitList(columnsInput.value);
          const scope = { columns: wanted.length ? wanted : columns.slice() };
          if (scope.columns.length === 0) throw new Error('Name the columns to read.');
          if (s.time_column) {
            const f = dateMs(from);
            const t = dateMs(to);
            if ((f === null) !== (t === null)) throw new Error('Give both ends of the row range, or neither.');
            if (f !== null) scope.rows = { from_ms: f, to_ms: t };
          }
          const end = dateMs(expires);
          if (end !== null) scope.expires_at_ms = end;
          const action = {
            kind: 'invoke',
            invocation: {
              op: 'request_permission',
              dataset: s.id || id,
              purpose: purpose.value.trim(),
              algorithms: chosen,
              scope,
            },
          };
          await sign(action, where, el.querySelector('#request-access'));
        },
      ),
    );
  }

  // ------------------------------------------------------------------------------
  // My datasets: register, change, withdraw

  async function myDatasetsPage(root) {
    setTitle('My datasets');
    root.append(h('h1', { tabindex: '-1' }, 'My datasets'), registerSection());
    const info = await requireNode();
    const msp = info && info.member ? info.member.msp_id : null;
    const listArea = h('section', { 'aria-labelledby': 'my-datasets-heading' });
    listArea.append(h('h2', { id: 'my-datasets-heading' }, `Datasets of ${msp || 'my organization'}`));
    root.append(listArea);
    const list = h('div');
    listArea.append(
      h('p', { class: 'muted' }, 'Only datasets in the catalog are listed: a dataset whose consent was withdrawn or has ended is no longer in it. The privacy budget is fixed at registration.'),
      list,
    );
    const show = async (after) => {
      list.replaceChildren();
      try {
        const page = await query({ op: 'search_catalog', organization: msp, after, limit: CATALOG_PAGE });
        list.append(
          table(
            'my-datasets',
            null,
            ['Name', 'Id', 'Kind', 'Consent', 'Minimum cell size', 'Privacy budget', 'Actions'],
            page.items.map(myDatasetRow),
            'My organization has no dataset in the catalog.',
          ),
        );
        if (page.next) {
          list.append(h('button', { type: 'button', id: 'my-datasets-next', onclick: () => show(page.next) }, 'Next page'));
        }
      } catch (err) {
        list.append(errorBox(err));
      }
    };
    if (msp) {
      await show(null);
    }
  }

  function myDatasetRow(d) {
    const where = slot();
    const withdraw = actionButton(
      'Withdraw consent',
      { class: 'danger', dataset: { action: 'withdraw' } },
      () => ({ kind: 'invoke', invocation: { op: 'withdraw_consent', id: d.id } }),
      where,
    );
    const inputId = `min-cell-${d.id}`;
    const minCell = h('input', { type: 'number', id: inputId, min: '1', step: '1', value: String(d.min_cell_size) });
    const setMinCell = actionButton(
      'Set minimum cell size',
      { dataset: { action: 'update-min-cell' } },
      async () => {
        const value = optionalInt(minCell, 'The minimum cell size');
        if (value === null || value < 1) throw new Error('The minimum cell size must be a whole number, at least 1.');
        const current = await query({ op: 'get_dataset', id: d.id });
        if (current.revision === undefined || current.revision === null) {
          throw new Error('The node did not show this dataset’s revision: only its organization’s admins, owners and auditors can change it.');
        }
        return {
          kind: 'invoke',
          invocation: { op: 'update_dataset', id: d.id, revision: current.revision, min_cell_size: value },
        };
      },
      where,
    );
    const consent = d.consent || {};
    return h(
      'tr',
      { dataset: { dataset: d.id } },
      h('td', null, datasetLink(d.id, d.name)),
      h('td', null, code(d.id)),
      h('td', null, String(d.kind)),
      h('td', null, tags(consent.purposes), h('br'), 'ends ', time(consent.expires_at_ms, 'never')),
      h(
        'td',
        null,
        h('div', null, String(d.min_cell_size)),
        h('div', null, h('label', { for: inputId, class: 'visually-hidden' }, `New minimum cell size of ${d.name}`), minCell, ' ', setMinCell),
      ),
      h('td', null, budgetText(d) || 'none'),
      h(
        'td',
        null,
        withdraw,
        ' ',
        routeLink(`audit/${encodeURIComponent(d.id)}`, 'Audit trail', { dataset: { action: 'audit' } }),
        where,
      ),
    );
  }

  function registerSection() {
    const name = h('input', { type: 'text', id: 'register-name', autocomplete: 'off' });
    const kind = h(
      'select',
      { id: 'register-kind' },
      KINDS.map(([value, label]) => h('option', { value, selected: value === 'csv' }, label)),
    );
    const description = h('textarea', { id: 'register-description', rows: '3' });
    const labels = h('input', { type: 'text', id: 'register-labels', autocomplete: 'off' });
    const purposes = h('input', { type: 'text', id: 'register-purposes', autocomplete: 'off' });
    const days = h('input', { type: 'number', id: 'register-consent-days', min: '1', step: '1' });
    const minCell = h('input', { type: 'number', id: 'register-min-cell', min: '1', step: '1' });
    const budget = h('input', { type: 'number', id: 'register-budget', min: '0', step: 'any' });
    const timeColumn = h('input', { type: 'text', id: 'register-time-column', autocomplete: 'off' });
    const tee = checkbox('register-tee', 'Also let attested workers (TEE) open the data: wrap its key to the node’s key-release key too');
    const teeOnly = checkbox('register-tee-only', 'Only attested workers (TEE) may open the data: not even my organization can');
    const files = h('input', { type: 'file', id: 'register-file', multiple: true });
    const uploadArea = h('div', { class: 'upload' });

    const el = form(
      { id: 'register-form' },
      [
        h('div', { class: 'grid' }, field('register-name', 'Name', name), field('register-kind', 'Kind', kind)),
        field('register-description', 'Description', description),
        h(
          'div',
          { class: 'grid' },
          field('register-labels', 'Labels (comma separated)', labels, 'Each of a-z 0-9 - _ . :'),
          field('register-purposes', 'Consented purposes (comma separated)', purposes, 'At least one, e.g. research.'),
        ),
        h(
          'div',
          { class: 'grid' },
          field('register-consent-days', 'Consent ends after (days, optional)', days, 'Empty: no end.'),
          field('register-min-cell', 'Minimum cell size (optional)', minCell, 'Empty: the consortium’s default.'),
          field('register-budget', 'Privacy budget ε (optional)', budget, 'Empty: the consortium’s default.'),
          field('register-time-column', 'Time column (optional)', timeColumn, 'The column of row times, for permissions limited to a time range.'),
        ),
        tee.el,
        teeOnly.el,
        field('register-file', 'Files', files, 'One dataset; the file names must be unique. A CSV file needs a header row.'),
        uploadArea,
        h('button', { type: 'submit', id: 'register-submit', class: 'primary' }, 'Register'),
      ],
      async (where) => {
        if (!name.value.trim()) throw new Error('Give the dataset a name.');
        const purposeList = splitList(purposes.value);
        if (purposeList.length === 0) throw new Error('Name at least one consented purpose.');
        const chosen = Array.from(files.files || []);
        if (chosen.length === 0) throw new Error('Choose at least one file.');
        const consentDays = optionalInt(days, 'The consent days');
        const minCellSize = optionalInt(minCell, 'The minimum cell size');
        const epsilon = optionalNumber(budget, 'The privacy budget');

        const total = chosen.reduce((n, f) => n + f.size, 0);
        const progress = h('progress', { id: 'upload-progress', max: String(Math.max(total, 1)), value: '0' });
        const status = h('span', { id: 'upload-status', role: 'status' }, `0 of ${bytes(total)}`);
        uploadArea.replaceChildren(h('label', { for: 'upload-progress' }, 'Upload progress'), ' ', progress, ' ', status);
        const uploads = [];
        let done = 0;
        for (const file of chosen) {
          const upload = await uploadFile(file, (loaded) => {
            const sent = Math.min(done + loaded, total);
            progress.value = sent;
            status.textContent = `${file.name}: ${sent} of ${total} bytes`;
          });
          done += file.size;
          progress.value = Math.max(done, 0);
          uploads.push(upload.upload);
        }
        progress.value = Math.max(total, 1);
        status.textContent = `Uploaded ${chosen.length} file${chosen.length === 1 ? '' : 's'} (${bytes(total)}).`;

        const action = {
          kind: 'register_dataset',
          name: name.value.trim(),
          [REGISTER_KIND_FIELD]: kind.value,
          description: description.value,
          labels: splitList(labels.value),
          purposes: purposeList,
          consent_days: consentDays,
          min_cell_size: minCellSize,
          epsilon_budget: epsilon,
          tee: tee.box.checked,
          tee_only: teeOnly.box.checked,
          uploads,
        };
        if (timeColumn.value.trim()) action.time_column = timeColumn.value.trim();
        await sign(action, where, el.querySelector('#register-submit'));
      },
    );
    return h('section', { 'aria-labelledby': 'register-heading' }, h('h2', { id: 'register-heading' }, 'Register a dataset'), el);
  }

  // ------------------------------------------------------------------------------
  // Inbox: requests and tasks awaiting my organization

  function requestScopeCells(r) {
    const scope = r.scope || {};
    return [
      h('td', null, codes(scope.columns)),
      h('td', null, rowsText(scope.rows)),
      h('td', null, time(scope.expires_at_ms, 'when the consent ends')),
    ];
  }

  function reasonInput(id, what) {
    const input = h('input', { type: 'text', id, autocomplete: 'off', placeholder: 'Reason (optional)' });
    return { input, label: h('label', { for: id, class: 'visually-hidden' }, `Reason for rejecting ${what} (optional)`) };
  }

  async function inboxPage(root) {
    setTitle('Inbox');
    root.append(h('h1', { tabindex: '-1' }, 'Inbox'));
    const info = await requireNode();
    const msp = info && info.member ? info.member.msp_id : null;
    const requestsSection = h('section', { 'aria-labelledby': 'inbox-requests-heading' }, h('h2', { id: 'inbox-requests-heading' }, 'Permission requests awaiting my organization'));
    const tasksSection = h('section', { 'aria-labelledby': 'inbox-tasks-heading' }, h('h2', { id: 'inbox-tasks-heading' }, 'Analyses awaiting my organization’s approval'));
    root.append(requestsSection, tasksSection);

    const requestsArea = h('div');
    const tasksArea = h('div');
    requestsSection.append(requestsArea);
    tasksSection.append(tasksArea);
    await Promise.all([
      paged(requestsArea, 'inbox-requests-next', requestsPage50, (items) => inboxRequests(items, msp)),
      paged(tasksArea, 'inbox-tasks-next', tasksPage50, (items) => inboxTasks(items, msp)),
    ]);
  }

  function inboxRequests(items, msp) {
    {
      const pending = items.filter((r) => r.status === 'pending' && (!msp || r.owner_msp === msp));
      return (
        table(
          'inbox-requests',
          null,
          ['Request', 'Requester', 'Dataset', 'Purpose', 'Algorithms', 'Columns', 'Rows', 'Permission ends', 'Requested (UTC)', 'Decision'],
          pending.map((r) => {
            const where = slot();
            const reason = reasonInput(`reject-reason-${r.id}`, r.id);
            return h(
              'tr',
              { dataset: { request: r.id } },
              h('td', null, code(r.id)),
              h('td', null, party(r.requester)),
              h('td', null, datasetLink(r.dataset)),
              h('td', null, String(r.purpose)),
              h('td', null, codes(r.algorithms)),
              requestScopeCells(r),
              h('td', null, time(r.requested_at_ms)),
              h(
                'td',
                null,
                actionButton('Approve', { class: 'primary', dataset: { action: 'approve' } }, () => ({
                  kind: 'invoke',
                  invocation: { op: 'approve_permission', request: r.id },
                }), where),
                actionButton('Reject', { class: 'danger', dataset: { action: 'reject' } }, () => ({
                  kind: 'invoke',
                  invocation: compact({ op: 'reject_permission', request: r.id, reason: reason.input.value.trim() || null }),
                }), where),
                reason.label,
                reason.input,
                where,
              ),
            );
          }),
          'No permission request awaits my organization.',
        )
      );
    }
  }

  function inboxTasks(items, msp) {
    {
      const awaiting = items.filter(
        (t) => t.status === 'pending_approval' && (t.inputs || []).some((i) => (!msp || i.owner_msp === msp) && !i.grant && !i.approved_by),
      );
      const list = h('div', { id: 'inbox-tasks' });
      if (awaiting.length === 0) list.append(h('p', { class: 'muted' }, 'No analysis awaits my organization’s approval.'));
      for (const t of awaiting) {
        const where = slot();
        const reason = reasonInput(`reject-task-reason-${t.id}`, t.id);
        list.append(
          h(
            'section',
            { class: 'task-card', dataset: { task: t.id }, 'aria-label': `Task ${t.id}` },
            h('h3', null, 'Task ', taskLink(t.id)),
            taskScope(t),
            h('h4', null, 'Inputs'),
            taskInputsTable(t),
            h(
              'div',
              { class: 'actions' },
              actionButton('Approve', { class: 'primary', dataset: { action: 'approve' } }, () => ({
                kind: 'invoke',
                invocation: { op: 'approve_task', task: t.id },
              }), where),
              actionButton('Reject', { class: 'danger', dataset: { action: 'reject' } }, () => ({
                kind: 'invoke',
                invocation: compact({ op: 'reject_task', task: t.id, reason: reason.input.value.trim() || null }),
              }), where),
              reason.label,
              reason.input,
            ),
            where,
          ),
        );
      }
      return list;
    }
  }

  function modeText(mode) {
    if (mode === 'tee') return 'TEE: in an attested worker';
    if (mode === 'owner_side') return 'owner side: on the data owner’s own analyzer';
    return String(mode);
  }

  // Everything that defines what a task may do, as the owners approve it.
  function taskScope(t) {
    const a = t.algorithm || {};
    const traits = [
      a.kind ? String(a.kind) : null,
      a.aggregate_only ? 'aggregates only' : 'may release rows',
      a.differentially_private ? 'differentially private' : null,
      a.output_rule ? `output rule: ${a.output_rule}` : null,
    ].filter(Boolean);
    return facts([
      ['Status', h('span', { class: 'status' }, String(t.status)), null],
      ['Requester', party(t.requester), null],
      ['Requested', time(t.requested_at_ms), null],
      ['Algorithm', h('span', null, String(a.name), ' ', code(a.id), ` (${traits.join(', ')})`), null],
      ['Algorithm measurement', code(a.measurement), null],
      ['Mode', modeText(t.mode), null],
      ['Columns', codes(t.columns), null],
      ['Parameters', pre(prettyJson(t.parameters === undefined ? {} : t.parameters)), null],
      [
        'Recipients',
        (t.recipients || []).length
          ? h('ul', null, t.recipients.map((r) => h('li', null, `${r.msp_id}/${r.name} `, code(r.public_key))))
          : null,
        null,
      ],
      ['ε', t.epsilon_micro === null || t.epsilon_micro === undefined ? 'none' : epsText(t.epsilon_micro), null],
      ['Minimum cell size', String(t.min_cell_size), null],
      ['Config hash', code(t.config_hash), null],
    ]);
  }

  function coverText(i, status) {
    if (i.approved_by) return h('span', null, `approved by ${party(i.approved_by)} at `, time(i.approved_at_ms));
    if (i.grant) return h('span', null, 'covered by permission ', code(i.grant));
    if (status === 'pending_approval') return h('span', { class: 'bad' }, `awaiting the approval of ${i.owner_msp}`);
    return h('span', null, 'not approved');
  }

  function taskInputsTable(t) {
    return table(
      null,
      null,
      ['Dataset', 'Name', 'Owner', 'Kind', 'Rows', 'Approval'],
      (t.inputs || []).map((i) =>
        h(
          'tr',
          null,
          h('td', null, datasetLink(i.dataset)),
          h('td', null, String(i.name)),
          h('td', null, code(i.owner_msp)),
          h('td', null, String(i.kind)),
          h('td', null, rowsText(i.rows)),
          h('td', null, coverText(i, t.status)),
        ),
      ),
      'No inputs.',
    );
  }

  // ------------------------------------------------------------------------------
  // My requests and tasks

  async function requestsPage(root) {
    setTitle('My requests and tasks');
    root.append(h('h1', { tabindex: '-1' }, 'My requests and tasks'));
    const requestsSection = h('section', { 'aria-labelledby': 'my-requests-heading' }, h('h2', { id: 'my-requests-heading' }, 'Permission requests'));
    const tasksSection = h('section', { 'aria-labelledby': 'my-tasks-heading' }, h('h2', { id: 'my-tasks-heading' }, 'Analyses'));
    const formSection = h('section', { 'aria-labelledby': 'task-form-heading' }, h('h2', { id: 'task-form-heading' }, 'Request an analysis'));
    root.append(requestsSection, tasksSection, formSection);

    const requestsArea = h('div');
    const tasksArea = h('div');
    requestsSection.append(requestsArea);
    tasksSection.append(tasksArea);
    const [algorithms] = await Promise.all([
      listAlgorithms().then((items) => ({ items }), (error) => ({ error })),
      paged(requestsArea, 'my-requests-next', requestsPage50, (items) =>
        table(
          'my-requests',
          null,
          ['Request', 'Dataset', 'Purpose', 'Columns', 'Rows', 'Status', 'Requested (UTC)', 'Decision', 'Permission'],
          items.map((r) => {
            const scope = r.scope || {};
            const grant = r.grant;
            return h(
              'tr',
              { dataset: { request: r.id } },
              h('td', null, code(r.id)),
              h('td', null, datasetLink(r.dataset)),
              h('td', null, String(r.purpose)),
              h('td', null, codes(scope.columns)),
              h('td', null, rowsText(scope.rows)),
              h('td', null, h('span', { class: 'status' }, String(r.status))),
              h('td', null, time(r.requested_at_ms)),
              h(
                'td',
                null,
                r.decided_by ? [party(r.decided_by), ' at ', time(r.decided_at_ms)] : dash(),
                r.reason ? [h('br'), `Reason: ${r.reason}`] : null,
              ),
              h('td', null, grant ? [code(grant.id), ` ${grant.status}`] : dash()),
            );
          }),
          'No permission request.',
        ),
      ),
      paged(tasksArea, 'my-tasks-next', tasksPage50, (items) =>
        table(
          'my-tasks',
          null,
          ['Task', 'Algorithm', 'Inputs', 'Mode', 'Status', 'Requested (UTC)', 'Result'],
          items.map((t) =>
            h(
              'tr',
              { dataset: { task: t.id } },
              h('td', null, taskLink(t.id)),
              h('td', null, String((t.algorithm && t.algorithm.name) || '')),
              h('td', null, (t.inputs || []).map((i, n) => [n ? ', ' : null, datasetLink(i.dataset)])),
              h('td', null, t.mode === 'tee' ? 'TEE' : 'owner side'),
              h('td', null, h('span', { class: 'status' }, String(t.status))),
              h('td', null, time(t.requested_at_ms)),
              h('td', null, routeLink(`results/${encodeURIComponent(t.id)}`, 'Result')),
            ),
          ),
          'No analysis.',
        ),
      ),
    ]);

    formSection.append(taskForm(algorithms));
  }

  function taskForm(algorithms) {
    const inputs = h('input', { type: 'text', id: 'task-inputs', autocomplete: 'off' });
    const algorithm = h('select', { id: 'task-algorithm' });
    const info = h('p', { id: 'task-algorithm-info', class: 'muted' });
    const items = algorithms.items || [];
    if (items.length === 0) algorithm.append(h('option', { value: '' }, 'No algorithm is registered'));
    for (const a of items) algorithm.append(h('option', { value: a.id }, String(a.name)));
    const describe = () => {
      const a = items.find((x) => x.id === algorithm.value);
      if (!a) {
        info.textContent = '';
        return;
      }
      const traits = [
        String(a.kind),
        a.aggregate_only ? 'aggregates only' : 'may release rows',
        a.differentially_private ? 'differentially private: name the ε to spend' : null,
      ].filter(Boolean);
      info.textContent = `${a.description ? `${a.description} ` : ''}(${traits.join('; ')}; measurement ${a.measurement})`;
    };
    algorithm.addEventListener('change', describe);
    describe();
    const parameters = h('textarea', { id: 'task-parameters', rows: '4', spellcheck: 'false' }, '{}');
    const tee = checkbox('task-tee', 'Run in an attested worker (TEE)');
    const columns = h('input', { type: 'text', id: 'task-columns', autocomplete: 'off' });
    const epsilon = h('input', { type: 'number', id: 'task-epsilon', min: '0', step: 'any' });

    const el = form(
      { id: 'task-form' },
      [
        field('task-inputs', 'Input datasets (comma separated ids)', inputs),
        field('task-algorithm', 'Algorithm', algorithm),
        info,
        algorithms.error ? errorBox(algorithms.error) : null,
        field('task-parameters', 'Parameters (a JSON object)', parameters),
        field('task-columns', 'Columns to read (optional, comma separated)', columns, 'Empty: the console names the columns the algorithm reads.'),
        tee.el,
        field('task-epsilon', 'ε to spend (optional)', epsilon, 'Only for differentially private algorithms.'),
        h('button', { type: 'submit', id: 'task-submit', class: 'primary' }, 'Request analysis'),
      ],
      async (where) => {
        const list = splitList(inputs.value);
        if (list.length === 0) throw new Error('Name at least one input dataset id.');
        if (!algorithm.value) throw new Error('Choose an algorithm.');
        let params;
        try {
          params = JSON.parse(parameters.value.trim() || '{}');
        } catch (err) {
          throw new Error(`The parameters are not JSON: ${err.message}`);
        }
        if (params === null || typeof params !== 'object' || Array.isArray(params)) {
          throw new Error('The parameters must be a JSON object, such as {}.');
        }
        const action = {
          kind: 'request_task',
          inputs: list,
          algorithm: algorithm.value,
          parameters: params,
          tee: tee.box.checked,
          epsilon: optionalNumber(epsilon, 'ε'),
        };
        const wanted = splitList(columns.value);
        if (wanted.length) action.columns = wanted;
        await sign(action, where, el.querySelector('#task-submit'));
      },
    );
    return el;
  }

  // ------------------------------------------------------------------------------
  // One task's timeline

  function step(kind, ms, ...content) {
    return h(
      'li',
      { dataset: { step: kind } },
      h('span', { class: 'step-name' }, kind),
      ms !== null && ms !== undefined ? [' ', time(ms)] : null,
      ': ',
      content,
    );
  }

  function timeline(t) {
    const list = h('ol', { id: 'timeline', class: 'timeline' });
    list.append(step('requested', t.requested_at_ms, `by ${party(t.requester)}`));
    for (const i of t.inputs || []) {
      if (i.approved_by) {
        list.append(step('approved', i.approved_at_ms, 'input ', datasetLink(i.dataset), ` (${i.name}) approved by ${i.owner_msp} (${party(i.approved_by)})`));
      } else if (i.grant) {
        list.append(step('approved', null, 'input ', datasetLink(i.dataset), ` (${i.name}) of ${i.owner_msp} covered by its permission `, code(i.grant)));
      } else if (t.status === 'pending_approval') {
        list.append(step('awaiting', null, 'input ', datasetLink(i.dataset), ` (${i.name}) awaits the approval of ${i.owner_msp}`));
      }
    }
    if (t.rejected_by || t.status === 'rejected') {
      list.append(step('rejected', null, `by ${party(t.rejected_by)}`, t.reject_reason ? `: ${t.reject_reason}` : ''));
    }
    if (t.claimant) {
      const e = t.evidence;
      list.append(
        step(
          'claimed',
          t.claimed_at_ms,
          `by ${party(t.claimant)}`,
          e
            ? [
                `, attested worker on ${e.platform}${e.insecure ? ' (INSECURE simulation)' : ''}, measurement `,
                code(e.measurement),
                ', lease until ',
                time(e.lease_until_ms),
              ]
            : null,
        ),
      );
    }
    if (t.evidence && t.evidence.worker_key) {
      const e = t.evidence;
      list.append(
        step(
          'released',
          t.claimed_at_ms,
          `data keys of ${(t.inputs || []).length} input${(t.inputs || []).length === 1 ? '' : 's'} released to the attested worker (${e.platform}${e.insecure ? ', INSECURE simulation' : ''}) holding key `,
          code(e.worker_key),
        ),
      );
    }
    if (t.result) {
      const r = t.result;
      list.append(
        step(
          'result',
          r.written_at_ms,
          `${r.status} (written by ${party(r.executor)})`,
          r.size_bytes !== null && r.size_bytes !== undefined ? `, ${bytes(r.size_bytes)} encrypted` : null,
          r.ciphertext_sha256 ? [', SHA-256 ', code(r.ciphertext_sha256)] : null,
          r.evidence_ref ? [', evidence ', code(r.evidence_ref)] : null,
          r.reason ? `: ${r.reason}` : null,
        ),
      );
    }
    return list;
  }

  async function taskPage(root, id) {
    setTitle(`Task ${id}`);
    root.append(h('h1', { tabindex: '-1' }, 'Task ', code(id)));
    const t = await query({ op: 'get_task', id });
    root.append(
      h('p', null, 'Status: ', h('span', { id: 'task-status', class: 'status' }, String(t.status)), ' · ', routeLink(`results/${encodeURIComponent(id)}`, 'Result', { id: 'result-link' })),
      h('h2', null, 'Timeline'),
      timeline(t),
      h('h2', null, 'What it does'),
      taskScope(t),
      h('h3', null, 'Inputs'),
      taskInputsTable(t),
    );
  }

  // ------------------------------------------------------------------------------
  // Results

  function cellText(value) {
    if (value === null || value === undefined) return '';
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  }

  function columnIndex(columns, which) {
    if (typeof which === 'number') return which;
    return columns.indexOf(String(which));
  }

  function rowValue(row, columns, index) {
    if (Array.isArray(row)) return row[index];
    if (row && typeof row === 'object') return row[columns[index]];
    return undefined;
  }

  // {labels, values, title}; or {label, value} naming columns of the table.
  function chartData(chart, tbl) {
    if (!chart || typeof chart !== 'object') return null;
    if (Array.isArray(chart.labels) && Array.isArray(chart.values)) {
      return { labels: chart.labels.map(cellText), values: chart.values.map(Number), title: chart.title };
    }
    if (chart.label !== undefined && chart.value !== undefined && tbl && Array.isArray(tbl.columns)) {
      const columns = tbl.columns.map(String);
      const li = columnIndex(columns, chart.label);
      const vi = columnIndex(columns, chart.value);
      if (li < 0 || vi < 0) return null;
      const rows = tbl.rows || [];
      return {
        labels: rows.map((r) => cellText(rowValue(r, columns, li))),
        values: rows.map((r) => Number(rowValue(r, columns, vi))),
        title: chart.title || `${columns[vi]} by ${columns[li]}`,
      };
    }
    return null;
  }

  function barChart(data) {
    const n = data.labels.length;
    const title = data.title ? String(data.title) : 'Result chart';
    const barHeight = 22;
    const gap = 8;
    const labelWidth = 180;
    const barArea = 380;
    const valueWidth = 100;
    const width = labelWidth + barArea + valueWidth;
    const height = n * (barHeight + gap) + gap;
    const finite = data.values.map((v) => (Number.isFinite(v) ? v : 0));
    const max = Math.max(1e-12, ...finite.map((v) => Math.abs(v)));
    const el = svg('svg', {
      id: 'result-chart',
      class: 'chart',
      role: 'img',
      'aria-label': `${title}: bar chart of ${n} value${n === 1 ? '' : 's'}`,
      viewBox: `0 0 ${width} ${height}`,
      width: String(width),
      height: String(height),
    });
    el.append(svg('line', { class: 'axis', x1: String(labelWidth), y1: '0', x2: String(labelWidth), y2: String(height) }));
    for (let i = 0; i < n; i += 1) {
      const y = gap + i * (barHeight + gap);
      const raw = data.values[i];
      const v = finite[i];
      const w = Math.max(1, (Math.abs(v) / max) * (barArea - 4));
      const label = data.labels[i];
      const shortLabel = label.length > 24 ? `${label.slice(0, 23)}…` : label;
      const valueText = Number.isFinite(raw) ? String(raw) : 'not a number';
      el.append(
        svg(
          'g',
          null,
          svg('title', null, `${label}: ${valueText}`),
          svg('text', { x: String(labelWidth - 6), y: String(y + barHeight * 0.72), 'text-anchor': 'end' }, shortLabel),
          svg('rect', {
            class: v < 0 ? 'bar negative' : 'bar',
            x: String(labelWidth + 1),
            y: String(y),
            width: w.toFixed(2),
            height: String(barHeight),
          }),
          svg('text', { x: String(labelWidth + w + 6), y: String(y + barHeight * 0.72) }, valueText),
        ),
      );
    }
    return el;
  }

  async function resultPage(root, task) {
    setTitle(`Result of ${task}`);
    root.append(h('h1', { tabindex: '-1' }, 'Result of task ', code(task)));
    const base = `/api/results/${encodeURIComponent(task)}`;
    root.append(h('p', null, taskLink(task, 'Task timeline')));
    const r = await api('GET', base);
    root.append(
      facts([
        ['Status', h('span', { class: 'status' }, String(r.status)), 'result-status'],
        ['Reason', r.reason ? String(r.reason) : undefined, 'result-reason'],
      ]),
      h(
        'p',
        null,
        h('a', { id: 'download-csv', href: `${base}?format=csv`, download: `${task}.csv` }, 'Download CSV'),
        ' · ',
        h('a', { id: 'download-json', href: `${base}?format=json`, download: `${task}.json` }, 'Download JSON'),
      ),
    );
    const tbl = r.table;
    const data = chartData(r.chart, tbl);
    if (data && data.labels.length) {
      root.append(h('h2', null, data.title ? String(data.title) : 'Chart'), barChart(data));
    }
    if (tbl && Array.isArray(tbl.columns)) {
      const columns = tbl.columns.map(String);
      root.append(
        h('h2', null, 'Table'),
        table(
          'result-table',
          null,
          columns,
          (tbl.rows || []).map((row) =>
            h(
              'tr',
              null,
              columns.map((_, i) => {
                const value = rowValue(row, columns, i);
                const numeric = typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(value));
                return h('td', { class: numeric ? 'num' : null }, cellText(value));
              }),
            ),
          ),
          'The table has no rows.',
        ),
      );
    }
    if (r.output !== undefined && r.output !== null) {
      const out = h('details', { open: !tbl }, h('summary', null, 'Full output (JSON)'), pre(prettyJson(r.output), { id: 'result-output' }));
      root.append(out);
    }
  }

  // ------------------------------------------------------------------------------
  // Audit trail

  async function auditPage(root, dataset) {
    setTitle(`Audit trail of ${dataset}`);
    root.append(h('h1', { tabindex: '-1' }, 'Audit trail'), h('p', null, 'Dataset ', datasetLink(dataset)));
    const area = h('div', { id: 'audit-area' });
    root.append(area);
    const afters = [];

    async function show(after) {
      const trail = await query({ op: 'audit_trail', dataset, after, limit: AUDIT_PAGE });
      afters.push(after);
      render(trail || { events: [], next: null });
    }

    function render(trail) {
      const events = trail.events || [];
      const pagerErrors = slot();
      const pager = h('div', { class: 'actions' });
      if (afters.length > 1) {
        const prev = h('button', { type: 'button', id: 'audit-prev' }, 'Previous page');
        prev.addEventListener('click', () =>
          busy(async () => {
            const saved = afters.slice();
            afters.pop();
            const after = afters.pop();
            try {
              await show(after === undefined ? null : after);
            } catch (err) {
              afters.splice(0, afters.length, ...saved);
              showError(pagerErrors, err);
            }
          }),
        );
        pager.append(prev);
      }
      if (trail.next !== null && trail.next !== undefined) {
        const next = h('button', { type: 'button', id: 'audit-next' }, 'Next page');
        next.addEventListener('click', () =>
          busy(async () => {
            try {
              await show(trail.next);
            } catch (err) {
              showError(pagerErrors, err);
            }
          }),
        );
        pager.append(next);
      }
      area.replaceChildren(
        table(
          'audit-events',
          null,
          ['Sequence', 'Time (UTC)', 'Actor', 'Action', 'Subject', 'Released to', 'Receipt'],
          events.map(auditRow),
          'No event.',
        ),
        pager,
        pagerErrors,
      );
    }

    await show(null);
  }

  function auditRow(e) {
    const seq = String(e.sequence);
    const result = h('span', { id: `receipt-${seq}` });
    const where = slot();
    const check = h('button', { type: 'button', dataset: { receipt: seq } }, 'Check receipt');
    check.addEventListener('click', () =>
      busy(async () => {
        clear(where);
        result.textContent = '';
        result.className = '';
        try {
          const r = await api('GET', `/api/receipts/${encodeURIComponent(seq)}`);
          if (r && r.verified) {
            result.textContent = 'verified';
            result.className = 'ok';
          } else {
            result.textContent = `NOT verified: ${(r && r.detail) || 'no detail given'}`;
            result.className = 'bad';
          }
        } catch (err) {
          showError(where, err);
        }
      }),
    );
    const rel = e.released_to;
    const subject = typeof e.subject === 'string' && e.subject.startsWith('task-') ? taskLink(e.subject) : code(e.subject);
    return h(
      'tr',
      { dataset: { sequence: seq } },
      h('td', { class: 'num' }, seq),
      h('td', null, time(e.at_ms)),
      h('td', null, party(e.actor)),
      h('td', null, String(e.action)),
      h('td', null, subject),
      h('td', null, rel ? [`${rel.platform}${rel.insecure ? ' (INSECURE simulation)' : ''}, measurement `, code(rel.measurement)] : dash()),
      h('td', null, check, ' ', result, where),
    );
  }

  // ------------------------------------------------------------------------------
  // Governance

  function thresholdText(t) {
    if (t && t.rule === 'at_least') return `at least ${t.organizations} organizations`;
    if (t && t.rule === 'majority') return 'a majority of the organizations';
    return JSON.stringify(t);
  }

  function utf8Length(text) {
    return new TextEncoder().encode(String(text || '')).length;
  }

  // The change in one line, as ProposedChange::summary writes it.
  function changeSummary(c) {
    if (!c || typeof c !== 'object') return String(c);
    switch (c.change) {
      case 'add_organization':
        return `add organization ${c.msp_id}`;
      case 'remove_node':
        return `remove node ${c.node_id}`;
      case 'remove_organization':
        return `remove organization ${c.msp_id}`;
      case 'revoke_member':
        return `revoke certificate ${String(c.certificate_sha256).slice(0, 16)}…`;
      case 'set_defaults': {
        const parts = [];
        if (c.min_cell_size !== null && c.min_cell_size !== undefined) parts.push(`minimum cell size ${c.min_cell_size}`);
        if (c.epsilon_budget_micro !== null && c.epsilon_budget_micro !== undefined) parts.push(`privacy budget ε ${epsText(c.epsilon_budget_micro)}`);
        if (c.no_privacy_budget) parts.push('no privacy budget');
        return `dataset defaults: ${parts.join(', ')}`;
      }
      case 'set_node_policy':
        return `node policy (${utf8Length(c.policy)} bytes of TOML)`;
      case 'set_recovery':
        return `recovery: any ${c.threshold} of ${(c.members || []).length} (${(c.members || []).join(', ')})`;
      case 'set_threshold':
        return `threshold: ${thresholdText(c.threshold)}`;
      case 'set_worker_policy':
        return `worker policy (${utf8Length(c.policy)} bytes of TOML)`;
      default:
        return c.change ? String(c.change) : JSON.stringify(c);
    }
  }

  function votesText(votes) {
    const yes = (votes || []).filter((v) => v.approve).map((v) => v.msp_id);
    const no = (votes || []).filter((v) => !v.approve).map((v) => v.msp_id);
    return `for: ${yes.length ? yes.join(', ') : 'none'}; against: ${no.length ? no.join(', ') : 'none'}`;
  }

  async function governancePage(root) {
    setTitle('Governance');
    root.append(h('h1', { tabindex: '-1' }, 'Governance'));
    const constitutionSection = h('section', { 'aria-labelledby': 'constitution-heading' }, h('h2', { id: 'constitution-heading' }, 'Constitution'));
    const proposalsSection = h('section', { 'aria-labelledby': 'proposals-heading' }, h('h2', { id: 'proposals-heading' }, 'Open proposals'));
    const closedSection = h('section', { 'aria-labelledby': 'closed-heading' }, h('h2', { id: 'closed-heading' }, 'Decided proposals'));
    const historySection = h('section', { 'aria-labelledby': 'history-heading' }, h('h2', { id: 'history-heading' }, 'History of changes'));
    root.append(constitutionSection, proposalsSection, closedSection, historySection);

    const [constitution, proposals, history] = await Promise.all([
      governanceQuery({ op: 'constitution' }).then((value) => ({ value }), (error) => ({ error })),
      allPages((after) => governanceQuery({ op: 'list_proposals', after, limit: 100 })).then((items) => ({ items }), (error) => ({ error })),
      allPages((after) => governanceQuery({ op: 'history', after, limit: 100 })).then((items) => ({ items }), (error) => ({ error })),
    ]);

    if (constitution.error) constitutionSection.append(errorBox(constitution.error));
    else constitutionSection.append(constitutionView(constitution.value || {}));

    if (proposals.error) {
      proposalsSection.append(errorBox(proposals.error));
      closedSection.append(errorBox(proposals.error));
    } else {
      const open = proposals.items.filter((p) => p.status === 'open');
      const closed = proposals.items.filter((p) => p.status !== 'open');
      proposalsSection.append(
        table(
          'proposals',
          null,
          ['Proposal', 'Change', 'Why', 'Proposer', 'Proposed (UTC)', 'Expires (UTC)', 'Votes', 'My organization’s vote'],
          open.map(openProposalRow),
          'No open proposal.',
        ),
      );
      closedSection.append(
        table(
          'closed-proposals',
          null,
          ['Proposal', 'Change', 'Proposer', 'Status', 'Decided (UTC)', 'Votes', 'Outcome'],
          closed.map((p) =>
            h(
              'tr',
              { dataset: { proposal: p.id } },
              h('td', null, code(p.id)),
              h('td', null, changeSummary(p.change)),
              h('td', null, party(p.proposer)),
              h('td', null, h('span', { class: 'status' }, String(p.status))),
              h('td', null, time(p.decided_at_ms)),
              h('td', null, votesText(p.votes)),
              h('td', null, p.outcome ? String(p.outcome) : dash()),
            ),
          ),
          'No decided proposal.',
        ),
      );
    }

    if (history.error) historySection.append(errorBox(history.error));
    else {
      historySection.append(
        table(
          'history',
          null,
          ['Sequence', 'Took effect (UTC)', 'Proposal', 'Summary', 'Proposer', 'Votes'],
          history.items.map((e) =>
            h(
              'tr',
              { dataset: { sequence: String(e.sequence) } },
              h('td', { class: 'num' }, String(e.sequence)),
              h('td', null, time(e.at_ms)),
              h('td', null, code(e.proposal)),
              h('td', null, String(e.summary || changeSummary(e.change)), e.description ? [h('br'), h('span', { class: 'muted' }, String(e.description))] : null),
              h('td', null, party(e.proposer)),
              h(
                'td',
                null,
                h(
                  'ul',
                  null,
                  (e.votes || []).map((v) =>
                    h('li', null, `${v.msp_id}/${v.name} ${v.approve ? 'for' : 'against'}`, v.sequence !== null && v.sequence !== undefined ? ` (entry ${v.sequence})` : ''),
                  ),
                ),
              ),
            ),
          ),
          'No change took effect yet.',
        ),
      );
    }
  }

  function openProposalRow(p) {
    const where = slot();
    const vote = (approve) => () => ({
      kind: 'governance',
      invocation: { op: 'vote', proposal: p.id, approve },
    });
    return h(
      'tr',
      { dataset: { proposal: p.id } },
      h('td', null, code(p.id)),
      h('td', null, changeSummary(p.change), h('details', null, h('summary', null, 'Full change'), pre(prettyJson(p.change)))),
      h('td', null, p.description ? String(p.description) : dash()),
      h('td', null, party(p.proposer)),
      h('td', null, time(p.proposed_at_ms)),
      h('td', null, time(p.expires_at_ms)),
      h('td', null, votesText(p.votes), `; ${p.required} needed`),
      h(
        'td',
        null,
        actionButton('Vote for', { class: 'primary', dataset: { action: 'vote-yes' } }, vote(true), where),
        actionButton('Vote against', { class: 'danger', dataset: { action: 'vote-no' } }, vote(false), where),
        where,
      ),
    );
  }

  function constitutionView(c) {
    const defaults = c.defaults || {};
    const recovery = c.recovery;
    return h(
      'div',
      { id: 'constitution' },
      table(
        'organizations',
        'Organizations',
        ['Organization', 'Root CA certificate SHA-256'],
        (c.organizations || []).map((o) => h('tr', { dataset: { msp: o.msp_id } }, h('td', null, code(o.msp_id)), h('td', null, code(o.ca_cert_sha256)))),
        'No organization.',
      ),
      facts([
        ['Threshold', thresholdText(c.threshold), 'constitution-threshold'],
        ['Votes a proposal needs now', c.required === undefined ? null : String(c.required), 'constitution-required'],
        ['Default minimum cell size', defaults.min_cell_size === undefined ? null : String(defaults.min_cell_size), null],
        ['Default privacy budget', defaults.epsilon_budget_micro ? `ε ${epsText(defaults.epsilon_budget_micro)}` : 'none', null],
        ['Revoked certificates', (c.revoked || []).length ? codes(c.revoked) : 'none', null],
        ['Retired nodes', (c.retired_nodes || []).length ? c.retired_nodes.join(', ') : 'none', null],
        ['Recovery', recovery ? `any ${recovery.threshold} of ${(recovery.members || []).join(', ')} (version ${recovery.version})` : 'none', null],
        ['Node policy', c.node_policy ? h('details', null, h('summary', null, 'Show (TOML)'), pre(String(c.node_policy))) : 'none: no node may join', null],
        ['Worker policy', c.worker_policy ? h('details', null, h('summary', null, 'Show (TOML)'), pre(String(c.worker_policy))) : 'none: no worker gets a key', null],
      ]),
    );
  }

  // ------------------------------------------------------------------------------

  async function notFoundPage(root) {
    setTitle('Page not found');
    root.append(
      h('h1', { tabindex: '-1' }, 'Page not found'),
      h('p', null, 'There is no page at this address. ', routeLink('node', 'Go to the node page'), '.'),
    );
  }

  window.addEventListener('hashchange', onRoute);
  onRoute();
})();
