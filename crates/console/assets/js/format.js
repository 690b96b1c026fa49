// How values read on the page, as text: JSON, times, members, ε, sizes, row ranges,
// privacy budgets, and the kinds of dataset.

export function prettyJson(value) {
  return JSON.stringify(value, null, 2);
}

export function iso(ms) {
  if (ms === null || ms === undefined) return null;
  const date = new Date(Number(ms));
  if (Number.isNaN(date.getTime())) return String(ms);
  return date.toISOString();
}

export function party(p) {
  if (!p) return '—';
  if (typeof p === 'string') return p;
  const who = `${p.msp_id}/${p.name}`;
  return p.role ? `${who} (${p.role})` : who;
}

export function epsText(micro) {
  if (micro === null || micro === undefined) return null;
  const n = Number(micro);
  const whole = Math.floor(n / 1e6);
  const fraction = n % 1e6;
  if (!fraction) return String(whole);
  return `${whole}.${String(fraction).padStart(6, '0').replace(/0+$/, '')}`;
}

export function bytes(n) {
  if (n === null || n === undefined) return '—';
  const value = Number(n);
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = value;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return i === 0 ? `${value} bytes` : `${v.toFixed(1)} ${units[i]} (${value} bytes)`;
}

export function rowsText(range) {
  if (!range) return 'all rows';
  return `rows from ${iso(range.from_ms)} up to ${iso(range.to_ms)} (exclusive)`;
}

export function budgetText(summary) {
  if (summary.epsilon_budget_micro === undefined || summary.epsilon_budget_micro === null) return undefined;
  const spent = summary.epsilon_spent_micro;
  return `ε ${epsText(summary.epsilon_budget_micro)}${spent !== undefined && spent !== null ? `, ε ${epsText(spent)} reserved or spent` : ''}`;
}

// The kinds of dataset, with the words the forms show for them.
export const KINDS = [
  ['blob', 'Blob (opaque files)'],
  ['csv', 'CSV tables'],
  ['parquet', 'Parquet tables'],
  ['vcf', 'VCF genomes'],
];
