// The query parameters shared by HLS and DASH (ARCHITECTURE "Delivery URLs"), parsed once into a
// typed, normalised form. The normalised string is part of every cache key, so `?end=10&start=2`
// and `?start=2.000&end=10` share one cached manifest.
import { ManifestError } from './manifest-error.ts';

export interface ManifestQuery {
  maxHeight?: number;
  minHeight?: number;
  maxBitrate?: number;
  minBitrate?: number;
  /** Languages to keep (ISO 639 / BCP 47), in order of preference. */
  audio?: string[];
  /** Seconds; snapped to fragment boundaries. */
  start?: number;
  end?: number;
  /** Target segment duration, seconds. */
  segment: number;
  /** HLS only: virtual segment URLs, or byte ranges into the stored file. */
  addressing: 'segments' | 'byterange';
}

export const DEFAULT_SEGMENT_SECONDS = 4;
/** Every query parameter a manifest understands (the same for HLS and DASH). */
export const MANIFEST_PARAMETERS = [
  'max_height',
  'min_height',
  'max_bitrate',
  'min_bitrate',
  'audio',
  'start',
  'end',
  'segment',
  'addressing',
] as const;

function bad(parameter: string, message: string): never {
  throw new ManifestError('manifest.invalid_query', `${parameter}: ${message}`, { parameter });
}

function integer(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  if (!/^\d{1,12}$/.test(raw)) bad(name, `must be a whole number ≥ 0 (got ${JSON.stringify(raw.slice(0, 40))})`);
  return Number(raw);
}

function seconds(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  if (!/^\d{1,9}(\.\d{1,6})?$/.test(raw)) bad(name, `must be seconds ≥ 0, like 12 or 12.5 (got ${JSON.stringify(raw.slice(0, 40))})`);
  return Number(raw);
}

export function parseManifestQuery(params: URLSearchParams): ManifestQuery {
  for (const name of MANIFEST_PARAMETERS) if (params.getAll(name).length > 1) bad(name, 'given more than once');
  const query: ManifestQuery = { segment: DEFAULT_SEGMENT_SECONDS, addressing: 'segments' };
  const maxHeight = integer(params, 'max_height');
  const minHeight = integer(params, 'min_height');
  const maxBitrate = integer(params, 'max_bitrate');
  const minBitrate = integer(params, 'min_bitrate');
  if (maxHeight !== undefined) query.maxHeight = maxHeight;
  if (minHeight !== undefined) query.minHeight = minHeight;
  if (maxBitrate !== undefined) query.maxBitrate = maxBitrate;
  if (minBitrate !== undefined) query.minBitrate = minBitrate;
  if (minHeight !== undefined && maxHeight !== undefined && minHeight > maxHeight) bad('min_height', 'is above max_height');
  if (minBitrate !== undefined && maxBitrate !== undefined && minBitrate > maxBitrate) bad('min_bitrate', 'is above max_bitrate');
  const audio = params.get('audio');
  if (audio !== null) {
    const languages = audio.split(',').map((s) => s.trim());
    if (!languages.length || languages.some((l) => !/^[a-zA-Z]{2,8}(-[a-zA-Z0-9]{1,8})*$/.test(l)))
      bad('audio', 'must be a comma-separated list of language codes, like eng,fra');
    query.audio = [...new Set(languages.map((l) => l.toLowerCase()))];
  }
  const start = seconds(params, 'start');
  const end = seconds(params, 'end');
  if (start !== undefined) query.start = start;
  if (end !== undefined) query.end = end;
  if (start !== undefined && end !== undefined && start >= end) bad('start', 'must be before end');
  const segment = seconds(params, 'segment');
  if (segment !== undefined) {
    if (segment < 1 || segment > 30) bad('segment', 'must be between 1 and 30 seconds');
    query.segment = segment;
  }
  const addressing = params.get('addressing');
  if (addressing !== null) {
    if (addressing !== 'segments' && addressing !== 'byterange') bad('addressing', 'must be segments or byterange');
    query.addressing = addressing;
  }
  return query;
}

/** Canonical text of a query: sorted, numbers canonical, defaults left out. */
export function normaliseQuery(query: ManifestQuery): string {
  const out = new URLSearchParams();
  if (query.addressing !== 'segments') out.set('addressing', query.addressing);
  if (query.audio) out.set('audio', query.audio.join(','));
  if (query.end !== undefined) out.set('end', String(query.end));
  if (query.maxBitrate !== undefined) out.set('max_bitrate', String(query.maxBitrate));
  if (query.maxHeight !== undefined) out.set('max_height', String(query.maxHeight));
  if (query.minBitrate !== undefined) out.set('min_bitrate', String(query.minBitrate));
  if (query.minHeight !== undefined) out.set('min_height', String(query.minHeight));
  if (query.segment !== DEFAULT_SEGMENT_SECONDS) out.set('segment', String(query.segment));
  if (query.start !== undefined) out.set('start', String(query.start));
  return out.toString();
}

/** The part of a query a media playlist needs (clip, segment duration, addressing). */
export function mediaPlaylistQuery(query: ManifestQuery): string {
  return normaliseQuery({
    segment: query.segment,
    addressing: query.addressing,
    ...(query.start !== undefined ? { start: query.start } : {}),
    ...(query.end !== undefined ? { end: query.end } : {}),
  });
}
