// Configuration is read once, here, from the environment; validated with zod; and passed down as a
// typed object. Nothing else in vought reads process.env (STYLE habit 6).
import { isIP } from 'node:net';
import path from 'node:path';
import { CodedError } from '@vought/errors';
import { z } from 'zod';

export type ConfigErrorCode = 'config.invalid';

export class ConfigError extends CodedError<ConfigErrorCode, { variable: string }> {
  constructor(
    /** The environment variable at fault, named in the one line an operator reads. */
    readonly variable: string,
    message: string,
  ) {
    super('config.invalid', `${variable}: ${message}`, { variable });
  }
}

const port = z.coerce.number().int().min(0).max(65535);
const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL with scheme ${protocols.map((p) => p.replace(':', '')).join(' or ')}` },
  );
const positiveInt = z.coerce.number().int().positive();
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const bytes = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(b|kb|k|mb|m|gb|g|tb|t)?$/i, 'must be a size such as 512mb or 2gb')
  .transform(parseBytes);

/** "10.0.0.0/8", "::1/128" or a bare address (a host route). */
function isCidr(text: string): boolean {
  const [address = '', prefix, ...rest] = text.split('/');
  const family = isIP(address);
  if (!family || rest.length) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** "512mb" → 536870912. Binary units, as operators expect for memory budgets. */
export function parseBytes(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  if (!match) throw new Error(`not a size: ${text}`);
  const unit = (match[2] ?? '').toLowerCase().replace(/b$/, '') || 'b';
  const scale: Record<string, number> = { b: 1, '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  const factor = scale[unit];
  if (factor === undefined) throw new Error(`unknown unit in ${text}`);
  return Math.round(Number(match[1]) * factor);
}

/** Each variable: its schema and default. The README's table is generated from this list. */
export const variables = {
  PORT: { schema: port, default: '8080', doc: "origin's HTTP port" },
  EDGE_PORT: { schema: port, default: '8081', doc: "edge's HTTP port" },
  ENCODER_PORT: { schema: port, default: '8082', doc: "encoder's HTTP port (health, readiness, metrics)" },
  VOUGHT_HOST: { schema: z.string().min(1), default: '0.0.0.0', doc: 'address the services listen on' },
  VOUGHT_PUBLIC_URL: {
    schema: url(['http:', 'https:']).optional(),
    default: undefined,
    doc: 'public base URL of the origin (used in printed links, upload locations and the ClearKey licence URL in encrypted MPDs)',
  },
  VOUGHT_TRUSTED_PROXIES: {
    schema: z
      .string()
      .refine((v) => v.split(',').every((c) => isCidr(c.trim())), { message: 'must be comma-separated CIDRs such as 10.0.0.0/8,::1/128' }),
    default: '127.0.0.0/8,::1/128',
    doc: "CIDRs of proxies (vought's edges, a load balancer) whose `X-Forwarded-For` is believed for the client address",
  },
  VOUGHT_DATA_DIR: { schema: z.string().min(1), default: './data', doc: 'where embedded defaults keep their files' },
  VOUGHT_STORAGE: { schema: z.enum(['fs', 's3']), default: 'fs', doc: '`fs` or `s3`' },
  VOUGHT_S3_ENDPOINT: { schema: url(['http:', 'https:']).optional(), default: undefined, doc: 'S3 or MinIO endpoint (unset: AWS)' },
  VOUGHT_S3_REGION: { schema: z.string().min(1), default: 'us-east-1', doc: 'S3 region' },
  VOUGHT_S3_BUCKET: { schema: z.string().min(3).optional(), default: undefined, doc: 'S3 bucket (required with VOUGHT_STORAGE=s3)' },
  VOUGHT_S3_ACCESS_KEY: { schema: z.string().min(1).optional(), default: undefined, doc: 'S3 access key (unset: the SDK default chain)' },
  VOUGHT_S3_SECRET_KEY: { schema: z.string().min(1).optional(), default: undefined, doc: 'S3 secret key' },
  VOUGHT_S3_FORCE_PATH_STYLE: { schema: bool, default: 'true', doc: 'path-style S3 URLs (MinIO and most S3-compatible servers need them)' },
  VOUGHT_REDIS_URL: {
    schema: url(['redis:', 'rediss:']).optional(),
    default: undefined,
    doc: 'Redis for the shared cache (unset: in-process)',
  },
  VOUGHT_CACHE_BYTES: {
    schema: bytes,
    default: '256mb',
    doc: 'memory budget of one process for all its caches (origin: 65 % kept segments, 25 % index/manifest tier, 10 % warm manifests)',
  },
  VOUGHT_NATS_URL: {
    schema: url(['nats:', 'tls:', 'ws:', 'wss:']).optional(),
    default: undefined,
    doc: 'NATS JetStream for jobs and invalidations (unset: in-process)',
  },
  VOUGHT_DATABASE_URL: {
    schema: url(['postgres:', 'postgresql:']).optional(),
    default: undefined,
    doc: '`postgres://...` for the catalog (unset: SQLite in the data dir)',
  },
  VOUGHT_EDGE_UPSTREAM: {
    schema: z.string().optional(),
    default: undefined,
    doc: 'comma-separated origin (or shield) URLs for an edge (unset: origin on this host)',
  },
  VOUGHT_EDGE_DISK_DIR: {
    schema: z.string().min(1).optional(),
    default: undefined,
    doc: "directory for the edge's disk tier (unset: memory only)",
  },
  VOUGHT_EDGE_DISK_BYTES: { schema: bytes, default: '10gb', doc: "byte budget of the edge's disk tier" },
  VOUGHT_FFMPEG: {
    schema: z.string().min(1).optional(),
    default: undefined,
    doc: 'ffmpeg binary (unset: PATH, then @ffmpeg-installer/ffmpeg)',
  },
  VOUGHT_FFPROBE: {
    schema: z.string().min(1).optional(),
    default: undefined,
    doc: 'ffprobe binary (unset: PATH, then @ffprobe-installer/ffprobe)',
  },
  VOUGHT_ENCODER_CONCURRENCY: { schema: positiveInt, default: '1', doc: 'encode jobs one encoder runs at once' },
  VOUGHT_MAX_UPLOAD_BYTES: { schema: bytes, default: '20gb', doc: 'largest accepted upload (413 beyond)' },
  VOUGHT_RATE_LIMIT: {
    schema: z.coerce.number().int().min(0),
    default: '600',
    doc: 'control-API requests per minute per token and per IP (0: off); shared through Redis when configured',
  },
  VOUGHT_WEBHOOK_PRIVATE_TARGETS: {
    schema: bool,
    default: 'false',
    doc: 'allow webhooks to loopback and private addresses (development only: otherwise a webhook could probe the internal network)',
  },
  VOUGHT_JWT_ISSUER: { schema: z.string().min(1), default: 'vought', doc: 'expected `iss` of bearer tokens' },
  VOUGHT_JWT_AUDIENCE: { schema: z.string().min(1), default: 'vought', doc: 'expected `aud` of bearer tokens' },
  VOUGHT_OIDC_ISSUER: {
    schema: url(['http:', 'https:']).optional(),
    default: undefined,
    doc: 'OIDC issuer URL: its JWKS (found by discovery) verifies tokens (unset: the dev HS256 key)',
  },
  VOUGHT_OIDC_CLIENT_ID: {
    schema: z.string().min(1).optional(),
    default: undefined,
    doc: "the console's OIDC client id (public client, authorization code + PKCE; unset: sign in by pasting a token)",
  },
  VOUGHT_ROLES_CLAIM: { schema: z.string().min(1), default: 'roles', doc: 'claim path holding roles, e.g. `realm_access.roles`' },
  VOUGHT_KEY_SECRET: {
    schema: z
      .string()
      .refine((v) => /^(?:[0-9a-fA-F]{2}){16,}$/.test(v), { message: 'must be at least 16 bytes written in hex (32+ hex digits)' })
      .optional(),
    default: undefined,
    doc: 'master secret (hex, 16+ bytes) from which every origin derives the content keys of encryption just in time (unset: derived from the generated `keys.json` in the data dir)',
  },
  VOUGHT_KEY_ROTATION: {
    schema: z.coerce.number().int().min(0).max(1_000_000),
    default: '0',
    doc: "segments per key period for encrypted delivery (0: one key per video); a video's encryption policy may set its own",
  },
  VOUGHT_KEY_CPIX_URL: {
    schema: z
      .string()
      .refine((v) => v.includes('{videoId}') && /^https?:\/\//.test(v), { message: 'must be an http(s) URL containing {videoId}' })
      .optional(),
    default: undefined,
    doc: "a key server's CPIX document per video, e.g. `https://kms.example/cpix/{videoId}` (unset: keys derived from VOUGHT_KEY_SECRET)",
  },
  VOUGHT_KEY_CPIX_SECRET: {
    schema: z.string().min(1).optional(),
    default: undefined,
    doc: 'bearer token sent to the CPIX key server (`Authorization: Bearer ...`; unset: none)',
  },
  VOUGHT_KEY_CLEARKEY: {
    schema: bool,
    default: 'true',
    doc: 'hand content keys to playback-token holders (HLS key URIs, W3C ClearKey licences); `false` when a DRM licence server delivers the keys of a CPIX key server, so vought never serves them (HLS AES-128 and SAMPLE-AES then cannot be offered)',
  },
  VOUGHT_LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    doc: 'pino log level',
  },
  VOUGHT_WORKERS: { schema: z.coerce.number().int().min(0), default: '0', doc: 'origin worker processes (0: one per core)' },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    schema: url(['http:', 'https:']).optional(),
    default: undefined,
    doc: 'OTLP/HTTP collector for traces (unset: tracing off)',
  },
  OTEL_SERVICE_NAME: {
    schema: z.string().min(1).optional(),
    default: undefined,
    doc: 'service name on traces (default: vought-origin, vought-encoder, ...)',
  },
} as const;

