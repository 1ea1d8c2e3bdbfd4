// @vought/manifest: pure HLS and DASH builders from the media index (no I/O, no clock).

export { buildMpd, buildOnDemandMpd, type DashOptions, isoDuration, onDemandLayout } from './dash-builder.ts';
export { type DeliveryKind, type DeliveryPath, deliveryParameters, parseDeliveryPath, TOKEN_PARAMETER } from './delivery-paths.ts';
export {
  buildIframePlaylist,
  buildMediaPlaylist,
  buildMultivariantPlaylist,
  buildSubtitlePlaylist,
  type HlsOptions,
} from './hls-builder.ts';
export { ManifestError, type ManifestErrorCode } from './manifest-error.ts';
export {
  DEFAULT_SEGMENT_SECONDS,
  MANIFEST_PARAMETERS,
  type ManifestQuery,
  mediaPlaylistQuery,
  normaliseQuery,
  parseManifestQuery,
} from './manifest-query.ts';
export { type Presentation, present, type SelectedTrack } from './presentation.ts';
export {
  findFragment,
  fragmentContaining,
  planSegments,
  type Segment,
  segmentAt,
  segmentBitrates,
  targetTicks,
} from './segment-planner.ts';
