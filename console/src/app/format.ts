// Numbers people read: sizes, rates, durations, times left (bytes and clock are shared/format.ts,
// the CLI's too).
import { bytes, clock } from './shared/format.ts';

export { bytes, clock };

export const rate = (bytesPerSecond: number) => `${bytes(Math.round(bytesPerSecond))}/s`;

/** For screen readers: "1 minute 15 seconds". */
export function spoken(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const parts: string[] = [];
  if (h) parts.push(`${h} hour${h === 1 ? '' : 's'}`);
  if (m) parts.push(`${m} minute${m === 1 ? '' : 's'}`);
  if (s || parts.length === 0) parts.push(`${s} second${s === 1 ? '' : 's'}`);
  return parts.join(' ');
}

/** Time left, rounded the way people say it. */
export function eta(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'estimating…';
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s left`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min left`;
  return `${(seconds / 3600).toFixed(1)} h left`;
}

export function ago(iso: string): string {
  const seconds = (Date.now() - Date.parse(iso)) / 1000;
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

export const STATUS_LABELS: Record<string, string> = {
  waiting_upload: 'Waiting for upload',
  uploading: 'Uploading',
  queued: 'Queued',
  processing: 'Encoding',
  ready: 'Ready',
  failed: 'Failed',
};