type Variables = typeof variables;
type Raw = { [K in keyof Variables]: z.output<Variables[K]['schema']> };

export interface StorageConfig {
  kind: 'fs' | 's3';
  /** Root directory of the fs store. */
  root: string;
  s3: {
    endpoint: string | undefined;
    region: string;
    bucket: string | undefined;
    accessKeyId: string | undefined;
    secretAccessKey: string | undefined;
    forcePathStyle: boolean;
  };
}

export interface Config {
  host: string;
  ports: { origin: number; edge: number; encoder: number };
  publicUrl: string | undefined;
  /** CIDRs whose X-Forwarded-For is believed. */
  trustedProxies: string[];
  dataDir: string;
  storage: StorageConfig;
  cache: { redisUrl: string | undefined; memoryBytes: number };
  bus: { natsUrl: string | undefined };
  catalog: { databaseUrl: string | undefined; sqlitePath: string };
  edge: { upstreams: string[]; diskDir: string | undefined; diskBytes: number };
  ffmpeg: { ffmpeg: string | undefined; ffprobe: string | undefined };
  encoder: { concurrency: number };
  uploads: { maxBytes: number };
  api: { rateLimitPerMinute: number; webhookPrivateTargets: boolean };
  auth: {
    issuer: string;
    audience: string;
    oidcIssuer: string | undefined;
    /** The console's client id at the OIDC issuer. */
    oidcClientId: string | undefined;
    rolesClaim: string;
    keyDir: string;
  };
  log: { level: Raw['VOUGHT_LOG_LEVEL'] };
  /** Encryption just in time: where content keys come from, and the default key rotation. */
  contentKeys: {
    secret: Uint8Array | undefined;
    rotationSegments: number;
    cpixUrl: string | undefined;
    /** Bearer token for the CPIX key server. */
    cpixToken: string | undefined;
    clearKey: boolean;
  };
  origin: { workers: number };
  otel: { endpoint: string | undefined; serviceName: string | undefined };
}

