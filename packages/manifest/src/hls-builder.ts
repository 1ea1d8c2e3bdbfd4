// HLS playlists (RFC 8216 and draft-pantos-hls-rfc8216bis; Apple's HLS Authoring Specification)
// from a Presentation. Built as an array of lines joined once: the 2-hour media playlist is built
// on every cold manifest request.
import type { AudioTrack, TextTrack, VideoTrack } from '@vought/media';
import { deliveryUrls, type ObjectEncryption } from './delivery-urls.ts';
import { hex, type ManifestKeys } from './manifest-keys.ts';
import type { Presentation, SelectedTrack } from './presentation.ts';
import { segmentBitrates } from './segment-planner.ts';

export interface HlsOptions {
  /** Appended to every URL (e.g. `token=...`); empty for none. */
  passQuery: string;
  /** Query for media playlist links from the multivariant playlist (clip, segment, addressing). */
  mediaQuery: string;
  addressing: 'segments' | 'byterange';
  /** Encryption of media playlists' segments (RFC 8216 §4.3.2.4); absent: clear. */
  encryption?: { scheme: 'aes-128' | 'sample-aes'; keys: ManifestKeys } | undefined;
}

const withQuery = (url: string, ...parts: string[]) => {
  const q = parts.filter(Boolean).join('&');
  return q ? `${url}?${q}` : url;
};

/** Seconds with 3 decimals, from ticks (EXTINF, RFC 8216 §4.3.2.1: decimal-floating-point). */
const secs = (ticks: number, timescale: number) => (ticks / timescale).toFixed(3);

const quoted = (text: string) => `"${text.replace(/["\r\n]/g, '')}"`;

function audioGroupId(track: AudioTrack): string {
  return `audio-${track.codec.replace(/[^a-z0-9]/gi, '')}`;
}

