// Keys derived from one master secret with HKDF-SHA256 (RFC 5869, node:crypto hkdfSync): every
// origin holding the secret computes the same KID, key and IV for a video and key period, with no
// key store. Info strings name what is derived: vought/kid/{videoId}/{period}, vought/key/...,
// vought/iv/... (the period is the last field and an integer, so no two requests share an info).
// Whoever holds the master secret holds every key: keep it with the token signing keys.
import { hkdfSync } from 'node:crypto';
import { writePssh } from '@vought/media';
import { KeyError } from './key-error.ts';
import { type ContentKey, checkRequest, type KeyProvider } from './key-provider.ts';

/** W3C "Common PSSH box" system (ClearKey, EME Initialization Data Format "cenc"): lists the KIDs, no data. */
export const COMMON_SYSTEM_ID = Uint8Array.from(Buffer.from('1077efecc0b24d02ace33c1e52e2fb4b', 'hex'));

const SALT = new TextEncoder().encode('vought/keys/v1');

export interface DerivedKeyOptions {
  /** pssh boxes for a KID; by default the W3C common pssh box naming it. */
  pssh?: (kid: Uint8Array) => Uint8Array[];
}

export class DerivedKeyProvider implements KeyProvider {
  private readonly secret: Uint8Array;

  constructor(
    masterSecret: Uint8Array,
    private readonly options: DerivedKeyOptions = {},
  ) {
    if (masterSecret.length < 16)
      throw new KeyError('keys.invalid', `the master secret must be at least 16 bytes, got ${masterSecret.length}`);
    this.secret = masterSecret.slice();
  }

  private derive(what: 'kid' | 'key' | 'iv', videoId: string, period: number): Uint8Array {
    return new Uint8Array(hkdfSync('sha256', this.secret, SALT, `vought/${what}/${videoId}/${period}`, 16));
  }

  async keyFor(videoId: string, period: number): Promise<ContentKey> {
    checkRequest(videoId, period);
    const kid = this.derive('kid', videoId, period);
    const pssh = this.options.pssh
      ? this.options.pssh(kid)
      : [writePssh({ systemId: COMMON_SYSTEM_ID, kids: [kid], data: new Uint8Array(0) })];
    return { kid, key: this.derive('key', videoId, period), iv: this.derive('iv', videoId, period), pssh };
  }
}
