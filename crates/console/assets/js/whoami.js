// Who I am, and the INSECURE banner on every page.

import { api } from './api.js';
import { h } from './dom.js';
import { party } from './format.js';

let node = null;

export async function loadNode() {
  node = await api('GET', '/api/node');
  showWhoami();
  return node;
}

function showWhoami() {
  const who = document.getElementById('whoami');
  if (!who) return;
  if (node && node.member) {
    who.textContent = `Signed in as ${party(node.member)}`;
  } else {
    who.textContent = '';
  }
}

export async function showBanner() {
  if (!node) {
    try {
      await loadNode();
    } catch (_) {
      // The page says what is wrong; the banner waits for the next page.
    }
  }
  updateBanner();
}

export function updateBanner() {
  const header = document.getElementById('top');
  const old = document.getElementById('insecure-banner');
  const att = node && node.attestation;
  if (!att || !att.insecure) {
    if (old) old.remove();
    return;
  }
  const text =
    'INSECURE SIMULATION: the node runs on a simulated platform with no hardware protection. ' +
    'Its attestation proves nothing; do not share real data with it.';
  if (old) {
    if (old.textContent !== text) old.textContent = text;
    return;
  }
  header.append(h('div', { id: 'insecure-banner', role: 'alert' }, text));
}

export async function requireNode() {
  if (!node) await loadNode();
  return node;
}
