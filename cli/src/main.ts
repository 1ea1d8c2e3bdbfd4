// The `vought` command. Running vought: `vought start` runs origin, encoder and edge in one process
// on the embedded defaults (or whatever the environment names), sharing one set of adapters (the
// in-process bus and cache only work when shared); `vought token` prints a development JWT;
// `vought cluster` runs the distributed system on one machine. Using it: `vought upload`, `ls`,
// `status`, `rm`, `open` talk to a running vought's API (--url / VOUGHT_URL, --token /
// VOUGHT_TOKEN). Exit codes: 0 ok, 1 failure, 2 usage, 3 encode failed, 4 not found or not
// allowed, 130 interrupted.
import path from 'node:path';
import { loadConfig } from '@vought/config';
import { VIDEO_STATUSES } from '@vought/console/api-client';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ApiClient, CliError, EXIT } from './api-client.ts';
import { configDir } from './url-storage.ts';

const DEFAULT_URL = 'http://127.0.0.1:8080';

const io = {
  out: (line: string) => process.stdout.write(`${line}\n`),
  err: (line: string) => process.stderr.write(`${line}\n`),
  tty: Boolean(process.stdout.isTTY),
};

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number above 0');
  return n;
};
const positiveNumber = (value: string) => {
  const n = Number(value);
  if (!(n > 0)) throw new InvalidArgumentError('must be a number above 0');
  return n;
};

interface ClientFlags {
  url: string;
  token?: string | undefined;
}

/** --url and --token (or VOUGHT_URL and VOUGHT_TOKEN) on every command that talks to the API. */
function withClient(command: Command): Command {
  return command
    .addOption(new Option('--url <url>', 'vought origin (or edge) to talk to').env('VOUGHT_URL').default(DEFAULT_URL))
    .addOption(new Option('--token <token>', 'API token (editor or admin to upload and delete)').env('VOUGHT_TOKEN'));
}
const clientOf = (flags: ClientFlags) => new ApiClient(flags.url, flags.token || undefined);

