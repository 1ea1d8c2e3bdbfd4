// ISO/IEC 23001-7 §7.2 Sample Encryption Box: per sample, the IV (Per_Sample_IV_Size bytes, from
// tenc; none with a constant IV) and, when flags & 0x2, the subsample map: runs of clear bytes
// followed by protected bytes (§7.2.2). Each entry is also the sample's auxiliary information
// (§7.1), which saiz/saio point at.
import { MediaError } from '../media-error.ts';
import { BoxCursor } from './box-cursor.ts';
import { writeFullBox } from './box-writer.ts';

export const SENC_USE_SUBSAMPLES = 0x000002;

export interface Subsample {
  /** BytesOfClearData: 16 bits. */
  clear: number;
  /** BytesOfProtectedData: 32 bits. */
  protected: number;
}

export interface SampleEncryption {
  /** Per_Sample_IV_Size bytes (empty with a constant IV). */
  iv: Uint8Array;
  /** Present when the box has flags & 0x2. */
  subsamples?: Subsample[];
}

export interface Senc {
  samples: SampleEncryption[];
}

/** Bytes from the start of the senc box to its first entry: header, version/flags, sample_count. */
export const SENC_FIRST_ENTRY = 16;

/** Bytes of one entry: what saiz records per sample (§7.1). */
export function sencEntrySize(s: SampleEncryption): number {
  return s.iv.length + (s.subsamples ? 2 + 6 * s.subsamples.length : 0);
}

export function readSenc(c: BoxCursor, perSampleIvSize: number): Senc {
  const { flags } = c.fullBox();
  const withSubsamples = (flags & SENC_USE_SUBSAMPLES) !== 0;
  const count = c.count(c.u32(), perSampleIvSize + (withSubsamples ? 2 : 0), 'sample');
  const samples: SampleEncryption[] = [];
  for (let i = 0; i < count; i++) {
    const sample: SampleEncryption = { iv: c.slice(perSampleIvSize).slice() };
    if (withSubsamples) {
      const n = c.count(c.u16(), 6, 'subsample');
      sample.subsamples = [];
      for (let j = 0; j < n; j++) sample.subsamples.push({ clear: c.u16(), protected: c.u32() });
    }
    samples.push(sample);
  }
  if (c.remaining !== 0)
    throw new MediaError('media.malformed', `${c.remaining} bytes after the last entry (wrong IV size?)`, {
      box: 'senc',
      offset: c.fileOffset + c.pos,
    });
  return { samples };
}

export function writeSenc(senc: Senc): Uint8Array {
  const withSubsamples = senc.samples.some((s) => s.subsamples !== undefined);
  const ivSize = senc.samples[0]?.iv.length ?? 0;
  return writeFullBox('senc', 0, withSubsamples ? SENC_USE_SUBSAMPLES : 0, (w) => {
    w.u32(senc.samples.length);
    for (const s of senc.samples) {
      w.fixed(s.iv, ivSize, 'per-sample IV');
      if (!withSubsamples) continue;
      const subs = s.subsamples ?? [];
      if (subs.length > 0xffff) throw new MediaError('media.limit', `${subs.length} subsamples in one sample`, { box: 'senc' });
      w.u16(subs.length);
      for (const sub of subs) {
        if (sub.clear > 0xffff) throw new MediaError('media.malformed', `BytesOfClearData ${sub.clear} exceeds 16 bits`, { box: 'senc' });
        w.u16(sub.clear).u32(sub.protected);
      }
    }
  });
}

export function parseSencBox(bytes: Uint8Array, perSampleIvSize: number, fileOffset = 0): Senc {
  return readSenc(new BoxCursor(bytes, 'senc', fileOffset, 8), perSampleIvSize);
}
