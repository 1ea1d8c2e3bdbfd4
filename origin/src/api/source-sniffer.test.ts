// The upload gate: binary containers on the allow-list pass, text and ID3-wrapped text do not; and
// it agrees with the encoder's own copy of the rules on every input here.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sniffContainer as encoderSniff } from '@vought/encoder';
import { afterAll, describe, expect, it } from 'vitest';
import { SNIFF_BYTES, sniffContainer } from './source-sniffer.ts';

const run = promisify(execFile);
const bytes = (...parts: Array<string | number[] | Buffer>) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

/** An ID3v2.4 header for a tag body of `size` bytes (syncsafe size), flags as given. */
function id3(size: number, flags = 0): Buffer {
  return bytes('ID3', [4, 0, flags, (size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f]);
}

const MPEG_FRAME = [0xff, 0xfb, 0x90, 0x64]; // MPEG-1 layer III, 128 kb/s, 44.1 kHz
const ADTS_FRAME = [0xff, 0xf1, 0x50, 0x80]; // AAC LC, 44.1 kHz (index 4), 2 channels
const padding = (n: number) => Buffer.alloc(n, 0x55);

const PLAYLIST =
  '#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:4,\nfile:///proc/self/cwd/data/objects/videos/secret/v/360p.mp4\n#EXT-X-ENDLIST\n';

const refused: Record<string, Buffer> = {
  'the ID3 + HLS playlist reproduction': bytes([0x49, 0x44, 0x33, 0x04, 0, 0, 0, 0, 0, 0], PLAYLIST),
  'ID3 + ffconcat list': bytes(id3(0), "ffconcat version 1.0\nfile '/etc/passwd'\n"),
  'ID3 + an MP4 box (ffmpeg would probe past the tag)': bytes(id3(0), [0, 0, 0, 0x18], 'ftypisom', padding(64)),
  'ID3 whose tag hides a playlist': bytes(id3(PLAYLIST.length), PLAYLIST, '#EXTM3U\n'),
  'ID3 tag larger than the bytes given': bytes(id3(SNIFF_BYTES), padding(2048)),
  'HLS playlist': bytes(PLAYLIST),
  'HLS playlist with a UTF-8 BOM and blank lines': bytes([0xef, 0xbb, 0xbf], '\r\n  ', PLAYLIST),
  'HLS playlist with a binary byte in it': bytes('#EXTM3U\n\x01\x00', PLAYLIST),
  'HLS playlist in UTF-16': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(PLAYLIST, 'utf16le')]),
  'ffconcat list': bytes("ffconcat version 1.0\nfile 'file:/etc/passwd'\nduration 5\n"),
  'bare concat lines': bytes("file '/etc/passwd'\nfile 'b.mp4'\n"),
  SDP: bytes('v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nm=video 5004 RTP/AVP 96\r\n'),
  'DASH manifest': bytes('<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011"><BaseURL>file:///etc/</BaseURL></MPD>'),
  ffmetadata: bytes(';FFMETADATA1\ntitle=x\n'),
  'text that spaces 0x47 like MPEG-TS': (() => {
    const text = Buffer.alloc(600, 0x61);
    for (const at of [0, 188, 376]) text[at] = 0x47;
    return text;
  })(),
  'plain text named video.mp4': bytes('just some text, named video.mp4 and sent as video/mp4'),
  'random bytes': randomBytes(4096),
  'too short': bytes([0, 0, 0, 0x18], 'ftyp'),
  'an oversized ftyp box': bytes([0x10, 0, 0, 0], 'ftypisom', padding(64)),
};

