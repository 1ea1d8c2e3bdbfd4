export { createOriginApp, type OriginDeps } from './app.ts';
export { type RunningOrigin, type StartOriginOptions, startOrigin } from './origin-service.ts';
