// The control API's client side, shared by the web console (console/src/app, bundled for the
// browser by esbuild) and the CLI (cli/, Node, through @vought/console's export `./api-client`):
// the JSON shapes the API answers with, following a video's Server-Sent Events, the upload
// helpers, and the numbers both show people.
//
// Rules for every file in shared/: no imports outside it, no npm packages, nothing from Node or the
// DOM beyond what both have (fetch, streams, TextDecoder); never origin or catalog (the browser's
// type check, console/src/app/tsconfig.json, has no Node types, and its bundle no server code).
//
// Why here and not a workspace of its own (packages/api-client): the console's browser code is
// bundled by the origin when it starts, from console/src/app, and that directory is all of the
// console the production image ships (deploy/docker/collect-runtime.mjs: dist/ bundles plus
// console/src/app, no other sources). A package's sources would be missing there; these are not.
// The CLI's bundle (cli/dist/main.js) takes them in at build time like any @vought/* code.
//
// The console's modules import the files they need, not this index: esbuild places a module by
// the files that import it, so through here uploads.ts would land in the first page load instead
// of the lazily loaded upload chunk.
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
export { RateMeter, titleOf, tusFailure, uploadable } from './uploads.ts';
