// Building the page.
//
// Everything the node sends is untrusted text: it only ever reaches the page through
// textContent and attributes set by the `h()` builder, never through innerHTML.

import { messageOf } from './errors.js';
import { iso } from './format.js';

const APP = 'strongroom console';

function appendAll(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) appendAll(el, child);
    else if (child instanceof Node) el.append(child);
    else el.append(document.createTextNode(String(child)));
  }
}

function setProps(el, props) {
  if (!props) return;
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.setAttribute('class', value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
}

// An HTML element: h('a', {href: '#/node'}, 'Node'). Strings become text nodes.
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  appendAll(el, children);
  return el;
}

// An SVG element, built the same way.
export function svg(tag, props, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  setProps(el, props);
  appendAll(el, children);
  return el;
}

export function code(text) {
  if (text === null || text === undefined || text === '') return dash();
  const value = String(text);
  // Long hex (hashes, keys) may break anywhere; ids stay whole where they can.
  return h('code', { class: value.length > 24 ? 'id hash' : 'id' }, value);
}

export function dash() {
  return h('span', { class: 'muted' }, '—');
}

export function pre(text, props) {
  // Focusable, since it may scroll.
  return h('pre', Object.assign({ tabindex: '0' }, props || {}), text);
}

export function time(ms, fallback) {
  const text = iso(ms);
  if (text === null) return fallback === undefined ? dash() : fallback;
  return h('time', { datetime: text }, text);
}

export function tags(list) {
  if (!list || list.length === 0) return dash();
  return list.map((item) => h('span', { class: 'tag' }, String(item)));
}

export function codes(list) {
  if (!list || list.length === 0) return dash();
  return list.map((item, i) => [i ? ', ' : null, code(item)]);
}

// A <dl> of [term, value, id] triples; rows whose value is undefined are left out.
export function facts(rows) {
  const dl = h('dl', { class: 'facts' });
  for (const [term, value, id] of rows) {
    if (value === undefined) continue;
    dl.append(h('dt', null, term), h('dd', { id }, value === null ? dash() : value));
  }
  return dl;
}

// A table with a header row; `rows` are <tr> elements.
export function table(id, caption, columns, rows, empty) {
  const body = h('tbody');
  if (rows.length === 0) {
    body.append(h('tr', null, h('td', { class: 'empty', colspan: String(columns.length) }, empty || 'Nothing to show.')));
  } else {
    appendAll(body, rows);
  }
  return h(
    'table',
    { id },
    caption ? h('caption', null, caption) : null,
    h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col' }, c)))),
    body,
  );
}

// Where an error of a control or a section shows, right after it.
export function slot() {
  return h('div', { class: 'slot' });
}

export function errorBox(err) {
  return h('div', { class: 'error', role: 'alert' }, messageOf(err));
}

export function showError(where, err) {
  where.replaceChildren(errorBox(err));
}

export function clear(where) {
  where.replaceChildren();
}

export function setTitle(text) {
  document.title = `${text} · ${APP}`;
}

export function routeLink(path, text, props) {
  return h('a', Object.assign({ href: `#/${path}` }, props || {}), text);
}

export function datasetLink(id, text) {
  return routeLink(`datasets/${encodeURIComponent(id)}`, text === undefined ? code(id) : text);
}

export function taskLink(id, text) {
  return routeLink(`tasks/${encodeURIComponent(id)}`, text === undefined ? code(id) : text);
}
