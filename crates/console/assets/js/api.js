// The console API: JSON calls, the node's queries, and lists that come in pages.

import { errorBox, h } from './dom.js';
import { ApiError, apiErrorFrom } from './errors.js';
import { busy } from './view.js';

// Items a catalog page shows at once.
export const CATALOG_PAGE = 50;
// Items asked for at once when a whole list is read, and pages read at most.
const LIST_LIMIT = 100;
const MAX_PAGES = 50;

export async function api(method, path, body) {
  const options = {
    method,
    credentials: 'same-origin',
    headers: { 'X-Strongroom-Console': '1', Accept: 'application/json' },
  };
  if (body !== undefined) {
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const text = await response.text();
  if (!response.ok) throw apiErrorFrom(response.status, response.statusText, text);
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch (_) {
    throw new ApiError('The console answered something that is not JSON.', response.status);
  }
}

// Query fields that are null or undefined are left out.
export function compact(object) {
  const out = {};
  for (const [k, v] of Object.entries(object)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

export function query(q) {
  return api('POST', '/api/query', { query: compact(q) });
}

export function governanceQuery(q) {
  return api('POST', '/api/governance/query', { query: compact(q) });
}

// Every item of a paged list ({items, next}), following `next`.
export async function allPages(fetchPage) {
  const items = [];
  let after = null;
  for (let i = 0; i < MAX_PAGES; i += 1) {
    const page = await fetchPage(after);
    items.push(...((page && page.items) || []));
    if (!page || page.next === null || page.next === undefined) break;
    after = page.next;
  }
  return items;
}

export function listAlgorithms() {
  return allPages((after) => query({ op: 'list_algorithms', after, limit: LIST_LIMIT }));
}

// Items a listing page shows at once: long lists page, so a page draws quickly.
const LIST_PAGE = 50;

// One page of a listing, with a "Next page" button while there are more:
// `fetchPage(after)` answers {items, next}; `show(items)` answers what to draw.
export async function paged(container, nextId, fetchPage, show) {
  const load = async (after) => {
    container.replaceChildren();
    try {
      const page = await fetchPage(after);
      container.append(show(page.items || []));
      if (page.next !== null && page.next !== undefined) {
        container.append(
          h('button', { type: 'button', id: nextId, onclick: () => busy(() => load(page.next)) }, 'Next page'),
        );
      }
    } catch (err) {
      container.append(errorBox(err));
    }
  };
  await load(null);
}

export function requestsPage50(after) {
  return query({ op: 'list_my_requests', after, limit: LIST_PAGE });
}

export function tasksPage50(after) {
  return query({ op: 'list_my_tasks', after, limit: LIST_PAGE });
}
