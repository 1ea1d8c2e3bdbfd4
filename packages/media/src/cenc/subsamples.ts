// Subsample maps for NAL-structured video (ISO/IEC 23001-7 §9.5): each slice NAL unit keeps its
// length prefix and NAL header clear; the rest is protected. Units that are not slices (SEI, SPS,
// PPS, AUD) stay wholly clear, so parsers can read them without the key.
// - 'cenc': the protected part is a whole number of 16-byte blocks; the remainder stays clear at
//   the start of the unit, after the header (§9.5.2).
// - 'cbcs': the protected part runs to the end of the unit; the 1:9 pattern (§10.4) leaves its
//   partial last block clear.
// Consecutive clear bytes are merged; BytesOfClearData is 16 bits (§7.2), so longer clear runs are
// split into clear-only entries.
import type { Subsample } from '../boxes/senc.ts';
import { isSlice, nalHeaderSize, nalUnits, type VideoCodec } from './nal-units.ts';

export type Scheme = 'cenc' | 'cbcs';

const MAX_CLEAR = 0xffff;

export function videoSubsamples(sample: Uint8Array, lengthSize: number, codec: VideoCodec, scheme: Scheme): Subsample[] {
  const out: Subsample[] = [];
  let clear = 0;
  const emit = (protectedBytes: number) => {
    while (clear > MAX_CLEAR) {
      out.push({ clear: MAX_CLEAR, protected: 0 });
      clear -= MAX_CLEAR;
    }
    out.push({ clear, protected: protectedBytes });
    clear = 0;
  };
  for (const unit of nalUnits(sample, lengthSize, codec)) {
    const header = lengthSize + Math.min(nalHeaderSize(codec), unit.length);
    const payload = lengthSize + unit.length - header;
    const protectedBytes = !isSlice(codec, unit.type) ? 0 : scheme === 'cenc' || payload < 16 ? payload - (payload % 16) : payload;
    clear += lengthSize + unit.length - protectedBytes;
    if (protectedBytes > 0) emit(protectedBytes);
  }
  if (clear > 0 || out.length === 0) emit(0);
  return out;
}