/**
 * How one process divides VOUGHT_CACHE_BYTES between its in-process caches: kept segment bytes
 * (the origin's hottest objects), the shared cache's memory tier (media indexes, rendered
 * manifests; Redis behind it when configured), and answers to warm public manifests.
 */
export function memorySplit(memoryBytes: number): { segments: number; shared: number; manifests: number } {
  const shared = Math.floor(memoryBytes * 0.25);
  const manifests = Math.floor(memoryBytes * 0.1);
  return { segments: memoryBytes - shared - manifests, shared, manifests };
}

/**
 * Parses and validates every variable. Throws ConfigError naming the first bad variable; services
 * print its one line and exit.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw = {} as Record<string, unknown>;
  for (const [name, spec] of Object.entries(variables)) {
    const given = env[name];
    const value = given === undefined || given === '' ? spec.default : given;
    const parsed = (spec.schema as z.ZodType).safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      // a secret's value is never echoed into logs, not even a malformed one
      const got = /SECRET/.test(name) ? `${given?.length ?? 0} characters, not shown` : JSON.stringify(given);
      throw new ConfigError(name, `${issue?.message ?? 'invalid value'} (got ${got})`);
    }
    raw[name] = parsed.data;
  }
  const r = raw as Raw;
  if (r.VOUGHT_STORAGE === 's3' && !r.VOUGHT_S3_BUCKET) {
    throw new ConfigError('VOUGHT_S3_BUCKET', 'required when VOUGHT_STORAGE=s3');
  }
  if ((r.VOUGHT_S3_ACCESS_KEY === undefined) !== (r.VOUGHT_S3_SECRET_KEY === undefined)) {
    throw new ConfigError('VOUGHT_S3_SECRET_KEY', 'VOUGHT_S3_ACCESS_KEY and VOUGHT_S3_SECRET_KEY go together');
  }
  const dataDir = path.resolve(r.VOUGHT_DATA_DIR);
  const upstreams = (r.VOUGHT_EDGE_UPSTREAM ?? `http://127.0.0.1:${r.PORT}`)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const upstream of upstreams) {
    const ok = url(['http:', 'https:']).safeParse(upstream);
    if (!ok.success) throw new ConfigError('VOUGHT_EDGE_UPSTREAM', `not an http(s) URL: ${upstream}`);
  }
  return {
    host: r.VOUGHT_HOST,
    ports: { origin: r.PORT, edge: r.EDGE_PORT, encoder: r.ENCODER_PORT },
    publicUrl: r.VOUGHT_PUBLIC_URL?.replace(/\/$/, ''),
    trustedProxies: r.VOUGHT_TRUSTED_PROXIES.split(',')
      .map((c) => c.trim())
      .filter(Boolean),
    dataDir,
    storage: {
      kind: r.VOUGHT_STORAGE,
      root: path.join(dataDir, 'objects'),
      s3: {
        endpoint: r.VOUGHT_S3_ENDPOINT,
        region: r.VOUGHT_S3_REGION,
        bucket: r.VOUGHT_S3_BUCKET,
        accessKeyId: r.VOUGHT_S3_ACCESS_KEY,
        secretAccessKey: r.VOUGHT_S3_SECRET_KEY,
        forcePathStyle: r.VOUGHT_S3_FORCE_PATH_STYLE,
      },
    },
    cache: { redisUrl: r.VOUGHT_REDIS_URL, memoryBytes: r.VOUGHT_CACHE_BYTES },
    bus: { natsUrl: r.VOUGHT_NATS_URL },
    catalog: { databaseUrl: r.VOUGHT_DATABASE_URL, sqlitePath: path.join(dataDir, 'catalog.sqlite') },
    edge: {
      upstreams,
      diskDir: r.VOUGHT_EDGE_DISK_DIR ? path.resolve(r.VOUGHT_EDGE_DISK_DIR) : undefined,
      diskBytes: r.VOUGHT_EDGE_DISK_BYTES,
    },
    ffmpeg: { ffmpeg: r.VOUGHT_FFMPEG, ffprobe: r.VOUGHT_FFPROBE },
    encoder: { concurrency: r.VOUGHT_ENCODER_CONCURRENCY },
    uploads: { maxBytes: r.VOUGHT_MAX_UPLOAD_BYTES },
    api: { rateLimitPerMinute: r.VOUGHT_RATE_LIMIT, webhookPrivateTargets: r.VOUGHT_WEBHOOK_PRIVATE_TARGETS },
    auth: {
      issuer: r.VOUGHT_JWT_ISSUER,
      audience: r.VOUGHT_JWT_AUDIENCE,
      oidcIssuer: r.VOUGHT_OIDC_ISSUER,
      oidcClientId: r.VOUGHT_OIDC_CLIENT_ID,
      rolesClaim: r.VOUGHT_ROLES_CLAIM,
      keyDir: path.join(dataDir, 'keys'),
    },
    log: { level: r.VOUGHT_LOG_LEVEL },
    contentKeys: {
      secret: r.VOUGHT_KEY_SECRET ? Uint8Array.from(Buffer.from(r.VOUGHT_KEY_SECRET, 'hex')) : undefined,
      rotationSegments: r.VOUGHT_KEY_ROTATION,
      cpixUrl: r.VOUGHT_KEY_CPIX_URL,
      cpixToken: r.VOUGHT_KEY_CPIX_SECRET,
      clearKey: r.VOUGHT_KEY_CLEARKEY,
    },
    origin: { workers: r.VOUGHT_WORKERS },
    otel: { endpoint: r.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: r.OTEL_SERVICE_NAME },
  };
}
