// What delivery needs per video, loaded once and kept hot: the catalog's visibility and status and
// the parsed media index. Parsed objects live in an in-process LRU (parsing a 2-hour index on every
// request would cost more than the request); the raw index bytes go through the shared cache port
// (LRU, then Redis) so that a cold origin node asks Redis before storage. Invalidations (bus
// `cdn.invalidate`) drop both.
import { createHash } from 'node:crypto';
import { videoSurrogateKey } from '@vought/bus';
import type { Cache } from '@vought/cache';
import type { Catalog, Video } from '@vought/catalog';
import { type MediaIndex, parseMediaIndex } from '@vought/media';
import type { ObjectStore } from '@vought/storage';
import { videoKeys } from '@vought/storage';
import { LRUCache } from 'lru-cache';
import { ApiError } from '../http/api-error.ts';
import type { VideoGenerations } from './video-generations.ts';

export interface DeliveryRecord {
  video: Pick<Video, 'id' | 'visibility' | 'status' | 'encryption'>;
  index: MediaIndex;
  /** Strong validator of the index (changes with every encode). */
  version: string;
  lastModified: Date;
  /** Track lookup by id. */
  tracks: Map<string, MediaIndex['tracks'][number]>;
  /** The video's generation on this node when the record was loaded (video-generations.ts). */
  generation: number;
}

/**
 * A record is re-checked against the catalog at least this often, even without invalidations: the
 * bound on how long a node that missed an invalidation (bus outage) can serve an old state.
 */
export const RECHECK_MS = 60_000;

export class DeliveryIndex {
  private readonly parsed = new LRUCache<string, DeliveryRecord>({ max: 1000, ttl: RECHECK_MS });
  private readonly loading = new Map<string, Promise<DeliveryRecord>>();

  constructor(
    private readonly catalog: Catalog,
    private readonly store: ObjectStore,
    private readonly cache: Cache,
    private readonly generations: VideoGenerations,
  ) {
    generations.onBump((id) => this.drop(id));
  }

  /** The record, or throws: 404 unknown video, 409 not ready (with its status). */
  async get(id: string): Promise<DeliveryRecord> {
    const hot = this.parsed.get(id);
    if (hot) return hot;
    const waiting = this.loading.get(id);
    if (waiting) return waiting;
    const pending: Promise<DeliveryRecord> = this.load(id).finally(() => {
      if (this.loading.get(id) === pending) this.loading.delete(id);
    });
    this.loading.set(id, pending);
    return pending;
  }

  /** Sync lookup for the hot path (undefined: call get). */
  peek(id: string): DeliveryRecord | undefined {
    return this.parsed.get(id);
  }

  /** Whether `record` is still the one this node serves for its video (not dropped, not expired). */
  isCurrent(record: DeliveryRecord): boolean {
    return this.parsed.get(record.video.id) === record;
  }

  private drop(id: string): void {
    this.parsed.delete(id);
    // requests arriving from now on must not join a load that started under the old state
    this.loading.delete(id);
  }

  private async load(id: string): Promise<DeliveryRecord> {
    const generation = this.generations.current(id);
    const video = await this.catalog.findVideo(id);
    if (!video) throw new ApiError('http.not_found', `no video ${id}`);
    if (video.status !== 'ready') {
      throw new ApiError('video.not_ready', `video ${id} is ${video.status}${video.error ? `: ${video.error}` : ''}`, {
        status: video.status,
      });
    }
    const key = videoKeys.index(id);
    const bytes = await this.cache.getOrLoad(`index:${id}`, async () => ({
      value: await this.store.readAll(key),
      tags: [videoSurrogateKey(id)],
      ttlSeconds: 3600,
    }));
    const index = parseMediaIndex(bytes);
    const record: DeliveryRecord = {
      video: { id: video.id, visibility: video.visibility, status: video.status, encryption: video.encryption },
      index,
      version: createHash('sha1').update(bytes).digest('base64url').slice(0, 16),
      lastModified: new Date(index.createdAt),
      tracks: new Map(index.tracks.map((t) => [t.id, t])),
      generation,
    };
    // An invalidation that arrived during the awaits above wins: this answer serves the requests
    // that were already waiting for it and is not kept.
    if (this.generations.isCurrent(id, generation)) this.parsed.set(id, record);
    return record;
  }
}
