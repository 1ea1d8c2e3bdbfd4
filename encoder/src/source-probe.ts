// What the source IS, from ffprobe's reading of its content (never its name).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tiedToThisProcess } from './child-process-guard.ts';
import { type Demuxer, sniffFile } from './container-sniffer.ts';
import { abortError, EncodeError } from './encode-error.ts';
import { inputArgs } from './ffmpeg-input.ts';

const run = promisify(execFile);

export interface ProbedVideo {
  index: number;
  codec: string;
  /** Displayed size: rotation applied. */
  width: number;
  height: number;
  rotation: number;
  /** Average frame rate (frames per second). */
  fps: number;
  variableFrameRate: boolean;
  pixFmt: string;
  bitDepth: number;
  hdr: boolean;
}

export interface ProbedAudio {
  index: number;
  codec: string;
  channels: number;
  sampleRate: number;
  /** ISO 639-2 from the stream's language tag, or 'und'. */
  language: string;
  title?: string;
}

export interface ProbedSubtitle {
  index: number;
  codec: string;
  language: string;
  title?: string;
}

export interface ProbedSource {
  format: string;
  /** The demuxer every later ffmpeg run must use for this source. */
  demuxer: Demuxer;
  /** Every stream in the source, of any kind (for the stream limit). */
  streams: number;
  duration: number;
  video: ProbedVideo | null;
  audio: ProbedAudio[];
  subtitles: ProbedSubtitle[];
}

interface FfprobeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  pix_fmt?: string;
  bits_per_raw_sample?: string;
  color_transfer?: string;
  channels?: number;
  sample_rate?: string;
  duration?: string;
  disposition?: { attached_pic?: number };
  tags?: { language?: string; rotate?: string; title?: string };
  side_data_list?: Array<{ side_data_type?: string; rotation?: number }>;
}

const TEXT_SUBTITLES = new Set(['subrip', 'srt', 'ass', 'ssa', 'mov_text', 'webvtt', 'text']);

function rate(text: string | undefined): number {
  if (!text) return 0;
  const [n, d] = text.split('/').map(Number);
  return n && d ? n / d : 0;
}

function language(tag: string | undefined): string {
  return tag && /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(tag) ? tag : 'und';
}

/** The demuxer for a file: the caller's (already sniffed), else from the file's own first bytes; a refusal is permanent. */
async function demuxerFor(file: string, given: Demuxer | undefined): Promise<Demuxer> {
  if (given) return given;
  const verdict = await sniffFile(file);
  if ('rejected' in verdict) throw new EncodeError('encode.unsupported_container', verdict.rejected, true);
  return verdict.demuxer;
}

function lastLine(error: unknown): string {
  return (
    String((error as { stderr?: string }).stderr ?? '')
      .trim()
      .split('\n')
      .at(-1) ?? ''
  );
}

export async function probeSource(
  ffprobe: string,
  file: string,
  options: { demuxer?: Demuxer; signal?: AbortSignal | undefined } = {},
): Promise<ProbedSource> {
  const demuxer = await demuxerFor(file, options.demuxer);
  let json: { format?: { format_name?: string; duration?: string }; streams?: FfprobeStream[] };
  try {
    const args = ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', ...inputArgs(demuxer, file)];
    const [command, argv] = tiedToThisProcess(ffprobe, args);
    const { stdout } = await run(command, argv, {
      maxBuffer: 16 * 1024 * 1024,
      timeout: 60_000,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    json = JSON.parse(stdout);
  } catch (error) {
    if (options.signal?.aborted) throw abortError(options.signal);
    const stderr = lastLine(error);
    throw new EncodeError('encode.unreadable', `the source is not a media file ffmpeg can read${stderr ? `: ${stderr}` : ''}`, true);
  }
  const streams = json.streams ?? [];
  const videoStream = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic && (s.width ?? 0) > 0);
  let video: ProbedVideo | null = null;
  if (videoStream) {
    const sideRotation = videoStream.side_data_list?.find((d) => d.side_data_type === 'Display Matrix')?.rotation;
    // ffprobe reports the display matrix rotation counter-clockwise (negative for a phone held
    // upright); what matters here is whether width and height swap.
    const rotation = (((Math.round(Number(sideRotation ?? videoStream.tags?.rotate ?? 0) / 90) * 90) % 360) + 360) % 360;
    const swap = rotation === 90 || rotation === 270;
    const avg = rate(videoStream.avg_frame_rate);
    const real = rate(videoStream.r_frame_rate);
    const pixFmt = videoStream.pix_fmt ?? 'yuv420p';
    video = {
      index: videoStream.index,
      codec: videoStream.codec_name ?? 'unknown',
      width: (swap ? videoStream.height : videoStream.width) ?? 0,
      height: (swap ? videoStream.width : videoStream.height) ?? 0,
      rotation,
      fps: avg || real || 30,
      variableFrameRate: avg > 0 && real > 0 && Math.abs(avg - real) / real > 0.01,
      pixFmt,
      bitDepth: Number(videoStream.bits_per_raw_sample) || (/10le|10be|p010/.test(pixFmt) ? 10 : /12le|12be/.test(pixFmt) ? 12 : 8),
      hdr: ['smpte2084', 'arib-std-b67'].includes(videoStream.color_transfer ?? ''),
    };
  }
  const audio: ProbedAudio[] = streams
    .filter((s) => s.codec_type === 'audio' && (s.channels ?? 0) > 0)
    .map((s) => ({
      index: s.index,
      codec: s.codec_name ?? 'unknown',
      channels: s.channels ?? 2,
      sampleRate: Number(s.sample_rate) || 48000,
      language: language(s.tags?.language),
      ...(s.tags?.title ? { title: s.tags.title } : {}),
    }));
  const subtitles: ProbedSubtitle[] = streams
    .filter((s) => s.codec_type === 'subtitle' && TEXT_SUBTITLES.has(s.codec_name ?? ''))
    .map((s) => ({
      index: s.index,
      codec: s.codec_name ?? '',
      language: language(s.tags?.language),
      ...(s.tags?.title ? { title: s.tags.title } : {}),
    }));
  if (!video && audio.length === 0) throw new EncodeError('encode.no_streams', 'the source has no decodable audio or video stream', true);
  const duration = Number(json.format?.duration) || Math.max(0, ...streams.map((s) => Number(s.duration) || 0));
  if (!(duration > 0)) throw new EncodeError('encode.no_streams', 'the source has no duration: it holds no playable media', true);
  return { format: json.format?.format_name ?? 'unknown', demuxer, streams: streams.length, duration, video, audio, subtitles };
}
