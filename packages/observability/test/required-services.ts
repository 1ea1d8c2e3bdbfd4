// Tests of real adapters run against the real servers on this machine. Outside CI a missing server
// skips them, saying why; with CI=true it fails them, so a green CI never means "nothing ran".
import net from 'node:net';

export function reachable(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** False when `name` answers on `port`; else the reason to skip (and a throw when CI=true). */
export async function skipUnlessServer(port: number, name: string, tests: string): Promise<string | false> {
  if (await reachable(port)) return false;
  const reason = `${name} is not reachable on 127.0.0.1:${port}`;
  if (process.env.CI === 'true') throw new Error(`${reason} and CI=true: the ${tests} must run`);
  console.warn(`skipping ${tests}: ${reason}`);
  return reason;
}

/** A port nothing listens on now (for a service a test starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A child process's combined output so far, and its exit code once it exits. */
export function watchChild(child: import('node:child_process').ChildProcess): { log: () => string; exited: Promise<number | null> } {
  let log = '';
  child.stdout?.on('data', (d) => {
    log += d;
  });
  child.stderr?.on('data', (d) => {
    log += d;
  });
  return { log: () => log, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}
