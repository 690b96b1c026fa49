// The catalog: search, a page of datasets at a time.

import { CATALOG_PAGE, query } from './api.js';
import { clear, code, datasetLink, h, setTitle, showError, slot, table, tags, time } from './dom.js';
import { bytes, KINDS } from './format.js';
import { field, form, splitList } from './forms.js';
import { busy } from './view.js';

export async function catalogPage(root) {
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
