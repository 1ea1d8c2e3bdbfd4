// ffmpeg and ffprobe must not outlive the encoder that started them: a SIGKILLed encoder (OOM
// killer, a node dying) would otherwise leave ffmpeg encoding for nobody beside the redelivered
// job. Node cannot set a child's parent-death signal itself, so on Linux the child is started
// through util-linux's `setpriv --pdeathsig SIGKILL`, which sets PR_SET_PDEATHSIG and execs it.
// Scratch directories carry the encoder's pid, so one started later removes a dead encoder's.
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

const SETPRIV = '/usr/bin/setpriv';
const available = process.platform === 'linux' && existsSync(SETPRIV);

/** The command and arguments that run `command` so that it dies with this process. */
export function tiedToThisProcess(command: string, args: string[]): [string, string[]] {
  return available ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', command, ...args]] : [command, args];
}

/** The scratch directory name of a job attempt: ends with this process's pid. */
export function scratchName(videoId: string, attempt: string): string {
  return `${videoId}-${attempt}-p${process.pid}`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes scratch directories left by encoders that died (their pid is gone); returns how many. */
export async function removeOrphanScratch(workDir: string): Promise<number> {
  const entries = await fs.readdir(workDir, { withFileTypes: true }).catch(() => []);
  let removed = 0;
  for (const entry of entries) {
    const pid = Number(/-p(\d+)$/.exec(entry.name)?.[1]);
    if (!entry.isDirectory() || !pid || pid === process.pid || alive(pid)) continue;
    await fs.rm(path.join(workDir, entry.name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}
