// Proof by a decoder: H.264 and AAC encoded the way the encoder does (one track per fragmented
// MP4, +frag_keyframe+empty_moov+default_base_moof+negative_cts_offsets), encrypted fragment by
// fragment as the origin would, then decrypted by Debian's ffmpeg (mov demuxer, -decryption_key):
// the decoded frames' MD5s must equal the clear file's. ffmpeg 5.1 decrypts both 'cenc' and 'cbcs'.
//
// The encrypted file is piped to ffmpeg, not opened by path: given a seekable multi-fragment file,
// ffmpeg 5.1 reads every moof while opening it and then appears to decrypt all packets with the
// senc of the last moof it parsed (observed here: one fragment decrypts from a path; two or more
// fail with "Incorrect number of samples in encryption info" or "subsample size exceeds the packet
// size left"; the same bytes decrypt exactly through a pipe, where moofs are read as they come).
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bufferSource,
  decryptSegment,
  encryptInit,
  encryptSegment,
  fragmentIv,
  indexTrack,
  type MediaTrack,
  type Scheme,
  segmentTargetOf,
  writePssh,
} from '../../src/index.ts';
import { FFMPEG, FFPROBE, hasFfmpeg, makeHevc, tempDir } from '../ffmpeg-fixtures.ts';

const run = promisify(execFile);
const ffmpeg = await hasFfmpeg();
if (!ffmpeg && process.env.CI === 'true') throw new Error('ffmpeg is required for the media tests in CI');

// As encoder/src/ffmpeg-command-builder.ts writes renditions.
const FMP4 = ['-f', 'mp4', '-movflags', '+frag_keyframe+empty_moov+default_base_moof+negative_cts_offsets'];

async function encode(dir: string): Promise<{ video: string; audio: string }> {
  const video = path.join(dir, 'v.mp4');
  const audio = path.join(dir, 'a.mp4');
  await run(FFMPEG, [
    ...[
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=30',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000',
    ],
    ...['-t', '6', '-map', '0:v', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-bf', '3'],
    ...['-g', '60', '-keyint_min', '60', '-sc_threshold', '0', '-force_key_frames', 'expr:gte(t,n_forced*2)', '-an', ...FMP4, video],
    ...[
      '-map',
      '1:a',
      '-t',
      '6',
      '-c:a',
      'aac',
      '-b:a',
      '128k',
      '-ac',
      '2',
      '-ar',
      '48000',
      '-frag_duration',
      '2000000',
      '-vn',
      ...FMP4,
      audio,
    ],
  ]);
  return { video, audio };
}

interface Split {
  track: MediaTrack;
  init: Uint8Array;
  fragments: Uint8Array[];
}

async function split(file: string): Promise<Split> {
  const bytes = new Uint8Array(await fs.readFile(file));
  const track = await indexTrack(bufferSource(bytes), { id: path.basename(file), file });
  const f = track.fragments;
  return {
    track,
    init: bytes.subarray(track.init.offset, track.init.offset + track.init.size),
    fragments: f.offset.map((o, i) => bytes.subarray(o, o + (f.size[i] ?? 0))),
  };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const W3C_COMMON_SYSTEM_ID = Uint8Array.from(Buffer.from('1077efecc0b24d02ace33c1e52e2fb4b', 'hex'));

interface Keys {
  key: Uint8Array;
  kid: Uint8Array;
  seed: Uint8Array;
  constantIv: Uint8Array;
}

function encryptFile(s: Split, scheme: Scheme, k: Keys): { init: Uint8Array; fragments: Uint8Array[] } {
  const target = segmentTargetOf(s.init);
  const pssh = [writePssh({ systemId: W3C_COMMON_SYSTEM_ID, kids: [k.kid], data: new Uint8Array(0) })];
  const init = encryptInit(s.init, { scheme, kid: k.kid, constantIv: k.constantIv, pssh });
  const fragments = s.fragments.map((segment, i) =>
    encryptSegment(segment, {
      ...target,
      scheme,
      key: k.key,
      iv: fragmentIv(k.seed, s.track.id, s.track.fragments.time[i] ?? 0),
      constantIv: k.constantIv,
    }),
  );
  return { init, fragments };
}

/** framemd5 of every decoded frame of `file`, fed through a pipe (see above); rejects when ffmpeg fails. */
async function frameMd5(file: string, key?: Uint8Array): Promise<string> {
  const args = ['-v', 'error', ...(key ? ['-decryption_key', hex(key)] : []), '-i', 'pipe:0', '-map', '0', '-f', 'framemd5', '-'];
  const child = spawn(FFMPEG, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => {}); // ffmpeg may stop reading early on a wrong key
  createReadStream(file).pipe(child.stdin);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`ffmpeg exited ${code}: ${Buffer.concat(err).toString().slice(0, 500)}`);
  return Buffer.concat(out).toString();
}

/** ffprobe's view of a file without the key: stream tags and the packets' side data. */
async function probe(file: string): Promise<{ tags: string[]; streamSideData: string[]; packetSideData: string[] }> {
  const { stdout } = await run(FFPROBE, ['-v', 'error', '-show_streams', '-show_packets', '-read_intervals', '%+#3', '-of', 'json', file]);
  const json = JSON.parse(stdout) as {
    streams: Array<{ codec_tag_string: string; side_data_list?: Array<{ side_data_type: string }> }>;
    packets: Array<{ side_data_list?: Array<{ side_data_type: string }> }>;
  };
  return {
    tags: json.streams.map((s) => s.codec_tag_string),
    streamSideData: json.streams.flatMap((s) => (s.side_data_list ?? []).map((d) => d.side_data_type)),
    packetSideData: json.packets.flatMap((p) => (p.side_data_list ?? []).map((d) => d.side_data_type)),
  };
}

async function writeFile(dir: string, name: string, parts: Uint8Array[]): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, Buffer.concat(parts));
  return file;
}

