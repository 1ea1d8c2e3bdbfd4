// Delivery, assembled: the record of each video (catalog state + parsed index, delivery-index.ts),
// who may fetch what (playback-access.ts), objects on the plain Node path (object-routes.ts),
// manifests and small text objects through Hono (manifest-routes.ts), and the in-memory answers
// to warm public manifests (hot-path.ts). The memory budget (VOUGHT_CACHE_BYTES) is split between
// them as `memorySplit` in @vought/config states.
import { memorySplit } from '@vought/config';
import type { Hono } from 'hono';
import type { OriginDeps } from '../app.ts';
import { DeliveryIndex } from './delivery-index.ts';
import { HotManifests } from './hot-path.ts';
import { mountManifestRoutes } from './manifest-routes.ts';
import { ObjectRoutes } from './object-routes.ts';
import { PlaybackAccess } from './playback-access.ts';

export interface Delivery {
  index: DeliveryIndex;
  hot: HotManifests;
  objects: ObjectRoutes;
}

export function mountDelivery(app: Hono, deps: OriginDeps): Delivery {
  const budget = memorySplit(deps.config.cache.memoryBytes);
  const index = new DeliveryIndex(deps.catalog, deps.store, deps.cache, deps.generations);
  const access = new PlaybackAccess(deps.keys);
  const hot = new HotManifests(budget.manifests, (entry) => index.isCurrent(entry.record as Parameters<DeliveryIndex['isCurrent']>[0]));
  deps.generations.onBump((id) => hot.forget(id));
  const objects = new ObjectRoutes({
    index,
    access,
    store: deps.store,
    generations: deps.generations,
    memoryBytes: budget.segments,
    metrics: deps.metrics,
    logger: deps.logger,
  });
  mountManifestRoutes(app, deps, index, access, hot);
  return { index, hot, objects };
}
