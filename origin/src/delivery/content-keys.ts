// Encryption just in time, the origin's side: which scheme a request gets (its `encryption`
// parameter against the video's policy), which content key protects which segment (the
// KeyProvider, with key rotation), and the IVs. Manifests and objects both ask here, so a playlist's
// IV and KID always match the bytes its URLs return.
//
// Keys come from @vought/keys: derived with HKDF from one master secret (VOUGHT_KEY_SECRET, or by
// default a secret derived from the generated keys.json, so every origin sharing the data dir's
// keys agrees), or from a key server's CPIX document (VOUGHT_KEY_CPIX_URL). One content key per
// video and key period serves every scheme, as a CPIX document delivers it; the IVs differ.
import { createHash, hkdfSync } from 'node:crypto';
import type { DevKeys } from '@vought/auth';
import type { EncryptionPolicy } from '@vought/catalog';
import type { Config } from '@vought/config';
import { type ContentKey, CpixKeyProvider, DerivedKeyProvider, KeyError, type KeyProvider, periodOf } from '@vought/keys';
import {
  type EncryptionScheme,
  MAX_KEY_PERIOD,
  ManifestError,
  type ManifestKeys,
  type ObjectEncryption,
  type ObjectScheme,
  type SegmentPlan,
} from '@vought/manifest';
import { type MediaTrack, segmentTargetOf } from '@vought/media';
import { LRUCache } from 'lru-cache';
import { ApiError } from '../http/api-error.ts';

export type ManifestFormat = 'hls' | 'dash';

const FORMAT_SCHEMES: Record<ManifestFormat, readonly EncryptionScheme[]> = {
  hls: ['aes-128', 'sample-aes'],
  dash: ['cenc', 'cbcs'],
};

/** The bytes an encryption scheme of a manifest produces: SAMPLE-AES on fMP4 is CMAF cbcs. */
export const objectScheme = (scheme: EncryptionScheme): ObjectScheme => (scheme === 'sample-aes' ? 'cbcs' : scheme);

/** What a video's delivery is under: its policy (from the catalog) or none. */
export interface Protected {
  video: { id: string; encryption: EncryptionPolicy | null };
}

