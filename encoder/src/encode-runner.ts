// Runs ffmpeg: progress from `-progress pipe:1` (out_time_us, speed), the tail of stderr for the
// failure reason, kill on abort (a caller's, or the job's time budget running out, which says so).
// The child never outlives its caller, and nothing it does (an error event on the process or its
// pipes, a progress callback that throws) escapes as an uncaught exception.
import { spawn } from 'node:child_process';
import { tiedToThisProcess } from './child-process-guard.ts';
import { abortError, EncodeError } from './encode-error.ts';

export interface Progress {
  /** 0..100 */
  percent: number;
  /** Encoding speed, × realtime. */
  speed: number | undefined;
}

export async function runFfmpeg(
  ffmpeg: string,
  args: string[],
  options: { durationSeconds: number; signal?: AbortSignal | undefined; onProgress?: ((p: Progress) => void) | undefined },
): Promise<void> {
  if (options.signal?.aborted) throw abortError(options.signal);
  const [command, argv] = tiedToThisProcess(ffmpeg, args);
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let buffered = '';
  let outTime = 0;
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    let speed: number | undefined;
    let report = false;
    for (const line of lines) {
      const [key, value] = line.split('=');
      if (key === 'out_time_us' || key === 'out_time_ms')
        outTime = Number(value) / 1e6; // both are µs in ffmpeg
      else if (key === 'speed') speed = Number.parseFloat(value ?? '') || undefined;
      else if (key === 'progress') report = true;
    }
    if (report && options.onProgress && options.durationSeconds > 0) {
      try {
        options.onProgress({ percent: Math.max(0, Math.min(100, (outTime / options.durationSeconds) * 100)), speed });
      } catch {
        // progress is advisory: a failing listener must not take the process down from an event handler
      }
    }
  });
  // A pipe can fail (EPIPE when the child dies); the exit code is what tells the outcome.
  child.stdout.on('error', () => {});
  child.stderr.on('error', () => {});
  const onAbort = () => child.kill('SIGKILL');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject); // `on`: a second error (a failed kill) must find a listener too
      child.once('close', (c) => resolve(c));
    });
    if (options.signal?.aborted) throw abortError(options.signal);
    if (code !== 0) {
      const reason = stderr.trim().split('\n').slice(-3).join(' | ') || `ffmpeg exited with ${code}`;
      // Killed by a signal (OOM killer, operator) is not the source's fault: retry.
      throw new EncodeError('encode.ffmpeg_failed', `ffmpeg failed: ${reason}`, code !== null, { code });
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (child.exitCode === null && !child.killed) child.kill('SIGKILL');
  }
}
