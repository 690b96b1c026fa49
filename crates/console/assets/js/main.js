// strongroom console: the browser side. This is its entry: the routes, each to its
// page, drawn at every change of the address's #.
//
// Everything the node sends is untrusted text: it only ever reaches the page through
// textContent and attributes set by the `h()` builder, never through innerHTML.
// The browser holds no key: every change goes through the signing flow
// (POST /api/prepare, shown to the member, then POST /api/commit).

import { auditPage } from './audit.js';
import { catalogPage } from './catalog.js';
import { datasetPage } from './dataset.js';
import { myDatasetsPage } from './datasets.js';
import { h, routeLink, setTitle } from './dom.js';
import { governancePage } from './governance.js';
import { inboxPage } from './inbox.js';
import { nodePage } from './node.js';
import { requestsPage } from './requests.js';
import { resultPage } from './results.js';
import { taskPage } from './task.js';
import { busy, navEl, pageEl, runPage, view } from './view.js';
import { showBanner } from './whoami.js';

const ROUTES = [
  { re: /^#\/node$/, nav: 'node', page: nodePage },
  { re: /^#\/catalog$/, nav: 'catalog', page: catalogPage },
  { re: /^#\/datasets\/([^/]+)$/, nav: 'catalog', page: datasetPage },
  { re: /^#\/my-datasets$/, nav: 'my-datasets', page: myDatasetsPage },
  { re: /^#\/inbox$/, nav: 'inbox', page: inboxPage },
  { re: /^#\/requests$/, nav: 'requests', page: requestsPage },
  { re: /^#\/tasks\/([^/]+)$/, nav: 'requests', page: taskPage },
  { re: /^#\/results\/([^/]+)$/, nav: 'requests', page: resultPage },
  { re: /^#\/audit\/([^/]+)$/, nav: 'my-datasets', page: auditPage },
  { re: /^#\/governance$/, nav: 'governance', page: governancePage },
];

function matchRoute(hash) {
  for (const route of ROUTES) {
    const m = route.re.exec(hash);
    if (m) {
      let arg = null;
      if (m[1] !== undefined) {
        try {
          arg = decodeURIComponent(m[1]);
        } catch (_) {
          arg = m[1];
        }
      }
      return { route, arg };
    }
  }
  return { route: { nav: null, page: notFoundPage }, arg: null };
}

function markNav(key) {
  for (const a of navEl.querySelectorAll('a[data-nav]')) {
    if (a.dataset.nav === key) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function onRoute() {
  const hash = location.hash;
  if (hash === '' || hash === '#' || hash === '#/') {
    history.replaceState(null, '', '#/node');
  }
  const match = matchRoute(location.hash);
  view.gen += 1;
  view.pending = 0;
  view.started = performance.now();
  view.match = match;
  pageEl.dataset.ready = '0';
  markNav(match.route.nav);

  const active = document.activeElement;
  const moveFocus = !view.first && (!active || active === document.body || navEl.contains(active) || !active.isConnected);
  view.first = false;

  const content = h('div', { id: 'page-content' });
  const loading = h('p', { class: 'loading', role: 'status' }, 'Loading…');
  view.signArea = h('div', { id: 'sign-area' });
  pageEl.replaceChildren(content, loading, view.signArea);
  const gen = view.gen;
  busy(async () => {
    await showBanner();
    await runPage(match, content);
    loading.remove();
    if (moveFocus && gen === view.gen) {
      const h1 = content.querySelector('h1');
      if (h1) h1.focus();
    }
  });
}

async function notFoundPage(root) {
  setTitle('Page not found');
  root.append(
    h('h1', { tabindex: '-1' }, 'Page not found'),
    h('p', null, 'There is no page at this address. ', routeLink('node', 'Go to the node page'), '.'),
  );
}

window.addEventListener('hashchange', onRoute);
onRoute();
