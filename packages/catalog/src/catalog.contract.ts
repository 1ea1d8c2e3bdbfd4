// One contract for both catalogs. The search fixture's answers must be identical on SQLite and
// PostgreSQL, and equal to the reference matcher's.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, CatalogError, type NewVideo } from './index.ts';
import { matches, parseSearch } from './search-query.ts';

export const searchFixture: Array<Omit<NewVideo, 'id' | 'owner'> & { key: string }> = [
  {
    key: 'bunny',
    title: 'Big Buck Bunny',
    description: 'A giant rabbit takes revenge on three bullies.',
    tags: ['animation', 'blender', 'comedy'],
  },
  { key: 'sintel', title: 'Sintel', description: 'A lonely girl searches for her baby dragon.', tags: ['animation', 'blender', 'fantasy'] },
  {
    key: 'tears',
    title: 'Tears of Steel',
    description: 'Warriors and scientists in Amsterdam try to save the world.',
    tags: ['sci-fi', 'blender'],
  },
  { key: 'cafe', title: 'Café au lait', description: 'Morning coffee in Paris; a café and its regulars.', tags: ['documentary', 'food'] },
  { key: 'cooking', title: 'Cooking pasta at home', description: 'Fresh pasta, step by step.', tags: ['food', 'how-to'] },
  {
    key: 'email',
    title: 'How e-mail works',
    description: 'SMTP, IMAP and the life of a message (e-mail).',
    tags: ['networking', 'how-to'],
  },
  { key: 'urls', title: 'Reading URLs', description: 'https://example.com/path?x=1 explained; user@example.com too', tags: ['networking'] },
  { key: 'numbers', title: 'Version 2.0 release notes', description: 'What changed from 1.9 to 2.0, 100% covered', tags: ['release'] },
  { key: 'snake', title: 'snake_case vs camelCase', description: 'naming_conventions in code', tags: ['programming'] },
  { key: 'japanese', title: '東京 の 夜', description: '夜 の 散歩', tags: ['travel'] },
  { key: 'german', title: 'Straße und Brücke', description: 'Über die Brücke gehen', tags: ['travel', 'deutsch'] },
  { key: 'caps', title: 'SHOUTING TITLE', description: 'ALL CAPS DESCRIPTION', tags: ['Loud'] },
  { key: 'rabbit2', title: 'Rabbit care', description: 'How to care for a pet rabbit.', tags: ['animals', 'how-to'] },
  { key: 'dragon', title: 'Dragons in film', description: 'From Sintel to modern blockbusters.', tags: ['film', 'fantasy'] },
  { key: 'steel', title: 'Steel production', description: 'How steel is made in a blast furnace.', tags: ['industry'] },
  { key: 'tabs', title: 'Tabs\tand\nnewlines', description: 'Whitespace\u00a0matters', tags: [] },
  { key: 'emoji', title: 'Emoji 🎉 party', description: 'party time 🎈', tags: ['fun'] },
  { key: 'accents', title: 'Crème brûlée', description: 'dessert française', tags: ['food'] },
  { key: 'hyphen', title: 'State-of-the-art encoding', description: 'x264 and x265 at two-pass', tags: ['video'] },
  { key: 'long', title: 'Supercalifragilisticexpialidocious', description: 'a very long word indeed', tags: ['words'] },
];

export const searchQueries = [
  'bunny',
  'BUNNY',
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
  'steel',
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
];

