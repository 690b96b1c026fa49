// My datasets: register, change, withdraw.

import { CATALOG_PAGE, query } from './api.js';
import { code, datasetLink, errorBox, h, routeLink, setTitle, slot, table, tags, time } from './dom.js';
import { budgetText, bytes, KINDS } from './format.js';
import { checkbox, field, form, optionalInt, optionalNumber, splitList } from './forms.js';
import { actionButton, sign } from './sign.js';
import { uploadFile } from './uploads.js';
import { requireNode } from './whoami.js';

// docs/console.md names both the action's tag and the dataset's kind `kind` in
// register_dataset; one JSON object cannot hold both, so the dataset's kind travels
// under this name.
const REGISTER_KIND_FIELD = 'dataset_kind';

export async function myDatasetsPage(root) {
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
