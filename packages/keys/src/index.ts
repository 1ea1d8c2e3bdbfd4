// @vought/keys: content keys for encryption just in time. Pure apart from the CPIX loader the
// caller passes in: no fs, no network, no process.env.

export {
  type CpixContentKey,
  type CpixDocument,
  type CpixDrmSystem,
  type CpixPeriod,
  PLAYREADY_SYSTEM_ID,
  parseCpix,
  WIDEVINE_SYSTEM_ID,
} from './cpix.ts';
export { CpixKeyProvider, contentKeyOf } from './cpix-key-provider.ts';
export { COMMON_SYSTEM_ID, type DerivedKeyOptions, DerivedKeyProvider } from './derived-key-provider.ts';
export { KeyError, type KeyErrorCode } from './key-error.ts';
export { type ContentKey, type KeyProvider, kidOf, periodOf, uuidOf } from './key-provider.ts';
export { parseXml, type XmlElement } from './xml.ts';
