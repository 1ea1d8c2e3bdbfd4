// Small real files made by Debian's ffmpeg at test time (nothing binary is checked in).
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const FFMPEG = process.env.VOUGHT_TEST_FFMPEG ?? '/usr/bin/ffmpeg';
export const FFPROBE = process.env.VOUGHT_TEST_FFPROBE ?? '/usr/bin/ffprobe';

export async function hasFfmpeg(): Promise<boolean> {
  return run(FFMPEG, ['-version']).then(
    () => true,
    () => false,
  );
}

export async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'vought-media-'));
}

const FRAG = ['-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4'];

/** Input arguments: ffmpeg's test picture, `seconds` long. */
export const picture = (seconds: number, size = '320x240', rate = '30'): string[] => [
  '-f',
  'lavfi',
  '-t',
  String(seconds),
  '-i',
  `testsrc2=size=${size}:rate=${rate}`,
];

/** Input arguments: a sine tone, `seconds` long, 48 kHz. */
export const tone = (seconds: number, frequency = 440): string[] => [
  '-f',
  'lavfi',
  '-t',
  String(seconds),
  '-i',
  `sine=frequency=${frequency}:sample_rate=48000`,
];

/** H.264 at ffmpeg's fastest preset: sources whose encoding costs nothing. */
export const H264 = ['-c:v', 'libx264', '-preset', 'ultrafast'];

/** The one fixture maker: `ffmpeg -v error -y ...args file`, quietly; resolves with `file`. */
export async function ffmpegFile(
  file: string,
  args: readonly string[],
  options: { ffmpeg?: string; timeoutMs?: number } = {},
): Promise<string> {
  await run(options.ffmpeg ?? FFMPEG, ['-v', 'error', '-y', ...args, file], options.timeoutMs ? { timeout: options.timeoutMs } : {});
  return file;
}

/**
 * A source as an upload brings it: plain (unfragmented) MP4 of the test picture and a 440 Hz tone,
 * H.264 + AAC, `seconds` long. `extra` goes after the video codec options (e.g. `-crf 18`).
 */
export function makeSource(
  file: string,
  options: { seconds: number; size?: string; rate?: string; extra?: readonly string[]; ffmpeg?: string },
): Promise<string> {
  const { seconds, size = '640x360', rate = '30', extra = [] } = options;
  return ffmpegFile(
    file,
    [
      ...['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
      ...['-t', String(seconds), ...H264, ...extra, '-c:a', 'aac', '-shortest'],
    ],
    options.ffmpeg ? { ffmpeg: options.ffmpeg } : {},
  );
}

/** H.264 video only, 2 s GOPs, B-frames. */
export function makeVideo(
  dir: string,
  name: string,
  extra: string[] = [],
  options: { rate?: string; seconds?: number; size?: string } = {},
): Promise<string> {
  return ffmpegFile(path.join(dir, name), [
    ...['-f', 'lavfi', '-i', `testsrc2=size=${options.size ?? '320x240'}:rate=${options.rate ?? '30'}`, '-t', String(options.seconds ?? 6)],
    ...H264,
    ...['-bf', '2', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0', '-pix_fmt', 'yuv420p'],
    ...extra,
    ...FRAG,
  ]);
}

export function makeHevc(dir: string, name: string): Promise<string> {
  return ffmpegFile(path.join(dir, name), [
    ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '4'],
    ...['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'keyint=50:min-keyint=50:log-level=error', '-tag:v', 'hvc1'],
    ...FRAG,
  ]);
}

export function makeAudio(dir: string, name: string, extra: string[] = []): Promise<string> {
  return ffmpegFile(path.join(dir, name), [
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '6'],
    ...['-ac', '2', '-c:a', 'aac', '-b:a', '128k', '-frag_duration', '2000000'],
    ...extra,
    ...FRAG,
  ]);
}

export async function probePackets(file: string, stream = 'v:0'): Promise<Array<{ pts: number; duration: number; flags: string }>> {
  const { stdout } = await run(FFPROBE, [
    '-v',
    'error',
    '-select_streams',
    stream,
    '-show_entries',
    'packet=pts,duration,flags',
    '-of',
    'json',
    file,
  ]);
  return (JSON.parse(stdout).packets as Array<{ pts: string; duration: string; flags: string }>).map((p) => ({
    pts: Number(p.pts),
    duration: Number(p.duration),
    flags: p.flags,
  }));
}

/** False when ffmpeg runs here; else the reason to skip `tests` (and a throw when CI=true). */
export async function skipUnlessFfmpeg(tests: string): Promise<string | false> {
  if (await hasFfmpeg()) return false;
  if (process.env.CI === 'true') throw new Error(`ffmpeg is required for the ${tests} in CI`);
  return `ffmpeg is not installed (${FFMPEG})`;
}
