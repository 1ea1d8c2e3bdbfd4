// Caps on long-lived streams (Server-Sent Events): each holds a socket, a bus subscription and a
// timer for as long as the client likes, so without caps one client could hold them all. A stream
// counts against its user (token subject), its client address and the node's total; the first cap
// reached refuses the next stream with 429.
import { ApiError } from '../http/api-error.ts';

export interface StreamCaps {
  perUser: number;
  perAddress: number;
  total: number;
}

export const DEFAULT_STREAM_CAPS: StreamCaps = { perUser: 16, perAddress: 32, total: 2000 };

export class StreamLimits {
  private readonly open = new Map<string, number>();
  private total = 0;

  constructor(private readonly caps: StreamCaps = DEFAULT_STREAM_CAPS) {}

  /** Counts a new stream, or throws http.rate_limited naming the cap; call the returned function once when it ends. */
  acquire(user: string | null, address: string): () => void {
    const keys = [`a:${address}`, ...(user ? [`u:${user}`] : [])];
    if (this.total >= this.caps.total) throw limited(`this node serves ${this.caps.total} event streams already`);
    if ((this.open.get(`a:${address}`) ?? 0) >= this.caps.perAddress)
      throw limited(`at most ${this.caps.perAddress} event streams per client address`);
    if (user && (this.open.get(`u:${user}`) ?? 0) >= this.caps.perUser)
      throw limited(`at most ${this.caps.perUser} event streams per user`);
    for (const key of keys) this.open.set(key, (this.open.get(key) ?? 0) + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      for (const key of keys) {
        const n = (this.open.get(key) ?? 1) - 1;
        if (n <= 0) this.open.delete(key);
        else this.open.set(key, n);
      }
    };
  }

  get size(): number {
    return this.total;
  }
}

function limited(message: string): ApiError {
  return new ApiError('http.rate_limited', `${message}: close one and try again`);
}
