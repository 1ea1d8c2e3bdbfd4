// The README's configuration table, generated from `variables` so the two cannot drift:
// `npm run docs` rewrites it between its markers, and a test fails when the README is stale.
import { variables } from './index.ts';

export const TABLE_BEGIN = '<!-- config-table:begin (npm run docs) -->';
export const TABLE_END = '<!-- config-table:end -->';

export function variablesTable(): string {
  const rows = Object.entries(variables).map(([name, spec]) => [
    `\`${name}\``,
    spec.doc,
    spec.default === undefined ? '—' : `\`${spec.default}\``,
  ]);
  const header = ['variable', 'meaning', 'default'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** The document with its table (between the markers) regenerated. */
export function withVariablesTable(document: string): string {
  const begin = document.indexOf(TABLE_BEGIN);
  const end = document.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`the document has no ${TABLE_BEGIN} ... ${TABLE_END} markers`);
  return `${document.slice(0, begin + TABLE_BEGIN.length)}\n\n${variablesTable()}\n\n${document.slice(end)}`;
}
