// npm run bench -w encoder: the same ladder for a 60 s 1080p source made (a) by vought's encoder
// (one ffmpeg process decoding once for every rendition) and (b) by one ffmpeg process per
// rendition, run one after another as common pipelines do; same x264 preset and settings on both
// sides. Prints wall times, the ratio (target: (a) ≥ 1.3 × faster) and the realtime factor, and
// the time to index a 2-hour rendition from storage.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bufferSource, indexTrack } from '@vought/media';
import { makeSource } from '@vought/media/test/ffmpeg-fixtures';
import { runFfmpeg } from '../src/encode-runner.ts';
import { buildFfmpegArgs } from '../src/ffmpeg-command-builder.ts';
import { locateFfmpeg } from '../src/ffmpeg-locator.ts';
import { planLadder } from '../src/ladder-planner.ts';
import { probeSource } from '../src/source-probe.ts';

const SECONDS = Number(process.env.BENCH_SOURCE_SECONDS ?? 60);
const PRESET = process.env.BENCH_PRESET ?? 'veryfast';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-encbench-'));
try {
  const tools = await locateFfmpeg({});
  const source = path.join(dir, 'source.mp4');
  await makeSource(source, { seconds: SECONDS, size: '1920x1080', extra: ['-crf', '18'], ffmpeg: tools.ffmpeg });
  const probed = await probeSource(tools.ffprobe, source);
  const plan = planLadder(probed);

  // (a) one process, decode once
  const outA = path.join(dir, 'a');
  for (const d of ['v', 'a', 'text']) await fs.mkdir(path.join(outA, d), { recursive: true });
  let t0 = performance.now();
  await runFfmpeg(
    tools.ffmpeg,
    buildFfmpegArgs(plan, { videoIndex: probed.video?.index ?? null }, { source, preset: PRESET, outDir: outA }),
    { durationSeconds: probed.duration },
  );
  const single = (performance.now() - t0) / 1000;

  // (b) one process per rendition (each decodes the source again), same settings
  const outB = path.join(dir, 'b');
  for (const d of ['v', 'a', 'text']) await fs.mkdir(path.join(outB, d), { recursive: true });
  t0 = performance.now();
  for (const rung of plan.video) {
    const one = { ...plan, video: [rung], audio: [], subtitles: [] };
    await runFfmpeg(
      tools.ffmpeg,
      buildFfmpegArgs(one, { videoIndex: probed.video?.index ?? null }, { source, preset: PRESET, outDir: outB }),
      { durationSeconds: probed.duration },
    );
  }
  for (const audio of plan.audio) {
    const one = { ...plan, video: [], audio: [audio], subtitles: [] };
    await runFfmpeg(tools.ffmpeg, buildFfmpegArgs(one, { videoIndex: null }, { source, preset: PRESET, outDir: outB }), {
      durationSeconds: probed.duration,
    });
  }
  const perRendition = (performance.now() - t0) / 1000;

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    [
      `vought encoder benchmark — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${cpu}, ${tools.description.split(';')[0]}`,
      `source: ${SECONDS} s 1080p30 + AAC; ladder: ${plan.video.map((v) => `${v.height}p`).join(', ')} + ${plan.audio.length} audio; x264 preset ${PRESET}`,
      `(a) vought, one ffmpeg process for the ladder:  ${single.toFixed(1)} s  (${(SECONDS / single).toFixed(2)} × realtime)`,
      `(b) one ffmpeg process per rendition:           ${perRendition.toFixed(1)} s  (${(SECONDS / perRendition).toFixed(2)} × realtime)`,
      `ratio (b) / (a) = ${(perRendition / single).toFixed(2)}  (target ≥ 1.3)`,
    ].join('\n') + '\n',
  );

  // indexing a 2-hour rendition: the smallest output's fragments repeated to 2 hours, in memory
  // (indexing cost is per fragment, not per byte: every rung has the same 3600 fragments)
  const top = await fs.readFile(path.join(outA, `v/${plan.video.at(-1)?.rung}p.mp4`));
  const first = await indexTrack(bufferSource(top), { id: 'v', file: 'v.mp4' });
  const f = first.fragments;
  const body = top.subarray(f.offset[0], (f.offset.at(-1) ?? 0) + (f.size.at(-1) ?? 0));
  const copies = Math.ceil(7200 / (first.duration / first.timescale));
  const long = Buffer.concat([top.subarray(0, first.init.size), ...Array.from({ length: copies }, () => body)]);
  // from storage: the file on disk, read through the same ByteSource the encoder uses
  const longFile = path.join(dir, 'long.mp4');
  await fs.writeFile(longFile, long);
  const handle = await fs.open(longFile, 'r');
  const fileSource = {
    size: long.length,
    read: async (offset: number, length: number) => {
      const buffer = Buffer.allocUnsafe(Math.min(length, long.length - offset));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      return buffer.subarray(0, bytesRead);
    },
  };
  t0 = performance.now();
  const indexed = await indexTrack(fileSource, { id: 'v', file: 'v.mp4' });
  const indexMs = performance.now() - t0;
  await handle.close();

  process.stdout.write(
    [
      `index a 2-hour rendition (${indexed.fragments.time.length} fragments, ${(long.length / 1e6).toFixed(0)} MB, from a local file, read in 64 KiB chunks): ${indexMs.toFixed(0)} ms`,
    ].join('\n') + '\n',
  );
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
