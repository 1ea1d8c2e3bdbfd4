// Schemas of the control API: they validate requests once at the boundary (STYLE habit 9) and
// generate the OpenAPI 3.1 document at /openapi.json.
import { z } from '@hono/zod-openapi';

export const ErrorSchema = z
  .object({ error: z.object({ code: z.string().openapi({ example: 'catalog.not_found' }), message: z.string() }).passthrough() })
  .openapi('Error');

const tag = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .regex(/^[\p{L}\p{N} _.-]+$/u, 'tags are letters, digits, spaces, _ . -');

export const VisibilitySchema = z.enum(['public', 'unlisted', 'private']).openapi('Visibility');
export const StatusSchema = z.enum(['waiting_upload', 'uploading', 'queued', 'processing', 'ready', 'failed']).openapi('VideoStatus');

export const EncryptionSchemeSchema = z
  .enum(['aes-128', 'sample-aes', 'cenc', 'cbcs'], { error: 'schemes are aes-128, sample-aes, cenc or cbcs' })
  .openapi('EncryptionScheme');

/**
 * As the catalog checks it (packages/catalog video-validation.ts): strict, so a misspelt key is an
 * error, not ignored. Not a named component: zod-to-openapi writes a nullable registered schema as
 * a bare $ref (dropping null and the description) and a union with null loses the field's message.
 */
export const EncryptionPolicySchema = z
  .object({
    schemes: z
      .array(EncryptionSchemeSchema)
      .min(1, 'schemes must list at least one scheme')
      .max(4, 'schemes lists at most 4 schemes')
      .refine((schemes) => new Set(schemes).size === schemes.length, 'schemes must not repeat a scheme')
      .openapi({ description: 'in order of preference' }),
    rotationSegments: z
      .number({ error: 'rotationSegments must be a number' })
      .int('rotationSegments must be an integer')
      .min(1, 'rotationSegments must be at least 1')
      .max(1_000_000, 'rotationSegments must be at most 1000000')
      .optional()
      .openapi({ description: 'segments per key period; absent: one key for the whole video' }),
  })
  .strict();

const encryptionDescription =
  'Encryption policy: while set, delivery is only encrypted with one of these schemes (aes-128 and sample-aes for HLS, cenc and cbcs for DASH; a DASH request needs cenc or cbcs in the list, an HLS one any), with keys rotated every rotationSegments segments';

export const VideoSchema = z
  .object({
    id: z.string().openapi({ example: 'q3Jd8xY2LkP0' }),
    owner: z.string(),
    title: z.string(),
    description: z.string(),
    tags: z.array(z.string()),
    visibility: VisibilitySchema,
    status: StatusSchema,
    error: z.string().nullable(),
    duration: z.number().nullable().openapi({ description: 'seconds' }),
    renditions: z.array(
      z.object({
        id: z.string(),
        type: z.enum(['video', 'audio', 'text']),
        codec: z.string().optional(),
        width: z.number().optional(),
        height: z.number().optional(),
        bandwidth: z.number().optional(),
        language: z.string().optional(),
      }),
    ),
    encryption: EncryptionPolicySchema.nullable().openapi({ description: `${encryptionDescription}. null: none, clear delivery allowed.` }),
    createdAt: z.string(),
    updatedAt: z.string(),
    links: z.object({
      self: z.string(),
      hls: z.string(),
      dash: z.string(),
      upload: z.string(),
      events: z.string(),
    }),
  })
  .openapi('Video');

export const CreateVideoSchema = z
  .object({
    title: z.string().trim().min(1).max(200),
    description: z.string().max(5000).default(''),
    tags: z.array(tag).max(30).default([]),
    visibility: VisibilitySchema.default('public'),
    encryption: EncryptionPolicySchema.nullable()
      .optional()
      .openapi({ description: `${encryptionDescription}. Absent or null: none.` }),
  })
  .strict()
  .openapi('CreateVideo');

export const PatchVideoSchema = z
  .object({
    title: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(5000).optional(),
    tags: z.array(tag).max(30).optional(),
    visibility: VisibilitySchema.optional(),
    encryption: EncryptionPolicySchema.nullable()
      .optional()
      .openapi({ description: `${encryptionDescription}. null: removes the policy.` }),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'give at least one of title, description, tags, visibility, encryption' })
  .openapi('PatchVideo');

export const ListQuerySchema = z.object({
  q: z.string().max(200).optional(),
  tag: tag.optional(),
  status: StatusSchema.optional(),
  owner: z.string().max(200).optional().openapi({ description: "an owner's id, or `me`" }),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const VideoPageSchema = z.object({ items: z.array(VideoSchema), nextCursor: z.string().nullable() }).openapi('VideoPage');

export const IdParamSchema = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'video ids are 1-64 characters of A-Z a-z 0-9 _ -')
    .openapi({ param: { name: 'id', in: 'path' } }),
});

export const PlaybackTokenRequestSchema = z
  .object({
    ttlSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 24 * 3600)
      .default(3600),
  })
  .strict()
  .openapi('PlaybackTokenRequest');

export const PlaybackTokenSchema = z
  .object({ token: z.string(), expiresAt: z.string(), hls: z.string(), dash: z.string() })
  .openapi('PlaybackToken');

const eventName = z
  .string()
  .regex(
    /^(\*|video\.(waiting_upload|uploading|queued|processing|ready|failed|deleted|updated))$/,
    'events are video.ready, video.failed, video.queued, video.processing, video.uploading, video.deleted, video.updated or *',
  );

export const CreateWebhookSchema = z
  .object({
    url: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u), 'the URL must be http or https')
      .openapi({ example: 'https://example.com/hooks/vought' }),
    events: z.array(eventName).min(1).max(20).default(['*']),
  })
  .strict()
  .openapi('CreateWebhook');

export const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    createdAt: z.string(),
    secret: z.string().optional().openapi({
      description:
        'shown once, at creation: verify X-Vought-Signature (t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">, docs/webhooks.md) with it',
    }),
  })
  .openapi('Webhook');
