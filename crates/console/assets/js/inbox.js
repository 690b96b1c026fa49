// Inbox: requests and tasks awaiting my organization.

import { compact, paged, requestsPage50, tasksPage50 } from './api.js';
import { code, codes, datasetLink, h, setTitle, slot, table, taskLink, time } from './dom.js';
import { party, rowsText } from './format.js';
import { actionButton } from './sign.js';
import { taskInputsTable, taskScope } from './task.js';
import { requireNode } from './whoami.js';

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

export async function inboxPage(root) {
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
