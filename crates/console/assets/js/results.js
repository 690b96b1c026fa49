// A task's result: its table, its chart, and downloads.

import { api } from './api.js';
import { code, facts, h, pre, setTitle, svg, table, taskLink } from './dom.js';
import { prettyJson } from './format.js';

function cellText(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function columnIndex(columns, which) {
  if (typeof which === 'number') return which;
  return columns.indexOf(String(which));
}

function rowValue(row, columns, index) {
  if (Array.isArray(row)) return row[index];
  if (row && typeof row === 'object') return row[columns[index]];
  return undefined;
}

// {labels, values, title}; or {label, value} naming columns of the table.
function chartData(chart, tbl) {
  if (!chart || typeof chart !== 'object') return null;
  if (Array.isArray(chart.labels) && Array.isArray(chart.values)) {
    return { labels: chart.labels.map(cellText), values: chart.values.map(Number), title: chart.title };
  }
  if (chart.label !== undefined && chart.value !== undefined && tbl && Array.isArray(tbl.columns)) {
    const columns = tbl.columns.map(String);
    const li = columnIndex(columns, chart.label);
    const vi = columnIndex(columns, chart.value);
    if (li < 0 || vi < 0) return null;
    const rows = tbl.rows || [];
    return {
      labels: rows.map((r) => cellText(rowValue(r, columns, li))),
      values: rows.map((r) => Number(rowValue(r, columns, vi))),
      title: chart.title || `${columns[vi]} by ${columns[li]}`,
    };
  }
  return null;
}

function barChart(data) {
  const n = data.labels.length;
  const title = data.title ? String(data.title) : 'Result chart';
  const barHeight = 22;
  const gap = 8;
  const labelWidth = 180;
  const barArea = 380;
  const valueWidth = 100;
  const width = labelWidth + barArea + valueWidth;
  const height = n * (barHeight + gap) + gap;
  const finite = data.values.map((v) => (Number.isFinite(v) ? v : 0));
  const max = Math.max(1e-12, ...finite.map((v) => Math.abs(v)));
  const el = svg('svg', {
    id: 'result-chart',
    class: 'chart',
    role: 'img',
    'aria-label': `${title}: bar chart of ${n} value${n === 1 ? '' : 's'}`,
    viewBox: `0 0 ${width} ${height}`,
    width: String(width),
    height: String(height),
  });
  el.append(svg('line', { class: 'axis', x1: String(labelWidth), y1: '0', x2: String(labelWidth), y2: String(height) }));
  for (let i = 0; i < n; i += 1) {
    const y = gap + i * (barHeight + gap);
    const raw = data.values[i];
    const v = finite[i];
    const w = Math.max(1, (Math.abs(v) / max) * (barArea - 4));
    const label = data.labels[i];
    const shortLabel = label.length > 24 ? `${label.slice(0, 23)}…` : label;
    const valueText = Number.isFinite(raw) ? String(raw) : 'not a number';
    el.append(
      svg(
        'g',
        null,
        svg('title', null, `${label}: ${valueText}`),
        svg('text', { x: String(labelWidth - 6), y: String(y + barHeight * 0.72), 'text-anchor': 'end' }, shortLabel),
        svg('rect', {
          class: v < 0 ? 'bar negative' : 'bar',
          x: String(labelWidth + 1),
          y: String(y),
          width: w.toFixed(2),
          height: String(barHeight),
        }),
        svg('text', { x: String(labelWidth + w + 6), y: String(y + barHeight * 0.72) }, valueText),
      ),
    );
  }
  return el;
}

export async function resultPage(root, task) {
  setTitle(`Result of ${task}`);
  root.append(h('h1', { tabindex: '-1' }, 'Result of task ', code(task)));
  const base = `/api/results/${encodeURIComponent(task)}`;
  root.append(h('p', null, taskLink(task, 'Task timeline')));
  const r = await api('GET', base);
  root.append(
    facts([
      ['Status', h('span', { class: 'status' }, String(r.status)), 'result-status'],
      ['Reason', r.reason ? String(r.reason) : undefined, 'result-reason'],
    ]),
    h(
      'p',
      null,
      h('a', { id: 'download-csv', href: `${base}?format=csv`, download: `${task}.csv` }, 'Download CSV'),
      ' · ',
      h('a', { id: 'download-json', href: `${base}?format=json`, download: `${task}.json` }, 'Download JSON'),
    ),
  );
  const tbl = r.table;
  const data = chartData(r.chart, tbl);
  if (data && data.labels.length) {
    root.append(h('h2', null, data.title ? String(data.title) : 'Chart'), barChart(data));
  }
  if (tbl && Array.isArray(tbl.columns)) {
    const columns = tbl.columns.map(String);
    root.append(
      h('h2', null, 'Table'),
      table(
        'result-table',
        null,
        columns,
        (tbl.rows || []).map((row) =>
          h(
            'tr',
            null,
            columns.map((_, i) => {
              const value = rowValue(row, columns, i);
              const numeric = typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(value));
              return h('td', { class: numeric ? 'num' : null }, cellText(value));
            }),
          ),
        ),
        'The table has no rows.',
      ),
    );
  }
  if (r.output !== undefined && r.output !== null) {
    const out = h('details', { open: !tbl }, h('summary', null, 'Full output (JSON)'), pre(prettyJson(r.output), { id: 'result-output' }));
    root.append(out);
  }
}
