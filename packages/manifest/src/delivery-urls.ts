// Every delivery URL below /v1/videos/{id}/, written and parsed here and nowhere else. The manifest
// builders write them, the origin parses them to cut bytes, the edge parses them to key its cache.
// A segment or on-demand URL names everything needed to cut its bytes: the target duration, the
// first fragment's decode time, and (for a clip that ends before the track does) the end of the
// clip in the track's ticks. So a URL alone fixes its bytes, and HLS and DASH (whose SegmentTemplate
// can only vary $Time$) share one cache entry per segment.
//
//   {track}/s{targetMs}[e{endTicks}]/{time}.m4s                 a segment (greedy from `time`)
//   {track}/{scheme}-k{period}/s{targetMs}[e{endTicks}]/{time}.m4s   the same segment, encrypted
//   {track}/{scheme}-k{period}/init.mp4                          its init segment (cenc, cbcs)
//   {track}/ondemand-s{targetMs}[-b{startTicks}][-e{endTicks}].mp4   DASH on-demand virtual file
//   {track}/init.mp4, {track}/file.mp4, text/{id}.vtt, thumbs/{poster,storyboard}.{jpg,vtt}
//   hls/master.m3u8, hls/{track}.m3u8, hls/{track}.iframes.m3u8, dash/manifest.mpd, dash/ondemand.mpd
//   keys/k{period} (HLS key URI), keys/clearkey (W3C ClearKey licence): never cached, not parsed here
//
// An encrypted object's URL names its scheme and key period, so the URL still fixes its bytes and
// the edge keys it by path like any other object. `aes-128` is HLS whole-segment encryption (its
// init segment is the clear one); `cbcs` serves HLS SAMPLE-AES on fMP4 and DASH cbcs alike.
import { ManifestError } from './manifest-error.ts';

/** Segment durations a URL or a query may ask for: the one place they are checked. */
export const SEGMENT_MS = { min: 1000, max: 30_000 } as const;

/** Throws manifest.invalid_query naming `parameter` unless `ms` is a whole number of allowed milliseconds. */
export function checkSegmentMs(ms: number, parameter: string): number {
  if (!Number.isInteger(ms) || ms < SEGMENT_MS.min || ms > SEGMENT_MS.max)
    throw new ManifestError(
      'manifest.invalid_query',
      `${parameter}: segment durations are ${SEGMENT_MS.min / 1000} to ${SEGMENT_MS.max / 1000} seconds, in whole milliseconds`,
      { parameter },
    );
  return ms;
}

/** Where a track's segments are cut: target duration and, for a clip, the exclusive end. */
export interface SegmentPlan {
  targetMs: number;
  /** Exclusive end of a clip in the track's ticks; absent when segments may run to the track's end. */
  endTicks?: number;
}

export type DeliveryResource =
  | { kind: 'hls-master' }
  | { kind: 'hls-media'; trackId: string; iframes: boolean }
  | { kind: 'dash'; profile: 'live' | 'ondemand' }
  | { kind: 'init'; trackId: string; encryption?: ObjectEncryption }
  | { kind: 'segment'; trackId: string; plan: SegmentPlan; time: number; encryption?: ObjectEncryption }
  | { kind: 'file'; trackId: string }
  | { kind: 'ondemand'; trackId: string; plan: SegmentPlan; startTicks?: number }
  | { kind: 'text'; textId: string }
  | { kind: 'thumbs'; file: 'poster.jpg' | 'poster.vtt' | 'storyboard.jpg' | 'storyboard.vtt' };

/** How an object's bytes are encrypted: HLS AES-128 (whole segment) or ISO/IEC 23001-7 cenc/cbcs. */
export type ObjectScheme = 'aes-128' | 'cenc' | 'cbcs';

export interface ObjectEncryption {
  scheme: ObjectScheme;
  /** Key period (@vought/keys periodOf): which content key. */
  period: number;
}

/** Key periods a URL may name. */
export const MAX_KEY_PERIOD = 999_999_999;

export interface DeliveryUrl {
  videoId: string;
  resource: DeliveryResource;
}

const ID = '[A-Za-z0-9_-]{1,64}';
const TICKS = '[0-9]{1,16}';
const PATTERN = new RegExp(
  `^/v1/videos/(${ID})/(?:` +
    [
      'hls/(master)\\.m3u8',
      `hls/(${ID}?)(\\.iframes)?\\.m3u8`,
      'dash/(manifest|ondemand)\\.mpd',
      `(${ID})/(?:(init|file)\\.mp4|s([0-9]{3,6})(?:e(${TICKS}))?/(${TICKS})\\.m4s|ondemand-s([0-9]{3,6})(?:-b(${TICKS}))?(?:-e(${TICKS}))?\\.mp4)`,
      `(${ID})/(aes-128|cenc|cbcs)-k(0|[1-9][0-9]{0,8})/(?:(init)\\.mp4|s([0-9]{3,6})(?:e(${TICKS}))?/(${TICKS})\\.m4s)`,
      `text/(${ID})\\.vtt`,
      'thumbs/((?:poster|storyboard)\\.(?:jpg|vtt))',
    ].join('|') +
    ')$',
);

