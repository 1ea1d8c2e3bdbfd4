// Big-endian writer for the boxes vought writes (the inverse of box-cursor.ts). A box is written
// by `box(type, body)` / `fullBox(type, version, flags, body)`: the body callback writes the
// payload, and the size field is filled in when it returns (ISO/IEC 14496-12 §4.2), so a size can
// never disagree with what was written.
import { MediaError } from '../media-error.ts';

export class BoxWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.ensure(1);
    this.view.setUint8(this.pos++, v);
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.view.setUint16(this.pos, v);
    this.pos += 2;
    return this;
  }

  u24(v: number): this {
    return this.u8((v >>> 16) & 0xff).u16(v & 0xffff);
  }

  u32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.pos, v >>> 0);
    this.pos += 4;
    return this;
  }

  u64(v: number): this {
    this.ensure(8);
    this.view.setBigUint64(this.pos, BigInt(v));
    this.pos += 8;
    return this;
  }

  fourcc(type: string): this {
    if (type.length !== 4) throw new MediaError('media.malformed', `fourcc ${JSON.stringify(type)} is not 4 characters`);
    this.ensure(4);
    for (let i = 0; i < 4; i++) this.buf[this.pos++] = type.charCodeAt(i) & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** Exactly `n` bytes of `b` (shorter fails: a KID or IV of the wrong length is a bug, not padding). */
  fixed(b: Uint8Array, n: number, what: string): this {
    if (b.length !== n) throw new MediaError('media.malformed', `${what} must be ${n} bytes, got ${b.length}`);
    return this.bytes(b);
  }

  /** A box: 32-bit size, type, then whatever `body` writes. */
  box(type: string, body: (w: this) => void): this {
    const start = this.pos;
    this.u32(0).fourcc(type);
    body(this);
    this.view.setUint32(start, this.pos - start);
    return this;
  }

  /** A full box (§4.2): version and flags before the body. */
  fullBox(type: string, version: number, flags: number, body: (w: this) => void): this {
    return this.box(type, (w) => {
      w.u8(version).u24(flags);
      body(w);
    });
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Writes one box and returns its bytes. */
export function writeBox(type: string, body: (w: BoxWriter) => void): Uint8Array {
  return new BoxWriter().box(type, body).finish();
}

export function writeFullBox(type: string, version: number, flags: number, body: (w: BoxWriter) => void): Uint8Array {
  return new BoxWriter().fullBox(type, version, flags, body).finish();
}
