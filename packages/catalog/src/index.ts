// The catalog port: video metadata and search. Adapters: sqlite-catalog.ts (better-sqlite3, WAL,
// embedded default) and postgres-catalog.ts (pg). Versioned migrations (migrations.ts) are applied
// at open. Search must give the same answers on both: see search-query.ts for the shared rules.
// This file only re-exports and picks an adapter; nothing inside the package imports it, so it
// cannot take part in an import cycle.
import type { Catalog } from './catalog-types.ts';
import { PostgresCatalog } from './postgres-catalog.ts';
import { SqliteCatalog } from './sqlite-catalog.ts';

export { CatalogError, type CatalogErrorCode } from './catalog-error.ts';
export type {
  Catalog,
  DeliveryStatus,
  EncryptionPolicy,
  EncryptionScheme,
  ListQuery,
  NewDelivery,
  NewVideo,
  NewWebhook,
  Page,
  Rendition,
  Video,
  VideoPatch,
  VideoStatus,
  Visibility,
  Webhook,
  WebhookDelivery,
  WebhookStore,
} from './catalog-types.ts';
export { latestVersion, type Migration, migrations } from './migrations.ts';
export { PostgresCatalog, type PostgresCatalogOptions } from './postgres-catalog.ts';
export { matches as searchMatches, parseSearch, words as searchWords } from './search-query.ts';
export { SqliteCatalog, type SqliteCatalogOptions } from './sqlite-catalog.ts';
export { encryptionSchemes } from './video-validation.ts';

/**
 * PostgreSQL when a URL is configured, else SQLite at `sqlitePath`; migrated and ready. Throws
 * catalog.unavailable when the database cannot be reached or opened, catalog.invalid when it
 * is at a newer schema version than this code.
 */
export async function openCatalog(options: {
  databaseUrl: string | undefined;
  sqlitePath: string;
  /** PostgreSQL only: errors of idle pooled connections (for the log; they are never fatal). */
  onPoolError?: (error: Error) => void;
}): Promise<Catalog> {
  if (options.databaseUrl)
    return PostgresCatalog.open({ url: options.databaseUrl, ...(options.onPoolError ? { onPoolError: options.onPoolError } : {}) });
  return SqliteCatalog.open({ path: options.sqlitePath });
}