const accepted: Record<string, [Buffer, string]> = {
  'MP4 (ftyp)': [bytes([0, 0, 0, 0x18], 'ftypisom', [0, 0, 2, 0], 'isomiso2', randomBytes(1000)), 'iso-bmff'],
  'MOV starting with mdat': [bytes([0, 0, 0x10, 0], 'mdat', randomBytes(100)), 'iso-bmff'],
  'ID3 + MPEG audio': [bytes(id3(20), padding(20), MPEG_FRAME, padding(100)), 'mp3'],
  'ID3 + ADTS': [bytes(id3(20), padding(20), ADTS_FRAME, padding(100)), 'adts'],
  'ID3 with a footer + MPEG audio': [bytes(id3(20, 0x10), padding(30), MPEG_FRAME, padding(100)), 'mp3'],
  'two ID3 tags + MPEG audio': [bytes(id3(5), padding(5), id3(7), padding(7), MPEG_FRAME, padding(100)), 'mp3'],
  'raw MPEG audio': [bytes(MPEG_FRAME, padding(100)), 'mpeg-audio'],
  'raw ADTS': [bytes(ADTS_FRAME, padding(100)), 'adts'],
};

describe('upload sniffer', () => {
  for (const [name, head] of Object.entries(refused)) {
    it(`refuses ${name}`, () => {
      expect(sniffContainer(head)).toBeNull();
      expect(encoderSniff(head)).toHaveProperty('rejected');
    });
  }
  for (const [name, [head, container]] of Object.entries(accepted)) {
    it(`accepts ${name} as ${container}`, () => {
      expect(sniffContainer(head)).toEqual({ container });
      expect(encoderSniff(head)).toMatchObject({ container });
    });
  }
});

// Files ffmpeg itself writes, one per container on the allow-list: none may be taken for text.
const ffmpegThere = await run('ffmpeg', ['-version']).then(
  () => true,
  () => false,
);
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-sniff-'));
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

const picture = ['-f', 'lavfi', '-t', '0.5', '-i', 'testsrc2=size=64x64:rate=10'];
const tone = ['-f', 'lavfi', '-t', '0.5', '-i', 'sine=sample_rate=44100'];
const made: Array<[string, string[], string]> = [
  ['x.mp4', [...picture, '-c:v', 'libx264', '-preset', 'ultrafast'], 'iso-bmff'],
  ['x.mov', [...picture, '-c:v', 'mjpeg'], 'iso-bmff'],
  ['x.mkv', [...picture, '-c:v', 'libx264', '-preset', 'ultrafast'], 'matroska'],
  ['x.webm', [...picture, '-c:v', 'libvpx', '-deadline', 'realtime'], 'matroska'],
  ['x.ts', [...picture, '-c:v', 'mpeg2video'], 'mpeg-ts'],
  ['x.mpg', [...picture, '-c:v', 'mpeg2video', '-f', 'vob'], 'mpeg-ps'],
  ['x.avi', [...picture, '-c:v', 'mjpeg'], 'avi'],
  ['x.flv', [...picture, '-c:v', 'flv'], 'flv'],
  ['x.wmv', [...picture, '-c:v', 'wmv2'], 'asf'],
  ['x.mp3', [...tone, '-c:a', 'libmp3lame'], 'mp3'],
  [
    'cover.mp3',
    [
      ...tone,
      ...['-f', 'lavfi', '-t', '0.5', '-i', 'color=red:s=64x64', '-map', '0', '-map', '1', '-frames:v', '1', '-c:v', 'mjpeg'],
      ...['-disposition:v', 'attached_pic', '-id3v2_version', '3'],
    ],
    'mp3',
  ],
  ['x.aac', [...tone, '-c:a', 'aac', '-f', 'adts'], 'adts'],
  ['x.wav', [...tone], 'wav'],
  ['x.flac', [...tone], 'flac'],
  ['x.ogg', [...tone, '-c:a', 'libvorbis'], 'ogg'],
];

describe.skipIf(!ffmpegThere)('upload sniffer on files ffmpeg writes', { timeout: 60_000 }, () => {
  for (const [name, args, container] of made) {
    it(`${name} is ${container}`, async () => {
      const file = path.join(dir, name);
      await run('ffmpeg', ['-v', 'error', '-y', ...args, file], { timeout: 30_000 });
      const head = (await fs.readFile(file)).subarray(0, SNIFF_BYTES);
      expect(sniffContainer(head)).toEqual({ container });
      expect(encoderSniff(head)).toMatchObject({ container });
    });
  }
});
