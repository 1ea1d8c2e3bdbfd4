// Keys from a CPIX document per video (a key server's answer, or a file). Which key protects key
// period n: the key whose usage rules name, through KeyPeriodFilter, the ContentKeyPeriod with
// index n (or the n-th period, when periods have no index); a document without periods and with one
// key uses it for every period. The IV is the key's explicitIV, else derived from the KID (SHA-256,
// so origins agree). pssh boxes: every DRMSystem of the KID that carries one, in document order
// (Widevine edef8ba9-..., PlayReady 9a04f079-..., or any other system).
import { createHash } from 'node:crypto';
import { type CpixContentKey, type CpixDocument, parseCpix } from './cpix.ts';
import { KeyError } from './key-error.ts';
import { type ContentKey, checkRequest, type KeyProvider, uuidOf } from './key-provider.ts';

function keyForPeriod(doc: CpixDocument, period: number): CpixContentKey {
  const ruled = doc.contentKeys.filter((k) => (doc.keyPeriods.get(uuidOf(k.kid)) ?? []).length > 0);
  if (ruled.length === 0) {
    if (doc.contentKeys.length === 1) return doc.contentKeys[0]!;
    throw new KeyError(
      'keys.unsupported',
      `CPIX: ${doc.contentKeys.length} keys and no key periods: which protects period ${period} is unknown`,
    );
  }
  const p = doc.periods.some((x) => x.index !== undefined) ? doc.periods.find((x) => x.index === period) : doc.periods[period];
  if (!p) throw new KeyError('keys.not_found', `CPIX: no key period ${period}`);
  const keys = ruled.filter((k) => doc.keyPeriods.get(uuidOf(k.kid))?.includes(p.id));
  if (keys.length === 0) throw new KeyError('keys.not_found', `CPIX: no key for period ${p.id}`);
  if (keys.length > 1)
    throw new KeyError('keys.unsupported', `CPIX: ${keys.length} keys for period ${p.id} (one key per period is supported)`);
  return keys[0]!;
}

export function contentKeyOf(doc: CpixDocument, period: number): ContentKey {
  const k = keyForPeriod(doc, period);
  const iv =
    k.explicitIv ??
    new Uint8Array(
      createHash('sha256')
        .update(`vought/cpix-iv/${uuidOf(k.kid)}`)
        .digest()
        .subarray(0, 16),
    );
  const kid = uuidOf(k.kid);
  const pssh = doc.drmSystems.filter((s) => uuidOf(s.kid) === kid && s.pssh).map((s) => s.pssh as Uint8Array);
  return { kid: k.kid, key: k.key, iv, pssh };
}

export class CpixKeyProvider implements KeyProvider {
  /** `load` returns the CPIX document of a video (from a key server, a store, a file). */
  constructor(private readonly load: (videoId: string) => string | Promise<string>) {}

  async keyFor(videoId: string, period: number): Promise<ContentKey> {
    checkRequest(videoId, period);
    return contentKeyOf(parseCpix(await this.load(videoId)), period);
  }
}
