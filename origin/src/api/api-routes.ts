// The control API: videos, search, related, events, playback tokens, uploads, webhooks, and the
// OpenAPI 3.1 document generated from the route schemas.
import { randomBytes } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { ANONYMOUS, authorize, type Principal, playbackJwks, signPlaybackToken } from '@vought/auth';
import { readMessage, type Subscription, subjects, type VideoEvent, VideoEventSchema } from '@vought/bus';
import type { EncryptionPolicy, Video, VideoPatch, Visibility } from '@vought/catalog';
import { Gauge } from '@vought/observability';
import { TrustedProxies } from '@vought/runtime';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import type { OriginDeps } from '../app.ts';
import { ApiError } from '../http/api-error.ts';
import {
  CreateVideoSchema,
  CreateWebhookSchema,
  type EncryptionPolicySchema,
  ErrorSchema,
  IdParamSchema,
  ListQuerySchema,
  PatchVideoSchema,
  PlaybackTokenRequestSchema,
  PlaybackTokenSchema,
  VideoPageSchema,
  VideoSchema,
  WebhookSchema,
} from './api-schemas.ts';
import { authenticate, requirePermission } from './auth-middleware.ts';
import { docsPage } from './docs-page.ts';
import { rateLimit } from './rate-limiter.ts';
import { CatalogRecommender, type Recommender } from './recommender.ts';
import { StreamLimits } from './stream-limits.ts';
import { mountUploads } from './upload-routes.ts';
import { VideoService } from './video-service.ts';
import { checkTarget, WebhookDispatcher } from './webhook-dispatcher.ts';

/** The longest one event stream lasts; the client's EventSource reconnects (with Last-Event-ID). */
const STREAM_LIFETIME_MS = 30 * 60_000;

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
const errors = {
  400: json(ErrorSchema, 'invalid input'),
  401: json(ErrorSchema, 'no or bad token'),
  403: json(ErrorSchema, 'not allowed'),
  404: json(ErrorSchema, 'no such video'),
} as const;

/** The catalog's policy from a validated body (zod's optional fields may hold undefined; the catalog's may not). */
function toPolicy(policy: z.infer<typeof EncryptionPolicySchema> | null): EncryptionPolicy | null {
  if (policy === null) return null;
  return { schemes: policy.schemes, ...(policy.rotationSegments !== undefined ? { rotationSegments: policy.rotationSegments } : {}) };
}

export function toApiVideo(video: Video): z.infer<typeof VideoSchema> {
  const base = `/v1/videos/${video.id}`;
  return {
    id: video.id,
    owner: video.owner,
    title: video.title,
    description: video.description,
    tags: video.tags,
    visibility: video.visibility,
    status: video.status,
    error: video.error,
    duration: video.duration,
    renditions: video.renditions as z.infer<typeof VideoSchema>['renditions'],
    encryption: video.encryption,
    createdAt: video.createdAt,
    updatedAt: video.updatedAt,
    links: {
      self: base,
      hls: `${base}/hls/master.m3u8`,
      dash: `${base}/dash/manifest.mpd`,
      upload: `${base}/source`,
      events: `${base}/events`,
    },
  };
}

export interface ApiRoutes {
  /** Delivers video events to registered webhooks; the service starts and stops it. */
  webhooks: WebhookDispatcher;
  /** Stops the routes' own timers (the sweep of abandoned uploads). */
  close(): Promise<void>;
}

