// The JSON the control API answers with, as its clients read it: the schemas of
// origin/src/api/api-schemas.ts (the OpenAPI document at /openapi.json), written out once for the
// CLI and the console. Not derived from them with `z.infer`: that would bring zod, the origin and
// their Node types into the browser's type check (console/src/app/tsconfig.json has no Node
// types); cli/test/api-types.test.ts checks at compile time that the two still agree.

export const VIDEO_STATUSES = ['waiting_upload', 'uploading', 'queued', 'processing', 'ready', 'failed'] as const;
export type VideoStatus = (typeof VIDEO_STATUSES)[number];

export const VISIBILITIES = ['public', 'unlisted', 'private'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

/** A rendition of the ladder: codec and size for video, language for audio and subtitles. */
export type Rendition = { id: string; type: 'video' | 'audio' | 'text' } & Partial<{
  codec: string;
  width: number;
  height: number;
  bandwidth: number;
  language: string;
}>;

/** A video's encryption policy: while set, delivery is encrypted with one of `schemes` only. */
export type EncryptionPolicy = { schemes: ('aes-128' | 'sample-aes' | 'cenc' | 'cbcs')[]; rotationSegments?: number };

/** What the owner says about a video: CreateVideoSchema's and PatchVideoSchema's fields. */
export type VideoDetails = {
  title: string;
  description: string;
  tags: string[];
  visibility: Visibility;
  encryption: EncryptionPolicy | null;
};

/** Where the video is in the pipeline: `error` says why an encode failed; `duration` in seconds, once encoded. */
export type VideoProgress = { status: VideoStatus; error: string | null; duration: number | null; renditions: Rendition[] };

/** VideoSchema. Paths in `links` are relative to the API's origin. */
export interface Video extends VideoDetails, VideoProgress {
  id: string;
  owner: string;
  createdAt: string;
  updatedAt: string;
  links: Record<'self' | 'hls' | 'dash' | 'upload' | 'events', string>;
}

/** VideoPageSchema: `nextCursor` is null on the last page. */
export type VideoPage = { items: Video[]; nextCursor: string | null };

/** PlaybackTokenSchema: the token, and the manifest URLs that carry it. */
export type PlaybackToken = { token: string; expiresAt: string; hls: string; dash: string };

/** WebhookSchema: `secret` only in the answer that created it. */
export type Webhook = { id: string; url: string; events: string[]; createdAt: string; secret?: string };

/** An entry of GET /v1/webhooks/{id}/deliveries (the catalog's WebhookDelivery, as stored). */
export interface Delivery {
  id: string;
  event: Record<string, unknown>;
  status: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
}

/** ErrorSchema: what every refused request answers. */
export type ApiErrorBody = { error?: { code?: string; message?: string } };

/** What GET /v1/videos/{id}/events sends (the bus's VideoEvent without its version). */
export type VideoEvent =
  | { type: 'video.status'; videoId: string; status: string; error?: string; at: string }
  | { type: 'video.progress'; videoId: string; percent: number; speed?: number; at: string }
  | { type: 'video.updated'; videoId: string; at: string };