/** A CPIX document per video from a key server (with its bearer token), fetched with a timeout and kept briefly. */
function cpixLoader(template: string, token: string | undefined): (videoId: string) => Promise<string> {
  const documents = new LRUCache<string, Promise<string>>({ max: 1000, ttl: 5 * 60_000 });
  return (videoId) => {
    const hit = documents.get(videoId);
    if (hit) return hit;
    const url = template.replaceAll('{videoId}', encodeURIComponent(videoId));
    const pending = fetch(url, {
      signal: AbortSignal.timeout(5000),
      headers: { accept: 'application/xml', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    }).then(
      async (res) => {
        if (res.status === 404) throw new KeyError('keys.not_found', `the key server has no CPIX document for video ${videoId}`);
        if (res.status >= 500) throw new KeyError('keys.unavailable', `the key server answered ${res.status} for video ${videoId}`);
        if (res.status === 401 || res.status === 403)
          throw new KeyError('keys.invalid', `the key server refused vought's credentials (${res.status}): check VOUGHT_KEY_CPIX_SECRET`);
        if (!res.ok) throw new KeyError('keys.invalid', `the key server answered ${res.status} for video ${videoId}`);
        return res.text();
      },
      (error: Error) => {
        throw new KeyError('keys.unavailable', `the key server did not answer for video ${videoId}: ${error.message}`);
      },
    );
    documents.set(videoId, pending);
    pending.catch(() => documents.delete(videoId));
    return pending;
  };
}

export class ContentKeys {
  /** Keys per video and period: HKDF or a CPIX parse per segment request would cost more than the AES. */
  private readonly keys = new LRUCache<string, Promise<ContentKey>>({ max: 20_000, ttl: 10 * 60_000 });
  /** What encryptSegment needs of a track (codec, NAL length size), per init segment. */
  private readonly targets = new LRUCache<string, ReturnType<typeof segmentTargetOf>>({ max: 5000 });

  constructor(
    private readonly provider: KeyProvider,
    /** Segments per key period when the video's policy sets none (0: no rotation). */
    private readonly defaultRotation: number,
    /** Whether vought hands keys to token holders (key URIs, ClearKey licences), or a DRM's licence server does. */
    readonly clearKey = true,
  ) {}

  static fromConfig(config: Config, devKeys: DevKeys): ContentKeys {
    const { secret, rotationSegments, cpixUrl, cpixToken, clearKey } = config.contentKeys;
    if (cpixUrl) return new ContentKeys(new CpixKeyProvider(cpixLoader(cpixUrl, cpixToken)), rotationSegments, clearKey);
    // By default the master secret is derived from the generated dev keys (a separate HKDF label,
    // so it reveals nothing of them): origins that share keys.json agree without another secret.
    const master = secret ?? new Uint8Array(hkdfSync('sha256', devKeys.devSecret, 'vought/content-keys/v1', 'vought/master-secret', 32));
    return new ContentKeys(new DerivedKeyProvider(master), rotationSegments, clearKey);
  }

  /** Segments per key period for a video (Infinity: one key for the whole video). */
  rotation(record: Protected): number {
    const n = record.video.encryption?.rotationSegments ?? this.defaultRotation;
    return n > 0 ? n : Number.POSITIVE_INFINITY;
  }

  keyFor(videoId: string, period: number): Promise<ContentKey> {
    const id = `${videoId}/${period}`;
    let key = this.keys.get(id);
    if (!key) {
      key = this.provider.keyFor(videoId, period);
      this.keys.set(id, key);
      key.catch(() => this.keys.delete(id));
    }
    return key;
  }

  /**
   * The scheme a manifest is encrypted with: the one asked for, which the video's policy must allow,
   * else the policy's first scheme for the format; undefined for clear delivery.
   */
  schemeFor(record: Protected, format: ManifestFormat, asked: EncryptionScheme | undefined): EncryptionScheme | undefined {
    const allowed = FORMAT_SCHEMES[format];
    const policy = record.video.encryption;
    if (asked !== undefined && !allowed.includes(asked))
      throw new ManifestError(
        'manifest.invalid_query',
        `encryption: ${asked} is not for ${format.toUpperCase()}; use ${allowed.join(' or ')}`,
        {
          parameter: 'encryption',
        },
      );
    // HLS keys are fetched from their key URI: without key delivery, only a DRM can play them
    const usable = (s: EncryptionScheme) => allowed.includes(s) && (this.clearKey || format === 'dash');
    if (asked !== undefined && !this.clearKey && format === 'hls')
      throw new ManifestError(
        'manifest.invalid_query',
        `encryption: ${asked} needs key URIs, which this origin does not serve (VOUGHT_KEY_CLEARKEY=false)`,
        {
          parameter: 'encryption',
        },
      );
    if (!policy) return asked;
    if (asked !== undefined) {
      if (!policy.schemes.includes(asked)) throw refused(record, `${asked} is not among them`);
      return asked;
    }
    const scheme = policy.schemes.find(usable);
    if (!scheme) throw refused(record, `none of them is for ${format.toUpperCase()}${this.clearKey ? '' : ' without key URIs'}`);
    return scheme;
  }

  /** Throws unless the video's policy allows an object encrypted so (undefined: clear bytes). */
  checkObject(record: Protected, encryption: ObjectEncryption | undefined, kind: 'init' | 'segment' | 'file' | 'ondemand'): void {
    const policy = record.video.encryption;
    if (!policy) return;
    // AES-128 leaves the init segment clear: it holds no media
    if (!encryption && kind === 'init' && policy.schemes.includes('aes-128')) return;
    if (!encryption) throw refused(record, 'clear media is not served');
    const ok = policy.schemes.some((s) => objectScheme(s) === encryption.scheme);
    if (!ok) throw refused(record, `${encryption.scheme} is not among them`);
  }

  /**
   * How many key periods segments of `fragments` fragments can fall in: a segment holds at least one
   * fragment, so its index (from any clip's start) is below the fragment count.
   */
  periodCount(record: Protected, fragments: number): number {
    return periodOf(Math.max(0, fragments - 1), this.rotation(record)) + 1;
  }

  /** Throws 404 unless `period` can be a key period of a segment of `track` under the video's rotation. */
  checkPeriod(record: Protected, track: MediaTrack, period: number): void {
    const last = this.periodCount(record, track.fragments.time.length) - 1;
    if (period > Math.min(last, MAX_KEY_PERIOD))
      throw new ApiError('http.not_found', `key period ${period} does not exist for this video (the last is ${last})`);
  }

  /** The key periods a manifest of these segment counts needs, loaded, as the builders' ManifestKeys. */
  async manifestKeys(record: Protected, segmentCounts: number[], licenceUrl: string, keyQuery: string): Promise<ManifestKeys> {
    const rotation = this.rotation(record);
    const periods = Math.max(1, ...segmentCounts.map((n) => periodOf(Math.max(0, n - 1), rotation) + 1));
    const keys = await Promise.all(Array.from({ length: periods }, (_, p) => this.keyFor(record.video.id, p)));
    const at = (period: number) => {
      const key = keys[period];
      if (!key) throw new Error(`key period ${period} was not loaded`);
      return key;
    };
    return {
      periodOf: (index) => periodOf(index, rotation),
      kid: (period) => at(period).kid,
      pssh: (period) => at(period).pssh,
      aesIv: (period, trackId, plan, time) => aesIv(at(period), trackId, plan, time),
      licenceUrl: this.clearKey ? licenceUrl : undefined,
      keyQuery,
    };
  }

  /** The segment target of a track's init segment, read and parsed once per stored index version. */
  async targetOf(cacheKey: string, readInit: () => Promise<Uint8Array>): Promise<ReturnType<typeof segmentTargetOf>> {
    let target = this.targets.get(cacheKey);
    if (!target) {
      target = segmentTargetOf(await readInit());
      this.targets.set(cacheKey, target);
    }
    return target;
  }
}

function refused(record: Protected, why: string): ApiError {
  const schemes = record.video.encryption?.schemes ?? [];
  return new ApiError(
    'video.encryption_required',
    `video ${record.video.id} is delivered encrypted only, with ${schemes.join(', ')}: ${why}`,
    { schemes: schemes.join(',') },
  );
}

/**
 * HLS AES-128: the 16-byte IV of one segment, named by its URL (track, plan, time) under the key's
 * IV seed, so every origin computes it and it never depends on the segment's media sequence number.
 */
export function aesIv(key: ContentKey, trackId: string, plan: SegmentPlan, time: number): Uint8Array {
  const hash = createHash('sha256')
    .update(key.iv)
    .update(`\0vought/aes-128-iv/${trackId}/${plan.targetMs}/${plan.endTicks ?? ''}/${time}`)
    .digest();
  return new Uint8Array(hash.subarray(0, 16));
}
