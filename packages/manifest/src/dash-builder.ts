// DASH MPDs (ISO/IEC 23009-1, DASH-IF IOP) from a Presentation: the live profile with
// SegmentTemplate + SegmentTimeline (the segment URLs HLS uses too), and the on-demand profile
// with SegmentBase/indexRange into a virtual file (init + generated sidx + fragments).
import type { AudioTrack, Thumbnails, VideoTrack } from '@vought/media';
import { deliveryUrls, type ObjectEncryption } from './delivery-urls.ts';
import { ManifestError } from './manifest-error.ts';
import { keyPeriods, type ManifestKeys, psshSystemId, uuid } from './manifest-keys.ts';
import { onDemandFile } from './on-demand-file.ts';
import type { Presentation, SelectedTrack } from './presentation.ts';
import type { Segment } from './segment-planner.ts';

export interface DashOptions {
  passQuery: string;
  /** DASH-IF thumbnail track from the storyboard. */
  thumbnails?: Thumbnails | undefined;
  /** Common Encryption of every segment (live profile only); absent: clear. */
  encryption?: { scheme: 'cenc' | 'cbcs'; keys: ManifestKeys } | undefined;
}

/** DASH-IF IOP §7.6.2.4 / DASH-IF Content Protection: the ClearKey system and the W3C common pssh. */
const CLEARKEY_SYSTEM = 'e2719d58-a985-b3c9-781a-b030af78d30e';
const COMMON_SYSTEM = '1077efec-c0b2-4d02-ace3-3c1e52e2fb4b';

const esc = (value: string | number) =>
  String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);

const attrs = (pairs: Array<[string, string | number | undefined]>) =>
  pairs
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => ` ${k}="${esc(v as string | number)}"`)
    .join('');

/** ISO 8601 duration with millisecond precision (xs:duration). */
export function isoDuration(seconds: number): string {
  return `PT${seconds.toFixed(3)}S`;
}

const withQuery = (url: string, q: string) => (q ? `${url}?${q}` : url);

function gcd(a: number, b: number): number {
  return b ? gcd(b, a % b) : a;
}

/** SegmentTimeline with run-length `r`: no gaps (each t is the previous t + d), no d=0. */
function timeline(segments: Segment[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < segments.length) {
    const s = segments[i] as Segment;
    let repeat = 0;
    while (
      i + repeat + 1 < segments.length &&
      segments[i + repeat + 1]?.duration === s.duration &&
      segments[i + repeat + 1]?.time === s.time + s.duration * (repeat + 1)
    )
      repeat++;
    // t on the first S, and wherever the previous run did not end exactly here
    const prev = segments[i - 1];
    const needT = i === 0 || !prev || prev.time + prev.duration !== s.time;
    out.push(`<S${needT ? ` t="${s.time}"` : ''} d="${s.duration}"${repeat ? ` r="${repeat}"` : ''}/>`);
    i += repeat + 1;
  }
  return out.join('');
}

function segmentTemplate(sel: SelectedTrack, options: DashOptions, encryption?: ObjectEncryption): string {
  const t = sel.track;
  const first = sel.segments[0];
  const pto = first && first.time > 0 ? first.time : undefined;
  return `<SegmentTemplate${attrs([
    ['timescale', t.timescale],
    ['presentationTimeOffset', pto],
    ['initialization', withQuery(deliveryUrls.init(t.id, encryption), options.passQuery)],
    ['media', withQuery(deliveryUrls.segmentTemplate(t.id, sel.plan, encryption), options.passQuery)],
  ])}><SegmentTimeline>${timeline(sel.segments)}</SegmentTimeline></SegmentTemplate>`;
}

/**
 * ContentProtection of one key period (ISO/IEC 23009-1 §5.8.4.1, DASH-IF IOP §7.7): the mp4protection
 * descriptor with the period's KID, ClearKey with its licence URL (dashif:Laurl), and one descriptor
 * per pssh box the key provider gives (the W3C common box, Widevine, PlayReady...).
 */
function contentProtection(scheme: 'cenc' | 'cbcs', keys: ManifestKeys, period: number): string {
  const laurl = keys.licenceUrl ? `<dashif:Laurl>${esc(withQuery(keys.licenceUrl, keys.keyQuery))}</dashif:Laurl>` : '';
  const out = [
    `<ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="${scheme}" cenc:default_KID="${uuid(keys.kid(period))}"/>`,
  ];
  if (laurl) out.push(`<ContentProtection schemeIdUri="urn:uuid:${CLEARKEY_SYSTEM}" value="ClearKey1.0">${laurl}</ContentProtection>`);
  for (const box of keys.pssh(period)) {
    const system = psshSystemId(box);
    const extra = system === COMMON_SYSTEM ? laurl : '';
    out.push(
      `<ContentProtection schemeIdUri="urn:uuid:${system}"${system === COMMON_SYSTEM ? ' value="ClearKey1.0"' : ''}><cenc:pssh>${Buffer.from(box).toString('base64')}</cenc:pssh>${extra}</ContentProtection>`,
    );
  }
  return out.join('');
}

