// The media index as stored (`videos/{id}/index.json`): parse with a shape check, serialize as JSON.
import { MediaError } from './media-error.ts';
import { MEDIA_INDEX_VERSION, type MediaIndex } from './types/media-index.ts';

export function serializeMediaIndex(index: MediaIndex): string {
  return JSON.stringify(index);
}

export function parseMediaIndex(text: string | Uint8Array): MediaIndex {
  let value: unknown;
  try {
    value = JSON.parse(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'));
  } catch {
    throw new MediaError('media.malformed', 'media index is not JSON');
  }
  const index = value as MediaIndex;
  if (!index || typeof index !== 'object' || index.version !== MEDIA_INDEX_VERSION) {
    throw new MediaError(
      'media.malformed',
      `media index version ${(index as { version?: unknown })?.version} is not ${MEDIA_INDEX_VERSION}`,
    );
  }
  if (!Array.isArray(index.tracks) || !Array.isArray(index.text) || typeof index.videoId !== 'string')
    throw new MediaError('media.malformed', 'media index lacks tracks');
  for (const track of index.tracks) {
    const f = track?.fragments;
    const n = f?.time?.length;
    if (
      !f ||
      typeof n !== 'number' ||
      n === 0 ||
      f.duration?.length !== n ||
      f.offset?.length !== n ||
      f.size?.length !== n ||
      f.keyframe?.length !== n ||
      typeof track.timescale !== 'number' ||
      !(track.timescale > 0) ||
      !/^[A-Za-z0-9_-]+$/.test(track.id ?? '')
    ) {
      throw new MediaError('media.malformed', `media index track ${track?.id} is malformed`);
    }
  }
  return index;
}
