// Which ffmpeg/ffprobe to run: the configured path, else the PATH, else the binaries shipped in
// npm packages (@ffmpeg-installer/ffmpeg, @ffprobe-installer/ffprobe: 2018 builds, but they make
// fMP4 with libx264), so a machine without ffmpeg still runs. The service logs which it uses.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

export interface FfmpegTools {
  ffmpeg: string;
  ffprobe: string;
  /** Where each came from and its version line, for the log. */
  description: string;
}

async function version(binary: string): Promise<string | null> {
  try {
    const { stdout } = await run(binary, ['-version'], { timeout: 10_000 });
    return stdout.split('\n')[0]?.trim() ?? '';
  } catch {
    return null;
  }
}

async function pick(name: 'ffmpeg' | 'ffprobe', configured: string | undefined): Promise<{ path: string; from: string; version: string }> {
  if (configured) {
    const v = await version(configured);
    if (!v) throw new Error(`${configured} (from VOUGHT_${name.toUpperCase()}) does not run`);
    return { path: configured, from: `VOUGHT_${name.toUpperCase()}`, version: v };
  }
  const onPath = await version(name);
  if (onPath) return { path: name, from: 'PATH', version: onPath };
  const pkg = name === 'ffmpeg' ? '@ffmpeg-installer/ffmpeg' : '@ffprobe-installer/ffprobe';
  const shipped = (require(pkg) as { path: string }).path;
  const v = await version(shipped);
  if (!v) throw new Error(`no ${name}: not on PATH, and ${pkg} does not run here`);
  return { path: shipped, from: pkg, version: v };
}

export async function locateFfmpeg(options: { ffmpeg?: string | undefined; ffprobe?: string | undefined } = {}): Promise<FfmpegTools> {
  const [ffmpeg, ffprobe] = await Promise.all([pick('ffmpeg', options.ffmpeg), pick('ffprobe', options.ffprobe)]);
  return {
    ffmpeg: ffmpeg.path,
    ffprobe: ffprobe.path,
    description: `ffmpeg from ${ffmpeg.from} (${ffmpeg.version}); ffprobe from ${ffprobe.from} (${ffprobe.version})`,
  };
}
