// Domain logic of the control API, apart from HTTP: what happens to the catalog, the store, the
// bus and the caches when a video is created, changed, uploaded or deleted. Routes stay thin.
import { randomBytes } from 'node:crypto';
import { type EncodeJob, type Invalidation, subjects, type VideoEvent, videoSurrogateKey } from '@vought/bus';
import type { NewVideo, Video, VideoPatch, VideoStatus } from '@vought/catalog';
import { injectTraceContext } from '@vought/observability';
import { videoKeys } from '@vought/storage';
import type { OriginDeps } from '../app.ts';
import { ApiError } from '../http/api-error.ts';

/** 12 URL-safe characters (72 random bits): unguessable enough for unlisted links. */
export function newVideoId(): string {
  return randomBytes(9).toString('base64url');
}

/** States from which a new upload may start; anything else already has (or is making) renditions. */
const uploadable: ReadonlySet<VideoStatus> = new Set(['waiting_upload', 'uploading', 'failed']);

export class VideoService {
  constructor(private readonly deps: OriginDeps) {}

  async create(input: Omit<NewVideo, 'id' | 'status'>): Promise<Video> {
    const video = await this.deps.catalog.createVideo({ ...input, id: newVideoId(), status: 'waiting_upload' });
    await this.emit({ type: 'video.status', version: 1, videoId: video.id, status: video.status, at: video.updatedAt });
    return video;
  }

  async update(video: Video, patch: VideoPatch): Promise<Video> {
    const updated = await this.deps.catalog.updateVideo(video.id, patch, { expectedVersion: video.version });
    await this.emit({ type: 'video.updated', version: 1, videoId: video.id, at: updated.updatedAt });
    // Visibility decides who may fetch manifests and segments, the encryption policy which of them
    // may be served (clear or encrypted, with which scheme and keys): every cache must forget the old answer.
    const visibilityChanged = patch.visibility !== undefined && patch.visibility !== video.visibility;
    const encryptionChanged = patch.encryption !== undefined && JSON.stringify(updated.encryption) !== JSON.stringify(video.encryption);
    if (visibilityChanged || encryptionChanged) await this.invalidate(video.id);
    return updated;
  }

  async remove(video: Video): Promise<void> {
    await this.deps.catalog.deleteVideo(video.id);
    await this.deps.store.deletePrefix(videoKeys.prefix(video.id));
    await this.invalidate(video.id);
    await this.emit({
      type: 'video.status',
      version: 1,
      videoId: video.id,
      status: 'deleted',
      owner: video.owner,
      at: new Date().toISOString(),
    });
  }

  isUploadable(video: Video): boolean {
    return uploadable.has(video.status);
  }

  assertUploadable(video: Video): void {
    if (!this.isUploadable(video)) {
      throw new ApiError('video.not_ready', `video ${video.id} is ${video.status}: it takes no new upload`, { status: video.status });
    }
  }

  async markUploading(video: Video): Promise<Video> {
    if (video.status === 'uploading') return video;
    return this.setStatus(video, 'uploading', null);
  }

  /** The source is stored and checked: queue it for the encoder (deduplicated per video version). */
  async enqueueEncode(video: Video): Promise<Video> {
    const queued = await this.setStatus(video, 'queued', null);
    const job: EncodeJob = { type: 'encode', version: 1, videoId: video.id, sourceKey: videoKeys.source(video.id) };
    await this.deps.bus.enqueue(subjects.encodeQueue, job, { id: `encode-${video.id}-${queued.version}`, headers: injectTraceContext() });
    return queued;
  }

  async setStatus(video: Video, status: VideoStatus, error: string | null): Promise<Video> {
    const updated = await this.deps.catalog.updateVideo(video.id, { status, error });
    const event: VideoEvent = { type: 'video.status', version: 1, videoId: video.id, status, at: updated.updatedAt };
    if (error) event.error = error;
    await this.emit(event);
    return updated;
  }

  async invalidate(id: string): Promise<void> {
    const message: Invalidation = { type: 'invalidate', version: 1, keys: [videoSurrogateKey(id)], at: Date.now() };
    // This node first, synchronously (it answers correctly at once, whatever the bus does), then
    // the shared cache, then every other node and edge.
    this.deps.generations.bump(id);
    await this.deps.cache.deleteTag(videoSurrogateKey(id));
    await this.deps.bus.publish(subjects.invalidate, message);
  }

  private async emit(event: VideoEvent): Promise<void> {
    await this.deps.bus.publish(subjects.videoEvents(event.videoId), event, injectTraceContext());
  }
}
