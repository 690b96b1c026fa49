// The page shown now: its readiness (`#page` data-ready and `window.strongroomRender`,
// for the browser tests), the work it is doing, and drawing it again.

import { errorBox, h, setTitle } from './dom.js';

export const pageEl = document.getElementById('page');
export const navEl = document.querySelector('nav[aria-label="Main"]');
export const view = { gen: 0, pending: 0, started: 0, match: null, signArea: null, first: true };

function markReady() {
  pageEl.dataset.ready = '1';
  window.strongroomRender = { route: location.hash, ms: performance.now() - view.started };
}

// Runs `fn` as work of the current page: data-ready is '0' until all such work ends.
export function busy(fn) {
  const gen = view.gen;
  if (view.pending === 0 && pageEl.dataset.ready === '1') view.started = performance.now();
  view.pending += 1;
  pageEl.dataset.ready = '0';
  return Promise.resolve()
    .then(fn)
    .catch((err) => {
      // Handlers show their own errors; this only keeps a bug visible.
      if (gen === view.gen) pageEl.append(errorBox(err));
    })
    .finally(() => {
      if (gen !== view.gen) return;
      view.pending -= 1;
      if (view.pending === 0) markReady();
    });
}

export async function runPage(match, root) {
  try {
    await match.route.page(root, match.arg);
  } catch (err) {
    if (!root.querySelector('h1')) {
      setTitle('Error');
      root.prepend(h('h1', { tabindex: '-1' }, 'Something went wrong'));
    }
    root.append(errorBox(err));
  }
}

// Renders the current page again (after a change was recorded), in place.
export async function refresh() {
  const gen = view.gen;
  const fresh = h('div', { id: 'page-content' });
  await runPage(view.match, fresh);
  if (gen !== view.gen) return;
  const old = pageEl.querySelector('#page-content');
  if (old) old.replaceWith(fresh);
  else pageEl.prepend(fresh);
}