export function mountApi(app: Hono, deps: OriginDeps, recommender: Recommender = new CatalogRecommender(deps.catalog)): ApiRoutes {
  const api = new OpenAPIHono({
    // One error shape for validation failures too, naming the field at fault.
    defaultHook: (result) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        const field = issue?.path.join('.') || 'body';
        throw new ApiError('http.bad_request', `${field}: ${issue?.message ?? 'invalid'}`, { parameter: field });
      }
    },
  });
  const videos = new VideoService(deps);
  const optionalAuth = authenticate(deps, { required: false });

  /** A video `principal` may read (authorize 'video.read'); any other gets the same 404 as for nothing, so private videos stay unseen. */
  const readableBy = async (principal: Principal | null, id: string): Promise<Video> => {
    const video = await deps.catalog.findVideo(id);
    if (!video || !authorize(principal ?? ANONYMOUS, 'video.read', video).allowed) throw new ApiError('http.not_found', `no video ${id}`);
    return video;
  };

  // Only the control API reads user tokens; delivery paths below /v1/videos/{id}/ carry playback
  // tokens (also as Bearer) and are checked by delivery itself.
  const apiPath = /^\/v1\/videos(\/[A-Za-z0-9_-]+(\/(related|events|playback-tokens))?)?\/?$/;
  const proxies = new TrustedProxies(deps.config.trustedProxies);
  const clientAddress = (c: Context) => {
    let peer: string | undefined;
    try {
      peer = getConnInfo(c).remote.address;
    } catch {
      // not served by @hono/node-server (app.request in tests): no peer
    }
    return proxies.clientAddress(peer, c.req.header('x-forwarded-for'));
  };
  const limited = rateLimit(deps.rateLimiter, deps.config.api.rateLimitPerMinute, clientAddress);
  // JSON bodies of the control API are small; anything larger is refused before it is read.
  const smallBody = bodyLimit({
    maxSize: 64 * 1024,
    onError: () => {
      throw new ApiError('http.payload_too_large', 'request bodies of the control API are limited to 64 KiB');
    },
  });
  const guarded: MiddlewareHandler = async (c, next) => {
    await optionalAuth(c, async () => {
      await limited(c, async () => {
        await smallBody(c, next);
      });
    });
  };
  // one registration: in Hono '/v1/videos/*' also matches '/v1/videos' (a second would count twice)
  api.use('/v1/videos/*', async (c, next) => (apiPath.test(c.req.path) ? guarded(c, next) : next()));

  api.openapi(
    createRoute({
      method: 'post',
      path: '/v1/videos',
      summary: 'Create a video (then upload its source)',
      security: [{ bearer: [] }],
      request: { body: { content: { 'application/json': { schema: CreateVideoSchema } }, required: true } },
      responses: { 201: json(VideoSchema.extend({}), 'created; upload with tus at /v1/uploads or PUT links.upload'), ...errors },
    }),
    async (c) => {
      const principal = requirePermission(c.get('principal'), 'video.create');
      const body = c.req.valid('json');
      const video = await videos.create({
        owner: principal.sub,
        title: body.title,
        description: body.description,
        tags: body.tags,
        visibility: body.visibility,
        ...(body.encryption !== undefined ? { encryption: toPolicy(body.encryption) } : {}),
      });
      c.header('location', `/v1/videos/${video.id}`);
      return c.json(
        {
          ...toApiVideo(video),
          upload: {
            tus: '/v1/uploads',
            tusMetadata: `video_id ${Buffer.from(video.id).toString('base64')}`,
            put: `/v1/videos/${video.id}/source`,
          },
        },
        201,
      );
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/v1/videos',
      summary: 'List and search videos',
      description:
        'Full-text search over title, description and tags (every word must match; the last is a prefix), filters, cursor pagination in a stable order (newest first). Unlisted and private videos never appear, except your own with owner=me.',
      request: { query: ListQuerySchema },
      responses: { 200: json(VideoPageSchema, 'a page of videos'), ...errors },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const principal = c.get('principal');
      let owner = query.owner;
      let visibility: Visibility[] = ['public'];
      if (owner === 'me') {
        if (!principal) throw new ApiError('http.bad_request', 'owner=me needs a token', { parameter: 'owner' });
        owner = principal.sub;
      }
      // whoever may read the owner's private videos lists all of them
      if (owner && principal && authorize(principal, 'video.read', { owner, visibility: 'private' }).allowed)
        visibility = ['public', 'unlisted', 'private'];
      const page = await deps.catalog.listVideos({
        ...(query.q ? { q: query.q } : {}),
        ...(query.tag ? { tag: query.tag } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(owner ? { owner } : {}),
        ...(query.cursor ? { cursor: query.cursor } : {}),
        visibility,
        limit: query.limit,
      });
      return c.json({ items: page.items.map(toApiVideo), nextCursor: page.nextCursor }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/v1/videos/{id}',
      summary: 'Get a video',
      request: { params: IdParamSchema },
      responses: { 200: json(VideoSchema, 'the video'), ...errors },
    }),
    async (c) => c.json(toApiVideo(await readableBy(c.get('principal'), c.req.valid('param').id)), 200),
  );

  api.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/videos/{id}',
      summary: 'Change title, description, tags, visibility or encryption policy',
      security: [{ bearer: [] }],
      request: { params: IdParamSchema, body: { content: { 'application/json': { schema: PatchVideoSchema } }, required: true } },
      responses: { 200: json(VideoSchema, 'the changed video'), 409: json(ErrorSchema, 'changed concurrently; retry'), ...errors },
    }),
    async (c) => {
      const principal = c.get('principal');
      const video = await readableBy(principal, c.req.valid('param').id);
      requirePermission(principal, 'video.update', video);
      const { encryption, ...rest } = c.req.valid('json');
      const patch: VideoPatch = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
      if (encryption !== undefined) patch.encryption = toPolicy(encryption);
      return c.json(toApiVideo(await videos.update(video, patch)), 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/videos/{id}',
      summary: 'Delete a video, every stored object, and every cached copy',
      security: [{ bearer: [] }],
      request: { params: IdParamSchema },
      responses: { 204: { description: 'deleted' }, ...errors },
    }),
    async (c) => {
      const principal = c.get('principal');
      const video = await readableBy(principal, c.req.valid('param').id);
      requirePermission(principal, 'video.delete', video);
      await videos.remove(video);
      return c.body(null, 204);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/v1/videos/{id}/related',
      summary: 'Related videos (baseline recommender: shared tags, then title similarity)',
      request: { params: IdParamSchema, query: ListQuerySchema.pick({ limit: true }) },
      responses: { 200: json(VideoPageSchema, 'related public videos'), ...errors },
    }),
    async (c) => {
      const video = await readableBy(c.get('principal'), c.req.valid('param').id);
      const items = await recommender.related(video, c.req.valid('query').limit);
      return c.json({ items: items.map(toApiVideo), nextCursor: null }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/v1/videos/{id}/playback-tokens',
      summary: 'A signed playback token for one video (needed for private videos)',
      security: [{ bearer: [] }],
      request: {
        params: IdParamSchema,
        body: { content: { 'application/json': { schema: PlaybackTokenRequestSchema } }, required: false },
      },
      responses: { 201: json(PlaybackTokenSchema, 'the token and ready-made URLs'), ...errors },
    }),
    async (c) => {
      const principal = c.get('principal');
      const video = await readableBy(principal, c.req.valid('param').id);
      requirePermission(principal, 'playback-token.create', video);
      const ttlSeconds = (await c.req.json().catch(() => ({})))?.ttlSeconds ?? 3600;
      const parsed = PlaybackTokenRequestSchema.safeParse({ ttlSeconds });
      if (!parsed.success)
        throw new ApiError('http.bad_request', `ttlSeconds: ${parsed.error.issues[0]?.message}`, { parameter: 'ttlSeconds' });
      const { token, expiresAt } = await signPlaybackToken(deps.keys, {
        videoId: video.id,
        ttlSeconds: parsed.data.ttlSeconds,
        ...(principal ? { sub: principal.sub } : {}),
      });
      const q = `?token=${encodeURIComponent(token)}`;
      return c.json(
        {
          token,
          expiresAt: new Date(expiresAt * 1000).toISOString(),
          hls: `/v1/videos/${video.id}/hls/master.m3u8${q}`,
          dash: `/v1/videos/${video.id}/dash/manifest.mpd${q}`,
        },
        201,
      );
    },
  );

  // Server-Sent Events: the video's status and progress as they happen (first the current status).
  // Streams are capped per user, per client address and per node (stream-limits.ts) and last at
  // most STREAM_LIFETIME_MS (EventSource reconnects by itself), so none is held forever.
  const streams = new StreamLimits();
  new Gauge({
    name: 'api_event_streams',
    help: 'Server-Sent Event streams open on this node',
    registers: [deps.metrics.registry],
    collect() {
      this.set(streams.size);
    },
  });
  api.get('/v1/videos/:id/events', async (c) => {
    const principal = c.get('principal');
    const video = await readableBy(principal, c.req.param('id'));
    const release = streams.acquire(principal?.sub ?? null, clientAddress(c));
    try {
      return streamSSE(c, async (stream) => {
        const queue: VideoEvent[] = [
          {
            type: 'video.status',
            version: 1,
            videoId: video.id,
            status: video.status,
            at: video.updatedAt,
            ...(video.error ? { error: video.error } : {}),
          },
        ];
        let wake: (() => void) | undefined;
        const ends = Date.now() + STREAM_LIFETIME_MS;
        let subscription: Subscription | undefined;
        try {
          subscription = await deps.bus.subscribe<VideoEvent>(subjects.videoEvents(video.id), ({ data }) => {
            const read = readMessage(VideoEventSchema, data);
            if (read.ok && queue.length < 1000) queue.push(read.value); // a client that reads nothing does not grow memory
            wake?.();
          });
          stream.onAbort(() => wake?.());
          let id = 0;
          while (!stream.aborted && !stream.closed && Date.now() < ends) {
            const event = queue.shift();
            if (event) {
              await stream.writeSSE({ id: String(++id), event: event.type, data: JSON.stringify(event) });
              continue;
            }
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, 15_000).unref();
            });
            if (queue.length === 0 && !stream.aborted) await stream.write(': keep-alive\n\n');
          }
        } finally {
          release();
          await subscription?.unsubscribe();
        }
      });
    } catch (error) {
      release();
      throw error;
    }
  });

  // Webhooks: registered URLs get every event of the owner's videos, signed (webhook-dispatcher.ts).
  const requiredAuth = authenticate(deps, { required: true });
  api.use('/v1/webhooks', requiredAuth);
  api.use('/v1/webhooks/*', requiredAuth);
  const WebhookIdParam = z.object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/)
      .openapi({ param: { name: 'id', in: 'path' } }),
  });
  const publicHook = (h: { id: string; url: string; events: string[]; createdAt: string }) => ({
    id: h.id,
    url: h.url,
    events: h.events,
    createdAt: h.createdAt,
  });
  api.openapi(
    createRoute({
      method: 'post',
      path: '/v1/webhooks',
      summary: 'Register a webhook for your videos’ events (the response holds its signing secret, once)',
      security: [{ bearer: [] }],
      request: { body: { content: { 'application/json': { schema: CreateWebhookSchema } }, required: true } },
      responses: { 201: json(WebhookSchema, 'registered'), ...errors },
    }),
    async (c) => {
      const principal = requirePermission(c.get('principal'), 'webhook.manage');
      const body = c.req.valid('json');
      // Refused at registration too (and again at each delivery: DNS can change).
      await checkTarget(body.url, deps.config.api.webhookPrivateTargets).catch((error: Error) => {
        throw new ApiError('http.bad_request', `url: ${error.message}`, { parameter: 'url' });
      });
      const secret = randomBytes(24).toString('base64url');
      const hook = await deps.catalog.webhooks.createWebhook({
        id: `wh_${randomBytes(8).toString('hex')}`,
        owner: principal.sub,
        url: body.url,
        secret,
        events: body.events,
      });
      return c.json({ ...publicHook(hook), secret }, 201);
    },
  );
  api.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks',
      summary: 'Your webhooks',
      security: [{ bearer: [] }],
      responses: { 200: json(z.object({ items: z.array(WebhookSchema) }), 'webhooks'), ...errors },
    }),
    async (c) => {
      const principal = requirePermission(c.get('principal'), 'webhook.manage');
      return c.json({ items: (await deps.catalog.webhooks.listWebhooks(principal.sub)).map(publicHook) }, 200);
    },
  );
  const ownHook = async (principal: Principal, id: string) => {
    const hook = await deps.catalog.webhooks.getWebhook(id);
    if (hook.owner !== principal.sub && principal.role !== 'admin') throw new ApiError('http.not_found', `no webhook ${id}`);
    return hook;
  };
  api.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/webhooks/{id}',
      summary: 'Remove a webhook and its delivery log',
      security: [{ bearer: [] }],
      request: { params: WebhookIdParam },
      responses: { 204: { description: 'removed' }, ...errors },
    }),
    async (c) => {
      const principal = requirePermission(c.get('principal'), 'webhook.manage');
      await ownHook(principal, c.req.valid('param').id);
      await deps.catalog.webhooks.deleteWebhook(c.req.valid('param').id);
      return c.body(null, 204);
    },
  );
  api.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks/{id}/deliveries',
      summary: 'The delivery log: each event, its attempts, status and last error',
      security: [{ bearer: [] }],
      request: { params: WebhookIdParam },
      responses: { 200: json(z.object({ items: z.array(z.object({}).passthrough()) }), 'deliveries, newest first'), ...errors },
    }),
    async (c) => {
      const principal = requirePermission(c.get('principal'), 'webhook.manage');
      await ownHook(principal, c.req.valid('param').id);
      return c.json(
        { items: (await deps.catalog.webhooks.listDeliveries(c.req.valid('param').id, 100)) as unknown as Record<string, unknown>[] },
        200,
      );
    },
  );

  api.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  api.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'vought API',
      version: '1',
      description:
        'Control API of vought. Delivery: /v1/videos/{id}/hls/master.m3u8 and /v1/videos/{id}/dash/manifest.mpd. Uploads: tus 1.0 at /v1/uploads.',
    },
  });
  api.get('/docs', (c) => c.html(docsPage()));
  // Public keys of playback tokens: edges verify tokens with these, never holding the private key.
  api.get('/.well-known/jwks.json', (c) => c.json(playbackJwks(deps.keys), 200, { 'cache-control': 'public, max-age=300' }));

  const uploads = mountUploads(app, deps, videos);
  app.route('/', api);
  return {
    webhooks: new WebhookDispatcher(
      deps.catalog,
      deps.bus,
      deps.logger.child({ component: 'webhooks' }),
      deps.config.api.webhookPrivateTargets,
    ),
    close: () => uploads.close(),
  };
}
