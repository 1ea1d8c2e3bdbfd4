// Delivery, assembled: the record of each video (catalog state + parsed index, delivery-index.ts),
// who may fetch what (playback-access.ts), objects on the plain Node path (object-routes.ts),
// manifests and small text objects through Hono (manifest-routes.ts), and the in-memory answers
// to warm public manifests (hot-path.ts), and encryption just in time (content-keys.ts, key-routes.ts). The memory budget (VOUGHT_CACHE_BYTES) is split between
// them as `memorySplit` in @vought/config states.
import { RedisCache, TieredCache } from '@vought/cache';
import { memorySplit } from '@vought/config';
import type { Hono } from 'hono';
import type { OriginDeps } from '../app.ts';
import { ContentKeys } from './content-keys.ts';
import { DeliveryIndex } from './delivery-index.ts';
import { HotManifests } from './hot-path.ts';
import { mountKeyRoutes } from './key-routes.ts';
import { mountManifestRoutes } from './manifest-routes.ts';
import { ObjectRoutes } from './object-routes.ts';
import { PlaybackAccess } from './playback-access.ts';

export interface Delivery {
  index: DeliveryIndex;
  hot: HotManifests;
  objects: ObjectRoutes;
  keys: ContentKeys;
}

/** Redis, when the shared cache has it: encrypted bytes go there directly, not through the memory tier (kept bytes are). */
function sharedTier(cache: OriginDeps['cache']): RedisCache | undefined {
  if (cache instanceof TieredCache) return cache.l2;
  return cache instanceof RedisCache ? cache : undefined;
}

export function mountDelivery(app: Hono, deps: OriginDeps): Delivery {
  const budget = memorySplit(deps.config.cache.memoryBytes);
  const index = new DeliveryIndex(deps.catalog, deps.store, deps.cache, deps.generations);
  const access = new PlaybackAccess(deps.keys);
  const keys = ContentKeys.fromConfig(deps.config, deps.keys);
  const hot = new HotManifests(budget.manifests, (entry) => index.isCurrent(entry.record as Parameters<DeliveryIndex['isCurrent']>[0]));
  deps.generations.onBump((id) => hot.forget(id));
  const objects = new ObjectRoutes({
    index,
    access,
    store: deps.store,
    generations: deps.generations,
    memoryBytes: budget.segments,
    keys,
    shared: sharedTier(deps.cache),
    metrics: deps.metrics,
    logger: deps.logger,
  });
  mountManifestRoutes(app, deps, index, access, hot, keys);
  mountKeyRoutes(app, index, access, keys);
  return { index, hot, objects, keys };
}
