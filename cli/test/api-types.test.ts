// @vought/console/api-client writes the control API's JSON shapes out by hand (the browser's type
// check must not reach zod or the origin); this checks, at compile time (tsc -p cli), that they
// still match the schemas the origin validates and documents with.

import type { PlaybackToken, Video, VideoPage, Webhook } from '@vought/console/api-client';
import { expectTypeOf, it } from 'vitest';
import type { PlaybackTokenSchema, VideoPageSchema, VideoSchema, WebhookSchema } from '../../origin/src/api/api-schemas.ts';

/** As JSON carries it: an optional property is absent or has a value, never undefined (zod says `?: T | undefined`). */
type Json<T> = T extends Array<infer U> ? Json<U>[] : T extends object ? { [K in keyof T]: Json<Exclude<T[K], undefined>> } : T;
/** What a schema validates (zod's `z.infer`, read without importing zod into the CLI). */
type Sent<S extends { _output: unknown }> = Json<S['_output']>;

it("the shared client types are the API schemas'", () => {
  expectTypeOf<Json<Video>>().toEqualTypeOf<Sent<typeof VideoSchema>>();
  expectTypeOf<Json<VideoPage>>().toEqualTypeOf<Sent<typeof VideoPageSchema>>();
  expectTypeOf<PlaybackToken>().toEqualTypeOf<Sent<typeof PlaybackTokenSchema>>();
  expectTypeOf<Json<Webhook>>().toEqualTypeOf<Sent<typeof WebhookSchema>>();
});
