// How a new video and a patch become a row, the same for both engines. Only the patchable fields
// are copied: a caller passing `{ version, id, createdAt }` in a patch (plain JavaScript, or a
// body forwarded without a schema) must not be able to rewrite them.
import type { EncryptionPolicy, NewVideo, Video, VideoPatch } from './catalog-types.ts';

export function newVideo(input: NewVideo, at: string): Video {
  return {
    id: input.id,
    owner: input.owner,
    title: input.title.trim(),
    description: input.description ?? '',
    tags: [...(input.tags ?? [])],
    visibility: input.visibility ?? 'public',
    status: input.status ?? 'waiting_upload',
    error: null,
    duration: null,
    renditions: [],
    encryption: copyPolicy(input.encryption ?? null),
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
}

/** The row after `patch` (version and updated_at are the engine's to set). */
export function applyPatch(current: Video, patch: VideoPatch): Video {
  const next = { ...current };
  if (patch.title !== undefined) next.title = patch.title.trim();
  if (patch.description !== undefined) next.description = patch.description;
  if (patch.tags !== undefined) next.tags = [...patch.tags];
  if (patch.visibility !== undefined) next.visibility = patch.visibility;
  if (patch.status !== undefined) next.status = patch.status;
  if (patch.error !== undefined) next.error = patch.error;
  if (patch.duration !== undefined) next.duration = patch.duration;
  if (patch.renditions !== undefined) next.renditions = patch.renditions;
  if (patch.encryption !== undefined) next.encryption = copyPolicy(patch.encryption);
  return next;
}

/** The policy's own fields only, in one order (checked by video-validation.ts before this). */
function copyPolicy(policy: EncryptionPolicy | null): EncryptionPolicy | null {
  if (policy === null) return null;
  return { schemes: [...policy.schemes], ...(policy.rotationSegments !== undefined ? { rotationSegments: policy.rotationSegments } : {}) };
}
