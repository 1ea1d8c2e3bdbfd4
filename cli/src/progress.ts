// Progress of each file: a bar per file on a terminal (cli-progress: bytes, rate, time left, then
// the encode's percentage), plain lines otherwise (CI logs, pipes): a line per file at most every
// 2 s and at each state change. Everything goes to stderr: stdout is for results (--json).
import { bytes as formatBytes, RateMeter } from '@vought/console/api-client';
import cliProgress from 'cli-progress';

export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

export interface FileProgress {
  /** Bytes sent of total. */
  upload(sent: number, total: number): void;
  /** A phase: 'resuming at 40 %', 'uploaded', 'queued', 'ready', ... */
  phase(text: string): void;
  encode(percent: number): void;
  stop(): void;
}

export interface Progress {
  file(name: string, total: number): FileProgress;
  stop(): void;
}

export function createProgress(options: { tty: boolean; quiet: boolean; write: (line: string) => void }): Progress {
  if (options.quiet) {
    const silent: FileProgress = { upload() {}, phase() {}, encode() {}, stop() {} };
    return { file: () => silent, stop() {} };
  }
  if (options.tty) {
    const bars = new cliProgress.MultiBar(
      {
        format: ' {name} {bar} {percentage}% | {detail}',
        barCompleteChar: '█',
        barIncompleteChar: '░',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        autopadding: true,
        stream: process.stderr,
        fps: 8,
      },
      cliProgress.Presets.shades_classic,
    );
    return {
      file(name, total) {
        const label = name.length > 28 ? `${name.slice(0, 27)}…` : name.padEnd(28);
        const bar = bars.create(Math.max(total, 1), 0, { name: label, detail: 'starting' });
        const meter = new RateMeter();
        return {
          upload(sent, all) {
            const rate = meter.add(sent, Date.now()) ?? 0;
            bar.setTotal(Math.max(all, 1));
            bar.update(sent, {
              detail: `${formatBytes(sent)} / ${formatBytes(all)} | ${rate > 0 ? `${formatBytes(rate)}/s` : '-- /s'} | ETA ${rate > 0 ? formatEta((all - sent) / rate) : '--'}`,
            });
          },
          phase(text) {
            bar.update({ detail: text });
          },
          encode(percent) {
            bar.setTotal(100);
            bar.update(Math.round(percent), { detail: `encoding ${percent.toFixed(0)} %` });
          },
          stop() {},
        };
      },
      stop() {
        bars.stop();
      },
    };
  }
  return {
    file(name, total) {
      const meter = new RateMeter();
      let last = 0;
      let lastPercent = -1;
      let lastSent = -1;
      return {
        upload(sent, all) {
          const rate = meter.add(sent, Date.now()) ?? 0;
          if (sent === lastSent) return;
          lastSent = sent;
          const now = Date.now();
          const percent = all ? Math.floor((sent / all) * 100) : 0;
          if (now - last < 2000 && sent < all && percent < lastPercent + 25) return;
          last = now;
          lastSent = sent;
          lastPercent = percent;
          options.write(
            `${name}: ${percent}% ${formatBytes(sent)} of ${formatBytes(all || total)}${rate > 0 ? `, ${formatBytes(rate)}/s, ETA ${formatEta((all - sent) / rate)}` : ''}`,
          );
        },
        phase(text) {
          options.write(`${name}: ${text}`);
        },
        encode(percent) {
          const now = Date.now();
          if (now - last < 2000 && percent < 100) return;
          last = now;
          options.write(`${name}: encoding ${percent.toFixed(0)} %`);
        },
        stop() {},
      };
    },
    stop() {},
  };
}
