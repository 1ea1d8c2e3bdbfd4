import { createHmac } from 'node:crypto';
import { parsePsshBox, writePssh } from '@vought/media';
import { describe, expect, it } from 'vitest';
import { PLAYREADY_SYSTEM_ID, parseCpix, WIDEVINE_SYSTEM_ID } from './cpix.ts';
import { CpixKeyProvider } from './cpix-key-provider.ts';
import { COMMON_SYSTEM_ID, DerivedKeyProvider } from './derived-key-provider.ts';
import { KeyError } from './key-error.ts';
import { kidOf, periodOf, uuidOf } from './key-provider.ts';
import { parseXml } from './xml.ts';

const secret = Uint8Array.from(Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex'));

/** RFC 5869 HKDF-SHA256 for one block, by hand: PRK = HMAC(salt, IKM), OKM = HMAC(PRK, info ‖ 0x01). */
function hkdf16(ikm: Uint8Array, salt: string, info: string): string {
  const prk = createHmac('sha256', salt).update(ikm).digest();
  return createHmac('sha256', prk).update(info).update(Uint8Array.of(1)).digest().subarray(0, 16).toString('hex');
}

describe('DerivedKeyProvider (HKDF-SHA256)', () => {
  it('derives kid, key and iv with the documented info strings', async () => {
    const k = await new DerivedKeyProvider(secret).keyFor('vid_42', 3);
    const salt = 'vought/keys/v1';
    expect(Buffer.from(k.kid).toString('hex')).toBe(hkdf16(secret, salt, 'vought/kid/vid_42/3'));
    expect(Buffer.from(k.key).toString('hex')).toBe(hkdf16(secret, salt, 'vought/key/vid_42/3'));
    expect(Buffer.from(k.iv).toString('hex')).toBe(hkdf16(secret, salt, 'vought/iv/vid_42/3'));
  });

  it('two origins with the same secret agree; videos and periods get different keys', async () => {
    const a = await new DerivedKeyProvider(secret).keyFor('v1', 0);
    const b = await new DerivedKeyProvider(Uint8Array.from(secret)).keyFor('v1', 0);
    expect(b).toEqual(a);
    const other = await new DerivedKeyProvider(secret).keyFor('v2', 0);
    const next = await new DerivedKeyProvider(secret).keyFor('v1', 1);
    for (const k of [other, next]) {
      expect(k.kid).not.toEqual(a.kid);
      expect(k.key).not.toEqual(a.key);
    }
    expect(a.key).not.toEqual(a.kid);
  });

  it('by default gives the W3C common pssh box naming the KID; a custom pssh list replaces it', async () => {
    const k = await new DerivedKeyProvider(secret).keyFor('v1', 0);
    expect(k.pssh.length).toBe(1);
    const box = parsePsshBox(k.pssh[0]!);
    expect(box.systemId).toEqual(COMMON_SYSTEM_ID);
    expect(box.kids).toEqual([k.kid]);
    const custom = await new DerivedKeyProvider(secret, { pssh: () => [] }).keyFor('v1', 0);
    expect(custom.pssh).toEqual([]);
  });

  it('refuses a short secret, an empty video id and a bad period', async () => {
    expect(() => new DerivedKeyProvider(new Uint8Array(15))).toThrow(KeyError);
    const p = new DerivedKeyProvider(secret);
    await expect(p.keyFor('', 0)).rejects.toThrow(/video id/);
    await expect(p.keyFor('v', -1)).rejects.toThrow(/period/);
    await expect(p.keyFor('v', 1.5)).rejects.toThrow(/period/);
  });
});

describe('periodOf', () => {
  it('counts whole periods of segments; Infinity means one period', () => {
    expect([0, 1, 9, 10, 25].map((i) => periodOf(i, 10))).toEqual([0, 0, 0, 1, 2]);
    expect(periodOf(123456, Number.POSITIVE_INFINITY)).toBe(0);
    expect(() => periodOf(3, 0)).toThrow(KeyError);
    expect(() => periodOf(-1, 10)).toThrow(KeyError);
  });
});

describe('uuidOf / kidOf', () => {
  it('round-trip', () => {
    const kid = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
    expect(uuidOf(kid)).toBe('00112233-4455-6677-8899-aabbccddeeff');
    expect(kidOf(uuidOf(kid))).toEqual(kid);
    expect(() => kidOf('nope')).toThrow(KeyError);
  });
});

describe('parseXml', () => {
  it('reads elements, prefixed names, attributes, entities, CDATA, comments and the XML declaration', () => {
    const root = parseXml(`<?xml version="1.0" encoding="UTF-8"?>
      <!-- a comment -->
      <a:root xmlns:a="urn:x" q='1 &amp; 2'><a:b x="&lt;&#65;&#x42;&gt;">t&quot;<![CDATA[<raw>&]]></a:b><c/></a:root>`);
    expect(root).toMatchObject({ name: 'a:root', local: 'root', attrs: { 'xmlns:a': 'urn:x', q: '1 & 2' } });
    expect(root.children.map((c) => c.local)).toEqual(['b', 'c']);
    expect(root.children[0]).toMatchObject({ attrs: { x: '<AB>' }, text: 't"<raw>&' });
  });

  it('refuses DOCTYPE (no entity expansion), unknown entities, mismatched and unclosed tags, two roots', () => {
    expect(() => parseXml('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')).toThrow(/DOCTYPE/);
    expect(() => parseXml('<x>&a;</x>')).toThrow(/entity/);
    expect(() => parseXml('<x><y></x></y>')).toThrow(/does not close/);
    expect(() => parseXml('<x><y>')).toThrow(/not closed/);
    expect(() => parseXml('<x/><y/>')).toThrow(/root/);
    expect(() => parseXml('<x a="1" a="2"/>')).toThrow(/duplicate/);
    expect(() => parseXml(`${'<a>'.repeat(100)}${'</a>'.repeat(100)}`)).toThrow(/deep/);
  });
});

const KID0 = '6c5f5206-7d98-4808-84d8-94f419458a09';
const KID1 = '1a1b1c1d-2a2b-3c3d-4e4f-5a5b5c5d5e5f';
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const key0 = Uint8Array.from({ length: 16 }, (_, i) => i);
const key1 = Uint8Array.from({ length: 16 }, (_, i) => 100 + i);
const iv1 = Uint8Array.from({ length: 16 }, (_, i) => 200 + i);
const wvPssh = writePssh({ systemId: kidOf(WIDEVINE_SYSTEM_ID), kids: [], data: Uint8Array.from([0x12, 0x10]) });
const prPssh = writePssh({ systemId: kidOf(PLAYREADY_SYSTEM_ID), kids: [], data: Uint8Array.from([1, 2, 3, 4]) });

/** A CPIX 2.3 document as a key server answers: two keys, two periods, Widevine and PlayReady. */
const CPIX = `<?xml version="1.0" encoding="UTF-8"?>
<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" contentId="movie-1" version="2.3">
  <cpix:ContentKeyList>
    <cpix:ContentKey kid="${KID0}" commonEncryptionScheme="cbcs">
      <cpix:Data><pskc:Secret><pskc:PlainValue>${b64(key0)}</pskc:PlainValue></pskc:Secret></cpix:Data>
    </cpix:ContentKey>
    <cpix:ContentKey kid="${KID1}" explicitIV="${b64(iv1)}">
      <cpix:Data><pskc:Secret><pskc:PlainValue>
        ${b64(key1)}
      </pskc:PlainValue></pskc:Secret></cpix:Data>
    </cpix:ContentKey>
  </cpix:ContentKeyList>
  <cpix:DRMSystemList>
    <cpix:DRMSystem kid="${KID0}" systemId="${WIDEVINE_SYSTEM_ID}"><cpix:PSSH>${b64(wvPssh)}</cpix:PSSH></cpix:DRMSystem>
    <cpix:DRMSystem kid="${KID0}" systemId="${PLAYREADY_SYSTEM_ID.toUpperCase()}"><cpix:PSSH>${b64(prPssh)}</cpix:PSSH></cpix:DRMSystem>
    <cpix:DRMSystem kid="${KID1}" systemId="${WIDEVINE_SYSTEM_ID}"><cpix:ContentProtectionData>eA==</cpix:ContentProtectionData></cpix:DRMSystem>
  </cpix:DRMSystemList>
  <cpix:ContentKeyPeriodList>
    <cpix:ContentKeyPeriod id="keyPeriod_a" index="0"/>
    <cpix:ContentKeyPeriod id="keyPeriod_b" index="1"/>
  </cpix:ContentKeyPeriodList>
  <cpix:ContentKeyUsageRuleList>
    <cpix:ContentKeyUsageRule kid="${KID0}"><cpix:KeyPeriodFilter periodId="keyPeriod_a"/></cpix:ContentKeyUsageRule>
    <cpix:ContentKeyUsageRule kid="${KID1}"><cpix:KeyPeriodFilter periodId="keyPeriod_b"/></cpix:ContentKeyUsageRule>
  </cpix:ContentKeyUsageRuleList>
</cpix:CPIX>`;

describe('CPIX 2.3', () => {
  it('parses content keys, DRM systems with pssh, periods and usage rules', () => {
    const doc = parseCpix(CPIX);
    expect(doc.contentId).toBe('movie-1');
    expect(doc.contentKeys.map((k) => uuidOf(k.kid))).toEqual([KID0, KID1]);
    expect(doc.contentKeys[0]).toMatchObject({ key: key0, scheme: 'cbcs' });
    expect(doc.contentKeys[1]).toMatchObject({ key: key1, explicitIv: iv1 });
    expect(doc.drmSystems.map((s) => s.systemId)).toEqual([WIDEVINE_SYSTEM_ID, PLAYREADY_SYSTEM_ID, WIDEVINE_SYSTEM_ID]);
    expect(doc.drmSystems[1]!.pssh).toEqual(prPssh);
    expect(doc.periods).toEqual([
      { id: 'keyPeriod_a', index: 0 },
      { id: 'keyPeriod_b', index: 1 },
    ]);
  });

  it('CpixKeyProvider gives each period its key, its pssh boxes, and an IV (explicit, else derived from the KID)', async () => {
    const loaded: string[] = [];
    const provider = new CpixKeyProvider((id) => {
      loaded.push(id);
      return CPIX;
    });
    const p0 = await provider.keyFor('movie-1', 0);
    expect(uuidOf(p0.kid)).toBe(KID0);
    expect(p0.key).toEqual(key0);
    expect(p0.pssh).toEqual([wvPssh, prPssh]);
    expect(p0.iv.length).toBe(16);
    expect((await provider.keyFor('movie-1', 0)).iv).toEqual(p0.iv);
    const p1 = await provider.keyFor('movie-1', 1);
    expect(uuidOf(p1.kid)).toBe(KID1);
    expect(p1).toMatchObject({ key: key1, iv: iv1, pssh: [] });
    await expect(provider.keyFor('movie-1', 2)).rejects.toMatchObject({ code: 'keys.not_found' });
    expect(loaded).toEqual(['movie-1', 'movie-1', 'movie-1', 'movie-1']);
  });

  it('one key and no periods: that key for every period', async () => {
    const one = `<CPIX><ContentKeyList><ContentKey kid="${KID0}"><Data><Secret><PlainValue>${b64(key0)}</PlainValue></Secret></Data></ContentKey></ContentKeyList></CPIX>`;
    const provider = new CpixKeyProvider(async () => one);
    expect((await provider.keyFor('v', 7)).key).toEqual(key0);
  });

  it('refuses encrypted keys, keys that are not 16 bytes, a PSSH that is not a pssh box, and another root', () => {
    const encrypted = `<CPIX><ContentKeyList><ContentKey kid="${KID0}"><Data><Secret><EncryptedValue/></Secret></Data></ContentKey></ContentKeyList></CPIX>`;
    expect(() => parseCpix(encrypted)).toThrow(expect.objectContaining({ code: 'keys.unsupported' }));
    const short = `<CPIX><ContentKeyList><ContentKey kid="${KID0}"><Data><Secret><PlainValue>AAAA</PlainValue></Secret></Data></ContentKey></ContentKeyList></CPIX>`;
    expect(() => parseCpix(short)).toThrow(/16/);
    const badPssh = `<CPIX><DRMSystemList><DRMSystem kid="${KID0}" systemId="${WIDEVINE_SYSTEM_ID}"><PSSH>AAAA</PSSH></DRMSystem></DRMSystemList></CPIX>`;
    expect(() => parseCpix(badPssh)).toThrow(/pssh box/);
    expect(() => parseCpix('<MPD/>')).toThrow(/root/);
  });
});
