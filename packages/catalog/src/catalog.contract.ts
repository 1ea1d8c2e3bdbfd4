// One contract for both catalogs (STYLE habit 7): SQLite and PostgreSQL run the same suite, so the
// embedded default cannot drift from the real one. Search and related() answers are compared with
// a reference computed in TypeScript over the catalog's whole content, in order; the cross-engine
// test (test/postgres-catalog.test.ts) also compares the two engines' answers with each other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, CatalogError, type EncryptionPolicy, type ListQuery, type NewVideo, type Video, type VideoPatch } from './index.ts';
import { latestVersion } from './migrations.ts';
import { MAX_RELATED_CANDIDATES, rankRelated } from './related-ranker.ts';
import { matches, parseSearch, videoWords, words } from './search-query.ts';

/** ~30 videos chosen where tokenizers disagree: punctuation, case, scripts, numbers, marks. */
export const searchFixture: Array<Omit<NewVideo, 'owner'>> = [
  { id: 'bunny', title: 'Big Buck Bunny', description: 'A giant rabbit takes revenge on three bullies.', tags: ['animation', 'blender'] },
  { id: 'sintel', title: 'Sintel', description: 'A lonely girl searches for her baby dragon.', tags: ['animation', 'blender', 'fantasy'] },
  {
    id: 'tears',
    title: 'Tears of Steel',
    description: 'Warriors and scientists in Amsterdam save the world.',
    tags: ['sci-fi', 'blender'],
  },
  { id: 'cafe', title: 'Café au lait', description: 'Morning coffee in Paris; a café and its regulars.', tags: ['documentary', 'food'] },
  { id: 'cooking', title: 'Cooking pasta at home', description: 'Fresh pasta, step by step.', tags: ['food', 'how-to'] },
  { id: 'email', title: 'How e-mail works', description: 'SMTP, IMAP and the life of a message (e-mail).', tags: ['networking', 'how-to'] },
  { id: 'urls', title: 'Reading URLs', description: 'https://example.com/path?x=1 explained; user@example.com too', tags: ['networking'] },
  { id: 'numbers', title: 'Version 2.0 release notes', description: 'What changed from 1.9 to 2.0, 100% covered', tags: ['release'] },
  { id: 'snake', title: 'snake_case vs camelCase', description: 'naming_conventions in code', tags: ['programming'] },
  { id: 'japanese', title: '東京 の 夜', description: '夜 の 散歩', tags: ['travel'] },
  { id: 'german', title: 'Straße und Brücke', description: 'Über die Brücke gehen', tags: ['travel', 'deutsch'] },
  { id: 'caps', title: 'SHOUTING TITLE', description: 'ALL CAPS DESCRIPTION', tags: ['Loud'] },
  { id: 'rabbit2', title: 'Rabbit care', description: 'How to care for a pet rabbit.', tags: ['animals', 'how-to'] },
  { id: 'dragon', title: 'Dragons in film', description: 'From Sintel to modern blockbusters.', tags: ['film', 'fantasy'] },
  { id: 'steel', title: 'Steel production', description: 'How steel is made in a blast furnace.', tags: ['industry'] },
  { id: 'tabs', title: 'Tabs\tand\nnewlines', description: 'Whitespace\u00a0matters', tags: [] },
  { id: 'emoji', title: 'Emoji 🎉 party', description: 'party time 🎈', tags: ['fun'] },
  { id: 'accents', title: 'Crème brûlée', description: 'dessert française', tags: ['food'] },
  { id: 'hyphen', title: 'State-of-the-art encoding', description: 'x264 and x265 at two-pass', tags: ['video'] },
  { id: 'long', title: 'Supercalifragilisticexpialidocious', description: `a ${'very'.repeat(20)} long word`, tags: ['words'] },
  // FTS5 (Unicode 6.1) splits Devanagari at vowel signs and viramas; PostgreSQL does not.
  { id: 'hindi', title: 'हिन्दी सिनेमा', description: 'भारतीय फ़िल्में', tags: ['india'] },
  // FTS5 folds final sigma ς to σ; JavaScript and PostgreSQL keep it.
  { id: 'greek', title: 'ΟΔΟΣ ΤΗΣ ΖΩΗΣ', description: 'ο δρόμος', tags: ['greek'] },
  // PostgreSQL's parser reads 12e3 as a number and splits "12e3f"; FTS5 does not.
  { id: 'sci', title: 'Results 12e3f and 1e5abc', description: 'Avogadro 6.02e23', tags: ['science'] },
  { id: 'thai', title: 'ภาษาไทย', description: 'สวัสดี', tags: [] },
  { id: 'turkish', title: 'İstanbul by night', description: 'Boğaziçi', tags: ['travel'] },
  { id: 'ligature', title: 'ﬁle formats', description: 'chapter Ⅷ, x², ½ cup', tags: ['files'] },
  { id: 'arabic', title: 'مرحبا بالعالم', description: 'digits ١٢٣', tags: ['arabic'] },
  { id: 'Zed', title: 'Bunny hop', description: 'rabbit moves', tags: ['animation', 'animals'] },
  { id: 'alpha', title: 'Bunny hop tutorial', description: 'big jumps', tags: ['animals', 'how-to'] },
  { id: 'under', title: '_leading_ and trailing_', description: '', tags: ['x_y'] },
];

