// One task: what it may do, its inputs and their approvals, and its timeline.

import { query } from './api.js';
import { code, codes, datasetLink, facts, h, pre, routeLink, setTitle, table, time } from './dom.js';
import { bytes, epsText, party, prettyJson, rowsText } from './format.js';

function modeText(mode) {
  if (mode === 'tee') return 'TEE: in an attested worker';
  if (mode === 'owner_side') return 'owner side: on the data owner’s own analyzer';
  return String(mode);
}

// Everything that defines what a task may do, as the owners approve it.
export function taskScope(t) {
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

export function taskInputsTable(t) {
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

export async function taskPage(root, id) {
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
