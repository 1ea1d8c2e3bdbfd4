// Golden manifests: what players read, rendered from a fixed index for every variant and compared
// byte for byte with the files checked in under test/golden/. A change to a builder shows up as a
// diff to review like code. Regenerate with `npm run golden -w @vought/manifest`.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { writePssh } from '@vought/media';
import { describe, expect, it } from 'vitest';
import {
  buildIframePlaylist,
  buildMediaPlaylist,
  buildMpd,
  buildMultivariantPlaylist,
  buildOnDemandMpd,
  type ManifestKeys,
  mediaPlaylistQuery,
  parseManifestQuery,
  present,
  type SelectedTrack,
} from '../src/index.ts';
import { fixtureIndex } from './fixture-index.ts';

const update = process.env.UPDATE_GOLDEN === '1';
const dir = new URL('./golden/', import.meta.url);

/** Query strings of the variants: plain, filtered, clipped at aligned and unaligned times, segment durations. */
const variants: Record<string, string> = {
  plain: '',
  'segment-2': 'segment=2',
  'segment-6': 'segment=6',
  'segment-2.5': 'segment=2.5',
  filtered: 'max_height=400&audio=fra',
  'clip-aligned': 'start=4&end=10',
  'clip-unaligned': 'start=3.3&end=9.7',
  'clip-end': 'end=10&segment=4',
  byterange: 'addressing=byterange',
  'token-clip': 'start=2&segment=6',
  'enc-aes-128': 'encryption=aes-128',
  'enc-sample-aes-rotation': 'encryption=sample-aes&segment=2',
  'enc-cenc': 'encryption=cenc',
  'enc-cbcs-rotation-clip': 'encryption=cbcs&segment=2&start=2&max_height=400',
};

/** Fixed keys for the encrypted variants: `rotation` variants change key every 2 segments. */
function fixedKeys(name: string, passQuery: string): ManifestKeys {
  const rotate = name.includes('rotation');
  return {
    periodOf: (i) => (rotate ? Math.floor(i / 2) : 0),
    kid: (period) => new Uint8Array(16).fill(0x10 + period),
    pssh: (period) => [writePssh({ systemId: COMMON_SYSTEM, kids: [new Uint8Array(16).fill(0x10 + period)], data: new Uint8Array(0) })],
    aesIv: (period, trackId, plan, time) => {
      const iv = new Uint8Array(16);
      new DataView(iv.buffer).setUint32(0, period);
      new DataView(iv.buffer).setUint32(4, trackId.length);
      new DataView(iv.buffer).setUint32(8, plan.targetMs);
      new DataView(iv.buffer).setUint32(12, time);
      return iv;
    },
    licenceUrl: 'https://origin.example/v1/videos/VIDEO/keys/clearkey',
    keyQuery: passQuery || 'token=KEYTOKEN',
  };
}
const COMMON_SYSTEM = Uint8Array.from(Buffer.from('1077efecc0b24d02ace33c1e52e2fb4b', 'hex'));

function render(name: string, query: string): Record<string, string> {
  const q = parseManifestQuery(new URLSearchParams(query));
  const passQuery = name.startsWith('token') ? 'token=TOKEN' : '';
  const keys = fixedKeys(name, passQuery);
  const scheme = q.encryption;
  const hls = {
    passQuery,
    mediaQuery: mediaPlaylistQuery(q),
    addressing: q.addressing,
    ...(scheme === 'aes-128' || scheme === 'sample-aes' ? { encryption: { scheme, keys } } : {}),
  };
  const p = present(fixtureIndex, q);
  const dashEncryption = scheme === 'cenc' || scheme === 'cbcs' ? { encryption: { scheme, keys } } : {};
  const out: Record<string, string> = {
    [`${name}.master.m3u8`]: buildMultivariantPlaylist(p, hls),
    [`${name}.mpd`]: buildMpd(p, { passQuery, thumbnails: fixtureIndex.thumbnails, ...dashEncryption }),
  };
  if (!scheme) out[`${name}.ondemand.mpd`] = buildOnDemandMpd(p, { passQuery });
  // an encrypted variant renders the manifests of its own format only
  if (scheme === 'cenc' || scheme === 'cbcs') return { [`${name}.mpd`]: out[`${name}.mpd`] as string };
  if (scheme) delete out[`${name}.mpd`];
  const media = present(fixtureIndex, {
    segmentMs: q.segmentMs,
    addressing: q.addressing,
    ...(q.start !== undefined ? { start: q.start } : {}),
    ...(q.end !== undefined ? { end: q.end } : {}),
  });
  for (const sel of [...media.video, ...media.audio] as SelectedTrack[]) {
    out[`${name}.${sel.track.id}.m3u8`] = buildMediaPlaylist(sel, hls);
    if (sel.track.type === 'video' && !scheme)
      out[`${name}.${sel.track.id}.iframes.m3u8`] = buildIframePlaylist(sel as Parameters<typeof buildIframePlaylist>[0], hls);
  }
  return out;
}

describe('golden manifests', () => {
  for (const [name, query] of Object.entries(variants)) {
    it(`${name} (${query || 'no query'})`, async () => {
      for (const [file, text] of Object.entries(render(name, query))) {
        const url = new URL(file, dir);
        if (update || !existsSync(url)) {
          if (!update && process.env.CI === 'true')
            throw new Error(`golden file ${file} is missing: run npm run golden -w @vought/manifest`);
          await writeFile(url, text);
          continue;
        }
        expect(text, file).toBe(await readFile(url, 'utf8'));
      }
    });
  }
});
