// A stream handed to put() may fail before put() starts reading it (a ReadStream of a file that is
// not there fails on the next tick, while put() is still creating directories): an 'error' event
// with no listener ends the process. Holding the error here keeps it; reading the stream (pipeline,
// async iteration) still rejects with it, so put() fails with the cause instead of crashing.
import type { PutBody } from './storage-types.ts';

export function holdStreamErrors(body: PutBody): void {
  const emitter = body as { once?: (event: string, listener: (error: unknown) => void) => unknown };
  if (typeof body === 'object' && !(body instanceof Uint8Array) && typeof emitter.once === 'function') emitter.once('error', () => {});
}
