// Checks what an upload IS from its first bytes, never from its name or declared type: a 415 at
// the door for anything but a binary media container on a fixed allow-list (@vought/media's
// container sniffer, the same rules the encoder applies again to the stored source before ffmpeg
// reads it with one pinned demuxer: this gate is not the defence, only the first refusal).
import { type Container, sniffContainer as verdictOf } from '@vought/media';

export type { Container };

export interface SniffResult {
  container: Container;
}

/**
 * Bytes the caller reads before deciding: an MPEG-TS check looks at three packets, and an ID3v2
 * tag (cover art) must end inside them for the frame after it to be checked. 1 MiB holds the cover
 * art of nearly every MP3 and M4A; a larger tag is refused rather than let through unchecked.
 */
export const SNIFF_BYTES = 1024 * 1024;

/** The container of an upload from its first bytes (up to SNIFF_BYTES), or null: refuse it. */
export function sniffContainer(head: Uint8Array): SniffResult | null {
  const verdict = verdictOf(head);
  return 'rejected' in verdict ? null : { container: verdict.container };
}
