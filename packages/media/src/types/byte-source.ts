/**
 * Where the parser reads bytes from: a file, an S3 object through ranged GETs, or a test buffer.
 * The parser never asks for a whole `mdat`; reads are of box headers and small boxes.
 */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Exactly `length` bytes at `offset`, or fewer at the end of the source. */
  read(offset: number, length: number): Promise<Uint8Array>;
}
