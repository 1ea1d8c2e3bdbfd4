// `npm run docs`: regenerates the README's configuration table from `variables`.
import { readFile, writeFile } from 'node:fs/promises';
import { withVariablesTable } from './variables-table.ts';

const readme = new URL('../../../README.md', import.meta.url);
await writeFile(readme, withVariablesTable(await readFile(readme, 'utf8')));
process.stdout.write('README.md: configuration table regenerated\n');
