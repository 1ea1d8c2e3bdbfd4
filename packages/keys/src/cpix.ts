// CPIX 2.3 (DASH-IF Content Protection Information Exchange Format), the parts a packager reads:
// ContentKeyList (KIDs and plain keys: cpix:Data/pskc:Secret/pskc:PlainValue, base64), DRMSystemList
// (pssh per system and KID), ContentKeyPeriodList and ContentKeyUsageRuleList/KeyPeriodFilter (which
// key protects which period). Encrypted keys (DocumentKey/EncryptedValue) are refused.
import { KeyError } from './key-error.ts';
import { kidOf, uuidOf } from './key-provider.ts';
import { childNamed, childrenNamed, parseXml, type XmlElement } from './xml.ts';

export const WIDEVINE_SYSTEM_ID = 'edef8ba9-79d6-4ace-a3c8-27dcd51d21ed';
export const PLAYREADY_SYSTEM_ID = '9a04f079-9840-4286-ab92-e65be0885f95';

export interface CpixContentKey {
  kid: Uint8Array;
  key: Uint8Array;
  /** explicitIV (16 bytes), when the document gives one. */
  explicitIv?: Uint8Array;
  /** commonEncryptionScheme (cenc, cbcs, ...), when given. */
  scheme?: string;
}

export interface CpixDrmSystem {
  /** Lowercase UUID. */
  systemId: string;
  kid: Uint8Array;
  /** The whole pssh box, when the document gives one. */
  pssh?: Uint8Array;
}

export interface CpixPeriod {
  id: string;
  /** The index attribute, when given. */
  index?: number;
}

export interface CpixDocument {
  contentId?: string;
  contentKeys: CpixContentKey[];
  drmSystems: CpixDrmSystem[];
  periods: CpixPeriod[];
  /** For each KID (UUID), the period ids its usage rules name. */
  keyPeriods: Map<string, string[]>;
}

function base64(text: string, what: string): Uint8Array {
  const t = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 !== 0) throw new KeyError('keys.invalid', `CPIX: ${what} is not base64`);
  return Uint8Array.from(Buffer.from(t, 'base64'));
}

function attr(el: XmlElement, name: string): string {
  const v = el.attrs[name];
  if (v === undefined) throw new KeyError('keys.invalid', `CPIX: <${el.name}> without ${name}`);
  return v;
}

function contentKey(el: XmlElement): CpixContentKey {
  const kid = kidOf(attr(el, 'kid'));
  const secret = childNamed(childNamed(el, 'Data') ?? el, 'Secret');
  if (secret && childNamed(secret, 'EncryptedValue'))
    throw new KeyError('keys.unsupported', `CPIX: the key of ${uuidOf(kid)} is encrypted (DocumentKey); only plain keys are read`);
  const plain = secret && childNamed(secret, 'PlainValue');
  if (!plain) throw new KeyError('keys.invalid', `CPIX: content key ${uuidOf(kid)} has no Data/Secret/PlainValue`);
  const key = base64(plain.text, `the key of ${uuidOf(kid)}`);
  if (key.length !== 16) throw new KeyError('keys.invalid', `CPIX: the key of ${uuidOf(kid)} is ${key.length} bytes, not 16`);
  const out: CpixContentKey = { kid, key };
  const iv = el.attrs.explicitIV;
  if (iv !== undefined) {
    out.explicitIv = base64(iv, `explicitIV of ${uuidOf(kid)}`);
    if (out.explicitIv.length !== 16) throw new KeyError('keys.invalid', `CPIX: explicitIV of ${uuidOf(kid)} is not 16 bytes`);
  }
  const scheme = el.attrs.commonEncryptionScheme;
  if (scheme !== undefined) out.scheme = scheme;
  return out;
}

function drmSystem(el: XmlElement): CpixDrmSystem {
  const out: CpixDrmSystem = { systemId: uuidOf(kidOf(attr(el, 'systemId'))), kid: kidOf(attr(el, 'kid')) };
  const pssh = childNamed(el, 'PSSH');
  if (pssh) {
    out.pssh = base64(pssh.text, `PSSH of ${out.systemId}`);
    if (out.pssh.length < 32 || Buffer.from(out.pssh.subarray(4, 8)).toString('latin1') !== 'pssh')
      throw new KeyError('keys.invalid', `CPIX: PSSH of ${out.systemId} is not a pssh box`);
  }
  return out;
}

export function parseCpix(xml: string): CpixDocument {
  const root = parseXml(xml);
  if (root.local !== 'CPIX') throw new KeyError('keys.invalid', `CPIX: root element is <${root.name}>`);
  const list = (name: string, item: string) => childrenNamed(childNamed(root, name) ?? { ...root, children: [] }, item);
  const periods = list('ContentKeyPeriodList', 'ContentKeyPeriod').map((p) => {
    const period: CpixPeriod = { id: attr(p, 'id') };
    if (p.attrs.index !== undefined) period.index = Number(p.attrs.index);
    return period;
  });
  const keyPeriods = new Map<string, string[]>();
  for (const rule of list('ContentKeyUsageRuleList', 'ContentKeyUsageRule')) {
    const kid = uuidOf(kidOf(attr(rule, 'kid')));
    const ids = childrenNamed(rule, 'KeyPeriodFilter').map((f) => attr(f, 'periodId'));
    keyPeriods.set(kid, [...(keyPeriods.get(kid) ?? []), ...ids]);
  }
  const doc: CpixDocument = {
    contentKeys: list('ContentKeyList', 'ContentKey').map(contentKey),
    drmSystems: list('DRMSystemList', 'DRMSystem').map(drmSystem),
    periods,
    keyPeriods,
  };
  if (root.attrs.contentId !== undefined) doc.contentId = root.attrs.contentId;
  return doc;
}