export function catalogContract(
  name: string,
  open: () => Promise<{ catalog: Catalog; cleanup: () => Promise<void> }>,
  options: { skip?: string | false } = {},
) {
  describe.skipIf(Boolean(options.skip))(`Catalog contract: ${name}`, { timeout: 30_000 }, () => {
    let catalog: Catalog;
    let cleanup: () => Promise<void>;
    const ids: Record<string, string> = {};
    const tag = `t${randomBytes(3).toString('hex')}`;

    beforeAll(async () => {
      ({ catalog, cleanup } = await open());
      for (const [i, video] of searchFixture.entries()) {
        const id = `${tag}-${video.key}`;
        ids[video.key] = id;
        await catalog.createVideo({
          id,
          owner: i % 2 ? 'alice' : 'bob',
          title: video.title,
          description: video.description ?? '',
          tags: [...(video.tags ?? []), tag],
        });
      }
    });
    afterAll(async () => {
      await cleanup?.();
    });

    async function allPages(query: Parameters<Catalog['listVideos']>[0]): Promise<string[]> {
      const out: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await catalog.listVideos({ ...query, ...(cursor ? { cursor } : {}) });
        out.push(...page.items.map((v) => v.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return out;
    }

    it('creates, reads, updates with versions, and deletes', async () => {
      const created = await catalog.createVideo({
        id: `${tag}-crud`,
        owner: 'carol',
        title: ' Title ',
        tags: ['a', 'b'],
        visibility: 'private',
      });
      expect(created).toMatchObject({
        title: 'Title',
        status: 'waiting_upload',
        visibility: 'private',
        version: 1,
        error: null,
        duration: null,
        renditions: [],
      });
      expect(created.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(await catalog.getVideo(created.id)).toEqual(created);
      const renditions = [{ id: 'v720', type: 'video' as const, codec: 'avc1.64001f', width: 1280, height: 720, bandwidth: 3_000_000 }];
      const updated = await catalog.updateVideo(
        created.id,
        { status: 'ready', duration: 12.5, renditions, tags: ['c'] },
        { expectedVersion: 1 },
      );
      expect(updated).toMatchObject({ status: 'ready', duration: 12.5, renditions, tags: ['c'], version: 2, title: 'Title' });
      expect(updated.updatedAt > created.updatedAt).toBe(true);
      expect(await catalog.getVideo(created.id)).toEqual(updated);
      const conflict = await catalog.updateVideo(created.id, { title: 'x' }, { expectedVersion: 1 }).catch((e: unknown) => e);
      expect((conflict as CatalogError).code).toBe('catalog.conflict');
      const dup = await catalog.createVideo({ id: created.id, owner: 'x', title: 'dup' }).catch((e: unknown) => e);
      expect((dup as CatalogError).code).toBe('catalog.conflict');
      await catalog.deleteVideo(created.id);
      expect(await catalog.findVideo(created.id)).toBeNull();
      expect(((await catalog.getVideo(created.id).catch((e: unknown) => e)) as CatalogError).code).toBe('catalog.not_found');
      expect(((await catalog.deleteVideo(created.id).catch((e: unknown) => e)) as CatalogError).code).toBe('catalog.not_found');
      expect(((await catalog.updateVideo(created.id, { title: 'x' }).catch((e: unknown) => e)) as CatalogError).code).toBe(
        'catalog.not_found',
      );
    });

    it('refuses invalid values with catalog.invalid', async () => {
      for (const bad of [
        () => catalog.createVideo({ id: 'has space', owner: 'o', title: 't' }),
        () => catalog.createVideo({ id: `${tag}-x`, owner: 'o', title: '  ' }),
        () => catalog.createVideo({ id: `${tag}-y`, owner: 'o', title: 't', visibility: 'secret' as 'public' }),
        () => catalog.updateVideo(ids.bunny as string, { status: 'done' as 'ready' }),
        () => catalog.listVideos({ limit: 0 }),
        () => catalog.listVideos({ limit: 101 }),
        () => catalog.listVideos({ cursor: 'garbage' }),
      ]) {
        const error = await bad().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(CatalogError);
        expect((error as CatalogError).code).toBe('catalog.invalid');
      }
    });

    it('lists newest first in a stable order, paging with cursors without gaps or repeats', async () => {
      const all = await allPages({ tag, limit: 100 });
      expect(all).toHaveLength(searchFixture.length);
      const paged = await allPages({ tag, limit: 3 });
      expect(paged).toEqual(all);
      const page = await catalog.listVideos({ tag, limit: 3 });
      expect(page.items).toHaveLength(3);
      expect(page.nextCursor).not.toBeNull();
      const videos = (await catalog.listVideos({ tag, limit: 100 })).items;
      for (let i = 1; i < videos.length; i++) {
        const a = videos[i - 1];
        const b = videos[i];
        if (!a || !b) continue;
        expect(a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id)).toBe(true);
      }
    });

    it('filters by tag, status, owner and visibility', async () => {
      await catalog.updateVideo(ids.sintel as string, { status: 'ready', visibility: 'unlisted' });
      expect(await allPages({ tag, status: 'ready' })).toEqual([ids.sintel]);
      expect((await allPages({ tag, visibility: ['public'] })).includes(ids.sintel as string)).toBe(false);
      expect((await allPages({ tag, visibility: ['unlisted'] })).sort()).toEqual([ids.sintel]);
      const alice = await allPages({ tag, owner: 'alice' });
      expect(alice).toHaveLength(searchFixture.length / 2);
      expect((await allPages({ tag: 'fantasy' })).filter((id) => id.startsWith(tag)).sort()).toEqual([ids.dragon, ids.sintel].sort());
      await catalog.updateVideo(ids.sintel as string, { status: 'waiting_upload', visibility: 'public' });
    });

    it('answers every search query exactly as the reference matcher does', async () => {
      for (const q of searchQueries) {
        const search = parseSearch(q);
        const expected = searchFixture
          .filter((v) => !search || matches(search, { title: v.title, description: v.description ?? '', tags: [...(v.tags ?? []), tag] }))
          .map((v) => ids[v.key] as string);
        const got = await allPages({ q, tag, limit: 100 });
        expect([...got].sort(), `query ${JSON.stringify(q)}`).toEqual([...expected].sort());
      }
      // and the reference matcher is not trivially empty or full
      expect(await allPages({ q: 'blender', tag })).toHaveLength(3);
      expect(await allPages({ q: 'rab', tag })).toHaveLength(2);
    });

    it('finds related public, ready videos: shared tags first, then title words', async () => {
      for (const key of ['sintel', 'tears', 'dragon', 'bunny', 'steel', 'cooking'])
        await catalog.updateVideo(ids[key] as string, { status: 'ready' });
      await catalog.updateVideo(ids.tears as string, { visibility: 'unlisted' });
      const related = (await catalog.related(ids.bunny as string, 10)).map((v) => v.id);
      // every fixture video carries the run's tag, so tag overlap decides first: sintel shares
      // animation+blender; tears is unlisted (never recommended); the rest share only the run tag.
      expect(related[0]).toBe(ids.sintel);
      expect(related).not.toContain(ids.tears);
      expect(related).not.toContain(ids.bunny);
      expect(related).not.toContain(ids.cafe); // not ready
      await catalog.updateVideo(ids.tears as string, { visibility: 'public' });
      expect((await catalog.related(ids.steel as string, 2)).map((v) => v.id)[0]).toBe(ids.tears);
    });

    it('answers ping', async () => {
      await catalog.ping();
    });
  });
}