describe.skipIf(!ffmpeg)('encrypted fMP4 decrypted by ffmpeg', { timeout: 120_000 }, () => {
  let dir: string;
  let video: Split;
  let audio: Split;
  let hevc: Split;
  let clearMd5: { video: string; audio: string; hevc: string };
  const keys: Keys = { key: randomBytes(16), kid: randomBytes(16), seed: randomBytes(16), constantIv: randomBytes(16) };

  beforeAll(async () => {
    dir = await tempDir();
    const files = await encode(dir);
    video = await split(files.video);
    audio = await split(files.audio);
    const hevcFile = await makeHevc(dir, 'h.mp4');
    hevc = await split(hevcFile);
    clearMd5 = { video: await frameMd5(files.video), audio: await frameMd5(files.audio), hevc: await frameMd5(hevcFile) };
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('ffprobe sees no encryption in the clear files', async () => {
    const probed = await probe(path.join(dir, 'v.mp4'));
    expect(probed.tags).toEqual(['avc1']);
    expect(probed.packetSideData).not.toContain('Encryption info');
  });

  it('the clear renditions have several fragments and decode', () => {
    expect(video.fragments.length).toBe(3);
    expect(audio.fragments.length).toBeGreaterThanOrEqual(3);
    expect(clearMd5.video.split('\n').filter((l) => l && !l.startsWith('#')).length).toBe(180);
  });

  for (const scheme of ['cenc', 'cbcs'] as const) {
    for (const kind of ['video', 'audio', 'hevc'] as const) {
      it(`${scheme} ${kind}: ffmpeg decrypts to the clear frames; a wrong key does not; decryptSegment restores every byte`, async () => {
        const s = { video, audio, hevc }[kind];
        const enc = encryptFile(s, scheme, keys);
        const file = await writeFile(dir, `${scheme}-${kind}.mp4`, [enc.init, ...enc.fragments]);
        expect(await frameMd5(file, keys.key)).toBe(clearMd5[kind]);
        const wrong = await frameMd5(file, randomBytes(16)).catch((e: Error) => `failed: ${e.message}`);
        expect(wrong).not.toBe(clearMd5[kind]);
        // Without the key, ffprobe sees protected packets (the codec tag is frma's original format).
        const probed = await probe(file);
        expect(probed.tags).toEqual([{ video: 'avc1', audio: 'mp4a', hevc: 'hvc1' }[kind]]);
        expect(probed.packetSideData).toContain('Encryption info');
        expect(probed.streamSideData).toContain('Encryption initialization data'); // from the pssh
        // The inverse: every fragment back to its clear bytes.
        const target = segmentTargetOf(s.init);
        enc.fragments.forEach((f, i) => {
          expect(f.length).toBeGreaterThan(s.fragments[i]!.length);
          const back = decryptSegment(f, { ...target, scheme, key: keys.key, constantIv: keys.constantIv });
          expect(Buffer.from(back).equals(Buffer.from(s.fragments[i]!))).toBe(true);
        });
      });
    }
  }
});
