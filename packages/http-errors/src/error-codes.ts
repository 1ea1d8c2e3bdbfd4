// Every code an error can carry to an HTTP answer: each package's own union, and the codes of the
// HTTP services themselves (declared here, where origin and edge both can read them).
import type { AuthErrorCode } from '@vought/auth';
import type { BusErrorCode } from '@vought/bus';
import type { CacheErrorCode } from '@vought/cache';
import type { CatalogErrorCode } from '@vought/catalog';
import type { ConfigErrorCode } from '@vought/config';
import type { KeyErrorCode } from '@vought/keys';
import type { ManifestErrorCode } from '@vought/manifest';
import type { MediaErrorCode } from '@vought/media';
import type { StorageErrorCode } from '@vought/storage';

/** The origin's own HTTP layer (bad query, wrong state): its ApiError. */
export type ApiErrorCode =
  | 'http.bad_request'
  | 'http.not_found'
  | 'http.method_not_allowed'
  | 'http.payload_too_large'
  | 'http.unsupported_media_type'
  | 'http.rate_limited'
  | 'video.not_ready'
  | 'video.gone'
  | 'video.encryption_required';

/** The origin's tus route (checksum extension) and webhook registration. */
export type UploadErrorCode = 'upload.checksum_mismatch';
export type WebhookErrorCode = 'webhook.target_refused';

/** The edge: no upstream answered, or one client holds too many pass-through requests. */
export type EdgeErrorCode = 'edge.upstream_unavailable' | 'edge.too_many_requests';

/** What an unexpected (uncoded) error is answered with. */
export type InternalErrorCode = 'http.internal';

export type AllErrorCodes =
  | ApiErrorCode
  | UploadErrorCode
  | WebhookErrorCode
  | EdgeErrorCode
  | InternalErrorCode
  | AuthErrorCode
  | BusErrorCode
  | CacheErrorCode
  | CatalogErrorCode
  | ConfigErrorCode
  | KeyErrorCode
  | ManifestErrorCode
  | MediaErrorCode
  | StorageErrorCode;
