// DASH MPDs (ISO/IEC 23009-1, DASH-IF IOP) from a Presentation: the live profile with
// SegmentTemplate + SegmentTimeline (the segment URLs HLS uses too), and the on-demand profile
// with SegmentBase/indexRange into a virtual file (init + generated sidx + fragments).
import type { AudioTrack, Thumbnails, VideoTrack } from '@vought/media';
import { deliveryUrls } from './delivery-urls.ts';
import { ManifestError } from './manifest-error.ts';
import { onDemandFile } from './on-demand-file.ts';
import type { Presentation, SelectedTrack } from './presentation.ts';
import type { Segment } from './segment-planner.ts';

export interface DashOptions {
  passQuery: string;
  /** DASH-IF thumbnail track from the storyboard. */
  thumbnails?: Thumbnails | undefined;
}

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

function segmentTemplate(sel: SelectedTrack, options: DashOptions): string {
  const t = sel.track;
  const first = sel.segments[0];
  const pto = first && first.time > 0 ? first.time : undefined;
  return `<SegmentTemplate${attrs([
    ['timescale', t.timescale],
    ['presentationTimeOffset', pto],
    ['initialization', withQuery(deliveryUrls.init(t.id), options.passQuery)],
    ['media', withQuery(deliveryUrls.segmentTemplate(t.id, sel.plan), options.passQuery)],
  ])}><SegmentTimeline>${timeline(sel.segments)}</SegmentTimeline></SegmentTemplate>`;
}

function videoSet(p: Presentation, rep: (sel: SelectedTrack) => string): string {
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
  ])}>${reps}</AdaptationSet>`;
}

function audioSets(p: Presentation, rep: (sel: SelectedTrack) => string): string {
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
      ])}><Role schemeIdUri="urn:mpeg:dash:role:2011" value="${main ? 'main' : 'alternate'}"/>${list
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

function mpd(profile: string, p: Presentation, body: string, minBuffer: number): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="${profile}" type="static" mediaPresentationDuration="${isoDuration(p.duration)}" minBufferTime="${isoDuration(minBuffer)}"><Period id="0" start="PT0S">${body}</Period></MPD>
`;
}

export function buildMpd(p: Presentation, options: DashOptions): string {
  const rep = (sel: SelectedTrack) => segmentTemplate(sel, options);
  const segmentSeconds = (p.video[0] ?? p.audio[0])?.plan.targetMs ?? 4000;
  return mpd(
    'urn:mpeg:dash:profile:isoff-live:2011',
    p,
    videoSet(p, rep) + audioSets(p, rep) + textSets(p, options) + thumbnailSet(p, options),
    segmentSeconds / 1000,
  );
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
  return mpd('urn:mpeg:dash:profile:isoff-on-demand:2011', p, videoSet(p, rep) + audioSets(p, rep) + textSets(p, options), 2);
}