function videoSet(p: Presentation, rep: (sel: SelectedTrack) => string, protection = ''): string {
  if (!p.video.length) return '';
  const maxW = Math.max(...p.video.map((v) => v.track.width));
  const maxH = Math.max(...p.video.map((v) => v.track.height));
  const top = p.video[0]?.track as VideoTrack;
  const g = gcd(maxW, maxH) || 1;
  const reps = p.video
    .slice()
    .sort((a, b) => a.bandwidth.peak - b.bandwidth.peak)
    .map((v) => {
      const t = v.track;
      return `<Representation${attrs([
        ['id', t.id],
        ['codecs', t.codec],
        ['bandwidth', v.bandwidth.peak],
        ['width', t.width],
        ['height', t.height],
        ['frameRate', t.frameRate.den === 1 ? t.frameRate.num : `${t.frameRate.num}/${t.frameRate.den}`],
        ['sar', `${t.sar.h}:${t.sar.v}`],
      ])}>${rep(v)}</Representation>`;
    })
    .join('');
  return `<AdaptationSet${attrs([
    ['id', 'video'],
    ['contentType', 'video'],
    ['mimeType', 'video/mp4'],
    ['segmentAlignment', 'true'],
    ['startWithSAP', '1'],
    ['maxWidth', maxW],
    ['maxHeight', maxH],
    ['maxFrameRate', top.frameRate.den === 1 ? top.frameRate.num : `${top.frameRate.num}/${top.frameRate.den}`],
    ['par', `${maxW / g}:${maxH / g}`],
  ])}>${protection}${reps}</AdaptationSet>`;
}

function audioSets(p: Presentation, rep: (sel: SelectedTrack) => string, protection = ''): string {
  // One AdaptationSet per language (ISO/IEC 23009-1 §5.3.3: one language per set).
  const byLanguage = new Map<string, SelectedTrack<AudioTrack>[]>();
  for (const a of p.audio) {
    const list = byLanguage.get(a.track.language) ?? [];
    list.push(a);
    byLanguage.set(a.track.language, list);
  }
  let n = 0;
  return [...byLanguage.entries()]
    .map(([language, list]) => {
      const main = n === 0;
      const set = `<AdaptationSet${attrs([
        ['id', `audio-${n}`],
        ['contentType', 'audio'],
        ['mimeType', 'audio/mp4'],
        ['lang', language],
        ['segmentAlignment', 'true'],
        ['startWithSAP', '1'],
      ])}>${protection}<Role schemeIdUri="urn:mpeg:dash:role:2011" value="${main ? 'main' : 'alternate'}"/>${list
        .map((a) => {
          const t = a.track;
          return `<Representation${attrs([
            ['id', t.id],
            ['codecs', t.codec],
            ['bandwidth', a.bandwidth.peak],
            ['audioSamplingRate', t.sampleRate],
          ])}><AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="${t.channels || 2}"/>${rep(a)}</Representation>`;
        })
        .join('')}</AdaptationSet>`;
      n++;
      return set;
    })
    .join('');
}

function textSets(p: Presentation, options: DashOptions): string {
  return p.text
    .map(
      (t, i) =>
        `<AdaptationSet${attrs([
          ['id', `text-${i}`],
          ['contentType', 'text'],
          ['mimeType', 'text/vtt'],
          ['lang', t.language],
        ])}><Role schemeIdUri="urn:mpeg:dash:role:2011" value="subtitle"/><Representation${attrs([
          ['id', t.id],
          ['bandwidth', 256],
        ])}><BaseURL>${esc(withQuery(deliveryUrls.text(t.id), options.passQuery))}</BaseURL></Representation></AdaptationSet>`,
    )
    .join('');
}

/** DASH-IF IOP v4.3 §6.2.6 thumbnail tiles: one image holding columns × rows tiles. */
function thumbnailSet(p: Presentation, options: DashOptions): string {
  const th = options.thumbnails;
  if (!th) return '';
  const width = th.columns * th.tileWidth;
  const height = th.rows * th.tileHeight;
  const duration = Math.max(1, Math.round(p.duration * 1000));
  return `<AdaptationSet id="thumbnails" contentType="image" mimeType="image/jpeg"><SegmentTemplate media="${esc(withQuery(`../${th.sprite}`, options.passQuery))}" duration="${duration}" timescale="1000" startNumber="1"/><Representation id="storyboard" bandwidth="${Math.max(1, Math.round((8 * 20_000) / Math.max(1, p.duration)))}" width="${width}" height="${height}"><EssentialProperty schemeIdUri="http://dashif.org/thumbnail_tile" value="${th.columns}x${th.rows}"/></Representation></AdaptationSet>`;
}

