// Reads a ByteSource in 64 KiB chunks and serves box headers and small boxes from them: walking a
// file's moof headers costs one read per chunk, not one per box (what matters over S3 ranges).
import { MediaError } from './media-error.ts';
import type { ByteSource } from './types/byte-source.ts';

const CHUNK = 64 * 1024;

export class ChunkedReader {
  private chunkStart = -1;
  private chunk: Uint8Array = new Uint8Array(0);

  constructor(private readonly source: ByteSource) {}

  get size(): number {
    return this.source.size;
  }

  /** Exactly `length` bytes at `offset`; media.truncated if the source ends first. */
  async read(offset: number, length: number, box: string): Promise<Uint8Array> {
    if (offset + length > this.source.size) {
      throw new MediaError('media.truncated', `file ends inside the box (needs ${offset + length} bytes, has ${this.source.size})`, {
        box,
        offset,
      });
    }
    if (this.chunkStart >= 0 && offset >= this.chunkStart && offset + length <= this.chunkStart + this.chunk.length) {
      return this.chunk.subarray(offset - this.chunkStart, offset - this.chunkStart + length);
    }
    if (length > CHUNK) {
      const bytes = await this.source.read(offset, length);
      if (bytes.length < length) throw new MediaError('media.truncated', 'short read', { box, offset });
      return bytes;
    }
    const want = Math.min(CHUNK, this.source.size - offset);
    const bytes = await this.source.read(offset, want);
    if (bytes.length < length) throw new MediaError('media.truncated', 'short read', { box, offset });
    this.chunkStart = offset;
    this.chunk = bytes;
    return bytes.subarray(0, length);
  }
}
