// Failure reasons are shown to the video's owner (the catalog's `error`, the `video.status` event).
// They name what went wrong, never where: ffmpeg's stderr, Node's fs errors and the indexer name
// the encoder's scratch files (`<tmpdir>/vought-encoder/<video>-<attempt>/out/v/360p.mp4`), and a
// hostile source can make ffmpeg echo the paths and URLs it was told to open.

/** Longest reason kept: enough for ffmpeg's last lines, not a log dump. */
export const MAX_PUBLIC_MESSAGE = 500;

// An absolute path or a URL: a `/` (or `scheme:` + `/`) not inside a word or a fraction like
// `30000/1001`, running to the next blank, quote, bracket, comma or `|` (runFfmpeg's line joiner);
// a colon or full stop that ends it ("<file>: Invalid data found", "input file <file>.") stays outside.
const PATH_OR_URL = /(?<![\w./-])(?:[a-z][a-z0-9+.-]*:)?\/[^\s'"`()<>[\],|]*?(?=[:.]?(?:[\s'"`()<>[\],|]|$))/gi;

/** The neutral word for a path: which of the job's files it was, never where it lives. */
function wordFor(found: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(found) && !/^file:/i.test(found)) return 'a URL';
  if (/\/source$/.test(found)) return 'source';
  if (/\/out(?:\/|$)/.test(found)) return 'output';
  return 'a file';
}

/** The message with every absolute path and URL replaced by a neutral word, and bounded in length. */
export function publicMessage(message: string): string {
  const clean = message.replace(PATH_OR_URL, (found) => (found === '/' ? found : wordFor(found)));
  return clean.length > MAX_PUBLIC_MESSAGE ? `${clean.slice(0, MAX_PUBLIC_MESSAGE - 1)}…` : clean;
}