const PROTECTION_NAMESPACES = ' xmlns:cenc="urn:mpeg:cenc:2013" xmlns:dashif="https://dashif.org/CPS"';

function mpd(profile: string, p: Presentation, periods: string, minBuffer: number, protectedMpd = false): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"${protectedMpd ? PROTECTION_NAMESPACES : ''} profiles="${profile}" type="static" mediaPresentationDuration="${isoDuration(p.duration)}" minBufferTime="${isoDuration(minBuffer)}">${periods}</MPD>
`;
}

const period = (id: string, startSeconds: number, body: string) =>
  `<Period id="${id}" start="${startSeconds === 0 ? 'PT0S' : isoDuration(startSeconds)}">${body}</Period>`;

export function buildMpd(p: Presentation, options: DashOptions): string {
  const profile = 'urn:mpeg:dash:profile:isoff-live:2011';
  const reference = p.video[0] ?? p.audio[0];
  const minBuffer = (reference?.plan.targetMs ?? 4000) / 1000;
  if (!options.encryption || !reference) {
    const rep = (sel: SelectedTrack) => segmentTemplate(sel, options);
    return mpd(
      profile,
      p,
      period('0', 0, videoSet(p, rep) + audioSets(p, rep) + textSets(p, options) + thumbnailSet(p, options)),
      minBuffer,
    );
  }
  return mpd(profile, p, protectedPeriods(p, reference, options, options.encryption), minBuffer, true);
}

/**
 * An encrypted presentation: one Period per key period (DASH-IF IOP §7.7.6, key rotation by
 * periods), each with its own KID, init segments and timeline. Periods split every track at the
 * same segment indices as the reference (first video) track; a track's trailing segments go to the
 * last Period. Text and thumbnails are whole-presentation files: offered only in a single Period.
 */
function protectedPeriods(
  p: Presentation,
  reference: SelectedTrack,
  options: DashOptions,
  { scheme, keys }: NonNullable<DashOptions['encryption']>,
): string {
  const groups = keyPeriods(reference.segments.length, keys);
  const origin = reference.segments[0]?.time ?? 0;
  return groups
    .map((g, i) => {
      const end = i === groups.length - 1 ? Number.POSITIVE_INFINITY : g.end;
      const slice = <T extends SelectedTrack>(list: T[]) =>
        list.map((sel) => ({ ...sel, segments: sel.segments.slice(g.start, end) })).filter((sel) => sel.segments.length > 0);
      const part = { ...p, video: slice(p.video), audio: slice(p.audio) };
      const encryption: ObjectEncryption = { scheme, period: g.period };
      const rep = (sel: SelectedTrack) => segmentTemplate(sel, options, encryption);
      const cp = contentProtection(scheme, keys, g.period);
      const extras = groups.length === 1 ? textSets(p, options) + thumbnailSet(p, options) : '';
      const start = ((reference.segments[g.start]?.time ?? origin) - origin) / reference.track.timescale;
      return period(String(i), start, videoSet(part, rep, cp) + audioSets(part, rep, cp) + extras);
    })
    .join('');
}

export function buildOnDemandMpd(p: Presentation, options: DashOptions): string {
  const rep = (sel: SelectedTrack) => {
    // the selection's own file: clipped at its first segment when the clip starts after the track does
    const first = sel.segments[0];
    const startTicks = first && first.first > 0 ? first.time : undefined;
    const file = onDemandFile(sel.track, sel.plan, startTicks);
    if (!file) throw new ManifestError('manifest.no_match', `track ${sel.track.id} has no fragment in the clip`);
    const pto = file.segments[0] && file.segments[0].time > 0 ? ` presentationTimeOffset="${file.segments[0].time}"` : '';
    const url = withQuery(deliveryUrls.onDemand(sel.track.id, sel.plan, startTicks), options.passQuery);
    return `<BaseURL>${esc(url)}</BaseURL><SegmentBase indexRange="${file.sidxOffset}-${file.sidxOffset + file.sidxSize - 1}" timescale="${sel.track.timescale}"${pto}><Initialization range="0-${file.initSize - 1}"/></SegmentBase>`;
  };
  if (options.encryption)
    throw new ManifestError(
      'manifest.invalid_query',
      'encryption: the on-demand profile indexes the clear stored bytes; ask dash/manifest.mpd for encrypted DASH',
      { parameter: 'encryption' },
    );
  return mpd(
    'urn:mpeg:dash:profile:isoff-on-demand:2011',
    p,
    period('0', 0, videoSet(p, rep) + audioSets(p, rep) + textSets(p, options)),
    2,
  );
}
