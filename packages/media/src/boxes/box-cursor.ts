// A bounds-checked big-endian reader over one box's payload. Every read checks the box's end, so a
// lying size field or count produces media.truncated/malformed naming the box, never a RangeError
// or a read into the next box. 64-bit fields are read as bigint and checked into the safe integer
// range here, once (STYLE habit 4).
import { MediaError } from '../media-error.ts';

export class BoxCursor {
  private view: DataView;
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    /** Box type, for error messages. */
    readonly box: string,
    /** File offset of bytes[0], for error messages. */
    readonly fileOffset: number,
    start = 0,
    private readonly end = bytes.length,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) {
      throw new MediaError('media.malformed', `box ends before its fields (needs ${n} more bytes, has ${this.end - this.pos})`, {
        box: this.box,
        offset: this.fileOffset + this.pos,
      });
    }
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.pos++);
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u24(): number {
    return (this.u8() << 16) | this.u16();
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): number {
    this.need(8);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new MediaError('media.unsupported', '64-bit value beyond 2^53', { box: this.box, offset: this.fileOffset + this.pos - 8 });
    }
    return Number(v);
  }

  /** 16.16 fixed point. */
  fixed16(): number {
    return this.i32() / 65536;
  }

  fourcc(): string {
    this.need(4);
    const s = String.fromCharCode(
      this.bytes[this.pos] ?? 0,
      this.bytes[this.pos + 1] ?? 0,
      this.bytes[this.pos + 2] ?? 0,
      this.bytes[this.pos + 3] ?? 0,
    );
    this.pos += 4;
    return s;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  slice(n: number): Uint8Array {
    this.need(n);
    const s = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** version (8 bits) and flags (24 bits) of a full box (ISO/IEC 14496-12 §4.2). */
  fullBox(): { version: number; flags: number } {
    const version = this.u8();
    return { version, flags: this.u24() };
  }

  /** A count that must fit in what is left at `bytesEach` each: a lying count fails here, before any loop or allocation. */
  count(n: number, bytesEach: number, what: string): number {
    if (n * bytesEach > this.remaining) {
      throw new MediaError('media.malformed', `${what} count ${n} does not fit in the box`, {
        box: this.box,
        offset: this.fileOffset + this.pos,
      });
    }
    return n;
  }
}

export interface ChildBox {
  type: string;
  /** Offset of the box header within the parent's bytes. */
  start: number;
  /** Offset of the payload within the parent's bytes. */
  payload: number;
  end: number;
}

/** Lists the child boxes in bytes[start, end) (a container's payload), checking every size. */
export function childBoxes(bytes: Uint8Array, start: number, end: number, parent: string, fileOffset: number, depth = 0): ChildBox[] {
  if (depth > 16) throw new MediaError('media.malformed', 'boxes nested too deep', { box: parent, offset: fileOffset + start });
  const out: ChildBox[] = [];
  const cursor = new BoxCursor(bytes, parent, fileOffset, start, end);
  while (cursor.remaining >= 8) {
    const at = cursor.pos;
    let size = cursor.u32();
    const type = cursor.fourcc();
    let header = 8;
    if (size === 1) {
      size = cursor.u64();
      header = 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < header || at + size > end) {
      throw new MediaError('media.malformed', `child box ${JSON.stringify(type)} of size ${size} overruns its parent`, {
        box: parent,
        offset: fileOffset + at,
      });
    }
    out.push({ type, start: at, payload: at + header, end: at + size });
    cursor.pos = at + size;
    if (out.length > 100_000) throw new MediaError('media.limit', 'too many child boxes', { box: parent, offset: fileOffset + at });
  }
  return out;
}

export function findChild(children: ChildBox[], type: string): ChildBox | undefined {
  return children.find((c) => c.type === type);
}
