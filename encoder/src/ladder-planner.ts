// Plans the renditions from what the source is (pure: unit-tested without ffmpeg).
// Rungs and bitrates after Apple's HLS Authoring Specification for Apple Devices (§ "Video",
// H.264 bit-rate ladder for 16:9 at 30 fps): 1080p ≈ 6 Mb/s, 720p ≈ 3 Mb/s, 540p/480p ≈ 1.5-2
// Mb/s, 360p ≈ 0.8 Mb/s, 240p ≈ 0.4 Mb/s; above 30 fps the bitrate rises by half.
import type { ProbedSource } from './source-probe.ts';

export interface VideoRung {
  id: string;
  /** Output size: even, aspect kept, never larger than the source. */
  width: number;
  height: number;
  /** kbit/s */
  bitrate: number;
  maxrate: number;
  bufsize: number;
  profile: 'high';
  level: string;
  /** The short side that named the rung (1080, 720...). */
  rung: number;
}

export interface AudioRendition {
  id: string;
  sourceIndex: number;
  language: string;
  label: string;
  bitrate: number;
}

export interface SubtitleOutput {
  id: string;
  sourceIndex: number;
  language: string;
  label: string;
}

export interface LadderPlan {
  fps: { num: number; den: number };
  /** Frames between keyframes: a fixed 2 s, so every rendition cuts at the same timestamps. */
  gop: number;
  video: VideoRung[];
  audio: AudioRendition[];
  subtitles: SubtitleOutput[];
  /** The source needs conversion to 8-bit 4:2:0 (10-bit, HDR, 4:2:2/4:4:4). */
  toneMap: boolean;
}

export const KEYFRAME_SECONDS = 2;

const RUNGS: Array<{ short: number; kbps: number }> = [
  { short: 1080, kbps: 6000 },
  { short: 720, kbps: 3000 },
  { short: 480, kbps: 1500 },
  { short: 360, kbps: 800 },
  { short: 240, kbps: 400 },
];

/** H.264 levels (ITU-T H.264 Table A-1): max frame size and macroblock rate. */
const LEVELS: Array<{ level: string; maxFs: number; maxMbps: number }> = [
  { level: '2.1', maxFs: 792, maxMbps: 19800 },
  { level: '2.2', maxFs: 1620, maxMbps: 20250 },
  { level: '3.0', maxFs: 1620, maxMbps: 40500 },
  { level: '3.1', maxFs: 3600, maxMbps: 108000 },
  { level: '3.2', maxFs: 5120, maxMbps: 216000 },
  { level: '4.0', maxFs: 8192, maxMbps: 245760 },
  { level: '4.2', maxFs: 8704, maxMbps: 522240 },
  { level: '5.0', maxFs: 22080, maxMbps: 589824 },
  { level: '5.1', maxFs: 36864, maxMbps: 983040 },
  { level: '5.2', maxFs: 36864, maxMbps: 2073600 },
];

export function h264Level(width: number, height: number, fps: number): string {
  const fs = Math.ceil(width / 16) * Math.ceil(height / 16);
  const mbps = fs * fps;
  return LEVELS.find((l) => l.maxFs >= fs && l.maxMbps >= mbps)?.level ?? '5.2';
}

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** Constant output frame rate: the source's average (VFR becomes CFR), capped at 60, as a rational. */
export function outputFps(fps: number): { num: number; den: number } {
  const capped = Math.min(60, fps > 0 ? fps : 30);
  for (const ntsc of [24, 30, 60]) if (Math.abs(capped - (ntsc * 1000) / 1001) < 0.01) return { num: ntsc * 1000, den: 1001 };
  return { num: Math.max(1, Math.round(capped)), den: 1 };
}

function uniqueId(base: string, taken: Set<string>): string {
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  taken.add(id);
  return id;
}

export function planLadder(source: ProbedSource): LadderPlan {
  const fps = outputFps(source.video?.fps ?? 30);
  const fpsValue = fps.num / fps.den;
  const video: VideoRung[] = [];
  if (source.video) {
    const { width, height } = source.video;
    const portrait = height > width;
    const short = Math.min(width, height);
    const long = Math.max(width, height);
    // Never upscale: the rungs at or below the source, topped by the source itself when it falls
    // between two rungs (a 600p source gets a 600p top rung, not an upscaled 720p).
    const below = RUNGS.filter((r) => r.short <= short);
    const top = RUNGS.find((r) => r.short > short);
    const shorts: Array<{ short: number; kbps: number }> = [];
    if (!below.length || below[0]?.short !== short) {
      const kbps =
        top && below[0]
          ? Math.round(below[0].kbps + ((top.kbps - below[0].kbps) * (short - below[0].short)) / (top.short - below[0].short))
          : Math.max(150, Math.round((400 * short) / 240));
      shorts.push({ short: Math.min(short, 1080 * 2), kbps });
    }
    shorts.push(...below);
    const factor = fpsValue > 31 ? 1.5 : 1;
    for (const r of shorts.slice(0, 6)) {
      const s = even(r.short);
      const l = even((long * r.short) / short);
      const w = portrait ? s : l;
      const h = portrait ? l : s;
      const bitrate = Math.round(r.kbps * factor);
      video.push({
        id: `v${r.short}`,
        width: w,
        height: h,
        bitrate,
        maxrate: Math.round(bitrate * 1.07),
        bufsize: Math.round(bitrate * 1.5),
        profile: 'high',
        level: h264Level(w, h, fpsValue),
        rung: r.short,
      });
    }
  }
  const taken = new Set(video.map((v) => v.id));
  const audio: AudioRendition[] = source.audio.map((a, i) => ({
    id: uniqueId(`a-${a.language}`, taken),
    sourceIndex: a.index,
    language: a.language,
    label: a.title ?? (a.language === 'und' ? `Audio ${i + 1}` : a.language),
    bitrate: 128,
  }));
  const subtitles: SubtitleOutput[] = source.subtitles.map((s, i) => ({
    id: uniqueId(`t-${s.language}`, taken),
    sourceIndex: s.index,
    language: s.language,
    label: s.title ?? (s.language === 'und' ? `Subtitles ${i + 1}` : s.language),
  }));
  const v = source.video;
  return {
    fps,
    gop: Math.round((fpsValue * KEYFRAME_SECONDS * 1000) / 1000),
    video,
    audio,
    subtitles,
    toneMap: Boolean(v && (v.bitDepth > 8 || v.hdr || !/^(yuv420p|yuvj420p|nv12)$/.test(v.pixFmt))),
  };
}
