// Catalog-level checks, the same for both engines: the HTTP layer validates shapes, but the
// catalog refuses values it cannot store meaningfully, whoever calls it.
import { CatalogError, type NewVideo, type VideoPatch, type VideoStatus, type Visibility } from './index.ts';

export const visibilities: readonly Visibility[] = ['public', 'unlisted', 'private'];
export const statuses: readonly VideoStatus[] = ['waiting_upload', 'uploading', 'queued', 'processing', 'ready', 'failed'];

function invalid(message: string, field: string): never {
  throw new CatalogError('catalog.invalid', message, { parameter: field });
}

export function checkNewVideo(video: NewVideo): void {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(video.id)) invalid('id must be 1-64 characters of A-Z a-z 0-9 _ -', 'id');
  if (!video.owner) invalid('owner is required', 'owner');
  if (!video.title?.trim()) invalid('title is required', 'title');
  checkPatch(video);
}

export function checkPatch(patch: VideoPatch): void {
  if (patch.visibility !== undefined && !visibilities.includes(patch.visibility))
    invalid(`visibility must be one of ${visibilities.join(', ')}`, 'visibility');
  if (patch.status !== undefined && !statuses.includes(patch.status)) invalid(`status must be one of ${statuses.join(', ')}`, 'status');
  if (patch.tags !== undefined && (!Array.isArray(patch.tags) || patch.tags.some((t) => typeof t !== 'string')))
    invalid('tags must be strings', 'tags');
  if (patch.title !== undefined && !patch.title.trim()) invalid('title must not be empty', 'title');
  if (patch.duration !== undefined && patch.duration !== null && !(Number.isFinite(patch.duration) && patch.duration >= 0))
    invalid('duration must be ≥ 0', 'duration');
}

export function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) invalid('limit must be 1..100', 'limit');
  return limit;
}
