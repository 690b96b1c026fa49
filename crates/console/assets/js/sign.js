// Signing: prepare, show what will be signed, then commit.
//
// The browser holds no key: every change goes through this flow (POST /api/prepare,
// shown to the member, then POST /api/commit).

import { api } from './api.js';
import { clear, code, datasetLink, h, pre, showError, slot, taskLink } from './dom.js';
import { party, prettyJson } from './format.js';
import { busy, refresh, view } from './view.js';
import { loadNode, updateBanner } from './whoami.js';

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
export async function sign(action, where, opener) {
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
export function actionButton(label, props, makeAction, where) {
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
