// What one job may cost. A source is checked against these after probing, before any encoding,
// so an upload that would tie up an encoder for days or exhaust its memory fails at once with a
// reason its owner can act on; and ffmpeg is killed when a job outlives its wall-clock budget
// (a decoder stuck on a crafted stream, a source much slower to decode than its size suggests).
import { EncodeError } from './encode-error.ts';
import type { ProbedSource } from './source-probe.ts';

export const ENCODE_LIMITS = {
  /** Longest source, seconds: 12 h (a full day's event); longer is a recording to cut first. */
  maxDurationSeconds: 12 * 60 * 60,
  /** Largest frame, pixels: DCI 8K, 8192 × 4320 ≈ 35.4 Mpx (a decoded 8-bit 4:2:0 frame ≈ 53 MB). */
  maxPixels: 8192 * 4320,
  /** Highest frame rate, frames per second: 120 (high-speed phone clips); more is a wrong header or a slow-motion raw. */
  maxFps: 120,
  /** Most streams in the source, of any kind: 64 (real files carry a few; thousands make ffmpeg's per-stream work explode). */
  maxStreams: 64,
  /** Wall-clock budget, seconds: at least this long for any job… */
  minBudgetSeconds: 10 * 60,
  /** …or this many times the source's duration when longer (veryfast on 2 cores runs ≈ 1–2 × realtime for 1080p). */
  budgetPerSourceSecond: 6,
} as const;

export type EncodeLimits = { -readonly [K in keyof typeof ENCODE_LIMITS]: number };

export function limitsWith(overrides: Partial<EncodeLimits> = {}): EncodeLimits {
  return { ...ENCODE_LIMITS, ...overrides };
}

const overLimit = (message: string, detail: Record<string, unknown>) => new EncodeError('encode.over_limit', message, true, detail);

/** Throws a permanent EncodeError naming the first limit the source exceeds. */
export function checkLimits(probed: ProbedSource, limits: EncodeLimits): void {
  if (probed.streams > limits.maxStreams) {
    throw overLimit(`the source has ${probed.streams} streams; the limit is ${limits.maxStreams}`, { streams: probed.streams });
  }
  if (probed.duration > limits.maxDurationSeconds) {
    throw overLimit(`the source lasts ${Math.round(probed.duration)} s; the duration limit is ${limits.maxDurationSeconds} s`, {
      duration: probed.duration,
    });
  }
  const video = probed.video;
  if (!video) return;
  if (video.width * video.height > limits.maxPixels) {
    throw overLimit(
      `the video is ${video.width}×${video.height} (${video.width * video.height} pixels); the pixel limit is ${limits.maxPixels} pixels a frame`,
      { width: video.width, height: video.height },
    );
  }
  if (video.fps > limits.maxFps) {
    throw overLimit(`the video runs at ${Math.round(video.fps * 100) / 100} fps; the frame rate limit is ${limits.maxFps} fps`, {
      fps: video.fps,
    });
  }
}

/** The job's wall-clock budget in seconds for a source of this duration. */
export function budgetSeconds(duration: number, limits: EncodeLimits): number {
  return Math.max(limits.minBudgetSeconds, limits.budgetPerSourceSecond * duration);
}

export interface JobBudget {
  /** Aborts when the caller's signal does, or with a permanent `encode.over_budget` when time is up. */
  signal: AbortSignal;
  /** Sets the budget from the probed duration, counted from the job's start. */
  setDuration(duration: number): void;
  stop(): void;
}

/** Starts a job's clock: the minimum budget until the duration is known. */
export function startBudget(limits: EncodeLimits, parent?: AbortSignal): JobBudget {
  const started = performance.now();
  const expiry = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = (seconds: number) => {
    clearTimeout(timer);
    const remaining = Math.max(0, seconds * 1000 - (performance.now() - started));
    timer = setTimeout(() => {
      expiry.abort(
        new EncodeError(
          'encode.over_budget',
          `the encode took longer than its time budget of ${Math.round(seconds * 10) / 10} s (the larger of ${limits.minBudgetSeconds} s and ${limits.budgetPerSourceSecond} × the source's duration) and was stopped`,
          true,
          { budgetSeconds: seconds },
        ),
      );
    }, remaining);
    timer.unref();
  };
  arm(limits.minBudgetSeconds);
  return {
    signal: parent ? AbortSignal.any([parent, expiry.signal]) : expiry.signal,
    setDuration: (duration) => arm(budgetSeconds(duration, limits)),
    stop: () => clearTimeout(timer),
  };
}