export function buildMultivariantPlaylist(p: Presentation, options: HlsOptions): string {
  const lines = ['#EXTM3U'];
  const hasIframes = p.video.length > 0 && !options.encryption;
  // media playlists of an encrypted presentation carry the token their key URIs need
  const playlistQuery = options.passQuery || options.encryption?.keys.keyQuery || '';
  // RFC 8216 §7: EXT-X-I-FRAME-STREAM-INF needs version 4.
  lines.push(`#EXT-X-VERSION:${hasIframes ? 4 : 3}`);
  if (p.independent) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  // Audio groups by codec: a group's renditions must share a codec (Apple authoring spec).
  const groups = new Map<string, SelectedTrack<AudioTrack>[]>();
  for (const a of p.audio) {
    const id = audioGroupId(a.track);
    const list = groups.get(id) ?? [];
    list.push(a);
    groups.set(id, list);
  }
  for (const [group, list] of groups) {
    list.forEach((a, i) => {
      const attrs = [
        'TYPE=AUDIO',
        `GROUP-ID=${quoted(group)}`,
        `NAME=${quoted(a.track.label ?? a.track.language)}`,
        `LANGUAGE=${quoted(a.track.language)}`,
        `DEFAULT=${i === 0 ? 'YES' : 'NO'}`,
        'AUTOSELECT=YES',
        `CHANNELS=${quoted(String(a.track.channels || 2))}`,
        `URI=${quoted(withQuery(deliveryUrls.mediaPlaylist(a.track.id), options.mediaQuery, playlistQuery))}`,
      ];
      lines.push(`#EXT-X-MEDIA:${attrs.join(',')}`);
    });
  }
  for (const t of p.text) {
    lines.push(
      `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME=${quoted(t.label ?? t.language)},LANGUAGE=${quoted(t.language)},DEFAULT=NO,AUTOSELECT=YES,URI=${quoted(withQuery(deliveryUrls.mediaPlaylist(t.id), options.mediaQuery, playlistQuery))}`,
    );
  }
  const subtitles = p.text.length ? ',SUBTITLES="subs"' : '';
  type Variant = { bandwidth: number; line: string; uri: string };
  const variants: Variant[] = [];
  if (p.video.length) {
    const groupList = groups.size ? [...groups.entries()] : [[null, []] as const];
    for (const v of p.video) {
      for (const [group, list] of groupList) {
        // RFC 8216bis §4.4.6.2: BANDWIDTH is the peak segment bit rate of the variant, counting
        // the highest-bandwidth rendition of its audio group; AVERAGE-BANDWIDTH the same with averages.
        const audioPeak = Math.max(0, ...list.map((a) => a.bandwidth.peak));
        const audioAverage = Math.max(0, ...list.map((a) => a.bandwidth.average));
        const codecs = [v.track.codec, ...new Set(list.map((a) => a.track.codec))].join(',');
        const t = v.track as VideoTrack;
        const fps = t.frameRate.den ? (t.frameRate.num / t.frameRate.den).toFixed(3) : undefined;
        const attrs = [
          `BANDWIDTH=${v.bandwidth.peak + audioPeak}`,
          `AVERAGE-BANDWIDTH=${v.bandwidth.average + audioAverage}`,
          `CODECS=${quoted(codecs)}`,
          `RESOLUTION=${t.width}x${t.height}`,
          ...(fps ? [`FRAME-RATE=${fps}`] : []),
          ...(group ? [`AUDIO=${quoted(group)}`] : []),
        ];
        variants.push({
          bandwidth: v.bandwidth.peak + audioPeak,
          line: `#EXT-X-STREAM-INF:${attrs.join(',')}${subtitles},CLOSED-CAPTIONS=NONE`,
          uri: withQuery(deliveryUrls.mediaPlaylist(t.id), options.mediaQuery, playlistQuery),
        });
      }
    }
  } else {
    // Audio only: each audio rendition is a variant of its own.
    for (const a of p.audio) {
      variants.push({
        bandwidth: a.bandwidth.peak,
        line: `#EXT-X-STREAM-INF:BANDWIDTH=${a.bandwidth.peak},AVERAGE-BANDWIDTH=${a.bandwidth.average},CODECS=${quoted(a.track.codec)}${subtitles},CLOSED-CAPTIONS=NONE`,
        uri: withQuery(deliveryUrls.mediaPlaylist(a.track.id), options.mediaQuery, playlistQuery),
      });
    }
  }
  variants.sort((a, b) => a.bandwidth - b.bandwidth);
  for (const v of variants) lines.push(v.line, v.uri);
  // I-frame playlists address byte ranges of the clear stored file: not offered when encrypted
  for (const v of options.encryption ? [] : p.video) {
    const t = v.track;
    const iframe = iframeBitrate(v);
    lines.push(
      `#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=${iframe.peak},AVERAGE-BANDWIDTH=${iframe.average},CODECS=${quoted(t.codec)},RESOLUTION=${t.width}x${t.height},URI=${quoted(withQuery(deliveryUrls.mediaPlaylist(t.id, true), options.mediaQuery, playlistQuery))}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** I-frame playlist bit rates: the keyframes' bytes over their fragments' durations. */
function iframeBitrate(v: SelectedTrack<VideoTrack>): { peak: number; average: number } {
  const f = v.track.fragments;
  let peak = 0;
  let bytes = 0;
  let ticks = 0;
  for (const s of v.segments) {
    for (let i = s.first; i <= s.last; i++) {
      const size = f.iframeSize?.[i] ?? f.size[i] ?? 0;
      const d = f.duration[i] ?? 0;
      bytes += size;
      ticks += d;
      if (d > 0) peak = Math.max(peak, (size * 8 * v.track.timescale) / d);
    }
  }
  return { peak: Math.ceil(peak), average: ticks ? Math.ceil((bytes * 8 * v.track.timescale) / ticks) : 0 };
}

/** RFC 8216 §4.3.3.1: every EXTINF rounded to the nearest integer is ≤ the target duration. */
function targetDuration(durations: number[], timescale: number): number {
  let max = 1;
  for (const d of durations) max = Math.max(max, Math.round(d / timescale));
  return max;
}

export function buildMediaPlaylist(selected: SelectedTrack, options: HlsOptions): string {
  const { track, segments, plan } = selected;
  const ts = track.timescale;
  const lines = [
    '#EXTM3U',
    // Version 7 (the choice; EXT-X-MAP in a media playlist needs 6, byte ranges 4).
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${targetDuration(
      segments.map((s) => s.duration),
      ts,
    )}`,
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-MEDIA-SEQUENCE:0',
  ];
  const independent = track.type !== 'video' || segments.every((s) => track.fragments.keyframe[s.first] === 1);
  if (independent) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  if (options.addressing === 'byterange') {
    const file = withQuery(deliveryUrls.file(track.id), options.passQuery);
    lines.push(`#EXT-X-MAP:URI=${quoted(file)},BYTERANGE="${track.init.size}@${track.init.offset}"`);
    for (const s of segments) lines.push(`#EXTINF:${secs(s.duration, ts)},`, `#EXT-X-BYTERANGE:${s.size}@${s.offset}`, file);
  } else if (options.encryption) {
    encryptedSegments(lines, selected, options.encryption, options.passQuery);
  } else {
    lines.push(`#EXT-X-MAP:URI=${quoted(withQuery(deliveryUrls.init(track.id), options.passQuery))}`);
    // one writer per URL (delivery-urls.ts); the 2-hour playlist writes 1 800 of these
    const suffix = options.passQuery ? `?${options.passQuery}` : '';
    for (const s of segments) lines.push(`#EXTINF:${secs(s.duration, ts)},`, `${deliveryUrls.segment(track.id, plan, s.time)}${suffix}`);
  }
  lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

/**
 * Segments under EXT-X-KEY (RFC 8216 §4.3.2.4). AES-128: the init segment stays clear (its EXT-X-MAP
 * comes before any key), and every segment gets its own IV, so a segment's bytes depend on its URL
 * alone and not on its media sequence number (which a clip changes). SAMPLE-AES on fMP4 is CMAF
 * cbcs: each key period has its own init segment (its tenc names the period's KID), so a new key
 * brings a new EXT-X-MAP.
 */
function encryptedSegments(
  lines: string[],
  { track, segments, plan }: SelectedTrack,
  { scheme, keys }: NonNullable<HlsOptions['encryption']>,
  passQuery: string,
): void {
  const ts = track.timescale;
  const keyUri = (period: number) => quoted(withQuery(deliveryUrls.key(period), keys.keyQuery));
  const suffix = passQuery ? `?${passQuery}` : '';
  if (scheme === 'aes-128') lines.push(`#EXT-X-MAP:URI=${quoted(withQuery(deliveryUrls.init(track.id), passQuery))}`);
  let current = -1;
  segments.forEach((s, i) => {
    const period = keys.periodOf(i);
    const encryption: ObjectEncryption = { scheme: scheme === 'aes-128' ? 'aes-128' : 'cbcs', period };
    if (scheme === 'aes-128') {
      lines.push(`#EXT-X-KEY:METHOD=AES-128,URI=${keyUri(period)},IV=0x${hex(keys.aesIv(period, track.id, plan, s.time))}`);
    } else if (period !== current) {
      lines.push(
        `#EXT-X-KEY:METHOD=SAMPLE-AES,URI=${keyUri(period)},KEYFORMAT="identity",KEYFORMATVERSIONS="1"`,
        `#EXT-X-MAP:URI=${quoted(withQuery(deliveryUrls.init(track.id, encryption), passQuery))}`,
      );
    }
    current = period;
    lines.push(`#EXTINF:${secs(s.duration, ts)},`, `${deliveryUrls.segment(track.id, plan, s.time, encryption)}${suffix}`);
  });
}

export function buildIframePlaylist(selected: SelectedTrack<VideoTrack>, options: HlsOptions): string {
  const { track, segments } = selected;
  const f = track.fragments;
  const file = withQuery(deliveryUrls.file(track.id), options.passQuery);
  const durations: number[] = [];
  for (const s of segments) for (let i = s.first; i <= s.last; i++) durations.push(f.duration[i] ?? 0);
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${targetDuration(durations, track.timescale)}`,
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    '#EXT-X-I-FRAMES-ONLY',
    `#EXT-X-MAP:URI=${quoted(file)},BYTERANGE="${track.init.size}@${track.init.offset}"`,
  ];
  for (const s of segments) {
    for (let i = s.first; i <= s.last; i++) {
      lines.push(
        `#EXTINF:${secs(f.duration[i] ?? 0, track.timescale)},`,
        `#EXT-X-BYTERANGE:${f.iframeSize?.[i] ?? f.size[i]}@${f.offset[i]}`,
        file,
      );
    }
  }
  lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

export function buildSubtitlePlaylist(text: TextTrack, durationSeconds: number, options: Pick<HlsOptions, 'passQuery'>): string {
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${Math.max(1, Math.ceil(durationSeconds))}`,
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-MEDIA-SEQUENCE:0',
    `#EXTINF:${durationSeconds.toFixed(3)},`,
    withQuery(deliveryUrls.text(text.id), options.passQuery),
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');
}

export { segmentBitrates };
