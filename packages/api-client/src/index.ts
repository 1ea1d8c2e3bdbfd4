// @vought/api-client: the control API's client side, shared by the CLI (cli/, Node) and the web
// console (console/src/app, bundled for the browser by esbuild): the JSON shapes the API answers
// with, following a video's Server-Sent Events, and the numbers both show people.
//
// Why a workspace of its own rather than a file in the console that the CLI imports: neither is
// the other's library (the CLI would otherwise depend on the console's package, esbuild and hls.js
// included), and a package keeps the rule visible: no dependencies, nothing from Node or the DOM
// beyond what both have (fetch, streams, TextDecoder), no import of origin or catalog, so the
// browser bundle and its type check (no Node types) never reach the server's code. Like every
// workspace it exports its TypeScript sources: tsx, vitest and esbuild read them as they are.
//
// What only uploads need is a second entry, `@vought/api-client/uploads` (uploads.ts), not
// re-exported here: esbuild places a module by the files that import it, so through this index it
// would land in the console's first page load instead of its lazily loaded upload chunk.
export {
  type ApiErrorBody,
  type Delivery,
  type PlaybackToken,
  type Rendition,
  VIDEO_STATUSES,
  VISIBILITIES,
  type Video,
  type VideoDetails,
  type VideoEvent,
  type VideoPage,
  type VideoProgress,
  type VideoStatus,
  type Visibility,
  type Webhook,
} from './api-types.ts';
export { type FollowOptions, followEvents, SseParser } from './events.ts';
export { bytes, clock } from './format.ts';
