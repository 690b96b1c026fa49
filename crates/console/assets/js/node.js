// The node page: who I am, the node, its attestation and its ledger.

import { code, facts, h, setTitle } from './dom.js';
import { loadNode, updateBanner } from './whoami.js';

export async function nodePage(root) {
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
