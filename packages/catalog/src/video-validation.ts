// Catalog-level checks, the same for both engines: the HTTP layer validates shapes, but the
// catalog refuses values it cannot store meaningfully (or that one engine would store and the
// other reject), whoever calls it. Limits are well above the control API's own.
import { CatalogError } from './catalog-error.ts';
import type { EncryptionScheme, ListQuery, NewVideo, VideoPatch, VideoStatus, Visibility } from './catalog-types.ts';

export const visibilities: readonly Visibility[] = ['public', 'unlisted', 'private'];
export const statuses: readonly VideoStatus[] = ['waiting_upload', 'uploading', 'queued', 'processing', 'ready', 'failed'];
const renditionTypes = ['video', 'audio', 'text'];
/** Every scheme a policy may name: aes-128 and sample-aes for HLS, cenc and cbcs for DASH. */
export const encryptionSchemes: readonly EncryptionScheme[] = ['aes-128', 'sample-aes', 'cenc', 'cbcs'];
const policyKeys = ['schemes', 'rotationSegments'];

export const ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_OWNER = 200;
const MAX_TITLE = 1000;
const MAX_DESCRIPTION = 20_000;
const MAX_TAGS = 100;
const MAX_TAG = 100;
const MAX_ERROR = 10_000;
const MAX_RENDITIONS = 100;
const MAX_ROTATION_SEGMENTS = 1_000_000;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Storable on both engines: no NUL, no unpaired surrogate (String.isWellFormed is ES2024). */
function storable(value: string): boolean {
  return !value.includes('\u0000') && !LONE_SURROGATE.test(value);
}

function invalid(message: string, field: string): never {
  throw new CatalogError('catalog.invalid', message, { parameter: field });
}

/**
 * PostgreSQL text cannot hold NUL, and neither engine can store half a surrogate pair as UTF-8:
 * refuse both here so that the two engines accept exactly the same values.
 */
function checkText(value: unknown, field: string, max: number, options: { empty?: boolean } = {}): void {
  if (typeof value !== 'string') invalid(`${field} must be a string`, field);
  if (!options.empty && !value.trim()) invalid(`${field} must not be empty`, field);
  if (value.length > max) invalid(`${field} is longer than ${max} characters`, field);
  if (!storable(value)) invalid(`${field} contains NUL or an unpaired surrogate`, field);
}

export function checkNewVideo(video: NewVideo): void {
  if (typeof video !== 'object' || video === null) invalid('video must be an object', 'video');
  if (typeof video.id !== 'string' || !ID.test(video.id)) invalid('id must be 1-64 characters of A-Z a-z 0-9 _ -', 'id');
  checkText(video.owner, 'owner', MAX_OWNER);
  checkText(video.title, 'title', MAX_TITLE);
  checkPatch(video);
}

export function checkPatch(patch: VideoPatch): void {
  if (typeof patch !== 'object' || patch === null) invalid('patch must be an object', 'patch');
  if (patch.title !== undefined) checkText(patch.title, 'title', MAX_TITLE);
  if (patch.description !== undefined) checkText(patch.description, 'description', MAX_DESCRIPTION, { empty: true });
  if (patch.visibility !== undefined && !visibilities.includes(patch.visibility))
    invalid(`visibility must be one of ${visibilities.join(', ')}`, 'visibility');
  if (patch.status !== undefined && !statuses.includes(patch.status)) invalid(`status must be one of ${statuses.join(', ')}`, 'status');
  if (patch.tags !== undefined) {
    if (!Array.isArray(patch.tags)) invalid('tags must be an array of strings', 'tags');
    if (patch.tags.length > MAX_TAGS) invalid(`at most ${MAX_TAGS} tags`, 'tags');
    for (const tag of patch.tags) checkText(tag, 'tags', MAX_TAG);
  }
  if (patch.error !== undefined && patch.error !== null) checkText(patch.error, 'error', MAX_ERROR, { empty: true });
  if (patch.duration !== undefined && patch.duration !== null && !(Number.isFinite(patch.duration) && patch.duration >= 0))
    invalid('duration must be a finite number ≥ 0', 'duration');
  if (patch.renditions !== undefined) {
    if (!Array.isArray(patch.renditions) || patch.renditions.length > MAX_RENDITIONS)
      invalid(`renditions must be an array of at most ${MAX_RENDITIONS}`, 'renditions');
    for (const r of patch.renditions) {
      if (typeof r !== 'object' || r === null || typeof r.id !== 'string' || !r.id || !renditionTypes.includes(r.type))
        invalid('each rendition needs an id and a type (video, audio or text)', 'renditions');
    }
  }
  if (patch.encryption !== undefined) checkEncryption(patch.encryption);
}

/** null, or `{ schemes, rotationSegments? }` with nothing else (catalog-types.ts EncryptionPolicy). */
function checkEncryption(policy: unknown): void {
  if (policy === null) return;
  if (typeof policy !== 'object' || Array.isArray(policy))
    invalid('encryption must be null or an object with schemes and optional rotationSegments', 'encryption');
  const unknown = Object.keys(policy).filter((key) => !policyKeys.includes(key));
  if (unknown.length) invalid(`encryption has unknown keys: ${unknown.join(', ')}`, 'encryption');
  const { schemes, rotationSegments } = policy as Record<string, unknown>;
  if (!Array.isArray(schemes) || schemes.length === 0 || schemes.length > encryptionSchemes.length)
    invalid(`encryption.schemes must list 1 to ${encryptionSchemes.length} schemes`, 'encryption');
  for (const scheme of schemes)
    if (!encryptionSchemes.includes(scheme)) invalid(`encryption.schemes must be of ${encryptionSchemes.join(', ')}`, 'encryption');
  if (new Set(schemes).size !== schemes.length) invalid('encryption.schemes must not repeat a scheme', 'encryption');
  if (
    rotationSegments !== undefined &&
    !(Number.isInteger(rotationSegments) && (rotationSegments as number) >= 1 && (rotationSegments as number) <= MAX_ROTATION_SEGMENTS)
  )
    invalid(`encryption.rotationSegments must be an integer 1..${MAX_ROTATION_SEGMENTS}`, 'encryption');
}

/** Checks the filters and returns the page size (1..100, default 20). */
export function checkListQuery(query: ListQuery): number {
  if (query.status !== undefined && !statuses.includes(query.status)) invalid(`status must be one of ${statuses.join(', ')}`, 'status');
  if (query.visibility !== undefined) {
    if (!Array.isArray(query.visibility) || query.visibility.some((v) => !visibilities.includes(v)))
      invalid(`visibility must list values of ${visibilities.join(', ')}`, 'visibility');
  }
  for (const field of ['q', 'tag', 'owner'] as const) {
    const value = query[field];
    if (value !== undefined && (typeof value !== 'string' || !storable(value)))
      invalid(`${field} must be a string without NUL or unpaired surrogates`, field);
  }
  if (query.limit === undefined) return 20;
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 100) invalid('limit must be 1..100', 'limit');
  return query.limit;
}
