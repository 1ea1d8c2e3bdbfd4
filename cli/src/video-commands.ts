// `vought ls [query]`, `vought status ID`, `vought rm ID...`, `vought open ID`.
import { spawn } from 'node:child_process';
import { clock, type VideoPage } from '@vought/console/api-client';
import { type ApiClient, CliError, EXIT, type Video } from './api-client.ts';

export interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
  tty: boolean;
}

/** Whole seconds as m:ss or h:mm:ss; '-' before the encode has measured it. */
const duration = (seconds: number | null) => (seconds === null ? '-' : clock(Math.round(seconds)));

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

export async function runList(
  client: ApiClient,
  query: string | undefined,
  options: { tag?: string; status?: string; mine?: boolean; limit?: number; json?: boolean },
  io: Output,
): Promise<number> {
  if (options.mine) client.requireToken('--mine');
  const limit = options.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1) throw new CliError('--limit must be a whole number above 0', EXIT.usage);
  const items: Video[] = [];
  let cursor: string | null = null;
  do {
    const search = new URLSearchParams();
    if (query) search.set('q', query);
    if (options.tag) search.set('tag', options.tag);
    if (options.status) search.set('status', options.status);
    if (options.mine) search.set('owner', 'me');
    if (cursor) search.set('cursor', cursor);
    search.set('limit', String(Math.min(100, limit - items.length)));
    const page: VideoPage = await client.request('GET', `/v1/videos?${search}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < limit);
  if (options.json) {
    io.out(JSON.stringify(items.map((v) => ({ ...v, hls: client.absolute(v.links.hls), dash: client.absolute(v.links.dash) }))));
    return EXIT.ok;
  }
  if (items.length === 0) {
    io.err(query || options.tag || options.status ? 'no videos match' : 'no videos');
    return EXIT.ok;
  }
  const rows = [
    ['ID', 'STATUS', 'DURATION', 'VISIBILITY', 'TITLE'],
    ...items.map((v) => [v.id, v.status, duration(v.duration), v.visibility, v.title]),
  ];
  for (const line of table(rows)) io.out(line);
  return EXIT.ok;
}

export async function runStatus(client: ApiClient, id: string, options: { json?: boolean }, io: Output): Promise<number> {
  const video = await client.getVideo(id);
  const hls = client.absolute(video.links.hls);
  const dash = client.absolute(video.links.dash);
  if (options.json) io.out(JSON.stringify({ ...video, hls, dash }));
  else {
    const heights = video.renditions.filter((r) => r.type === 'video' && r.height).map((r) => `${r.height}p`);
    const lines = [
      ['id', video.id],
      ['title', video.title],
      ['status', video.status + (video.error ? ` (${video.error})` : '')],
      ['visibility', video.visibility],
      ['duration', duration(video.duration)],
      ['renditions', heights.join(', ') || '-'],
      ['tags', video.tags.join(', ') || '-'],
      ['hls', hls],
      ['dash', dash],
      ['watch', client.absolute(`/watch/${video.id}`)],
    ];
    for (const line of table(lines)) io.out(line);
  }
  return video.status === 'failed' ? EXIT.encodeFailed : EXIT.ok;
}

export async function runRemove(client: ApiClient, ids: string[], io: Output): Promise<number> {
  client.requireToken('deleting');
  let code: number = EXIT.ok;
  for (const id of ids) {
    try {
      await client.request('DELETE', `/v1/videos/${encodeURIComponent(id)}`);
      io.out(`deleted ${id}`);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      io.err(`vought rm: ${id}: ${error.message}`);
      code = code === EXIT.ok ? error.exitCode : code;
    }
  }
  return code;
}

export async function runOpen(
  client: ApiClient,
  id: string,
  io: Output,
  opener = process.platform === 'darwin' ? 'open' : 'xdg-open',
): Promise<number> {
  await client.getVideo(id); // 404 (exit 4) rather than a page saying so
  const url = client.absolute(`/watch/${encodeURIComponent(id)}`);
  io.out(url);
  if (io.tty) {
    await new Promise<void>((resolve) => {
      const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
      child.once('error', () => {
        io.err(`(could not run ${opener}: open the URL yourself)`);
        resolve();
      });
      child.once('spawn', () => {
        child.unref();
        resolve();
      });
    });
  }
  return EXIT.ok;
}
