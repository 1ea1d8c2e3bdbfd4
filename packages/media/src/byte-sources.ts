import type { ByteSource } from './types/byte-source.ts';

/** A ByteSource over bytes in memory (tests, small files). */
export function bufferSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)),
  };
}