export const searchQueries = [
  'bunny',
  'BUNNY',
  'bun',
  'blender',
  'animation blender',
  'rab',
  'rabbit',
  'café',
  'cafe',
  'e-mail',
  'mail',
  'example.com',
  '2.0',
  'snake_case',
  'naming',
  '東京',
  'brücke',
  'strasse',
  'straße',
  'loud',
  'tears steel',
  'how-to',
  'party 🎉',
  'crème brû',
  'x26',
  'supercali',
  '"quoted" OR NOT',
  "o'brien",
  '***',
  'how to',
  'हिन्दी',
  'हि',
  'ΟΔΟΣ',
  'οδοσ',
  'ζωη',
  '12e3',
  '12e3f',
  '1e5',
  'istanbul',
  'İstanbul',
  'file',
  'viii',
  'ภาษา',
  'مرحبا',
  '١٢',
  'x_y',
  'a b c d e f g h i j bunny',
  'very'.repeat(20),
  '',
  '   ',
  'hop bunny tut',
  'NEAR(bunny) col:title',
];

export interface ContractTarget {
  catalog: Catalog;
  /** Closes this catalog's connection and opens the same database again (migrations re-run). */
  reopen: () => Promise<Catalog>;
  cleanup: () => Promise<void>;
}

/** A clock the suite moves by hand: equal timestamps on purpose, no sleeping. */
export class TestClock {
  time = Date.parse('2030-01-01T00:00:00.000Z');
  readonly now = (): Date => new Date(this.time);
}

/** Creates the fixture: owners alternate alice/bob, three videos share each created_at. */
export async function loadSearchFixture(catalog: Catalog, clock: TestClock): Promise<Video[]> {
  const out: Video[] = [];
  for (const [i, video] of searchFixture.entries()) {
    if (i % 3 === 0) clock.time += 1000;
    out.push(await catalog.createVideo({ ...video, owner: i % 2 ? 'alice' : 'bob' }));
  }
  return out;
}

/** The stable order: created_at descending, then id descending by code unit (bytewise for ASCII ids). */
export function byStableOrder(a: Video, b: Video): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** The reference for related(): the documented candidate rule and the one ranking. */
export function referenceRelated(all: Video[], video: Video, limit: number): Video[] {
  const tags = new Set(video.tags);
  const title = new Set(words(video.title));
  const candidates = all
    .filter((v) => v.id !== video.id && v.visibility === 'public' && v.status === 'ready')
    .filter((v) => v.tags.some((t) => tags.has(t)) || videoWords(v).some((w) => title.has(w)))
    .sort(byStableOrder)
    .slice(0, MAX_RELATED_CANDIDATES);
  return rankRelated(video, candidates, limit);
}

export async function allPages(catalog: Catalog, query: ListQuery): Promise<Video[]> {
  const out: Video[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const page: Awaited<ReturnType<Catalog['listVideos']>> = await catalog.listVideos({ ...query, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) return out;
  }
  throw new Error('pagination does not end');
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'expected a CatalogError').toBeInstanceOf(CatalogError);
  return (error as CatalogError).code;
}