function build(setCode: (code: number) => void): Command {
  const program = new Command('vought')
    .description('Upload a video once; play it anywhere.')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) })
    .addHelpText(
      'after',
      `
Exit codes: 0 ok, 1 failure, 2 usage, 3 encode failed, 4 not found or not allowed, 130 interrupted.

Examples:
  npm start                                   # or: vought start
  export VOUGHT_TOKEN=$(npx vought token --role editor)
  vought upload talk.mp4 --tags conference --wait
  vought ls bunny
  vought open <id>`,
    );

  /** A command that runs services (start, cluster): its module, and what that imports, loaded only when chosen. */
  const services = (name: string, description: string, run: () => Promise<void>, code: number) =>
    program
      .command(name)
      .description(description)
      .action(async () => {
        await run();
        setCode(code);
      });

  // -1: keeps running
  services(
    'start',
    'run origin, encoder and edge (embedded defaults unless configured)',
    async () => (await import('./start-command.ts')).startAll(),
    -1,
  );

  program
    .command('token')
    .description("print a development JWT signed with the data directory's key")
    .option('--role <role>', 'admin, editor or viewer')
    .option('--sub <id>', 'subject (user id) of the token')
    .option('--ttl <seconds>', 'lifetime in seconds (default 12 h)')
    .action(async (options: { role?: string; sub?: string; ttl?: string }) => {
      const { printToken } = await import('./token-command.ts');
      setCode(await printToken(loadConfig(), options));
    });

  services(
    'cluster',
    'run 2 origins, 2 encoders, a shield and 2 edges on local Redis, NATS, PostgreSQL and an S3 server (npm run cluster)',
    async () => (await import('./cluster-command.ts')).runCluster(),
    0,
  );

  withClient(
    program
      .command('upload')
      .description('upload video files (resumable: run the same command again after Ctrl-C to continue)')
      .argument('<file...>', 'video files')
      .option('--title <title>', 'title (default: from the file name)')
      .option('--tags <tags>', 'comma-separated tags')
      .option('--private', 'only you (and admins) can see and play it')
      .option('--encryption <schemes>', 'deliver encrypted only, with these schemes (comma-separated: aes-128, sample-aes, cenc, cbcs)')
      .addOption(new Option('--rotate <segments>', 'with --encryption: a new key every this many segments').argParser(positiveNumber))
      .option('--wait', 'follow the encode until the video is ready (exit 3 if it fails)')
      .option('--json', 'print {"id","status","hls","dash"} per file, one line each')
      .addOption(new Option('--chunk-size <MiB>', 'size of each upload request').argParser(positiveNumber).default(8)),
  ).action(
    async (
      files: string[],
      options: ClientFlags & {
        title?: string;
        tags?: string;
        private?: boolean;
        encryption?: string;
        rotate?: number;
        wait?: boolean;
        json?: boolean;
        chunkSize: number;
      },
    ) => {
      const { runUpload } = await import('./upload-command.ts');
      const controller = new AbortController();
      const onSignal = () => {
        if (controller.signal.aborted) process.exit(EXIT.interrupted); // a second Ctrl-C: now
        io.err('\nvought upload: stopping… (run the same command again to continue where it stopped)');
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        setCode(
          await runUpload(files, options, {
            client: clientOf(options),
            storageFile: path.join(configDir(process.env.XDG_CONFIG_HOME), 'uploads.json'),
            tty: Boolean(process.stderr.isTTY),
            out: io.out,
            err: io.err,
            signal: controller.signal,
          }),
        );
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    },
  );

  withClient(
    program
      .command('ls')
      .description('list and search videos (public ones, or yours with --mine)')
      .argument('[query]', 'full-text search over title, description and tags')
      .option('--tag <tag>', 'only videos with this tag')
      .addOption(new Option('--status <status>', 'only videos in this state').choices(VIDEO_STATUSES))
      .option('--mine', 'your videos, private ones included')
      .addOption(new Option('--limit <n>', 'at most this many').argParser(positiveInt).default(50))
      .option('--json', 'print a JSON array'),
  ).action(
    async (
      query: string | undefined,
      options: ClientFlags & { tag?: string; status?: string; mine?: boolean; limit: number; json?: boolean },
    ) => {
      const { runList } = await import('./video-commands.ts');
      setCode(await runList(clientOf(options), query, options, io));
    },
  );

  withClient(
    program
      .command('status')
      .description("a video's state, renditions and URLs (exit 3 if its encode failed)")
      .argument('<id>', 'video id')
      .option('--json', 'print JSON'),
  ).action(async (id: string, options: ClientFlags & { json?: boolean }) => {
    const { runStatus } = await import('./video-commands.ts');
    setCode(await runStatus(clientOf(options), id, options, io));
  });

  withClient(program.command('rm').description('delete videos: everything stored and cached').argument('<id...>', 'video ids')).action(
    async (ids: string[], options: ClientFlags) => {
      const { runRemove } = await import('./video-commands.ts');
      setCode(await runRemove(clientOf(options), ids, io));
    },
  );

  withClient(
    program
      .command('open')
      .description("print a video's watch page URL (and open it in the browser on a terminal)")
      .argument('<id>', 'video id'),
  ).action(async (id: string, options: ClientFlags) => {
    const { runOpen } = await import('./video-commands.ts');
    setCode(await runOpen(clientOf(options), id, io));
  });

  return program;
}

async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = build((c) => {
    code = c;
  });
  if (argv.length === 0) {
    process.stderr.write(program.helpInformation());
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    // --help and --version end with exit code 0; every other commander error is a usage error
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof CliError) {
      io.err(`vought: ${error.message}`);
      return error.exitCode;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: Error) => {
    console.error(`vought: ${error.message}`);
    process.exitCode = EXIT.failure;
  },
);
