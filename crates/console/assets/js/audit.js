// A dataset's audit trail, with a check of each entry's receipt.

import { api, query } from './api.js';
import { clear, code, dash, datasetLink, h, setTitle, showError, slot, table, taskLink, time } from './dom.js';
import { party } from './format.js';
import { busy } from './view.js';

const AUDIT_PAGE = 100;

export async function auditPage(root, dataset) {
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
