// Invalidation wins every race (SECURITY.md, "Caches and invalidation"): each video has a
// generation on this node, bumped whenever this node learns that the video's delivery changed
// (visibility, deletion, a new encode), whether the change was made here or announced on the bus.
// Every cache fill reads the generation before its first await and stores its result only if the
// generation is unchanged afterwards; a fill that raced an invalidation is used for the request
// that made it (which began before the change) and then thrown away.
//
// Generations are drawn from one counter, so a value never repeats for a video: a video forgotten
// by the bounded table reads as the table's floor (the highest generation it has evicted), which
// is never equal to a generation a fill captured before the eviction.
import { LRUCache } from 'lru-cache';

export type GenerationListener = (videoId: string) => void;

export class VideoGenerations {
  private counter = 0;
  private floor = 0;
  private readonly listeners = new Set<GenerationListener>();
  private readonly table = new LRUCache<string, number>({
    max: 100_000,
    dispose: (generation, _id, reason) => {
      if (reason === 'evict' && generation > this.floor) this.floor = generation;
    },
  });

  /** The generation a fill for `videoId` starts under. */
  current(videoId: string): number {
    return this.table.get(videoId) ?? this.floor;
  }

  /** Whether a fill that started under `generation` may still be stored. */
  isCurrent(videoId: string, generation: number): boolean {
    return this.current(videoId) === generation;
  }

  /** Marks every fill in progress for `videoId` as stale and tells the caches to drop the video. */
  bump(videoId: string): void {
    this.table.set(videoId, ++this.counter);
    for (const listener of this.listeners) listener(videoId);
  }

  onBump(listener: GenerationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
