// The query parameters shared by HLS and DASH (ARCHITECTURE "Delivery URLs"), parsed once into a
// typed, normalised form. The normalised string is part of every cache key, so `?end=10&start=2`
// and `?start=2.000&end=10` share one cached manifest.
import { checkSegmentMs } from './delivery-urls.ts';
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
  /** Target segment duration, whole milliseconds within SEGMENT_MS (delivery-urls.ts). */
  segmentMs: number;
  /** HLS only: virtual segment URLs, or byte ranges into the stored file. */
  addressing: 'segments' | 'byterange';
  /** Encryption just in time: aes-128 and sample-aes for HLS, cenc and cbcs for DASH. */
  encryption?: EncryptionScheme;
}

/** The `encryption` values: HLS METHOD=AES-128 and METHOD=SAMPLE-AES (fMP4: cbcs), DASH cenc and cbcs. */
export const ENCRYPTION_SCHEMES = ['aes-128', 'sample-aes', 'cenc', 'cbcs'] as const;
export type EncryptionScheme = (typeof ENCRYPTION_SCHEMES)[number];

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
  'encryption',
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

/** Seconds written in decimal, as exact milliseconds (NaN when finer than a millisecond). */
function milliseconds(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  const match = /^(\d{1,6})(?:\.(\d{1,6}))?$/.exec(raw);
  if (!match) bad(name, `must be seconds, like 4 or 2.5 (got ${JSON.stringify(raw.slice(0, 40))})`);
  const fraction = (match[2] ?? '').padEnd(6, '0');
  return fraction.endsWith('000') ? Number(match[1]) * 1000 + Number(fraction.slice(0, 3)) : Number.NaN;
}

export function parseManifestQuery(params: URLSearchParams): ManifestQuery {
  for (const name of MANIFEST_PARAMETERS) if (params.getAll(name).length > 1) bad(name, 'given more than once');
  const query: ManifestQuery = { segmentMs: DEFAULT_SEGMENT_SECONDS * 1000, addressing: 'segments' };
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
  const segmentMs = milliseconds(params, 'segment');
  if (segmentMs !== undefined) query.segmentMs = checkSegmentMs(segmentMs, 'segment');
  const addressing = params.get('addressing');
  if (addressing !== null) {
    if (addressing !== 'segments' && addressing !== 'byterange') bad('addressing', 'must be segments or byterange');
    query.addressing = addressing;
  }
  const encryption = params.get('encryption');
  if (encryption !== null) {
    if (!(ENCRYPTION_SCHEMES as readonly string[]).includes(encryption))
      bad('encryption', `must be one of ${ENCRYPTION_SCHEMES.join(', ')} (got ${JSON.stringify(encryption.slice(0, 40))})`);
    if (query.addressing === 'byterange')
      bad('encryption', 'cannot be combined with addressing=byterange: encrypted segments are larger than the stored byte ranges');
    query.encryption = encryption as EncryptionScheme;
  }
  return query;
}

/** Canonical text of a query: sorted, numbers canonical, defaults left out. */
export function normaliseQuery(query: ManifestQuery): string {
  const out = new URLSearchParams();
  if (query.addressing !== 'segments') out.set('addressing', query.addressing);
  if (query.audio) out.set('audio', query.audio.join(','));
  if (query.encryption !== undefined) out.set('encryption', query.encryption);
  if (query.end !== undefined) out.set('end', String(query.end));
  if (query.maxBitrate !== undefined) out.set('max_bitrate', String(query.maxBitrate));
  if (query.maxHeight !== undefined) out.set('max_height', String(query.maxHeight));
  if (query.minBitrate !== undefined) out.set('min_bitrate', String(query.minBitrate));
  if (query.minHeight !== undefined) out.set('min_height', String(query.minHeight));
  if (query.segmentMs !== DEFAULT_SEGMENT_SECONDS * 1000) out.set('segment', String(query.segmentMs / 1000));
  if (query.start !== undefined) out.set('start', String(query.start));
  return out.toString();
}

/** The part of a query a media playlist needs (clip, segment duration, addressing, encryption). */
export function mediaPlaylistQuery(query: ManifestQuery): string {
  return normaliseQuery({
    segmentMs: query.segmentMs,
    addressing: query.addressing,
    ...(query.encryption !== undefined ? { encryption: query.encryption } : {}),
    ...(query.start !== undefined ? { start: query.start } : {}),
    ...(query.end !== undefined ? { end: query.end } : {}),
  });
}
