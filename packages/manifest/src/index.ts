// @vought/manifest: pure HLS and DASH builders from the media index (no I/O, no clock).

export { buildMpd, buildOnDemandMpd, type DashOptions, isoDuration } from './dash-builder.ts';
export { type DeliveryKind, type DeliveryPath, deliveryParameters, parseDeliveryPath, TOKEN_PARAMETER } from './delivery-paths.ts';
export {
  checkSegmentMs,
  type DeliveryResource,
  type DeliveryUrl,
  deliveryUrls,
  KEY_PATH,
  MAX_KEY_PERIOD,
  type ObjectEncryption,
  type ObjectScheme,
  parseDeliveryUrl,
  SEGMENT_MS,
  type SegmentPlan,
} from './delivery-urls.ts';
export {
  buildIframePlaylist,
  buildMediaPlaylist,
  buildMultivariantPlaylist,
  buildSubtitlePlaylist,
  type HlsOptions,
} from './hls-builder.ts';
export { ManifestError, type ManifestErrorCode } from './manifest-error.ts';
export { keyPeriods, type ManifestKeys, psshSystemId, uuid } from './manifest-keys.ts';
export {
  DEFAULT_SEGMENT_SECONDS,
  ENCRYPTION_SCHEMES,
  type EncryptionScheme,
  MANIFEST_PARAMETERS,
  type ManifestQuery,
  mediaPlaylistQuery,
  normaliseQuery,
  parseManifestQuery,
} from './manifest-query.ts';
export { type OnDemandFile, onDemandFile } from './on-demand-file.ts';
export { type Presentation, present, type SelectedTrack } from './presentation.ts';
export {
  findFragment,
  fragmentContaining,
  planSegments,
  type Segment,
  segmentAt,
  segmentBitrates,
  segmentOf,
  targetTicks,
} from './segment-planner.ts';
