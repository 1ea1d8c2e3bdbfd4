// One ffmpeg process decodes the source once and encodes every rendition: the decoded frames are
// split in the filter graph and scaled per rung (pure: the arguments are unit-tested). Keyframes
// are forced at the same timestamps in every rendition (every 2 s, no scene-cut keyframes), so any
// fragment boundary is a segment boundary in every rendition. Each output is fragmented MP4
// holding one track; audio fragments are cut every 2 s too. The source is read by the one demuxer
// its sniffed container names (ffmpeg-input.ts).
import type { Demuxer } from './container-sniffer.ts';
import { inputArgs } from './ffmpeg-input.ts';
import { KEYFRAME_SECONDS, type LadderPlan } from './ladder-planner.ts';

export interface CommandOptions {
  source: string;
  /**
   * The source's demuxer, as sniffed (ProbedSource.demuxer). Without one the source is read as
   * ISO BMFF: a wrong guess fails the encode, where ffmpeg's own guess could follow a playlist.
   */
  demuxer?: Demuxer;
  /** x264 preset: veryfast in production, ultrafast in tests. */
  preset: string;
  /** Where outputs go; paths in the plan are relative to it. */
  outDir: string;
}

export interface PlannedOutput {
  id: string;
  kind: 'video' | 'audio' | 'text';
  /** Relative path (also the storage key below videos/{id}/). */
  path: string;
  language?: string;
  label?: string;
}

const FMP4 = ['-f', 'mp4', '-movflags', '+frag_keyframe+empty_moov+default_base_moof+negative_cts_offsets'];

export function outputsOf(plan: LadderPlan): PlannedOutput[] {
  return [
    ...plan.video.map((v) => ({ id: v.id, kind: 'video' as const, path: `v/${v.rung}p.mp4` })),
    ...plan.audio.map((a) => ({ id: a.id, kind: 'audio' as const, path: `a/${a.id}.mp4`, language: a.language, label: a.label })),
    ...plan.subtitles.map((s) => ({ id: s.id, kind: 'text' as const, path: `text/${s.id}.vtt`, language: s.language, label: s.label })),
  ];
}

export function buildFfmpegArgs(plan: LadderPlan, source: { videoIndex: number | null }, options: CommandOptions): string[] {
  const args = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-progress', 'pipe:1', '-nostats'];
  args.push(...inputArgs(options.demuxer ?? 'mov', options.source));
  args.push('-map_metadata', '-1', '-map_chapters', '-1');
  const at = (p: string) => `${options.outDir}/${p}`;
  if (plan.video.length && source.videoIndex !== null) {
    const fps = `${plan.fps.num}/${plan.fps.den}`;
    // Rotation is applied by ffmpeg's autorotation before this graph; 10-bit, HDR and 4:2:2/4:4:4
    // become 8-bit 4:2:0; the fps filter makes variable frame rate constant.
    // Cascaded scaling: each rung is scaled from the one above it, not from the source, so the
    // filter graph touches fewer pixels; only a process that makes the whole ladder can do this.
    // Measured (encoder/bench, 20 s 1080p, 2 cores): 11.1 s against 12.0 s scaling every rung
    // from the source.
    const n = plan.video.length;
    const chain: string[] = [`[0:${source.videoIndex}]fps=${fps},format=yuv420p,setsar=1[c0]`];
    plan.video.forEach((v, i) => {
      chain.push(`[c${i}]scale=${v.width}:${v.height}:flags=bicubic,setsar=1[s${i}]`);
      chain.push(i < n - 1 ? `[s${i}]split=2[v${i}][c${i + 1}]` : `[s${i}]null[v${i}]`);
    });
    const head = chain[0] as string;
    const scales = chain.slice(1);
    args.push('-filter_complex', [head, ...scales].join(';'));
    plan.video.forEach((v, i) => {
      args.push(
        '-map',
        `[v${i}]`,
        '-c:v',
        'libx264',
        '-preset',
        options.preset,
        '-profile:v',
        v.profile,
        '-level:v',
        v.level,
        '-pix_fmt',
        'yuv420p',
        '-b:v',
        `${v.bitrate}k`,
        '-maxrate',
        `${v.maxrate}k`,
        '-bufsize',
        `${v.bufsize}k`,
        '-g',
        String(plan.gop),
        '-keyint_min',
        String(plan.gop),
        '-sc_threshold',
        '0',
        '-bf',
        '3',
        '-force_key_frames',
        `expr:gte(t,n_forced*${KEYFRAME_SECONDS})`,
        '-an',
        '-sn',
        '-dn',
        ...FMP4,
        at(`v/${v.rung}p.mp4`),
      );
    });
  }
  for (const a of plan.audio) {
    args.push(
      '-map',
      `0:${a.sourceIndex}`,
      '-c:a',
      'aac',
      '-b:a',
      `${a.bitrate}k`,
      '-ac',
      '2',
      '-ar',
      '48000',
      '-metadata:s:a:0',
      `language=${a.language}`,
      '-frag_duration',
      String(KEYFRAME_SECONDS * 1_000_000),
      '-vn',
      '-sn',
      '-dn',
      ...FMP4,
      at(`a/${a.id}.mp4`),
    );
  }
  for (const s of plan.subtitles) {
    args.push('-map', `0:${s.sourceIndex}`, '-c:s', 'webvtt', '-vn', '-an', '-f', 'webvtt', at(`text/${s.id}.vtt`));
  }
  return args;
}
