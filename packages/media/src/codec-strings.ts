// RFC 6381 codec strings, from the codec configuration boxes exactly as players compare them.
import { BoxCursor } from './boxes/box-cursor.ts';
import type { SampleEntry } from './boxes/stsd.ts';
import { MediaError } from './media-error.ts';

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** ISO/IEC 14496-15 §5.3.3.1 AVCDecoderConfigurationRecord: avc1.PPCCLL (profile, constraints, level). */
export function avcCodec(fourcc: string, avcC: Uint8Array): string {
  if (avcC.length < 4) throw new MediaError('media.malformed', 'avcC too short', { box: 'avcC' });
  return `${fourcc}.${hex2(avcC[1] ?? 0)}${hex2(avcC[2] ?? 0)}${hex2(avcC[3] ?? 0)}`;
}

/** ISO/IEC 14496-15 Annex E.3: hvc1.{space}{profile}.{compat, bit-reversed, hex}.{tier}{level}.{constraint bytes}. */
export function hevcCodec(fourcc: string, hvcC: Uint8Array): string {
  const c = new BoxCursor(hvcC, 'hvcC', 0);
  c.skip(1); // configurationVersion
  const b = c.u8();
  const space = ['', 'A', 'B', 'C'][b >> 6] ?? '';
  const tier = (b >> 5) & 1 ? 'H' : 'L';
  const profile = b & 0x1f;
  const compat = c.u32();
  let reversed = 0;
  for (let i = 0; i < 32; i++) if (compat & (1 << i)) reversed |= 1 << (31 - i);
  const constraints = Array.from(c.slice(6));
  const level = c.u8();
  while (constraints.length && constraints.at(-1) === 0) constraints.pop();
  const parts = [
    `${fourcc}`,
    `${space}${profile}`,
    (reversed >>> 0).toString(16).toUpperCase(),
    `${tier}${level}`,
    ...constraints.map((x) => x.toString(16).toUpperCase()),
  ];
  return parts.join('.');
}

/** ISO/IEC 14496-1 §7.2.6 descriptors inside esds → mp4a.{objectTypeIndication}.{audioObjectType}. */
export function mp4aCodec(esds: Uint8Array): string {
  const c = new BoxCursor(esds, 'esds', 0);
  c.fullBox();
  const readDescriptor = (): { tag: number; size: number } => {
    const tag = c.u8();
    let size = 0;
    for (let i = 0; i < 4; i++) {
      const byte = c.u8();
      size = (size << 7) | (byte & 0x7f);
      if (!(byte & 0x80)) break;
    }
    return { tag, size };
  };
  let d = readDescriptor();
  if (d.tag !== 0x03) throw new MediaError('media.malformed', 'esds without ES_Descriptor', { box: 'esds' });
  c.skip(2); // ES_ID
  const flags = c.u8();
  if (flags & 0x80) c.skip(2);
  if (flags & 0x40) c.skip(c.u8());
  if (flags & 0x20) c.skip(2);
  d = readDescriptor();
  if (d.tag !== 0x04) throw new MediaError('media.malformed', 'esds without DecoderConfigDescriptor', { box: 'esds' });
  const objectType = c.u8();
  c.skip(12);
  if (objectType !== 0x40 || c.remaining < 2) return `mp4a.${hex2(objectType)}`;
  d = readDescriptor();
  if (d.tag !== 0x05) return `mp4a.${hex2(objectType)}`;
  // ISO/IEC 14496-3 §1.6.2.1 AudioSpecificConfig: 5 bits, 31 escapes to 32 + 6 more bits.
  const b0 = c.u8();
  const b1 = c.u8();
  let aot = b0 >> 3;
  if (aot === 31) aot = 32 + (((b0 & 0x07) << 3) | (b1 >> 5));
  return `mp4a.40.${aot}`;
}

export function codecString(entry: SampleEntry): string {
  const box = (type: string) => {
    const b = entry.boxes.get(type);
    if (!b) throw new MediaError('media.malformed', `${entry.fourcc} sample entry without ${type}`, { box: entry.fourcc });
    return b;
  };
  switch (entry.fourcc) {
    case 'avc1':
    case 'avc3':
      return avcCodec(entry.fourcc, box('avcC'));
    case 'hvc1':
    case 'hev1':
      return hevcCodec(entry.fourcc, box('hvcC'));
    case 'mp4a':
      return mp4aCodec(box('esds'));
    case 'Opus':
      return 'opus';
    case 'ac-3':
      return 'ac-3';
    case 'ec-3':
      return 'ec-3';
    case 'fLaC':
      return 'flac';
    default:
      throw new MediaError('media.unsupported', `sample entry ${entry.fourcc} is not supported`, { box: entry.fourcc });
  }
}
