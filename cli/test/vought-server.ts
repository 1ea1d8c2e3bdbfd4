// `vought start` for end-to-end tests: origin, encoder and edge on free ports of 127.0.0.1 and the
// test's data directory, and development tokens signed with its key. Used by the CLI's tests and
// by the console's (console/test/console.test.ts imports this file, as it runs cli/src/main.ts).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const main = path.resolve(import.meta.dirname, '../src/main.ts');

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** What a child process writes to stdout and stderr (piped), so far. */
export function outputOf(child: ChildProcess): { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  child.stdout?.on('data', (chunk) => out.push(String(chunk)));
  child.stderr?.on('data', (chunk) => err.push(String(chunk)));
  return { out: () => out.join(''), err: () => err.join('') };
}

export interface RunningVought {
  /** The origin, http://127.0.0.1:<port>. */
  url: string;
  /** A development token (`vought token --role ROLE --sub SUB`). */
  token(role: string, sub: string): Promise<string>;
  /** SIGTERM, then waits until it has exited. */
  stop(): Promise<void>;
}

/** Starts `vought start` on `dataDir` (plus `env`) and waits until it says it is running (60 s at most). */
export async function startVought(dataDir: string, env: Record<string, string> = {}): Promise<RunningVought> {
  const [origin, edge, encoder] = [await freePort(), await freePort(), await freePort()];
  const serverEnv = {
    ...process.env,
    VOUGHT_DATA_DIR: dataDir,
    PORT: String(origin),
    EDGE_PORT: String(edge),
    ENCODER_PORT: String(encoder),
    VOUGHT_HOST: '127.0.0.1',
    VOUGHT_LOG_LEVEL: 'warn',
    ...env,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'start'], { env: serverEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = outputOf(child);
  const running = () => output.out().includes('vought is running');
  const stop = async () => {
    child.kill('SIGTERM');
    if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
  };
  const deadline = Date.now() + 60_000;
  while (!running() && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
  if (!running()) {
    await stop();
    throw new Error(`vought start did not come up:\n${output.out()}${output.err()}`);
  }
  return {
    url: `http://127.0.0.1:${origin}`,
    token: async (role, sub) =>
      (await run(process.execPath, ['--import', 'tsx', main, 'token', '--role', role, '--sub', sub], { env: serverEnv })).stdout.trim(),
    stop,
  };
}
