// NAL units of a length-prefixed sample (ISO/IEC 14496-15 §4.3.2 for AVC, §8.3.2 for HEVC): each
// unit is a big-endian length of lengthSizeMinusOne+1 bytes, then the unit.
import { MediaError } from '../media-error.ts';

export type VideoCodec = 'avc' | 'hevc';

export interface NalUnit {
  /** Offset of the length prefix within the sample. */
  start: number;
  /** Bytes of the unit after its length prefix. */
  length: number;
  type: number;
}

/** NAL unit header bytes: 1 for AVC (ISO/IEC 14496-10 §7.3.1), 2 for HEVC (ISO/IEC 23008-2 §7.3.1.2). */
export function nalHeaderSize(codec: VideoCodec): number {
  return codec === 'avc' ? 1 : 2;
}

function nalType(codec: VideoCodec, first: number): number {
  return codec === 'avc' ? first & 0x1f : (first >> 1) & 0x3f;
}

/**
 * Video coding layer units carry the picture: AVC nal_unit_type 1..5 (coded slices, 14496-10 Table
 * 7-1), HEVC 0..31 (23008-2 Table 7-1). SEI, parameter sets, AUD and the rest are not slices.
 */
export function isSlice(codec: VideoCodec, type: number): boolean {
  return codec === 'avc' ? type >= 1 && type <= 5 : type <= 31;
}

export function nalUnits(sample: Uint8Array, lengthSize: number, codec: VideoCodec): NalUnit[] {
  if (lengthSize !== 1 && lengthSize !== 2 && lengthSize !== 4)
    throw new MediaError('media.malformed', `NAL length size ${lengthSize} is not 1, 2 or 4`);
  const units: NalUnit[] = [];
  let pos = 0;
  while (pos < sample.length) {
    if (pos + lengthSize > sample.length) throw new MediaError('media.malformed', 'NAL length prefix runs past the sample');
    let length = 0;
    for (let i = 0; i < lengthSize; i++) length = length * 256 + (sample[pos + i] ?? 0);
    const body = pos + lengthSize;
    if (body + length > sample.length)
      throw new MediaError('media.malformed', `NAL unit of ${length} bytes runs past the sample (${sample.length - body} left)`);
    units.push({ start: pos, length, type: length > 0 ? nalType(codec, sample[body] ?? 0) : -1 });
    pos = body + length;
  }
  return units;
}
