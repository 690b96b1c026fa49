// One dataset: what the catalog says of it, and the form to request access.

import { listAlgorithms, query } from './api.js';
import { code, codes, dash, errorBox, facts, h, routeLink, setTitle, table, tags, time } from './dom.js';
import { budgetText, bytes, party } from './format.js';
import { checkbox, dateMs, field, form, splitList } from './forms.js';
import { sign } from './sign.js';

function genomeText(g) {
  if (!g) return null;
  const contigs = g.contigs || [];
  const shown = contigs.slice(0, 12).join(', ');
  return `${g.samples} samples, ${g.records} records, ${contigs.length} contigs${contigs.length ? `: ${shown}${contigs.length > 12 ? ', …' : ''}` : ''}`;
}

export async function datasetPage(root, id) {
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
