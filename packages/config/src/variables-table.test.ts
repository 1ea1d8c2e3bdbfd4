import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { variables } from './index.ts';
import { variablesTable, withVariablesTable } from './variables-table.ts';

describe('the README configuration table', () => {
  it('lists every variable with its default', () => {
    const table = variablesTable();
    for (const name of Object.keys(variables)) expect(table).toContain(`\`${name}\``);
    expect(table).toContain('| `PORT`');
  });

  it('is up to date in README.md (run `npm run docs` after changing a variable)', async () => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(withVariablesTable(readme)).toBe(readme);
  });
});
