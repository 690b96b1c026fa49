// My requests and tasks, and the form to request an analysis.

import { listAlgorithms, paged, requestsPage50, tasksPage50 } from './api.js';
import { code, codes, dash, datasetLink, errorBox, h, routeLink, setTitle, table, taskLink, time } from './dom.js';
import { party, rowsText } from './format.js';
import { checkbox, field, form, optionalNumber, splitList } from './forms.js';
import { sign } from './sign.js';

export async function requestsPage(root) {
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
