// The `vought` command. `vought start` runs origin, encoder and edge in one process on the embedded
// defaults (or whatever the environment names), sharing one set of adapters: the in-process bus
// and cache only work when shared. `vought token --role ROLE [--sub ID]` prints a development JWT.
import { parseArgs } from 'node:util';
import { loadConfig } from '@vought/config';

const usage = `usage:
  vought start                                  run origin, encoder and edge (embedded defaults unless configured)
  vought token --role admin|editor|viewer [--sub ID] [--ttl SECONDS]
                                                print a development JWT signed with the data directory's key
  vought cluster                                run 2 origins, 2 encoders, a shield and 2 edges on local Redis,
                                                NATS, PostgreSQL and an S3 server (npm run cluster)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start': {
      const { startAll } = await import('./start-command.ts');
      await startAll();
      return -1; // keeps running
    }
    case 'cluster': {
      const { runCluster } = await import('./cluster-command.ts');
      await runCluster();
      return 0;
    }
    case 'token': {
      const { values } = parseArgs({
        args: rest,
        options: { role: { type: 'string' }, sub: { type: 'string' }, ttl: { type: 'string' } },
        strict: true,
      });
      const { printToken } = await import('./token-command.ts');
      return printToken(loadConfig(), values);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.error(usage);
      return command === undefined ? 2 : 0;
    default:
      console.error(`vought: unknown command '${command}'\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: Error & { code?: string }) => {
    console.error(`vought: ${error.message}`);
    process.exitCode = error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? 2 : 1;
  },
);
