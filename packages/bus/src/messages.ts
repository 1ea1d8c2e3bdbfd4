// Message shapes on the bus: discriminated unions with a `type` and a `version` (STYLE habit 9).
// Producers and consumers both import these, so a change here is a change of the wire contract.

export const subjects = {
  encodeQueue: 'encode',
  /** Events for one video: `events.video.{id}`; subscribe to `events.video.*` for all. */
  videoEvents: (id: string) => `events.video.${id}`,
  allVideoEvents: 'events.video.*',
  invalidate: 'cdn.invalidate',
} as const;

export interface EncodeJob {
  type: 'encode';
  version: 1;
  videoId: string;
  /** Storage key of the source, `videos/{id}/source`. */
  sourceKey: string;
}

export type VideoStatus = 'waiting_upload' | 'uploading' | 'queued' | 'processing' | 'ready' | 'failed' | 'deleted';

export type VideoEvent =
  | {
      type: 'video.status';
      version: 1;
      videoId: string;
      status: VideoStatus;
      error?: string;
      /** Set on `deleted`: the catalog no longer knows whose video it was (webhooks need it). */
      owner?: string;
      at: string;
    }
  | { type: 'video.progress'; version: 1; videoId: string; percent: number; speed?: number; at: string }
  | { type: 'video.updated'; version: 1; videoId: string; at: string };

export interface Invalidation {
  type: 'invalidate';
  version: 1;
  /** Surrogate keys, e.g. `video-{id}`. */
  keys: string[];
  /** Soft: mark stale (serve while revalidating) instead of dropping. */
  soft?: boolean;
}
