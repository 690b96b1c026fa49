// Governance: the constitution, proposals and votes, and the history of changes.

import { allPages, governanceQuery } from './api.js';
import { code, codes, dash, errorBox, facts, h, pre, setTitle, slot, table, time } from './dom.js';
import { epsText, party, prettyJson } from './format.js';
import { actionButton } from './sign.js';

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
    case 'add_node':
      return `add node ${c.node_id}`;
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
    case 'set_node_admission':
      return c.by_vote ? 'node admission: only node ids admitted by vote join' : 'node admission: each organization adds its own nodes';
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

export async function governancePage(root) {
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
      ['Node admission', c.nodes_admitted_by_vote ? `by vote; admitted: ${(c.admitted_nodes || []).length ? c.admitted_nodes.join(', ') : 'none'}` : 'each organization adds its own nodes', null],
      ['Retired nodes', (c.retired_nodes || []).length ? c.retired_nodes.join(', ') : 'none', null],
      ['Recovery', recovery ? `any ${recovery.threshold} of ${(recovery.members || []).join(', ')} (version ${recovery.version})` : 'none', null],
      ['Node policy', c.node_policy ? h('details', null, h('summary', null, 'Show (TOML)'), pre(String(c.node_policy))) : 'none: no node may join', null],
      ['Worker policy', c.worker_policy ? h('details', null, h('summary', null, 'Show (TOML)'), pre(String(c.worker_policy))) : 'none: no worker gets a key', null],
    ]),
  );
}
