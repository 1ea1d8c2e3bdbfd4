import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeOrphanScratch, tiedToThisProcess } from './child-process-guard.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(process.platform !== 'linux')('children tied to their encoder', () => {
  it('a child started through the guard dies when its parent is SIGKILLed', async () => {
    const [command, args] = tiedToThisProcess('sleep', ['30']);
    // a parent process that starts the child the same way, prints its pid, then waits
    const parent = spawn(
      process.execPath,
      [
        '-e',
        `const c=require('child_process').spawn(${JSON.stringify(command)},${JSON.stringify(args)},{stdio:'ignore'});console.log(c.pid);setInterval(()=>{},1000)`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const childPid = await new Promise<number>((resolve) => parent.stdout?.once('data', (d) => resolve(Number(String(d).trim()))));
    expect(alive(childPid)).toBe(true);
    parent.kill('SIGKILL');
    for (let i = 0; i < 50 && alive(childPid); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(childPid)).toBe(false);
  });

  it('removes the scratch directories of encoders that are gone, and only those', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-scratch-'));
    const dead = Number(execFileSync('sh', ['-c', 'sh -c "echo \\$\\$"']).toString().trim()); // a pid that has exited
    await fs.mkdir(path.join(dir, `v1-abc-p${dead}`));
    await fs.mkdir(path.join(dir, `v2-abc-p${process.pid}`));
    await fs.mkdir(path.join(dir, 'unrelated'));
    expect(await removeOrphanScratch(dir)).toBe(1);
    expect((await fs.readdir(dir)).sort()).toEqual(['unrelated', `v2-abc-p${process.pid}`].sort());
    await fs.rm(dir, { recursive: true, force: true });
  });
});