const int = (text: string | undefined) => (text === undefined ? undefined : Number(text));

function plan(targetMs: string, endTicks: string | undefined): SegmentPlan {
  const out: SegmentPlan = { targetMs: Number(targetMs) };
  if (endTicks !== undefined) out.endTicks = Number(endTicks);
  return out;
}

/**
 * The resource a delivery path names, or null for anything else. Segment durations outside
 * SEGMENT_MS parse (so the answer can say what is wrong) and are refused by `checkSegmentMs`.
 */
export function parseDeliveryUrl(pathname: string): DeliveryUrl | null {
  const m = PATTERN.exec(pathname);
  if (!m) return null;
  const videoId = m[1] as string;
  const [, , master, media, iframes, dash, track, whole, segMs, segEnd, segTime, odMs, odStart, odEnd] = m;
  const [encTrack, scheme, period, encInit, encMs, encEnd, encTime, text, thumbs] = m.slice(14);
  let resource: DeliveryResource;
  if (encTrack && scheme && period) {
    const encryption: ObjectEncryption = { scheme: scheme as ObjectScheme, period: Number(period) };
    // AES-128 encrypts media segments only: its init segment is the clear one
    if (encInit && scheme !== 'aes-128') resource = { kind: 'init', trackId: encTrack, encryption };
    else if (encMs && encTime)
      resource = { kind: 'segment', trackId: encTrack, plan: plan(encMs, encEnd), time: Number(encTime), encryption };
    else return null;
  } else if (master) resource = { kind: 'hls-master' };
  else if (media !== undefined) resource = { kind: 'hls-media', trackId: media, iframes: iframes !== undefined };
  else if (dash) resource = { kind: 'dash', profile: dash === 'manifest' ? 'live' : 'ondemand' };
  else if (track && whole) resource = { kind: whole as 'init' | 'file', trackId: track };
  else if (track && segMs && segTime) resource = { kind: 'segment', trackId: track, plan: plan(segMs, segEnd), time: Number(segTime) };
  else if (track && odMs) {
    const start = int(odStart);
    resource = { kind: 'ondemand', trackId: track, plan: plan(odMs, odEnd), ...(start !== undefined ? { startTicks: start } : {}) };
  } else if (text) resource = { kind: 'text', textId: text };
  else if (thumbs) resource = { kind: 'thumbs', file: thumbs as 'poster.jpg' };
  else return null;
  return { videoId, resource };
}

const planPart = (p: SegmentPlan) => `s${p.targetMs}${p.endTicks !== undefined ? `e${p.endTicks}` : ''}`;
const encPart = (e: ObjectEncryption | undefined) => (e ? `${e.scheme}-k${e.period}/` : '');

/** Writers, relative to the manifest that links them (`hls/...` and `dash/...` sit one level down). */
export const deliveryUrls = {
  mediaPlaylist: (trackId: string, iframes = false) => `${trackId}${iframes ? '.iframes' : ''}.m3u8`,
  init: (trackId: string, e?: ObjectEncryption) => `../${trackId}/${e?.scheme === 'aes-128' ? '' : encPart(e)}init.mp4`,
  file: (trackId: string) => `../${trackId}/file.mp4`,
  segment: (trackId: string, p: SegmentPlan, time: number, e?: ObjectEncryption) => `../${trackId}/${encPart(e)}${planPart(p)}/${time}.m4s`,
  /** DASH SegmentTemplate@media: only $Time$ varies between a representation's segments. */
  segmentTemplate: (trackId: string, p: SegmentPlan, e?: ObjectEncryption) => `../${trackId}/${encPart(e)}${planPart(p)}/$Time$.m4s`,
  onDemand: (trackId: string, p: SegmentPlan, startTicks: number | undefined) =>
    `../${trackId}/ondemand-s${p.targetMs}${startTicks !== undefined ? `-b${startTicks}` : ''}${p.endTicks !== undefined ? `-e${p.endTicks}` : ''}.mp4`,
  text: (textId: string) => `../text/${textId}.vtt`,
  /** HLS key URI of a key period: the 16 raw key bytes (RFC 8216 §5.2). */
  key: (period: number) => `../keys/k${period}`,
  /** W3C ClearKey licence (EME §9.1.4): POST {"kids": [...]} → {"keys": [...]}. */
  licence: () => '../keys/clearkey',
} as const;

/** The key routes below /v1/videos/{id}/ (answered by the origin, passed through by caches). */
export const KEY_PATH = /^\/v1\/videos\/([A-Za-z0-9_-]{1,64})\/keys\/(?:k(0|[1-9][0-9]{0,8})|(clearkey))$/;
