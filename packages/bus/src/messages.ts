// Message shapes on the bus: discriminated unions with a `type` and a `version` (STYLE habit 9).
// Producers and consumers both import these, so a change here is a change of the wire contract.
import { z } from 'zod';

export const subjects = {
  encodeQueue: 'encode',
  /** Events for one video: `events.video.{id}`; subscribe to `events.video.*` for all. */
  videoEvents: (id: string) => `events.video.${id}`,
  allVideoEvents: 'events.video.*',
  invalidate: 'cdn.invalidate',
} as const;

/** The one reading of a message: zod schemas that producers type against and consumers parse with. */
export const VIDEO_STATUSES = ['waiting_upload', 'uploading', 'queued', 'processing', 'ready', 'failed', 'deleted'] as const;
export type VideoStatus = (typeof VIDEO_STATUSES)[number];

const videoId = z.string().min(1).max(64);
const at = z.string().min(1);

export const EncodeJobSchema = z.object({
  type: z.literal('encode'),
  version: z.literal(1),
  videoId,
  /** Storage key of the source, `videos/{id}/source`. */
  sourceKey: z.string().min(1).max(1024),
});
export type EncodeJob = z.infer<typeof EncodeJobSchema>;

export const VideoEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('video.status'),
    version: z.literal(1),
    videoId,
    status: z.enum(VIDEO_STATUSES),
    error: z.string().optional(),
    /** Set on `deleted`: the catalog no longer knows whose video it was (webhooks need it). */
    owner: z.string().optional(),
    at,
  }),
  z.object({
    type: z.literal('video.progress'),
    version: z.literal(1),
    videoId,
    percent: z.number().min(0).max(100),
    speed: z.number().optional(),
    at,
  }),
  z.object({ type: z.literal('video.updated'), version: z.literal(1), videoId, at }),
]);
export type VideoEvent = z.infer<typeof VideoEventSchema>;

export const InvalidationSchema = z.object({
  type: z.literal('invalidate'),
  version: z.literal(1),
  /** Surrogate keys, e.g. `video-{id}`. */
  keys: z.array(z.string().min(1).max(256)).min(1).max(10_000),
  /** Soft: mark stale (serve while revalidating) instead of dropping. */
  soft: z.boolean().optional(),
  /** When the change was made (ms since the epoch): receivers measure how late they apply it. */
  at: z.number().int().nonnegative().optional(),
});
export type Invalidation = z.infer<typeof InvalidationSchema>;

/** A message read with its schema: the value, or what is wrong with it (for a log or a dead letter). */
export function readMessage<T>(schema: z.ZodType<T>, data: unknown): { ok: true; value: T } | { ok: false; error: string } {
  const parsed = schema.safeParse(data);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, error: `${issue?.path.join('.') || 'message'}: ${issue?.message ?? 'invalid'}` };
}

/**
 * The surrogate key of everything delivered for one video: origins tag responses (`Surrogate-Key`)
 * and cache entries with it, and an invalidation naming it drops them on every node and edge.
 */
export const videoSurrogateKey = (videoId: string) => `video-${videoId}`;

/** The video a surrogate key names, or null for another key. */
export function videoOfSurrogateKey(key: string): string | null {
  return key.startsWith('video-') && key.length > 6 ? key.slice(6) : null;
}
