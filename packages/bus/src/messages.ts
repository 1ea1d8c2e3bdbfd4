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

/**
 * The surrogate key of everything delivered for one video: origins tag responses (`Surrogate-Key`)
 * and cache entries with it, and an invalidation naming it drops them on every node and edge.
 */
export const videoSurrogateKey = (videoId: string) => `video-${videoId}`;

/** The video a surrogate key names, or null for another key. */
export function videoOfSurrogateKey(key: string): string | null {
  return key.startsWith('video-') && key.length > 6 ? key.slice(6) : null;
}

export interface Invalidation {
  type: 'invalidate';
  version: 1;
  /** Surrogate keys, e.g. `video-{id}`. */
  keys: string[];
  /** Soft: mark stale (serve while revalidating) instead of dropping. */
  soft?: boolean;
}
