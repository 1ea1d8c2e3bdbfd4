// The encoder's check of a stored source (@vought/media's container sniffer, on the file): its
// first bytes, and an ID3 tag that runs past them followed in the file.
import fs from 'node:fs/promises';
import { accept, audioFrameAt, id3TagEnd, REJECTED, SNIFF_BYTES, type SniffVerdict, sniffContainer } from '@vought/media';

export { type Container, DEMUXER_OF, type Demuxer, type SniffVerdict, sniffContainer } from '@vought/media';

async function readAt(handle: fs.FileHandle, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, offset);
  return buffer.subarray(0, bytesRead);
}

/**
 * The verdict on a file: its first SNIFF_BYTES, and when an ID3 tag (cover art can be megabytes)
 * runs past them, the tag headers and the first frame header read where they are in the file.
 */
export async function sniffFile(file: string): Promise<SniffVerdict> {
  const handle = await fs.open(file, 'r');
  try {
    const head = await readAt(handle, 0, SNIFF_BYTES);
    const verdict = sniffContainer(head);
    if (!('rejected' in verdict) || verdict.rejected !== REJECTED.id3PastHead) return verdict;
    let end = 0;
    for (let tags = 0; tags < 8; tags++) {
      const next = id3TagEnd(await readAt(handle, end, 10), 0);
      if (next === null) break;
      end += next;
    }
    const frame = audioFrameAt(await readAt(handle, end, 4), 0);
    return frame ? accept(frame === 'adts' ? 'adts' : 'mp3') : { rejected: REJECTED.id3 };
  } finally {
    await handle.close();
  }
}