export function catalogContract(
  name: string,
  open: (options: { now: () => Date }) => Promise<ContractTarget>,
  options: { skip?: string | false } = {},
) {
  describe.skipIf(Boolean(options.skip))(`Catalog contract: ${name}`, { timeout: 30_000 }, () => {
    const clock = new TestClock();
    let target: ContractTarget;
    let catalog: Catalog;
    let fixture: Video[];

    beforeAll(async () => {
      target = await open({ now: clock.now });
      catalog = target.catalog;
      fixture = await loadSearchFixture(catalog, clock);
    });
    afterAll(async () => {
      await target?.cleanup();
    });

    it('creates, reads, updates with versions, and deletes', async () => {
      clock.time += 1000;
      const created = await catalog.createVideo({
        id: 'crud',
        owner: 'carol',
        title: ' Title ',
        description: 'Ünïcödé ✓ "quotes" \\ backslash',
        tags: ['a', 'B', 'with space'],
        visibility: 'private',
      });
      expect(created).toEqual({
        id: 'crud',
        owner: 'carol',
        title: 'Title',
        description: 'Ünïcödé ✓ "quotes" \\ backslash',
        tags: ['a', 'B', 'with space'],
        visibility: 'private',
        status: 'waiting_upload',
        error: null,
        duration: null,
        renditions: [],
        encryption: null,
        version: 1,
        createdAt: new Date(clock.time).toISOString(),
        updatedAt: new Date(clock.time).toISOString(),
      });
      expect(await catalog.getVideo('crud')).toEqual(created);

      // JSON fields come back exactly, key order included (caches and ETags hash them).
      const renditions = [
        { type: 'video' as const, id: 'v720', codec: 'avc1.64001f', width: 1280, height: 720, bandwidth: 3_000_000 },
        { id: 'a-en', type: 'audio' as const, codec: 'mp4a.40.2', language: 'en', bandwidth: 128_000 },
      ];
      const updated = await catalog.updateVideo(
        'crud',
        { status: 'ready', duration: 12.345, renditions, tags: ['c'] },
        { expectedVersion: 1 },
      );
      expect(updated).toMatchObject({ status: 'ready', duration: 12.345, tags: ['c'], version: 2, title: 'Title', owner: 'carol' });
      expect(JSON.stringify(updated.renditions)).toBe(JSON.stringify(renditions));
      const read = await catalog.getVideo('crud');
      expect(read).toEqual(updated);
      expect(JSON.stringify(read.renditions)).toBe(JSON.stringify(renditions));
      expect(read.createdAt).toBe(created.createdAt);

      // The clock stood still: updated_at still moves forward, by a millisecond.
      expect(updated.updatedAt).toBe(new Date(clock.time + 1).toISOString());
      clock.time += 5000;
      const later = await catalog.updateVideo('crud', { error: 'boom', duration: null });
      expect(later).toMatchObject({ version: 3, error: 'boom', duration: null, updatedAt: new Date(clock.time).toISOString() });

      // Fields outside the patch type are ignored, not written.
      const sneaky = { title: 'Renamed', version: 99, id: 'other', createdAt: '2000-01-01T00:00:00.000Z' } as Parameters<
        Catalog['updateVideo']
      >[1];
      expect(await catalog.updateVideo('crud', sneaky)).toMatchObject({
        id: 'crud',
        title: 'Renamed',
        version: 4,
        createdAt: created.createdAt,
      });

      expect(await codeOf(catalog.updateVideo('crud', { title: 'x' }, { expectedVersion: 1 }))).toBe('catalog.conflict');
      expect((await catalog.getVideo('crud')).version).toBe(4);
      // Two writers holding version 4: exactly one wins, the other hears catalog.conflict.
      const race = await Promise.allSettled([
        catalog.updateVideo('crud', { title: 'first' }, { expectedVersion: 4 }),
        catalog.updateVideo('crud', { title: 'second' }, { expectedVersion: 4 }),
      ]);
      expect(race.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const losers = race.flatMap((r) => (r.status === 'rejected' ? [r.reason as CatalogError] : []));
      expect(losers.map((e) => e.code)).toEqual(['catalog.conflict']);
      // Without an expectation both apply, one after the other.
      await Promise.all([catalog.updateVideo('crud', { tags: ['p'] }), catalog.updateVideo('crud', { description: 'q' })]);
      expect(await catalog.getVideo('crud')).toMatchObject({ version: 7, tags: ['p'], description: 'q' });
      expect(await codeOf(catalog.createVideo({ id: 'crud', owner: 'x', title: 'dup' }))).toBe('catalog.conflict');
      await catalog.deleteVideo('crud');
      expect(await catalog.findVideo('crud')).toBeNull();
      expect(await codeOf(catalog.getVideo('crud'))).toBe('catalog.not_found');
      expect(await codeOf(catalog.deleteVideo('crud'))).toBe('catalog.not_found');
      expect(await codeOf(catalog.updateVideo('crud', { title: 'x' }))).toBe('catalog.not_found');
      expect(await codeOf(catalog.related('crud', 5))).toBe('catalog.not_found');
    });

    it('refuses invalid values with catalog.invalid and stores nothing', async () => {
      const bad: Array<() => Promise<unknown>> = [
        () => catalog.createVideo({ id: 'has space', owner: 'o', title: 't' }),
        () => catalog.createVideo({ id: 'x'.repeat(65), owner: 'o', title: 't' }),
        () => catalog.createVideo({ id: 'bad1', owner: '', title: 't' }),
        () => catalog.createVideo({ id: 'bad2', owner: 'o', title: '  ' }),
        () => catalog.createVideo({ id: 'bad3', owner: 'o', title: 't', visibility: 'secret' as 'public' }),
        () => catalog.createVideo({ id: 'bad4', owner: 'o', title: 't', status: 'done' as 'ready' }),
        () => catalog.createVideo({ id: 'bad5', owner: 'o', title: 'nul \u0000 inside' }),
        () => catalog.createVideo({ id: 'bad6', owner: 'o', title: 'half \ud83c pair' }),
        () => catalog.createVideo({ id: 'bad7', owner: 'o', title: 't', tags: [1 as unknown as string] }),
        () => catalog.updateVideo('bunny', { status: 'done' as 'ready' }),
        () => catalog.updateVideo('bunny', { duration: Number.NaN }),
        () => catalog.updateVideo('bunny', { duration: -1 }),
        () => catalog.updateVideo('bunny', { renditions: [{ id: 'v', type: 'hologram' as 'video' }] }),
        () => catalog.listVideos({ limit: 0 }),
        () => catalog.listVideos({ limit: 101 }),
        () => catalog.listVideos({ limit: 2.5 }),
        () => catalog.listVideos({ status: 'done' as 'ready' }),
        () => catalog.listVideos({ visibility: ['public', 'hidden' as 'public'] }),
        () => catalog.listVideos({ cursor: 'garbage!' }),
        () => catalog.listVideos({ cursor: Buffer.from('["yesterday","bunny"]').toString('base64url') }),
        () => catalog.listVideos({ cursor: Buffer.from('["2030-02-30T00:00:00.000Z","bunny"]').toString('base64url') }),
        () => catalog.related('bunny', 0),
        () => catalog.related('bunny', 101),
      ];
      for (const [i, call] of bad.entries()) expect(await codeOf(call()), `case ${i}`).toBe('catalog.invalid');
      for (const id of ['bad1', 'bad2', 'bad3', 'bad4', 'bad5', 'bad6', 'bad7']) expect(await catalog.findVideo(id)).toBeNull();
      expect((await catalog.getVideo('bunny')).version).toBe(1);
    });

    it('stores an encryption policy per video: set at creation or by update, cleared with null, read back as written', async () => {
      // Rows created before any policy (the fixture) have none.
      expect(fixture.map((v) => v.encryption)).toEqual(fixture.map(() => null));
      expect((await catalog.getVideo('bunny')).encryption).toBeNull();

      clock.time += 1000;
      const policy: EncryptionPolicy = { schemes: ['cbcs', 'aes-128'], rotationSegments: 10 };
      const withPolicy = await catalog.createVideo({ id: 'enc1', owner: 'erin', title: 'Encrypted', encryption: policy });
      expect(withPolicy.encryption).toEqual(policy);
      expect(JSON.stringify(withPolicy.encryption)).toBe(JSON.stringify(policy));
      expect(await catalog.getVideo('enc1')).toEqual(withPolicy);
      expect((await catalog.createVideo({ id: 'enc0', owner: 'erin', title: 'Clear' })).encryption).toBeNull();
      expect((await catalog.createVideo({ id: 'enc2', owner: 'erin', title: 'Clear too', encryption: null })).encryption).toBeNull();
      expect((await catalog.getVideo('enc2')).encryption).toBeNull();

      // Set, changed, kept by an unrelated update, cleared; each read back equal.
      const steps: Array<[VideoPatch, EncryptionPolicy | null]> = [
        [{ encryption: { schemes: ['cenc'] } }, { schemes: ['cenc'] }],
        [
          { encryption: { schemes: ['sample-aes', 'cbcs', 'cenc', 'aes-128'], rotationSegments: 1_000_000 } },
          { schemes: ['sample-aes', 'cbcs', 'cenc', 'aes-128'], rotationSegments: 1_000_000 },
        ],
        [{ title: 'Still encrypted' }, { schemes: ['sample-aes', 'cbcs', 'cenc', 'aes-128'], rotationSegments: 1_000_000 }],
        [{ encryption: { schemes: ['aes-128'], rotationSegments: 1 } }, { schemes: ['aes-128'], rotationSegments: 1 }],
        [{ encryption: null }, null],
        [{ encryption: { schemes: ['cbcs'] } }, { schemes: ['cbcs'] }],
      ];
      let version = (await catalog.getVideo('enc0')).version;
      for (const [patch, expected] of steps) {
        const updated = await catalog.updateVideo('enc0', patch, { expectedVersion: version });
        expect(updated.encryption, JSON.stringify(patch)).toEqual(expected);
        expect(JSON.stringify(updated.encryption)).toBe(JSON.stringify(expected));
        expect(await catalog.getVideo('enc0')).toEqual(updated);
        version = updated.version;
      }

      // Invalid policies: refused on create and on update, naming the parameter; nothing changes.
      const before = await Promise.all(['enc0', 'enc1', 'enc2'].map((id) => catalog.getVideo(id)));
      const bad: unknown[] = [
        {},
        { schemes: [] },
        { schemes: 'cenc' },
        { schemes: ['cenc', 'cenc'] },
        { schemes: ['aes-256'] },
        { schemes: ['CENC'] },
        { schemes: [null] },
        { schemes: ['cenc', 'cbcs', 'aes-128', 'sample-aes', 'cenc'] },
        { schemes: ['cenc'], rotationSegments: 0 },
        { schemes: ['cenc'], rotationSegments: -1 },
        { schemes: ['cenc'], rotationSegments: 1.5 },
        { schemes: ['cenc'], rotationSegments: '3' },
        { schemes: ['cenc'], rotationSegments: 1_000_001 },
        { schemes: ['cenc'], rotationSegments: Number.POSITIVE_INFINITY },
        { schemes: ['cenc'], rotationSegments: null },
        { schemes: ['cenc'], keyId: 'abc' },
        [{ schemes: ['cenc'] }],
        'cenc',
        true,
      ];
      const invalidOn = async (promise: Promise<unknown>): Promise<unknown> => {
        const error = await promise.then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(CatalogError);
        return { code: (error as CatalogError).code, parameter: (error as CatalogError).detail.parameter };
      };
      const refused = { code: 'catalog.invalid', parameter: 'encryption' };
      for (const encryption of bad) {
        const as = encryption as EncryptionPolicy;
        expect(
          await invalidOn(catalog.createVideo({ id: 'encbad', owner: 'erin', title: 't', encryption: as })),
          JSON.stringify(encryption),
        ).toEqual(refused);
        for (const id of ['enc0', 'enc2'])
          expect(await invalidOn(catalog.updateVideo(id, { encryption: as, title: 'changed?' })), JSON.stringify(encryption)).toEqual(
            refused,
          );
      }
      expect(await catalog.findVideo('encbad')).toBeNull();
      expect(await Promise.all(['enc0', 'enc1', 'enc2'].map((id) => catalog.getVideo(id)))).toEqual(before);

      // Kept across a reopen (migrations re-run), then gone with the video.
      catalog = await target.reopen();
      expect(await Promise.all(['enc0', 'enc1', 'enc2'].map((id) => catalog.getVideo(id)))).toEqual(before);
      for (const id of ['enc0', 'enc1', 'enc2']) await catalog.deleteVideo(id);
    });

    it('lists in the stable order and pages with cursors across equal timestamps, without gaps or repeats', async () => {
      const expected = [...fixture].sort(byStableOrder).map((v) => v.id);
      // Three videos share each created_at, so ties are broken by id, bytewise ('Zed' before 'alpha').
      expect(expected.indexOf('alpha')).toBeLessThan(expected.indexOf('Zed'));
      const all = await catalog.listVideos({ limit: 100 });
      expect(all.items.map((v) => v.id)).toEqual(expected);
      expect(all.nextCursor).toBeNull();
      for (const limit of [1, 2, 3, 4, 7]) {
        expect(
          (await allPages(catalog, { limit })).map((v) => v.id),
          `limit ${limit}`,
        ).toEqual(expected);
      }
      const first = await catalog.listVideos({});
      expect(first.items).toHaveLength(20);
      expect(first.nextCursor).not.toBeNull();
      // A cursor keeps its place when rows are added before it (keyset, not offset).
      const page1 = await catalog.listVideos({ limit: 5 });
      clock.time += 1000;
      await catalog.createVideo({ id: 'newest', owner: 'dave', title: 'Arrived between pages' });
      const page2 = await catalog.listVideos({ limit: 5, cursor: page1.nextCursor as string });
      expect(page2.items.map((v) => v.id)).toEqual(expected.slice(5, 10));
      await catalog.deleteVideo('newest');
    });

    it('filters by tag (exact), status, owner and visibility, also combined and paged', async () => {
      clock.time += 1000;
      await catalog.updateVideo('sintel', { status: 'ready', visibility: 'unlisted' });
      await catalog.updateVideo('dragon', { status: 'ready', visibility: 'private' });
      const all = (await allPages(catalog, { limit: 100 })).sort(byStableOrder);
      const ids = (videos: Video[]) => videos.map((v) => v.id);
      const check = async (query: ListQuery, keep: (v: Video) => boolean) => {
        const expected = ids(all.filter(keep));
        expect(ids(await allPages(catalog, { ...query, limit: 100 })), JSON.stringify(query)).toEqual(expected);
        expect(ids(await allPages(catalog, { ...query, limit: 2 })), JSON.stringify(query)).toEqual(expected);
        return expected;
      };
      expect(await check({ tag: 'fantasy' }, (v) => v.tags.includes('fantasy'))).toEqual(['dragon', 'sintel']);
      expect(await check({ tag: 'loud' }, () => false)).toEqual([]); // the tag is 'Loud': exact match
      expect(await check({ tag: 'Loud' }, (v) => v.id === 'caps')).toEqual(['caps']);
      expect(await check({ tag: 'how' }, () => false)).toEqual([]); // a word of a tag is not the tag
      expect(await check({ status: 'ready' }, (v) => v.status === 'ready')).toEqual(['dragon', 'sintel']);
      expect(await check({ owner: 'alice' }, (v) => v.owner === 'alice')).toHaveLength(searchFixture.length / 2);
      await check({ visibility: ['public'] }, (v) => v.visibility === 'public');
      expect(await check({ visibility: ['unlisted', 'private'] }, (v) => v.visibility !== 'public')).toEqual(['dragon', 'sintel']);
      await check({ visibility: ['public', 'public'] }, (v) => v.visibility === 'public');
      expect(await check({ visibility: [] }, () => false)).toEqual([]);
      await check(
        { tag: 'animation', visibility: ['public'], owner: 'bob' },
        (v) => v.tags.includes('animation') && v.visibility === 'public' && v.owner === 'bob',
      );
      expect(await check({ q: 'dragon', status: 'ready', visibility: ['private'] }, (v) => v.id === 'dragon')).toEqual(['dragon']);
      await catalog.updateVideo('sintel', { status: 'waiting_upload', visibility: 'public' });
      await catalog.updateVideo('dragon', { status: 'waiting_upload', visibility: 'public' });
    });

    it('answers every search query exactly as the reference matcher does, in the stable order', async () => {
      const all = (await allPages(catalog, { limit: 100 })).sort(byStableOrder);
      for (const q of searchQueries) {
        const search = parseSearch(q);
        const expected = all.filter((v) => !search || matches(search, v)).map((v) => v.id);
        expect(
          (await allPages(catalog, { q, limit: 100 })).map((v) => v.id),
          `query ${JSON.stringify(q)}`,
        ).toEqual(expected);
        expect(
          (await allPages(catalog, { q, limit: 3 })).map((v) => v.id),
          `query ${JSON.stringify(q)} paged`,
        ).toEqual(expected);
      }
      // The reference itself, checked by hand on the cases that motivated it.
      const answer = async (q: string) => (await allPages(catalog, { q, limit: 100 })).map((v) => v.id).sort();
      expect(await answer('blender')).toEqual(['bunny', 'sintel', 'tears']);
      expect(await answer('rab')).toEqual(['Zed', 'bunny', 'rabbit2']);
      expect(await answer('café')).toEqual(['cafe']);
      expect(await answer('cafe')).toEqual([]); // no accent folding, on either engine
      expect(await answer('mail')).toEqual(['email']);
      expect(await answer('हिन्दी')).toEqual(['hindi']);
      expect(await answer('हि')).toEqual(['hindi']);
      expect(await answer('ΟΔΟΣ')).toEqual(['greek']);
      expect(await answer('οδοσ')).toEqual([]); // σ is not ς
      expect(await answer('12e3')).toEqual(['sci']);
      expect(await answer('12e3 f')).toEqual([]);
      expect(await answer('file')).toEqual(['ligature']);
      expect(await answer('hop bunny tut')).toEqual(['alpha']);
      expect(await answer('"quoted" OR NOT')).toEqual([]);
      expect(await answer('***')).toHaveLength(all.length); // no words: no filter
      expect(await answer('a b c d e f g h i j bunny')).toEqual(await answer('a b c d e f g h i j'));
    });

    it('finds related public, ready videos: shared tags first, then title words, as the reference ranks them', async () => {
      clock.time += 1000;
      const ready = ['sintel', 'tears', 'dragon', 'bunny', 'steel', 'cooking', 'Zed', 'alpha', 'rabbit2', 'caps'];
      for (const id of ready) await catalog.updateVideo(id, { status: 'ready' });
      await catalog.updateVideo('tears', { visibility: 'unlisted' });
      const all = await allPages(catalog, { limit: 100 });
      for (const video of all) {
        const got = (await catalog.related(video.id, 10)).map((v) => v.id);
        expect(got, `related to ${video.id}`).toEqual(referenceRelated(all, video, 10).map((v) => v.id));
      }
      // By hand: bunny shares animation+blender with sintel, animation with Zed, the title word
      // "bunny" with alpha; tears (unlisted), cafe (not ready) and bunny itself never appear.
      const related = (await catalog.related('bunny', 10)).map((v) => v.id);
      expect(related).toEqual(['sintel', 'Zed', 'alpha']);
      expect((await catalog.related('bunny', 1)).map((v) => v.id)).toEqual(['sintel']);
      await catalog.updateVideo('tears', { visibility: 'public' });
      expect((await catalog.related('steel', 5)).map((v) => v.id)).toEqual(['tears']);
      expect(await catalog.related('thai', 5)).toEqual([]);
      for (const id of ready) await catalog.updateVideo(id, { status: 'waiting_upload' });
    });

    it('keeps data and re-runs migrations idempotently on reopen', async () => {
      expect(await catalog.schemaVersion()).toBe(latestVersion);
      const before = await allPages(catalog, { limit: 100 });
      catalog = await target.reopen();
      catalog = await target.reopen();
      expect(await catalog.schemaVersion()).toBe(latestVersion);
      expect(await allPages(catalog, { limit: 100 })).toEqual(before);
      expect((await catalog.listVideos({ q: 'blender' })).items).toHaveLength(3);
      await catalog.ping();
    });

    it('stores webhooks and drains their deliveries with leases', async () => {
      const hooks = catalog.webhooks;
      clock.time += 1000;
      const hook = await hooks.createWebhook({
        id: 'hook1',
        owner: 'alice',
        url: 'https://example.com/hook',
        secret: 's3cret',
        events: ['video.ready', 'video.failed'],
      });
      expect(hook).toEqual({
        id: 'hook1',
        owner: 'alice',
        url: 'https://example.com/hook',
        secret: 's3cret',
        events: ['video.ready', 'video.failed'],
        createdAt: new Date(clock.time).toISOString(),
      });
      clock.time += 1;
      await hooks.createWebhook({ id: 'hook2', owner: 'alice', url: 'http://127.0.0.1:9/x', secret: 'k', events: ['*'] });
      await hooks.createWebhook({ id: 'hook3', owner: 'bob', url: 'https://b.example/', secret: 'k', events: ['video.ready'] });
      expect(await hooks.getWebhook('hook1')).toEqual(hook);
      expect((await hooks.listWebhooks('alice')).map((h) => h.id)).toEqual(['hook1', 'hook2']);
      expect((await hooks.webhooksFor('video.ready')).map((h) => h.id)).toEqual(['hook1', 'hook2', 'hook3']);
      expect((await hooks.webhooksFor('video.deleted')).map((h) => h.id)).toEqual(['hook2']);
      expect((await hooks.webhooksFor('video.ready', 'bob')).map((h) => h.id)).toEqual(['hook3']);
      expect(await codeOf(hooks.createWebhook({ ...hook, url: 'https://other/' }))).toBe('catalog.conflict');
      for (const bad of [
        { ...hook, id: 'h-bad', url: 'ftp://x/' },
        { ...hook, id: 'h-bad', url: 'https://user:pw@x/' },
        { ...hook, id: 'h-bad', events: [] },
        { ...hook, id: 'h-bad', events: ['Video Ready'] },
        { ...hook, id: 'h-bad', secret: '' },
      ])
        expect(await codeOf(hooks.createWebhook(bad)), JSON.stringify(bad)).toBe('catalog.invalid');

      const event = { type: 'video.ready', videoId: 'bunny', data: { z: 1, a: [1, 'two'] } };
      const d1 = await hooks.enqueueDelivery({ id: 'd1', webhookId: 'hook1', event });
      expect(d1).toMatchObject({ status: 'pending', attempts: 0, lastError: null, nextAttemptAt: new Date(clock.time).toISOString() });
      expect(JSON.stringify(d1.event)).toBe(JSON.stringify(event));
      clock.time += 1;
      await hooks.enqueueDelivery({ id: 'd2', webhookId: 'hook2', event });
      await hooks.enqueueDelivery({ id: 'd3', webhookId: 'hook1', event, nextAttemptAt: new Date(clock.time + 60_000).toISOString() });
      expect(await codeOf(hooks.enqueueDelivery({ id: 'd1', webhookId: 'hook1', event }))).toBe('catalog.conflict');
      expect(await codeOf(hooks.enqueueDelivery({ id: 'd9', webhookId: 'nohook', event }))).toBe('catalog.not_found');
      expect(await codeOf(hooks.claimDeliveries({ limit: 0, leaseMs: 30_000 }))).toBe('catalog.invalid');

      // Due ones, oldest first; claimed ones are hidden for the lease.
      const claimed = await hooks.claimDeliveries({ limit: 10, leaseMs: 30_000 });
      expect(claimed.map((d) => [d.id, d.attempts])).toEqual([
        ['d1', 1],
        ['d2', 1],
      ]);
      expect(JSON.stringify(claimed[0]?.event)).toBe(JSON.stringify(event));
      expect(await hooks.claimDeliveries({ limit: 10, leaseMs: 30_000 })).toEqual([]);
      await hooks.recordAttempt('d1', { delivered: true });
      await hooks.recordAttempt('d2', { delivered: false, error: 'HTTP 500', retryAt: new Date(clock.time + 10_000).toISOString() });
      // The worker holding d2 died? No: it recorded a retry. Past the lease and the retry time,
      // d2 comes back (attempt 2) and d3 is due; d1 was delivered and never returns.
      clock.time += 61_000;
      const again = await hooks.claimDeliveries({ limit: 1, leaseMs: 30_000 });
      expect(again.map((d) => [d.id, d.attempts])).toEqual([['d2', 2]]);
      const failed = await hooks.recordAttempt('d2', { delivered: false, error: 'x'.repeat(5000), retryAt: null });
      expect(failed).toMatchObject({ status: 'failed', attempts: 2, nextAttemptAt: null });
      expect(failed.lastError?.length).toBeLessThan(2100);
      expect((await hooks.claimDeliveries({ limit: 10, leaseMs: 30_000 })).map((d) => d.id)).toEqual(['d3']);
      // Lease expiry: a worker that claimed d3 and vanished; it is claimable again after the lease.
      clock.time += 30_001;
      expect((await hooks.claimDeliveries({ limit: 10, leaseMs: 30_000 })).map((d) => [d.id, d.attempts])).toEqual([['d3', 2]]);
      expect((await hooks.listDeliveries('hook1')).map((d) => [d.id, d.status])).toEqual([
        ['d3', 'pending'],
        ['d1', 'delivered'],
      ]);
      expect(await codeOf(hooks.recordAttempt('nope', { delivered: true }))).toBe('catalog.not_found');
      await hooks.deleteWebhook('hook1');
      expect(await hooks.listDeliveries('hook1')).toEqual([]);
      expect(await codeOf(hooks.getWebhook('hook1'))).toBe('catalog.not_found');
      expect(await codeOf(hooks.deleteWebhook('hook1'))).toBe('catalog.not_found');
    });
  });
}
