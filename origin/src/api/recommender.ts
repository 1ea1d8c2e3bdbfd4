// Related videos behind an interface an ML service can replace. The baseline asks the
// catalog, which ranks by shared tags then title-word similarity, the same on SQLite and PostgreSQL.
import type { Catalog, Video } from '@vought/catalog';

export interface Recommender {
  /** Public videos related to `video`, best first, never `video` itself. */
  related(video: Video, limit: number): Promise<Video[]>;
}

export class CatalogRecommender implements Recommender {
  constructor(private readonly catalog: Catalog) {}

  async related(video: Video, limit: number): Promise<Video[]> {
    return this.catalog.related(video.id, limit);
  }
}
