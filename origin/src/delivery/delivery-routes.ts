import type { Hono } from 'hono';
import type { OriginDeps } from '../app.ts';

export function mountDelivery(_app: Hono, _deps: OriginDeps): void {}
