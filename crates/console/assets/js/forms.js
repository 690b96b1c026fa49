// Forms: labelled fields and checkboxes, reading what was typed, and submitting as the
// page's work.

import { clear, h, showError, slot } from './dom.js';
import { busy } from './view.js';

export function field(id, label, control, hint) {
  const hintId = hint ? `${id}-hint` : null;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    hint ? h('span', { class: 'hint', id: hintId }, hint) : null,
    control,
  );
}

export function checkbox(id, label, checked) {
  const box = h('input', { type: 'checkbox', id, checked: !!checked });
  return { box, el: h('div', { class: 'check' }, box, h('label', { for: id }, label)) };
}

export function splitList(text) {
  return String(text || '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function optionalInt(input, what) {
  const text = input.value.trim();
  if (text === '') return null;
  if (!/^\d+$/.test(text)) throw new Error(`${what} must be a whole number.`);
  return Number(text);
}

export function optionalNumber(input, what) {
  const text = input.value.trim();
  if (text === '') return null;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${what} must be a number, 0 or more.`);
  return n;
}

export function dateMs(input) {
  const text = input.value.trim();
  if (text === '') return null;
  const ms = Date.parse(`${text}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new Error(`${text} is not a date.`);
  return ms;
}

// A <form> whose submit runs `handler(where)` as page work; errors go to `where`.
export function form(props, children, handler) {
  const where = slot();
  const el = h('form', Object.assign({ novalidate: true }, props), children, where);
  el.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(async () => {
      clear(where);
      try {
        await handler(where, el);
      } catch (err) {
        showError(where, err);
      }
    });
  });
  return el;
}
